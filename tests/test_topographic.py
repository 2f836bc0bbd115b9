"""TopographicSparseCoding: the estimator shell around the sparse coding objective."""

import copy
import warnings

import numpy as np
import pandas as pd
import pytest
from helpers import laplace_data, warned_from
from sklearn.exceptions import ConvergenceWarning

from skl_sparseae import TopographicSparseCoding, check_gradient
from skl_sparseae._reference import sparse_coding_loss_grad_reference
from skl_sparseae._sparse_coding_objective import topographic_grouping


def quick(**params):
    options = dict(n_components=16, max_iter=30, random_state=0)
    options.update(params)
    return TopographicSparseCoding(**options)


def joint_J_and_grad(model, X, codes):
    theta = np.concatenate(
        [model.components_.astype(np.float64).ravel(), codes.ravel()]
    )
    return sparse_coding_loss_grad_reference(
        theta,
        X,
        grouping=model.grouping_,
        sparsity=model.sparsity,
        epsilon=model.epsilon,
        alpha=model.alpha,
    )


@pytest.fixture(scope="module")
def fitted():
    X = laplace_data(150, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return quick().fit(X), X


# --- The gradient check ------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        dict(n_components=9),
        dict(n_components=16, neighborhood_size=2),
        dict(n_components=9, neighborhood_size=1),
        dict(n_components=5, neighborhood_size=1),
        dict(n_components=9, epsilon=1e-5, sparsity=10.0),
        dict(n_components=9, neighborhood_size=1, sparsity=10.0),
        dict(n_components=9, alpha=1.0, sparsity=0.0),
        dict(n_components=9, chunk_size=4),
    ],
)
def test_check_gradient_below_1e9(params):
    X = laplace_data(12, 5)
    model = TopographicSparseCoding(**params)
    assert check_gradient(model, X, random_state=0) < 1e-9


def test_check_gradient_near_the_fitted_dictionary_and_codes(fitted):
    model, X = fitted
    rows = X[:10]
    # At the fitted point itself the gradient is almost zero, and the ratio
    # would measure the finite difference's rounding (check_gradient's
    # docstring); a step away, it measures the gradient, to 1e-9.
    theta = model._packed_parameters(rows)
    theta = theta + 0.05 * np.random.RandomState(0).randn(theta.size)
    assert check_gradient(model, rows, params=theta) < 1e-9


# --- transform is the minimiser over the codes ------------------------------------


def test_transform_returns_a_minimiser_of_J_over_the_codes(fitted):
    model, X = fitted
    codes = model.transform(X)
    J, grad = joint_J_and_grad(model, X, codes)
    codes_grad = grad[model.components_.size :].reshape(codes.shape) * len(X)
    assert np.max(np.abs(codes_grad)) < 1e-9
    rng = np.random.RandomState(0)
    for _ in range(5):
        nudged = codes + 1e-3 * rng.randn(*codes.shape)
        assert joint_J_and_grad(model, X, nudged)[0] > J


def test_transform_of_a_sample_does_not_depend_on_the_others(fitted):
    model, X = fitted
    together = model.transform(X[:20])
    alone = np.vstack([model.transform(X[i : i + 1]) for i in range(20)])
    np.testing.assert_allclose(alone, together, atol=1e-10)


def test_fit_ends_no_lower_than_the_codes_of_transform(fitted):
    model, X = fitted
    J_at_transform = joint_J_and_grad(model, X, model.transform(X))[0]
    assert model.loss_ >= J_at_transform - 1e-12


# --- The fit ---------------------------------------------------------------------


def test_the_alternating_fit_lowers_J_at_every_step(fitted):
    model, _ = fitted
    curve = np.array(model.loss_curve_)
    assert np.all(np.diff(curve) <= 1e-12 * curve[1:])
    assert model.loss_ == curve[-1]
    assert model.n_iter_ == len(curve)


def test_fitted_attributes(fitted):
    model, X = fitted
    assert model.components_.shape == (16, X.shape[1])
    assert np.array_equal(model.grouping_, topographic_grouping(16, 4, 3))
    assert model.transform(X).shape == (len(X), 16)
    assert model.get_feature_names_out()[0] == "topographicsparsecoding0"


def test_fit_stops_when_J_levels_off():
    X = laplace_data(150, 8)
    model = quick(max_iter=500, tol=1e-3).fit(X)
    assert model.n_iter_ < 500
    curve = model.loss_curve_
    assert curve[-2] - curve[-1] <= 1e-3 * curve[-1]


