"""Where the per-chunk math runs: row chunks, threads, fixed-order sums, BLAS.

The kernels in :mod:`skl_sparseae._objective` compute one chunk's share of a
sum (hidden activations' column sums, the loss, the gradient) and know
nothing of threads. This module decides where the chunks run and adds their
shares together:

- :func:`row_chunks` cuts the samples into chunks. The cut depends only on the
  number of samples and ``chunk_size``.
- :class:`ThreadedExecutor` runs one task per chunk on a few threads and
  adds each chunk's share into the total **in chunk order**, whatever thread
  computed it and whenever it finished. The sum is therefore the same, bit
  for bit, on 1 thread or 8: it is ``(((0 + s_0) + s_1) + s_2) + ...`` every
  time. How many threads run changes the speed, never the result.
- :func:`serial_blas` holds every loaded BLAS library to one thread while a
  fit runs, with a process-wide reference count so that overlapping fits in
  several threads restore the setting the process had before the first of
  them, not a value another fit set in between.

A Dask executor (the same kernels on Dask blocks) is the other executor this
interface is meant for: it needs the same two things from a kernel, a task
per chunk and a fixed order in which the shares are added.
"""

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import ThreadpoolController

# Rows per chunk when chunk_size="auto": about this many entries of X per
# chunk (256 KiB in float64), so that a chunk's elementwise work stays in the
# L2 cache, but never fewer rows than _AUTO_CHUNK_MIN_ROWS, so that the
# chunk's matrix products stay large enough for BLAS. benchmarks/ measures it.
_AUTO_CHUNK_ENTRIES = 32768
_AUTO_CHUNK_MIN_ROWS = 256


