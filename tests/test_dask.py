"""Dask arrays: the exact full-batch objective on blocks, lazy transforms.

Most tests run twice: on Dask's local scheduler (threads in this process) and
on a real ``LocalCluster`` (2 worker processes, no dashboard).
"""

import gc
import inspect
import itertools
import time
from functools import partial

import dask.array as da
import dask.dataframe as dd
import joblib
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster
from helpers import quietly, relative_error
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

from skl_sparseae import (
    DeepSparseAutoencoder,
    SparseAutoencoder,
    SparseAutoencoderClassifier,
)
from skl_sparseae._dask import (
    DaskObjective,
    _block_sums,
    check_dask_array,
    persist_if_it_fits,
)
from skl_sparseae._executors import IN_MEMORY
from skl_sparseae._kernel import Stage


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        memory_limit="1GiB",
    ) as local_cluster:
        yield local_cluster


@pytest.fixture(params=["local scheduler", "LocalCluster"])
def scheduler(request):
    """Runs the test with no client, then with a client of the cluster."""
    if request.param == "local scheduler":
        yield None
        return
    with Client(request.getfixturevalue("cluster")) as client:
        yield client


def digits(n_samples=300):
    X, y = load_digits(return_X_y=True)
    return X[:n_samples] / 16.0, y[:n_samples]


def blockwise(method, X, rows):
    """``method`` on each block of ``rows`` rows, stacked: what a Dask array
    with those row chunks computes. BLAS rounds a product of 70 rows and one
    of 300 differently (1e-15 apart), so this, not ``method(X)``, is what the
    Dask result equals bit for bit."""
    return np.vstack([method(X[i : i + rows]) for i in range(0, X.shape[0], rows)])


def objectives(estimator, X, y=None):
    """The in-memory objective on X and the Dask one on X's blocks."""
    X_dask = check_dask_array(da.from_array(X, chunks=(70, 20)), estimator, reset=True)
    if y is None:
        local = IN_MEMORY.objective(estimator._objective, X)
        return local, DaskObjective(estimator._objective, X_dask)
    options = dict(
        hidden_layer_sizes=estimator._options()[0], n_classes=len(np.unique(y))
    )
    local = IN_MEMORY.objective(estimator._objective, X, y, **options)
    y_dask = da.from_array(y, chunks=(X_dask.chunks[0],))
    return local, DaskObjective(
        partial(estimator._objective, **options), X_dask, y_dask
    )


# The objective on blocks equals the in-memory one -----------------------------

AUTOENCODERS = [
    pytest.param(SparseAutoencoder(7), id="one layer"),
    pytest.param(
        SparseAutoencoder(7, tied_weights=True, decoder_activation="identity"),
        id="tied, identity",
    ),
    pytest.param(SparseAutoencoder(7, loss="cross_entropy"), id="cross entropy"),
    pytest.param(
        DeepSparseAutoencoder((9, 5), rho=(0.05, 0.2), beta=(3.0, 0.5)),
        id="deep, per-layer rho and beta",
    ),
    pytest.param(DeepSparseAutoencoder((9, 5, 3), tied_weights=True), id="deep, tied"),
]


@pytest.mark.parametrize("estimator", AUTOENCODERS)
def test_dask_objective_equals_in_memory_within_1e12(scheduler, estimator):
    X, _ = digits(250)
    local, on_blocks = objectives(estimator, X)
    theta = estimator._layout(X.shape[1]).initial_parameters(np.random.RandomState(1))
    theta[-20:] = np.random.RandomState(2).normal(size=20)  # biases too
    J, grad = local(theta)
    J_dask, grad_dask = on_blocks(theta)
    assert abs(J_dask - J) / J < 1e-12
    assert relative_error(grad_dask, grad) < 1e-12
    here, there = local.last_evaluation, on_blocks.last_evaluation
    assert there.terms.keys() == here.terms.keys()
    for rho_hat_there, rho_hat_here in zip(there.rho_hats, here.rho_hats, strict=True):
        assert relative_error(rho_hat_there, rho_hat_here) < 1e-12
    # The codes stay on the workers.
    assert here.codes is not None and there.codes is None


