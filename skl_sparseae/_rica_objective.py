"""Reconstruction ICA (Le et al., NIPS 2011; UFLDL's RICA): its objective.

The math core of :class:`~skl_sparseae.ReconstructionICA`::

    J(W) = (1/m) sum_i [ sparsity * sum_j sqrt((W x_i)_j^2 + epsilon)
                         + 1/2 ||W^T W x_i - x_i||^2 ]

``W`` of shape ``(n_components, n_features)``; ``n_components`` may exceed
``n_features`` (an overcomplete basis). No biases and no weight decay.

Row form, for a chunk of samples ``X`` (rows)::

    Z = X W^T                      (chunk, n_components)   the codes
    R = Z W - X                    (chunk, n_features)     the residual
    J_chunk = sparsity * sum sqrt(Z^2 + epsilon) + 1/2 ||R||^2

W appears twice (encoder and decoder, as in tied weights): the gradient is
the sum of both uses (the reading's third example)::

    d/dW 1/2 ||R||^2 = (R W^T)^T X  (through Z = X W^T)  +  Z^T R  (through Z W)
    d/dW sparsity * sum sqrt(Z^2 + eps) = (sparsity * Z / sqrt(Z^2 + eps))^T X

so with ``D = sparsity * Z / sqrt(Z^2 + eps) + R W^T`` the chunk's share is
``D^T X + Z^T R``: five matrix products, as for the autoencoder. There is no
rho_hat, so one pass gives J and its gradient, on this machine's threads or
on a Dask array's blocks (``row_sums``).

With ``normalize_filters`` (UFLDL's exercise, its ``l2rowscaled``), J is
evaluated at ``W~``, each row scaled to unit norm, ``w~_j = w_j / n_j`` with
``n_j = sqrt(||w_j||^2 + ROW_NORM_EPSILON)``: the chunks compute with ``W~``
and the chain rule through the scaling is applied once to the summed
gradient ``G~`` (so both executors share it)::

    dJ/dw_j = G~_j / n_j - w_j (w_j . G~_j) / n_j^3
"""

import numpy as np

from ._array_ops import NUMPY_OPS
from ._kernel import Evaluation, OnePassObjective
from ._layouts import initialization_bound

# Added under the square root of each row's norm with normalize_filters
# (UFLDL's value): keeps W~ finite at a zero row.
ROW_NORM_EPSILON = 1e-5


def row_norms(W, xp=np):
    """``n_j = sqrt(||w_j||^2 + ROW_NORM_EPSILON)`` of each row, in W's dtype
    (W a NumPy array, or an array of the Array API namespace ``xp``)."""
    squares = np.einsum("ij,ij->i", W, W) if xp is np else xp.sum(W * W, axis=1)
    return xp.sqrt(squares + ROW_NORM_EPSILON)


def normalized_rows(W, xp=np):
    """``W~``: each row of W divided by its :func:`row_norms` ``n_j``, in
    W's dtype."""
    return W / row_norms(W, xp)[:, None]


def through_row_normalization(W, grad_normalized):
    """The gradient with respect to W of J(W~), from the gradient ``G~``
    with respect to ``W~`` (both of W's shape, float64)::

        dJ/dw_j = G~_j / n_j - w_j (w_j . G~_j) / n_j^3
    """
    norms = row_norms(W)
    along = np.einsum("ij,ij->i", W, grad_normalized) / norms**3
    return grad_normalized / norms[:, None] - W * along[:, None]


class RICALayout:
    """``theta`` is ``W.ravel()``, ``W`` of shape ``(n_components,
    n_features)``: one matrix, used twice (encoder ``W``, decoder ``W^T``)."""

    def __init__(self, n_features, n_components):
        self.shape = (int(n_components), int(n_features))
        self.n_parameters = self.shape[0] * self.shape[1]

    def weight_blocks(self):
        """``[(0, n_parameters, bound)]`` with UFLDL's initialisation bound."""
        n_components, n_features = self.shape
        return [(0, self.n_parameters, initialization_bound(n_features, n_components))]

    def initial_parameters(self, random_state):
        """W uniform in ``+-sqrt(6 / (n_features + n_components + 1))``."""
        ((start, stop, bound),) = self.weight_blocks()
        return random_state.uniform(-bound, bound, size=stop - start)


class _RICAWorkspace:
    """One thread's buffers: a chunk's codes, residual and deltas, and its
    share (None where the namespace allocates, see ``_array_ops``)."""

    def __init__(self, chunk_rows, n_components, n_features, dtype, ops=NUMPY_OPS):
        buffer = ops.buffer
        self.codes = buffer((chunk_rows, n_components), dtype)
        self.residual = buffer((chunk_rows, n_features), dtype)
        self.delta = buffer((chunk_rows, n_components), dtype)
        self.back = buffer((chunk_rows, n_components), dtype)
        self.grad_share = buffer(n_components * n_features, dtype)
        self.W_share = (
            None
            if self.grad_share is None
            else self.grad_share.reshape(n_components, n_features)
        )
        self.decoder_share = buffer((n_components, n_features), dtype)
        # sum sqrt(z^2 + eps) and sum ||r||^2 / 2 of the chunk, in float64
        self.loss_share = ops.zeros(2)


