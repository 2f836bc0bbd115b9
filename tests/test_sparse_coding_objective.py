"""Topographic sparse coding's objective (issue 12's math core) as a specification."""

import numpy as np
import pytest
from helpers import gradient_check_ratio, laplace_data

from skl_sparseae import numerical_gradient
from skl_sparseae._reference import sparse_coding_loss_grad_reference
from skl_sparseae._runners import ThreadRunner
from skl_sparseae._sparse_coding_objective import (
    SparseCodingLayout,
    SparseCodingObjective,
    closed_form_dictionary,
    codes_hessians,
    group_pairs,
    initial_codes,
    newton_polish,
    topographic_grouping,
)


def random_point(X, n_components, seed=1):
    layout = SparseCodingLayout(X.shape[0], X.shape[1], n_components)
    return np.random.RandomState(seed).uniform(-1, 1, layout.n_parameters), layout


def sample_gradient(s, x, D, V, sparsity, epsilon):
    """d/ds of ||s D - x||^2 + sparsity * sum_g sqrt((V (s * s))_g + eps)."""
    u = 1.0 / np.sqrt(V @ (s * s) + epsilon)
    return 2.0 * D @ (s @ D - x) + sparsity * s * (V.T @ u)


# --- The grouping matrix ---------------------------------------------------------


def test_grouping_of_size_one_is_the_identity():
    assert np.array_equal(topographic_grouping(7, None, 1), np.eye(7))


def test_grouping_wraps_around_the_grid():
    V = topographic_grouping(9, 3, 2)  # a 3 x 3 grid, 2 x 2 groups
    # group 0: top-left (0, 0) -> units 0, 1, 3, 4
    assert set(np.flatnonzero(V[0])) == {0, 1, 3, 4}
    # group 8: top-left (2, 2) wraps to rows {2, 0}, columns {2, 0}
    assert set(np.flatnonzero(V[8])) == {8, 6, 2, 0}


@pytest.mark.parametrize("side, size", [(3, 2), (4, 3), (11, 3), (5, 5)])
def test_every_group_and_every_unit_count_size_squared(side, size):
    V = topographic_grouping(side * side, side, size)
    assert V.shape == (side * side, side * side)
    assert np.all(V.sum(axis=1) == size * size)
    assert np.all(V.sum(axis=0) == size * size)


def test_a_neighbourhood_larger_than_the_grid_is_the_whole_grid():
    assert np.array_equal(topographic_grouping(4, 2, 3), np.ones((4, 4)))


# --- The reference: J and its gradient -------------------------------------------


def test_reference_is_the_formula_on_one_sample():
    x = np.array([[1.0, -2.0]])
    D = np.array([[0.5, 0.0], [0.25, 1.0], [0.0, -1.0]])
    s = np.array([0.3, -0.7, 0.2])
    V = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
    expected = (
        np.sum((s @ D - x[0]) ** 2)
        + 0.4 * np.sum(np.sqrt(V @ (s * s) + 0.01))
        + 0.05 * np.sum(D**2)
    )
    J, _ = sparse_coding_loss_grad_reference(
        np.concatenate([D.ravel(), s]),
        x,
        grouping=V,
        sparsity=0.4,
        epsilon=0.01,
        alpha=0.05,
    )
    assert J == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    "n_components, side, size", [(4, None, 1), (9, 3, 1), (9, 3, 2), (16, 4, 3)]
)
@pytest.mark.parametrize(
    "sparsity, epsilon, alpha", [(0.3, 1e-2, 1e-2), (0.1, 1e-5, 1e-3), (0.0, 1.0, 0.5)]
)
def test_reference_gradient_matches_numerical_below_1e9(
    n_components, side, size, sparsity, epsilon, alpha
):
    X = laplace_data(40, 6)
    theta, _ = random_point(X, n_components)
    options = dict(
        grouping=topographic_grouping(n_components, side, size),
        sparsity=sparsity,
        epsilon=epsilon,
        alpha=alpha,
    )
    _, grad = sparse_coding_loss_grad_reference(theta, X, **options)
    numerical = numerical_gradient(
        lambda t: sparse_coding_loss_grad_reference(t, X, **options),
        theta,
        epsilon=1e-5,
    )
    assert gradient_check_ratio(grad, numerical) < 1e-9