def test_dask_classifier_objective_equals_in_memory_within_1e12(scheduler):
    X, y = digits(250)
    classifier = SparseAutoencoderClassifier((12, 6))
    local, on_blocks = objectives(classifier, X, y)
    theta = np.random.RandomState(0).normal(scale=0.1, size=local.layout.n_parameters)
    J, grad = local(theta)
    J_dask, grad_dask = on_blocks(theta)
    assert abs(J_dask - J) / J < 1e-12
    assert relative_error(grad_dask, grad) < 1e-12


@pytest.mark.parametrize(
    "estimator",
    [SparseAutoencoder(9, tied_weights=True), DeepSparseAutoencoder((9, 4))],
    ids=["one layer: one stage", "two layers: two stages"],
)
def test_row_sums_of_all_rows_give_the_objective(estimator):
    """The sums protocol on one object holding every row is the objective."""
    X, _ = digits(200)
    theta = estimator._layout(64).initial_parameters(np.random.RandomState(0))
    stages = []

    def sums_of(stage, deltas):
        stages.append(stage)
        return objective.row_sums(theta, stage, deltas)

    with IN_MEMORY.objective(estimator._objective, X) as objective:
        J, grad = objective(theta)
        sums = objective.evaluate_from_sums(theta, sums_of, len(X))
    assert abs(sums.loss - J) / J < 1e-13
    assert relative_error(sums.grad, grad) < 1e-13
    one_layer = isinstance(estimator, SparseAutoencoder)
    assert stages == ([Stage.ONE_PASS] if one_layer else [Stage.HIDDEN, Stage.GRADIENT])


def test_one_layer_two_stages_equal_its_one_pass():
    """One hidden layer's sparsity term split out of the sums (one stage)
    equals it entering every delta (the two stages a deeper network takes)."""
    X, _ = digits(200)
    estimator = SparseAutoencoder(9)
    theta = estimator._layout(64).initial_parameters(np.random.RandomState(0))
    with IN_MEMORY.objective(estimator._objective, X) as objective:
        one_pass = objective.evaluate(theta)
        hidden = objective.row_sums(theta, Stage.HIDDEN).hidden
        rho_hats, deltas = objective.sparsity_deltas(hidden, len(X))
        sums = objective.row_sums(theta, Stage.GRADIENT, deltas)
        two_stages = objective.total(theta, sums.grad, sums.losses, len(X), rho_hats)
    assert abs(two_stages.loss - one_pass.loss) / one_pass.loss < 1e-13
    assert relative_error(two_stages.grad, one_pass.grad) < 1e-13
    np.testing.assert_array_equal(two_stages.rho_hats[0], one_pass.rho_hats[0])


def unaligned_copy(values):
    """``values`` in memory that starts one byte past an aligned address, as
    an array received over the network can."""
    buffer = np.empty(values.nbytes + 16, dtype=np.uint8)
    start = (-buffer.ctypes.data) % 8 + 1
    copy = np.frombuffer(buffer[start : start + values.nbytes].data, values.dtype)
    copy = copy.reshape(values.shape)
    copy[...] = values
    assert not copy.flags.aligned
    return copy


def test_a_block_share_is_the_same_bits_whatever_its_inputs_alignment():
    # numpy multiplies unaligned arrays without BLAS, rounding differently:
    # a worker's shares changed from one evaluation to the next.
    X, _ = digits(70)
    estimator = SparseAutoencoder(9)
    estimator.n_features_in_ = 64
    theta = estimator._layout(64).initial_parameters(np.random.RandomState(0))
    factory = estimator._objective
    aligned = _block_sums(factory, Stage.ONE_PASS, theta, None, X).fields()
    unaligned = _block_sums(
        factory, Stage.ONE_PASS, unaligned_copy(theta), None, unaligned_copy(X)
    ).fields()
    assert sorted(unaligned) == sorted(aligned)
    for name in aligned:
        np.testing.assert_array_equal(unaligned[name], aligned[name], err_msg=name)


