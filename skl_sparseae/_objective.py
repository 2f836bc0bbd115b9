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

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from ._engine import (
    ThreadedExecutor,
    default_n_threads,
    resolve_chunk_size,
    row_chunks,
    serial_blas,
)
from ._validation import check_flat_parameters, check_objective_options

# rho_hat is kept inside [_RHO_HAT_FLOOR, 1 - _RHO_HAT_FLOOR] before the logs
# and divisions of the KL term. The floor only acts on units that are
# saturated over the whole data set (every activation rounds to 0 or to 1),
# where the unguarded term is log(0) = -inf; anywhere else it changes nothing.
_RHO_HAT_FLOOR = float(np.finfo(np.float64).eps)

LOSSES = ("squared_error", "cross_entropy")
DECODER_ACTIVATIONS = ("logistic", "identity")


def n_parameters(n_features, n_components, tied_weights):
    """Length of the flat parameter vector."""
    n_weight_matrices = 1 if tied_weights else 2
    return n_weight_matrices * n_components * n_features + n_components + n_features


def unpack_parameters(theta, n_features, n_components, tied_weights):
    """Split ``theta`` into ``(W1, W2, b1, b2)``: reshaped views, no copies.

    With tied weights ``W2`` is the very same view as ``W1``.
    """
    weight_size = n_components * n_features
    W1 = theta[:weight_size].reshape(n_components, n_features)
    start = weight_size
    if tied_weights:
        W2 = W1
    else:
        W2 = theta[start : start + weight_size].reshape(n_components, n_features)
        start += weight_size
    b1 = theta[start : start + n_components]
    b2 = theta[start + n_components : start + n_components + n_features]
    return W1, W2, b1, b2


def pack_parameters(W1, W2, b1, b2, tied_weights):
    """The inverse of :func:`unpack_parameters` (``W2`` is ignored when tied)."""
    weights = [W1.ravel()] if tied_weights else [W1.ravel(), W2.ravel()]
    return np.concatenate(weights + [np.ravel(b1), np.ravel(b2)]).astype(np.float64)


def initialization_bound(n_features, n_components):
    """UFLDL's range for initial weights: +-sqrt(6 / (n_in + n_out + 1))."""
    return np.sqrt(6.0 / (n_features + n_components + 1))


def initial_parameters(n_features, n_components, tied_weights, random_state):
    """UFLDL's initialisation: weights uniform in +-sqrt(6 / (n_in + n_out + 1)).

    Biases start at zero. ``random_state`` is a ``numpy.random.RandomState``.
    """
    bound = initialization_bound(n_features, n_components)
    theta = np.zeros(n_parameters(n_features, n_components, tied_weights))
    n_weights = (1 if tied_weights else 2) * n_components * n_features
    theta[:n_weights] = random_state.uniform(-bound, bound, size=n_weights)
    return theta


def clipped_rho_hat(hidden_sum, n_samples):
    """Mean hidden activation, kept off exact 0 and 1 (see ``_RHO_HAT_FLOOR``)."""
    rho_hat = np.asarray(hidden_sum, dtype=np.float64) / n_samples
    return np.clip(rho_hat, _RHO_HAT_FLOOR, 1.0 - _RHO_HAT_FLOOR)


def kl_divergence(rho, rho_hat):
    """KL(rho || rho_hat) = rho log(rho/rho_hat) + (1-rho) log((1-rho)/(1-rho_hat))."""
    return rho * np.log(rho / rho_hat) + (1.0 - rho) * np.log(
        (1.0 - rho) / (1.0 - rho_hat)
    )


def kl_divergence_derivative(rho, rho_hat):
    """d KL(rho || rho_hat) / d rho_hat = -rho/rho_hat + (1-rho)/(1-rho_hat)."""
    return -rho / rho_hat + (1.0 - rho) / (1.0 - rho_hat)


