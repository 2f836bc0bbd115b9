"""score_samples on every estimator with a reconstruction, and score for
ReconstructionICA and TopographicSparseCoding: score is the mean of
score_samples, each sample's score is its own, and both follow X."""

import warnings

import numpy as np
import pytest
from helpers import laplace_data, quietly
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, cross_validate

from skl_sparseae import (
    DeepSparseAutoencoder,
    ReconstructionICA,
    SparseAutoencoder,
    TopographicSparseCoding,
)
from skl_sparseae._forward import reconstruction_loss_per_sample


def digits(n_samples=200):
    return load_digits().data[:n_samples] / 16.0


def laplace(n_samples=200):
    return laplace_data(n_samples, 8)


MODELS = {
    "SparseAutoencoder": (
        lambda: SparseAutoencoder(8, random_state=0, tol=1e-3),
        digits,
    ),
    "DeepSparseAutoencoder": (
        lambda: DeepSparseAutoencoder((8, 4), random_state=0, tol=1e-3),
        digits,
    ),
    "ReconstructionICA": (lambda: ReconstructionICA(6, random_state=0), laplace),
    "TopographicSparseCoding": (
        lambda: TopographicSparseCoding(9, random_state=0, max_iter=15),
        laplace,
    ),
}


def fitted(name):
    make, data = MODELS[name]
    X = data()
    return quietly(make().fit, X), X


@pytest.mark.parametrize("name", MODELS)
def test_score_is_the_mean_of_score_samples(name):
    model, X = fitted(name)
    scores = model.score_samples(X)
    assert scores.shape == (X.shape[0],) and scores.dtype == np.float64
    assert model.score(X) == pytest.approx(float(np.mean(scores)), rel=1e-14)


@pytest.mark.parametrize("name", MODELS)
def test_a_samples_score_does_not_depend_on_the_others(name):
    model, X = fitted(name)
    np.testing.assert_allclose(
        model.score_samples(X[:7]), model.score_samples(X)[:7], rtol=1e-12
    )


def test_an_autoencoders_sample_score_is_its_negative_reconstruction_loss():
    model, X = fitted("SparseAutoencoder")
    X_hat_pre = model.transform(X) @ model.decoder_components_
    X_hat_pre += model.intercept_visible_
    expected = -reconstruction_loss_per_sample(
        X, X_hat_pre, "squared_error", "logistic"
    )
    np.testing.assert_allclose(model.score_samples(X), expected, rtol=1e-12)


@pytest.mark.parametrize("normalize_filters", [False, True])
def test_rica_score_on_its_training_data_is_minus_its_objective(normalize_filters):
    X = laplace()
    model = ReconstructionICA(6, random_state=0, normalize_filters=normalize_filters)
    quietly(model.fit, X)
    # J is the mean of the per-sample terms: no other term.
    assert model.score(X) == pytest.approx(-model.loss_, rel=1e-12)


def test_sparse_coding_score_on_its_training_data_improves_on_its_objective():
    model, X = fitted("TopographicSparseCoding")
    D = model.components_
    per_sample_part = model.loss_ - model.alpha * float(np.sum(D * D))
    # transform's exact codes can only lower each sample's term below that
    # of the fit's last codes step, and by little.
    assert -model.score(X) <= per_sample_part * (1 + 1e-12)
    assert -model.score(X) == pytest.approx(per_sample_part, rel=1e-3)


def test_samples_unlike_the_training_data_score_lower():
    X = digits(600)
    y = load_digits().target[:600]
    model = SparseAutoencoder(16, random_state=0, tol=1e-3).fit(X[y == 0])
    scores = model.score_samples(X)
    # Zeros are what the model has seen; the other digits are not.
    assert np.median(scores[y == 0]) > np.percentile(scores[y != 0], 90)


@pytest.mark.parametrize("name", ["ReconstructionICA", "TopographicSparseCoding"])
def test_the_basis_models_cross_validate_and_search_without_labels(name):
    make, data = MODELS[name]
    X = data(120)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few iterations: ConvergenceWarning
        results = cross_validate(make().set_params(max_iter=5), X, cv=3)
        assert np.all(np.isfinite(results["test_score"]))
        search = GridSearchCV(
            make().set_params(max_iter=5), {"epsilon": [1e-2, 1e-1]}, cv=2
        ).fit(X)
    assert search.best_params_["epsilon"] in (1e-2, 1e-1)


def test_a_nan_sample_score_is_an_error_on_numpy_and_when_dask_computes_it():
    model, X = fitted("SparseAutoencoder")
    # A NaN loss (no finite X we know of gives one; the check must hold if
    # one does), as test_dask checks of score.
    model._reconstruction_losses = lambda X, ops: np.full(X.shape[0], np.nan)
    with pytest.raises(ValueError, match="not defined"):
        model.score_samples(X)
    da = pytest.importorskip("dask.array")
    lazy = model.score_samples(da.from_array(X, chunks=(50, 64)))
    with pytest.raises(ValueError, match="not defined"):
        lazy.compute()


def test_score_samples_of_a_dask_array_is_lazy_with_its_row_chunks():
    da = pytest.importorskip("dask.array")
    for name in ("SparseAutoencoder", "ReconstructionICA", "TopographicSparseCoding"):
        model, X = fitted(name)
        lazy = model.score_samples(da.from_array(X, chunks=(50, X.shape[1])))
        assert isinstance(lazy, da.Array) and lazy.chunks == ((50,) * 4,)
        np.testing.assert_allclose(lazy.compute(), model.score_samples(X), rtol=1e-12)
        assert model.score(da.from_array(X, chunks=(50, X.shape[1]))) == (
            pytest.approx(model.score(X), rel=1e-12)
        )


@pytest.mark.parametrize("name", ["SparseAutoencoder", "ReconstructionICA"])
def test_score_samples_follows_x_on_the_array_api_path(name):
    array_api_strict = pytest.importorskip("array_api_strict")
    import sklearn

    make, data = MODELS[name]
    X = data()
    X_strict = array_api_strict.asarray(X)
    with sklearn.config_context(array_api_dispatch=True):
        model = quietly(make().fit, X_strict)
        scores = model.score_samples(X_strict)
        score = model.score(X_strict)
    assert type(scores) is type(X_strict)
    assert scores.dtype == array_api_strict.float64
    assert isinstance(score, float)
    np.testing.assert_allclose(np.asarray(scores).mean(), score, rtol=1e-12)
