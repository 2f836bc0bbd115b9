"""The Dask executor: the exact full-batch objective on a Dask array's blocks.

The driver runs scipy's L-BFGS as for NumPy data. Each evaluation of J and
its gradient is a map-reduce over the row blocks of X:

- **map**: on a worker, each block builds the package's own objective on its
  rows (a kernel of :mod:`skl_sparseae._kernel`, the same code the in-memory
  executor runs, in the block's dtype, on one thread) and returns its rows'
  share of the sums J is made of (``row_sums``, a ``RowSums``);
- **reduce**: the shares are added in a fixed tree (groups of
  ``FAN_IN`` consecutive blocks, then groups of groups), on the workers, so
  the result is the same bits whichever worker computed what;
- the driver turns the total into ``(J, grad)`` with the same code as the
  in-memory objective (``evaluate_from_sums``).

Only the parameters go out and the sums come back: X stays where it is,
persisted on the workers of the active ``distributed.Client`` when it fits
in half of their memory, and otherwise read from its source (zarr, a memory
map, ...) by every evaluation, which is how a fit runs out of core. Without
a client, Dask's local scheduler runs the blocks on this machine's threads.

A one-hidden-layer autoencoder needs one round trip per evaluation: the
blocks return the two sums the sparsity term is made of, so they need not
know rho_hat first. Deeper networks need two: the hidden sums (rho_hat of
every layer), then the gradient with the sparsity deltas.
"""

import itertools
import sys
import uuid

import numpy as np

from ._kernel import add_row_sums
from ._runners import ThreadRunner

# Blocks' shares are added in groups of this many consecutive blocks.
FAN_IN = 8

# X is persisted on the workers when it takes at most this fraction of their
# memory limits together; otherwise each evaluation reads it from its source.
PERSIST_FRACTION = 0.5


def is_dask_collection(X):
    """Whether X is a Dask collection (array, DataFrame, ...), without
    importing Dask when the caller never did."""
    if "dask" not in sys.modules:
        return False
    import dask

    return dask.is_dask_collection(X)


def active_client():
    """The active ``distributed.Client``, or None (Dask's local scheduler)."""
    if "distributed" not in sys.modules:
        return None
    from distributed import default_client

    try:
        return default_client()
    except ValueError:
        return None


def _inside_dask_worker():
    if "distributed" not in sys.modules:
        return False
    from distributed import get_worker

    try:
        get_worker()
    except ValueError:
        return False
    return True


def check_dask_array(X, estimator, *, reset, what="X"):
    """A Dask array ready for the blocks: 2-D, known row chunks, whole rows
    per block, float32 or float64 (other types become float64), dense.

    With ``reset`` it sets ``n_features_in_`` (Dask arrays carry no feature
    names); otherwise it checks the width against it.
    """
    import dask.array as da

    name = type(estimator).__name__
    if not isinstance(X, da.Array):
        raise TypeError(
            f"{name} takes a dask.array.Array, not a {type(X).__module__}."
            f"{type(X).__name__}. For a Dask DataFrame, call "
            "X.to_dask_array(lengths=True) first: it gives an array whose row "
            "chunk sizes are known."
        )
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2D Dask array for {what}, got shape {X.shape}. Reshape "
            "it to (n_samples, n_features)."
        )
    if any(np.isnan(size) for size in X.chunks[0]) or np.isnan(X.shape[1]):
        raise ValueError(
            f"{what} has unknown chunk sizes (NaN in X.chunks), as arrays made from "
            "a Dask DataFrame have. Call X.compute_chunk_sizes() first, or make "
            "the array with df.to_dask_array(lengths=True)."
        )
    meta = getattr(X, "_meta", None)
    if meta is not None and not isinstance(meta, np.ndarray):
        raise TypeError(
            f"{name} fits Dask arrays of NumPy blocks; {what}'s blocks are "
            f"{type(meta).__module__}.{type(meta).__name__}. Convert them with "
            "X.map_blocks(lambda block: block.toarray())."
        )
    n_samples, n_features = X.shape
    if n_samples < 1 or n_features < 1:
        raise ValueError(
            f"Found array with {n_samples} sample(s) and {n_features} feature(s) "
            f"while a minimum of 1 of each is required by {name}."
        )
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if reset:
        estimator.n_features_in_ = n_features
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
    elif n_features != estimator.n_features_in_:
        raise ValueError(
            f"X has {n_features} features, but {name} is expecting "
            f"{estimator.n_features_in_} features as input."
        )
    # Whole rows in every block: each block is a set of samples.
    return X.rechunk({1: -1})