# --- The chunked objective equals the reference ----------------------------------

OPTIONS = dict(
    grouping=topographic_grouping(9, 3, 2), sparsity=0.3, epsilon=1e-3, alpha=0.02
)


@pytest.mark.parametrize("chunk_size", [None, 7, "auto"])
@pytest.mark.parametrize("n_threads", [1, 3])
def test_joint_objective_equals_the_reference(chunk_size, n_threads):
    X = laplace_data(40, 6)
    theta, _ = random_point(X, 9)
    expected_J, expected_grad = sparse_coding_loss_grad_reference(theta, X, **OPTIONS)
    with SparseCodingObjective(
        X, chunk_size=chunk_size, runner=ThreadRunner(n_threads), **OPTIONS
    ) as objective:
        J, grad = objective(theta)
    assert J == pytest.approx(expected_J, rel=1e-13)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-15)
    terms = objective.last_evaluation.terms
    assert set(terms) == {"reconstruction", "sparsity", "weight_decay"}
    assert sum(terms.values()) == J


@pytest.mark.parametrize("chunk_size", [None, 7])
def test_codes_objective_is_the_codes_part_of_the_joint_one(chunk_size):
    X = laplace_data(40, 6)
    theta, layout = random_point(X, 9)
    D, S = layout.unpack(theta)
    expected_J, expected_grad = sparse_coding_loss_grad_reference(theta, X, **OPTIONS)
    with SparseCodingObjective(
        X, dictionary=D, chunk_size=chunk_size, **OPTIONS, runner=ThreadRunner(2)
    ) as objective:
        J, grad = objective(S.ravel())
    # J includes the constant alpha ||D||^2: it is the same J.
    assert J == pytest.approx(expected_J, rel=1e-13)
    np.testing.assert_allclose(grad, expected_grad[D.size :], rtol=1e-12, atol=1e-15)


def test_thread_count_does_not_change_a_bit():
    X = laplace_data(300, 6)
    theta, _ = random_point(X, 9)
    results = []
    for n_threads in (1, 2, 4):
        with SparseCodingObjective(
            X, chunk_size=16, runner=ThreadRunner(n_threads), **OPTIONS
        ) as objective:
            results.append(objective(theta))
    for J, grad in results[1:]:
        assert J == results[0][0]
        assert np.array_equal(grad, results[0][1])


def test_float32_computes_close_to_float64():
    X = laplace_data(40, 6)
    theta, _ = random_point(X, 9)
    expected_J, expected_grad = sparse_coding_loss_grad_reference(theta, X, **OPTIONS)
    with SparseCodingObjective(
        X.astype(np.float32), **OPTIONS, runner=ThreadRunner(2)
    ) as objective:
        J, grad = objective(theta)
    assert grad.dtype == np.float64
    assert J == pytest.approx(expected_J, rel=1e-5)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-4, atol=1e-5)


def test_fixing_the_dictionary_of_a_joint_objective_is_refused():
    with pytest.raises(ValueError, match="variable"):
        SparseCodingObjective(
            laplace_data(40, 6), **OPTIONS, runner=ThreadRunner(2)
        ).set_dictionary(np.zeros((9, 6)))


# --- The dictionary step, the start and the Newton polish --------------------------


