"""The L-BFGS driver (skl_sparseae._optimize): a fit that stops short of a
minimum says why, a trial point where J is not finite is a rejected step,
and a fit that fails or is interrupted leaves the estimator as it was."""

import warnings

import numpy as np
import pytest
from helpers import unit_data
from scipy.optimize import minimize as scipy_minimize
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from skl_sparseae import DeepSparseAutoencoder, SparseAutoencoder
from skl_sparseae import _optimize as optimize_module
from skl_sparseae._autoencoder_objective import SparseAutoencoderObjective
from skl_sparseae._executors import IN_MEMORY
from skl_sparseae._optimize import minimize_lbfgs

# Why a fit stopped --------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:.*dead and .* saturated of:UserWarning")
def test_line_search_failure_far_from_a_minimum_warns_with_the_reason():
    X = (unit_data(30, 8, seed=1) * 100).astype(np.float32)
    model = SparseAutoencoder(
        n_components=5, max_iter=200, random_state=1, decoder_activation="identity"
    )
    with pytest.warns(ConvergenceWarning, match="line search could not lower J") as w:
        model.fit(X)
    assert "not at a minimum" in str(w[0].message)
    assert "float64" in str(w[0].message)


@pytest.mark.filterwarnings("ignore:.*dead and .* saturated of:UserWarning")
def test_fit_that_cannot_move_at_all_warns_and_names_the_data():
    X = np.full((30, 8), 1e150)
    model = SparseAutoencoder(
        n_components=5, random_state=1, decoder_activation="identity"
    )
    with pytest.warns(ConvergenceWarning, match="X's values are large"):
        model.fit(X)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"tied_weights": True, "decoder_activation": "identity"},
        {"loss": "cross_entropy"},
        {"beta": 0.0},
    ],
    ids=["default", "tied-identity", "cross-entropy", "no-sparsity"],
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ordinary_fits_converge_quietly(options, dtype, seed):
    X = unit_data(60, 10, seed=seed).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = SparseAutoencoder(n_components=6, random_state=seed, **options).fit(X)
    assert model.n_iter_ < model.max_iter


# Trial points where J overflows -------------------------------------------------


def nearly_solved():
    """The property run's find: one sample, and a weight decay so small that
    the gradient's square underflows near the end (L-BFGS's next step is NaN)."""
    return np.array([[0.5488135]]), {
        "alpha": 3.8e-240,
        "beta": 0.0,
        "rho": 0.5,
        "max_iter": 5,
        "random_state": 0,
    }


def test_a_nan_step_of_lbfgs_on_a_nearly_solved_fit_ends_it_cleanly(capsys):
    X, options = nearly_solved()
    model = SparseAutoencoder(n_components=2, verbose=1, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X)
    assert model.loss_ < 1e-239
    assert np.all(np.isfinite(model.components_))
    last_line = capsys.readouterr().out.splitlines()[-2]
    assert "converged" in last_line
    assert "L-BFGS's own step was not finite at" in last_line
    assert "check X" not in last_line


def test_the_deep_model_ends_a_nearly_solved_fit_cleanly_too():
    X, options = nearly_solved()
    model = DeepSparseAutoencoder(hidden_layer_sizes=(2,), **options)
    # Pretraining the layer runs into max_iter=5 and says so; fine-tuning
    # starts where the gradient is too small for L-BFGS to take a step.
    with pytest.warns(ConvergenceWarning, match=r"max_iter=5\)") as caught:
        model.fit(X)
    assert [str(w.message).startswith("SparseAutoencoder(") for w in caught] == [True]
    assert model.loss_ < 1e-239
    assert model.n_iter_ == 0


def bounded_square(wall):
    """J = x^2 / 2 inside |x| < wall, not finite outside."""

    def objective(theta):
        if np.max(np.abs(theta)) >= wall:
            return np.inf, np.full_like(theta, np.nan)
        return 0.5 * float(theta @ theta), theta.copy()

    return objective


def test_a_trial_point_where_j_overflows_is_a_rejected_step(capsys):
    # L-BFGS-B's first step is 1/|grad| long: from 1e-3 it reaches -0.999,
    # past the wall, where J is infinite. The line search backs off.
    result = minimize_lbfgs(
        bounded_square(0.01),
        np.array([1e-3]),
        max_iter=50,
        tol=0,
        label="bounded",
        verbose=1,
    )
    assert result.converged
    assert abs(result.theta[0]) < 1e-6
    assert result.loss <= 0.5e-6
    out = capsys.readouterr().out
    assert "J or its gradient overflowed at 1 trial point, where the step" in out


def test_a_fit_that_every_step_overflows_stops_where_it_is_and_says_why():
    def finite_only_at_the_start(theta):
        if theta[0] != 1.0:
            return np.inf, np.full_like(theta, np.nan)
        return 1.0, np.ones(1)

    with pytest.warns(ConvergenceWarning, match="not at a minimum") as caught:
        result = minimize_lbfgs(
            finite_only_at_the_start, np.ones(1), max_iter=10, tol=0, label="walled"
        )
    message = str(caught[0].message)
    assert "J or its gradient overflowed at" in message
    assert "J is finite at every iterate" in message
    assert result.theta.tolist() == [1.0]
    assert result.loss == 1.0
    assert not result.converged