def test_dask_sums_are_the_same_bits_on_every_run(cluster):
    """The blocks' sums are added in a fixed tree, whoever computed what."""
    X, _ = digits(300)
    estimator = SparseAutoencoder(9)
    _, on_blocks = objectives(estimator, X)
    theta = estimator._layout(64).initial_parameters(np.random.RandomState(0))
    with Client(cluster):
        runs = [on_blocks(theta) for _ in range(3)]
    for J, grad in runs[1:]:
        assert J == runs[0][0]
        np.testing.assert_array_equal(grad, runs[0][1])


def test_float32_blocks_compute_in_float32():
    X, _ = digits(200)
    X32 = da.from_array(X.astype(np.float32), chunks=(50, 64))
    model = quietly(SparseAutoencoder(8, max_iter=20, random_state=0).fit, X32)
    reference = quietly(
        SparseAutoencoder(8, max_iter=20, random_state=0).fit, X.astype(np.float32)
    )
    assert model.components_.dtype == np.float32
    assert model.transform(X32).dtype == np.float32
    assert abs(model.loss_ - reference.loss_) / reference.loss_ < 1e-5


# Fits --------------------------------------------------------------------------

ESTIMATORS = [
    pytest.param(
        SparseAutoencoder(16, max_iter=40, random_state=0), False, id="SparseAE"
    ),
    pytest.param(
        DeepSparseAutoencoder((16, 8), max_iter=15, random_state=0),
        False,
        id="Deep, pretrained",
    ),
    pytest.param(
        SparseAutoencoderClassifier(
            (12,),
            pretrain_max_iter=15,
            max_iter=15,
            unlabelled_label=-1,
            random_state=0,
        ),
        True,
        id="Classifier, self-taught",
    ),
]


@pytest.mark.parametrize("estimator, needs_y", ESTIMATORS)
def test_dask_fit_reaches_the_in_memory_loss(scheduler, estimator, needs_y):
    X, y = digits(300)
    y = np.where(np.arange(len(y)) % 3 == 0, -1, y) if needs_y else None
    X_dask = da.from_array(X, chunks=(64, 32))  # column chunks: made whole rows
    in_memory = quietly(estimator.__class__(**estimator.get_params()).fit, X, y)
    on_dask = quietly(estimator.__class__(**estimator.get_params()).fit, X_dask, y)
    assert abs(on_dask.loss_ - in_memory.loss_) / in_memory.loss_ < 1e-6
    assert on_dask.n_features_in_ == 64
    assert not hasattr(on_dask, "feature_names_in_")


def test_dask_fit_run_to_convergence_reaches_the_in_memory_loss():
    """Run to a tight tol, both fits reach the same loss_ within 1e-6 (at the
    default tol their stopping points differ by rounding, as two in-memory
    chunk sizes' do: see the user guide's "Large data")."""
    X, _ = digits(300)
    params = dict(n_components=8, tol=1e-8, max_iter=5000, random_state=0)
    in_memory = SparseAutoencoder(**params).fit(X)
    on_dask = SparseAutoencoder(**params).fit(da.from_array(X, chunks=(150, 64)))
    assert in_memory.n_iter_ > 100
    assert abs(on_dask.loss_ - in_memory.loss_) / in_memory.loss_ < 1e-6


def test_transform_is_lazy_with_the_same_row_chunks(scheduler):
    X, _ = digits(300)
    X_dask = da.from_array(X, chunks=(70, 64))
    model = quietly(SparseAutoencoder(10, max_iter=20, random_state=0).fit, X)
    codes = model.transform(X_dask)
    assert isinstance(codes, da.Array)
    assert codes.chunks == (X_dask.chunks[0], (10,))
    np.testing.assert_array_equal(codes.compute(), blockwise(model.transform, X, 70))
    np.testing.assert_allclose(codes.compute(), model.transform(X), rtol=1e-14)
    decoded = model.inverse_transform(codes)
    assert isinstance(decoded, da.Array)
    np.testing.assert_array_equal(
        decoded.compute(),
        blockwise(model.inverse_transform, blockwise(model.transform, X, 70), 70),
    )
    assert model.score(X_dask) == pytest.approx(model.score(X), rel=1e-13)


