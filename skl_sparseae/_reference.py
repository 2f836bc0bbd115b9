"""The plain reference objectives the tests hold the engine to.

Each is J and its gradient written from the math alone (docs/math.rst), as
plainly as possible, in float64, allocating freely. They share nothing with
the engine's modules but numpy and scipy: their own slicing of theta, their
own sigmoid, KL divergence and losses. A test that compares the engine with
one of them therefore compares two independent writings of the same math,
and a layout or KL bug cannot sit on both sides. Only the checks of their
arguments come from :mod:`skl_sparseae._validation`.

- :func:`loss_grad_reference`: the classic one-hidden-layer autoencoder
  (public, ``skl_sparseae.loss_grad_reference``);
- :func:`deep_loss_grad_reference`: the deep autoencoder, any depth;
- :func:`classifier_loss_grad_reference`: the stacked autoencoder's
  fine-tuning objective (logistic layers, softmax);
- :func:`rica_loss_grad_reference`: reconstruction ICA;
- :func:`sparse_coding_loss_grad_reference`: topographic sparse coding.
"""

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, logsumexp

from ._validation import check_flat_parameters, check_objective_options

# Constants that are part of the objectives' definitions (docs/math.rst),
# written here again; tests/test_math.py checks that the engine's agree.
# rho_hat is kept inside [RHO_HAT_FLOOR, 1 - RHO_HAT_FLOOR] before the KL
# term's logs: it acts only on units saturated over the whole data set.
RHO_HAT_FLOOR = float(np.finfo(np.float64).eps)
# RICA's normalize_filters: w~_j = w_j / sqrt(||w_j||^2 + ROW_NORM_EPSILON).
ROW_NORM_EPSILON = 1e-5


# --- The pieces, written once here -----------------------------------------


def _split(theta, shapes):
    """Consecutive pieces of ``theta`` reshaped to ``shapes``, in order."""
    pieces, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        pieces.append(theta[start : start + size].reshape(shape))
        start += size
    if start != theta.size:  # pragma: no cover - the callers check the size
        raise ValueError(f"theta has {theta.size} entries; the shapes take {start}.")
    return pieces


def _dense_float64(X):
    X = X.toarray() if sp.issparse(X) else X
    return np.asarray(X, dtype=np.float64)


def _mean_activation(A):
    """rho_hat_j = (1/m) sum_i a_j(x_i), kept off exact 0 and 1."""
    rho_hat = A.sum(axis=0) / A.shape[0]
    return np.clip(rho_hat, RHO_HAT_FLOOR, 1.0 - RHO_HAT_FLOOR)


def _kl(rho, rho_hat):
    """KL(rho || rho_hat) = rho log(rho/rho_hat) + (1-rho) log((1-rho)/(1-rho_hat))."""
    return rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))


def _kl_slope(rho, rho_hat):
    """d KL(rho || rho_hat) / d rho_hat = -rho/rho_hat + (1-rho)/(1-rho_hat)."""
    return -rho / rho_hat + (1 - rho) / (1 - rho_hat)


def _reconstruction_losses(X, Z_out, loss, decoder_activation):
    """L(x_hat_i, x_i) per sample from the decoder's pre-activation z_out.

    squared_error: 1/2 ||f(z) - x||^2. cross_entropy (logistic decoder):
    -sum_d [x_d log x_hat_d + (1 - x_d) log(1 - x_hat_d)], which with
    log x_hat = z - softplus(z) and log(1 - x_hat) = -softplus(z) is
    sum_d [softplus(z_d) - x_d z_d].
    """
    if loss == "cross_entropy":
        return np.sum(np.logaddexp(0.0, Z_out) - X * Z_out, axis=1)
    X_hat = expit(Z_out) if decoder_activation == "logistic" else Z_out
    return 0.5 * np.sum((X_hat - X) ** 2, axis=1)


def _output_delta(X, X_hat, loss, decoder_activation):
    """delta_out = dL_i/dz_out, one row per sample:

    - squared_error + logistic: (x_hat - x) * x_hat * (1 - x_hat);
    - squared_error + identity, cross_entropy + logistic: x_hat - x (the
      sigmoid's slope cancels against the cross-entropy's).
    """
    delta = X_hat - X
    if loss == "squared_error" and decoder_activation == "logistic":
        delta = delta * X_hat * (1.0 - X_hat)
    return delta


