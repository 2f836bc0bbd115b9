"""The contract between kernels and executors: read this to write either.

A **kernel** is an objective's math on some rows of X: the per-chunk
forward and backward passes, and the step that turns sums over all the
samples into J and its gradient. The kernels are the objective classes of
:mod:`skl_sparseae._autoencoder_objective`, :mod:`skl_sparseae._rica_objective`
and :mod:`skl_sparseae._sparse_coding_objective`, all built on
:class:`ChunkedObjective` below.

An **executor** decides where the rows are and where the chunks run: this
machine's threads (:mod:`skl_sparseae._runners`, the in-memory executor of
:mod:`skl_sparseae._executors`) or a Dask array's blocks
(:mod:`skl_sparseae._dask`).

What a kernel is handed, and what it gives back:

- **A chunk runner** (:class:`ChunkRunner`), given to the kernel when it is
  built; the kernel owns it from then on and closes it in :meth:`close`. The
  kernel cuts its rows into chunks of ``runner.chunk_rows(...)`` rows,
  makes one workspace (its buffers) per task that may run at once, and for
  each pass over its rows calls ``runner.run(n_chunks, workspaces, compute,
  shares, totals)``: ``compute(workspace, c)`` writes chunk ``c``'s share
  into ``workspace``, ``shares(workspace)`` names the arrays that hold it,
  and the runner adds every chunk's share into the float64 ``totals`` in an
  order fixed by the number of chunks alone. A kernel never starts a thread,
  never sets a BLAS thread count and never asks what X is.
- **Row sums by stage** (:class:`Stage`, :class:`RowSums`): where the rows
  are not all in this process (Dask), each part of X builds the kernel on
  its rows and returns ``kernel.row_sums(theta, stage, sparsity_deltas)``;
  the executor adds the parts (:func:`add_row_sums`, in a fixed order) and
  hands the totals to ``kernel.evaluate_from_sums(theta, sums_of,
  n_samples)`` on a kernel that holds no rows. A kernel whose J needs a
  statistic over all samples first (the autoencoders' ``rho_hat``) asks for
  two stages, or one where it can split the statistic out of the sums
  (one hidden layer).
- **An evaluation** (:class:`Evaluation`): ``kernel.evaluate(theta)`` and
  ``evaluate_from_sums`` return J, its gradient, J's terms and the
  statistics the estimators print or keep, in one object. Calling a kernel,
  ``kernel(theta)``, returns ``(J, grad)`` for scipy's L-BFGS and keeps that
  evaluation as ``kernel.last_evaluation``.

- **Sample weights** (optional), where X is, with their sum: a kernel built
  with ``sample_weight`` weighs each row's share (its loss, its deltas, its
  hidden activations' sums) by its weight, and divides J's means by the
  weights' sum instead of the number of rows (``weight_total``). The
  executors send them with X (``objective(..., sample_weight=...)``): to
  the device once, or to Dask's workers in X's row chunks.

A new kernel subclasses :class:`ChunkedObjective` (or
:class:`OnePassObjective`, when one pass over the rows gives J and its
gradient), calls :meth:`ChunkedObjective._set_up` in its ``__init__``, and
implements ``_evaluate(theta) -> Evaluation`` and, to run on Dask,
``row_sums`` and ``evaluate_from_sums``. A new executor implements the
:class:`ChunkRunner` methods for where its chunks run, or calls
``row_sums`` where its rows are, and adds shares in a fixed order.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp


class Stage(enum.Enum):
    """What a pass over some rows computes (see :class:`RowSums`)."""

    #: The hidden activations' column sums (``rho_hat`` of every layer).
    HIDDEN = "hidden"
    #: The gradient and loss sums, with the sparsity deltas of all rows.
    GRADIENT = "gradient"
    #: Everything in one pass: the gradient and loss sums, and what the
    #: sparsity term is made of where the kernel can split it out.
    ONE_PASS = "one_pass"


@dataclass
class RowSums:
    """Some rows' share of the sums J is made of: float64 arrays, sums over
    the rows before any ``1/m``; a stage fills the fields it computes and
    leaves the others None. A kernel whose J needs more sums (the
    autoencoders' hidden activations) subclasses it with fields of its own
    (:class:`~skl_sparseae._autoencoder_objective.AutoencoderRowSums`).

    Attributes
    ----------
    grad : ndarray or None
        ``sum_i dL_i/dtheta`` (the parameters' size).
    losses : ndarray or None
        The loss sums, one entry per sum the kernel's J is made of.
    """

    grad: np.ndarray | None = None
    losses: np.ndarray | None = None

    def fields(self):
        """``{name: array}`` of the fields this stage filled."""
        return {name: value for name, value in vars(self).items() if value is not None}


def add_row_sums(*parts):
    """The :class:`RowSums` of several parts, added in the order given (a
    fresh float64 copy of the first, then each part added in turn)."""
    total = type(parts[0])(
        **{
            name: np.array(value, dtype=np.float64)
            for name, value in parts[0].fields().items()
        }
    )
    for part in parts[1:]:
        for name, value in part.fields().items():
            getattr(total, name)[...] += value
    return total


@dataclass(frozen=True)
class Evaluation:
    """J and its gradient at one theta, with what the estimators read of it.

    Attributes
    ----------
    loss : float
        J.
    grad : ndarray
        Its gradient, float64, theta's size.
    terms : dict
        J's terms by name (they add up to J).
    rho_hats : tuple of ndarray or None
        Each encoder layer's mean activation over all samples (the
        autoencoders only).
    codes : ndarray or None
        The last encoder layer's activations of the kernel's rows, where the
        kernel keeps them (the in-memory autoencoders): a view of a buffer
        that the kernel's next evaluation overwrites.
    """

    loss: float
    grad: np.ndarray
    terms: dict
    rho_hats: tuple | None = None
    codes: np.ndarray | None = None


# --- The contracts, as Protocols a type checker can use --------------------------
#
# ``tests/test_contracts.py`` holds every implementation to its Protocol: a
# missing member, or a method whose parameters are named otherwise, fails.

#: An array of the operations' namespace: NumPy's, or X's Array API
#: namespace's on X's device.
Array = Any


class ArrayOps(Protocol):
    """The array operations a kernel allocates and computes with, generic to
    every kernel: :class:`~skl_sparseae._array_ops.NumpyOps` (``out=``
    buffers, BLAS) and :class:`~skl_sparseae._array_ops.ArrayAPIOps` (an
    Array API namespace on a device). Model-specific operations are in
    :class:`AutoencoderArrayOps` and :class:`ClassifierArrayOps`."""

    xp: Any  # the namespace
    device: Any  # the device (None for NumPy)
    is_numpy: bool

    # allocation and movement
    def empty(self, shape: tuple, dtype: Any) -> Array: ...
    def zeros(self, shape: tuple) -> Array: ...
    def ones(self, shape: tuple, dtype: Any) -> Array: ...
    def buffer(self, shape: tuple, dtype: Any) -> Array: ...
    def astype(self, array: Array, dtype: Any, copy: bool = False) -> Array: ...
    def rows(self, buffer: Array, n_rows: int) -> Array: ...
    def part(self, array: Array, start: int, stop: int) -> Array: ...
    def put_rows(self, target: Array, start: int, stop: int, values: Array) -> None: ...
    def rows_where(self, X: Array, mask: np.ndarray) -> Array: ...
    def pack(self, parts: list, out: Array) -> Array: ...
    def publish(self, array: np.ndarray, like: Array) -> Array: ...
    def to_host(self, *arrays: Array) -> list: ...
    def working_parameters(
        self, theta: np.ndarray, dtype: Any, buffer: Array | None
    ) -> Array: ...

    # arithmetic (``out`` where the namespace can write in place)
    def matmul(self, a: Array, b: Array, out: Array | None = None) -> Array: ...
    def multiply(self, a: Array, b: Array, out: Array | None = None) -> Array: ...
    def divide(self, a: Array, b: Array, out: Array | None = None) -> Array: ...
    def subtract(self, a: Array, b: Array, out: Array | None = None) -> Array: ...
    def sqrt(self, a: Array, out: Array | None = None) -> Array: ...

    # sums
    def sum_float64(self, a: Array) -> Any: ...
    def sum_per_row(self, Z: Array) -> Array: ...
    def weighted_sum(self, values: Array, weights: Array) -> Any: ...
    def loss_share(self, value: Any, share: Array) -> Array: ...
    def loss_shares(self, values: tuple, share: Array) -> Array: ...


class AutoencoderArrayOps(ArrayOps, Protocol):
    """What the autoencoders' (and RICA's) kernels add: the logistic
    function and its slope, softplus, and their losses' sums."""

    def sigmoid(self, Z: Array) -> Array: ...
    def expit(self, Z: Array) -> Array: ...
    def softplus(self, Z: Array) -> Array: ...
    def softplus_minus_product_sum(self, Z: Array, X: Array) -> Any: ...
    def times_logistic_slope(
        self, delta: Array, A: Array, out: Array | None = None
    ) -> Array: ...
    def half_squared_norm(self, R: Array) -> Any: ...