def auto_chunk_size(n_samples, n_features):
    """Rows per chunk for ``chunk_size="auto"``: a function of the shape only."""
    rows = max(_AUTO_CHUNK_MIN_ROWS, _AUTO_CHUNK_ENTRIES // max(n_features, 1))
    return min(rows, n_samples)


def resolve_chunk_size(chunk_size, n_samples, n_features):
    """Rows per chunk for an estimator's ``chunk_size`` (int, "auto" or None)."""
    if chunk_size is None:
        chunk_size = n_samples
    elif isinstance(chunk_size, str) and chunk_size == "auto":
        chunk_size = auto_chunk_size(n_samples, n_features)
    return max(1, min(int(chunk_size), n_samples))


def row_chunks(n_samples, chunk_size):
    """``[(start, stop), ...]``: consecutive chunks of at most ``chunk_size`` rows."""
    return [
        (start, min(start + chunk_size, n_samples))
        for start in range(0, n_samples, chunk_size)
    ]


# --- BLAS threads -----------------------------------------------------------

_blas_lock = threading.Lock()
_blas_holders = 0
_blas_limiter = None
_blas_threads_before = None
_controller = None


def _blas_controller():
    """threadpoolctl's view of the loaded BLAS libraries, found once.

    Finding them scans the process's libraries (milliseconds: as long as a
    whole small fit's evaluation); numpy's and scipy's BLAS are loaded when
    this package is imported, before the first fit asks.
    """
    global _controller
    if _controller is None:
        _controller = ThreadpoolController().select(user_api="blas")
    return _controller


def _current_blas_threads():
    counts = [info["num_threads"] for info in _blas_controller().info()]
    return max(counts) if counts else 1


@contextlib.contextmanager
def serial_blas():
    """Hold every loaded BLAS library to one thread inside the block.

    Fits parallelise over chunks, each with single-threaded products; BLAS
    threads would compete with the chunk threads, and on small products they
    only spin (a 300-row fit ran 10x slower with them). scipy's L-BFGS-B
    loads its own BLAS, whose idle threads would otherwise spin between
    evaluations too, so the limit is held around the whole optimisation.

    The limit is process-wide (BLAS libraries have one setting per process),
    so it is reference counted: the first block to enter sets it, the last
    to leave restores what the process had before the first entered, in
    whatever order overlapping blocks in several threads leave.
    """
    global _blas_holders, _blas_limiter, _blas_threads_before
    with _blas_lock:
        if _blas_holders == 0:
            _blas_threads_before = _current_blas_threads()
            _blas_limiter = _blas_controller().limit(limits=1)
        _blas_holders += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_holders -= 1
            if _blas_holders == 0:
                _blas_limiter.restore_original_limits()
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


class _ChunkRun:
    """The shared state of one :meth:`ThreadedExecutor.run` call."""

    def __init__(self, n_chunks):
        self.n_chunks = n_chunks
        self.next_chunk = 0
        self.next_to_add = 0
        self.stopped = False
        self.turn = threading.Condition()

    def take(self):
        """The next chunk to compute, or None when there is none (or stopped)."""
        with self.turn:
            if self.stopped or self.next_chunk == self.n_chunks:
                return None
            chunk = self.next_chunk
            self.next_chunk += 1
            return chunk

    def stop(self):
        with self.turn:
            self.stopped = True
            self.turn.notify_all()


class ThreadedExecutor:
    """Runs per-chunk tasks on threads and adds their shares in chunk order.

    Parameters
    ----------
    n_threads : int
        Threads that compute chunks, the calling thread included. With 1 the
        calling thread computes every chunk and no thread is started.

    Use it as a context manager (or call :meth:`close`): its worker threads
    are started on the first :meth:`run` with more than one thread, and
    stopped on leaving.
    """

    def __init__(self, n_threads):
        self.n_threads = max(1, int(n_threads))
        self._pool = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        """Stop the worker threads. Safe to call more than once."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def run(self, n_chunks, workspaces, compute, add):
        """``compute(workspace, c)`` for every chunk ``c``; ``add(workspace, c)``
        for every chunk in the order 0, 1, 2, ...

        ``compute`` writes chunk ``c``'s share into ``workspace`` (one per
        thread, ``len(workspaces) >= n_threads``); ``add`` adds it into the
        total. ``add`` calls never overlap and always come in chunk order, so
        the total is the same whatever the number of threads. If a task
        raises (or the calling thread is interrupted), the other threads stop
        after their current chunk and the exception is raised here.
        """
        n_threads = min(self.n_threads, n_chunks)
        if n_threads <= 1:
            for chunk in range(n_chunks):
                compute(workspaces[0], chunk)
                add(workspaces[0], chunk)
            return
        state = _ChunkRun(n_chunks)
        # numpy's floating-point error settings are per thread: the workers
        # take the caller's, so that what it silences stays silent.
        errstate = np.geterr()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=self.n_threads - 1, thread_name_prefix="skl_sparseae"
            )
        futures = [
            self._pool.submit(self._work, state, workspace, compute, add, errstate)
            for workspace in workspaces[1:n_threads]
        ]
        try:
            self._work(state, workspaces[0], compute, add, errstate)
        except BaseException:
            # KeyboardInterrupt included: the workers stop after their
            # current chunk. Wait for them, so that no thread writes into the
            # buffers after this call has returned.
            state.stop()
            for future in futures:
                future.exception()
            raise
        # A worker's exception (it stopped the others) is raised here.
        for future in futures:
            future.result()

    @staticmethod
    def _work(state, workspace, compute, add, errstate):
        try:
            with np.errstate(**errstate):
                ThreadedExecutor._work_through_chunks(state, workspace, compute, add)
        except BaseException:
            state.stop()
            raise

    @staticmethod
    def _work_through_chunks(state, workspace, compute, add):
        while (chunk := state.take()) is not None:
            compute(workspace, chunk)
            with state.turn:
                state.turn.wait_for(
                    lambda c=chunk: state.next_to_add == c or state.stopped
                )
                if state.stopped:
                    return
                add(workspace, chunk)
                state.next_to_add += 1
                state.turn.notify_all()
