"""The Dask executor against the threaded in-memory objective, on this machine.

    python benchmarks/dask_scaling.py              # the table (about 10 minutes)
    python benchmarks/dask_scaling.py --quick      # m up to 1e5
    python benchmarks/dask_scaling.py --target     # m = 1e6, 64 features
    python benchmarks/dask_scaling.py --large      # m = 1e6, 784 features
    python benchmarks/dask_scaling.py --out-of-core  # the zarr fit (pip install zarr)
    python benchmarks/dask_scaling.py --driver-memory  # 1 GB X on the workers

Both paths use this machine's cores: the threaded objective two threads, the
Dask one a ``LocalCluster`` of 2 worker processes with 1 thread each (plus
its scheduler process). X is float32, made on the workers
(``dask.array.random``) in 16 row blocks and persisted there; the in-memory
path gets the same values as one NumPy array.

Rows, for m = 1e4 .. 1e6 and 64 features, 1e4 .. 3e5 and 784 features
(n_components 25 and 196; 1e6 with 784 features, 3 GB, under --large):

- per evaluation of J and its gradient: the threaded objective; the Dask
  objective in one round trip (the default for one hidden layer) and in two
  (hidden sums, then the gradient), medians over interleaved rounds;
- the fixed overhead per evaluation: the Dask evaluation on a 1-row-per-
  block array of the same number of blocks, where the compute is nil;
- bytes moved per evaluation: the parameters out to each worker (8 P bytes),
  the sums back (what one block returns, times the blocks whose sums cross
  between processes in the tree, at most all of them), as computed from the
  shapes, and the workers' measured incoming transfer;
- per iteration: a short fit (max_iter=10, tol=0) on each path, time /
  n_iter_ (the evaluations per iteration are the same on both paths: the
  same L-BFGS run up to rounding).

Compare ratios from one run only: the machine is shared and noisy.
"""

import argparse
import os
import resource
import tempfile
import time
import warnings
from functools import partial

import numpy as np
from sklearn.exceptions import ConvergenceWarning

warnings.simplefilter("ignore", ConvergenceWarning)

# X is cut into this many row blocks, 8 per worker, so that both workers
# have work whatever the sizes (the scheduler places 16 persisted blocks
# 8/8 or 9/7; make_data then spreads them 8/8, as a fit does).
N_BLOCKS = 16
BLOCK_ROWS = 62_500  # the out-of-core and driver-memory runs' blocks


def interleaved(measurements, rounds):
    """Median seconds of each function, one call of each per round."""
    times = {name: [] for name in measurements}
    for function in measurements.values():
        function()  # warm-up
    for _ in range(rounds):
        for name, function in measurements.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(values)) for name, values in times.items()}