def check_dask_codes(X):
    """Codes for a lazy ``inverse_transform``: 2-D, whole rows per block,
    float32 or float64 (other types become float64); the width is the
    estimator's to check."""
    if X.ndim != 2:
        raise ValueError(f"Expected 2D codes, got shape {X.shape}.")
    H = X.rechunk({1: -1})
    return H if H.dtype in (np.float32, np.float64) else H.astype(np.float64)


def prepare_training_array(X, estimator):
    """X for a fit: checked, persisted on the workers when they can hold it,
    and its ``(min, max)`` (one pass over X, which also checks it is finite).
    """
    import dask
    import dask.array as da

    if _inside_dask_worker():
        raise RuntimeError(
            f"{type(estimator).__name__} was given a Dask array inside a Dask task "
            "(for example a GridSearchCV under joblib's 'dask' backend). Use one "
            "kind of parallelism at a time: a search over a cluster with NumPy X "
            "(each fit on one worker), or a sequential search whose fits use the "
            "cluster (Dask X). See the 'Scaling out' page of the docs."
        )
    X = check_dask_array(X, estimator, reset=True)
    X = persist_if_it_fits(X)
    finite, low, high = dask.compute(da.isfinite(X).all(), X.min(), X.max())
    if not finite:
        raise ValueError(
            "Input X contains NaN or infinity; every value of a Dask X must be "
            "finite. Find them with dask.array.isnan(X).any(axis=1)."
        )
    return X, (float(low), float(high))


def persist_if_it_fits(X):
    """``X.persist()`` on the active client's workers if it takes at most
    ``PERSIST_FRACTION`` of their memory limits, its blocks then spread
    evenly over the workers (:func:`spread_blocks`); X itself otherwise
    (and without a client: persisting would load it into this process).

    An X the caller has already persisted is used where it is: its blocks
    are the caller's, and giving them new keys would make the workers count
    them twice for as long as the caller holds them."""
    client = active_client()
    if client is None:
        return X
    from dask.core import flatten
    from distributed import futures_of

    if set(flatten(X.__dask_keys__())) <= {future.key for future in futures_of(X)}:
        return X  # every block of X is a future already: persisted
    try:
        info = client.scheduler_info(n_workers=-1)  # every worker, not 5
    except TypeError:  # distributed before 2025 lists them all
        info = client.scheduler_info()
    limits = [worker.get("memory_limit") or 0 for worker in info["workers"].values()]
    if limits and all(limits) and X.nbytes > PERSIST_FRACTION * sum(limits):
        return X
    # The persisted array is passed on, not kept here: spread_blocks lets
    # go of each block's old key as soon as its new one exists.
    return spread_blocks(X.persist(), client, info["workers"])


def _same_block(block):
    return block


