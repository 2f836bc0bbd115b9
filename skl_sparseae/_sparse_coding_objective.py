"""Topographic sparse coding (UFLDL's sparse coding exercise): its objective.

The math core of :class:`~skl_sparseae.TopographicSparseCoding`. For ``m``
samples ``X`` (rows ``x_i``), a dictionary ``D`` of shape ``(n_components,
n_features)`` and codes ``S`` of shape ``(m, n_components)`` (rows ``s_i``)::

    J(D, S) = (1/m) sum_i [ ||s_i D - x_i||^2
                            + sparsity * sum_g sqrt((V (s_i * s_i))_g + epsilon) ]
              + alpha ||D||_F^2

``V`` of shape ``(n_groups, n_components)`` is the grouping matrix: row ``g``
marks the units of group ``g`` (a neighbourhood on a square topographic
grid; the identity gives plain smoothed-L1 sparse coding).

Row form, for a chunk of rows (the reading's examples 1 and 2)::

    R = S D - X                        residual, one row per sample
    P = sqrt((S * S) V^T + epsilon)    (rows, n_groups): each group's smoothed norm
    J_chunk = ||R||^2 + sparsity * sum P

    dJ_chunk/dS = 2 R D^T + sparsity * S * ((1 / P) V)   (examples 1 and 2)
    dJ_chunk/dD = 2 S^T R                                 (example 1, A = D^T)

The codes' gradient is one row per sample (written in place, chunk by chunk);
the dictionary's is a sum over rows. With the codes fixed, J is a ridge
regression in ``D``, least at ``(S^T S + m alpha I) D = S^T X``.

With sample weights ``w_i`` (``sample_weight``), J's mean over the samples
becomes the weighted mean: ``1/m`` is ``1 / sum_i w_i`` and sample i's term
is multiplied by ``w_i``. Each row of the codes' gradient carries its
``w_i``, the dictionary's gradient is ``2 S^T W R`` (``W = diag(w)``), and the
dictionary step solves ``(S^T W S + (sum_i w_i) alpha I) D = S^T W X``. A
sample's codes minimise its own term, whatever its (positive) weight.
"""

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from ._kernel import ChunkedObjective, Evaluation
from ._layouts import initialization_bound
from ._optimize import minimize_lbfgs


def topographic_grouping(n_components, grid_side, neighborhood_size):
    """The grouping matrix ``V`` of shape ``(n_groups, n_components)``, float64.

    ``neighborhood_size == 1``: the identity (each unit its own group, plain
    smoothed L1). Otherwise the units lie row by row on a ``grid_side x
    grid_side`` grid (unit ``j`` at row ``j // grid_side``, column ``j %
    grid_side``), and group ``g = r * grid_side + c`` holds the
    ``neighborhood_size x neighborhood_size`` square whose top-left unit is
    ``(r, c)``, wrapping around the grid's edges (a torus), as UFLDL's
    exercise builds it: one group per unit, every unit in
    ``neighborhood_size**2`` groups. A neighbourhood at least as large as the
    grid wraps onto itself and is the whole grid (a group is a set of units).
    """
    if neighborhood_size == 1:
        return np.eye(n_components)
    offsets = np.arange(neighborhood_size)
    grouping = np.zeros((grid_side * grid_side, n_components))
    for row in range(grid_side):
        for column in range(grid_side):
            rows = (row + offsets) % grid_side
            columns = (column + offsets) % grid_side
            members = (rows[:, None] * grid_side + columns[None, :]).ravel()
            grouping[row * grid_side + column, members] = 1.0
    return grouping


class SparseCodingLayout:
    """``theta = [D.ravel(), S.ravel()]`` (the joint objective), or
    ``S.ravel()`` alone when the dictionary is fixed (the codes step)."""

    def __init__(self, n_samples, n_features, n_components, *, with_dictionary=True):
        self.dictionary_shape = (int(n_components), int(n_features))
        self.codes_shape = (int(n_samples), int(n_components))
        self.with_dictionary = with_dictionary
        self.n_dictionary = n_components * n_features if with_dictionary else 0
        self.n_parameters = self.n_dictionary + n_samples * n_components

    def weight_blocks(self):
        """Random points for check_gradient: D in UFLDL's initial range,
        codes uniform in +-1."""
        blocks = []
        if self.with_dictionary:
            n_components, n_features = self.dictionary_shape
            bound = initialization_bound(n_features, n_components)
            blocks.append((0, self.n_dictionary, bound))
        blocks.append((self.n_dictionary, self.n_parameters, 1.0))
        return blocks

    def unpack(self, theta):
        """``(D or None, S)``: views of theta."""
        D = (
            theta[: self.n_dictionary].reshape(self.dictionary_shape)
            if self.with_dictionary
            else None
        )
        return D, theta[self.n_dictionary :].reshape(self.codes_shape)