def test_dictionary_step_zeroes_the_dictionary_gradient():
    X = laplace_data(40, 6)
    theta, layout = random_point(X, 9)
    D, S = layout.unpack(theta)
    with SparseCodingObjective(
        X, dictionary=D, chunk_size=7, **OPTIONS, runner=ThreadRunner(2)
    ) as objective:
        D_new = objective.dictionary_step(S)
    J_new, grad = sparse_coding_loss_grad_reference(
        np.concatenate([D_new.ravel(), S.ravel()]), X, **OPTIONS
    )
    assert np.max(np.abs(grad[: D.size])) < 1e-12
    assert J_new < sparse_coding_loss_grad_reference(theta, X, **OPTIONS)[0]


def test_closed_form_dictionary_solves_the_ridge_system():
    rng = np.random.RandomState(0)
    S, X = rng.randn(30, 4), rng.randn(30, 3)
    D = closed_form_dictionary(S.T @ S, S.T @ X, 30, 0.1)
    np.testing.assert_allclose((S.T @ S + 3.0 * np.eye(4)) @ D, S.T @ X, atol=1e-12)


def test_codes_hessians_match_the_numerical_derivative_of_the_gradient():
    rng = np.random.RandomState(0)
    D, V = rng.randn(9, 5), topographic_grouping(9, 3, 2)
    x, s = rng.randn(5), rng.randn(9)
    H = codes_hessians(s[None], D, V, 0.3, 1e-2)[0]
    numerical = np.array(
        [
            (
                sample_gradient(s + 1e-6 * e, x, D, V, 0.3, 1e-2)
                - sample_gradient(s - 1e-6 * e, x, D, V, 0.3, 1e-2)
            )
            / 2e-6
            for e in np.eye(9)
        ]
    )
    np.testing.assert_allclose(H, numerical, rtol=1e-7, atol=1e-7)
    assert np.linalg.eigvalsh(H).min() > 0


def test_sparse_pair_curvature_equals_the_dense_product():
    rng = np.random.RandomState(0)
    V = topographic_grouping(16, 4, 3) * rng.uniform(0.5, 2.0, size=(16, 16))
    D, S = rng.randn(16, 5), rng.randn(3, 16)
    u3 = (1.0 / np.sqrt((S * S) @ V.T + 1e-2)) ** 3
    dense = np.einsum("gj,ig,gl->ijl", V, u3, V)
    sparse = np.asarray(u3 @ group_pairs(V)).reshape(3, 16, 16)
    np.testing.assert_allclose(sparse, dense, rtol=1e-14, atol=1e-15)
    # and the Hessians built from it are the same with or without the pairs
    np.testing.assert_array_equal(
        codes_hessians(S, D, V, 0.3, 1e-2),
        codes_hessians(S, D, V, 0.3, 1e-2, group_pairs(V)),
    )


def test_initial_codes_are_one_newton_step_from_zero():
    rng = np.random.RandomState(0)
    D, V, X = rng.randn(9, 5), topographic_grouping(9, 3, 2), rng.randn(4, 5)
    S0 = initial_codes(X, D, V, 0.3, 1e-2)
    H = codes_hessians(np.zeros((1, 9)), D, V, 0.3, 1e-2)[0]
    for x, s in zip(X, S0, strict=True):
        g = sample_gradient(np.zeros(9), x, D, V, 0.3, 1e-2)
        np.testing.assert_allclose(s, -np.linalg.solve(H, g), atol=1e-12)


def test_newton_polish_reaches_the_minimiser_of_each_sample():
    X = laplace_data(40, 6)
    theta, layout = random_point(X, 9)
    D, S = layout.unpack(theta)
    with SparseCodingObjective(
        X, dictionary=D, **OPTIONS, runner=ThreadRunner(2)
    ) as objective:
        S0 = initial_codes(X, D, OPTIONS["grouping"], 0.3, 1e-3)
        codes, gradients = newton_polish(objective, S0, max_steps=30)
    for x, s, g in zip(X, codes, gradients, strict=True):
        exact = sample_gradient(s, x, D, OPTIONS["grouping"], 0.3, 1e-3)
        np.testing.assert_allclose(g, exact, atol=1e-10)
        assert np.max(np.abs(exact)) < 1e-9


