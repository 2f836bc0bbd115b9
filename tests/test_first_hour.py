"""What a new user meets first: warnings at their own line, unscaled data
flagged, the scikit-learn API as they know it."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils import estimator_html_repr

from skl_sparseae import SparseAutoencoder


def unit_data(n_samples=40, n_features=8, seed=0):
    return np.random.RandomState(seed).uniform(size=(n_samples, n_features))


@pytest.mark.parametrize("method", ["fit", "fit_transform", "pipeline"])
def test_convergence_warning_points_at_the_users_line(method):
    model = SparseAutoencoder(n_components=3, max_iter=2, random_state=0)
    X = unit_data()
    with pytest.warns(ConvergenceWarning) as record:
        if method == "pipeline":
            make_pipeline(MinMaxScaler(), model).fit(X)
        else:
            getattr(model, method)(X)
    assert record[0].filename == __file__


def test_range_warning_points_at_the_users_line():
    with pytest.warns(UserWarning, match="logistic decoder") as record:
        SparseAutoencoder(n_components=3, max_iter=200).fit(unit_data() * 16)
    assert record[0].filename == __file__


@pytest.mark.parametrize("scale", [16.0, 1e6, -1.0])
def test_data_outside_the_logistic_decoders_range_is_flagged(scale):
    X = unit_data() * scale
    with pytest.warns(
        UserWarning, match=r"MinMaxScaler.*decoder_activation='identity'"
    ):
        SparseAutoencoder(n_components=3, max_iter=200).fit(X)


def test_raw_digits_are_flagged_and_scaled_digits_are_not():
    X = load_digits().data[:200]
    with pytest.warns(UserWarning, match=r"X ranges over \[0, 16\]"):
        SparseAutoencoder(n_components=5, max_iter=300).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SparseAutoencoder(n_components=5, random_state=0).fit(
            MinMaxScaler().fit_transform(X)
        )


def test_identity_decoder_takes_any_range_without_a_warning():
    # Only the range warning is in question: whether this fit converges
    # within max_iter (a ConvergenceWarning, also a UserWarning) is not.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        SparseAutoencoder(
            n_components=3, decoder_activation="identity", max_iter=500
        ).fit(unit_data() * 16 - 8)


def test_inverse_transform_takes_X_like_scikit_learns_transformers():
    model = SparseAutoencoder(n_components=3, random_state=0).fit(unit_data())
    H = model.transform(unit_data())
    np.testing.assert_array_equal(
        model.inverse_transform(X=H), model.inverse_transform(H)
    )
    assert not hasattr(model, "set_inverse_transform_request")


def test_n_components_is_documented():
    assert "n_components_ : int" in SparseAutoencoder.__doc__


def test_html_repr_links_to_the_api_page():
    link = SparseAutoencoder()._get_doc_link()
    assert link.startswith("https://")
    assert link.endswith("generated/skl_sparseae.SparseAutoencoder.html")
    assert link in estimator_html_repr(SparseAutoencoder())