def initial_codes(X, dictionary, grouping, sparsity, epsilon):
    """Starting codes for a codes solve: one Newton step from ``S = 0``.

    At ``S = 0`` each sample's gradient is ``-2 x_i D^T`` and its Hessian
    ``H = 2 D D^T + (sparsity / sqrt(epsilon)) diag(column sums of V)`` (the
    penalty's curvature there), so the step is the ridge solution ``S = 2 X
    D^T H^-1``: finite and of the data's scale whatever the atoms' norms
    (dividing by each atom's squared norm, as UFLDL's exercise starts, blows
    up on an atom the weight decay has shrunk to almost nothing). float64.
    """
    dictionary = np.asarray(dictionary, dtype=np.float64)
    grouping = np.asarray(grouping, dtype=np.float64)
    hessian = 2.0 * dictionary @ dictionary.T
    hessian[np.diag_indices_from(hessian)] += (
        sparsity / np.sqrt(epsilon)
    ) * grouping.sum(axis=0)
    rhs = 2.0 * (dictionary @ np.asarray(X, dtype=np.float64).T)
    return scipy.linalg.solve(hessian, rhs, assume_a="pos").T


def group_pairs(grouping):
    """Sparse ``(n_groups, n_components**2)`` matrix ``P`` with ``P[g, j * k +
    l] = V_gj V_gl``: then ``u @ P`` is every row's ``V^T diag(u) V``,
    flattened, in ``nnz(P)`` (9 x 9 per group of a 3 x 3 neighbourhood)
    operations per row instead of the dense product's ``k * k * n_groups``."""
    V = sp.csr_matrix(np.asarray(grouping, dtype=np.float64))
    n_components = V.shape[1]
    rows, columns, values = [], [], []
    for group in range(V.shape[0]):
        start, stop = V.indptr[group], V.indptr[group + 1]
        members, weights = V.indices[start:stop], V.data[start:stop]
        rows.append(np.full(members.size**2, group))
        columns.append((members[:, None] * n_components + members[None, :]).ravel())
        values.append(np.outer(weights, weights).ravel())
    return sp.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(columns))),
        shape=(V.shape[0], n_components * n_components),
    )


def codes_hessians(codes, dictionary, grouping, sparsity, epsilon, pairs=None):
    """Each sample's Hessian of ``||s D - x||^2 + sparsity * sum_g sqrt((V (s
    * s))_g + epsilon)`` with respect to its codes ``s``: float64 array of
    shape ``(n_rows, n_components, n_components)``.

    With ``u = 1 / sqrt(V (s * s) + epsilon)`` (one entry per group) the
    penalty's gradient is ``s * (V^T u)`` (example 2), and differentiating it
    once more, ``du_g/ds_l = -u_g^3 V_gl s_l``::

        H = 2 D D^T + sparsity * (diag(V^T u) - diag(s) V^T diag(u^3) V diag(s))

    positive definite for ``epsilon > 0``: each group's term is a Euclidean
    norm of ``(sqrt(V_g) * s, sqrt(epsilon))``, strictly convex. ``pairs`` is
    :func:`group_pairs` of the grouping, if already made.
    """
    S = np.asarray(codes, dtype=np.float64)
    V = np.asarray(grouping, dtype=np.float64)
    if pairs is None:
        pairs = group_pairs(V)
    n_rows, n_components = S.shape
    u = 1.0 / np.sqrt((S * S) @ V.T + epsilon)  # (rows, n_groups)
    # V^T diag(u^3) V for every row, through the sparse pairs of each group
    hessians = np.ascontiguousarray(np.asarray(u**3 @ pairs)).reshape(
        n_rows, n_components, n_components
    )
    hessians *= S[:, :, None]
    hessians *= S[:, None, :]
    hessians *= -sparsity
    diagonal = np.einsum("ijj->ij", hessians)
    diagonal += sparsity * (u @ V)
    hessians += 2.0 * (dictionary @ dictionary.T)
    return hessians


