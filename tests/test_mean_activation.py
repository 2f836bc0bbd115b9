"""mean_activation_: each hidden unit's mean activation over the training set
at the solution (the objective's rho_hat), and the dead and saturated units a
fit reports."""

import warnings

import numpy as np
import pytest
from helpers import quietly, unit_data
from sklearn.datasets import load_digits

from skl_sparseae import DeepSparseAutoencoder, SparseAutoencoder
from skl_sparseae._activity import (
    DEAD_BELOW,
    SATURATED_ABOVE,
    inactive_units,
    report_units,
)
from skl_sparseae._array_ops import NUMPY_OPS
from skl_sparseae._forward import encode_layers


def digits(n_samples=300):
    return load_digits().data[:n_samples] / 16.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mean_activation_is_the_mean_of_the_codes_over_the_training_set(dtype):
    X = digits().astype(dtype)
    model = SparseAutoencoder(8, random_state=0, tol=1e-3).fit(X)
    assert model.mean_activation_.shape == (8,)
    assert model.mean_activation_.dtype == dtype
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(
        model.mean_activation_,
        model.transform(X).mean(axis=0, dtype=np.float64),
        rtol=rtol,
    )


def test_mean_activation_of_a_deep_model_is_one_array_per_encoder_layer():
    X = digits()
    model = DeepSparseAutoencoder((10, 4), random_state=0, tol=1e-3).fit(X)
    assert [a.shape for a in model.mean_activation_] == [(10,), (4,)]
    for layer, mean in enumerate(model.mean_activation_):
        codes = encode_layers(
            X, model.coefs_[: layer + 1], model.intercepts_[: layer + 1], NUMPY_OPS
        )
        np.testing.assert_allclose(mean, codes.mean(axis=0), rtol=1e-12)
    # With beta=3 the penalty holds every layer's units near its rho (the
    # 4-unit code layer within a third of it).
    for mean in model.mean_activation_:
        np.testing.assert_allclose(mean, 0.05, rtol=0.4)


def test_mean_activation_with_return_codes_after_a_stall_is_the_results():
    # fit_transform's codes and mean_activation_ both come from the
    # evaluation at the returned parameters, also where L-BFGS's last
    # evaluation was elsewhere.
    X = digits(60)
    model = SparseAutoencoder(5, random_state=1, max_iter=30)
    H = quietly(model.fit_transform, X)
    np.testing.assert_allclose(model.mean_activation_, H.mean(axis=0), rtol=1e-12)


@pytest.mark.parametrize(
    "values, expected",
    [
        ([0.5, 0.01, 0.2], (0, 0)),
        ([DEAD_BELOW / 2, DEAD_BELOW, 0.5], (1, 0)),
        ([SATURATED_ABOVE, (1 + SATURATED_ABOVE) / 2, 0.3], (0, 1)),
        ([1e-9, 1 - 1e-9, 1e-4, 0.9999], (2, 2)),
    ],
)
def test_dead_and_saturated_units_are_counted_by_the_documented_thresholds(
    values, expected
):
    assert (DEAD_BELOW, SATURATED_ABOVE) == (1e-3, 1 - 1e-3)
    assert inactive_units(np.array(values)) == expected


def test_a_fit_with_dead_units_warns_once_naming_them():
    # Data far outside the logistic decoder's range (which warns too): two
    # of the three units die.
    X = unit_data() * 100
    with pytest.warns(UserWarning) as record:
        model = SparseAutoencoder(3, random_state=0, max_iter=200).fit(X)
    units = [w for w in record if "dead and" in str(w.message)]
    assert len(units) == 1
    dead, saturated = inactive_units(model.mean_activation_)
    assert f"{dead} dead and {saturated} saturated of 3 units" in str(units[0].message)


def test_a_healthy_fit_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = SparseAutoencoder(8, random_state=0, tol=1e-3).fit(digits())
    assert inactive_units(model.mean_activation_) == (0, 0)


def test_a_deep_model_names_the_layer_of_its_inactive_units(capsys):
    layers = [np.array([0.05, 1e-5, 0.04]), np.array([0.9999, 0.1])]
    with pytest.warns(UserWarning, match="layer 1: 1 dead and 0 saturated of 3"):
        report_units("Deep", layers, verbose=1)
    out = capsys.readouterr().out
    assert "layer 2: 2 units" in out and "0 dead, 1 saturated" in out


def test_a_pretraining_stage_does_not_warn_of_its_units():
    X = unit_data(60, 6) * 100
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        quietly(DeepSparseAutoencoder((3, 2), random_state=0, max_iter=50).fit, X)
    units = [str(w.message) for w in record if "dead and" in str(w.message)]
    assert all(message.startswith("DeepSparseAutoencoder(") for message in units)


def test_mean_activation_of_a_dask_fit_is_the_mean_of_its_codes():
    da = pytest.importorskip("dask.array")
    X = digits()
    model = SparseAutoencoder(8, random_state=0, tol=1e-3, chunk_size=50)
    model.fit(da.from_array(X, chunks=(75, 64)))
    assert isinstance(model.mean_activation_, np.ndarray)
    np.testing.assert_allclose(
        model.mean_activation_, model.transform(X).mean(axis=0), rtol=1e-12
    )


def test_mean_activation_follows_x_on_the_array_api_path():
    array_api_strict = pytest.importorskip("array_api_strict")
    import sklearn

    X = digits(100)
    X_strict = array_api_strict.asarray(X)
    with sklearn.config_context(array_api_dispatch=True):
        model = DeepSparseAutoencoder((6, 3), random_state=0, tol=1e-3).fit(X_strict)
        codes = np.asarray(model.transform(X_strict))
    for mean in model.mean_activation_:
        assert type(mean) is type(X_strict)
        assert mean.dtype == array_api_strict.float64
    np.testing.assert_allclose(
        np.asarray(model.mean_activation_[-1]), codes.mean(axis=0), rtol=1e-12
    )