# --- The classic sparse autoencoder ------------------------------------------


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
        "loss_grad_reference",
        n_components=n_components,
        rho=rho,
        beta=beta,
        alpha=alpha,
        loss=loss,
        decoder_activation=decoder_activation,
        tied_weights=tied_weights,
    )
    X = _dense_float64(X)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2D array; got shape {X.shape}.")
    n_samples, n_features = X.shape
    k, n = n_components, n_features
    n_weights = (1 if tied_weights else 2) * k * n
    theta = check_flat_parameters(
        theta,
        n_weights + k + n,
        f"n_features={n_features}, n_components={n_components}, "
        f"tied_weights={tied_weights}",
    )
    if tied_weights:
        W1, b1, b2 = _split(theta, [(k, n), (k,), (n,)])
        W2 = W1
    else:
        W1, W2, b1, b2 = _split(theta, [(k, n), (k, n), (k,), (n,)])

    # Forward pass.
    # z_hidden = W1 x + b1,  a = sigmoid(z_hidden)
    A = expit(X @ W1.T + b1)
    # rho_hat_j = (1/m) sum_i a_j(x_i): the mean over the whole training set
    rho_hat = _mean_activation(A)
    # z_out = W2^T a + b2,  x_hat = f(z_out)
    Z_out = A @ W2 + b2
    X_hat = expit(Z_out) if decoder_activation == "logistic" else Z_out

    # J = (1/m) sum_i L_i + (alpha/2) sum ||W||^2 + beta sum_j KL(rho || rho_hat_j)
    weights = theta[:n_weights]
    J = (
        np.mean(_reconstruction_losses(X, Z_out, loss, decoder_activation))
        + 0.5 * alpha * float(weights @ weights)
        + beta * float(np.sum(_kl(rho, rho_hat)))
    )

    # Backward pass, per sample i (rows), before the 1/m of the mean.
    delta_out = _output_delta(X, X_hat, loss, decoder_activation)
    # delta_hidden = (W2 delta_out + beta * KL'(rho_hat)) * a * (1 - a)
    # The sparsity term enters each sample's delta whole; the 1/m that
    # d rho_hat / d a_i carries is the same 1/m applied to the summed gradient
    # below, so it is applied once, not twice.
    delta_hidden = (delta_out @ W2.T + beta * _kl_slope(rho, rho_hat)) * A * (1 - A)

    # Gradients: (1/m) sum over samples, plus weight decay on the weights.
    grad_W1 = delta_hidden.T @ X / n_samples + alpha * W1
    grad_b1 = delta_hidden.sum(axis=0) / n_samples
    grad_W2 = A.T @ delta_out / n_samples + alpha * W2
    grad_b2 = delta_out.sum(axis=0) / n_samples
    if tied_weights:
        # W is used twice (encoder and decoder): its gradient is the sum of
        # the gradients of both uses, with weight decay counted once.
        pieces = [grad_W1 + grad_W2 - alpha * W1, grad_b1, grad_b2]
    else:
        pieces = [grad_W1, grad_W2, grad_b1, grad_b2]
    return float(J), np.concatenate([piece.ravel() for piece in pieces])


# --- Deep autoencoders and the classifier ------------------------------------


def _autoencoder_layers(theta, n_features, hidden_layer_sizes, tied_weights):
    """``(coefs, intercepts, n_weights)`` of the ``2L`` layers, in
    scikit-learn's convention (``coefs[i]`` of shape ``(n_in, n_out)``), as
    views of theta, whose layout is (docs/math.rst)::

        [W_enc[1], ..., W_enc[L], W_dec[L], ..., W_dec[1] (untied only),
         b_enc[1], ..., b_enc[L], b_dec[L], ..., b_dec[1]]

    with ``W_enc[l]`` and ``W_dec[l]`` of shape ``(h_l, h_(l-1))``.
    """
    sizes = (n_features, *hidden_layer_sizes)
    pairs = list(zip(sizes[1:], sizes[:-1], strict=True))
    shapes = list(pairs) + ([] if tied_weights else list(reversed(pairs)))
    n_weights = sum(rows * cols for rows, cols in shapes)
    shapes += [(rows,) for rows, _ in pairs] + [(cols,) for _, cols in reversed(pairs)]
    pieces = _split(theta, shapes)
    L = len(pairs)
    W_enc = pieces[:L]
    W_dec = W_enc[::-1] if tied_weights else pieces[L : 2 * L]  # innermost first
    biases = pieces[len(shapes) - 2 * L :]
    coefs = [W.T for W in W_enc] + list(W_dec)
    return coefs, biases, n_weights