# Rows per batch of Hessians in newton_polish: at most about this many
# entries in the (rows, n_components, n_groups) temporary (32 MiB in float64).
_HESSIAN_BATCH_ENTRIES = 1 << 22


def newton_polish(objective, codes, max_steps=3, tolerance=0.0):
    """Refine codes near the minimiser with per-sample Newton steps.

    ``objective`` is a codes objective (fixed dictionary) on float64 X;
    ``codes`` of shape ``(n_samples, n_components)``, float64. Each sample
    takes the step ``-H_i^-1 g_i`` (:func:`codes_hessians`) where it lowers
    the largest entry of its own gradient, and keeps its codes otherwise;
    at most ``max_steps`` steps, fewer once no sample improves. Newton's
    convergence is quadratic: from the ~1e-6 an L-BFGS solve leaves, one
    step reaches the arithmetic's precision, and each sample's result no
    longer depends on the others solved with it (L-BFGS couples them through
    its shared line search). No step is taken once every gradient entry is
    at most ``tolerance``. Returns the codes and each sample's gradient.
    """
    codes = np.array(codes, dtype=np.float64)
    n_samples, n_components = codes.shape
    dictionary = objective.dictionary
    grouping = objective.grouping
    rows_per_batch = max(
        1, _HESSIAN_BATCH_ENTRIES // (n_components * max(grouping.shape))
    )
    pairs = group_pairs(grouping)

    def sample_gradients(S):
        # J's codes gradient is (1/m) times each sample's own.
        return objective(S.ravel())[1].reshape(S.shape) * n_samples

    gradients = sample_gradients(codes)
    for _ in range(max_steps):
        if np.max(np.abs(gradients), initial=0.0) <= tolerance:
            break
        steps = np.empty_like(codes)
        for start in range(0, n_samples, rows_per_batch):
            stop = min(start + rows_per_batch, n_samples)
            hessians = codes_hessians(
                codes[start:stop],
                dictionary,
                grouping,
                objective.sparsity,
                objective.epsilon,
                pairs,
            )
            steps[start:stop] = -np.linalg.solve(
                hessians, gradients[start:stop, :, None]
            )[:, :, 0]
        candidate = codes + steps
        candidate_gradients = sample_gradients(candidate)
        better = np.max(np.abs(candidate_gradients), axis=1) < np.max(
            np.abs(gradients), axis=1
        )
        if not better.any():
            break
        codes[better] = candidate[better]
        gradients[better] = candidate_gradients[better]
    return codes, gradients


def closed_form_dictionary(codes_gram, codes_times_X, n_samples, alpha):
    """The D minimising J for fixed codes (the reading's example 1 set to
    zero): ``(S^T S + m alpha I) D = S^T X``, a symmetric positive definite
    system for ``alpha > 0``; float64. Weighted, ``codes_gram`` is ``S^T W
    S``, ``codes_times_X`` is ``S^T W X`` and ``n_samples`` the weights'
    sum."""
    system = codes_gram + (n_samples * alpha) * np.eye(codes_gram.shape[0])
    return scipy.linalg.solve(system, codes_times_X, assume_a="pos")


class _SparseCodingWorkspace:
    """One thread's buffers for a chunk, and its shares of the sums."""

    def __init__(self, chunk_rows, n_components, n_features, n_groups, dtype, joint):
        self.residual = np.empty((chunk_rows, n_features), dtype=dtype)
        self.squares = np.empty((chunk_rows, n_components), dtype=dtype)
        self.pooled = np.empty((chunk_rows, n_groups), dtype=dtype)
        self.back = np.empty((chunk_rows, n_components), dtype=dtype)
        # [sum ||r_i||^2, sum_i sum_g P_ig], float64 whatever X's dtype
        self.loss_share = np.zeros(2)
        self.dictionary_share = (
            np.empty((n_components, n_features), dtype=dtype) if joint else None
        )
        # The dictionary step's sums: S^T S and S^T X of a chunk.
        self.gram_share = None
        self.cross_share = None


