"""The in-memory chunk runner (skl_sparseae._engine): chunk sums in a fixed
order, the same bits on every run and on any number of threads; the rows
per chunk for chunk_size="auto"."""

import numpy as np
import pytest
from helpers import hyperparameters, random_theta, unit_data

from skl_sparseae._autoencoder_objective import SparseAutoencoderObjective
from skl_sparseae._engine import ThreadedExecutor

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
