"""Every fast path (float32, chunks, threads, in-place buffers) equals the plain one."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import VALID_OPTIONS, hyperparameters, random_theta, unit_data

from skl_sparseae import SparseAutoencoder
from skl_sparseae import _sparse_autoencoder as estimator_module
from skl_sparseae._autoencoder_objective import SparseAutoencoderObjective
from skl_sparseae._engine import ThreadedExecutor
from skl_sparseae._reference import loss_grad_reference


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
        runner=ThreadedExecutor(n_threads),
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
        runner=ThreadedExecutor(2),
    )
    chunked = SparseAutoencoderObjective(
        X,
        chunk_size=64,
        runner=ThreadedExecutor(2),
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
        runner=ThreadedExecutor(2),
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


def test_sparse_chunked_threaded_objective_equals_dense():
    X = sp.random(300, 20, density=0.2, format="csr", random_state=0)
    theta = random_theta(20, (7,), False, bound=0.5)
    options = hyperparameters("squared_error", "logistic", False, n_components=7)
    J_dense, grad_dense = loss_grad_reference(theta, X.toarray(), **options)
    objective = SparseAutoencoderObjective(
        X, chunk_size=41, runner=ThreadedExecutor(2), **options
    )
    J, grad = objective(theta)
    objective.close()
    assert J == pytest.approx(J_dense, rel=1e-12)
    np.testing.assert_allclose(grad, grad_dense, rtol=1e-10, atol=1e-13)


def test_buffers_are_reused_and_calls_do_not_interfere():
    X = unit_data(300, 20, margin=0.02)
    options = hyperparameters("squared_error", "logistic", False, n_components=7)
    objective = SparseAutoencoderObjective(
        X, chunk_size=50, runner=ThreadedExecutor(2), **options
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
        runner=ThreadedExecutor(1),
        **hyperparameters("squared_error", "logistic", False, n_components=7),
    )
    theta = random_theta(50, (7,), False, bound=0.5)
    objective(theta)
    tracemalloc.start()
    objective(theta)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.1 * X.nbytes


def test_threaded_evaluation_is_bit_for_bit_reproducible():
    X = unit_data(1000, 20, margin=0.02)
    options = hyperparameters("squared_error", "logistic", False, n_components=7)
    theta = random_theta(20, (7,), False, bound=0.5)
    results = []
    for _ in range(3):
        objective = SparseAutoencoderObjective(
            X, chunk_size=33, runner=ThreadedExecutor(2), **options
        )
        results.append(objective(theta))
        objective.close()
    for J, grad in results[1:]:
        assert J == results[0][0]
        np.testing.assert_array_equal(grad, results[0][1])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fit_does_not_copy_c_contiguous_float_input(dtype, monkeypatch):
    X = unit_data(300, 20, margin=0.02).astype(dtype)
    seen = []
    original = estimator_module.SparseAutoencoderObjective

    def recording_objective(X_fit, **kwargs):
        seen.append(X_fit)
        return original(X_fit, **kwargs)

    monkeypatch.setattr(
        estimator_module, "SparseAutoencoderObjective", recording_objective
    )
    SparseAutoencoder(n_components=5, max_iter=5).fit(X)
    assert seen[0] is X or np.shares_memory(seen[0], X)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fit_with_chunks_equals_fit_without():
    X = unit_data(500, 20, margin=0.02)
    whole = SparseAutoencoder(
        n_components=6, max_iter=15, random_state=0, chunk_size=None
    )
    chunked = SparseAutoencoder(
        n_components=6, max_iter=15, random_state=0, chunk_size=7
    )
    whole.fit(X)
    chunked.fit(X)
    np.testing.assert_allclose(chunked.loss_curve_, whole.loss_curve_, rtol=1e-9)
    np.testing.assert_allclose(
        chunked.components_, whole.components_, rtol=1e-6, atol=1e-9
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_float32_fit_ends_within_1e3_of_float64_objective():
    X = unit_data(500, 20, margin=0.02)
    fit64 = SparseAutoencoder(n_components=6, max_iter=100, random_state=0).fit(X)
    fit32 = SparseAutoencoder(n_components=6, max_iter=100, random_state=0).fit(
        X.astype(np.float32)
    )
    J32_in_float64, _ = loss_grad_reference(
        fit32._packed_parameters(),
        X,
        **hyperparameters("squared_error", "logistic", False, n_components=6)
        | {"rho": 0.01, "alpha": 1e-4},
    )
    assert abs(J32_in_float64 - fit64.loss_) <= 1e-3 * fit64.loss_


def test_chunk_size_is_validated():
    with pytest.raises(ValueError, match="chunk_size"):
        SparseAutoencoder(chunk_size=0).fit(unit_data(300, 20, margin=0.02))
    with pytest.raises(ValueError, match="chunk_size"):
        SparseAutoencoder(chunk_size="big").fit(unit_data(300, 20, margin=0.02))


@pytest.mark.parametrize(
    "n_samples, n_features, rows",
    [
        (100, 64, 100),  # one chunk
        (513, 64, 513),  # up to 131072 entries of X in one chunk
        (3000, 64, 1500),  # two even chunks
        (10000, 784, 500),  # at least 512 rows when X is wide
        (1000, 784, 500),
        (256, 784, 256),  # too small to split
        (400, 784, 200),  # split in two, as the 256-row minimum did
        (600, 200, 600),  # 655 rows fit in 131072 entries: one chunk
    ],
)
def test_auto_chunk_size_rule(n_samples, n_features, rows):
    from skl_sparseae._engine import auto_chunk_size

    assert auto_chunk_size(n_samples, n_features) == rows


def test_auto_chunks_give_two_threads_work_wherever_256_rows_did():
    # The former rule (at least 256 rows, at most 131072 entries) split some
    # wide data of a few hundred rows in two; the 512-row minimum must not
    # leave any of it on one thread.
    from skl_sparseae._engine import auto_chunk_size

    for n_features in (64, 300, 784, 3000):
        former_limit = max(256, 131072 // n_features)
        for n_samples in range(1, 3000, 7):
            former_chunks = -(-n_samples // former_limit)
            chunks = -(-n_samples // auto_chunk_size(n_samples, n_features))
            assert chunks >= min(2, former_chunks)