class ClassifierArrayOps(ArrayOps, Protocol):
    """What the classifier's kernel adds: labels where X is, the softmax's
    exponent and maxima, and the cross-entropy's sums."""

    def exp(self, Z: Array, out: Array | None = None) -> Array: ...
    def max_per_row(self, Z: Array) -> Array: ...
    def labels(self, y: np.ndarray) -> Array: ...
    def label_positions(self, labels: Array, n_classes: int, Z: Array) -> Array: ...
    def at_labels(self, Z: Array, positions: Array) -> Array: ...
    def subtract_one_at_labels(self, Z: Array, positions: Array) -> Array: ...
    def log_loss_sum(
        self, normaliser: Array, z_max: Array, z_true: Array, weights: Any = None
    ) -> Any: ...
    def classes_of(self, classes: np.ndarray, indices: Array) -> Any: ...


class ChunkRunner(Protocol):
    """Runs a kernel's chunk tasks and adds their shares in a fixed order:
    what an executor hands a kernel (see the module).
    :class:`~skl_sparseae._runners.ThreadRunner` and
    :class:`~skl_sparseae._runners.ArrayAPIRunner`."""

    #: How many chunk tasks may run at once: the kernel makes one workspace
    #: for each (and never more than it has chunks).
    n_threads: int

    #: The array operations for where the rows are: the kernel allocates and
    #: computes with them.
    ops: ArrayOps

    def chunk_rows(self, chunk_size: Any, n_samples: int, n_features: int) -> int:
        """Rows per chunk for the estimator's ``chunk_size`` (an int, "auto"
        or None for one chunk)."""

    def run(
        self,
        n_chunks: int,
        workspaces: list,
        compute: Callable[[Any, int], None],
        shares: Callable[[Any], tuple],
        totals: tuple,
    ) -> None:
        """Every chunk's share, added into ``totals`` (zeros on entry)."""

    def close(self) -> None:
        """Release what the runner started (threads); safe to call twice."""