def deep_loss_grad_reference(
    theta,
    X,
    *,
    hidden_layer_sizes,
    rho,
    beta,
    alpha,
    loss,
    decoder_activation,
    tied_weights,
):
    """J and its gradient for a deep sparse autoencoder, written plainly::

        J = (1/m) sum_i L(x_hat_i, x_i) + (alpha/2) sum over matrices ||W||^2
            + sum_l beta_l sum_j KL(rho_l || rho_hat_(l,j))

    over the encoder layers ``l = 1..L``; ``rho`` and ``beta`` are tuples
    with one value per encoder layer. ``theta`` is in the layout of
    :func:`_autoencoder_layers`.
    """
    X = _dense_float64(X)
    n_samples, n_features = X.shape
    hidden_layer_sizes = tuple(int(h) for h in hidden_layer_sizes)
    sizes = (n_features, *hidden_layer_sizes)
    pairs = zip(sizes[1:], sizes[:-1], strict=True)
    n_pair_weights = sum(rows * cols for rows, cols in pairs)
    n_parameters = (
        (1 if tied_weights else 2) * n_pair_weights
        + sum(hidden_layer_sizes)
        + sum(sizes[:-1])
    )
    theta = check_flat_parameters(theta, n_parameters, "this network")
    coefs, intercepts, n_weights = _autoencoder_layers(
        theta, n_features, hidden_layer_sizes, tied_weights
    )
    n_encoder = len(hidden_layer_sizes)

    # Forward: activations of every layer; the last is z_out's image.
    activations = [X]
    for i, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
        Z = activations[-1] @ W + b
        if i == len(coefs) - 1:
            Z_out = Z
            X_hat = expit(Z) if decoder_activation == "logistic" else Z
            activations.append(X_hat)
        else:
            activations.append(expit(Z))
    # rho_hat_l over all samples, for the encoder layers 1..L.
    rho_hats = [_mean_activation(A) for A in activations[1 : n_encoder + 1]]

    weights = theta[:n_weights]
    J = (
        np.mean(_reconstruction_losses(X, Z_out, loss, decoder_activation))
        + 0.5 * alpha * float(weights @ weights)
        + sum(
            b * np.sum(_kl(r, rh)) for r, b, rh in zip(rho, beta, rho_hats, strict=True)
        )
    )

    # Backward, per sample, before the 1/m: delta_out = dL_i/dz_out, then
    # delta_i = (delta_(i+1) @ coefs[i]^T + [beta_l KL'(rho_hat_l) if layer i
    # is encoder layer l]) * a_i * (1 - a_i).
    delta = _output_delta(X, X_hat, loss, decoder_activation)
    grad_coefs = [None] * len(coefs)
    grad_intercepts = [None] * len(coefs)
    for i in range(len(coefs) - 1, -1, -1):
        grad_coefs[i] = activations[i].T @ delta / n_samples
        grad_intercepts[i] = delta.sum(axis=0) / n_samples
        if i == 0:
            break
        A = activations[i]
        back = delta @ coefs[i].T
        if i <= n_encoder:
            back = back + beta[i - 1] * _kl_slope(rho[i - 1], rho_hats[i - 1])
        delta = back * A * (1.0 - A)

    # Into theta's layout: encoder matrices are coefs^T; the decoder's are
    # coefs[L:] as they are, in theta's order (W_dec[L] first). Tied, W_enc[l]
    # is also W_dec[l] = coefs[2L - l]: its gradient is the sum of both uses.
    # The biases are in the order of the layers, as in theta.
    L = n_encoder
    encoder = [grad_coefs[layer].T for layer in range(L)]
    if tied_weights:
        weight_pieces = [
            encoder[layer] + grad_coefs[2 * L - 1 - layer] for layer in range(L)
        ]
    else:
        weight_pieces = encoder + grad_coefs[L:]
    grad = np.concatenate([piece.ravel() for piece in weight_pieces + grad_intercepts])
    grad[:n_weights] += alpha * weights
    return float(J), grad


def classifier_loss_grad_reference(
    theta, X, y, *, hidden_layer_sizes, n_classes, alpha
):
    """The fine-tuning objective, plainly: mean cross-entropy of a softmax on
    logistic layers plus (alpha/2) sum ||W||^2, and its gradient. ``theta``
    is ``[W_1, ..., W_L, W_out, b_1, ..., b_L, b_out]`` with ``W_l`` of shape
    ``(h_l, h_(l-1))``; ``y`` holds class indices."""
    X = _dense_float64(X)
    n_samples, n_features = X.shape
    sizes = (n_features, *(int(h) for h in hidden_layer_sizes), int(n_classes))
    shapes = list(zip(sizes[1:], sizes[:-1], strict=True))
    n_weights = sum(rows * cols for rows, cols in shapes)
    theta = check_flat_parameters(theta, n_weights + sum(sizes[1:]), "this network")
    pieces = _split(theta, shapes + [(rows,) for rows, _ in shapes])
    weights, biases = pieces[: len(shapes)], pieces[len(shapes) :]

    activations = [X]
    for W, b in zip(weights[:-1], biases[:-1], strict=True):
        activations.append(expit(activations[-1] @ W.T + b))
    Z = activations[-1] @ weights[-1].T + biases[-1]
    log_p = Z - logsumexp(Z, axis=1, keepdims=True)
    onehot = np.eye(n_classes)[y]
    flat_weights = theta[:n_weights]
    J = -np.mean(np.sum(onehot * log_p, axis=1)) + 0.5 * alpha * float(
        flat_weights @ flat_weights
    )
    # delta_out = p - onehot; delta_l = (delta_(l+1) W_(l+1)) * a_l * (1 - a_l)
    delta = np.exp(log_p) - onehot
    grad_weights = [None] * len(weights)
    grad_biases = [None] * len(weights)
    for layer in range(len(weights) - 1, -1, -1):
        grad_weights[layer] = delta.T @ activations[layer] / n_samples
        grad_biases[layer] = delta.mean(axis=0)
        if layer > 0:
            A = activations[layer]
            delta = (delta @ weights[layer]) * A * (1.0 - A)
    grad = np.concatenate([piece.ravel() for piece in grad_weights + grad_biases])
    grad[:n_weights] += alpha * flat_weights
    return float(J), grad


