"""The analytic gradient of J is exact: it matches a numerical one to 1e-9."""

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import OPTION_IDS, VALID_OPTIONS, hyperparameters, unit_data
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from skl_sparseae import SparseAutoencoder, check_gradient
from skl_sparseae._autoencoder_objective import SparseAutoencoderObjective
from skl_sparseae._gradient_check import numerical_gradient
from skl_sparseae._layouts import initial_parameters, n_parameters
from skl_sparseae._reference import loss_grad_reference
from skl_sparseae._runners import ThreadRunner


@pytest.mark.parametrize("loss, decoder, tied", VALID_OPTIONS, ids=OPTION_IDS)
def test_check_gradient_below_1e9_for_every_option_combination(loss, decoder, tied):
    estimator = SparseAutoencoder(**hyperparameters(loss, decoder, tied))
    for seed in range(3):
        assert (
            check_gradient(
                estimator, unit_data(15, 6, seed=seed, margin=0.05), random_state=seed
            )
            < 1e-9
        )


@pytest.mark.parametrize("loss, decoder, tied", VALID_OPTIONS, ids=OPTION_IDS)
def test_check_gradient_holds_on_sparse_input(loss, decoder, tied):
    X = sp.random(12, 7, density=0.4, format="csr", random_state=1)
    estimator = SparseAutoencoder(**hyperparameters(loss, decoder, tied))
    assert check_gradient(estimator, X, random_state=0) < 1e-9


@pytest.mark.parametrize("loss, decoder, tied", VALID_OPTIONS, ids=OPTION_IDS)
def test_reference_gradient_matches_numerical_gradient(loss, decoder, tied):
    X = unit_data(15, 6, margin=0.05)
    params = hyperparameters(loss, decoder, tied)
    theta = np.random.RandomState(3).uniform(-1, 1, n_parameters(X.shape[1], 4, tied))
    _, analytic = loss_grad_reference(theta, X, **params)
    numeric = numerical_gradient(lambda t: loss_grad_reference(t, X, **params), theta)
    difference = np.linalg.norm(numeric - analytic) / np.linalg.norm(numeric + analytic)
    assert difference < 1e-9


def test_check_gradient_at_fitted_parameters():
    # Early in training, while the gradient is still far from zero (near the
    # optimum the ratio measures the finite difference's rounding instead).
    X = unit_data(30, 6, margin=0.05)
    estimator = SparseAutoencoder(n_components=4, max_iter=3, random_state=0)
    with pytest.warns(ConvergenceWarning):
        estimator.fit(X)
    assert check_gradient(estimator, X, params="fitted", epsilon=1e-5) < 1e-9


def test_check_gradient_at_given_parameters():
    X = unit_data(15, 6, margin=0.05)
    estimator = SparseAutoencoder(n_components=4, tied_weights=True)
    theta = initial_parameters(6, 4, True, np.random.RandomState(0))
    assert check_gradient(estimator, X, params=theta) < 1e-9


def test_check_gradient_rejects_parameters_of_the_wrong_size():
    with pytest.raises(ValueError, match="flat vector of"):
        check_gradient(
            SparseAutoencoder(n_components=4),
            unit_data(15, 6, margin=0.05),
            params=np.ones(3),
        )


def test_check_gradient_fitted_params_need_a_fitted_model():
    with pytest.raises(NotFittedError):
        check_gradient(SparseAutoencoder(n_components=2), unit_data(5, 3), "fitted")


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"params": "best"}, ValueError, "params must be"),
        ({"epsilon": 0}, ValueError, "epsilon must be"),
        ({"epsilon": np.nan}, ValueError, "epsilon must be"),
        ({"params": np.full(2 * 2 * 3 + 2 + 3, np.nan)}, ValueError, "NaN"),
        ({"params": np.zeros(4)}, ValueError, "flat vector of 17 values"),
    ],
    ids=["unknown-string", "epsilon-0", "epsilon-nan", "nan-params", "wrong-length"],
)
def test_check_gradient_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        check_gradient(SparseAutoencoder(n_components=2), unit_data(5, 3), **kwargs)


def test_check_gradient_needs_an_estimator_of_the_package():
    with pytest.raises(TypeError, match="skl_sparseae estimator"):
        check_gradient(object(), unit_data(5, 3))


def test_numerical_gradient_rejects_bad_arguments():
    def func(t):
        return float(t @ t), 2 * t

    with pytest.raises(ValueError, match="epsilon"):
        numerical_gradient(func, np.zeros(3), epsilon=0)
    with pytest.raises(TypeError, match="callable"):
        numerical_gradient("J", np.zeros(3))
    with pytest.raises(ValueError, match="finite"):
        numerical_gradient(func, np.array([0.0, np.nan]))


