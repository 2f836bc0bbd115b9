"""The plain reference objective of a deep sparse autoencoder.

Written independently of the chunked engine, as a list of dense layers in
scikit-learn's MLP convention (``coefs[i]`` of shape ``(n_in, n_out)``,
``a_(i+1) = g(a_i @ coefs[i] + intercepts[i])``), allocating freely, in
float64. The tests hold
:class:`~skl_sparseae._autoencoder_objective.AutoencoderObjective` to it;
its own gradient is held to finite differences.
"""

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, logsumexp

from ._autoencoder_objective import (
    ClassifierLayout,
    NetworkLayout,
    clipped_rho_hat,
    kl_divergence,
    kl_divergence_derivative,
    reconstruction_loss_per_sample,
)
from ._validation import check_flat_parameters


def layers_from_theta(theta, layout):
    """``(coefs, intercepts)`` of the forward pass, as views of ``theta``."""
    W_enc, W_dec, b_enc, b_dec = layout.unpack(theta)
    coefs = [W.T for W in W_enc] + list(reversed(W_dec))
    intercepts = list(b_enc) + list(reversed(b_dec))
    return coefs, intercepts


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
    :class:`~skl_sparseae._autoencoder_objective.NetworkLayout`.
    """
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    X = X.astype(np.float64, copy=False)
    n_samples, n_features = X.shape
    layout = NetworkLayout(n_features, hidden_layer_sizes, tied_weights)
    theta = check_flat_parameters(theta, layout.n_parameters, "this network")
    coefs, intercepts = layers_from_theta(theta, layout)
    n_encoder = layout.n_layers

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
    rho_hats = [
        clipped_rho_hat(activations[l].sum(axis=0), n_samples)
        for l in range(1, n_encoder + 1)  # noqa: E741
    ]

    weights = theta[: layout.n_weights]
    J = (
        np.mean(reconstruction_loss_per_sample(X, Z_out, loss, decoder_activation))
        + 0.5 * alpha * float(weights @ weights)
        + sum(
            b * np.sum(kl_divergence(r, rh))
            for r, b, rh in zip(rho, beta, rho_hats, strict=True)
        )
    )

    # Backward, per sample, before the 1/m: delta_out = dL_i/dz_out, then
    # delta_i = (delta_(i+1) @ coefs[i]^T + [beta_l KL'(rho_hat_l) if layer i
    # is encoder layer l]) * a_i * (1 - a_i).
    delta = X_hat - X
    if loss == "squared_error" and decoder_activation == "logistic":
        delta = delta * X_hat * (1.0 - X_hat)
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
            back = back + beta[i - 1] * kl_divergence_derivative(
                rho[i - 1], rho_hats[i - 1]
            )
        delta = back * A * (1.0 - A)

    # Into the layout: encoder matrices are coefs^T, decoder ones coefs.
    grad = np.zeros_like(theta)
    grad_W_enc, grad_W_dec, grad_b_enc, grad_b_dec = layout.unpack(grad)
    for l in range(n_encoder):  # noqa: E741
        encoder_part = grad_coefs[l].T
        decoder_part = grad_coefs[len(coefs) - 1 - l]
        if tied_weights:
            grad_W_enc[l][...] = encoder_part + decoder_part
        else:
            grad_W_enc[l][...] = encoder_part
            grad_W_dec[l][...] = decoder_part
        grad_b_enc[l][...] = grad_intercepts[l]
        grad_b_dec[l][...] = grad_intercepts[len(coefs) - 1 - l]
    grad[: layout.n_weights] += alpha * weights
    return float(J), grad


def classifier_loss_grad_reference(
    theta, X, y, *, hidden_layer_sizes, n_classes, alpha
):
    """The fine-tuning objective, plainly: mean cross-entropy of a softmax on
    logistic layers plus (alpha/2) sum ||W||^2, and its gradient (layout of
    :class:`~skl_sparseae._autoencoder_objective.ClassifierLayout`; ``y`` holds class
    indices)."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    X = X.astype(np.float64, copy=False)
    n_samples, n_features = X.shape
    layout = ClassifierLayout(n_features, hidden_layer_sizes, n_classes)
    theta = check_flat_parameters(theta, layout.n_parameters, "this network")
    weights, biases = layout.unpack(theta)
    activations = [X]
    for W, b in zip(weights[:-1], biases[:-1], strict=True):
        activations.append(expit(activations[-1] @ W.T + b))
    Z = activations[-1] @ weights[-1].T + biases[-1]
    log_p = Z - logsumexp(Z, axis=1, keepdims=True)
    onehot = np.eye(n_classes)[y]
    flat_weights = theta[: layout.n_weights]
    J = -np.mean(np.sum(onehot * log_p, axis=1)) + 0.5 * alpha * float(
        flat_weights @ flat_weights
    )
    delta = np.exp(log_p) - onehot
    grad = np.zeros_like(theta)
    grad_weights, grad_biases = layout.unpack(grad)
    for layer in range(len(weights) - 1, -1, -1):
        grad_weights[layer][...] = delta.T @ activations[layer] / n_samples
        grad_biases[layer][...] = delta.mean(axis=0)
        if layer > 0:
            A = activations[layer]
            delta = (delta @ weights[layer]) * A * (1.0 - A)
    grad[: layout.n_weights] += alpha * flat_weights
    return float(J), grad
