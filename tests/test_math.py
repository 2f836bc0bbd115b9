"""The claims of the docs' math page, proved numerically."""

import ast
import pathlib

import numpy as np
import pytest
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

from skl_sparseae import (
    _autoencoder_objective,
    _reference,
    _rica_objective,
    loss_grad_reference,
    numerical_gradient,
)
from skl_sparseae._autoencoder_objective import AutoencoderObjective
from skl_sparseae._layouts import NetworkLayout
from skl_sparseae._runners import ThreadRunner


def kl(rho, rho_hat):
    return rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))


def kl_derivative(rho, rho_hat):
    return -rho / rho_hat + (1 - rho) / (1 - rho_hat)


def two_hidden_layer_objective(theta, X, shapes, rho, beta, alpha):
    """A sparse autoencoder n -> k1 -> k2 -> n with a KL penalty on both hidden
    layers, backpropagated with the docs' rule: each layer adds its own
    sparsity term to its deltas before passing them down."""
    n_samples = X.shape[0]
    weights, biases, start = [], [], 0
    for n_out, n_in in shapes:
        weights.append(theta[start : start + n_out * n_in].reshape(n_out, n_in))
        start += n_out * n_in
    for n_out, _ in shapes:
        biases.append(theta[start : start + n_out])
        start += n_out

    # Forward: every hidden layer's rho_hat over all samples first.
    activations = [X]
    for W, b in zip(weights, biases, strict=True):
        activations.append(expit(activations[-1] @ W.T + b))
    hidden = activations[1:-1]
    rho_hats = [a.mean(axis=0) for a in hidden]
    X_hat = activations[-1]
    J = (
        0.5 * np.sum((X_hat - X) ** 2) / n_samples
        + 0.5 * alpha * sum(np.sum(W**2) for W in weights)
        + sum(
            b * np.sum(kl(r, rh)) for b, r, rh in zip(beta, rho, rho_hats, strict=True)
        )
    )

    # Backward: delta^(l) = (W^(l)T delta^(l+1) + beta_l KL'(rho_hat^(l))) * f'(z^(l))
    grads_W, grads_b = [None] * len(weights), [None] * len(weights)
    delta = (X_hat - X) * X_hat * (1 - X_hat)
    for layer in range(len(weights) - 1, -1, -1):
        grads_W[layer] = (
            delta.T @ activations[layer] / n_samples + alpha * weights[layer]
        )
        grads_b[layer] = delta.mean(axis=0)
        if layer == 0:
            break
        a = activations[layer]
        sparsity = beta[layer - 1] * kl_derivative(rho[layer - 1], rho_hats[layer - 1])
        delta = (delta @ weights[layer] + sparsity) * a * (1 - a)
    grad = np.concatenate([g.ravel() for g in grads_W] + grads_b)
    return J, grad


def test_kl_penalty_backpropagates_through_two_hidden_layers():
    rng = np.random.RandomState(0)
    X = rng.uniform(0.05, 0.95, size=(20, 6))
    shapes = [(5, 6), (4, 5), (6, 4)]  # (n_out, n_in) of each weight matrix
    size = sum(a * b for a, b in shapes) + sum(a for a, _ in shapes)
    theta = rng.uniform(-1, 1, size)
    rho, beta = [0.1, 0.2], [3.0, 2.0]

    def objective(t):
        return two_hidden_layer_objective(t, X, shapes, rho, beta, alpha=1e-3)

    _, analytic = objective(theta)
    numeric = numerical_gradient(objective, theta)
    difference = np.linalg.norm(numeric - analytic) / np.linalg.norm(numeric + analytic)
    assert difference < 1e-9


