"""ReconstructionICA as a user sees it."""

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import quietly
from scipy.stats import ortho_group

from skl_sparseae import ReconstructionICA, check_gradient
from skl_sparseae._reference import rica_loss_grad_reference


def whitened_mixture(n_samples=2000, n_sources=4, seed=0):
    """Laplace sources mixed by a random rotation, then whitened (ZCA):
    ``(X, mixing)`` with ``X = S @ mixing.T`` up to the whitening."""
    rng = np.random.RandomState(seed)
    S = rng.laplace(size=(n_samples, n_sources))
    S = (S - S.mean(axis=0)) / S.std(axis=0)
    mixing = ortho_group.rvs(n_sources, random_state=seed)
    X = S @ mixing.T
    values, vectors = np.linalg.eigh(np.cov(X, rowvar=False, bias=True))
    zca = vectors @ np.diag(values**-0.5) @ vectors.T
    return (X - X.mean(axis=0)) @ zca, zca @ mixing


@pytest.mark.parametrize("n_components", [2, 4, 8])
@pytest.mark.parametrize("sparsity", [0.0, 0.1, 1.0])
def test_check_gradient_below_1e9(n_components, sparsity):
    X, _ = whitened_mixture(40)
    model = ReconstructionICA(n_components, sparsity=sparsity)
    assert check_gradient(model, X, random_state=0) < 1e-9


def test_check_gradient_at_the_fitted_parameters():
    X, _ = whitened_mixture(200)
    model = quietly(ReconstructionICA(8, max_iter=5, random_state=0).fit, X)
    J_at_fit, _ = rica_loss_grad_reference(
        model._packed_parameters(), X, n_components=8, sparsity=0.1, epsilon=1e-2
    )
    assert J_at_fit == pytest.approx(model.loss_, rel=1e-12)
    # After descent the gradient is small and the ratio measures the central
    # difference's rounding (check_gradient's docstring): 1e-9 here.
    assert check_gradient(model, X, params="fitted") < 1e-7


def test_the_default_step_is_the_one_rica_needs():
    """UFLDL's step 1e-4 is too coarse for a quartic J; the default is 1e-6."""
    X, _ = whitened_mixture(40)
    model = ReconstructionICA(4)
    default = check_gradient(model, X, random_state=0)
    assert default == check_gradient(model, X, random_state=0, epsilon=1e-6)
    assert check_gradient(model, X, random_state=0, epsilon=1e-4) > default


def test_complete_rica_separates_independent_sources():
    """On whitened mixtures of Laplace sources, W @ mixing is close to a
    signed permutation: each code is one source."""
    X, mixing = whitened_mixture()
    model = ReconstructionICA(4, sparsity=0.5, random_state=0, max_iter=1000).fit(X)
    W = model.components_ / np.linalg.norm(model.components_, axis=1, keepdims=True)
    product = np.abs(W @ mixing)
    # each row and each column has one entry near 1 and the rest near 0
    assert np.all(product.max(axis=1) > 0.95)
    assert np.all(product.max(axis=0) > 0.95)
    assert sorted(product.argmax(axis=1)) == [0, 1, 2, 3]


def test_overcomplete_basis_fits_and_transforms():
    X, _ = whitened_mixture(500)
    model = quietly(ReconstructionICA(8, max_iter=50, random_state=0).fit, X)
    codes = model.transform(X)
    assert model.components_.shape == (8, 4)
    assert codes.shape == (500, 8)
    np.testing.assert_allclose(codes, X @ model.components_.T, rtol=1e-12)
    np.testing.assert_allclose(
        model.inverse_transform(codes), codes @ model.components_, rtol=1e-12
    )


def test_loss_is_j_at_the_result_and_the_curve_falls():
    X, _ = whitened_mixture(500)
    model = quietly(ReconstructionICA(6, max_iter=60, random_state=0).fit, X)
    J, _ = rica_loss_grad_reference(
        model.components_.ravel(), X, n_components=6, sparsity=0.1, epsilon=1e-2
    )
    assert model.loss_ == pytest.approx(J, rel=1e-12)
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    assert model.n_iter_ == len(model.loss_curve_)


def test_float32_trains_in_float32():
    X, _ = whitened_mixture(500)
    model = quietly(ReconstructionICA(6, max_iter=30, random_state=0).fit, X)
    model32 = quietly(
        ReconstructionICA(6, max_iter=30, random_state=0).fit, X.astype(np.float32)
    )
    assert model32.components_.dtype == np.float32
    assert model32.transform(X.astype(np.float32)).dtype == np.float32
    assert model32.loss_ == pytest.approx(model.loss_, rel=1e-4)


def test_fit_and_transform_a_dask_array():
    da = pytest.importorskip("dask.array")

    X, _ = whitened_mixture(400)
    X_dask = da.from_array(X, chunks=(100, 4))
    params = dict(n_components=6, max_iter=30, random_state=0)
    in_memory = quietly(ReconstructionICA(**params).fit, X)
    on_dask = quietly(ReconstructionICA(**params).fit, X_dask)
    assert on_dask.loss_ == pytest.approx(in_memory.loss_, rel=1e-6)
    codes = on_dask.transform(X_dask)
    assert isinstance(codes, da.Array)
    np.testing.assert_allclose(codes.compute(), on_dask.transform(X), rtol=1e-14)
    decoded = on_dask.inverse_transform(codes)
    assert isinstance(decoded, da.Array)
    np.testing.assert_allclose(
        decoded.compute(), on_dask.inverse_transform(on_dask.transform(X)), rtol=1e-14
    )


def test_sparse_input_is_refused_with_a_clear_error():
    with pytest.raises(TypeError, match="dense data is required"):
        ReconstructionICA(4).fit(sp.random(20, 4, density=0.5, format="csr"))


def test_inverse_transform_checks_the_code_width():
    X, _ = whitened_mixture(100)
    model = quietly(ReconstructionICA(6, max_iter=5, random_state=0).fit, X)
    with pytest.raises(ValueError, match="6 components"):
        model.inverse_transform(np.zeros((3, 4)))


def test_epsilon_must_be_positive():
    with pytest.raises(ValueError, match="epsilon"):
        ReconstructionICA(4, epsilon=0.0).fit(np.eye(4))


@pytest.mark.parametrize("n_components", [4, 8])
def test_check_gradient_with_normalized_filters_below_1e9(n_components):
    X, _ = whitened_mixture(40)
    model = ReconstructionICA(n_components, normalize_filters=True)
    assert check_gradient(model, X, random_state=0) < 1e-9


def test_normalized_filters_are_unit_rows_and_loss_is_J_at_them():
    X, _ = whitened_mixture(200)
    model = quietly(
        ReconstructionICA(8, normalize_filters=True, max_iter=30, random_state=0).fit,
        X,
    )
    norms = np.linalg.norm(model.components_, axis=1)
    np.testing.assert_allclose(norms, 1.0, atol=1e-4)
    J_at_filters, _ = rica_loss_grad_reference(
        model._packed_parameters(),
        X,
        n_components=8,
        sparsity=0.1,
        epsilon=1e-2,
        normalize_filters=True,
    )
    assert J_at_filters == pytest.approx(model.loss_, rel=1e-4)
