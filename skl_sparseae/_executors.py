"""The one dispatch point: which executor runs an estimator on X.

:func:`executor_for` looks at X once and returns the executor of its kind:

- :data:`IN_MEMORY`: NumPy arrays, SciPy sparse matrices and anything else
  scikit-learn's ``validate_data`` takes (lists, pandas DataFrames). The rows
  are in this process; the objectives run their chunks on this machine's
  threads (a :class:`~skl_sparseae._runners.ThreadRunner` of
  :func:`~skl_sparseae._runners.default_n_threads` threads).
- :data:`DASK`: Dask collections. The rows stay on the workers of the active
  ``distributed.Client`` (or Dask's local scheduler); each evaluation is a
  map-reduce over the blocks (:mod:`skl_sparseae._dask`), and transforms are
  lazy.
- :class:`ArrayAPIExecutor`: arrays of another Array API namespace (PyTorch,
  CuPy, array-api-strict) while scikit-learn's ``array_api_dispatch`` is on.
  The rows stay on X's device; the kernels compute there with
  :class:`~skl_sparseae._array_ops.ArrayAPIOps`, one chunk after another,
  and only theta goes up and the sums come down, once each per evaluation.
  The fitted arrays and every method's output follow X. NumPy input with
  dispatch on is :data:`IN_MEMORY`'s, as it is with dispatch off.

The estimators' shells never ask what X is again: each public call asks
``executor_for(X)`` once and hands the executor (and its array operations,
``executor.ops``) down; ``tests/test_dispatch.py`` counts it for every
estimator, method and path. ``is_dask_collection`` appears here
and in :mod:`skl_sparseae._dask` only. Each executor owns, for its kind of
input, the methods of the :class:`~skl_sparseae._kernel.Executor` Protocol
(where their contract is written, and ``tests/test_contracts.py`` holds
every executor to it):

``training_data(estimator, X, *, accept_sparse)``
    X checked for a fit, and its ``(min, max)`` where the check found it.
``training_data_and_targets(estimator, X, y, *, accept_sparse)``
    ... and ``y`` as a NumPy array, one value per sample.
``fitted_input(estimator, X, *, accept_sparse, method)``
    X checked against a fitted estimator.
``codes(X, estimator)``
    Codes for ``inverse_transform``, checked.
``objective(factory, X, *targets, sample_weight=None, **options)``
    J and its gradient over all of X's rows (an
    :class:`~skl_sparseae._kernel.Objective`), the kernel run where the
    rows are, the weights sent where X is.
``map_rows(X, function, n_columns, dtype=None)``
    ``function(rows, ops)`` of checked rows, as X's kind (lazy on Dask).
``mean(values, check, X, *, compute=True)``
    The mean of per-row values, checked.
``weighted_mean(values, weights, check, X, *, compute=True)``
    ... weighted.
``in_memory``, ``ops``
    Whether X's rows are in this process; their array operations.

A new executor is a class with these methods and one more line in
:func:`executor_for`.
"""

from functools import partial

import numpy as np
import scipy.sparse as sp
from sklearn import __version__ as sklearn_version
from sklearn import get_config
from sklearn.utils.validation import check_array, column_or_1d, validate_data

from . import _sklearn_private as private
from ._array_ops import NUMPY_OPS, ArrayAPIOps, dtype_name, ops_for, to_numpy
from ._dask import (
    DaskObjective,
    check_dask_array,
    check_dask_codes,
    is_dask_collection,
    map_rows,
    persist_if_it_fits,
    prepare_training_array,
)
from ._runners import ArrayAPIRunner, ThreadRunner, default_n_threads
from ._validation import FLOAT_DTYPES, value_range


class InMemoryExecutor:
    """NumPy arrays and SciPy sparse matrices: chunks on this machine's threads."""

    in_memory = True
    ops = NUMPY_OPS

    def training_data(self, estimator, X, *, accept_sparse):
        X = validate_data(
            estimator, X, accept_sparse=accept_sparse, dtype=FLOAT_DTYPES, order="C"
        )
        if sp.issparse(X) and not X.has_canonical_format:
            # Entries stored in several parts: add them up once, so that
            # every check and product sees the values of X.toarray().
            X = X.copy()
            X.sum_duplicates()
        return X, None

    def training_data_and_targets(self, estimator, X, y, *, accept_sparse):
        return validate_data(
            estimator, X, y, accept_sparse=accept_sparse, dtype=FLOAT_DTYPES, order="C"
        )

    def fitted_input(self, estimator, X, *, accept_sparse, method):
        check_same_namespace(estimator, X, method)
        return validate_data(
            estimator, X, accept_sparse=accept_sparse, dtype=FLOAT_DTYPES, reset=False
        )

    def codes(self, X, estimator):
        check_same_namespace(estimator, X, "inverse_transform")
        return check_array(X, dtype=FLOAT_DTYPES)

    def objective(self, factory, X, *targets, sample_weight=None, **options):
        runner = ThreadRunner(default_n_threads())
        return factory(
            X, *targets, runner=runner, **_weights(sample_weight, X.dtype), **options
        )

    def map_rows(self, X, function, n_columns, dtype=None):
        return function(X, self.ops)

    def mean(self, values, check, X, *, compute=True):
        return check(float(np.mean(values)), lambda: value_range(X, self.ops))

    def weighted_mean(self, values, weights, check, X, *, compute=True):
        return check(
            float(np.average(values, weights=weights)),
            lambda: value_range(X, self.ops),
        )