class Objective(Protocol):
    """``theta -> (J, grad)`` over all of X's rows, what L-BFGS minimises:
    every kernel (:class:`ChunkedObjective`'s subclasses) and the Dask
    executor's :class:`~skl_sparseae._dask.DaskObjective`."""

    #: The evaluation of the last call, or None before the first.
    last_evaluation: "Evaluation | None"

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """``(J, grad)``, float64; keeps the evaluation as ``last_evaluation``."""

    def evaluate(self, theta: np.ndarray) -> "Evaluation":
        """J, its gradient, its terms and what the estimators read of them."""

    def close(self) -> None:
        """Release the runner (threads) or the workers' data."""

    def __enter__(self) -> "Objective": ...
    def __exit__(self, *exc_info: Any) -> Any: ...


class Executor(Protocol):
    """Where an estimator's rows are and where its chunks run, for one kind
    of X: :data:`~skl_sparseae._executors.IN_MEMORY`,
    :data:`~skl_sparseae._executors.DASK` and
    :class:`~skl_sparseae._executors.ArrayAPIExecutor`, as
    :func:`~skl_sparseae._executors.executor_for` picks them."""

    #: Whether X's rows are in this process: an estimator whose fit keeps one
    #: value per training sample beside X (sparse coding's codes) fits only
    #: such X.
    in_memory: bool

    #: The array operations of X's rows (NumPy's for NumPy, SciPy sparse and
    #: Dask blocks; X's namespace on its device): made once, with the
    #: executor, and handed to everything a public call runs.
    ops: ArrayOps

    def training_data(
        self, estimator: Any, X: Any, *, accept_sparse: Any
    ) -> tuple[Any, tuple | None]:
        """X checked for a fit (``n_features_in_`` set), and its ``(min,
        max)`` when the check found it on the way (else None)."""

    def training_data_and_targets(
        self, estimator: Any, X: Any, y: Any, *, accept_sparse: Any
    ) -> tuple[Any, np.ndarray]:
        """X checked for a fit of ``(X, y)``, and ``y`` as a NumPy array,
        one value per sample."""

    def fitted_input(
        self, estimator: Any, X: Any, *, accept_sparse: Any, method: str
    ) -> Any:
        """X checked against a fitted estimator (width, dtype, and under
        array API dispatch its namespace and device) for ``method``."""

    def codes(self, X: Any, estimator: Any) -> Any:
        """Codes for ``inverse_transform``, checked (the width is the
        estimator's to check)."""

    def objective(
        self,
        factory: Callable[..., Any],
        X: Any,
        *targets: Any,
        sample_weight: np.ndarray | None = None,
        **options: Any,
    ) -> Objective:
        """J and its gradient over all of X's rows: ``factory(rows,
        *targets, runner=..., [sample_weight=..., weight_sum=...],
        **options)`` builds the kernel on some rows; the executor hands it
        the runner of its chunks, runs it where the rows are and adds the
        shares in a fixed order; the weights go where X is."""

    def map_rows(
        self, X: Any, function: Callable, n_columns: int | None, dtype: Any = None
    ) -> Any:
        """``function(rows, ops)`` of checked rows and their array
        operations, as X's kind: the result itself in memory, a lazy Dask
        array with X's row chunks on Dask."""

    def mean(
        self, values: Any, check: Callable, X: Any, *, compute: bool = True
    ) -> Any:
        """The mean of :meth:`map_rows`' per-row ``values``, through
        ``check(mean, range_of)``: a float, or on Dask with ``compute=False``
        a lazy 0-d Dask array."""

    def weighted_mean(
        self,
        values: Any,
        weights: np.ndarray,
        check: Callable,
        X: Any,
        *,
        compute: bool = True,
    ) -> Any:
        """:meth:`mean` weighted by checked ``weights``."""


