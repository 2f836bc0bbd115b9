"""Forward passes the estimators' predictions run: encoding through one
layer or several, the per-sample reconstruction loss, and the softmax.

In NumPy by default, or with an Array API namespace's operations (``ops``);
the notation is :mod:`skl_sparseae._autoencoder_objective`'s.
"""

import numpy as np
import scipy.sparse as sp

from ._array_ops import NUMPY_OPS


def reconstruction_loss_per_sample(X, Z_out, loss, decoder_activation, ops=NUMPY_OPS):
    """L(x_hat_i, x_i) for each sample, from the decoder's pre-activation.

    squared_error: L = 1/2 ||x_hat - x||^2, with x_hat = f(Z_out).
    cross_entropy: L = -sum_d [x_d log x_hat_d + (1 - x_d) log(1 - x_hat_d)].
        With x_hat = sigmoid(z), log x_hat = z - softplus(z) and
        log(1 - x_hat) = -softplus(z), so L = sum_d [softplus(z_d) - x_d z_d],
        which stays finite however saturated the decoder is.
    ``X`` is dense here (arrays of ``ops``' namespace).
    """
    xp = ops.xp
    if loss == "cross_entropy":
        return xp.sum(ops.softplus(Z_out) - X * Z_out, axis=1)
    X_hat = ops.expit(Z_out) if decoder_activation == "logistic" else Z_out
    return 0.5 * xp.sum((X_hat - X) ** 2, axis=1)


def encode(X, W1, b1, out=None, ops=NUMPY_OPS):
    """Hidden activations A = sigmoid(X @ W1.T + b1), written into ``out`` if given.

    ``X`` is dense or scipy.sparse (or an array of ``ops``' namespace), in
    the dtype of ``W1`` and ``b1``. Used by the objective (chunk by chunk,
    into its buffer) and by ``transform``, so that both compute the codes
    the same way.
    """
    if sp.issparse(X):
        products = X @ W1.T
        if out is None:
            out = np.asarray(products)
        else:
            out[:] = products
    else:
        out = ops.matmul(X, W1.T, out=out)
    out += b1
    return ops.sigmoid(out)


def encode_layers(X, coefs, intercepts, ops):
    """The last of ``a_l = sigmoid(a_(l-1) @ coefs[l] + intercepts[l])``,
    ``a_0 = X``, computed in X's dtype (``ops``: where X is): a fitted
    network's encoder, with weights in scikit-learn's ``coefs_`` convention
    ``(n_in, n_out)``."""
    H = X
    for W, b in zip(coefs, intercepts, strict=True):
        H = encode(H, ops.astype(W.T, X.dtype), ops.astype(b, X.dtype), ops=ops)
    return H


def softmax_inplace(Z, ops=NUMPY_OPS):
    """Overwrite each row of Z with softmax(z) = exp(z - max z) / sum; returns Z
    (a new array where ``ops`` allocate)."""
    xp = ops.xp
    Z -= xp.max(Z, axis=1, keepdims=True)
    Z = ops.exp(Z, out=Z)
    Z /= xp.sum(Z, axis=1, keepdims=True)
    return Z
