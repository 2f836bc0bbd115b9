"""The in-memory chunk runner (skl_sparseae._engine): chunk sums in a fixed
order, the same bits on every run and on any number of threads; BLAS held
to one thread while a fit runs and restored after it, whatever the other
threads do; an interrupt that leaves no thread behind; the rows per chunk
for chunk_size="auto"."""

import os
import threading
import warnings

import numpy as np
import pytest
from helpers import (
    REFERENCE_OPTIONS,
    blas_threads,
    hyperparameters,
    random_theta,
    unit_data,
)
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skl_sparseae import SparseAutoencoder
from skl_sparseae import _executors as executors_module
from skl_sparseae._autoencoder_objective import SparseAutoencoderObjective, n_parameters
from skl_sparseae._engine import ThreadedExecutor, _releasing_control, serial_blas

# Sums in a fixed order ---------------------------------------------------------


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


def test_objective_is_bit_identical_on_any_number_of_threads():
    X = unit_data(1000, 20)
    theta = np.random.RandomState(1).uniform(-0.5, 0.5, n_parameters(20, 7, False))
    options = REFERENCE_OPTIONS | {"n_components": 7}
    results = []
    for n_threads in [1, 2, 3, 5]:
        with SparseAutoencoderObjective(
            X, chunk_size=37, runner=ThreadedExecutor(n_threads), **options
        ) as objective:
            results.append(objective(theta))
    for J, grad in results[1:]:
        assert J == results[0][0]
        np.testing.assert_array_equal(grad, results[0][1])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fit_is_bit_identical_whatever_the_thread_settings(dtype, monkeypatch):
    X = unit_data(2000, 16).astype(dtype)

    def fit():
        model = SparseAutoencoder(n_components=6, random_state=0, max_iter=30, tol=0)
        with pytest.warns(ConvergenceWarning):
            return model.fit(X)

    reference = fit()
    with threadpool_limits(1):
        single = fit()
    for n_threads in [1, 3]:
        monkeypatch.setattr(
            executors_module, "default_n_threads", lambda n=n_threads: n
        )
        other = fit()
        np.testing.assert_array_equal(other.components_, reference.components_)
    np.testing.assert_array_equal(single.components_, reference.components_)
    assert single.loss_curve_ == reference.loss_curve_


# BLAS threads -------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_blas_threads_are_restored_after_concurrent_fits_and_failures():
    before = blas_threads()
    X = unit_data(600, 16)
    errors = []

    def work(index):
        try:
            model = SparseAutoencoder(n_components=4, random_state=index, max_iter=40)
            if index % 3 == 2:
                with pytest.raises(ValueError, match="cross_entropy loss needs X"):
                    SparseAutoencoder(loss="cross_entropy").fit(X * 3)
            model.fit(X)
            model.transform(X)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert blas_threads() == before


def needs_multithreaded_blas():
    if max(blas_threads(), default=1) == 1:
        pytest.skip("BLAS runs on one thread here: a lost restore cannot show")


def test_blas_threads_are_restored_while_the_fit_that_limited_them_lives_on():
    # The first fit limits BLAS, the second leaves last and restores it while
    # the first one's thread is still alive (threadpoolctl 3.8 ignored a
    # setting from any thread but the one that set it first).
    needs_multithreaded_blas()
    before = blas_threads()
    first_in, second_in, first_out, checked = (threading.Event() for _ in range(4))
    seen = []

    def first():
        with serial_blas():
            first_in.set()
            second_in.wait()
        first_out.set()
        checked.wait()

    def second():
        first_in.wait()
        with serial_blas():
            second_in.set()
            first_out.wait()
        seen.append(blas_threads())
        checked.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [before]
    assert blas_threads() == before


# Pairs of fits started together: the dev profile runs more (see
# tests/conftest.py). Before the fix the restore was lost in 26 of 1500
# pairs on a quiet 2-core machine (1 in 58): 200 pairs show that with
# probability 0.97 (about 13 s), 600 with 0.99996. The fixed order above
# shows it every time.
CONCURRENT_PAIRS = 600 if os.environ.get("HYPOTHESIS_PROFILE") == "dev" else 200


def test_blas_threads_are_restored_after_pairs_of_fits_started_together():
    needs_multithreaded_blas()
    before = blas_threads()
    X = np.random.RandomState(0).uniform(size=(2000, 30))
    lost = []

    def fit(barrier):
        barrier.wait()
        SparseAutoencoder(
            n_components=5, max_iter=5, chunk_size=50, random_state=0
        ).fit(X)

    for pair in range(CONCURRENT_PAIRS):
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=fit, args=(barrier,)) for _ in range(2)]
        # Warning filters are the process's, not a thread's: set here. The
        # fits stop at max_iter=5, short as in the report.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        if blas_threads() != before:
            lost.append(pair)
            # Put it back as serial_blas does, so that later pairs can show it.
            _releasing_control(lambda: threadpool_limits(max(before)))
    assert lost == []


# Interrupts ---------------------------------------------------------------------


def test_interrupt_inside_a_chunk_leaves_no_thread_and_no_noise(monkeypatch):
    X = unit_data(3000, 16)
    before = threading.active_count()
    blas_before = blas_threads()
    original = SparseAutoencoderObjective._backprop_chunk
    calls = []

    def interrupted(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 30:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SparseAutoencoderObjective, "_backprop_chunk", interrupted)
    model = SparseAutoencoder(n_components=4, chunk_size=100)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # unraisable exceptions from __del__
        with pytest.raises(KeyboardInterrupt):
            model.fit(X)
    assert threading.active_count() == before
    assert blas_threads() == blas_before
    assert not hasattr(model, "components_")


# Rows per chunk ----------------------------------------------------------------


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