def test_same_random_state_same_fit():
    X = laplace_data(150, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        first = quick(max_iter=5).fit(X).components_
        second = quick(max_iter=5).fit(X).components_
    assert np.array_equal(first, second)


def test_max_iter_running_out_warns_at_the_callers_line():
    with pytest.warns(ConvergenceWarning, match="max_iter=2 alternations") as record:
        quick(max_iter=2, tol=0.0).fit(laplace_data(150, 8))
    assert warned_from(record, ConvergenceWarning, "max_iter=2 alternations") == {
        __file__
    }


def test_inverse_transform_reconstructs_from_the_codes(fitted):
    model, X = fitted
    codes = model.transform(X)
    np.testing.assert_allclose(
        model.inverse_transform(codes), codes @ model.components_, rtol=1e-12
    )
    with pytest.raises(ValueError, match="inverse_transform takes codes"):
        model.inverse_transform(X)


def test_plain_smoothed_l1_needs_no_square_grid():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = quick(n_components=10, neighborhood_size=1, max_iter=3).fit(
            laplace_data(150, 8)
        )
    assert np.array_equal(model.grouping_, np.eye(10))


def test_float32_trains_and_transforms_in_float32(fitted):
    model64, X = fitted
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = quick().fit(X.astype(np.float32))
    assert model.components_.dtype == np.float32
    assert model.transform(X.astype(np.float32)).dtype == np.float32
    assert model.loss_ == pytest.approx(model64.loss_, rel=1e-3)


def test_pandas_in_and_set_output_pandas_out(fitted):
    model, X = fitted
    frame = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(X.shape[1])])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = quick(max_iter=3).set_output(transform="pandas").fit(frame)
    out = model.transform(frame)
    assert list(out.columns) == list(model.get_feature_names_out())


def test_verbose_prints_a_line_per_alternation(capsys):
    with pytest.warns(ConvergenceWarning, match="max_iter=3 alternations"):
        quick(max_iter=3, tol=0.0, verbose=1).fit(laplace_data(150, 8))
    lines = [
        line for line in capsys.readouterr().out.splitlines() if "alternation" in line
    ]
    assert len(lines) == 3
    assert "J = " in lines[0] and "sparsity" in lines[0]


# --- Dask ---------------------------------------------------------------------------


def test_transform_of_a_dask_array_is_lazy_and_equal(fitted):
    da = pytest.importorskip("dask.array")
    model, X = fitted
    lazy = model.transform(da.from_array(X, chunks=50))
    assert isinstance(lazy, da.Array)
    assert lazy.chunks[0] == (50, 50, 50)
    np.testing.assert_allclose(lazy.compute(), model.transform(X), atol=1e-12)


def test_fitting_a_dask_array_is_refused_with_advice():
    da = pytest.importorskip("dask.array")
    with pytest.raises(TypeError, match="cannot fit a Dask array"):
        quick().fit(da.from_array(laplace_data(150, 8), chunks=50))


# --- Errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(n_components=10), "does not fit a square topographic grid"),
        (dict(n_components=16, grid_side=5), "does not fit a square topographic grid"),
        (dict(epsilon=0.0), "epsilon"),
        (dict(alpha=0.0), "alpha"),
        (dict(sparsity=-1.0), "sparsity"),
        (dict(neighborhood_size=0), "neighborhood_size"),
    ],
)
def test_bad_parameters_are_refused_with_a_clear_error(params, message):
    with pytest.raises(ValueError, match=message):
        TopographicSparseCoding(**params).fit(laplace_data(150, 8))


def test_a_failed_fit_leaves_the_estimator_as_it_was(fitted):
    model, X = fitted
    before = model.components_.copy()
    with pytest.raises(ValueError, match="not finite"):
        model.set_params(random_state=0).fit(X * 1e200)
    assert np.array_equal(model.components_, before)


def test_sparse_input_is_refused():
    import scipy.sparse as sp

    with pytest.raises(TypeError, match="dense"):
        quick().fit(sp.csr_matrix(laplace_data(150, 8)))


def test_codes_left_unsolved_warn_at_the_callers_line(fitted, monkeypatch):
    from skl_sparseae import _sparse_coding_objective

    model, X = fitted
    # No Newton steps, one L-BFGS iteration: the codes stay short of the
    # minimiser, and transform must say so rather than return them quietly.
    polish = _sparse_coding_objective.newton_polish
    monkeypatch.setattr(
        _sparse_coding_objective,
        "newton_polish",
        lambda objective, codes, tolerance: polish(objective, codes, max_steps=0),
    )
    model = copy.deepcopy(model).set_params(transform_max_iter=1)
    with pytest.warns(ConvergenceWarning, match="transform_max_iter=1") as record:
        model.transform(X)
    assert warned_from(record, ConvergenceWarning, "transform_max_iter=1") == {__file__}