class DaskExecutor:
    """Dask collections: the same kernels on the blocks, where they are."""

    in_memory = False
    # The operations of the blocks, NumPy arrays on the workers.
    ops = NUMPY_OPS

    def training_data(self, estimator, X, *, accept_sparse):
        return prepare_training_array(X, estimator)

    def training_data_and_targets(self, estimator, X, y, *, accept_sparse):
        """A Dask X stays on its workers; its labels (one value per sample,
        small) are gathered here."""
        _check_targets_given(estimator, y)
        X, _ = prepare_training_array(X, estimator)
        if is_dask_collection(y):
            y = y.compute()
        return X, _one_label_per_sample(X, y)

    def fitted_input(self, estimator, X, *, accept_sparse, method):
        return check_dask_array(X, estimator, reset=False)

    def codes(self, X, estimator):
        return check_dask_codes(X)

    def objective(self, factory, X, *targets, sample_weight=None, **options):
        """Each block builds the objective on its rows, one thread each;
        per-sample targets (and sample weights) go to the workers once, in
        X's row chunks."""
        import dask.array as da

        factory = partial(factory, **options)
        weight_total = None
        if sample_weight is not None:
            weights = _weights(sample_weight, X.dtype)
            weight_total = weights["weight_sum"]
            targets = (*targets, weights["sample_weight"])
            factory = partial(_with_sample_weight, factory)
        if targets:
            X = persist_if_it_fits(X)
            targets = [
                persist_if_it_fits(da.from_array(target, chunks=(X.chunks[0],)))
                for target in targets
            ]
        return DaskObjective(factory, X, *targets, weight_total=weight_total)

    def map_rows(self, X, function, n_columns, dtype=None):
        # The blocks of a new array are seen first by the workers: each is
        # checked there.
        return map_rows(X, partial(_on_checked_rows, function), n_columns, dtype)

    def mean(self, values, check, X, *, compute=True):
        # Each block's values on its worker; only the mean comes back.
        lazy = values.mean().map_blocks(partial(check, range_of=None), dtype=np.float64)
        return float(lazy.compute()) if compute else lazy

    def weighted_mean(self, values, weights, check, X, *, compute=True):
        import dask.array as da

        # The weights go to the workers in the values' chunks.
        weighted = values * da.from_array(weights, chunks=values.chunks)
        lazy = (weighted.sum() / float(np.sum(weights))).map_blocks(
            partial(check, range_of=None), dtype=np.float64
        )
        return float(lazy.compute()) if compute else lazy


def _weights(sample_weight, dtype):
    """The kernel's sample-weight options for checked weights (float64
    NumPy, one per row of X, or None): in X's dtype, and their sum as the
    kernel will add them (float64); none where there are none."""
    if sample_weight is None:
        return {}
    weights = np.asarray(sample_weight).astype(dtype)
    return {
        "sample_weight": weights,
        "weight_sum": float(np.sum(weights, dtype=np.float64)),
    }


def _numpy_dtype(dtype):
    """NumPy's dtype of the same name as ``dtype`` (of any namespace)."""
    return np.dtype(dtype_name(dtype))


def _with_sample_weight(factory, X, *targets_and_weights, runner):
    """``factory`` on a block's rows, its sample weights (the last of the
    block's per-sample arrays) passed as such."""
    *targets, sample_weight = targets_and_weights
    return factory(X, *targets, runner=runner, sample_weight=sample_weight)


def _check_targets_given(estimator, y):
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the "
            "target y is None."
        )


def _one_label_per_sample(X, y):
    """y (gathered here) as a 1-d NumPy array with one label per row of X."""
    y = column_or_1d(y, warn=True)
    if len(y) != X.shape[0]:
        raise ValueError(
            f"X has {X.shape[0]} samples but y has {len(y)} labels: give one "
            "label per sample."
        )
    return y


def _on_checked_rows(function, block):
    """``function`` of one NumPy block of a Dask array, checked first, with
    the operations of NumPy arrays."""
    return function(check_array(block, dtype=FLOAT_DTYPES), NUMPY_OPS)


