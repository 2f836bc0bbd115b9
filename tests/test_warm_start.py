"""warm_start=True, with scikit-learn's meaning (MLPRegressor's): the next fit
starts from the fitted parameters; the shapes must match; n_iter_ and
loss_curve_ say what the new fit did."""

import warnings

import numpy as np
import pytest
from helpers import laplace_data, quietly
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skl_sparseae import (
    DeepSparseAutoencoder,
    ReconstructionICA,
    SparseAutoencoder,
    SparseAutoencoderClassifier,
    TopographicSparseCoding,
)


def digits(n_samples=200):
    X, y = load_digits(return_X_y=True)
    return X[:n_samples] / 16.0, y[:n_samples]


ESTIMATORS = {
    "SparseAutoencoder": lambda **p: SparseAutoencoder(6, random_state=0, **p),
    "DeepSparseAutoencoder": lambda **p: DeepSparseAutoencoder(
        (6, 3), random_state=0, **p
    ),
    "SparseAutoencoderClassifier": lambda **p: SparseAutoencoderClassifier(
        (6,), random_state=0, pretrain_max_iter=20, **p
    ),
    "ReconstructionICA": lambda **p: ReconstructionICA(6, random_state=0, **p),
}


def data_for(name):
    X, y = digits()
    if name == "ReconstructionICA":
        X = X - X.mean(axis=0)
    return (X, y) if name == "SparseAutoencoderClassifier" else (X,)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_a_warm_fit_continues_from_the_fitted_parameters(name):
    data = data_for(name)
    first = quietly(ESTIMATORS[name](max_iter=15, tol=0).fit, *data)
    cold_start = quietly(ESTIMATORS[name](max_iter=1, tol=0).fit, *data)
    warm = first.set_params(warm_start=True, max_iter=5)
    previous_loss = warm.loss_
    quietly(warm.fit, *data)
    # L-BFGS descends from where the last fit ended, far below where a
    # random start's first iteration gets; the new fit's own iterations
    # only are counted.
    assert warm.n_iter_ == len(warm.loss_curve_) == 5
    assert warm.loss_curve_[0] < previous_loss < cold_start.loss_curve_[0]
    assert warm.loss_ <= warm.loss_curve_[0]


@pytest.mark.parametrize("name", ESTIMATORS)
def test_without_warm_start_a_second_fit_starts_afresh(name):
    data = data_for(name)
    model = quietly(ESTIMATORS[name](max_iter=15, tol=0).fit, *data)
    quietly(model.fit, *data)
    fresh = quietly(ESTIMATORS[name](max_iter=15, tol=0).fit, *data)
    assert model.loss_curve_ == fresh.loss_curve_


def test_a_warm_fit_of_sparse_coding_continues_from_the_fitted_dictionary():
    X = laplace_data(120, 6)
    first = TopographicSparseCoding(9, random_state=0, max_iter=4, tol=0)
    quietly(first.fit, X)
    cold_start = quietly(
        TopographicSparseCoding(9, random_state=0, max_iter=1, tol=0).fit, X
    )
    dictionary = first.components_.copy()
    warm = first.set_params(warm_start=True, max_iter=2)
    quietly(warm.fit, X)
    assert warm.n_iter_ == 2
    # The codes start from the ridge solution for the fitted dictionary, so
    # the first alternation lands near where the last fit ended, far below
    # a random start's first alternation.
    assert warm.loss_curve_[0] < cold_start.loss_curve_[0]
    assert not np.array_equal(warm.components_, dictionary)


@pytest.mark.parametrize(
    "name, change, message",
    [
        ("SparseAutoencoder", {"n_components": 7}, r"hidden layers \(6,\).*\(7,\)"),
        (
            "DeepSparseAutoencoder",
            {"hidden_layer_sizes": (6, 2)},
            r"\(6, 3\).*\(6, 2\)",
        ),
        ("SparseAutoencoderClassifier", {"hidden_layer_sizes": (5,)}, "shapes"),
        ("ReconstructionICA", {"n_components": 4}, r"\(6, 64\).*\(4, 64\)"),
    ],
)
def test_a_warm_start_of_another_shape_is_a_clear_error(name, change, message):
    data = data_for(name)
    model = quietly(ESTIMATORS[name](max_iter=5).fit, *data)
    before = dict(vars(model))
    model.set_params(warm_start=True, **change)
    with pytest.raises(ValueError, match=f"warm_start=True.*{message}"):
        model.fit(*data)
    # The fit failed: the model is the one fitted before.
    assert model.n_features_in_ == before["n_features_in_"]
    assert model.loss_curve_ is before["loss_curve_"]


def test_a_warm_start_on_other_features_is_a_clear_error():
    X, _ = digits()
    model = quietly(SparseAutoencoder(6, max_iter=5).fit, X)
    model.set_params(warm_start=True)
    with pytest.raises(ValueError, match="network of 64 features.*one of 32"):
        model.fit(X[:, :32])
    assert model.n_features_in_ == 64


def test_a_tied_warm_start_from_untied_weights_is_a_clear_error():
    X, _ = digits()
    model = quietly(SparseAutoencoder(6, max_iter=5).fit, X)
    model.set_params(warm_start=True, tied_weights=True)
    with pytest.raises(ValueError, match="tied weights"):
        model.fit(X)
    # From tied to untied is fine: the decoder starts as the encoder.
    tied = quietly(SparseAutoencoder(6, max_iter=5, tied_weights=True).fit, X)
    quietly(tied.set_params(warm_start=True, tied_weights=False).fit, X)


def test_the_classifier_continues_the_fine_tuning_only():
    X, y = digits()
    model = quietly(ESTIMATORS["SparseAutoencoderClassifier"](max_iter=10).fit, X, y)
    model.set_params(warm_start=True)
    quietly(model.fit, X, y)
    assert model.pretrain_losses_ is None and model.softmax_loss_ is None
    with pytest.raises(ValueError, match="needs fine_tune=True"):
        model.set_params(fine_tune=False).fit(X, y)
    with pytest.raises(ValueError, match="for the classes"):
        model.set_params(fine_tune=True).fit(X[y < 5], y[y < 5])


def test_a_warm_deep_fit_skips_the_pretraining():
    X, _ = digits()
    model = quietly(DeepSparseAutoencoder((6, 3), random_state=0, max_iter=10).fit, X)
    assert len(model.pretrain_losses_) == 2
    quietly(model.set_params(warm_start=True).fit, X)
    assert model.pretrain_losses_ is None


def test_a_warm_start_continues_a_fit_that_hit_max_iter_to_convergence():
    X, _ = digits()
    model = SparseAutoencoder(6, random_state=0, max_iter=20, tol=1e-3)
    with pytest.warns(ConvergenceWarning, match="max_iter=20"):
        model.fit(X)
    model.set_params(warm_start=True, max_iter=2000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X)
    assert model.n_iter_ < 2000