def test_the_package_deep_objective_backpropagates_the_penalty_by_the_same_rule():
    # The deep model 6 -> 5 -> 4 -> 5 -> 6 is the docs' network with a KL
    # penalty on its two encoder layers and none (beta = 0) on the decoder's
    # hidden layer. Its theta holds the decoder's matrices as (n_in, n_out).
    rng = np.random.RandomState(2)
    X = rng.uniform(0.05, 0.95, size=(23, 6))
    rho, beta, alpha = (0.1, 0.2), (3.0, 2.0), 1e-3
    layout = NetworkLayout(6, (5, 4), tied_weights=False)
    theta = rng.uniform(-1, 1, layout.n_parameters)
    with AutoencoderObjective(
        X,
        hidden_layer_sizes=(5, 4),
        rho=rho,
        beta=beta,
        alpha=alpha,
        loss="squared_error",
        decoder_activation="logistic",
        tied_weights=False,
        chunk_size=7,
        runner=ThreadRunner(2),
    ) as objective:
        J, grad = objective(theta)

    W_enc, W_dec, b_enc, b_dec = layout.unpack(theta)
    matrices = [W_enc[0], W_enc[1], W_dec[1].T, W_dec[0].T]
    shapes = [W.shape for W in matrices]
    docs_theta = np.concatenate(
        [W.ravel() for W in matrices] + [b_enc[0], b_enc[1], b_dec[1], b_dec[0]]
    )
    docs_J, docs_grad = two_hidden_layer_objective(
        docs_theta, X, shapes, [*rho, 0.5], [*beta, 0.0], alpha
    )
    grad_W_enc, grad_W_dec, _, _ = layout.unpack(grad.copy())
    as_docs = np.concatenate(
        [grad_W_enc[0].ravel(), grad_W_enc[1].ravel()]
        + [grad_W_dec[1].T.ravel(), grad_W_dec[0].T.ravel()]
        + [grad[layout.n_weights :]]
    )
    assert J == pytest.approx(docs_J, rel=1e-12)
    np.testing.assert_allclose(as_docs, docs_grad, rtol=1e-10, atol=1e-14)


def test_deeper_penalty_reaches_first_layer_only_through_the_recursion():
    # Turning on the second layer's penalty changes the first layer's weight
    # gradient (it flows down through the deltas) ...
    rng = np.random.RandomState(1)
    X = rng.uniform(0.05, 0.95, size=(20, 6))
    shapes = [(5, 6), (4, 5), (6, 4)]
    size = sum(a * b for a, b in shapes) + sum(a for a, _ in shapes)
    theta = rng.uniform(-1, 1, size)
    _, without = two_hidden_layer_objective(
        theta, X, shapes, [0.1, 0.2], [0.0, 0.0], 0.0
    )
    _, with_second = two_hidden_layer_objective(
        theta, X, shapes, [0.1, 0.2], [0.0, 3.0], 0.0
    )
    first_layer = slice(0, 5 * 6)
    assert not np.allclose(without[first_layer], with_second[first_layer])
    # ... and leaves the last layer's gradient alone (it is downstream).
    last_layer = slice(5 * 6 + 4 * 5, 5 * 6 + 4 * 5 + 6 * 4)
    np.testing.assert_allclose(without[last_layer], with_second[last_layer])


def test_mlpregressor_objective_maps_onto_ours():
    # J = n * J_MLP when alpha = (n / m) * alpha_MLP, beta = 0, identity decoder.
    rng = np.random.RandomState(0)
    n_samples, n_features, k = 60, 7, 4
    X = rng.uniform(size=(n_samples, n_features))
    alpha_mlp = 0.3
    mlp = MLPRegressor(
        hidden_layer_sizes=(k,),
        activation="logistic",
        solver="lbfgs",
        alpha=alpha_mlp,
        max_iter=5,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning):
        mlp.fit(X, X)
    W1, W2 = mlp.coefs_[0].T, mlp.coefs_[1]
    b1, b2 = mlp.intercepts_
    theta = np.concatenate([W1.ravel(), W2.ravel(), b1, b2])
    J, _ = loss_grad_reference(
        theta,
        X,
        n_components=k,
        rho=0.5,
        beta=0.0,
        alpha=n_features / n_samples * alpha_mlp,
        loss="squared_error",
        decoder_activation="identity",
        tied_weights=False,
    )
    assert J == pytest.approx(n_features * mlp.loss_, rel=1e-10)


def test_the_references_define_the_objectives_with_the_engines_constants():
    # The references write the objectives again from the math: the constants
    # in their definitions must be the engine's.
    assert _reference.RHO_HAT_FLOOR == _autoencoder_objective._RHO_HAT_FLOOR
    assert _reference.ROW_NORM_EPSILON == _rica_objective.ROW_NORM_EPSILON


def test_the_references_share_nothing_with_the_engine():
    source = pathlib.Path(_reference.__file__).read_text()
    imported = {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.level == 1
    } | {
        alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert imported <= {"_validation", "numpy", "scipy.sparse"}
