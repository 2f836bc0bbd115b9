"""Saved models keep working: pickles and skops files written by an earlier
version of the package (tests/saved_models, see make.py there) load and give
the outputs they gave when they were written."""

import pathlib
import pickle
import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import InconsistentVersionWarning

sys.path.insert(0, str(pathlib.Path(__file__).parent / "saved_models"))
from make import HERE, outputs  # noqa: E402

NAMES = sorted(path.name.removesuffix(".pkl") for path in HERE.glob("*.pkl"))
# The module each estimator's pickle and skops file name: users trust these
# paths (docs/deploying.rst), so they stay.
MODULES = {
    "sparse_autoencoder": "skl_sparseae._sparse_autoencoder.SparseAutoencoder",
    "sparse_autoencoder_float32": "skl_sparseae._sparse_autoencoder.SparseAutoencoder",
    "deep_sparse_autoencoder": "skl_sparseae._deep.DeepSparseAutoencoder",
    "sparse_autoencoder_classifier": (
        "skl_sparseae._classifier.SparseAutoencoderClassifier"
    ),
    "reconstruction_ica": "skl_sparseae._reconstruction_ica.ReconstructionICA",
    "topographic_sparse_coding": "skl_sparseae._topographic.TopographicSparseCoding",
}


def load_pickle(name):
    with warnings.catch_warnings():
        # Written with scikit-learn 1.9.1: another version says so, rightly.
        warnings.simplefilter("ignore", InconsistentVersionWarning)
        with open(HERE / f"{name}.pkl", "rb") as file:
            return pickle.load(file)


def test_every_estimator_has_saved_files():
    assert NAMES == sorted(MODULES)


def assert_same_outputs(name, model):
    saved = np.load(HERE / f"{name}.outputs.npz")
    now = outputs(name, model)
    assert sorted(now) == sorted(saved.files)
    for method, expected in saved.items():
        if method == "predict":
            np.testing.assert_array_equal(now[method], expected)
            continue
        assert np.asarray(now[method]).dtype == expected.dtype, method
        if name.endswith("float32"):
            # float32 products round differently on another CPU's BLAS
            # kernels (measured: 1-2 float32 units in the last place of the
            # largest output, where the files were written on other kernels
            # than this machine's): within 16 of them. Wrong parameters
            # miss by far more.
            scale = np.max(np.abs(expected))
            tolerance = dict(rtol=0, atol=16 * np.finfo(np.float32).eps * scale)
        else:
            tolerance = dict(rtol=1e-12)
        np.testing.assert_allclose(now[method], expected, err_msg=method, **tolerance)


@pytest.mark.skipif(
    np.lib.NumpyVersion(np.__version__) < "2.0.0",
    reason="the pickles hold numpy 2 arrays, which numpy 1 cannot read",
)
@pytest.mark.parametrize("name", NAMES)
def test_pickle_written_before_loads_and_gives_the_same_outputs(name):
    model = load_pickle(name)
    assert f"{type(model).__module__}.{type(model).__name__}" == MODULES[name]
    assert_same_outputs(name, model)


@pytest.mark.parametrize("name", NAMES)
def test_skops_file_written_before_loads_and_gives_the_same_outputs(name):
    skops_io = pytest.importorskip("skops.io")
    path = HERE / f"{name}.skops"
    assert skops_io.get_untrusted_types(file=path) == [MODULES[name]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InconsistentVersionWarning)
        model = skops_io.load(path, trusted=[MODULES[name]])
    assert_same_outputs(name, model)


@pytest.mark.skipif(
    np.lib.NumpyVersion(np.__version__) < "2.0.0",
    reason="the pickles hold numpy 2 arrays, which numpy 1 cannot read",
)
@pytest.mark.parametrize("name", NAMES)
def test_a_model_saved_before_warm_start_existed_gets_its_default(name):
    # The files predate warm_start: the loaded model has the parameter's
    # default, so that it prints, clones and fits as a new one.
    from sklearn.base import clone

    model = load_pickle(name)
    assert model.get_params()["warm_start"] is False
    assert "warm_start" not in repr(model)
    assert clone(model).get_params() == model.get_params()
    skops_io = pytest.importorskip("skops.io")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InconsistentVersionWarning)
        loaded = skops_io.load(HERE / f"{name}.skops", trusted=[MODULES[name]])
    assert loaded.get_params()["warm_start"] is False