def test_check_gradient_flags_a_wrong_gradient():
    # A gradient that is off (here: the sparsity part scaled by 1/m once too
    # often, the mistake the math page's "where the 1/m goes" section warns
    # of) is clearly caught.
    X = unit_data(15, 6, margin=0.05)
    params = hyperparameters("squared_error", "logistic", False)
    theta = np.random.RandomState(0).uniform(-1, 1, n_parameters(6, 4, False))
    right = lambda t: loss_grad_reference(t, X, **params)  # noqa: E731
    _, grad_with = right(theta)
    _, grad_without = loss_grad_reference(theta, X, **{**params, "beta": 0.0})
    wrong_grad = grad_without + (grad_with - grad_without) / X.shape[0]
    numeric = numerical_gradient(right, theta)
    difference = np.linalg.norm(numeric - wrong_grad) / np.linalg.norm(
        numeric + wrong_grad
    )
    assert difference > 1e-3


def test_sparsity_delta_enters_each_sample_whole_and_is_divided_by_m_once():
    # d/dW1 [beta sum_j KL(rho || rho_hat_j)] equals
    # (1/m) sum_i [beta KL'(rho_hat) * a_i (1 - a_i)]^T x_i :
    # the per-sample hidden delta carries beta * KL'(rho_hat) * f'(z) with no
    # 1/m of its own; the single 1/m is that of the summed gradient.
    X = unit_data(25, 6, margin=0.05)
    n_samples, n_features = X.shape
    k, rho, beta = 4, 0.05, 3.0
    theta = np.random.RandomState(1).uniform(-1, 1, n_parameters(n_features, k, False))
    W1 = theta[: k * n_features].reshape(k, n_features)
    b1 = theta[2 * k * n_features : 2 * k * n_features + k]

    def sparsity_only(t):
        params = hyperparameters("squared_error", "logistic", False, beta=beta, rho=rho)
        J_with, _ = loss_grad_reference(t, X, **params)
        J_without, _ = loss_grad_reference(t, X, **{**params, "beta": 0.0})
        return J_with - J_without, None

    numeric_W1 = numerical_gradient(sparsity_only, theta)[: k * n_features]

    A = 1 / (1 + np.exp(-(X @ W1.T + b1)))
    rho_hat = A.mean(axis=0)
    per_sample_delta = beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat)) * A * (1 - A)
    tutorial_W1 = (per_sample_delta.T @ X / n_samples).ravel()
    np.testing.assert_allclose(numeric_W1, tutorial_W1, rtol=1e-7, atol=1e-10)
    # Dividing by m a second time is wrong by a factor m.
    assert not np.allclose(numeric_W1, tutorial_W1 / n_samples, rtol=1e-2)


@pytest.mark.parametrize("loss, decoder, tied", VALID_OPTIONS, ids=OPTION_IDS)
@pytest.mark.parametrize("chunk_size", [None, 1, 4, 7, 100])
def test_fast_objective_equals_reference(loss, decoder, tied, chunk_size):
    X = unit_data(17, 6, margin=0.05)
    params = hyperparameters(loss, decoder, tied)
    theta = np.random.RandomState(5).uniform(-1, 1, n_parameters(6, 4, tied))
    J_ref, grad_ref = loss_grad_reference(theta, X, **params)
    objective = SparseAutoencoderObjective(
        X, chunk_size=chunk_size, **params, runner=ThreadRunner(2)
    )
    J, grad = objective(theta)
    assert J == pytest.approx(J_ref, rel=1e-12)
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("loss, decoder, tied", VALID_OPTIONS, ids=OPTION_IDS)
def test_fast_objective_on_sparse_input_equals_dense(loss, decoder, tied):
    X = sp.random(20, 6, density=0.3, format="csr", random_state=2)
    params = hyperparameters(loss, decoder, tied)
    theta = np.random.RandomState(5).uniform(-1, 1, n_parameters(6, 4, tied))
    J_dense, grad_dense = SparseAutoencoderObjective(
        X.toarray(), **params, runner=ThreadRunner(2)
    )(theta)
    J_sparse, grad_sparse = SparseAutoencoderObjective(
        X, chunk_size=6, **params, runner=ThreadRunner(2)
    )(theta)
    assert J_sparse == pytest.approx(J_dense, rel=1e-12)
    np.testing.assert_allclose(grad_sparse, grad_dense, rtol=1e-10, atol=1e-12)


def test_objective_is_finite_when_units_saturate():
    # Hidden biases of +-60 drive every unit's activation to exactly 0 or 1 in
    # float64, so rho_hat is 0 or 1: the KL logs must stay finite.
    X = unit_data(15, 6, margin=0.05)
    for loss, decoder, tied in VALID_OPTIONS:
        params = hyperparameters(loss, decoder, tied)
        theta = np.zeros(n_parameters(6, 4, tied))
        n_weights = (1 if tied else 2) * 4 * 6
        theta[n_weights : n_weights + 4] = [60.0, -60.0, 60.0, -60.0]
        for J, grad in [
            loss_grad_reference(theta, X, **params),
            SparseAutoencoderObjective(X, **params, runner=ThreadRunner(2))(theta),
        ]:
            assert np.isfinite(J)
            assert np.all(np.isfinite(grad))