def test_score_of_a_dask_array_is_lazy_with_compute_false(scheduler):
    X, _ = digits(300)
    X_dask = da.from_array(X, chunks=(70, 64))
    model = quietly(SparseAutoencoder(10, max_iter=20, random_state=0).fit, X)
    lazy = model.score(X_dask, compute=False)
    assert isinstance(lazy, da.Array)
    assert lazy.shape == ()
    assert float(lazy.compute()) == pytest.approx(model.score(X), rel=1e-13)
    # Other input has nothing to defer: a number either way.
    assert model.score(X, compute=False) == model.score(X)
    # The option is not metadata: scikit-learn routes nothing to it (only
    # sample_weight can be requested).
    requests = model.get_metadata_routing().score.requests
    assert "compute" not in requests and "sample_weight" in requests
    assert "compute" not in inspect.signature(model.set_score_request).parameters


def test_a_nan_score_raises_on_numpy_and_on_dask_eager_or_lazy():
    X, _ = digits(100)
    model = quietly(SparseAutoencoder(4, max_iter=5, random_state=0).fit, X)
    # A NaN loss per sample (no finite X we know of gives one; the check
    # must hold if one does).
    model._reconstruction_losses = lambda X, ops: np.full(X.shape[0], np.nan)
    X_dask = da.from_array(X, chunks=(30, 64))
    with pytest.raises(ValueError, match="not defined"):
        model.score(X)
    with pytest.raises(ValueError, match="not defined"):
        model.score(X_dask)
    lazy = model.score(X_dask, compute=False)
    with pytest.raises(ValueError, match="not defined"):
        lazy.compute()


def test_fit_transform_of_a_dask_array_is_lazy():
    X, _ = digits(200)
    model = SparseAutoencoder(10, max_iter=20, random_state=0)
    codes = quietly(model.fit_transform, da.from_array(X, chunks=(50, 64)))
    assert isinstance(codes, da.Array)
    np.testing.assert_array_equal(codes.compute(), blockwise(model.transform, X, 50))


def test_deep_transform_on_dask_equals_numpy():
    X, _ = digits(200)
    model = quietly(DeepSparseAutoencoder((12, 6), max_iter=10, random_state=0).fit, X)
    X_dask = da.from_array(X, chunks=(64, 64))
    np.testing.assert_array_equal(
        model.transform(X_dask).compute(), blockwise(model.transform, X, 64)
    )
    assert model.score(X_dask) == pytest.approx(model.score(X), rel=1e-13)


def test_classifier_predicts_dask_arrays_lazily(scheduler):
    X, y = digits(300)
    classifier = quietly(
        SparseAutoencoderClassifier(
            (12,), pretrain_max_iter=10, max_iter=10, random_state=0
        ).fit,
        X,
        y,
    )
    X_dask = da.from_array(X, chunks=(64, 64))
    for method in ("predict", "predict_proba", "predict_log_proba", "transform"):
        lazy = getattr(classifier, method)(X_dask)
        assert isinstance(lazy, da.Array), method
        assert lazy.chunks[0] == X_dask.chunks[0]
        # Blocks of 64 rows, as Dask computes them: the same bits.
        on_blocks = getattr(classifier, method)
        expected = np.concatenate(
            [on_blocks(X[i : i + 64]) for i in range(0, X.shape[0], 64)]
        )
        np.testing.assert_array_equal(lazy.compute(), expected, err_msg=method)