def test_lbfgs_that_accepts_a_rejected_point_starts_again_from_the_last_iterate(
    monkeypatch,
):
    # scipy's line search can end on a warning at the point it tried last:
    # if that point was rejected, the driver starts again from the iterate
    # before it, with a new L-BFGS memory.
    starts = []

    def accepts_a_rejected_point_once(fun, x0, callback, **kwargs):
        starts.append(np.array(x0))
        if len(starts) == 1:
            fun(x0 - 0.5)
            callback(x0 - 0.5)  # an iterate
            fun(np.array([np.nan]))
            callback(np.array([np.nan]))  # the rejected point "accepted"
        return scipy_minimize(fun, x0, callback=callback, **kwargs)

    monkeypatch.setattr(optimize_module, "minimize", accepts_a_rejected_point_once)
    result = minimize_lbfgs(
        bounded_square(10.0), np.array([2.0]), max_iter=50, tol=0, label="restart"
    )
    assert [start.tolist() for start in starts] == [[2.0], [1.5]]
    assert result.converged
    assert abs(result.theta[0]) < 1e-6
    assert result.loss_curve[0] == 0.5 * 1.5**2


# All-or-nothing fits -------------------------------------------------------------


def fitted_state(model):
    return {
        name: (value.copy() if isinstance(value, np.ndarray) else value)
        for name, value in vars(model).items()
    }


def assert_same_state(model, state):
    assert set(vars(model)) == set(state)
    for name, value in state.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(model, name), value)
        else:
            assert getattr(model, name) == value, name


def test_failed_fit_leaves_an_unfitted_model_unfitted():
    model = SparseAutoencoder(loss="cross_entropy")
    with pytest.raises(ValueError, match=r"X in \[0, 1\]"):
        model.fit(unit_data() * 5)
    assert not hasattr(model, "n_features_in_")
    with pytest.raises(NotFittedError):
        model.transform(unit_data())


def test_failed_refit_keeps_the_previous_fit():
    model = SparseAutoencoder(n_components=3, loss="cross_entropy", random_state=0)
    model.fit(unit_data())
    before = fitted_state(model)
    H = model.transform(unit_data())
    with pytest.raises(ValueError, match=r"cross_entropy loss needs X in \[0, 1\]"):
        model.fit(unit_data(n_features=5) * 5)
    assert_same_state(model, before)
    np.testing.assert_array_equal(model.transform(unit_data()), H)


@pytest.mark.parametrize("exception", [KeyboardInterrupt, MemoryError])
@pytest.mark.parametrize("fitted", [False, True])
def test_interrupted_fit_leaves_the_model_as_it_was(exception, fitted, monkeypatch):
    model = SparseAutoencoder(n_components=3, random_state=0)
    if fitted:
        model.fit(unit_data())
    before = fitted_state(model)
    original = SparseAutoencoderObjective._evaluate
    calls = []

    def interrupted(self, theta):
        calls.append(1)
        if len(calls) == 5:
            raise exception()
        return original(self, theta)

    monkeypatch.setattr(SparseAutoencoderObjective, "_evaluate", interrupted)
    with pytest.raises(exception):
        model.fit(unit_data(n_features=6))
    assert_same_state(model, before)


# tol=0: the minimum to the arithmetic's precision ------------------------------


def rosenbrock(theta):
    """J and its gradient: a narrow curved valley, least at (1, ..., 1)."""
    x, y = theta[:-1], theta[1:]
    loss = float(np.sum(100.0 * (y - x * x) ** 2 + (1.0 - x) ** 2))
    grad = np.zeros_like(theta)
    grad[:-1] = -400.0 * x * (y - x * x) - 2.0 * (1.0 - x)
    grad[1:] += 200.0 * (y - x * x)
    return loss, grad


def test_lbfgs_alone_stops_near_sqrt_eps_and_the_polish_goes_on_to_rounding():
    X = unit_data(40, 8, seed=2)
    model = SparseAutoencoder(4, rho=0.3, alpha=3e-3)
    theta0 = model._layout(8).initial_parameters(np.random.RandomState(0))
    with model._training_objective(X, None, IN_MEMORY) as objective:
        runs = [
            minimize_lbfgs(
                objective, theta0, max_iter=2000, tol=0, label="J", polish=polish
            )
            for polish in (False, True)
        ]
    plain, polished = runs
    assert plain.converged and polished.converged
    # The same L-BFGS run, then Newton steps.
    assert polished.n_iter == plain.n_iter
    assert polished.loss_curve == plain.loss_curve
    assert "Newton" in polished.stop_reason and "Newton" not in plain.stop_reason
    assert np.max(np.abs(polished.grad)) < 1e-14 < 1e-11 < np.max(np.abs(plain.grad))
    # Newton's step from the polished point is below rounding; L-BFGS's
    # result was 1e-8 (relative) away.
    distance = np.max(np.abs(plain.theta - polished.theta))
    assert 1e-10 < distance / np.max(np.abs(polished.theta)) < 1e-5