def make_data(client, n_samples, n_features, seed=0):
    import dask.array as da

    from skl_sparseae._dask import spread_blocks

    rows = -(-n_samples // N_BLOCKS)
    X = da.random.default_rng(seed).random(
        (n_samples, n_features), chunks=(rows, n_features), dtype=np.float32
    )
    X = client.persist(X)
    from collections import Counter

    from distributed import futures_of, wait

    wait(X)
    # Spread the blocks evenly over the workers, as a fit does first.
    X = spread_blocks(X, client, client.scheduler_info()["workers"])
    placement = Counter(
        holders[0] for holders in client.who_has(futures_of(X)).values()
    )
    print(
        f"  ({n_samples}, {n_features}): blocks per worker "
        f"{sorted(placement.values())}",
        flush=True,
    )
    return X


def incoming_bytes(client):
    """Bytes the workers have received from each other so far."""
    totals = client.run(
        lambda dask_worker: sum(
            entry["total"] for entry in dask_worker.transfer_incoming_log
        )
    )
    return sum(totals.values())


def two_round_trips(on_blocks, theta):
    """The evaluation of a one-layer autoencoder in the two stages a deeper
    network takes (the hidden sums, then the gradient sums with rho_hat's
    deltas): what the one-stage evaluation saves."""
    from skl_sparseae._kernel import Stage

    driver, n_samples = on_blocks._driver, on_blocks.n_samples
    hidden = on_blocks.sums(theta, Stage.HIDDEN).hidden
    rho_hats, deltas = driver.sparsity_deltas(hidden, n_samples)
    sums = on_blocks.sums(theta, Stage.GRADIENT, deltas)
    return driver.total(theta, sums.grad, sums.losses, n_samples, rho_hats)


def evaluation_rows(client, sizes, rounds):
    from skl_sparseae import SparseAutoencoder
    from skl_sparseae._dask import DaskObjective
    from skl_sparseae._runners import ThreadRunner, serial_blas

    print(
        f"{'m':>9} {'n':>4} {'k':>4} | {'threads ms':>10} {'dask 1-trip ms':>14} "
        f"{'2-trip ms':>9} {'overhead ms':>11} | {'1-trip/threads':>14} "
        f"{'2-trip/threads':>14} | {'out KB':>7} {'back KB':>8} {'measured KB':>11}"
    )
    for n_samples, n_features, k in sizes:
        X_dask = make_data(client, n_samples, n_features)
        X = X_dask.compute()
        estimator = SparseAutoencoder(k)
        estimator.n_features_in_ = n_features
        theta = estimator._layout(n_features).initial_parameters(
            np.random.RandomState(0)
        )
        n_blocks = X_dask.numblocks[0]
        # A 1-row-per-block array of as many blocks: the overhead alone.
        tiny = client.persist(X_dask[:: X_dask.chunks[0][0]].rechunk((1, n_features)))
        factory = estimator._objective
        one_pass = DaskObjective(factory, X_dask)
        overhead = DaskObjective(factory, tiny)
        with serial_blas(), factory(X, runner=ThreadRunner(2)) as threaded:
            times = interleaved(
                {
                    "threads": partial(threaded, theta),
                    "one": partial(one_pass, theta),
                    "two": partial(two_round_trips, one_pass, theta),
                    "overhead": partial(overhead, theta),
                },
                rounds,
            )
        before = incoming_bytes(client)
        one_pass(theta)
        measured = incoming_bytes(client) - before
        P = theta.size
        out_bytes = 8 * P * len(client.scheduler_info()["workers"])
        # Each block returns hidden (k), slope_W (k n), slope_b (k), grad (P)
        # and the loss (1), in float64; at most every block's sums cross.
        block_sums = 8 * (k + k * n_features + k + P + 1)
        back_bytes = block_sums * n_blocks
        print(
            f"{n_samples:>9} {n_features:>4} {k:>4} | "
            f"{1e3 * times['threads']:>10.1f} {1e3 * times['one']:>14.1f} "
            f"{1e3 * times['two']:>9.1f} {1e3 * times['overhead']:>11.1f} | "
            f"{times['one'] / times['threads']:>14.2f} "
            f"{times['two'] / times['threads']:>14.2f} | "
            f"{out_bytes / 1e3:>7.0f} {back_bytes / 1e3:>8.0f} "
            f"{measured / 1e3:>11.0f}",
            flush=True,
        )
        del X, X_dask, tiny


def iteration_rows(client, sizes, rounds=2, max_iter=10):
    from skl_sparseae import SparseAutoencoder
    from skl_sparseae._dask import prepare_training_array

    print(
        f"\n{'m':>9} {'n':>4} {'k':>4} | {'threads s/it':>12} {'dask s/it':>10} "
        f"{'ratio':>6} | {'checks s':>8} | {'loss_ threads':>14} {'loss_ dask':>14}"
    )
    for n_samples, n_features, k in sizes:
        X_dask = make_data(client, n_samples, n_features)
        X = X_dask.compute()
        per_iteration = {"threads": [], "dask": []}
        losses = {}
        for _ in range(rounds):
            for name, data in (("threads", X), ("dask", X_dask)):
                estimator = SparseAutoencoder(
                    k, max_iter=max_iter, tol=0.0, random_state=0
                )
                start = time.perf_counter()
                estimator.fit(data)
                seconds = time.perf_counter() - start
                per_iteration[name].append(seconds / estimator.n_iter_)
                losses[name] = estimator.loss_
        # The Dask fit's one pass of checks (finite, min, max) before L-BFGS.
        start = time.perf_counter()
        prepare_training_array(X_dask, SparseAutoencoder(k))
        checks = time.perf_counter() - start
        threads = float(np.median(per_iteration["threads"]))
        dask_time = float(np.median(per_iteration["dask"]))
        print(
            f"{n_samples:>9} {n_features:>4} {k:>4} | {threads:>12.3f} "
            f"{dask_time:>10.3f} {dask_time / threads:>6.2f} | {checks:>8.2f} | "
            f"{losses['threads']:>14.8g} {losses['dask']:>14.8g}",
            flush=True,
        )


def out_of_core(memory_limit="600MiB", n_samples=3_000_000, n_features=128):
    """A fit on a zarr array on disk, larger than the workers' memory limit."""
    import dask.array as da
    from distributed import Client, LocalCluster

    from skl_sparseae import SparseAutoencoder

    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "X.zarr")
        X = da.random.default_rng(0).random(
            (n_samples, n_features), chunks=(BLOCK_ROWS, n_features), dtype=np.float32
        )
        X.to_zarr(path)
        X = da.from_zarr(path)
        print(
            f"out of core: X {X.shape} float32 = {X.nbytes / 2**20:.0f} MiB on disk; "
            f"2 workers with memory_limit={memory_limit} each"
        )
        with (
            LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                memory_limit=memory_limit,
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            estimator = SparseAutoencoder(25, max_iter=5, tol=0.0, random_state=0)
            start = time.perf_counter()
            estimator.fit(X)
            seconds = time.perf_counter() - start
            peaks = client.run(
                lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            )
            print(
                f"  fit: {estimator.n_iter_} iterations in {seconds:.1f} s, "
                f"loss_ = {estimator.loss_:.6g}; workers' peak RSS: "
                + ", ".join(f"{peak / 2**20:.0f} MiB" for peak in peaks.values())
            )


def driver_memory(n_samples=1_000_000, n_features=256):
    """The driver's peak memory while it fits 1 GB that lives on the workers."""
    from distributed import Client, LocalCluster

    from skl_sparseae import SparseAutoencoder

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        X = make_data(client, n_samples, n_features)
        estimator = SparseAutoencoder(64, max_iter=5, tol=0.0, random_state=0)
        estimator.fit(X)
        codes = estimator.transform(X)
        mean_code = float(codes.mean().compute())
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        f"driver memory: X {X.shape} float32 = {X.nbytes / 2**30:.2f} GiB on the "
        f"workers; the driver's peak RSS was {before / 2**20:.0f} MiB before the "
        f"cluster started and {after / 2**20:.0f} MiB after the fit and a lazy "
        f"transform (mean code {mean_code:.3f})"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out-of-core", action="store_true")
    parser.add_argument("--driver-memory", action="store_true")
    parser.add_argument(
        "--target", action="store_true", help="the m = 1e6, 64 features rows only"
    )
    parser.add_argument(
        "--large", action="store_true", help="m = 1e6, 784 features (3 GB), 3 rounds"
    )
    args = parser.parse_args()
    if args.out_of_core:
        out_of_core()
        return
    if args.driver_memory:
        driver_memory()
        return

    from distributed import Client, LocalCluster

    if args.target:
        sizes = [(1_000_000, 64, 25)]
        rounds = 7
    elif args.large:
        sizes = [(1_000_000, 784, 196)]
        rounds = 3
    elif args.quick:
        sizes = [(10_000, 64, 25), (100_000, 64, 25), (10_000, 784, 196)]
        rounds = 5
    else:
        sizes = [
            (10_000, 64, 25),
            (100_000, 64, 25),
            (1_000_000, 64, 25),
            (10_000, 784, 196),
            (100_000, 784, 196),
            (300_000, 784, 196),
        ]
        rounds = 7
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        print(f"LocalCluster: 2 workers x 1 thread; X in {N_BLOCKS} row blocks\n")
        evaluation_rows(client, sizes, rounds)
        iteration_rows(client, [s for s in sizes if s[0] * s[1] <= 64_000_000])


if __name__ == "__main__":
    main()
