"""Properties that hold for any data, options and chunking (hypothesis).

CI runs a small derandomized budget (profile ``ci``); a developer runs many
more examples with ``HYPOTHESIS_PROFILE=dev`` (see tests/conftest.py).
"""

import warnings

import numpy as np
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from skl_sparseae import DeepSparseAutoencoder, SparseAutoencoder, check_gradient

OPTIONS = [
    {"loss": "squared_error", "decoder_activation": "logistic"},
    {"loss": "squared_error", "decoder_activation": "identity"},
    {"loss": "cross_entropy", "decoder_activation": "logistic"},
]


@st.composite
def problems(draw):
    """A data set and a SparseAutoencoder to fit it with."""
    n_samples = draw(st.integers(1, 40))
    n_features = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**16))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    layout = draw(st.sampled_from(["dense", "csr", "csc"]))
    rng = np.random.RandomState(seed)
    X = rng.uniform(size=(n_samples, n_features))
    X[rng.uniform(size=X.shape) < draw(st.floats(0.0, 0.9))] = 0.0
    X = X.astype(dtype)
    if layout != "dense":
        X = sp.csr_matrix(X) if layout == "csr" else sp.csc_matrix(X)
    params = draw(st.sampled_from(OPTIONS)) | {
        "n_components": draw(st.integers(1, 5)),
        "tied_weights": draw(st.booleans()),
        "rho": draw(st.floats(0.01, 0.5)),
        "beta": draw(st.floats(0.0, 5.0)),
        "alpha": draw(st.floats(0.0, 1e-2)),
        "chunk_size": draw(st.sampled_from([None, "auto", 1, 3, 7])),
        "max_iter": draw(st.integers(1, 15)),
        "random_state": seed,
    }
    return X, SparseAutoencoder(**params)


def fit_quietly(model, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Tiny random problems fitted a few iterations: some leave a unit
        # dead or saturated, and rightly say so.
        warnings.filterwarnings("ignore", ".*dead and .* saturated of", UserWarning)
        warnings.simplefilter("error", RuntimeWarning)
        return model.fit(X)


def dense(X):
    return X.toarray() if sp.issparse(X) else X


@given(problems())
def test_fit_gives_finite_codes_in_the_unit_interval_in_the_input_dtype(problem):
    X, model = problem
    original = dense(X).copy()
    fit_quietly(model, X)
    H = model.transform(X)
    assert H.dtype == X.dtype
    assert H.shape == (X.shape[0], model.n_components)
    assert np.all(np.isfinite(H))
    assert np.all((H >= 0) & (H <= 1))
    assert np.isfinite(model.loss_)
    assert np.all(np.isfinite(model.components_))
    assert model.components_.dtype == X.dtype
    np.testing.assert_array_equal(dense(X), original)  # input not mutated


@given(problems())
def test_refit_is_bit_identical(problem):
    X, model = problem
    first = fit_quietly(model, X).components_.copy()
    curve = list(model.loss_curve_)
    fit_quietly(model, X)
    np.testing.assert_array_equal(model.components_, first)
    assert model.loss_curve_ == curve


@given(problems(), st.integers(0, 2**16))
def test_gradient_matches_finite_differences_at_random_points(problem, seed):
    X, model = problem
    X = X.astype(np.float64)
    difference = check_gradient(model, X, random_state=seed)
    assert difference < 1e-6


@given(problems())
def test_failed_fit_leaves_the_state_unchanged(problem):
    X, model = problem
    bad = dense(X).astype(np.float64)
    bad[0, 0] = np.nan
    try:
        model.fit(bad)
    except ValueError as error:
        assert "NaN" in str(error)
    assert not hasattr(model, "components_")
    try:
        model.transform(dense(X))
    except NotFittedError:
        pass
    else:  # pragma: no cover
        raise AssertionError("an unfitted model transformed")
    fit_quietly(model, X)
    model.set_params(loss="cross_entropy", decoder_activation="logistic")
    state = {name: np.copy(value) for name, value in vars(model).items()}
    wider = np.hstack([dense(X), dense(X)]) * 3.0 + 2.0
    try:
        model.fit(wider)
    except ValueError as error:
        assert "[0, 1]" in str(error)
    else:  # pragma: no cover
        raise AssertionError("cross_entropy accepted data outside [0, 1]")
    assert set(vars(model)) == set(state)
    for name, value in state.items():
        np.testing.assert_array_equal(getattr(model, name), value)


@st.composite
def deep_problems(draw):
    """A data set and a DeepSparseAutoencoder (1 to 3 encoder layers)."""
    X, single = draw(problems())
    depth = draw(st.integers(1, 3))
    sizes = tuple(draw(st.integers(1, 5)) for _ in range(depth))
    per_layer = draw(st.booleans())
    params = single.get_params()
    params.pop("n_components")
    params |= {
        "hidden_layer_sizes": sizes,
        "rho": tuple(draw(st.floats(0.01, 0.5)) for _ in sizes)
        if per_layer
        else params["rho"],
        "beta": tuple(draw(st.floats(0.0, 5.0)) for _ in sizes)
        if per_layer
        else params["beta"],
        "pretrain": draw(st.booleans()),
    }
    return X, DeepSparseAutoencoder(**params)


@given(deep_problems(), st.integers(0, 2**16))
def test_deep_model_fits_finite_codes_and_exact_gradients(problem, seed):
    X, model = problem
    fit_quietly(model, X)
    H = model.transform(X)
    assert H.dtype == X.dtype
    assert H.shape == (X.shape[0], model.hidden_layer_sizes[-1])
    assert np.all(np.isfinite(H)) and np.all((H >= 0) & (H <= 1))
    assert check_gradient(model, X.astype(np.float64), random_state=seed) < 1e-6
