"""What X is, asked once per public call: ``executor_for(X)`` once (and,
for the deep model and the classifier, once more in each pretraining
stage, a SparseAutoencoder's own ``fit_transform``), and nothing below the
shell asks again: no ``ops_for`` outside ``executor_for``. Counted for
every estimator, public method and path (NumPy, Dask, a device)."""

import sys
import warnings

import numpy as np
import pytest
from helpers import unit_data
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning

import skl_sparseae
from skl_sparseae import (
    DeepSparseAutoencoder,
    ReconstructionICA,
    SparseAutoencoder,
    SparseAutoencoderClassifier,
    TopographicSparseCoding,
    _array_ops,
    _executors,
)

pytestmark = pytest.mark.filterwarnings("ignore:.*dead and .* saturated of:UserWarning")


@pytest.fixture
def asked(monkeypatch):
    """``{"executor_for": n, "ops_for": n}``: the calls made since the last
    ``clear``, ``ops_for`` counted only outside ``executor_for``."""
    counts = {"executor_for": 0, "ops_for": 0}
    inside = [0]
    originals = {
        "executor_for": _executors.executor_for,
        "ops_for": _array_ops.ops_for,
    }

    def counted(name, function):
        def wrapper(*args, **kwargs):
            if name == "executor_for" or not inside[0]:
                counts[name] += 1
            inside[0] += name == "executor_for"
            try:
                return function(*args, **kwargs)
            finally:
                inside[0] -= name == "executor_for"

        return wrapper

    for module_name, module in list(sys.modules.items()):
        if module_name.split(".")[0] != "skl_sparseae":
            continue
        for name, original in originals.items():
            if getattr(module, name, None) is original:
                monkeypatch.setattr(module, name, counted(name, original))
    return counts


def clear(counts):
    counts.update(executor_for=0, ops_for=0)
    return counts


# (estimator, pretraining stages its fit runs, methods to call after fit)
CASES = [
    (SparseAutoencoder(4, max_iter=5), 0, ["transform", "inverse", "score"]),
    (DeepSparseAutoencoder((4, 3), max_iter=5), 2, ["transform", "score"]),
    (
        DeepSparseAutoencoder((4, 3), max_iter=5, pretrain=False),
        0,
        ["transform", "inverse", "score_samples"],
    ),
    (
        SparseAutoencoderClassifier((4,), max_iter=5, pretrain_max_iter=5),
        1,
        ["transform", "predict_proba", "predict"],
    ),
    (ReconstructionICA(4, max_iter=5), 0, ["transform", "inverse", "score"]),
    (
        TopographicSparseCoding(4, neighborhood_size=1, max_iter=2),
        0,
        ["transform", "score_samples"],
    ),
]


# Sparse coding fits only in memory; the others fit on every path.
EVERY_PATH = [
    case for case in CASES if not isinstance(case[0], TopographicSparseCoding)
]
EVERY_PATH_IDS = [type(case[0]).__name__ for case in EVERY_PATH]


def check_calls(model, stages, methods, X, y, asked):
    """One executor_for per public call (plus the stages' own), and no
    ops_for outside it; lazy results computed, so that the blocks' work is
    counted too."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clear(asked)
        model.fit(X, y)
        assert asked == {"executor_for": 1 + stages, "ops_for": 0}
        for method in methods:
            argument = model.transform(X) if method == "inverse" else X
            clear(asked)
            if method == "inverse":
                result = model.inverse_transform(argument)
            else:
                result = getattr(model, method)(argument)
            if hasattr(result, "compute"):
                result.compute()
            assert asked == {"executor_for": 1, "ops_for": 0}, method


@pytest.mark.parametrize(
    "model, stages, methods", CASES, ids=[type(c[0]).__name__ for c in CASES]
)
def test_numpy_input_is_looked_at_once_per_call(model, stages, methods, asked):
    X, y = unit_data(40, 6), np.arange(40) % 3
    check_calls(model, stages, methods, X, y, asked)


@pytest.mark.parametrize("model, stages, methods", EVERY_PATH, ids=EVERY_PATH_IDS)
def test_dask_input_is_looked_at_once_per_call(model, stages, methods, asked):
    da = pytest.importorskip("dask.array")
    X, y = unit_data(40, 6), np.arange(40) % 3
    X_dask = da.from_array(X, chunks=(13, 6))
    check_calls(model, stages, methods, X_dask, da.from_array(y, chunks=13), asked)


@pytest.mark.parametrize("model, stages, methods", EVERY_PATH, ids=EVERY_PATH_IDS)
def test_device_input_is_looked_at_once_per_call(model, stages, methods, asked):
    array_api_strict = pytest.importorskip("array_api_strict")
    if skl_sparseae._sklearn_private.move_estimator_to is None:
        pytest.skip("the array API path needs scikit-learn 1.9")
    device = array_api_strict.Device("device1")
    X = array_api_strict.asarray(unit_data(40, 6), device=device)
    y = array_api_strict.asarray(np.arange(40) % 3, device=device)
    with config_context(array_api_dispatch=True):
        check_calls(model, stages, methods, X, y, asked)