def penalty_terms(theta, rho_hat, *, n_features, n_components, rho, beta, alpha, tied):
    """The two terms of J that do not depend on the samples one by one.

    Returns ``{"weight_decay": (alpha/2) * sum ||W||^2,
    "sparsity": beta * sum_j KL(rho || rho_hat_j)}``.
    """
    n_weights = (1 if tied else 2) * n_components * n_features
    weights = theta[:n_weights]
    return {
        "weight_decay": 0.5 * alpha * float(np.dot(weights, weights)),
        "sparsity": beta * float(np.sum(kl_divergence(rho, rho_hat))),
    }


def penalty(theta, rho_hat, **options):
    """``(alpha/2) * sum ||W||^2 + beta * sum_j KL(rho || rho_hat_j)``."""
    terms = penalty_terms(theta, rho_hat, **options)
    return terms["weight_decay"] + terms["sparsity"]


def reconstruction_loss_per_sample(X, Z_out, loss, decoder_activation):
    """L(x_hat_i, x_i) for each sample, from the decoder's pre-activation.

    squared_error: L = 1/2 ||x_hat - x||^2, with x_hat = f(Z_out).
    cross_entropy: L = -sum_d [x_d log x_hat_d + (1 - x_d) log(1 - x_hat_d)].
        With x_hat = sigmoid(z), log x_hat = z - softplus(z) and
        log(1 - x_hat) = -softplus(z), so L = sum_d [softplus(z_d) - x_d z_d],
        which stays finite however saturated the decoder is.
    ``X`` is dense here.
    """
    if loss == "cross_entropy":
        return np.sum(np.logaddexp(0.0, Z_out) - X * Z_out, axis=1)
    X_hat = expit(Z_out) if decoder_activation == "logistic" else Z_out
    return 0.5 * np.sum((X_hat - X) ** 2, axis=1)