class ArrayAPIExecutor:
    """Arrays of another Array API namespace, under ``array_api_dispatch``:
    the kernels on X's device (see the module).

    Parameters
    ----------
    xp : namespace
        X's namespace, as scikit-learn's ``get_namespace`` gives it.
    device : device
        X's device.
    """

    in_memory = True

    def __init__(self, xp, device, ops=None):
        self.xp = xp
        self.device = device
        # The array operations of X's namespace and device, made once and
        # handed to everything this call runs.
        self.ops = ArrayAPIOps(xp, device) if ops is None else ops

    def _float_dtypes(self):
        return (self.xp.float64, self.xp.float32)

    def _check_supported(self, estimator):
        if not estimator.__sklearn_tags__().array_api_support:
            why = getattr(
                estimator,
                "_no_array_api_because",
                "its kernel is not yet written for the Array API",
            )
            raise TypeError(
                f"{type(estimator).__name__} does not compute on "
                f"{self.xp.__name__} arrays: it has no array API support yet, "
                f"because {why} (docs: GPUs). Fit it on NumPy arrays: "
                "X.cpu().numpy() for a PyTorch tensor, X.get() for a CuPy "
                "array, or outside config_context(array_api_dispatch=True)."
            )
        if self.xp.float64 not in private.supported_float_dtypes(self.xp, self.device):
            raise TypeError(
                f"{type(estimator).__name__} needs float64 on X's device "
                f"({self.device}) for its sums over the samples, and this "
                "device has none (Apple's MPS has no float64). Fit on the CPU "
                "(X.cpu()) or on a device with float64 (CUDA)."
            )

    def training_data(self, estimator, X, *, accept_sparse):
        self._check_supported(estimator)
        X = validate_data(estimator, X, dtype=self._float_dtypes())
        # X's range, computed on its device: two numbers come down.
        return X, value_range(X, self.ops)

    def training_data_and_targets(self, estimator, X, y, *, accept_sparse):
        """X on its device; its labels (one per sample) as a NumPy array,
        where the estimator encodes them: the class indices go to X's
        device with the objective."""
        self._check_supported(estimator)
        _check_targets_given(estimator, y)
        X = validate_data(estimator, X, dtype=self._float_dtypes())
        if not isinstance(y, np.ndarray):
            xp_y, _ = private.get_namespace(y)
            if not private._is_numpy_namespace(xp_y):
                y = to_numpy(y)
        return X, _one_label_per_sample(X, y)

    def fitted_input(self, estimator, X, *, accept_sparse, method):
        check_same_namespace(estimator, X, method)
        return validate_data(estimator, X, dtype=self._float_dtypes(), reset=False)

    def codes(self, X, estimator):
        check_same_namespace(estimator, X, "inverse_transform")
        return check_array(X, dtype=self._float_dtypes())

    def objective(self, factory, X, *targets, sample_weight=None, **options):
        """The kernel on X's device; per-sample targets (class indices) and
        sample weights (in X's dtype, their sum kept on the host) go to the
        device once."""
        runner = ArrayAPIRunner(self.ops)
        targets = [
            self.xp.asarray(np.asarray(target, dtype=np.int64), device=self.device)
            for target in targets
        ]
        weights = _weights(sample_weight, np.float64)
        if weights:
            weights["sample_weight"] = self.xp.asarray(
                weights["sample_weight"], dtype=X.dtype, device=self.device
            )
            # Their sum as the device adds them, in X's dtype: from the host
            # copy cast the same way, so that nothing comes back down.
            weights["weight_sum"] = float(
                np.sum(
                    np.asarray(sample_weight).astype(_numpy_dtype(X.dtype)),
                    dtype=np.float64,
                )
            )
        return factory(X, *targets, runner=runner, **weights, **options)

    def map_rows(self, X, function, n_columns, dtype=None):
        return function(X, self.ops)

    def mean(self, values, check, X, *, compute=True):
        return check(float(self.xp.mean(values)), lambda: value_range(X, self.ops))

    def weighted_mean(self, values, weights, check, X, *, compute=True):
        xp = self.xp
        on_device = xp.asarray(weights, dtype=values.dtype, device=self.device)
        mean = float(xp.sum(values * on_device)) / float(np.sum(weights))
        return check(mean, lambda: value_range(X, self.ops))


IN_MEMORY = InMemoryExecutor()
DASK = DaskExecutor()


def executor_for(X):
    """The executor of X's kind (see the module): the one place that asks."""
    if is_dask_collection(X):
        return DASK
    if get_config().get("array_api_dispatch", False):
        # The namespace and device as the kernels will see them (NumPy and
        # SciPy sparse: NUMPY_OPS, at once).
        ops = ops_for(X)
        if not ops.is_numpy:
            if private.move_estimator_to is None:
                raise ImportError(
                    f"Fitting {ops.xp.__name__} arrays needs scikit-learn 1.9 "
                    f"or newer (found {sklearn_version}): pip install "
                    "'skl_sparseae[array-api]'."
                )
            return ArrayAPIExecutor(ops.xp, ops.device, ops)
    return IN_MEMORY


def check_same_namespace(estimator, X, method):
    """Under ``array_api_dispatch``, X given to ``method`` must be where the
    fitted ``estimator``'s arrays are: scikit-learn's check and message,
    which say how to move the estimator. An estimator names the array that
    shows where its arrays are in ``_namespace_attribute``."""
    if not get_config().get("array_api_dispatch", False):
        return
    attribute = getattr(estimator, "_namespace_attribute", None)
    if attribute is not None:
        private.check_same_namespace(X, estimator, attribute=attribute, method=method)