# --- Reconstruction ICA ------------------------------------------------------


def rica_loss_grad_reference(
    theta, X, *, n_components, sparsity, epsilon, normalize_filters=False
):
    """J and its gradient of reconstruction ICA, written plainly in float64::

        J = (1/m) sum_i [ sparsity * sum_j sqrt((W x_i)_j^2 + epsilon)
                          + 1/2 ||W^T W x_i - x_i||^2 ]

    ``theta`` is ``W.ravel()``, ``W`` of shape ``(n_components,
    n_features)``; with ``normalize_filters`` J is evaluated at W's rows
    scaled to unit norm, ``w~_j = w_j / sqrt(||w_j||^2 + 1e-5)``.
    """
    X = np.asarray(X, dtype=np.float64)
    n_samples, n_features = X.shape
    theta = check_flat_parameters(
        theta,
        n_components * n_features,
        f"n_features={n_features}, n_components={n_components}",
    )
    (W_raw,) = _split(theta, [(n_components, n_features)])
    if normalize_filters:
        norms = np.sqrt(np.sum(W_raw**2, axis=1) + ROW_NORM_EPSILON)
        W = W_raw / norms[:, None]
    else:
        W = W_raw
    Z = X @ W.T  # codes z_i = W x_i, one row per sample
    R = Z @ W - X  # residuals r_i = W^T W x_i - x_i
    smoothed_abs = np.sqrt(Z**2 + epsilon)
    J = (sparsity * smoothed_abs.sum() + 0.5 * np.sum(R**2)) / n_samples
    # Encoder use of W: delta at the codes, (sparsity z / sqrt(z^2 + eps) + W r)
    # times x^T; decoder use: z r^T. Summed over samples, then the 1/m.
    delta_codes = sparsity * Z / smoothed_abs + R @ W.T
    grad = (delta_codes.T @ X + Z.T @ R) / n_samples
    if normalize_filters:
        # Through w~_j = w_j / n_j: dJ/dw_j = G~_j / n_j - w_j (w_j . G~_j) / n_j^3
        along = np.sum(W_raw * grad, axis=1) / norms**3
        grad = grad / norms[:, None] - W_raw * along[:, None]
    return float(J), grad.ravel()


# --- Topographic sparse coding -----------------------------------------------


def sparse_coding_loss_grad_reference(theta, X, *, grouping, sparsity, epsilon, alpha):
    """J(D, S) and its gradient with respect to ``theta = [D.ravel(),
    S.ravel()]`` (``D`` of shape ``(n_components, n_features)``, ``S`` of
    shape ``(n_samples, n_components)``), written plainly in float64::

        J = (1/m) sum_i [ ||s_i D - x_i||^2
                          + sparsity * sum_g sqrt((V (s_i * s_i))_g + epsilon) ]
            + alpha ||D||_F^2
    """
    X = np.asarray(X, dtype=np.float64)
    grouping = np.asarray(grouping, dtype=np.float64)
    n_samples, n_features = X.shape
    n_components = grouping.shape[1]
    theta = check_flat_parameters(
        theta,
        n_components * (n_features + n_samples),
        f"n_samples={n_samples}, n_features={n_features}, n_components={n_components}",
    )
    D, S = _split(theta, [(n_components, n_features), (n_samples, n_components)])
    R = S @ D - X  # residuals s_i D - x_i
    P = np.sqrt((S * S) @ grouping.T + epsilon)  # sqrt(V (s_i * s_i) + eps), rows
    J = (np.sum(R**2) + sparsity * np.sum(P)) / n_samples + alpha * np.sum(D**2)
    # Example 1: d/dD ||S D - X||^2 = 2 S^T R; weight decay 2 alpha D.
    grad_D = 2.0 * S.T @ R / n_samples + 2.0 * alpha * D
    # Example 1 through s, and example 2: V^T (1 / P) . s, times sparsity.
    grad_S = (2.0 * R @ D.T + sparsity * S * ((1.0 / P) @ grouping)) / n_samples
    return float(J), np.concatenate([grad_D.ravel(), grad_S.ravel()])