def loss_grad_reference(
    theta,
    X,
    *,
    n_components,
    rho,
    beta,
    alpha,
    loss,
    decoder_activation,
    tied_weights,
):
    """J and its gradient, written as plainly as possible, in float64.

    This is the specification that the fast path the estimator uses is tested
    against. It allocates freely and favours reading over speed::

        J = (1/m) sum_i L(x_hat_i, x_i) + (alpha/2) sum ||W||^2
            + beta sum_j KL(rho || rho_hat_j)

    Parameters
    ----------
    theta : ndarray of shape (n_parameters,)
        Flat parameters ``[W1.ravel(), W2.ravel() (untied only), b1, b2]``,
        with ``W1`` and ``W2`` of shape (n_components, n_features).
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        The data.
    n_components : int
        Number of hidden units.
    rho : float
        Target mean activation, in (0, 1).
    beta : float
        Weight of the sparsity penalty.
    alpha : float
        Weight decay on the weight matrices.
    loss : {"squared_error", "cross_entropy"}
        Reconstruction loss.
    decoder_activation : {"logistic", "identity"}
        Output function.
    tied_weights : bool
        Whether the decoder uses the encoder's weights (``W2 = W1``).

    Returns
    -------
    loss : float
        J at ``theta``.
    grad : ndarray of shape (n_parameters,)
        The gradient of J at ``theta``, float64, in the layout of ``theta``.

    Examples
    --------
    >>> import numpy as np
    >>> from skl_sparseae import loss_grad_reference
    >>> X = np.random.RandomState(0).uniform(size=(10, 4))
    >>> theta = np.zeros(2 * 3 * 4 + 3 + 4)
    >>> J, grad = loss_grad_reference(
    ...     theta, X, n_components=3, rho=0.5, beta=3.0, alpha=1e-4,
    ...     loss="squared_error", decoder_activation="logistic",
    ...     tied_weights=False)
    >>> grad.shape
    (31,)
    """
    check_objective_options(
        n_components=n_components,
        rho=rho,
        beta=beta,
        alpha=alpha,
        loss=loss,
        decoder_activation=decoder_activation,
        tied_weights=tied_weights,
    )
    X = X.toarray() if sp.issparse(X) else X
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2D array; got shape {X.shape}.")
    n_samples, n_features = X.shape
    theta = check_flat_parameters(
        theta,
        n_parameters(n_features, n_components, tied_weights),
        f"n_features={n_features}, n_components={n_components}, "
        f"tied_weights={tied_weights}",
    )
    W1, W2, b1, b2 = unpack_parameters(theta, n_features, n_components, tied_weights)

    # Forward pass.
    # z_hidden = W1 x + b1,  a = sigmoid(z_hidden)
    A = expit(X @ W1.T + b1)
    # rho_hat_j = (1/m) sum_i a_j(x_i): the mean over the whole training set
    rho_hat = clipped_rho_hat(A.sum(axis=0), n_samples)
    # z_out = W2^T a + b2,  x_hat = f(z_out)
    Z_out = A @ W2 + b2
    X_hat = expit(Z_out) if decoder_activation == "logistic" else Z_out

    # J = (1/m) sum_i L_i + (alpha/2) sum ||W||^2 + beta sum_j KL(rho || rho_hat_j)
    J = np.mean(
        reconstruction_loss_per_sample(X, Z_out, loss, decoder_activation)
    ) + penalty(
        theta,
        rho_hat,
        n_features=n_features,
        n_components=n_components,
        rho=rho,
        beta=beta,
        alpha=alpha,
        tied=tied_weights,
    )

    # Backward pass, per sample i (rows), before the 1/m of the mean.
    # delta_out = dL_i/dz_out:
    #   squared_error + logistic:  (x_hat - x) * x_hat * (1 - x_hat)
    #   squared_error + identity:  (x_hat - x)
    #   cross_entropy + logistic:  (x_hat - x)   (the sigmoid's slope cancels)
    delta_out = X_hat - X
    if loss == "squared_error" and decoder_activation == "logistic":
        delta_out = delta_out * X_hat * (1.0 - X_hat)
    # delta_hidden = (W2 delta_out + beta * KL'(rho_hat)) * a * (1 - a)
    # The sparsity term enters each sample's delta whole; the 1/m that
    # d rho_hat / d a_i carries is the same 1/m applied to the summed gradient
    # below, so it is applied once, not twice.
    sparsity_delta = beta * kl_divergence_derivative(rho, rho_hat)
    delta_hidden = (delta_out @ W2.T + sparsity_delta) * A * (1.0 - A)

    # Gradients: (1/m) sum over samples, plus weight decay on the weights.
    grad_W1 = delta_hidden.T @ X / n_samples + alpha * W1
    grad_b1 = delta_hidden.sum(axis=0) / n_samples
    grad_W2 = A.T @ delta_out / n_samples + alpha * W2
    grad_b2 = delta_out.sum(axis=0) / n_samples
    if tied_weights:
        # W is used twice (encoder and decoder): its gradient is the sum of
        # the gradients of both uses, with weight decay counted once.
        grad_W1 = grad_W1 + grad_W2 - alpha * W1
    grad = pack_parameters(grad_W1, grad_W2, grad_b1, grad_b2, tied_weights)
    return float(J), grad


def sigmoid_inplace(Z):
    """Overwrite Z with sigmoid(Z) = 1 / (1 + exp(-Z)); returns Z.

    Four simple passes whose exp numpy vectorises (for float32 on AVX2 too),
    faster than scipy's ``expit`` on both dtypes. exp(-z) overflows to inf
    for z below about -709 (float64) or -88 (float32), and 1 / inf = 0 is
    then the correctly rounded sigmoid, so the overflow warning is silenced.
    """
    np.negative(Z, out=Z)
    with np.errstate(over="ignore"):
        np.exp(Z, out=Z)
    Z += 1.0
    return np.reciprocal(Z, out=Z)


def encode(X, W1, b1, out=None):
    """Hidden activations A = sigmoid(X @ W1.T + b1), written into ``out`` if given.

    ``X`` is dense or scipy.sparse, in the dtype of ``W1`` and ``b1``. Used by
    the objective (chunk by chunk, into its buffer) and by ``transform``, so
    that both compute the codes the same way.
    """
    if sp.issparse(X):
        products = X @ W1.T
        if out is None:
            out = np.asarray(products)
        else:
            out[:] = products
    else:
        out = np.matmul(X, W1.T, out=out)
    out += b1
    return sigmoid_inplace(out)