def test_classifier_takes_dask_labels():
    X, y = digits(200)
    X_dask = da.from_array(X, chunks=(50, 64))
    y_dask = da.from_array(y, chunks=50)
    params = dict(pretrain_max_iter=10, max_iter=10, random_state=0)
    from_dask = quietly(SparseAutoencoderClassifier((8,), **params).fit, X_dask, y_dask)
    from_numpy = quietly(SparseAutoencoderClassifier((8,), **params).fit, X, y)
    np.testing.assert_array_equal(from_dask.classes_, from_numpy.classes_)
    assert from_dask.loss_ == pytest.approx(from_numpy.loss_, rel=1e-6)


def test_classifier_on_a_dask_array_needs_labels_one_per_sample():
    X_dask = da.from_array(digits(100)[0], chunks=(50, 64))
    with pytest.raises(ValueError, match="requires y"):
        SparseAutoencoderClassifier().fit(X_dask, None)
    with pytest.raises(ValueError, match="one label per sample"):
        SparseAutoencoderClassifier().fit(X_dask, np.arange(99) % 2)


def test_fit_from_a_memory_map_on_the_local_scheduler(tmp_path):
    """Out of core on one machine: the blocks are read from disk as needed."""
    X, _ = digits(200)
    path = tmp_path / "X.npy"
    np.save(path, X)
    X_disk = da.from_array(np.load(path, mmap_mode="r"), chunks=(50, 64))
    model = quietly(SparseAutoencoder(8, max_iter=20, random_state=0).fit, X_disk)
    reference = quietly(SparseAutoencoder(8, max_iter=20, random_state=0).fit, X)
    assert model.loss_ == pytest.approx(reference.loss_, rel=1e-6)


def test_an_array_larger_than_half_the_workers_memory_is_not_persisted(cluster):
    with Client(cluster):
        small = da.zeros((1000, 10), chunks=(100, 10))
        huge = da.zeros((2**19, 2**10), chunks=(2**16, 2**10))  # 4 GiB, lazy
        assert persist_if_it_fits(huge) is huge
        assert persist_if_it_fits(small) is not small