class SparseCodingObjective(ChunkedObjective):
    """``theta -> (J, grad)`` of topographic sparse coding on dense X
    (float32 or float64), chunked and threaded like the package's other
    objectives.

    With ``dictionary=None`` the variables are ``theta = [D.ravel(),
    S.ravel()]`` (the joint objective, which check_gradient checks); with a
    dictionary they are the codes alone, ``theta = S.ravel()`` (the codes
    step of the fit and ``transform``), and J still includes the constant
    ``alpha ||D||^2``, so that it is the same J.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    grouping : ndarray of shape (n_groups, n_components)
        ``V``, non-negative; every unit in at least one group.
    sparsity, epsilon, alpha : float
        As in J.
    dictionary : ndarray of shape (n_components, n_features) or None
        A fixed D, or None to make D a variable.
    chunk_size, runner
        As for :class:`~skl_sparseae._autoencoder_objective.AutoencoderObjective`.
    sample_weight, weight_sum
        Each row's weight (X's dtype) and their sum, or None: unweighted.

    Attributes
    ----------
    dictionary : ndarray of shape (n_components, n_features) or None
        The fixed D, float64 (None when D is a variable).

    J's three terms, in each :class:`~skl_sparseae._kernel.Evaluation`, are
    ``"reconstruction"``, ``"sparsity"`` and ``"weight_decay"``.
    """

    def __init__(
        self,
        X,
        *,
        grouping,
        sparsity,
        epsilon,
        alpha,
        dictionary=None,
        chunk_size="auto",
        runner,
        sample_weight=None,
        weight_sum=None,
    ):
        n_samples, n_features = X.shape
        n_groups, n_components = grouping.shape
        self.layout = SparseCodingLayout(
            n_samples, n_features, n_components, with_dictionary=dictionary is None
        )
        self.n_parameters = self.layout.n_parameters
        self.grouping = np.ascontiguousarray(grouping, dtype=X.dtype)
        self.sparsity = float(sparsity)
        self.epsilon = float(epsilon)
        self.alpha = float(alpha)
        self._set_up(
            X, chunk_size, runner, self.n_parameters, sample_weight, weight_sum
        )
        self._workspaces = [
            _SparseCodingWorkspace(
                self.chunk_size,
                n_components,
                n_features,
                n_groups,
                X.dtype,
                joint=dictionary is None,
            )
            for _ in range(self.n_workspaces)
        ]
        self.dictionary = self._dictionary = None
        if dictionary is not None:
            self.set_dictionary(dictionary)

    def set_dictionary(self, dictionary):
        """Fix D (the codes objective) at a new value, e.g. after a
        dictionary step."""
        if self.layout.with_dictionary:
            raise ValueError("this objective's dictionary is a variable, not fixed")
        # float64 for J's weight decay term; in X's dtype for the chunks
        self.dictionary = np.array(dictionary, dtype=np.float64)
        self._dictionary = np.ascontiguousarray(dictionary, dtype=self.X.dtype)

    def _evaluate(self, theta):
        theta, params = self._working_parameters(theta)
        D_params, S = self.layout.unpack(params)
        if self.layout.with_dictionary:
            D, D64 = D_params, self.layout.unpack(theta)[0]
        else:
            D, D64 = self._dictionary, self.dictionary
        # m, or sum_i w_i for weighted samples
        n_samples = self.weight_total
        grad = np.empty(self.n_parameters)
        grad_D, grad_S = self.layout.unpack(grad)
        loss_sums = np.zeros(2)
        chunks = self._chunks
        if grad_D is None:
            totals = (loss_sums,)

            def shares(work):
                return (work.loss_share,)
        else:
            grad_D[...] = 0.0
            totals = (loss_sums, grad_D)

            def shares(work):
                return (work.loss_share, work.dictionary_share)

        def chunk_task(work, c):
            start, stop = chunks[c]
            self._chunk(work, start, stop, D, S, grad_S)

        self._runner.run(len(chunks), self._workspaces, chunk_task, shares, totals)
        terms = {
            "reconstruction": float(loss_sums[0]) / n_samples,
            "sparsity": self.sparsity * float(loss_sums[1]) / n_samples,
            "weight_decay": self.alpha * float(np.vdot(D64, D64)),
        }
        if grad_D is not None:
            # (1/m) sum_i 2 w_i s_i^T r_i + 2 alpha D  (w_i = 1 unweighted)
            grad_D /= n_samples
            grad_D += (2.0 * self.alpha) * D64
        return Evaluation(sum(terms.values()), grad, terms)

    def _chunk(self, work, start, stop, D, S, grad_S):
        """One chunk's loss shares and its rows of dJ/dS (and its share of
        sum_i dJ_i/dD when D is a variable)."""
        rows = stop - start
        X_chunk, S_chunk = self.X[start:stop], S[start:stop]
        # R = S D - X
        R = np.matmul(S_chunk, D, out=work.residual[:rows])
        R -= X_chunk
        # P = sqrt((S * S) V^T + eps): each group's smoothed norm
        squares = np.multiply(S_chunk, S_chunk, out=work.squares[:rows])
        P = np.matmul(squares, self.grouping.T, out=work.pooled[:rows])
        P += self.epsilon
        np.sqrt(P, out=P)
        weights = self._chunk_weights(start, stop)
        if weights is None:
            work.loss_share[0] = float(np.vdot(R, R))
            work.loss_share[1] = float(np.sum(P, dtype=np.float64))
        else:
            # sum_i w_i ||r_i||^2 and sum_i w_i sum_g P_ig
            ops = self._ops
            work.loss_share[0] = ops.weighted_sum(np.einsum("ij,ij->i", R, R), weights)
            work.loss_share[1] = ops.weighted_sum(np.sum(P, axis=1), weights)
        # dJ/dS = (1/m) [2 R D^T + sparsity * S * ((1 / P) V)], row i times
        # w_i where weighted
        np.reciprocal(P, out=P)
        delta_codes = np.matmul(P, self.grouping, out=work.squares[:rows])
        delta_codes *= S_chunk
        delta_codes *= self.sparsity
        back = np.matmul(R, D.T, out=work.back[:rows])
        back *= 2.0
        delta_codes += back
        if weights is not None:
            delta_codes *= weights
        grad_S[start:stop] = delta_codes
        grad_S[start:stop] /= self.weight_total
        if work.dictionary_share is not None:
            # sum over the chunk of 2 s_i^T r_i (times w_i where weighted)
            if weights is not None:
                R *= weights
            np.matmul(S_chunk.T, R, out=work.dictionary_share)
            work.dictionary_share *= 2.0

    def dictionary_step(self, codes):
        """The D that minimises J for these codes (float64 ``(n_components,
        n_features)``): the sums ``S^T S`` and ``S^T X`` (``S^T W S`` and
        ``S^T W X`` where weighted) over the chunks, in chunk order, then
        :func:`closed_form_dictionary`."""
        S = np.ascontiguousarray(codes, dtype=self.X.dtype).reshape(
            self.layout.codes_shape
        )
        n_components = S.shape[1]
        gram = np.zeros((n_components, n_components))
        cross = np.zeros((n_components, self.X.shape[1]))
        chunks = self._chunks
        for work in self._workspaces:
            if work.gram_share is None:
                work.gram_share = np.empty((n_components, n_components), self.X.dtype)
                work.cross_share = np.empty(cross.shape, self.X.dtype)

        def chunk_task(work, c):
            start, stop = chunks[c]
            S_chunk = S[start:stop]
            weights = self._chunk_weights(start, stop)
            # S^T W: the codes' rows times their weights
            weighted_T = S_chunk.T if weights is None else (S_chunk * weights).T
            np.matmul(weighted_T, S_chunk, out=work.gram_share)
            np.matmul(weighted_T, self.X[start:stop], out=work.cross_share)

        self._runner.run(
            len(chunks),
            self._workspaces,
            chunk_task,
            lambda work: (work.gram_share, work.cross_share),
            (gram, cross),
        )
        return closed_form_dictionary(gram, cross, self.weight_total, self.alpha)


