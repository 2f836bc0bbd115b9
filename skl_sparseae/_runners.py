"""The chunk runners: threads with fixed-order sums (and BLAS held to one
thread), and one for a device.

A kernel (:mod:`skl_sparseae._kernel`) computes one chunk's share of a sum
(hidden activations' column sums, the loss, the gradient) and is handed a
runner that decides where its chunks run and adds their shares together.
This module holds both runners, :class:`ThreadRunner` for rows in this
process and :class:`ArrayAPIRunner` for rows on a device (the chunks one
after another, their shares added on the device in chunk order):

- :class:`ThreadRunner` (a :class:`~skl_sparseae._kernel.ChunkRunner`)
  sets the rows per chunk (:meth:`~ThreadRunner.chunk_rows`, from the
  shape only), runs one task per chunk on a few threads and sums the
  chunks' shares in **fixed groups** of consecutive chunks (at most
  ``MAX_GROUPS``, set by the number of chunks alone), each group in chunk
  order, then the groups in group order, whatever thread computed what and
  whenever it finished. The sum is therefore the same, bit for bit, on 1
  thread or 8. How many threads run changes the speed, never the result.
- :func:`serial_blas` holds every loaded BLAS library to one thread while a
  fit runs, with a process-wide reference count so that overlapping fits in
  several threads restore the setting the process had before the first of
  them, not a value another fit set in between. The runner holds it while
  its threads compute, so that chunk threads never each start BLAS threads.

The Dask executor (:mod:`skl_sparseae._dask`) runs the same kernels on
Dask blocks, each with a one-thread runner of this module.
"""

import contextlib
import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import threadpoolctl
from threadpoolctl import ThreadpoolController

from ._array_ops import NUMPY_OPS

# Rows per chunk when chunk_size="auto": at most about this many entries of
# X per chunk (1 MiB in float64), so that a chunk's elementwise work stays
# in cache, but never fewer rows than _AUTO_CHUNK_MIN_ROWS, so that the
# chunk's matrix products stay large enough for BLAS and its fixed costs
# (Python work per chunk, one addition of the parameters' size for its
# gradient share) are spread over enough rows; the rows are then spread
# evenly over the chunks. A single chunk of more than _AUTO_CHUNK_SPLIT_ROWS
# rows is cut in two, so that both threads of a two-core machine work on
# it. docs/performance.rst ("What made it fast") has the measurements behind
# these numbers.
_AUTO_CHUNK_ENTRIES = 131072
_AUTO_CHUNK_MIN_ROWS = 512
_AUTO_CHUNK_SPLIT_ROWS = 256