def test_persisted_blocks_are_spread_evenly_over_the_workers(cluster):
    from collections import Counter

    from distributed import futures_of

    from skl_sparseae._dask import spread_blocks

    def blocks_per_worker(client, array):
        holders = client.who_has(futures_of(array))
        return Counter(holders[block.key][0] for block in array.to_delayed().ravel())

    with Client(cluster) as client:
        workers = sorted(client.scheduler_info()["workers"])
        one_thread_each = {worker: {"nthreads": 1} for worker in workers}
        values = np.arange(1600 * 3, dtype=np.float64).reshape(1600, 3)

        def on_first_worker(offset):
            # Every block on the first worker: the worst placement (each
            # offset gives new keys).
            lazy = da.from_array(values + offset, chunks=(100, 3))
            return client.persist(lazy, workers=workers[:1])

        # The active memory manager drops copies it finds extra, from either
        # worker: a copy made by a task that ran away from its block (the
        # evaluations below, on a busy machine) could be dropped where the
        # block belongs and leave the blocks uneven. It is held while this
        # test reads where the blocks are.
        client.amm.stop()
        try:
            X = on_first_worker(0.0)
            spread = spread_blocks(X, client, one_thread_each)
            holders = client.who_has(futures_of(spread))
            placement = [holders[block.key][0] for block in spread.to_delayed().ravel()]
            # Half the blocks moved, as one run of consecutive blocks.
            assert placement == [workers[0]] * 8 + [workers[1]] * 8
            assert spread.chunks == X.chunks
            np.testing.assert_array_equal(spread.compute(), values)
            # Where the blocks are never changes the sums: the same bits.
            estimator = SparseAutoencoder(2)
            estimator.n_features_in_ = 3
            theta = estimator._layout(3).initial_parameters(np.random.RandomState(0))
            J, grad = DaskObjective(estimator._objective, X)(theta)
            J_spread, grad_spread = DaskObjective(estimator._objective, spread)(theta)
            assert J_spread == J
            np.testing.assert_array_equal(grad_spread, grad)
            # Already even: nothing moves, even with every block copied to both
            # workers (a block held twice counts where it evens the rows out).
            assert spread_blocks(spread, client, one_thread_each) is spread
            client.replicate(futures_of(spread), n=2)
            assert spread_blocks(spread, client, one_thread_each) is spread
        finally:
            client.amm.start()
        # The same rows per thread: a worker of 3 threads takes 12 blocks.
        three_and_one = {workers[0]: {"nthreads": 3}, workers[1]: {"nthreads": 1}}
        weighted = spread_blocks(on_first_worker(1.0), client, three_and_one)
        assert blocks_per_worker(client, weighted) == {workers[0]: 12, workers[1]: 4}
        # No worker takes more than half its memory limit: 2 blocks of 2400
        # bytes in a limit of 9600.
        small = {**one_thread_each, workers[1]: {"nthreads": 1, "memory_limit": 9600}}
        capped = spread_blocks(on_first_worker(2.0), client, small)
        assert blocks_per_worker(client, capped) == {workers[0]: 14, workers[1]: 2}
        # Column chunks are not whole rows: left alone.
        columns = client.persist(da.from_array(values, chunks=(100, 1)))
        assert spread_blocks(columns, client, one_thread_each) is columns
        # persist_if_it_fits spreads what it persists, and leaves an array the
        # caller persisted where the caller put it.
        lazy = da.from_array(values + 3.0, chunks=(100, 3))
        persisted = persist_if_it_fits(lazy)
        assert sorted(blocks_per_worker(client, persisted).values()) == [8, 8]
        np.testing.assert_array_equal(persisted.compute(), values + 3.0)
        X = on_first_worker(4.0)
        assert persist_if_it_fits(X) is X
        # A computation on persisted blocks is not persisted itself: it is.
        merged = on_first_worker(5.0).rechunk({1: 1}).rechunk({1: -1})
        assert persist_if_it_fits(merged) is not merged

        # Once spread, nothing of the package's holds the blocks' old keys:
        # the client lets go of a key when its last future is dropped (the
        # scheduler is told asynchronously, when this test cannot know).
        # distributed's event loop keeps some in reference cycles (frames of
        # its finished coroutines) until the garbage collector runs.
        def in_memory(dask_scheduler, name):
            return [
                key
                for key, task in dask_scheduler.tasks.items()
                if name in str(key) and task.state == "memory"
            ]

        def held_by_client(name):
            return [key for key in client.futures if name in str(key)]

        old = on_first_worker(6.0)
        old_name = old.name
        assert len(held_by_client(old_name)) == 16
        spread = spread_blocks(old, client, one_thread_each)
        del old
        # A coroutine of distributed's that is still finishing may hold the
        # old futures for a moment (seen once in 30 full runs): wait for it,
        # collecting garbage, for up to 10 s. A reference the package kept
        # would hold them for ever.
        deadline = time.monotonic() + 10.0
        while True:
            gc.collect()
            if not held_by_client(old_name) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert held_by_client(old_name) == []
        assert len(held_by_client(spread.name)) == 16
        assert len(client.run_on_scheduler(in_memory, name=spread.name)) == 16


# Search ----------------------------------------------------------------------


def test_grid_search_on_the_cluster_with_the_joblib_dask_backend(cluster):
    """Each fit on one worker, NumPy X: the same results as a serial search."""
    X, _ = digits(200)
    grid = {"rho": [0.05, 0.2], "beta": [0.5, 3.0]}
    model = SparseAutoencoder(8, max_iter=15, random_state=0)
    serial = quietly(GridSearchCV(model, grid, cv=2).fit, X)
    with Client(cluster), joblib.parallel_backend("dask"):
        on_cluster = quietly(GridSearchCV(model, grid, cv=2, n_jobs=-1).fit, X)
    np.testing.assert_array_equal(
        on_cluster.cv_results_["mean_test_score"],
        serial.cv_results_["mean_test_score"],
    )
    assert on_cluster.best_params_ == serial.best_params_


