"""Reconstruction ICA's objective (issue 12's math core) as a specification."""

import numpy as np
import pytest
from helpers import gradient_check_ratio

from skl_sparseae import numerical_gradient
from skl_sparseae._dask import DaskObjective
from skl_sparseae._reference import rica_loss_grad_reference
from skl_sparseae._rica_objective import ReconstructionICAObjective
from skl_sparseae._runners import ThreadRunner


def whitened(n_samples=120, n_features=6, seed=0):
    """Samples with zero mean and identity covariance (ZCA-whitened)."""
    X = np.random.RandomState(seed).laplace(size=(n_samples, n_features))
    X -= X.mean(axis=0)
    values, vectors = np.linalg.eigh(X.T @ X / n_samples)
    return X @ vectors @ np.diag(values**-0.5) @ vectors.T


@pytest.mark.parametrize("n_components", [3, 6, 12])  # under, complete, 2x over
@pytest.mark.parametrize("sparsity, epsilon", [(0.5, 1e-2), (0.1, 1e-6), (0.0, 1.0)])
def test_reference_gradient_matches_numerical_below_1e9(
    n_components, sparsity, epsilon
):
    X = whitened()
    theta = np.random.RandomState(1).normal(scale=0.3, size=n_components * 6)
    options = dict(n_components=n_components, sparsity=sparsity, epsilon=epsilon)
    _, grad = rica_loss_grad_reference(theta, X, **options)
    numerical = numerical_gradient(
        lambda t: rica_loss_grad_reference(t, X, **options), theta, epsilon=1e-6
    )
    assert gradient_check_ratio(grad, numerical) < 1e-9


def test_reference_is_the_formula_on_one_sample():
    x = np.array([[1.0, -2.0]])
    W = np.array([[0.5, 0.0], [0.25, 1.0], [0.0, -1.0]])
    z = W @ x[0]
    expected = 0.3 * np.sum(np.sqrt(z**2 + 0.01)) + 0.5 * np.sum((W.T @ z - x[0]) ** 2)
    J, _ = rica_loss_grad_reference(
        W.ravel(), x, n_components=3, sparsity=0.3, epsilon=0.01
    )
    assert J == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("chunk_size", [None, 7, "auto"])
@pytest.mark.parametrize("n_threads", [1, 3])
def test_chunked_objective_equals_the_reference(chunk_size, n_threads):
    X = whitened(200)
    theta = np.random.RandomState(2).normal(scale=0.3, size=12 * 6)
    options = dict(n_components=12, sparsity=0.5, epsilon=1e-2)
    J_ref, grad_ref = rica_loss_grad_reference(theta, X, **options)
    with ReconstructionICAObjective(
        X, chunk_size=chunk_size, runner=ThreadRunner(n_threads), **options
    ) as objective:
        J, grad = objective(theta)
        terms = objective.last_evaluation.terms
        assert terms["sparsity"] + terms["reconstruction"] == pytest.approx(
            J, rel=1e-15
        )
    assert J == pytest.approx(J_ref, rel=1e-13)
    assert gradient_check_ratio(grad, grad_ref) < 1e-13


def test_float32_objective_computes_in_float32_to_float32_rounding():
    X = whitened(200)
    theta = np.random.RandomState(3).normal(scale=0.3, size=12 * 6)
    options = dict(n_components=12, sparsity=0.5, epsilon=1e-2)
    J_ref, grad_ref = rica_loss_grad_reference(theta, X, **options)
    with ReconstructionICAObjective(
        X.astype(np.float32), **options, runner=ThreadRunner(2)
    ) as objective:
        J, grad = objective(theta)
        assert objective._workspaces[0].codes.dtype == np.float32
    assert J == pytest.approx(J_ref, rel=1e-5)
    assert gradient_check_ratio(grad, grad_ref) < 1e-5


def test_the_objective_runs_on_dask_blocks_with_no_further_code():
    da = pytest.importorskip("dask.array")
    X = whitened(200)
    theta = np.random.RandomState(4).normal(scale=0.3, size=12 * 6)
    options = dict(n_components=12, sparsity=0.5, epsilon=1e-2)

    def factory(X_rows, runner):
        return ReconstructionICAObjective(X_rows, runner=runner, **options)

    J_ref, grad_ref = rica_loss_grad_reference(theta, X, **options)
    J, grad = DaskObjective(factory, da.from_array(X, chunks=(45, 6)))(theta)
    assert J == pytest.approx(J_ref, rel=1e-12)
    assert gradient_check_ratio(grad, grad_ref) < 1e-12


# --- normalize_filters: J at W's rows scaled to unit norm -------------------------


@pytest.mark.parametrize("n_components", [3, 12])
def test_normalized_reference_gradient_matches_numerical_below_1e9(n_components):
    X = whitened()
    theta = np.random.RandomState(5).normal(scale=0.3, size=n_components * 6)
    options = dict(
        n_components=n_components, sparsity=0.5, epsilon=1e-2, normalize_filters=True
    )
    _, grad = rica_loss_grad_reference(theta, X, **options)
    numerical = numerical_gradient(
        lambda t: rica_loss_grad_reference(t, X, **options), theta, epsilon=1e-6
    )
    assert gradient_check_ratio(grad, numerical) < 1e-9


def test_normalized_J_is_the_plain_J_at_the_unit_rows():
    X = whitened()
    W = np.random.RandomState(6).normal(scale=0.3, size=(12, 6))
    unit = W / np.sqrt((W**2).sum(axis=1) + 1e-5)[:, None]
    options = dict(n_components=12, sparsity=0.5, epsilon=1e-2)
    normalized, _ = rica_loss_grad_reference(
        W.ravel(), X, normalize_filters=True, **options
    )
    assert normalized == pytest.approx(
        rica_loss_grad_reference(unit.ravel(), X, **options)[0], rel=1e-14
    )
    # and it does not change when W's rows are scaled (up to the 1e-5)
    scaled, _ = rica_loss_grad_reference(
        (3.0 * W).ravel(), X, normalize_filters=True, **options
    )
    assert scaled == pytest.approx(normalized, rel=1e-4)


@pytest.mark.parametrize("chunk_size, n_threads", [(None, 1), (7, 3)])
def test_normalized_chunked_and_dask_objectives_equal_the_reference(
    chunk_size, n_threads
):
    da = pytest.importorskip("dask.array")
    X = whitened(200)
    theta = np.random.RandomState(7).normal(scale=0.3, size=12 * 6)
    options = dict(n_components=12, sparsity=0.5, epsilon=1e-2, normalize_filters=True)
    J_ref, grad_ref = rica_loss_grad_reference(theta, X, **options)
    with ReconstructionICAObjective(
        X, chunk_size=chunk_size, runner=ThreadRunner(n_threads), **options
    ) as objective:
        J, grad = objective(theta)
    assert J == pytest.approx(J_ref, rel=1e-13)
    assert gradient_check_ratio(grad, grad_ref) < 1e-13

    def factory(X_rows, runner):
        return ReconstructionICAObjective(X_rows, runner=runner, **options)

    J, grad = DaskObjective(factory, da.from_array(X, chunks=(45, 6)))(theta)
    assert J == pytest.approx(J_ref, rel=1e-12)
    assert gradient_check_ratio(grad, grad_ref) < 1e-12