# --- The shared driver's options the codes solves use --------------------------


def quadratic(theta):
    scales = np.arange(1.0, theta.size + 1)
    return 0.5 * float(np.sum(scales * theta**2)), scales * theta


def test_driver_gtol_stops_once_the_gradient_is_that_small():
    from skl_sparseae._optimize import minimize_lbfgs

    result = minimize_lbfgs(
        quadratic, np.ones(20), max_iter=500, tol=0.0, gtol=1e-6, label="q"
    )
    assert result.converged and "gtol" in result.stop_reason
    assert np.max(np.abs(result.grad)) <= 1e-6


def test_driver_warn_false_leaves_the_verdict_to_the_caller():
    import warnings

    from skl_sparseae._optimize import minimize_lbfgs

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = minimize_lbfgs(
            quadratic, np.ones(20), max_iter=2, tol=0.0, label="q", warn=False
        )
    assert not result.converged and "max_iter=2" in result.stop_reason


def test_driver_history_sets_the_correction_pairs_and_keeps_the_minimum():
    from skl_sparseae._optimize import minimize_lbfgs

    results = [
        minimize_lbfgs(
            quadratic,
            np.ones(20),
            max_iter=500,
            tol=0.0,
            gtol=1e-9,
            label="q",
            history=history,
        )
        for history in (10, 3)
    ]
    for result in results:
        assert result.converged and np.max(np.abs(result.theta)) < 1e-8
    # fewer pairs, a different path: the count of evaluations differs
    assert results[0].n_iter != results[1].n_iter


# --- The algorithm as module functions --------------------------------------------


def test_alternate_and_solve_codes_are_the_estimators_fit_and_transform():
    """The alternation and the codes solve run without the estimator: on an
    objective built by hand they give the fitted model's J curve, dictionary
    and transform, bit for bit."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.utils import check_random_state

    from skl_sparseae import TopographicSparseCoding
    from skl_sparseae._runners import serial_blas
    from skl_sparseae._sparse_coding_objective import (
        alternate,
        initial_codes,
        solve_codes,
    )

    X = laplace_data(60, 6)
    model = TopographicSparseCoding(4, neighborhood_size=1, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X)
    grouping = model.grouping_
    D0 = model._start(6, check_random_state(0))

    class NoCallbacks:
        def end(self, fitted):
            return False

    options = dict(
        grouping=grouping,
        sparsity=model.sparsity,
        epsilon=model.epsilon,
        alpha=model.alpha,
    )
    with (
        serial_blas(),
        SparseCodingObjective(
            X, dictionary=D0, runner=ThreadRunner(1), **options
        ) as objective,
    ):
        result = alternate(
            objective,
            initial_codes(X, D0, grouping, model.sparsity, model.epsilon),
            max_iter=5,
            tol=model.tol,
            code_max_iter=model.code_max_iter,
            rounding=float(np.finfo(np.float64).eps),
            label="J",
            verbose=0,
            explain_overflow=None,
            checked_evaluation=lambda objective, codes: objective(codes),
            stage=NoCallbacks,
            fitted_at=lambda dictionary: {},
        )
    assert result.loss_curve == model.loss_curve_
    np.testing.assert_array_equal(result.dictionary, model.components_)
    with SparseCodingObjective(
        X, dictionary=result.dictionary, runner=ThreadRunner(1), **options
    ) as objective:
        codes, _ = solve_codes(
            objective,
            initial_codes(
                X, result.dictionary, grouping, model.sparsity, model.epsilon
            ),
            max_iter=model.transform_max_iter,
            scale=max(1.0, float(np.max(np.einsum("ij,ij->i", X, X)))),
            label="codes",
            explain_overflow=None,
        )
    np.testing.assert_array_equal(codes, model.transform(X))
