"""The sparse autoencoder objective J and its gradient: the pure math core.

Nothing in this module knows about estimators. Every function takes a flat
parameter vector ``theta`` and plain arrays, and returns plain arrays.

Notation (the same as the user guide's "The math" page)::

    X          (n_samples, n_features)     the data, one sample per row
    W1         (n_components, n_features)  encoder weights  (components_)
    b1         (n_components,)             hidden biases    (intercept_hidden_)
    W2         (n_components, n_features)  decoder weights  (decoder_components_)
    b2         (n_features,)               visible biases   (intercept_visible_)

    Z_hidden = X @ W1.T + b1               A = sigmoid(Z_hidden)
    Z_out    = A @ W2 + b2                 X_hat = f(Z_out)
    rho_hat  = mean of A over all samples  (n_components,)

    J = (1/m) sum_i L(x_hat_i, x_i)
        + (alpha/2) (||W1||^2 + ||W2||^2)      (||W||^2 once when tied)
        + beta sum_j KL(rho || rho_hat_j)

With tied weights W2 is W1 itself: the parameter vector holds it once.

Flat layout of ``theta``: ``[W1.ravel(), W2.ravel() (untied only), b1, b2]``.
"""

from dataclasses import dataclass

import numpy as np

from ._array_ops import NUMPY_OPS
from ._forward import encode
from ._kernel import (
    ChunkedObjective,
    Evaluation,
    RowSums,
    Stage,
    column_sums,
    times_row_weights,
)
from ._layouts import NetworkLayout

# rho_hat is kept inside [_RHO_HAT_FLOOR, 1 - _RHO_HAT_FLOOR] before the logs
# and divisions of the KL term. The floor only acts on units that are
# saturated over the whole data set (every activation rounds to 0 or to 1),
# where the unguarded term is log(0) = -inf; anywhere else it changes nothing.
_RHO_HAT_FLOOR = float(np.finfo(np.float64).eps)


def clipped_rho_hat(hidden_sum, n_samples, xp=np):
    """Mean hidden activation, kept off exact 0 and 1 (see ``_RHO_HAT_FLOOR``);
    float64 ``hidden_sum`` of namespace ``xp`` (NumPy: any array-like)."""
    if xp is np:
        hidden_sum = np.asarray(hidden_sum, dtype=np.float64)
    rho_hat = hidden_sum / n_samples
    return xp.clip(rho_hat, _RHO_HAT_FLOOR, 1.0 - _RHO_HAT_FLOOR)


def kl_divergence(rho, rho_hat):
    """KL(rho || rho_hat) = rho log(rho/rho_hat) + (1-rho) log((1-rho)/(1-rho_hat))."""
    return rho * np.log(rho / rho_hat) + (1.0 - rho) * np.log(
        (1.0 - rho) / (1.0 - rho_hat)
    )


def kl_divergence_derivative(rho, rho_hat):
    """d KL(rho || rho_hat) / d rho_hat = -rho/rho_hat + (1-rho)/(1-rho_hat)."""
    return -rho / rho_hat + (1.0 - rho) / (1.0 - rho_hat)


def _half_squared_norm(R, weights_column, ops):
    """``1/2 sum_i ||r_i||^2``, or with sample weights ``1/2 sum_i w_i
    ||r_i||^2``, of a chunk's residuals."""
    if weights_column is None:
        return ops.half_squared_norm(R)
    return 0.5 * ops.weighted_sum(ops.sum_per_row(R * R), weights_column)


@dataclass
class AutoencoderRowSums(RowSums):
    """The autoencoders' :class:`~skl_sparseae._kernel.RowSums`: with the
    sums their sparsity term is made of.

    Attributes
    ----------
    hidden : ndarray or None
        ``sum_i [a_1(x_i), ..., a_L(x_i)]``: the encoder layers' column sums.
    slope_W, slope_b : ndarray or None
        ``sum_i (a_i * (1 - a_i)) x_i^T`` and ``sum_i a_i * (1 - a_i)`` of
        the first encoder layer: the two sums its sparsity term is made of.
    """

    hidden: np.ndarray | None = None
    slope_W: np.ndarray | None = None
    slope_b: np.ndarray | None = None