# --- The algorithm: the alternation of the fit, the codes solve of transform ------
# (module functions beside the objective, as scikit-learn's _dict_learning
# has them; the estimator builds the objective and publishes the result)

# transform's L-BFGS stops when every sample's gradient, d/ds_i of
# ||s_i D - x_i||^2 + sparsity * sum_g sqrt(...), has no entry above this
# (relative to the largest of ||x_i||^2 over the samples and 1); Newton
# steps then take the codes to the arithmetic's precision.
LBFGS_GRADIENT_TOL = 1e-6
# ... and the Newton steps stop once every entry is below this (relative to
# the same scale): the codes are then the minimiser to rounding.
NEWTON_GRADIENT_TOL = 1e-13

# L-BFGS correction pairs for the codes solves (scipy's default is 10). The
# codes problem is separable per sample, so pairs shared by all samples carry
# little, while L-BFGS-B's own work per iteration grows with their number
# times the number of codes (n_samples * n_components): fewer pairs make the
# fit faster with the same alternations and J to rounding (measured on the
# performance page, "Sparse coding against scikit-learn's dictionary
# learning").
CODES_HISTORY = 3


@dataclass
class Alternation:
    """What :func:`alternate` ends with: the dictionary, J after each
    alternation, and why it stopped."""

    dictionary: np.ndarray
    loss_curve: list
    stopped_on_request: bool
    reached_max_iter: bool