def _column_sums(M, ones, out=None):
    """``M.sum(axis=0)`` as the product ``ones @ M``: one BLAS call, several
    times faster than numpy's axis-0 reduction on C-ordered arrays."""
    return np.matmul(ones[: M.shape[0]], M, out=out)


class _Workspace:
    """One thread's buffers: one chunk's work space and that chunk's share.

    The share (``hidden_share``, ``loss_share``, ``grad_share``) is in the
    working dtype; the executor adds it into the float64 totals in chunk
    order.
    """

    def __init__(
        self, chunk_rows, n_features, n_components, size, dtype, *, residual, tied
    ):
        self.out = np.empty((chunk_rows, n_features), dtype=dtype)
        # squared error + logistic decoder needs x_hat and x_hat - x at once.
        self.residual = (
            np.empty((chunk_rows, n_features), dtype=dtype) if residual else None
        )
        self.delta_hidden = np.empty((chunk_rows, n_components), dtype=dtype)
        self.hidden_slope = np.empty((chunk_rows, n_components), dtype=dtype)
        self.ones = np.ones(chunk_rows, dtype=dtype)
        self.hidden_share = np.empty(n_components, dtype=dtype)
        self.loss_share = 0.0
        self.grad_share = np.empty(size, dtype=dtype)
        # With tied weights the decoder's use of W gets its own buffer; the
        # two uses are added within the chunk.
        self.decoder_share = (
            np.empty((n_components, n_features), dtype=dtype) if tied else None
        )