def row_chunks(n_samples, chunk_size):
    """``[(start, stop), ...]``: consecutive chunks of at most ``chunk_size`` rows."""
    return [
        (start, min(start + chunk_size, n_samples))
        for start in range(0, n_samples, chunk_size)
    ]


class ChunkedObjective:
    """What every kernel shares: X cut into row chunks, the runner it was
    handed, the parameters in X's dtype, evaluating and closing.

    Subclasses call :meth:`_set_up`, make ``n_workspaces`` workspaces (one
    per chunk task that may run at once) and implement ``_evaluate(theta)``,
    which returns an :class:`Evaluation`.
    """

    last_evaluation = None

    def _set_up(
        self, X, chunk_size, runner, n_parameters, sample_weight=None, weight_sum=None
    ):
        n_samples, n_features = X.shape
        self.X = X
        # Sample weights (1-D, X's dtype, where X is) or None; J's means over
        # the samples divide by their sum (the executor gives it where the
        # weights are on a device, to spare a copy), else by the count.
        self.sample_weight = sample_weight
        if sample_weight is None:
            self.weight_total = n_samples
        elif weight_sum is not None:
            self.weight_total = float(weight_sum)
        else:
            self.weight_total = runner.ops.sum_float64(sample_weight)
        self._sparse = sp.issparse(X)
        self._runner = runner
        # The array operations for where the rows are (NumPy's out= buffers,
        # or an Array API namespace's device): skl_sparseae._array_ops.
        self._ops = runner.ops
        self.chunk_size = runner.chunk_rows(chunk_size, n_samples, n_features)
        self._chunks = row_chunks(n_samples, self.chunk_size)
        # One workspace per task that may run at once, and no more than
        # there are chunks: the data of one chunk is worked on by one task.
        self.n_workspaces = max(1, min(int(runner.n_threads), len(self._chunks)))
        # Parameters in the working dtype (float32 training casts theta once
        # per call; float64 uses theta itself).
        self._params = (
            None
            if X.dtype == self._ops.xp.float64
            else self._ops.buffer(n_parameters, X.dtype)
        )

    def _chunk_weights(self, start, stop):
        """The weights of rows ``start:stop`` as a column ``(rows, 1)``, or
        None for unweighted rows."""
        if self.sample_weight is None:
            return None
        return self._ops.xp.reshape(self.sample_weight[start:stop], (-1, 1))

    def _working_parameters(self, theta):
        """``(theta as NumPy float64, theta in X's dtype where X is)``."""
        theta = np.asarray(theta, dtype=np.float64)
        return theta, self._ops.working_parameters(theta, self.X.dtype, self._params)

    def evaluate(self, theta):
        """The :class:`Evaluation` at ``theta`` (also kept as
        ``last_evaluation``)."""
        self.last_evaluation = self._evaluate(theta)
        return self.last_evaluation

    def __call__(self, theta):
        """``(J, grad)`` at ``theta``, as scipy's L-BFGS calls it."""
        evaluation = self.evaluate(theta)
        return evaluation.loss, evaluation.grad

    def close(self):
        """Close the runner (its threads, if it started any)."""
        self._runner.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class OnePassObjective(ChunkedObjective):
    """A kernel with no statistic over all samples (no rho_hat): one pass
    over the chunks gives J and its gradient.

    Subclasses give each workspace ``grad_share`` (flat, the parameters'
    size) and ``loss_share`` (float64, one entry per loss sum), and
    implement ``_chunk_arguments(params)`` (what every chunk needs, from the
    parameters in X's dtype), ``_chunk(work, start, stop, *arguments)`` (one
    chunk's shares, into ``work``) and ``total(theta, grad_sum, loss_sums,
    n_samples) -> Evaluation``.
    """

    _n_loss_sums = 1

    def _evaluate(self, theta):
        theta = np.asarray(theta, dtype=np.float64)
        sums = self.row_sums(theta, Stage.ONE_PASS)
        # The sums where X is (NumPy: already here; a device: one copy down).
        grad_sum, loss_sums = self._ops.to_host(sums.grad, sums.losses)
        return self.total(theta, grad_sum, loss_sums, self.weight_total)

    def row_sums(self, theta, stage, sparsity_deltas=None):
        """This kernel's rows' :class:`RowSums` (``grad`` and ``losses``):
        one pass, so every stage is the one pass."""
        theta, params = self._working_parameters(theta)
        arguments = self._chunk_arguments(params)
        chunks = self._chunks
        grad_sum = self._ops.zeros(theta.size)
        loss_sums = self._ops.zeros(self._n_loss_sums)

        def chunk_task(work, c):
            self._chunk(work, *chunks[c], *arguments)

        self._runner.run(
            len(chunks),
            self._workspaces,
            chunk_task,
            lambda work: (work.grad_share, work.loss_share),
            (grad_sum, loss_sums),
        )
        return RowSums(grad=grad_sum, losses=loss_sums)

    def evaluate_from_sums(self, theta, sums_of, n_samples):
        """The :class:`Evaluation` from the row sums of all the samples,
        ``sums_of(stage, sparsity_deltas)`` (one stage)."""
        theta = np.asarray(theta, dtype=np.float64)
        sums = sums_of(Stage.ONE_PASS, None)
        return self.total(theta, sums.grad, sums.losses, n_samples)


# --- Helpers the kernels share ---------------------------------------------------


def column_sums(M, ones, out=None, ops=None):
    """``M.sum(axis=0)`` as the product ``ones @ M``: one BLAS call, several
    times faster than numpy's axis-0 reduction on C-ordered arrays (``ops``:
    the array operations where M is; None: NumPy)."""
    if ops is None:
        return np.matmul(ones[: M.shape[0]], M, out=out)
    return ops.matmul(ones[: M.shape[0]], M, out=out)


def times_row_weights(delta, weights_column, ops):
    """``delta`` with row i times w_i (in place where ``ops`` can), or itself
    unweighted."""
    if weights_column is None:
        return delta
    return ops.multiply(delta, weights_column, out=delta)