def test_the_polish_ends_with_the_objective_evaluated_at_its_result():
    points = []

    def recorded(theta):
        points.append(np.array(theta))
        return rosenbrock(theta)

    theta, loss, grad, steps = optimize_module.polish_to_rounding(
        recorded, np.full(4, 1.0 + 1e-6), *rosenbrock(np.full(4, 1.0 + 1e-6))
    )
    assert steps >= 1
    np.testing.assert_array_equal(points[-1], theta)
    assert (loss, list(grad)) == (rosenbrock(theta)[0], list(rosenbrock(theta)[1]))


def test_the_polish_keeps_no_step_that_does_not_shrink_the_gradient():
    # At the exact minimum there is nothing to gain: theta comes back as is.
    theta, _, grad, steps = optimize_module.polish_to_rounding(
        rosenbrock, np.ones(4), *rosenbrock(np.ones(4))
    )
    assert steps == 0
    np.testing.assert_array_equal(theta, np.ones(4))
    assert not np.any(grad)


@pytest.mark.filterwarnings("ignore:.*dead and .* saturated of:UserWarning")
def test_a_tol_0_fit_that_converges_is_polished_and_says_so(capsys):
    X = unit_data(40, 8, seed=2)
    model = SparseAutoencoder(4, rho=0.3, alpha=3e-3, tol=0, random_state=0)
    codes = model.set_params(verbose=1).fit_transform(X)
    output = capsys.readouterr().out
    assert "Newton steps took the largest gradient entry from" in output
    # At the fitted parameters the gradient is at rounding's level...
    with model._training_objective(X, None, IN_MEMORY) as objective:
        _, grad = objective(model._packed_parameters())
    assert np.max(np.abs(grad)) < 1e-13
    # ... and fit_transform's codes are those of the polished parameters.
    np.testing.assert_array_equal(codes, model.transform(X))
    assert model.n_iter_ == len(model.loss_curve_)


@pytest.mark.filterwarnings("ignore:.*dead and .* saturated of:UserWarning")
def test_float32_and_default_tol_fits_are_not_polished(capsys):
    X = unit_data(40, 8, seed=2)
    for X_fit, tol in ((X.astype(np.float32), 0), (X, 1e-4)):
        SparseAutoencoder(
            4, rho=0.3, alpha=3e-3, tol=tol, random_state=0, verbose=1
        ).fit(X_fit)
        assert "Newton" not in capsys.readouterr().out


# Why a run stopped, as a table (classify_stop is a pure function) ---------------

# A run whose line search failed far from a minimum; each row changes some facts.
STALLED = optimize_module.StopFacts(
    on_request=False,
    by_window=False,
    status=2,
    n_iter=12,
    max_iter=100,
    n_evaluations=40,
    tol=1e-4,
    gtol=0.0,
    largest_grad=1e-3,
    relative_grad=1e-2,
    grad_squared_norm=1e-5,
    levelled_off_to_rounding=False,
    rejected=False,
    loss0=2.0,
)
STOP_TABLE = [
    # (facts changed, kind, converged, words in the reason)
    ({}, "stall", False, "after 12 iterations because its line search could not"),
    ({"on_request": True, "by_window": True}, "request", False, "a callback asked"),
    ({"by_window": True}, "window", True, "fell by less than tol=0.0001"),
    ({"status": 0, "largest_grad": 0.0}, "gradient", True, "exactly zero"),
    ({"status": 0, "gtol": 1e-3}, "gradient", True, "fell to gtol=0.001"),
    ({"status": 0, "gtol": 1e-4}, "stall", False, "line search could not"),
    ({"status": 1, "n_iter": 100}, "limit", False, "100 iterations (max_iter=100)"),
    ({"status": 1}, "limit", False, "40 evaluations of the objective in 12"),
    ({"rejected": True, "loss0": 1e120}, "overflow", False, "from J = 1e+120"),
    ({"rejected": True}, "stall", False, "line search could not"),
    ({"levelled_off_to_rounding": True}, "rounding", True, "0.01 times its start"),
    ({"grad_squared_norm": 1e-320}, "underflow", True, "too small for L-BFGS"),
    ({"status": 1, "by_window": True}, "window", True, "converged"),
]


@pytest.mark.parametrize(
    "changes, kind, converged, words", STOP_TABLE, ids=[row[1] for row in STOP_TABLE]
)
def test_classify_stop_by_table(changes, kind, converged, words):
    from dataclasses import replace

    stop = optimize_module.classify_stop(replace(STALLED, **changes))
    assert (stop.kind, stop.converged) == (kind, converged)
    assert words in stop.reason
    assert stop.kind in optimize_module.STOP_KINDS


def test_every_kind_of_stop_is_in_the_table():
    assert {row[1] for row in STOP_TABLE} == set(optimize_module.STOP_KINDS)