class ReconstructionICAObjective(OnePassObjective):
    """``theta -> (J, grad)`` of reconstruction ICA on dense X (float32 or
    float64), chunked and threaded like the autoencoders' objectives.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Dense, C-ordered; the samples are expected to be whitened.
    n_components : int
    sparsity : float
        Weight of the smoothed L1 penalty on the codes.
    epsilon : float
        Smoothing of ``|z| ~ sqrt(z^2 + epsilon)``; positive.
    normalize_filters : bool
        Evaluate J at W's rows scaled to unit norm (UFLDL's exercise).
    chunk_size, runner
        As for :class:`~skl_sparseae._autoencoder_objective.AutoencoderObjective`.

    J's two terms, in each :class:`~skl_sparseae._kernel.Evaluation`, are
    ``"sparsity"`` and ``"reconstruction"``.
    """

    def __init__(
        self,
        X,
        *,
        n_components,
        sparsity,
        epsilon,
        normalize_filters=False,
        chunk_size="auto",
        runner,
        sample_weight=None,
        weight_sum=None,
    ):
        n_features = X.shape[1]
        self.n_components = int(n_components)
        self.normalize_filters = bool(normalize_filters)
        self.n_parameters = self.n_components * n_features
        self.sparsity = float(sparsity)
        self.epsilon = float(epsilon)
        self._set_up(
            X, chunk_size, runner, self.n_parameters, sample_weight, weight_sum
        )
        self._workspaces = [
            _RICAWorkspace(
                self.chunk_size, self.n_components, n_features, X.dtype, self._ops
            )
            for _ in range(self.n_workspaces)
        ]

    # [sum_i sum_j sqrt(z_ij^2 + eps), sum_i ||r_i||^2 / 2]
    _n_loss_sums = 2

    def _chunk_arguments(self, params):
        xp = self._ops.xp
        W = (
            params.reshape(self.n_components, -1)
            if xp is np
            else xp.reshape(params, (self.n_components, -1))
        )
        # The chunks compute with W~ (rows of unit norm) when normalizing.
        return (normalized_rows(W, xp) if self.normalize_filters else W,)

    def total(self, theta, grad_sum, loss_sums, n_samples):
        """The :class:`~skl_sparseae._kernel.Evaluation` from the sums over
        all samples (``grad_sum`` is overwritten; ``loss_sums`` as in
        ``_n_loss_sums``)."""
        grad = grad_sum
        grad /= n_samples
        if self.normalize_filters:
            # The sums are with respect to W~: through the row scaling once.
            W = np.asarray(theta, dtype=np.float64).reshape(self.n_components, -1)
            grad = through_row_normalization(W, grad.reshape(W.shape)).ravel()
        terms = {
            "sparsity": self.sparsity * float(loss_sums[0]) / n_samples,
            "reconstruction": float(loss_sums[1]) / n_samples,
        }
        return Evaluation(terms["sparsity"] + terms["reconstruction"], grad, terms)

    def _chunk(self, work, start, stop, W):
        """One chunk's share of the loss sums and of sum_i dL_i/dW."""
        ops = self._ops
        rows = stop - start
        X_chunk = self.X[start:stop, :]
        # Z = X W^T ;  R = Z W - X
        Z = ops.matmul(X_chunk, W.T, out=ops.rows(work.codes, rows))
        R = ops.matmul(Z, W, out=ops.rows(work.residual, rows))
        R -= X_chunk
        # sqrt(z^2 + eps), then D = sparsity * z / sqrt(z^2 + eps) + R W^T
        D = ops.multiply(Z, Z, out=ops.rows(work.delta, rows))
        D += self.epsilon
        D = ops.sqrt(D, out=D)
        weights_column = self._chunk_weights(start, stop)
        if weights_column is None:
            loss_sums = (ops.sum_float64(D), ops.half_squared_norm(R))
        else:
            # sum_i w_i sum_j sqrt(z_ij^2 + eps) and 1/2 sum_i w_i ||r_i||^2
            loss_sums = (
                ops.weighted_sum(ops.sum_per_row(D), weights_column),
                0.5 * ops.weighted_sum(ops.sum_per_row(R * R), weights_column),
            )
        work.loss_share = ops.loss_shares(loss_sums, work.loss_share)
        D = ops.divide(Z, D, out=D)
        D *= self.sparsity
        D += ops.matmul(R, W.T, out=ops.rows(work.back, rows))
        if weights_column is not None:
            # Sample i's share of the gradient carries w_i: its rows of D and R.
            D = ops.multiply(D, weights_column, out=D)
            R = ops.multiply(R, weights_column, out=R)
        # dL/dW over the chunk: D^T X (encoder use) + Z^T R (decoder use)
        W_share = ops.matmul(D.T, X_chunk, out=work.W_share)
        W_share += ops.matmul(Z.T, R, out=work.decoder_share)
        work.grad_share = ops.pack([W_share], work.grad_share)