def alternate(
    objective,
    codes,
    *,
    max_iter,
    tol,
    code_max_iter,
    rounding,
    label,
    verbose,
    explain_overflow,
    checked_evaluation,
    stage,
    fitted_at,
    report=None,
):
    """The fit's alternation on a codes ``objective`` (its dictionary the
    start): each alternation a codes step (L-BFGS over all codes,
    warm-started, at most ``code_max_iter`` iterations) then a dictionary
    step (the closed form), until one lowers J by at most ``tol * J`` or
    ``max_iter`` alternations have run.

    ``checked_evaluation(objective, codes)`` gives ``(J, grad)`` after an
    alternation (raising where J is not finite); ``stage()`` begins an
    alternation's task for the callbacks, whose ``end(fitted)`` is True
    where a callback asks to stop (``fitted_at(dictionary)`` gives the
    fitted attributes it may ask for); ``report(objective, n)``, where
    given, prints progress after alternation ``n``.
    """
    loss_curve = []
    # (J, grad) where the next codes step starts, when known
    evaluation = None
    for _ in range(max_iter):
        alternation = stage()
        # Codes step: L-BFGS over all codes, warm-started.
        result = minimize_lbfgs(
            objective,
            np.asarray(codes, dtype=np.float64).ravel(),
            max_iter=code_max_iter,
            tol=0.0,
            label=f"{label} codes step",
            verbose=max(verbose - 1, 0),
            rounding=rounding,
            explain_overflow=explain_overflow,
            warn=False,
            history=CODES_HISTORY,
            start=evaluation,
        )
        codes = result.theta
        # Dictionary step: the closed form for these codes.
        objective.set_dictionary(objective.dictionary_step(codes))
        # J after the alternation, which is also J and its gradient where
        # the next codes step starts.
        evaluation = checked_evaluation(objective, codes)
        loss = evaluation[0]
        loss_curve.append(loss)
        if report is not None:
            report(objective, len(loss_curve))
        if alternation.end(
            lambda: {
                **fitted_at(objective.dictionary),
                "loss_": loss_curve[-1],
                "loss_curve_": list(loss_curve),
                "n_iter_": len(loss_curve),
            }
        ):
            # A callback asked to stop: this alternation's dictionary is
            # the fit's.
            return Alternation(objective.dictionary, loss_curve, True, False)
        # Stop once an alternation lowered J by at most tol * J.
        previous = loss_curve[-2] if len(loss_curve) > 1 else np.inf
        if previous - loss <= tol * abs(loss):
            return Alternation(objective.dictionary, loss_curve, False, False)
    return Alternation(objective.dictionary, loss_curve, False, True)


def solve_codes(objective, codes0, *, max_iter, scale, label, explain_overflow):
    """transform's codes for the codes ``objective``'s fixed dictionary, in
    float64: L-BFGS over all codes from ``codes0`` until every sample's
    gradient is below ``LBFGS_GRADIENT_TOL * scale``, then Newton steps
    until it is below ``NEWTON_GRADIENT_TOL * scale`` (the arithmetic's
    floor). Returns ``(codes, gradients)``, one row per sample."""
    n_samples = codes0.shape[0]
    result = minimize_lbfgs(
        objective,
        codes0.ravel(),
        max_iter=max_iter,
        tol=0.0,
        # A sample's own gradient is m times J's.
        gtol=LBFGS_GRADIENT_TOL * scale / n_samples,
        label=label,
        rounding=float(np.finfo(np.float64).eps),
        explain_overflow=explain_overflow,
        warn=False,
        history=CODES_HISTORY,
    )
    # Newton steps until every gradient entry is at the arithmetic's floor
    # (the steps then stop improving anyway).
    return newton_polish(
        objective,
        result.theta.reshape(n_samples, -1),
        tolerance=NEWTON_GRADIENT_TOL * scale,
    )
