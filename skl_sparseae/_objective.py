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


def initial_parameters(n_features, n_components, tied_weights, random_state):
    """UFLDL's initialisation: weights uniform in +-sqrt(6 / (n_in + n_out + 1)).

    Biases start at zero. ``random_state`` is a ``numpy.random.RandomState``.
    """
    bound = np.sqrt(6.0 / (n_features + n_components + 1))
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


def penalty(theta, rho_hat, *, n_features, n_components, rho, beta, alpha, tied):
    """The two terms of J that do not depend on the samples one by one.

    Returns ``(alpha/2) * sum ||W||^2 + beta * sum_j KL(rho || rho_hat_j)``.
    """
    n_weights = (1 if tied else 2) * n_components * n_features
    weights = theta[:n_weights]
    weight_decay = 0.5 * alpha * float(np.dot(weights, weights))
    sparsity = beta * float(np.sum(kl_divergence(rho, rho_hat)))
    return weight_decay + sparsity


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

    This is the specification that the fast path
    (:class:`SparseAutoencoderObjective`) is tested against. It allocates
    freely and favours reading over speed.

    Returns
    -------
    loss : float
    grad : ndarray of shape (len(theta),), float64
    """
    X = X.toarray() if sp.issparse(X) else X
    X = np.asarray(X, dtype=np.float64)
    theta = np.asarray(theta, dtype=np.float64)
    n_samples, n_features = X.shape
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


def _row_chunks(n_samples, chunk_size):
    for start in range(0, n_samples, chunk_size):
        yield start, min(start + chunk_size, n_samples)


class SparseAutoencoderObjective:
    """J and its gradient for one data set, with work buffers allocated once.

    Calling the object with a flat float64 parameter vector returns
    ``(loss, grad)`` exactly like :func:`loss_grad_reference`, but it:

    - computes in the dtype of ``X`` (float32 or float64), accumulating the
      loss and the gradient in float64;
    - reuses its buffers from one call to the next and never copies ``X``;
    - works through the samples in row chunks of ``chunk_size``, so that
      memory beyond the hidden activations is bounded by the chunk. The
      result is still the exact full-batch J: a first pass over all chunks
      forms ``rho_hat``, a second forms the deltas and the gradient.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or CSR matrix
        float32 or float64. Dense X should be C-contiguous.
    chunk_size : int or None
        Rows per chunk; None processes all rows at once.
    Other parameters are those of the estimator.

    Attributes
    ----------
    hidden_activations : ndarray of shape (n_samples, n_components)
        A = sigmoid(X @ W1.T + b1) at the parameters of the last call.
    rho_hat : ndarray of shape (n_components,)
        Mean hidden activation at the parameters of the last call.
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
        chunk_size=None,
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
        self.chunk_size = (
            n_samples if chunk_size is None else min(chunk_size, n_samples)
        )
        self._sparse = sp.issparse(X)

        chunk = self.chunk_size
        size = n_parameters(n_features, n_components, tied_weights)
        # Parameters in the working dtype (float32 training casts theta once
        # per call; float64 uses theta itself).
        self._params = None if dtype == np.float64 else np.empty(size, dtype=dtype)
        self.hidden_activations = np.empty((n_samples, n_components), dtype=dtype)
        self.rho_hat = None
        # Per-chunk buffers.
        self._out = np.empty((chunk, n_features), dtype=dtype)
        self._residual = (
            np.empty((chunk, n_features), dtype=dtype)
            if loss == "squared_error" and decoder_activation == "logistic"
            else None
        )
        self._delta_hidden = np.empty((chunk, n_components), dtype=dtype)
        self._hidden_slope = np.empty((chunk, n_components), dtype=dtype)
        self._weight_grad_chunk = np.empty((n_components, n_features), dtype=dtype)
        # Gradient accumulators, float64.
        self._grad = np.empty(size, dtype=np.float64)
        self._grad_decoder_tied = (
            np.empty((n_components, n_features)) if tied_weights else None
        )

    def __call__(self, theta):
        X = self.X
        n_samples, n_features = X.shape
        k = self.n_components
        tied = self.tied_weights
        rho, beta, alpha = self.rho, self.beta, self.alpha

        if self._params is None:
            params = theta
        else:
            params = self._params
            params[:] = theta
        W1, W2, b1, b2 = unpack_parameters(params, n_features, k, tied)

        grad = self._grad
        grad.fill(0.0)
        grad_W1, grad_W2, grad_b1, grad_b2 = unpack_parameters(
            grad, n_features, k, tied
        )
        if tied:
            grad_W2 = self._grad_decoder_tied
            grad_W2.fill(0.0)

        # Pass 1: A = sigmoid(X @ W1.T + b1) for every sample, and
        # rho_hat = (1/m) sum_i a_i, which every hidden delta needs.
        A_all = self.hidden_activations
        hidden_sum = np.zeros(k)
        for start, stop in _row_chunks(n_samples, self.chunk_size):
            A = A_all[start:stop]
            if self._sparse:
                A[:] = X[start:stop] @ W1.T
            else:
                np.matmul(X[start:stop], W1.T, out=A)
            A += b1
            expit(A, out=A)
            hidden_sum += A.sum(axis=0, dtype=np.float64)
        rho_hat = clipped_rho_hat(hidden_sum, n_samples)
        self.rho_hat = rho_hat
        # Each sample's hidden delta gets beta * KL'(rho_hat) (see the user
        # guide for why the 1/m is applied once, to the summed gradient).
        sparsity_delta = (beta * kl_divergence_derivative(rho, rho_hat)).astype(
            A_all.dtype
        )

        # Pass 2: reconstruction, deltas and gradient sums, chunk by chunk.
        reconstruction_sum = 0.0
        for start, stop in _row_chunks(n_samples, self.chunk_size):
            rows = stop - start
            A = A_all[start:stop]
            X_chunk = X[start:stop].toarray() if self._sparse else X[start:stop]

            # z_out = A @ W2 + b2
            Z_out = self._out[:rows]
            np.matmul(A, W2, out=Z_out)
            Z_out += b2
            chunk_loss, delta_out = self._reconstruction(Z_out, X_chunk, rows)
            reconstruction_sum += chunk_loss

            # grad_W2 += A^T delta_out ;  grad_b2 += sum_i delta_out_i
            grad_W2 += np.matmul(A.T, delta_out, out=self._weight_grad_chunk)
            grad_b2 += delta_out.sum(axis=0, dtype=np.float64)

            # delta_hidden = (delta_out @ W2.T + beta * KL'(rho_hat)) * a * (1 - a)
            delta_hidden = self._delta_hidden[:rows]
            np.matmul(delta_out, W2.T, out=delta_hidden)
            delta_hidden += sparsity_delta
            delta_hidden *= A
            hidden_slope = np.subtract(1.0, A, out=self._hidden_slope[:rows])
            delta_hidden *= hidden_slope

            # grad_W1 += delta_hidden^T X ;  grad_b1 += sum_i delta_hidden_i
            if self._sparse:
                grad_W1 += (X[start:stop].T @ delta_hidden).T
            else:
                grad_W1 += np.matmul(
                    delta_hidden.T, X_chunk, out=self._weight_grad_chunk
                )
            grad_b1 += delta_hidden.sum(axis=0, dtype=np.float64)

        # The 1/m of the mean, once, then weight decay: d/dW (alpha/2)||W||^2.
        grad /= n_samples
        if tied:
            # W serves as encoder and decoder: sum the gradients of both uses.
            grad_W1 += grad_W2 / n_samples
        n_weights = (1 if tied else 2) * k * n_features
        grad[:n_weights] += alpha * np.asarray(theta[:n_weights])

        J = reconstruction_sum / n_samples + penalty(
            np.asarray(theta, dtype=np.float64),
            rho_hat,
            n_features=n_features,
            n_components=k,
            rho=rho,
            beta=beta,
            alpha=alpha,
            tied=tied,
        )
        return J, grad.copy()

    def _reconstruction(self, Z_out, X_chunk, rows):
        """Sum of L_i over the chunk, and delta_out = dL_i/dz_out (in a buffer).

        ``Z_out`` is overwritten.
        """
        if self.loss == "cross_entropy":
            # L = sum_d softplus(z_d) - x_d z_d   (see reconstruction_loss_per_sample)
            chunk_loss = float(
                np.sum(np.logaddexp(0.0, Z_out), dtype=np.float64)
            ) - float(np.vdot(X_chunk, Z_out))
            # delta_out = sigmoid(z) - x
            X_hat = expit(Z_out, out=Z_out)
            X_hat -= X_chunk
            return chunk_loss, X_hat
        if self.decoder_activation == "identity":
            # delta_out = x_hat - x ;  L = 1/2 ||x_hat - x||^2
            Z_out -= X_chunk
            return 0.5 * float(np.vdot(Z_out, Z_out)), Z_out
        # Logistic decoder, squared error:
        # delta_out = (x_hat - x) * x_hat * (1 - x_hat)
        X_hat = expit(Z_out, out=Z_out)
        residual = np.subtract(X_hat, X_chunk, out=self._residual[:rows])
        chunk_loss = 0.5 * float(np.vdot(residual, residual))
        residual *= X_hat
        one_minus_X_hat = np.subtract(1.0, X_hat, out=X_hat)
        residual *= one_minus_X_hat
        return chunk_loss, residual