def spread_blocks(X, client, workers):
    """Persisted X (one block per row chunk, of any number of dimensions)
    with its rows spread over the workers as evenly as whole blocks allow:
    the same values and row chunks.

    ``workers`` maps each worker's address to its ``scheduler_info()``
    entry: the aim is the same rows per thread (``"nthreads"``), since a
    worker runs one block's task per thread, and no worker is given blocks
    past ``PERSIST_FRACTION`` of its ``"memory_limit"``.

    Every evaluation waits for the worker with the most rows per thread,
    and the scheduler places persisted blocks as it finds the workers free,
    not evenly (16 blocks on 2 workers landed 7 and 9 in the benchmarks,
    which makes every evaluation 9/8 as long as an even split). As few
    blocks as possible move, one at a time from the worker with the most
    rows per thread to the one with the fewest while that lowers the most,
    each copied once, worker to worker; the others stay where they are.
    X is returned unchanged when nothing needs to move.

    Every block then gets a new key (an array's blocks share its name):
    a task on the block's worker returns it, in place for the blocks that
    stay. A worker counts a block under both keys until the old one is
    released, so the blocks are re-keyed one per worker at a time and each
    old key is let go at once: the double count is one block per worker
    when nothing else holds X (as in :func:`persist_if_it_fits`).
    """
    from distributed import futures_of, wait

    addresses = sorted(workers)
    blocks = X.to_delayed().ravel().tolist()
    whole_rows = all(n_blocks == 1 for n_blocks in X.numblocks[1:])
    if len(addresses) < 2 or len(blocks) < 2 or not whole_rows:
        return X
    wait(X)  # where a block is, is known once it is in memory
    futures = {future.key: future for future in futures_of(X)}
    holders = client.who_has(list(futures.values()))
    rows = X.chunks[0]
    row_bytes = X.nbytes / max(X.shape[0], 1)
    threads = {w: workers[w].get("nthreads") or 1 for w in addresses}
    capacity = {
        w: PERSIST_FRACTION * (workers[w].get("memory_limit") or np.inf) / row_bytes
        if row_bytes
        else np.inf
        for w in addresses
    }
    load = dict.fromkeys(addresses, 0)

    def per_thread(worker, extra_rows=0):
        return (load[worker] + extra_rows) / threads[worker]

    where = []
    for block in blocks:
        held = [w for w in holders.get(block.key, ()) if w in load]
        if block.key not in futures or not held:
            return X  # not a persisted array on these workers: leave it
        where.append(held)
    # A block held by several workers (a task ran away from its block and
    # copied it) counts, after the others, where it adds the least.
    holder = [None] * len(blocks)
    for i in sorted(range(len(blocks)), key=lambda i: len(where[i]) > 1):
        holder[i] = min(where[i], key=lambda worker: per_thread(worker, rows[i]))
        load[holder[i]] += rows[i]

    n_moved = 0
    while True:
        busiest = max(addresses, key=per_thread)
        idlest = min(addresses, key=per_thread)
        movable = [
            i
            for i, worker in enumerate(holder)
            if worker == busiest
            and per_thread(idlest, rows[i]) < per_thread(busiest)
            and load[idlest] + rows[i] <= capacity[idlest]
        ]
        if not movable:
            break
        i = movable[-1]
        holder[i] = idlest
        n_moved += 1
        load[busiest] -= rows[i]
        load[idlest] += rows[i]
    if n_moved == 0:
        return X

    name = f"spread-{uuid.uuid4().hex}"
    keys = [(name, *block.key[1:]) for block in blocks]
    old_blocks = [futures[block.key] for block in blocks]
    chunks, dtype, meta = X.chunks, X.dtype, X._meta
    # From here on, only old_blocks holds X's blocks (unless the caller does).
    del X, blocks, futures
    # One block per worker at a time: a worker with a second task queued
    # could have it stolen by an idle one, which would copy the block.
    queues = [[i for i in range(len(keys)) if holder[i] == w] for w in addresses]
    spread = {}
    for batch in itertools.zip_longest(*queues):
        batch = [i for i in batch if i is not None]
        for i in batch:
            # Loose: a worker that leaves cannot stall the fit.
            spread[keys[i]] = client.submit(
                _same_block,
                old_blocks[i],
                key=keys[i],
                workers=[holder[i]],
                allow_other_workers=True,
                pure=False,
            )
        wait([spread[keys[i]] for i in batch])
        for i in batch:
            old_blocks[i] = None  # the old key is released
    # The persisted array of these blocks, as Client.persist builds one.
    import dask.array as da

    return da.Array(spread, name, chunks, dtype, meta)


def _holders(X):
    """``{block key: [worker address]}`` of X's persisted blocks ({} when X
    is not persisted or there is no client)."""
    client = active_client()
    if client is None:
        return {}
    from distributed import futures_of

    futures = futures_of(X)
    if not futures:
        return {}
    return {key: list(workers) for key, workers in client.who_has(futures).items()}


def _block_sums(factory, stage, theta, sparsity_deltas, X_block, *target_blocks):
    """One block's row sums: the package's objective on the block's rows.

    An array that reached the worker over the network can start at any byte
    (distributed's out-of-band buffers), and numpy multiplies arrays that
    are not aligned to their item size with its own loops instead of BLAS,
    which round differently: the shares changed in their last bits from one
    evaluation to the next. Everything is aligned first (a copy only when
    it is not).
    """
    theta, sparsity_deltas, X_block = (
        _aligned(theta),
        _aligned(sparsity_deltas),
        _aligned(X_block),
    )
    target_blocks = tuple(_aligned(target) for target in target_blocks)
    with np.errstate(all="ignore"):
        # One thread per block: Dask's workers run the blocks in parallel.
        with factory(X_block, *target_blocks, runner=ThreadRunner(1)) as objective:
            return objective.row_sums(theta, stage, sparsity_deltas)


def _aligned(value):
    """``value``, or an aligned copy of an unaligned ndarray; lists of arrays
    (a deep network's sparsity deltas) item by item."""
    if isinstance(value, np.ndarray):
        return value if value.flags.aligned else np.require(value, requirements="A")
    if isinstance(value, list | tuple):
        return type(value)(_aligned(item) for item in value)
    return value