def auto_chunk_size(n_samples, n_features):
    """Rows per chunk for ``chunk_size="auto"``: a function of the shape only.

    At most ``max(512, 131072 // n_features)`` rows, as even as possible:
    513 rows at 64 features make one chunk, 3000 make two of 1500; at 784
    features 1000 rows make two chunks of 500. A single chunk of more than
    ``max(256, 131072 // n_features)`` rows is cut in two (400 rows at 784
    features make two chunks of 200), so that two threads can share it.
    """
    cache_rows = _AUTO_CHUNK_ENTRIES // max(n_features, 1)
    limit = max(_AUTO_CHUNK_MIN_ROWS, cache_rows)
    n_chunks = -(-n_samples // limit)
    if n_chunks == 1 and n_samples > max(_AUTO_CHUNK_SPLIT_ROWS, cache_rows):
        n_chunks = 2
    return max(1, -(-n_samples // max(n_chunks, 1)))


def resolve_chunk_size(chunk_size, n_samples, n_features):
    """Rows per chunk for an estimator's ``chunk_size`` (int, "auto" or None)."""
    if chunk_size is None:
        chunk_size = n_samples
    elif isinstance(chunk_size, str) and chunk_size == "auto":
        chunk_size = auto_chunk_size(n_samples, n_features)
    return max(1, min(int(chunk_size), n_samples))


# --- BLAS threads -----------------------------------------------------------

_blas_lock = threading.Lock()
_blas_holders = 0
_blas_limiter = None
_blas_threads_before = None
_controller = None
_controller_lock = threading.Lock()


def _blas_controller():
    """threadpoolctl's view of the loaded BLAS libraries, found once.

    Finding them scans the process's libraries (milliseconds: as long as a
    whole small fit's evaluation); numpy's and scipy's BLAS are loaded when
    this package is imported, before the first fit asks. Two fits starting
    together in two threads find them once.
    """
    global _controller
    with _controller_lock:
        if _controller is None:
            _controller = ThreadpoolController().select(user_api="blas")
        return _controller


def _current_blas_threads():
    counts = [info["num_threads"] for info in _blas_controller().info()]
    return max(counts) if counts else 1


def _releasing_control(task):
    """Run ``task()`` (which sets BLAS thread counts), then let go of
    threadpoolctl's control of OpenBLAS; return what ``task`` returned.

    threadpoolctl (from 3.8 on) lets only one Python thread at a time set
    the thread count of an OpenBLAS built with its own thread pool: the
    first thread that sets it, for as long as that thread is alive (or until
    it leaves a ``with threadpool_limits`` block); any other thread's
    setting is silently ignored. The fit that sets the limit and the fit
    that restores it are often two threads, so the restore was lost (and
    BLAS left at 1 thread for the rest of the process) whenever the thread
    that had set the limit was still alive. Each setting here is followed by
    giving up the control it took, so that the next one, from whichever
    thread, takes effect. Another thread that holds the control (a user's
    ``with threadpool_limits`` block) keeps it, since only the controlling
    thread can give it up; a fit inside such a block in the same thread
    gives it up, which lets other threads set the count again, as they
    could before threadpoolctl 3.8.
    """
    try:
        return task()
    finally:
        if _release_blas_control is not None:
            _release_blas_control()


# threadpoolctl 3.8 and later: give up the control of OpenBLAS (see above);
# None where threadpoolctl has no such control.
_release_blas_control = getattr(
    getattr(threadpoolctl, "OpenBLASController", None),
    "clear_controlling_thread",
    None,
)


@contextlib.contextmanager
def serial_blas():
    """Hold every loaded BLAS library to one thread inside the block.

    Fits parallelise over chunks, each with single-threaded products; BLAS
    threads would compete with the chunk threads, and on small products they
    only spin, which slows small fits several times over (see
    docs/performance.rst). scipy's L-BFGS-B
    loads its own BLAS, whose idle threads would otherwise spin between
    evaluations too, so the limit is held around the whole optimisation.

    The limit is process-wide (BLAS libraries have one setting per process),
    so it is reference counted: the first block to enter sets it, the last
    to leave restores what the process had before the first entered, in
    whatever order overlapping blocks in several threads leave. Each of
    the two gives up threadpoolctl's control of OpenBLAS afterwards (see
    :func:`_releasing_control`), so that the restore takes effect whichever
    thread leaves last. While a thread of the user's holds that control (a
    ``with threadpool_limits`` block in another thread), its setting stands
    and this one is not applied.
    """
    global _blas_holders, _blas_limiter, _blas_threads_before
    with _blas_lock:
        if _blas_holders == 0:
            controller = _blas_controller()
            _blas_threads_before = _current_blas_threads()
            _blas_limiter = _releasing_control(lambda: controller.limit(limits=1))
        _blas_holders += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_holders -= 1
            if _blas_holders == 0:
                _releasing_control(_blas_limiter.restore_original_limits)
                _blas_limiter = None
                _blas_threads_before = None


def default_n_threads():
    """Threads to run chunks on: as many as the BLAS library would use.

    That is the number the user allowed (``threadpool_limits``,
    ``OMP_NUM_THREADS``, a loky worker's limit), at most the CPUs this
    process may use. While :func:`serial_blas` is held by another fit, the
    number from before it is used, not the 1 that the fit set.
    """
    with _blas_lock:
        blas_threads = _blas_threads_before
    if blas_threads is None:
        blas_threads = _current_blas_threads()
    try:
        n_cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n_cpus = os.cpu_count() or 1
    return max(1, min(blas_threads, n_cpus))


# --- Executor -----------------------------------------------------------------

# The chunks of a pass are summed in at most this many groups of consecutive
# chunks. The grouping depends on the number of chunks only, never on the
# number of threads, so sums are the same bits on any number of threads; it
# also bounds the threads that can share one pass.
MAX_GROUPS = 8


@functools.lru_cache(maxsize=64)
def chunk_groups(n_chunks):
    """``((first, stop), ...)``: ``min(n_chunks, MAX_GROUPS)`` runs of
    consecutive chunks, as equal in size as possible (computed once per
    number of chunks: every pass of every evaluation asks)."""
    n_groups = min(n_chunks, MAX_GROUPS)
    bounds = [round(g * n_chunks / n_groups) for g in range(n_groups + 1)]
    return tuple(zip(bounds[:-1], bounds[1:], strict=True))


class _GroupQueue:
    """The groups of one :meth:`ThreadRunner.run`, handed out one by one."""

    def __init__(self, n_groups):
        self.n_groups = n_groups
        self.next_group = 0
        self.stopped = False
        self.lock = threading.Lock()

    def take(self):
        """The next group to sum, or None when there is none (or stopped)."""
        with self.lock:
            if self.stopped or self.next_group == self.n_groups:
                return None
            group = self.next_group
            self.next_group += 1
            return group

    def stop(self):
        with self.lock:
            self.stopped = True


class ThreadRunner:
    """Runs per-chunk tasks on threads and sums their shares in a fixed order:
    the :class:`~skl_sparseae._kernel.ChunkRunner` of rows in this process.

    Parameters
    ----------
    n_threads : int
        Threads that compute chunks, the calling thread included. With 1 the
        calling thread computes every chunk and no thread is started.

    The kernel it is handed to closes it (or use it as a context manager):
    its worker threads are started on the first :meth:`run` with more than
    one thread, and stopped on closing.
    """

    #: NumPy arrays and SciPy sparse matrices: results into buffers.
    ops = NUMPY_OPS

    def __init__(self, n_threads):
        self.n_threads = max(1, int(n_threads))
        self._pool = None
        self._group_sums = {}

    @staticmethod
    def chunk_rows(chunk_size, n_samples, n_features):
        """Rows per chunk for an estimator's ``chunk_size`` (int, "auto" or
        None): :func:`resolve_chunk_size`."""
        return resolve_chunk_size(chunk_size, n_samples, n_features)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        """Stop the worker threads. Safe to call more than once."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def run(self, n_chunks, workspaces, compute, shares, totals):
        """Compute every chunk's share and add them all into ``totals``.

        ``compute(workspace, c)`` writes chunk ``c``'s share into
        ``workspace`` (one per task that runs at once: at most
        ``len(workspaces)`` threads work);
        ``shares(workspace)`` returns the arrays that hold it, matching the
        float64 arrays ``totals`` in shape; ``totals`` hold zeros on entry
        (every caller sums into fresh ones). The chunks are summed in the fixed
        groups of :func:`chunk_groups`, each group in chunk order by one
        thread, and the group sums are added into ``totals`` in group order:
        ``totals += (s_0 + s_1 + ...) + (s_k + ...) + ...``, the same bits
        whatever thread computed what. If a task raises (or the calling
        thread is interrupted), the other threads stop after their current
        chunk and the exception is raised here.
        """
        groups = chunk_groups(n_chunks)
        if len(groups) == 1:
            # One group, summed straight into the zero totals: the same bits
            # as through a zeroed group buffer (0 + s_0 + ... is s_0 + ...),
            # without filling and adding that buffer.
            for chunk in range(n_chunks):
                compute(workspaces[0], chunk)
                for total, share in zip(totals, shares(workspaces[0]), strict=True):
                    np.add(total, share, out=total)
            return
        key = tuple(total.shape for total in totals)
        if key not in self._group_sums:
            self._group_sums[key] = [
                [np.empty_like(total) for total in totals] for _ in range(MAX_GROUPS)
            ]
        group_sums = self._group_sums[key]

        def sum_group(workspace, group):
            sums = group_sums[group]
            for partial in sums:
                partial.fill(0.0)
            first, stop = groups[group]
            for chunk in range(first, stop):
                compute(workspace, chunk)
                for partial, share in zip(sums, shares(workspace), strict=True):
                    np.add(partial, share, out=partial)

        n_threads = min(self.n_threads, len(groups), len(workspaces))
        if n_threads <= 1:
            for group in range(len(groups)):
                sum_group(workspaces[0], group)
        else:
            self._run_on_threads(len(groups), workspaces[:n_threads], sum_group)
        for group in range(len(groups)):
            for total, partial in zip(totals, group_sums[group], strict=True):
                np.add(total, partial, out=total)

    def _run_on_threads(self, n_groups, workspaces, sum_group):
        queue = _GroupQueue(n_groups)
        # numpy's floating-point error settings are per thread: the workers
        # take the caller's, so that what it silences stays silent.
        errstate = np.geterr()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=self.n_threads - 1, thread_name_prefix="skl_sparseae"
            )
        # Threads calling a multithreaded BLAS at once would oversubscribe
        # the cores: each chunk thread's products run serially. Inside a fit
        # this is already held, and entering again is cheap.
        with serial_blas():
            futures = [
                self._pool.submit(self._work, queue, workspace, sum_group, errstate)
                for workspace in workspaces[1:]
            ]
            try:
                self._work(queue, workspaces[0], sum_group, errstate)
            except BaseException:
                # KeyboardInterrupt included: the workers stop after their
                # current chunk. Wait for them, so that no thread writes into
                # the buffers after this call has returned.
                queue.stop()
                for future in futures:
                    future.exception()
                raise
            # A worker's exception (it stopped the others) is raised here.
            for future in futures:
                future.result()

    @staticmethod
    def _work(queue, workspace, sum_group, errstate):
        try:
            with np.errstate(**errstate):
                while (group := queue.take()) is not None:
                    sum_group(workspace, group)
        except BaseException:
            queue.stop()
            raise


# Rows per chunk for chunk_size="auto" on a device: at most about this many
# entries of X per chunk (256 MiB in float64). On a GPU a chunk is not sized
# for a cache but for memory: the products of a chunk run as one kernel
# each, which large chunks keep busy, and the memory beyond X is about
# 2 * chunk_rows * (n_features + sum of the hidden widths) entries.
_DEVICE_CHUNK_ENTRIES = 2**25


class ArrayAPIRunner:
    """The :class:`~skl_sparseae._kernel.ChunkRunner` of rows on a device:
    the chunks one after another (the device runs each chunk's products in
    parallel), their shares added into float64 totals on the device in
    chunk order."""

    n_threads = 1

    def __init__(self, ops):
        self.ops = ops

    @staticmethod
    def chunk_rows(chunk_size, n_samples, n_features):
        if isinstance(chunk_size, str) and chunk_size == "auto":
            chunk_size = max(1, _DEVICE_CHUNK_ENTRIES // max(n_features, 1))
        return resolve_chunk_size(chunk_size, n_samples, n_features)

    def run(self, n_chunks, workspaces, compute, shares, totals):
        work = workspaces[0]
        for c in range(n_chunks):
            compute(work, c)
            for total, share in zip(totals, shares(work), strict=True):
                total += share

    def close(self):
        pass