class _Workspace:
    """One thread's buffers: one chunk's work space and that chunk's share.

    The share (``hidden_share``, ``loss_share``, ``grad_share``) is in the
    working dtype; the executor adds it into the float64 totals in chunk
    order. ``delta[l]`` and ``slope[l]`` hold one chunk's rows at layer
    ``l`` (the width ``h_l``); ``decoder_hidden[l]`` the decoder's hidden
    activations of width ``h_l`` (``1 <= l < L``).

    With NumPy the buffers are allocated here, once. With another Array API
    namespace they are None (``ops.buffer``): each step allocates its
    result, and the shares are the last chunk's results.
    """

    def __init__(self, chunk_rows, layout, dtype, *, residual, ops=NUMPY_OPS):
        n_features, widths = layout.n_features, layout.hidden_layer_sizes
        buffer = ops.buffer
        self.out = buffer((chunk_rows, n_features), dtype)
        # squared error + logistic decoder needs x_hat and x_hat - x at once.
        self.residual = buffer((chunk_rows, n_features), dtype) if residual else None
        self.delta = [buffer((chunk_rows, h), dtype) for h in widths]
        self.slope = [buffer((chunk_rows, h), dtype) for h in widths]
        self.decoder_hidden = [buffer((chunk_rows, h), dtype) for h in widths]
        self.ones = ops.ones(chunk_rows, dtype)
        self.hidden_share = buffer(sum(widths), dtype)
        # The first layer's slope sums, made when a one-pass evaluation
        # first needs them (AutoencoderObjective.row_sums).
        self.slope_share = None
        # The loss share stays float64 whatever X's dtype.
        self.loss_share = ops.zeros(1)
        self.grad_share = buffer(layout.n_parameters, dtype)
        # Views of grad_share, made once: (W_enc, W_dec, b_enc, b_dec). With
        # tied weights the decoder's use of each W gets its own buffer; the
        # two uses are added within the chunk.
        if self.grad_share is None:
            n_layers = layout.n_layers
            self.shares = tuple([None] * n_layers for _ in range(4))
        else:
            self.shares = layout.unpack(self.grad_share)
        if layout.tied_weights:
            self.shares = (
                self.shares[0],
                [buffer(shape, dtype) for shape in layout.pair_shapes],
                self.shares[2],
                self.shares[3],
            )