class SparseAutoencoderObjective:
    """J and its gradient for one data set, with work buffers allocated once.

    Calling the object with a flat float64 parameter vector returns
    ``(loss, grad)`` exactly like :func:`loss_grad_reference`, but it:

    - computes in the dtype of ``X`` (float32 or float64), accumulating the
      loss and the gradient in float64;
    - allocates its buffers once and reuses them on every call; never copies
      ``X``;
    - works through the samples in row chunks, so that memory beyond ``X``
      and the hidden activations is bounded by the chunk size, and each
      chunk's elementwise work stays in cache. The result is still the exact
      full-batch J: a first pass over all chunks forms ``rho_hat``, which
      every hidden delta needs, a second forms the deltas and the gradient;
    - runs the chunks on ``n_threads`` threads (see
      :mod:`skl_sparseae._engine`), adding each chunk's share into the
      totals in chunk order. The result depends on X, theta and the chunk
      size only: the same bits on any number of threads.

    Rounding: each chunk's share is summed in X's dtype and the shares are
    added in float64, so a different ``chunk_size`` groups the same terms
    differently. The results agree to rounding (about 1e-16 relative in
    float64, 1e-7 in float32), not bit for bit.

    Memory: ``hidden_activations`` (n_samples x n_components) plus, per
    thread, about ``2 * chunk_size * n_features + 2 * chunk_size *
    n_components`` entries of X's dtype and one vector of the parameters'
    size.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or CSR matrix
        float32 or float64. Dense X should be C-contiguous.
    chunk_size : int, "auto" or None, default="auto"
        Rows per chunk. None processes all rows as one chunk (the plain,
        unchunked evaluation); "auto" picks cache-sized chunks.
    n_threads : int or None, default=None
        Threads to work on chunks with; None uses as many as BLAS would
        (:func:`~skl_sparseae._engine.default_n_threads`). Never more than
        there are chunks.
    Other parameters are those of the estimator.

    Attributes
    ----------
    hidden_activations : ndarray of shape (n_samples, n_components)
        A = sigmoid(X @ W1.T + b1) at the parameters of the last call.
    rho_hat : ndarray of shape (n_components,)
        Mean hidden activation at the parameters of the last call.
    terms : dict
        J's three terms at the parameters of the last call:
        ``"reconstruction"``, ``"weight_decay"`` and ``"sparsity"``.
    """

    def __init__(
        self,
        X,
        *,
        n_components,
        rho,
        beta,
        alpha,
        loss,
        decoder_activation,
        tied_weights,
        chunk_size="auto",
        n_threads=None,
    ):
        n_samples, n_features = X.shape
        dtype = X.dtype
        self.X = X
        self.n_components = n_components
        self.rho = rho
        self.beta = beta
        self.alpha = alpha
        self.loss = loss
        self.decoder_activation = decoder_activation
        self.tied_weights = tied_weights
        self._sparse = sp.issparse(X)
        self.chunk_size = resolve_chunk_size(chunk_size, n_samples, n_features)
        self._chunks = row_chunks(n_samples, self.chunk_size)
        if n_threads is None:
            n_threads = default_n_threads()
        # No more threads than chunks: data of one chunk runs on one thread.
        self.n_threads = max(1, min(int(n_threads), len(self._chunks)))
        self._executor = ThreadedExecutor(self.n_threads)

        size = n_parameters(n_features, n_components, tied_weights)
        # Parameters in the working dtype (float32 training casts theta once
        # per call; float64 uses theta itself).
        self._params = None if dtype == np.float64 else np.empty(size, dtype=dtype)
        self.hidden_activations = np.empty((n_samples, n_components), dtype=dtype)
        self.rho_hat = None
        self.terms = None
        needs_residual = loss == "squared_error" and decoder_activation == "logistic"
        self._workspaces = [
            _Workspace(
                self.chunk_size,
                n_features,
                n_components,
                size,
                dtype,
                residual=needs_residual,
                tied=tied_weights,
            )
            for _ in range(self.n_threads)
        ]

    def close(self):
        """Stop the worker threads (started on the first call that needs them)."""
        self._executor.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __call__(self, theta):
        if self.n_threads == 1:
            return self._evaluate(theta)
        # Threads calling a multithreaded BLAS at once can corrupt its
        # buffers (OpenBLAS); each chunk thread's products run serially.
        # Inside a fit this is already held, and entering again is cheap.
        with serial_blas():
            return self._evaluate(theta)

    def _evaluate(self, theta):
        n_samples, n_features = self.X.shape
        k = self.n_components
        tied = self.tied_weights
        theta = np.asarray(theta, dtype=np.float64)
        if self._params is None:
            params = theta
        else:
            params = self._params
            params[:] = theta
        W1, W2, b1, b2 = unpack_parameters(params, n_features, k, tied)
        chunks = self._chunks

        # Pass 1: A = sigmoid(X @ W1.T + b1) for every sample, and
        # rho_hat = (1/m) sum_i a_i, which every hidden delta needs.
        hidden_sum = np.zeros(k)

        def hidden_chunk(work, c):
            start, stop = chunks[c]
            A = self.hidden_activations[start:stop]
            encode(self.X[start:stop], W1, b1, out=A)
            _column_sums(A, work.ones, out=work.hidden_share)

        def add_hidden(work, c):
            np.add(hidden_sum, work.hidden_share, out=hidden_sum)

        self._executor.run(len(chunks), self._workspaces, hidden_chunk, add_hidden)
        rho_hat = clipped_rho_hat(hidden_sum, n_samples)
        self.rho_hat = rho_hat
        # Each sample's hidden delta gets beta * KL'(rho_hat) (see the user
        # guide for why the 1/m is applied once, to the summed gradient).
        sparsity_delta = (
            self.beta * kl_divergence_derivative(self.rho, rho_hat)
        ).astype(self.hidden_activations.dtype)

        # Pass 2: reconstruction, deltas and gradient shares, chunk by chunk.
        grad = np.zeros_like(theta)
        reconstruction_sum = [0.0]

        def backprop_chunk(work, c):
            start, stop = chunks[c]
            work.loss_share = self._backprop_chunk(
                work, start, stop, W1=W1, W2=W2, b2=b2, sparsity_delta=sparsity_delta
            )

        def add_backprop(work, c):
            reconstruction_sum[0] += work.loss_share
            np.add(grad, work.grad_share, out=grad)

        self._executor.run(len(chunks), self._workspaces, backprop_chunk, add_backprop)

        # The 1/m of the mean, once, then weight decay: d/dW (alpha/2)||W||^2.
        grad /= n_samples
        n_weights = (1 if tied else 2) * k * n_features
        grad[:n_weights] += self.alpha * theta[:n_weights]

        self.terms = penalty_terms(
            theta,
            rho_hat,
            n_features=n_features,
            n_components=k,
            rho=self.rho,
            beta=self.beta,
            alpha=self.alpha,
            tied=tied,
        )
        self.terms["reconstruction"] = reconstruction_sum[0] / n_samples
        J = (
            self.terms["reconstruction"]
            + self.terms["weight_decay"]
            + self.terms["sparsity"]
        )
        return J, grad

    def _backprop_chunk(self, work, start, stop, *, W1, W2, b2, sparsity_delta):
        """One chunk's share of the loss sum and of the gradient sums.

        Writes ``sum_i dL_i/dtheta`` over the chunk's rows into
        ``work.grad_share`` (before the 1/m and weight decay) and returns
        ``sum_i L_i``.
        """
        n_features = self.X.shape[1]
        k = self.n_components
        tied = self.tied_weights
        rows = stop - start
        A = self.hidden_activations[start:stop]
        X_chunk = self.X[start:stop]
        X_dense = X_chunk.toarray() if self._sparse else X_chunk
        share_W1, share_W2, share_b1, share_b2 = unpack_parameters(
            work.grad_share, n_features, k, tied
        )
        if tied:
            share_W2 = work.decoder_share

        # z_out = A @ W2 + b2
        Z_out = work.out[:rows]
        np.matmul(A, W2, out=Z_out)
        Z_out += b2
        chunk_loss, delta_out = self._reconstruction(work, Z_out, X_dense)

        # dW2 = A^T delta_out ;  db2 = sum_i delta_out_i
        np.matmul(A.T, delta_out, out=share_W2)
        _column_sums(delta_out, work.ones, out=share_b2)

        # delta_hidden = (delta_out @ W2.T + beta KL'(rho_hat)) * a * (1 - a)
        delta_hidden = work.delta_hidden[:rows]
        np.matmul(delta_out, W2.T, out=delta_hidden)
        delta_hidden += sparsity_delta
        delta_hidden *= A
        delta_hidden *= np.subtract(1.0, A, out=work.hidden_slope[:rows])

        # dW1 = delta_hidden^T X ;  db1 = sum_i delta_hidden_i
        if self._sparse:
            share_W1[:] = (X_chunk.T @ delta_hidden).T
        else:
            np.matmul(delta_hidden.T, X_chunk, out=share_W1)
        _column_sums(delta_hidden, work.ones, out=share_b1)
        if tied:
            # W serves as encoder and decoder: add the gradients of both uses.
            share_W1 += share_W2
        return chunk_loss

    def _reconstruction(self, work, Z_out, X_chunk):
        """Sum of L_i over the chunk, and delta_out = dL_i/dz_out (in a buffer).

        ``Z_out`` is overwritten.
        """
        if self.loss == "cross_entropy":
            # L = sum_d softplus(z_d) - x_d z_d   (see reconstruction_loss_per_sample)
            chunk_loss = float(
                np.sum(np.logaddexp(0.0, Z_out), dtype=np.float64)
            ) - float(np.vdot(X_chunk, Z_out))
            # delta_out = sigmoid(z) - x
            X_hat = sigmoid_inplace(Z_out)
            X_hat -= X_chunk
            return chunk_loss, X_hat
        if self.decoder_activation == "identity":
            # delta_out = x_hat - x ;  L = 1/2 ||x_hat - x||^2
            Z_out -= X_chunk
            return 0.5 * float(np.vdot(Z_out, Z_out)), Z_out
        # Logistic decoder, squared error:
        # delta_out = (x_hat - x) * x_hat * (1 - x_hat)
        X_hat = sigmoid_inplace(Z_out)
        residual = np.subtract(X_hat, X_chunk, out=work.residual[: len(Z_out)])
        chunk_loss = 0.5 * float(np.vdot(residual, residual))
        residual *= X_hat
        residual *= np.subtract(1.0, X_hat, out=X_hat)
        return chunk_loss, residual
