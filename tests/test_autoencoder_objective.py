"""The one-layer autoencoder's objective, SparseAutoencoderObjective: every
fast path (chunks, threads, float32, sparse input, in-place buffers) equals
the plain reference, and a failed construction leaves nothing behind."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import (
    REFERENCE_OPTIONS,
    VALID_OPTIONS,
    hyperparameters,
    random_theta,
    unit_data,
)

from skl_sparseae._autoencoder_objective import SparseAutoencoderObjective
from skl_sparseae._layouts import n_parameters
from skl_sparseae._reference import loss_grad_reference
from skl_sparseae._runners import ThreadRunner


@pytest.mark.parametrize("loss, decoder, tied", VALID_OPTIONS)
@pytest.mark.parametrize("chunk_size", [None, "auto", 1, 37, 299, 1000])
@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_chunked_threaded_objective_equals_reference(
    loss, decoder, tied, chunk_size, n_threads
):
    X = unit_data(300, 20, margin=0.02)
    theta = random_theta(20, (7,), tied, bound=0.5)
    J_ref, grad_ref = loss_grad_reference(
        theta, X, **hyperparameters(loss, decoder, tied, n_components=7)
    )
    objective = SparseAutoencoderObjective(
        X,
        chunk_size=chunk_size,
        runner=ThreadRunner(n_threads),
        **hyperparameters(loss, decoder, tied, n_components=7),
    )
    J, grad = objective(theta)
    objective.close()
    assert J == pytest.approx(J_ref, rel=1e-12)
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("loss, decoder, tied", VALID_OPTIONS)
def test_chunked_gradient_is_identical_to_unchunked_within_1e10(loss, decoder, tied):
    X = unit_data(2000, 20, margin=0.02)
    theta = random_theta(20, (7,), tied, bound=0.5)
    whole = SparseAutoencoderObjective(
        X,
        chunk_size=None,
        **hyperparameters(loss, decoder, tied, n_components=7),
        runner=ThreadRunner(2),
    )
    chunked = SparseAutoencoderObjective(
        X,
        chunk_size=64,
        runner=ThreadRunner(2),
        **hyperparameters(loss, decoder, tied, n_components=7),
    )
    J_whole, grad_whole = whole(theta)
    J_chunked, grad_chunked = chunked(theta)
    chunked.close()
    assert abs(J_chunked - J_whole) <= 1e-10 * abs(J_whole)
    assert np.max(np.abs(grad_chunked - grad_whole)) <= 1e-10 * np.max(
        np.abs(grad_whole)
    )


@pytest.mark.parametrize("loss, decoder, tied", VALID_OPTIONS)
def test_float32_objective_matches_float64_reference(loss, decoder, tied):
    X = unit_data(300, 20, margin=0.02)
    theta = random_theta(20, (7,), tied, bound=0.5)
    J_ref, grad_ref = loss_grad_reference(
        theta, X, **hyperparameters(loss, decoder, tied, n_components=7)
    )
    objective = SparseAutoencoderObjective(
        X.astype(np.float32),
        runner=ThreadRunner(2),
        chunk_size=50,
        **hyperparameters(loss, decoder, tied, n_components=7),
    )
    J, grad = objective(theta)
    objective.close()
    assert isinstance(J, float)
    assert grad.dtype == np.float64
    assert J == pytest.approx(J_ref, rel=1e-5)
    np.testing.assert_allclose(
        grad, grad_ref, rtol=1e-3, atol=1e-5 * np.abs(grad_ref).max()
    )


def test_float32_chunking_changes_results_only_by_rounding():
    # Documented: float32 chunks sum in float32, their shares in float64, so
    # the chunk size changes J and its gradient at float32 rounding only.
    X = unit_data(2000, 20).astype(np.float32)
    theta = np.random.RandomState(1).uniform(-0.5, 0.5, n_parameters(20, 7, False))
    options = REFERENCE_OPTIONS | {"n_components": 7}
    results = []
    for chunk_size in [None, 100, 37]:
        with SparseAutoencoderObjective(
            X, chunk_size=chunk_size, **options, runner=ThreadRunner(2)
        ) as obj:
            results.append(obj(theta))
    for J, grad in results[1:]:
        assert J == pytest.approx(results[0][0], rel=1e-6)
        np.testing.assert_allclose(grad, results[0][1], rtol=1e-4, atol=1e-6)


def test_sparse_chunked_threaded_objective_equals_dense():
    X = sp.random(300, 20, density=0.2, format="csr", random_state=0)
    theta = random_theta(20, (7,), False, bound=0.5)
    options = hyperparameters("squared_error", "logistic", False, n_components=7)
    J_dense, grad_dense = loss_grad_reference(theta, X.toarray(), **options)
    objective = SparseAutoencoderObjective(
        X, chunk_size=41, runner=ThreadRunner(2), **options
    )
    J, grad = objective(theta)
    objective.close()
    assert J == pytest.approx(J_dense, rel=1e-12)
    np.testing.assert_allclose(grad, grad_dense, rtol=1e-10, atol=1e-13)


def test_buffers_are_reused_and_calls_do_not_interfere():
    X = unit_data(300, 20, margin=0.02)
    options = hyperparameters("squared_error", "logistic", False, n_components=7)
    objective = SparseAutoencoderObjective(
        X, chunk_size=50, runner=ThreadRunner(2), **options
    )
    theta_a, theta_b = (
        random_theta(20, (7,), False, seed=1, bound=0.5),
        random_theta(20, (7,), False, seed=2, bound=0.5),
    )
    J_a, grad_a = objective(theta_a)
    codes_buffer = objective.last_evaluation.codes
    grad_a = grad_a.copy()
    objective(theta_b)
    J_again, grad_again = objective(theta_a)
    objective.close()
    assert objective.last_evaluation.codes is codes_buffer
    assert J_again == J_a
    np.testing.assert_array_equal(grad_again, grad_a)


def test_an_evaluation_allocates_far_less_than_X():
    # Buffers are allocated once, in the constructor; a call allocates only
    # parameter-sized vectors and small per-chunk temporaries.
    X = unit_data(5000, 50, margin=0.02)
    objective = SparseAutoencoderObjective(
        X,
        chunk_size=100,
        runner=ThreadRunner(1),
        **hyperparameters("squared_error", "logistic", False, n_components=7),
    )
    theta = random_theta(50, (7,), False, bound=0.5)
    objective(theta)
    tracemalloc.start()
    objective(theta)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.1 * X.nbytes


def test_objective_without_del_has_nothing_to_report_when_construction_fails():
    # A constructor that raises used to leave a half-built object whose
    # __del__ printed "AttributeError ... _executor".
    assert not hasattr(SparseAutoencoderObjective, "__del__")
    with pytest.raises(ValueError, match="invalid literal for int"):
        SparseAutoencoderObjective(
            unit_data(),
            chunk_size="big",
            **(REFERENCE_OPTIONS | {"n_components": 2}),
            runner=ThreadRunner(2),
        )
