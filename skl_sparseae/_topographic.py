"""The TopographicSparseCoding estimator: validation, the alternating fit,
the codes solve of ``transform``, and fitted attributes.

The math lives in :mod:`skl_sparseae._sparse_coding_objective`; this module
is the shell.
"""

import time
import warnings
from math import isqrt
from numbers import Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array

from ._array_ops import NUMPY_OPS
from ._base import (
    BasisTransformerMixin,
    check_finite_output,
    explain_last_terms,
    weighted_rows,
)
from ._callbacks import CallbackSupportMixin, FitTask
from ._executors import IN_MEMORY, executor_for
from ._gradient_check import GradientCheckProblem
from ._layouts import initialization_bound
from ._optimize import atomic_fit, publish_fit, user_stacklevel
from ._runners import serial_blas
from ._sklearn_private import Interval, StrOptions, _fit_context
from ._sparse_coding_objective import (
    LBFGS_GRADIENT_TOL,
    SparseCodingLayout,
    SparseCodingObjective,
    alternate,
    initial_codes,
    solve_codes,
    topographic_grouping,
)
from ._validation import (
    DOC_LINK_MODULE,
    DOC_LINK_TEMPLATE,
    ParameterRulesMixin,
    PositiveInt,
    estimator_label,
)


class TopographicSparseCoding(
    CallbackSupportMixin,
    ParameterRulesMixin,
    BasisTransformerMixin,
    ClassNamePrefixFeaturesOutMixin,
    BaseEstimator,
):
    """Sparse coding with a topographic (grouped) L1 penalty: UFLDL's sparse
    coding exercise.

    Learns a dictionary ``D`` (``components_``) and sparse codes ``S`` with
    ``X ~ S D``. The units lie on a square grid, and the penalty is on the
    smoothed norm of each square neighbourhood of units (wrapping around the
    grid's edges), so that units that are active together end up next to
    each other: neighbouring filters come out similar. For ``m`` samples,
    ``(D, S)`` minimise::

        J(D, S) = (1/m) sum_i [ ||s_i D - x_i||^2
                                + sparsity * sum_g sqrt((V (s_i * s_i))_g + epsilon) ]
                  + alpha ||D||_F^2

    ``V`` (``grouping_``) has one row per neighbourhood; with
    ``neighborhood_size=1`` it is the identity and the penalty is plain
    smoothed L1 sparse coding.

    **The fit** alternates, on the full training set, as UFLDL's exercise
    does: a codes step (L-BFGS on the exact gradient over all codes, ``D``
    fixed, warm-started from the previous codes, at most ``code_max_iter``
    iterations) and a dictionary step (``D`` in closed form, the ridge
    solution ``(S^T S + m alpha I) D = S^T X``). Each step lowers J, so J
    falls monotonically; the fit stops when one alternation lowered J by at
    most ``tol * J``. The full set rather than UFLDL's mini-batches: a new
    mini-batch has no codes to warm-start from, whereas the full set's codes
    carry over and later codes steps need few iterations; J is then the
    objective of all the data and ``loss_`` means the same as for the
    package's other estimators.

    **transform** solves for the codes with ``D`` fixed, in float64: the
    codes problem is strictly convex (each group's term is a Euclidean norm
    and ``epsilon > 0``), so its minimiser is unique. L-BFGS (from a ridge
    solution) brings every sample's gradient below ``1e-6`` of the data's
    scale, then per-sample Newton steps with the exact Hessian take it to
    the arithmetic's precision, so that a sample's codes do not depend on
    which other samples are transformed with it.

    Parameters
    ----------
    n_components : int, default=121
        Number of dictionary atoms (units): ``grid_side**2`` for a
        topographic grid (UFLDL's exercise: 121 on an 11 x 11 grid).

    grid_side : int or None, default=None
        Side of the square grid the units lie on; None takes
        ``sqrt(n_components)``. Must satisfy ``grid_side**2 ==
        n_components`` unless ``neighborhood_size=1``.

    neighborhood_size : int, default=3
        Side of each square group of units on the grid (UFLDL's ``poolDim``).
        1 makes ``V`` the identity (no grid needed); a size of at least
        ``grid_side`` makes every group the whole grid.

    sparsity : float, default=1.0
        Weight of the (topographic) smoothed L1 penalty. With ``alpha`` it
        sets how sparse the codes are; on data scaled to unit variance, 1
        to 10 trades reconstruction error for sparser codes (the docs'
        performance page measures both). UFLDL's exercise used 5e-5 per
        sample of a batch of 2000, that is 0.1 here, on its own images'
        scale.

    epsilon : float, default=1e-2
        Smoothing inside each group's norm; > 0.

    alpha : float, default=1e-2
        Weight decay on the dictionary; > 0 (with no decay, a larger ``D``
        and smaller codes would lower the penalty without limit).

    max_iter : int, default=100
        Maximum number of alternations (codes step + dictionary step).

    tol : float, default=1e-4
        Stop when one alternation lowered J by at most ``tol * J``.

    code_max_iter : int, default=20
        L-BFGS iterations per codes step of the fit (UFLDL's exercise: 20).

    transform_max_iter : int, default=1000
        L-BFGS iterations allowed to ``transform``'s codes solve.

    random_state : int, RandomState instance or None, default=None
        Seed of the initial dictionary (uniform in ``+-sqrt(6 / (n_features +
        n_components + 1))``); the initial codes are a ridge solution for it
        (one Newton step of the codes problem from zero).

    verbose : int, default=0
        1: a line per alternation with J and its terms; 2: also each codes
        step's L-BFGS lines.

    chunk_size : int, "auto" or None, default="auto"
        Rows per chunk of the evaluation; None evaluates all rows at once.

    warm_start : bool, default=False
        If True, ``fit`` starts from the fitted dictionary of the previous
        fit instead of a random one (the codes start from its ridge
        solution, as they do from a random one); the data must have as many
        features and ``n_components`` must be the same. ``n_iter_`` and
        ``loss_curve_`` then say what the new fit did.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The dictionary ``D``: row ``j`` is atom ``j`` (a filter), in X's dtype.

    grouping_ : ndarray of shape (n_groups, n_components)
        ``V``: row ``g`` is 1 on the units of group ``g``.

    loss_ : float
        J at the fitted dictionary and the training codes of the last codes
        step.

    loss_curve_ : list of float
        J after each alternation.

    n_iter_ : int
        Number of alternations run.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, if X had string column names.

    See Also
    --------
    sklearn.decomposition.DictionaryLearning : L1 sparse coding with unit-norm
        atoms, no grouping.
    ReconstructionICA : An overcomplete basis whose codes are ``W x``.

    Notes
    -----
    The codes are one row per training sample, so a fit holds them in memory
    beside X, and fits on Dask arrays are not supported (``transform`` of a
    Dask array is, lazily, block by block). ``score`` is minus the mean of
    J's per-sample terms, reconstruction error and penalty, at each sample's
    exact codes (``score_samples`` per sample), not the reconstruction
    error alone, which would always prefer ``sparsity=0``; it compares fits
    of the same ``sparsity``, since a smaller one lowers every term. At the
    training data it is at least ``-(loss_ - alpha ||D||_F^2)``: the fit's
    training codes are those of its last codes step, which ``transform``'s
    exact solve can only improve on.

    References
    ----------
    K. Kavukcuoglu, M. Ranzato, R. Fergus and Y. LeCun, "Learning invariant
    features through topographic filter maps", CVPR 2009; UFLDL tutorial,
    "Sparse Coding: Autoencoder Interpretation".

    Examples
    --------
    >>> import numpy as np
    >>> from skl_sparseae import TopographicSparseCoding
    >>> X = np.random.RandomState(0).laplace(size=(200, 8))
    >>> model = TopographicSparseCoding(n_components=16, random_state=0)
    >>> model.fit_transform(X).shape
    (200, 16)
    >>> model.grouping_.shape
    (16, 16)
    """

    _doc_link_module = DOC_LINK_MODULE
    _doc_link_template = DOC_LINK_TEMPLATE
    # Why fit and transform stay on NumPy (the error under array API
    # dispatch says it): see docs/gpus.rst.
    _no_array_api_because = (
        "its codes step runs scipy's L-BFGS over every sample's codes, which "
        "live on the host: each evaluation would copy all codes (n_samples x "
        "n_components) to the device and their gradient back, as large as X "
        "itself, and its Newton polish solves one small system per sample "
        "with scipy.linalg"
    )

    _parameter_constraints: dict = {
        "n_components": [PositiveInt()],
        "grid_side": [PositiveInt(), None],
        "neighborhood_size": [PositiveInt()],
        "sparsity": [Interval(Real, 0, None, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [PositiveInt()],
        "tol": [Interval(Real, 0, None, closed="left")],
        "code_max_iter": [PositiveInt()],
        "transform_max_iter": [PositiveInt()],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "chunk_size": [PositiveInt(), StrOptions({"auto"}), None],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        n_components=121,
        *,
        grid_side=None,
        neighborhood_size=3,
        sparsity=1.0,
        epsilon=1e-2,
        alpha=1e-2,
        max_iter=100,
        tol=1e-4,
        code_max_iter=20,
        transform_max_iter=1000,
        random_state=None,
        verbose=0,
        chunk_size="auto",
        warm_start=False,
    ):
        self.n_components = n_components
        self.grid_side = grid_side
        self.neighborhood_size = neighborhood_size
        self.sparsity = sparsity
        self.epsilon = epsilon
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.code_max_iter = code_max_iter
        self.transform_max_iter = transform_max_iter
        self.random_state = random_state
        self.verbose = verbose
        self.chunk_size = chunk_size
        self.warm_start = warm_start

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Learn the dictionary (and training codes) from X by alternating
        codes steps and dictionary steps.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, dense. float32 input trains in float32.

        y : Ignored
            Not used by the fit. Callbacks (``set_callbacks``) see it as
            the target, X itself where it is None.

        sample_weight : array-like of shape (n_samples,), default=None
            How much each sample counts: J's mean over the samples becomes a
            weighted mean, and the dictionary step a weighted ridge
            regression. An integer weight counts as that many copies of the
            sample, a zero weight as no sample.

        Returns
        -------
        self : TopographicSparseCoding
            The fitted estimator.
        """
        with atomic_fit(self):
            executor = executor_for(X)
            if not executor.in_memory:
                raise TypeError(
                    "TopographicSparseCoding cannot fit a Dask array: its codes "
                    "are one row per training sample and live beside X in "
                    "memory. Fit on a NumPy sample of the rows (e.g. "
                    "X[:100000].compute()); transform accepts Dask arrays."
                )
            X, _ = executor.training_data(self, X, accept_sparse=False)
            # The alternation runs over the rows J is over (a zero weight
            # is no sample), with their weights.
            rows, weights = weighted_rows(X, sample_weight, executor)
            grouping = self._grouping()
            dictionary = self._start(X.shape[1], check_random_state(self.random_state))
            codes = initial_codes(
                rows, dictionary, grouping, self.sparsity, self.epsilon
            )
            label = estimator_label(self)
            start_time = time.perf_counter()
            # The fit's task for the callbacks: one subtask per alternation.
            task = FitTask.begin_fit(
                self,
                X,
                X if y is None else y,
                max_subtasks=self.max_iter,
                sample_weight=sample_weight,
            )

            def fitted_at(dictionary):
                return {
                    "components_": dictionary.astype(X.dtype),
                    "grouping_": grouping.astype(X.dtype),
                }

            with (
                serial_blas(),
                IN_MEMORY.objective(
                    self._objective,
                    rows,
                    dictionary=dictionary,
                    grouping=grouping,
                    sample_weight=weights,
                ) as objective,
            ):
                alternation = alternate(
                    objective,
                    codes,
                    max_iter=self.max_iter,
                    tol=self.tol,
                    code_max_iter=self.code_max_iter,
                    rounding=float(np.finfo(X.dtype).eps),
                    label=label,
                    verbose=self.verbose,
                    explain_overflow=lambda: explain_last_terms(
                        objective, rows, self._advice(), NUMPY_OPS
                    ),
                    checked_evaluation=lambda objective, codes: (
                        self._checked_evaluation(objective, codes, rows)
                    ),
                    stage=lambda: task.stage("alternation", max_subtasks=0),
                    fitted_at=fitted_at,
                    report=(
                        (
                            lambda objective, n: self._print_progress(
                                label, objective, n, start_time
                            )
                        )
                        if self.verbose
                        else None
                    ),
                )
            if alternation.reached_max_iter:
                warnings.warn(
                    f"{label}: stopped after max_iter={self.max_iter} "
                    "alternations before J levelled off to "
                    f"tol={self.tol:g}. Increase max_iter, or raise tol.",
                    ConvergenceWarning,
                    stacklevel=user_stacklevel(),
                )
            loss_curve = alternation.loss_curve
            stopped_on_request = alternation.stopped_on_request
            fitted = {
                **fitted_at(alternation.dictionary),
                "loss_": loss_curve[-1],
                "loss_curve_": loss_curve,
                "n_iter_": len(loss_curve),
            }
            publish_fit(self, fitted)
            if self.verbose and stopped_on_request:
                print(
                    f"[{label}] stopped after {len(loss_curve)} alternations: a "
                    "callback asked to stop",
                    flush=True,
                )
            task.end_fit()
        return self

    def _start(self, n_features, random_state):
        """The dictionary to start the fit from: the fitted one with
        ``warm_start=True`` on a fitted model (of the same shape), else
        uniform in UFLDL's bound."""
        shape = (self.n_components, n_features)
        if not (self.warm_start and hasattr(self, "components_")):
            bound = initialization_bound(n_features, self.n_components)
            return random_state.uniform(-bound, bound, size=shape)
        if self.components_.shape != shape:
            raise ValueError(
                "warm_start=True starts the fit from the fitted dictionary, of "
                f"shape {self.components_.shape} (n_components, n_features); "
                f"this fit needs {shape}. Fit with warm_start=False, or with "
                "the data and n_components the fitted model had."
            )
        return self.components_.astype(np.float64)

    def _sample_losses(self, X, ops):
        """Each sample's term of J at the fitted dictionary and the sample's
        codes from ``transform`` (their exact minimiser), in float64:
        ``||s D - x||^2 + sparsity * sum_g sqrt((V (s * s))_g +
        epsilon)``."""
        S = self._codes(X, ops).astype(np.float64)
        X = np.asarray(X, dtype=np.float64)
        D = self.components_.astype(np.float64)
        V = self.grouping_.astype(np.float64)
        with np.errstate(all="ignore"):
            R = S @ D - X
            group_norms = np.sqrt((S * S) @ V.T + self.epsilon)
            return np.einsum("ij,ij->i", R, R) + self.sparsity * group_norms.sum(axis=1)

    def _codes(self, X, ops):
        """Solve the codes problem in float64: L-BFGS, then Newton polish
        (X a NumPy array: sparse coding computes on the host, ``ops``
        NumPy's)."""
        X64 = np.ascontiguousarray(X, dtype=np.float64)
        dictionary = self.components_.astype(np.float64)
        grouping = self.grouping_.astype(np.float64)
        n_samples = X64.shape[0]
        codes0 = initial_codes(X64, dictionary, grouping, self.sparsity, self.epsilon)
        # A sample's gradient's scale is ||x_i||^2's.
        scale = max(1.0, float(np.max(np.einsum("ij,ij->i", X64, X64))))
        label = f"{estimator_label(self)} transform"
        with (
            np.errstate(all="ignore"),
            serial_blas(),
            IN_MEMORY.objective(
                self._objective, X64, dictionary=dictionary, grouping=grouping
            ) as objective,
        ):
            codes, gradients = solve_codes(
                objective,
                codes0,
                max_iter=self.transform_max_iter,
                scale=scale,
                label=label,
                explain_overflow=lambda: explain_last_terms(
                    objective, X64, self._advice(), ops
                ),
            )
        unsolved = np.max(np.abs(gradients), axis=1) > LBFGS_GRADIENT_TOL * scale
        if unsolved.any():
            warnings.warn(
                f"{label}: the codes of {int(unsolved.sum())} of {n_samples} "
                f"samples are not at their minimiser after "
                f"transform_max_iter={self.transform_max_iter} L-BFGS iterations "
                "and Newton steps. Increase transform_max_iter.",
                ConvergenceWarning,
                stacklevel=user_stacklevel(),
            )
        codes = codes.astype(X.dtype)
        check_finite_output(codes, "transform", X, ops)
        return codes

    # Internals -------------------------------------------------------------

    def _check_parameter_rules(self):
        """n_components must fit the topographic grid."""
        self._grouping()

    def _grouping(self):
        """``V`` for this estimator's grid, or a clear error if it does not fit."""
        n_components, size = self.n_components, self.neighborhood_size
        side = self.grid_side if self.grid_side is not None else isqrt(n_components)
        if side * side != n_components and (size > 1 or self.grid_side is not None):
            raise ValueError(
                f"n_components={n_components} does not fit a square "
                f"topographic grid of side {side} ({side}**2 = {side * side}): "
                "use n_components = grid_side**2 (UFLDL's exercise: 121 on an "
                "11 x 11 grid), or neighborhood_size=1 for plain smoothed-L1 "
                "sparse coding, which needs no grid."
            )
        return topographic_grouping(n_components, side, size)

    def _objective(
        self,
        X,
        *,
        runner,
        dictionary=None,
        grouping=None,
        sample_weight=None,
        weight_sum=None,
    ):
        """J and its gradient on validated X: over the codes for a fixed
        ``dictionary``, or over (D, S) when it is None; ``grouping`` defaults
        to the one of this estimator's parameters; its chunks run by
        ``runner`` (the executor's); weighted by ``sample_weight`` (X's
        dtype; their sum ``weight_sum``) or not."""
        return SparseCodingObjective(
            X,
            grouping=self._grouping() if grouping is None else grouping,
            sparsity=self.sparsity,
            epsilon=self.epsilon,
            alpha=self.alpha,
            dictionary=dictionary,
            chunk_size=self.chunk_size,
            runner=runner,
            sample_weight=sample_weight,
            weight_sum=weight_sum,
        )

    def _advice(self):
        return (
            "scale X (e.g. zero mean, unit variance), or lower "
            f"sparsity={self.sparsity!r}"
        )

    def _checked_evaluation(self, objective, codes, X):
        """``(J, grad)`` at these codes, or a clear error if J is not finite."""
        loss, grad = objective(codes)
        if not np.isfinite(loss):
            explanation = explain_last_terms(objective, X, self._advice(), NUMPY_OPS)
            raise ValueError(
                f"{estimator_label(self)}: J is not finite after a dictionary "
                f"step (J = {loss!r}). {explanation}"
            )
        return float(loss), grad

    def _print_progress(self, label, objective, iteration, start_time):
        evaluation = objective.last_evaluation
        terms = ", ".join(
            f"{name} {value:.4g}" for name, value in evaluation.terms.items()
        )
        print(
            f"[{label}] alternation {iteration}/{self.max_iter}: "
            f"J = {evaluation.loss:.8g} ({terms}), "
            f"{time.perf_counter() - start_time:.2f} s",
            flush=True,
        )

    def _gradient_check_problem(self, X, y=None):
        """What :func:`~skl_sparseae.check_gradient` checks: the joint
        objective J(D, S) on float64 X, the codes step's gradient and the
        dictionary's (whose zero the dictionary step solves for). Its
        default step is 1e-5: each smoothed ``|s|`` has curvature up to
        ``1/sqrt(epsilon)`` near ``s = 0``, where UFLDL's 1e-4 leaves a
        truncation error near 1e-9 already at ``epsilon=1e-2``."""
        X = check_array(X, dtype=np.float64, order="C")
        layout = SparseCodingLayout(X.shape[0], X.shape[1], self.n_components)
        return GradientCheckProblem(
            objective=IN_MEMORY.objective(self._objective, X),
            layout=layout,
            step=1e-5,
            description=(
                f"n_samples={X.shape[0]}, n_features={X.shape[1]}, "
                f"n_components={self.n_components} (the dictionary, then the "
                "codes)"
            ),
        )

    def _packed_parameters(self, X=None):
        """``[D.ravel(), S.ravel()]``: the fitted dictionary and X's codes
        (the variables of J(D, S) on X, so X is required)."""
        return np.concatenate(
            [
                self.components_.astype(np.float64).ravel(),
                self._codes(X, NUMPY_OPS).ravel(),
            ]
        )