class AutoencoderObjective(ChunkedObjective):
    """J and its gradient for a sparse autoencoder of any depth on one data set.

    The network is the one of :class:`NetworkLayout`: logistic encoder layers
    ``hidden_layer_sizes = (h_1, ..., h_L)``, a decoder that mirrors them,
    and::

        J = (1/m) sum_i L(x_hat_i, x_i) + (alpha/2) sum over matrices ||W||^2
            + sum_l beta_l sum_j KL(rho_l || rho_hat_(l,j))

    with ``rho_hat_l`` the mean activation of encoder layer ``l`` over all
    samples. One hidden layer is the classic sparse autoencoder.

    A kernel of :mod:`skl_sparseae._kernel`: calling it with a flat float64
    parameter vector returns ``(loss, grad)``, and :meth:`evaluate` the
    whole :class:`~skl_sparseae._kernel.Evaluation` (J's terms, every
    ``rho_hat_l``, the codes). It:

    - computes in the dtype of ``X`` (float32 or float64), accumulating the
      loss and the gradient in float64;
    - allocates its buffers once and reuses them on every call; never copies
      ``X``;
    - works through the samples in row chunks, so that memory beyond ``X``
      and the encoder's activations is bounded by the chunk size, and each
      chunk's elementwise work stays in cache. The result is still the exact
      full-batch J: a first pass over all chunks forms every ``rho_hat_l``,
      which the deltas need, a second forms the deltas and the gradient;
    - runs the chunks on the runner it is handed (this machine's threads,
      :mod:`skl_sparseae._runners`), which adds each chunk's share into the
      totals in an order fixed by the number of chunks. The result depends
      on X, theta and the chunk size only: the same bits on any number of
      threads.

    Rounding: each chunk's share is summed in X's dtype and the shares are
    added in float64, so a different ``chunk_size`` groups the same terms
    differently. The results agree to rounding (about 1e-16 relative in
    float64, 1e-7 in float32), not bit for bit.

    Memory: the encoder activations (n_samples x sum of h_l) plus, per
    thread, about ``2 * chunk_size * n_features + 3 * chunk_size * sum(h)``
    entries of X's dtype and one vector of the parameters' size, and the
    executor's group sums: up to 8 float64 vectors of the parameters' size.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or CSR matrix
        float32 or float64. Dense X should be C-contiguous.
    hidden_layer_sizes : tuple of int
        Widths of the encoder's layers.
    rho, beta : tuple of float
        Target activation and sparsity weight of each encoder layer.
    alpha : float
        Weight decay.
    loss, decoder_activation, tied_weights
        As for the estimators.
    chunk_size : int, "auto" or None, default="auto"
        Rows per chunk. None processes all rows as one chunk (the plain,
        unchunked evaluation); "auto" picks cache-sized chunks (the
        runner's rule).
    runner : ChunkRunner
        Runs the chunks (:class:`~skl_sparseae._kernel.ChunkRunner`); the
        objective owns it and closes it in :meth:`close`.

    Attributes
    ----------
    last_evaluation : Evaluation or None
        The last :meth:`evaluate` (or call): J, its gradient, J's three
        ``terms`` (``"reconstruction"``, ``"weight_decay"``,
        ``"sparsity"``), each encoder layer's ``rho_hats`` and the last
        layer's activations of X as ``codes``.
    """

    def __init__(
        self,
        X,
        *,
        hidden_layer_sizes,
        rho,
        beta,
        alpha,
        loss,
        decoder_activation,
        tied_weights,
        chunk_size="auto",
        runner,
        sample_weight=None,
        weight_sum=None,
    ):
        n_samples, n_features = X.shape
        dtype = X.dtype
        self.layout = NetworkLayout(n_features, hidden_layer_sizes, tied_weights)
        self.rho = tuple(float(value) for value in rho)
        self.beta = tuple(float(value) for value in beta)
        self.alpha = alpha
        self.loss = loss
        self.decoder_activation = decoder_activation
        self.tied_weights = tied_weights
        self._set_up(
            X, chunk_size, runner, self.layout.n_parameters, sample_weight, weight_sum
        )
        ops = self._ops
        # Every encoder layer's activations of every row: the first pass
        # writes them, the second reads them (no second forward pass).
        self._activations = [
            ops.empty((n_samples, h), dtype) for h in hidden_layer_sizes
        ]
        needs_residual = loss == "squared_error" and decoder_activation == "logistic"
        self._workspaces = [
            _Workspace(
                self.chunk_size, self.layout, dtype, residual=needs_residual, ops=ops
            )
            for _ in range(self.n_workspaces)
        ]

    def _evaluate(self, theta):
        # m, or the sum of the sample weights: what J's means divide by.
        n_samples = self.weight_total
        ops = self._ops
        theta, params = self._working_parameters(theta)
        weights = self.layout.unpack(params, ops.xp)
        # Pass 1: every encoder layer's activations a_l for every sample, and
        # rho_hat_l = (1/m) sum_i a_l(x_i), which the deltas need.
        hidden_sum = self._hidden_pass(weights)
        rho_hats, sparsity_deltas = self.sparsity_deltas(hidden_sum, n_samples, ops.xp)
        # Pass 2: decoder, reconstruction, deltas and gradient shares.
        grad_sum, reconstruction_sum = self._backprop_pass(weights, sparsity_deltas)
        # The sums, where X is (NumPy: already here; a device: one copy down,
        # and rho_hat again on the host from the hidden sums brought down).
        grad_sum, reconstruction_sum, hidden_sum = ops.to_host(
            grad_sum, reconstruction_sum, hidden_sum
        )
        if not ops.is_numpy:
            rho_hats = self.rho_hats(hidden_sum, n_samples)
        return self.total(
            theta,
            grad_sum,
            reconstruction_sum,
            n_samples,
            rho_hats,
            codes=self._activations[-1],
        )

    # J from sums over the samples -----------------------------------------
    #
    # Every sample-dependent part of J and of its gradient is a sum over the
    # samples, so any set of rows can compute its share and the shares add
    # up: the threaded evaluation above is one set of rows; the Dask
    # executor runs :meth:`row_sums` on each block of X, adds the blocks'
    # shares, and finishes with the same :meth:`sparsity_deltas` and
    # :meth:`total` on the driver (see :meth:`evaluate_from_sums`).

    def row_sums(self, theta, stage, sparsity_deltas=None):
        """This objective's rows' :class:`~skl_sparseae._kernel.RowSums` for
        ``stage`` of an evaluation (float64, sums over the rows before any
        1/m):

        - :attr:`Stage.HIDDEN <skl_sparseae._kernel.Stage.HIDDEN>`:
          ``hidden = sum_i [a_1(x_i), ..., a_L(x_i)]``, the column sums that
          make every ``rho_hat_l``;
        - ``Stage.GRADIENT``: ``grad = sum_i dL_i/dtheta`` and ``losses =
          [sum_i L_i]``, with ``sparsity_deltas`` (from the hidden sums of
          *all* rows) entering every delta;
        - ``Stage.ONE_PASS`` (one hidden layer only): the hidden sums, the
          gradient sums without the sparsity term, and the two sums that
          term is made of, ``slope_W = sum_i (a_i * (1 - a_i)) x_i^T`` and
          ``slope_b = sum_i a_i * (1 - a_i)``, so that the rows need not
          know rho_hat (see :meth:`add_first_layer_sparsity`).
        """
        stage = Stage(stage)
        _, params = self._working_parameters(theta)
        weights = self.layout.unpack(params)
        hidden_sum = self._hidden_pass(weights)
        if stage is Stage.HIDDEN:
            return AutoencoderRowSums(hidden=hidden_sum)
        if stage is Stage.GRADIENT:
            grad_sum, reconstruction_sum = self._backprop_pass(weights, sparsity_deltas)
            return AutoencoderRowSums(grad=grad_sum, losses=reconstruction_sum)
        if self.layout.n_layers != 1:
            raise ValueError(
                f"Stage {stage.name} needs one hidden layer; this network has "
                f"{self.layout.n_layers}."
            )
        slope_W, slope_b = self._slope_pass()
        grad_sum, reconstruction_sum = self._backprop_pass(weights, [None])
        return AutoencoderRowSums(
            grad=grad_sum,
            losses=reconstruction_sum,
            hidden=hidden_sum,
            slope_W=slope_W,
            slope_b=slope_b,
        )

    def evaluate_from_sums(self, theta, sums_of, n_samples):
        """The :class:`~skl_sparseae._kernel.Evaluation` from the row sums
        of all the samples.

        ``sums_of(stage, sparsity_deltas)`` returns :meth:`row_sums` added
        over every row of the data (this object may hold none of them). One
        hidden layer takes one stage: the sparsity term is added here from
        the slope sums. A deeper network takes two: the hidden sums give
        every rho_hat, then the gradient sums with its sparsity deltas.
        """
        theta = np.asarray(theta, dtype=np.float64)
        if self.layout.n_layers == 1:
            sums = sums_of(Stage.ONE_PASS, None)
            rho_hats, sparsity_deltas = self.sparsity_deltas(sums.hidden, n_samples)
            self.add_first_layer_sparsity(sums, sparsity_deltas[0])
        else:
            hidden = sums_of(Stage.HIDDEN, None).hidden
            rho_hats, sparsity_deltas = self.sparsity_deltas(hidden, n_samples)
            sums = sums_of(Stage.GRADIENT, sparsity_deltas)
        return self.total(theta, sums.grad, sums.losses, n_samples, rho_hats)

    def sparsity_deltas(self, hidden_sum, n_samples, xp=np):
        """``(rho_hats, deltas)``: each encoder layer's mean activation
        ``rho_hat_l`` and ``beta_l * KL'(rho_l, rho_hat_l)`` (float64), from
        the hidden activations' column sums over all ``n_samples`` (in the
        namespace ``xp``, where they were summed).

        Each sample's delta at encoder layer l gets this term (see the user
        guide for why the 1/m is applied once, to the summed gradient).
        """
        rho_hats = self.rho_hats(hidden_sum, n_samples, xp)
        deltas = [
            beta * kl_divergence_derivative(rho, rho_hat)
            for rho, beta, rho_hat in zip(self.rho, self.beta, rho_hats, strict=True)
        ]
        return rho_hats, deltas

    def rho_hats(self, hidden_sum, n_samples, xp=np):
        """Each encoder layer's mean activation ``rho_hat_l`` (float64, kept
        off 0 and 1), from the column sums of all ``n_samples``."""
        bounds = np.cumsum((0,) + self.layout.hidden_layer_sizes)
        return tuple(
            clipped_rho_hat(hidden_sum[start:stop], n_samples, xp)
            for start, stop in zip(bounds[:-1], bounds[1:], strict=True)
        )

    def add_first_layer_sparsity(self, sums, sparsity_delta):
        """Add the sparsity term to the gradient sums of a one-layer network
        (``sums``, the :class:`~skl_sparseae._kernel.RowSums` of
        ``Stage.ONE_PASS``).

        delta_hidden_i = (W2 delta_out_i + s) * a_i * (1 - a_i), with
        s = beta KL'(rho_hat), so the part of dW1 = sum_i delta_hidden_i
        x_i^T that s contributes is diag(s) sum_i (a_i * (1 - a_i)) x_i^T =
        s[:, None] * slope_W, and that of db1 is s * slope_b.
        """
        W_enc, _, b_enc, _ = self.layout.unpack(sums.grad)
        W_enc[0] += sparsity_delta[:, None] * sums.slope_W
        b_enc[0] += sparsity_delta * sums.slope_b

    def total(
        self, theta, grad_sum, reconstruction_sum, n_samples, rho_hats, codes=None
    ):
        """The :class:`~skl_sparseae._kernel.Evaluation` from the gradient
        and loss sums over all samples (``grad_sum`` is overwritten) and
        every layer's ``rho_hats``."""
        grad = grad_sum
        # The 1/m of the mean, once, then weight decay: d/dW (alpha/2)||W||^2.
        grad /= n_samples
        n_weights = self.layout.n_weights
        grad[:n_weights] += self.alpha * theta[:n_weights]

        weight_norm = float(np.dot(theta[:n_weights], theta[:n_weights]))
        terms = {
            "reconstruction": float(reconstruction_sum[0]) / n_samples,
            "weight_decay": 0.5 * self.alpha * weight_norm,
            "sparsity": sum(
                beta * float(np.sum(kl_divergence(rho, rho_hat)))
                for rho, beta, rho_hat in zip(
                    self.rho, self.beta, rho_hats, strict=True
                )
            ),
        }
        J = terms["reconstruction"] + terms["weight_decay"] + terms["sparsity"]
        return Evaluation(J, grad, terms, rho_hats=rho_hats, codes=codes)

    # The passes over this objective's rows --------------------------------

    def _hidden_pass(self, weights):
        """Encoder activations of every row into ``activations``; returns
        their column sums (all layers, float64)."""
        chunks = self._chunks
        hidden_sum = self._ops.zeros(sum(self.layout.hidden_layer_sizes))

        def hidden_chunk(work, c):
            self._encoder_chunk(work, *chunks[c], weights)

        self._runner.run(
            len(chunks),
            self._workspaces,
            hidden_chunk,
            lambda work: (work.hidden_share,),
            (hidden_sum,),
        )
        return hidden_sum

    def _backprop_pass(self, weights, sparsity_deltas):
        """``(sum_i dL_i/dtheta, [sum_i L_i])`` over the rows, float64, from
        the stored activations; ``sparsity_deltas`` (float64, or None per
        layer) are cast to X's dtype."""
        chunks = self._chunks
        dtype = self.X.dtype
        ops = self._ops
        sparsity_deltas = [
            None if delta is None else ops.astype(delta, dtype, copy=True)
            for delta in sparsity_deltas
        ]
        grad_sum = ops.zeros(self.layout.n_parameters)
        reconstruction_sum = ops.zeros(1)

        def backprop_chunk(work, c):
            work.loss_share = ops.loss_share(
                self._backprop_chunk(work, *chunks[c], weights, sparsity_deltas),
                work.loss_share,
            )

        self._runner.run(
            len(chunks),
            self._workspaces,
            backprop_chunk,
            lambda work: (work.grad_share, work.loss_share),
            (grad_sum, reconstruction_sum),
        )
        return grad_sum, reconstruction_sum

    def _slope_pass(self):
        """``(sum_i (a_i * (1 - a_i)) x_i^T, sum_i a_i * (1 - a_i))`` of the
        first encoder layer over the rows, float64, from the stored
        activations."""
        chunks = self._chunks
        rows, cols = self.layout.pair_shapes[0]
        slope_W, slope_b = np.zeros((rows, cols)), np.zeros(rows)
        for work in self._workspaces:
            if work.slope_share is None:
                work.slope_share = (
                    np.empty((rows, cols), dtype=self.X.dtype),
                    np.empty(rows, dtype=self.X.dtype),
                )

        def slope_chunk(work, c):
            start, stop = chunks[c]
            A = self._activations[0][start:stop]
            # a * (1 - a), the sigmoid's slope, into the chunk's delta buffer
            slope = np.subtract(1.0, A, out=work.delta[0][: stop - start])
            slope *= A
            if self.sample_weight is not None:
                # sum_i w_i (a_i * (1 - a_i)) x_i^T and sum_i w_i a_i * (1 - a_i)
                slope *= self._chunk_weights(start, stop)
            X_chunk = self.X[start:stop]
            if self._sparse:
                work.slope_share[0][:] = (X_chunk.T @ slope).T
            else:
                np.matmul(slope.T, X_chunk, out=work.slope_share[0])
            column_sums(slope, work.ones, out=work.slope_share[1])

        self._runner.run(
            len(chunks),
            self._workspaces,
            slope_chunk,
            lambda work: work.slope_share,
            (slope_W, slope_b),
        )
        return slope_W, slope_b

    def _encoder_chunk(self, work, start, stop, weights):
        """a_l = sigmoid(a_(l-1) @ W_enc[l].T + b_enc[l]) for the chunk's rows,
        into the stored activations; the column sums into ``hidden_share``."""
        W_enc, _, b_enc, _ = weights
        ops = self._ops
        layer_input = self.X[start:stop, :]
        # sum_i a_l(x_i), or with sample weights sum_i w_i a_l(x_i): the
        # product with the rows' ones, or with their weights.
        ones = (
            work.ones if self.sample_weight is None else self.sample_weight[start:stop]
        )
        position, hidden_sums = 0, []
        for W, b, activations in zip(W_enc, b_enc, self._activations, strict=True):
            A = encode(
                layer_input, W, b, out=ops.part(activations, start, stop), ops=ops
            )
            ops.put_rows(activations, start, stop, A)
            width = A.shape[1]
            hidden_sums.append(
                column_sums(
                    A,
                    ones,
                    out=ops.part(work.hidden_share, position, position + width),
                    ops=ops,
                )
            )
            position += width
            layer_input = A
        work.hidden_share = ops.pack(hidden_sums, work.hidden_share)

    def _backprop_chunk(self, work, start, stop, weights, sparsity_deltas):
        """One chunk's share of the loss sum and of the gradient sums.

        Writes ``sum_i dL_i/dtheta`` over the chunk's rows into
        ``work.grad_share`` (before the 1/m and weight decay) and returns
        ``sum_i L_i``. With one hidden layer this is the classic sequence:
        z_out = A W2 + b2; delta_out; dW2 = A^T delta_out; delta_hidden =
        (delta_out W2^T + beta KL'(rho_hat)) a (1 - a); dW1 = delta_hidden^T X.
        """
        ops = self._ops
        W_enc, W_dec, _, b_dec = weights
        share_W_enc, share_W_dec, share_b_enc, share_b_dec = work.shares
        L = self.layout.n_layers
        rows = stop - start
        X_chunk = self.X[start:stop, :]
        X_dense = X_chunk.toarray() if self._sparse else X_chunk
        # Encoder activations of the chunk: a_0 = X, a_1, ..., a_L (the code).
        encoded = [X_chunk] + [A[start:stop, :] for A in self._activations]

        # Decoder forward: from the code down to the output.
        # hidden:  a'_(l-1) = sigmoid(a'_l @ W_dec[l] + b_dec[l]),  l = L..2
        # output:  z_out = a'_1 @ W_dec[1] + b_dec[1],  x_hat = f(z_out)
        decoder_inputs = {L: encoded[L]}
        for layer in range(L, 1, -1):
            Z = ops.matmul(
                decoder_inputs[layer],
                W_dec[layer - 1],
                out=ops.rows(work.decoder_hidden[layer - 2], rows),
            )
            Z += b_dec[layer - 1]
            decoder_inputs[layer - 1] = ops.sigmoid(Z)
        Z_out = ops.matmul(decoder_inputs[1], W_dec[0], out=ops.rows(work.out, rows))
        Z_out += b_dec[0]
        # With sample weights, sample i's loss and deltas carry w_i: delta_out
        # is scaled here, and everything below is linear in it, but for the
        # sparsity term, scaled where it is added (_delta_below).
        weights_column = self._chunk_weights(start, stop)
        chunk_loss, delta = self._reconstruction(work, Z_out, X_dense, weights_column)

        # Backward through the decoder, l = 1..L. With a = the layer's input:
        #   dW_dec[l] = a^T delta ;  db_dec[l] = sum_i delta_i
        #   delta <- (delta @ W_dec[l]^T [+ beta_L KL'(rho_hat_L) at the code])
        #            * a * (1 - a)
        for layer in range(1, L + 1):
            layer_input = decoder_inputs[layer]
            share_W_dec[layer - 1] = ops.matmul(
                layer_input.T, delta, out=share_W_dec[layer - 1]
            )
            share_b_dec[layer - 1] = column_sums(
                delta, work.ones, out=share_b_dec[layer - 1], ops=ops
            )
            delta = self._delta_below(
                work,
                delta,
                W_dec[layer - 1].T,
                layer_input,
                layer,
                sparsity_deltas[L - 1] if layer == L else None,
                weights_column,
            )

        # Backward through the encoder, l = L..1. With a_(l-1) its input:
        #   dW_enc[l] = delta^T a_(l-1) ;  db_enc[l] = sum_i delta_i
        #   delta <- (delta @ W_enc[l] + beta_(l-1) KL'(rho_hat_(l-1)))
        #            * a_(l-1) * (1 - a_(l-1))
        for layer in range(L, 0, -1):
            if layer == 1 and self._sparse:
                share_W_enc[0][:] = (X_chunk.T @ delta).T
            else:
                share_W_enc[layer - 1] = ops.matmul(
                    delta.T, encoded[layer - 1], out=share_W_enc[layer - 1]
                )
            share_b_enc[layer - 1] = column_sums(
                delta, work.ones, out=share_b_enc[layer - 1], ops=ops
            )
            if layer > 1:
                delta = self._delta_below(
                    work,
                    delta,
                    W_enc[layer - 1],
                    encoded[layer - 1],
                    layer - 1,
                    sparsity_deltas[layer - 2],
                    weights_column,
                )
        if self.tied_weights:
            # Each W serves as encoder and decoder: add the gradients of both.
            for encoder_share, decoder_share in zip(
                share_W_enc, share_W_dec, strict=True
            ):
                encoder_share += decoder_share
        work.grad_share = ops.pack(
            self.layout.flat_order(share_W_enc, share_W_dec, share_b_enc, share_b_dec),
            work.grad_share,
        )
        return chunk_loss

    def _delta_below(self, work, delta, W, A, layer, sparsity_delta, weights_column):
        """(delta @ W + sparsity_delta) * A * (1 - A), into layer's buffer;
        with sample weights the rows of delta carry w_i already, and the
        sparsity term gets w_i here."""
        ops = self._ops
        rows = delta.shape[0]
        below = ops.matmul(delta, W, out=ops.rows(work.delta[layer - 1], rows))
        if sparsity_delta is not None:
            if weights_column is None:
                below += sparsity_delta
            else:
                below += weights_column * sparsity_delta
        return ops.times_logistic_slope(
            below, A, out=ops.rows(work.slope[layer - 1], rows)
        )

    def _reconstruction(self, work, Z_out, X_chunk, weights_column=None):
        """Sum of L_i over the chunk, and delta_out = dL_i/dz_out (in a buffer);
        with sample weights (a column), sum_i w_i L_i and w_i dL_i/dz_out.

        ``Z_out`` is overwritten.
        """
        ops = self._ops
        if self.loss == "cross_entropy":
            # L = sum_d softplus(z_d) - x_d z_d   (see reconstruction_loss_per_sample)
            if weights_column is None:
                chunk_loss = ops.softplus_minus_product_sum(Z_out, X_chunk)
            else:
                per_sample = ops.sum_per_row(ops.softplus(Z_out) - X_chunk * Z_out)
                chunk_loss = ops.weighted_sum(per_sample, weights_column)
            # delta_out = sigmoid(z) - x
            X_hat = ops.sigmoid(Z_out)
            X_hat -= X_chunk
            return chunk_loss, times_row_weights(X_hat, weights_column, ops)
        if self.decoder_activation == "identity":
            # delta_out = x_hat - x ;  L = 1/2 ||x_hat - x||^2
            Z_out -= X_chunk
            chunk_loss = _half_squared_norm(Z_out, weights_column, ops)
            return chunk_loss, times_row_weights(Z_out, weights_column, ops)
        # Logistic decoder, squared error:
        # delta_out = (x_hat - x) * x_hat * (1 - x_hat)
        X_hat = ops.sigmoid(Z_out)
        residual = ops.subtract(
            X_hat, X_chunk, out=ops.rows(work.residual, Z_out.shape[0])
        )
        chunk_loss = _half_squared_norm(residual, weights_column, ops)
        delta = ops.times_logistic_slope(residual, X_hat, out=X_hat)
        return chunk_loss, times_row_weights(delta, weights_column, ops)


class SparseAutoencoderObjective(AutoencoderObjective):
    """J and its gradient of the one-hidden-layer sparse autoencoder.

    :class:`AutoencoderObjective` with ``hidden_layer_sizes=(n_components,)``,
    returning ``(loss, grad)`` as
    :func:`skl_sparseae._reference.loss_grad_reference` does.
    """

    def __init__(self, X, *, n_components, rho, beta, **options):
        super().__init__(
            X, hidden_layer_sizes=(n_components,), rho=(rho,), beta=(beta,), **options
        )
        self.n_components = n_components