class DaskObjective:
    """``theta -> (J, grad)`` over a Dask array's blocks; see the module.

    Parameters
    ----------
    factory : callable
        ``factory(X_rows, *target_rows, runner=runner)`` builds the package's
        objective (a kernel) on some rows (a NumPy block on a worker, or no
        rows at all on the driver). It is sent to the workers: a partial of
        an estimator's method.
    X : dask.array.Array
        Checked by :func:`check_dask_array` (and persisted when wanted).
    *targets : dask.array.Array
        Per-sample arrays with X's row chunks (the classifier's labels, the
        sample weights), each block handed to the factory with X's.
    weight_total : float or None
        What J's means over the samples divide by: the sum of the sample
        weights where there are some (None: the number of samples).

    How many round trips an evaluation takes is the kernel's to say (its
    ``evaluate_from_sums`` asks for the stages it needs): one for a
    one-layer autoencoder, two for deeper ones.
    """

    last_evaluation = None

    def __init__(self, factory, X, *targets, weight_total=None):
        import dask

        self.n_samples = X.shape[0] if weight_total is None else weight_total
        # Persisted arrays hold the futures that keep their blocks on the
        # workers: keep them for as long as this objective lives.
        self._arrays = (X, *targets)
        # The driver's copy of the objective holds no rows: it turns the
        # blocks' sums into J and its gradient.
        self._driver = factory(
            np.empty((0, X.shape[1]), dtype=X.dtype),
            *(np.empty(0, dtype=target.dtype) for target in targets),
            runner=ThreadRunner(1),
        )
        self._factory = dask.delayed(factory, name=f"objective-{uuid.uuid4().hex}")
        blocks = [X.to_delayed().ravel().tolist()] + [
            target.rechunk((X.chunks[0],)).to_delayed().ravel().tolist()
            for target in targets
        ]
        self._blocks = list(zip(*blocks, strict=True))

    def evaluate(self, theta):
        """The :class:`~skl_sparseae._kernel.Evaluation` at ``theta`` over
        every block (also kept as ``last_evaluation``). Its ``codes`` are
        None: the activations of a Dask X stay on the workers."""
        theta = np.asarray(theta, dtype=np.float64)
        self.last_evaluation = self._driver.evaluate_from_sums(
            theta,
            lambda stage, deltas: self.sums(theta, stage, deltas),
            self.n_samples,
        )
        return self.last_evaluation

    def __call__(self, theta):
        """``(J, grad)`` at ``theta``, as scipy's L-BFGS calls it."""
        evaluation = self.evaluate(theta)
        return evaluation.loss, evaluation.grad

    def sums(self, theta, stage, sparsity_deltas=None):
        """The :class:`~skl_sparseae._kernel.RowSums` of ``stage`` over every
        block, added on the workers in a fixed tree; only the total comes
        back."""
        import dask

        key = uuid.uuid4().hex
        theta = dask.delayed(theta, name=f"theta-{key}")
        deltas = dask.delayed(sparsity_deltas, name=f"deltas-{key}")
        # Each block's task goes to the worker that holds the block (asked at
        # every evaluation: a worker that left had its blocks recomputed
        # elsewhere), so X does not move. The restriction is loose: if that
        # worker leaves mid-evaluation the task runs elsewhere instead of
        # waiting for it, and an idle worker may still take a task over
        # (and copy its block) to balance the load.
        holders = _holders(self._arrays[0])
        parts = []
        for block in self._blocks:
            workers = holders.get(block[0].key)
            placement = {"workers": workers, "allow_other_workers": True}
            with dask.annotate(**(placement if workers else {})):
                parts.append(
                    dask.delayed(_block_sums, pure=False)(
                        self._factory, stage, theta, deltas, *block
                    )
                )
        while len(parts) > 1:
            parts = [
                dask.delayed(add_row_sums, pure=False)(*parts[i : i + FAN_IN])
                for i in range(0, len(parts), FAN_IN)
            ]
        (total,) = dask.compute(parts[0])
        return total

    def close(self):
        self._driver.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def map_rows(X, function, n_columns, dtype=None):
    """Lazy ``function(block)`` on every row block: a Dask array with X's row
    chunks and ``n_columns`` columns (None: a 1-D array, one value per row)."""
    if n_columns is None:
        return X.map_blocks(
            function, drop_axis=1, chunks=(X.chunks[0],), dtype=dtype or X.dtype
        )
    return X.map_blocks(
        function, chunks=(X.chunks[0], (n_columns,)), dtype=dtype or X.dtype
    )