def test_a_dask_fit_inside_a_dask_task_says_to_pick_one_kind_of_parallelism(cluster):
    X, _ = digits(100)

    def fit_inside_a_task(X):
        return SparseAutoencoder(4, max_iter=2).fit(da.from_array(X, chunks=50))

    with Client(cluster) as client:
        future = client.submit(fit_inside_a_task, X)
        with pytest.raises(RuntimeError, match="one kind of parallelism"):
            future.result()


def test_sequential_search_over_a_dask_array():
    """The other combination: the search in this process, each fit on Dask."""
    X, _ = digits(200)
    search = GridSearchCV(
        SparseAutoencoder(6, max_iter=10, random_state=0), {"beta": [0.5, 3.0]}, cv=2
    )
    quietly(search.fit, da.from_array(X, chunks=(50, 64)))
    serial = quietly(GridSearchCV(search.estimator, {"beta": [0.5, 3.0]}, cv=2).fit, X)
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"],
        serial.cv_results_["mean_test_score"],
        rtol=1e-6,
    )


# Bad input ---------------------------------------------------------------------


def test_a_dask_dataframe_gets_advice_to_convert_it():
    frame = dd.from_pandas(
        pd.DataFrame(digits(50)[0]).add_prefix("pixel"), npartitions=2
    )
    with pytest.raises(TypeError, match=r"to_dask_array\(lengths=True\)"):
        SparseAutoencoder(4).fit(frame)


def test_unknown_chunk_sizes_are_an_error():
    X = da.from_array(digits(50)[0], chunks=(10, 64))
    unknown = X[X[:, 0] >= 0]  # boolean mask of a Dask array: sizes unknown
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        SparseAutoencoder(4).fit(unknown)


def test_nan_in_a_dask_array_is_an_error_not_a_nan_model():
    X = digits(50)[0].copy()
    X[7, 3] = np.nan
    model = SparseAutoencoder(4)
    with pytest.raises(ValueError, match="NaN or infinity"):
        model.fit(da.from_array(X, chunks=(10, 64)))
    assert not hasattr(model, "components_")


def test_nan_in_a_dask_array_to_transform_raises_when_computed():
    X = digits(50)[0]
    model = quietly(SparseAutoencoder(4, max_iter=5).fit, X)
    bad = X.copy()
    bad[3, 3] = np.inf
    codes = model.transform(da.from_array(bad, chunks=(10, 64)))
    with pytest.raises(ValueError, match="infinity"):
        codes.compute()


def test_wrong_width_is_an_error_before_any_compute():
    model = quietly(SparseAutoencoder(4, max_iter=5).fit, digits(50)[0])
    with pytest.raises(ValueError, match="expecting 64 features"):
        model.transform(da.zeros((10, 63), chunks=5))
    with pytest.raises(ValueError, match="4 units in its code layer"):
        model.inverse_transform(da.zeros((10, 5), chunks=5))


@pytest.mark.filterwarnings("ignore:.*dead and .* saturated of:UserWarning")
def test_integer_dask_arrays_train_in_float64():
    X = (digits(100)[0] * 16).astype(np.int64)
    model = quietly(
        SparseAutoencoder(4, max_iter=5, decoder_activation="identity").fit,
        da.from_array(X, chunks=(25, 64)),
    )
    assert model.components_.dtype == np.float64


def test_cross_entropy_range_is_checked_on_dask_arrays():
    X = digits(50)[0] * 2.0
    with pytest.raises(ValueError, match=r"X in \[0, 1\]"):
        SparseAutoencoder(4, loss="cross_entropy").fit(da.from_array(X, chunks=10))


@pytest.mark.parametrize(
    "sizes, chunks", list(itertools.product([(6,), (6, 3)], [(3, 64), (199, 64)]))
)
def test_any_block_layout_gives_the_same_fit(sizes, chunks):
    X, _ = digits(199)
    model = DeepSparseAutoencoder(sizes, max_iter=10, pretrain=False, random_state=0)
    reference = quietly(model.__class__(**model.get_params()).fit, X)
    on_blocks = quietly(model.fit, da.from_array(X, chunks=chunks))
    assert on_blocks.loss_ == pytest.approx(reference.loss_, rel=1e-6)
