"""The array operations a kernel needs, for NumPy and for any Array API namespace.

A kernel (:mod:`skl_sparseae._kernel`) is written once, with these
operations, and is handed the set that fits where its rows are:

- :data:`NUMPY_OPS` for NumPy arrays and SciPy sparse matrices (the thread
  executor, and Dask's blocks): every product and elementwise step writes
  into a buffer the kernel allocated once (``out=``), in place, exactly as
  the engine always has, so its speed and its bits do not change.
- :class:`ArrayAPIOps` for arrays of another namespace (PyTorch, CuPy,
  array-api-strict) under scikit-learn's ``array_api_dispatch``: the
  standard has no ``out=``, so each step allocates its result (on X's
  device), and the kernel's buffers are ``None``.

Every call that has an ``out`` argument returns its result, and the kernel
uses what is returned: NumPy returns ``out`` itself.

Host and device: the only copies between them are :meth:`ArrayAPIOps.to_device`
(theta up, once per evaluation) and :meth:`ArrayAPIOps.to_host` (the
evaluation's sums down, in one copy). Both count what they move, in
``transfers``, so that a test can hold the kernel to it.
"""

import numpy as np
import scipy.sparse as sp
from scipy.special import expit


def sigmoid_inplace(Z):
    """Overwrite Z with sigmoid(Z) = 1 / (1 + exp(-Z)); returns Z.

    Four simple passes whose exp numpy vectorises (for float32 on AVX2 too),
    faster than scipy's ``expit`` on both dtypes. exp(-z) overflows to inf
    for z below about -709 (float64) or -88 (float32), and 1 / inf = 0 is
    then the correctly rounded sigmoid, so the overflow warning is silenced.
    """
    np.negative(Z, out=Z)
    with np.errstate(over="ignore"):
        np.exp(Z, out=Z)
    Z += 1.0
    return np.reciprocal(Z, out=Z)


class NumpyOps:
    """NumPy: results into the kernel's buffers (see the module)."""

    xp = np
    device = None
    is_numpy = True

    @staticmethod
    def buffer(shape, dtype):
        """A work buffer (uninitialised), or None where the namespace allocates."""
        return np.empty(shape, dtype=dtype)

    @staticmethod
    def empty(shape, dtype):
        """An array the kernel writes and reads (not a buffer: always made)."""
        return np.empty(shape, dtype=dtype)

    @staticmethod
    def zeros(shape):
        """float64 zeros where the sums are added (totals)."""
        return np.zeros(shape)

    @staticmethod
    def ones(shape, dtype):
        return np.ones(shape, dtype=dtype)

    @staticmethod
    def rows(buffer, n_rows):
        """The first ``n_rows`` rows of a buffer, to write a result into."""
        return buffer[:n_rows]

    @staticmethod
    def part(array, start, stop):
        """``array[start:stop]``, to write a result into."""
        return array[start:stop]

    # NumPy's ufuncs themselves, ``f(a, [b,] out=None)`` as the kernels call
    # them (a ufunc binds to no instance): no wrapper's call in the chunks.
    matmul = np.matmul
    subtract = np.subtract
    multiply = np.multiply
    divide = np.divide
    sqrt = np.sqrt
    exp = np.exp

    @staticmethod
    def sum_float64(a):
        """The sum of a's entries, accumulated in float64, a Python float."""
        return float(np.sum(a, dtype=np.float64))

    @staticmethod
    def times_logistic_slope(delta, A, out):
        """delta * A * (1 - A), in delta: with A = sigmoid(z), A (1 - A) is
        sigmoid'(z). ``out`` takes 1 - A (it may be A, then overwritten)."""
        delta *= A
        delta *= np.subtract(1.0, A, out=out)
        return delta

    @staticmethod
    def sigmoid(Z):
        """sigmoid(Z), in place."""
        return sigmoid_inplace(Z)

    @staticmethod
    def expit(Z):
        """sigmoid(Z), a new array (scipy's expit)."""
        return expit(Z)

    @staticmethod
    def softplus(Z):
        """log(1 + exp(Z)), a new array."""
        return np.logaddexp(0.0, Z)

    @staticmethod
    def astype(array, dtype, copy=False):
        return array.astype(dtype, copy=copy)

    @staticmethod
    def publish(array, like):
        """A float64 NumPy result (a fitted attribute) as a copy in the
        dtype of ``like``, the data, where the data is."""
        return array.astype(like.dtype)

    @staticmethod
    def working_parameters(theta, dtype, buffer):
        """theta (NumPy float64) in the working dtype: itself for float64,
        else cast into ``buffer`` (made once by the kernel)."""
        if buffer is None:
            return theta
        buffer[:] = theta
        return buffer

    @staticmethod
    def put_rows(target, start, stop, values):
        """``target[start:stop] = values``: NumPy wrote them there already."""

    # The methods, not np.max / np.sum: the same reduction, without the
    # function's dispatch (a few microseconds a call, which small chunks see).

    @staticmethod
    def max_per_row(Z):
        """The largest entry of each row of Z."""
        return Z.max(axis=1)

    @staticmethod
    def sum_per_row(Z):
        """The sum of each row of Z, in Z's dtype."""
        return Z.sum(axis=1)

    @staticmethod
    def rows_where(X, mask):
        """The rows of X where the NumPy boolean ``mask`` is True."""
        return X[mask]

    @staticmethod
    def classes_of(classes, indices):
        """``classes[indices]``: labels (``classes`` a NumPy array)."""
        return classes[indices]

    # Class labels (the classifier): positions (row, label) NumPy indexes
    # with; a one-hot matrix on a device, where the standard has no such
    # indexing.

    @staticmethod
    def labels(y):
        """Class indices 0 .. n_classes - 1, as the kernel keeps them."""
        return np.asarray(y, dtype=np.intp)

    @staticmethod
    def label_positions(labels, n_classes, Z):
        return (np.arange(len(labels)), labels)

    @staticmethod
    def at_labels(Z, positions):
        """``z_(i, y_i)`` of each row, float64."""
        return Z[positions].astype(np.float64)

    @staticmethod
    def subtract_one_at_labels(Z, positions):
        """``Z - onehot(y)``, in place."""
        Z[positions] -= 1.0
        return Z

    @staticmethod
    def log_loss_sum(normaliser, z_max, z_true, weights=None):
        """``sum_i log(normaliser_i) + z_max_i - z_true_i`` (each term times
        w_i with sample weights, a column), a Python float."""
        losses = np.log(normaliser, dtype=np.float64) + z_max - z_true
        if weights is None:
            return float(np.sum(losses))
        return float(np.dot(losses, weights[:, 0]))

    @staticmethod
    def loss_share(value, share):
        """A chunk's loss (a Python float) into its 1-entry float64 share."""
        share[0] = value
        return share

    @staticmethod
    def loss_shares(values, share):
        """A chunk's loss sums (Python floats) into its float64 share."""
        share[:] = values
        return share

    @staticmethod
    def half_squared_norm(R):
        """0.5 ||R||^2 (the sum in R's dtype, as BLAS's dot gives it)."""
        return 0.5 * float(np.vdot(R, R))

    @staticmethod
    def weighted_sum(values, weights):
        """sum_i w_i v_i of a chunk's per-sample values and its weights (a
        column), a Python float (the sum in their dtype, BLAS's dot)."""
        return float(np.vdot(values, weights))

    @staticmethod
    def softplus_minus_product_sum(Z, X):
        """sum(softplus(Z) - X * Z), the cross-entropy of a chunk."""
        return float(np.sum(np.logaddexp(0.0, Z), dtype=np.float64)) - float(
            np.vdot(X, Z)
        )

    @staticmethod
    def pack(parts, out):
        """The flat share of ``parts`` (in layout order): NumPy wrote them
        into ``out``'s views already."""
        return out

    @staticmethod
    def to_host(*arrays):
        return arrays


class ArrayAPIOps:
    """An Array API namespace ``xp`` on ``device``: each step allocates.

    ``transfers`` counts the copies between host and device:
    ``{"to_device": n, "to_host": n}``.
    """

    is_numpy = False

    def __init__(self, xp, device):
        self.xp = xp
        self.device = device
        self.transfers = {"to_device": 0, "to_host": 0}
        self._logistic, self._logistic_slope = native_logistic_functions(xp)

    def buffer(self, shape, dtype):
        return None

    def empty(self, shape, dtype):
        return self.xp.empty(shape, dtype=dtype, device=self.device)

    def zeros(self, shape):
        return self.xp.zeros(shape, dtype=self.xp.float64, device=self.device)

    def ones(self, shape, dtype):
        return self.xp.ones(shape, dtype=dtype, device=self.device)

    @staticmethod
    def rows(buffer, n_rows):
        return None

    @staticmethod
    def part(array, start, stop):
        return None

    @staticmethod
    def matmul(a, b, out=None):
        return a @ b

    @staticmethod
    def subtract(a, b, out=None):
        return a - b

    @staticmethod
    def multiply(a, b, out=None):
        return a * b

    @staticmethod
    def divide(a, b, out=None):
        return a / b

    def sqrt(self, a, out=None):
        return self.xp.sqrt(a)

    def sum_float64(self, a):
        return self.xp.sum(a, dtype=self.xp.float64)

    def times_logistic_slope(self, delta, A, out=None):
        """delta * A * (1 - A): the library's one fused step where it has
        one (PyTorch's, a new array), else in delta (three passes)."""
        if self._logistic_slope is not None:
            return self._logistic_slope(delta, A)
        delta *= A
        delta *= 1.0 - A
        return delta

    def sigmoid(self, Z):
        """sigmoid(Z), a new array: the library's own fused function where
        it has one (:func:`native_logistic_functions`), one pass over Z."""
        if self._logistic is not None:
            return self._logistic(Z)
        return standard_logistic(self.xp, Z)

    def expit(self, Z):
        return self.sigmoid(Z)

    def softplus(self, Z):
        return self.xp.logaddexp(self.xp.zeros_like(Z), Z)

    def astype(self, array, dtype, copy=False):
        return self.xp.astype(array, dtype, copy=copy)

    def publish(self, array, like):
        return self.xp.asarray(array, dtype=like.dtype, device=self.device)

    def working_parameters(self, theta, dtype, buffer):
        """theta up to the device (the one copy up of an evaluation), in
        the working dtype."""
        return self.astype(self.to_device(theta), dtype)

    @staticmethod
    def put_rows(target, start, stop, values):
        target[start:stop, ...] = values

    def exp(self, Z, out=None):
        return self.xp.exp(Z)

    def max_per_row(self, Z):
        return self.xp.max(Z, axis=1)

    def sum_per_row(self, Z):
        return self.xp.sum(Z, axis=1)

    def rows_where(self, X, mask):
        # The kept rows' indices go up (not the mask: array-api-strict takes
        # a boolean index only as the whole key, and X may be 2-D or 1-D).
        indices = self.xp.asarray(np.flatnonzero(mask), device=self.device)
        return self.xp.take(X, indices, axis=0)

    def classes_of(self, classes, indices):
        """Numeric labels taken on the device, where the indices are; string
        labels cannot live on a device: taken on the host, a NumPy array."""
        if classes.dtype.kind in "biuf":
            on_device = self.xp.asarray(classes, device=self.device)
            return self.xp.take(on_device, indices, axis=0)
        return classes[to_numpy(indices)]

    def labels(self, y):
        return y

    def label_positions(self, labels, n_classes, Z):
        xp = self.xp
        classes = xp.arange(n_classes, device=self.device)
        return xp.astype(labels[:, None] == classes[None, :], Z.dtype)

    def at_labels(self, Z, positions):
        # Here the positions are a one-hot matrix (label_positions).
        return self.xp.sum(Z * positions, axis=1, dtype=self.xp.float64)

    @staticmethod
    def subtract_one_at_labels(Z, positions):
        return Z - positions

    def log_loss_sum(self, normaliser, z_max, z_true, weights=None):
        xp = self.xp
        float64 = xp.float64
        losses = (
            xp.log(xp.astype(normaliser, float64)) + xp.astype(z_max, float64) - z_true
        )
        if weights is None:
            return xp.sum(losses)
        return xp.sum(losses * xp.astype(weights[:, 0], float64))

    def loss_share(self, value, share):
        """A chunk's loss (a 0-d float64 array on the device) as its 1-entry
        share: it stays on the device."""
        return self.xp.reshape(value, (1,))

    def loss_shares(self, values, share):
        return self.xp.stack(values)

    def dot(self, A, B):
        """sum(A * B), a 0-d float64 array: the product of the flattened
        arrays (a 1-D matmul is the inner product, one pass, BLAS's dot on
        the device), in their dtype as NumPy's vdot gives it."""
        xp = self.xp
        product = xp.matmul(xp.reshape(A, (-1,)), xp.reshape(B, (-1,)))
        return xp.astype(product, xp.float64)

    def half_squared_norm(self, R):
        return 0.5 * self.dot(R, R)

    def weighted_sum(self, values, weights):
        return self.dot(values, weights)

    def softplus_minus_product_sum(self, Z, X):
        xp = self.xp
        return xp.sum(self.softplus(Z), dtype=xp.float64) - self.dot(X, Z)

    def pack(self, parts, out):
        xp = self.xp
        return xp.concat([xp.reshape(part, (-1,)) for part in parts])

    def to_device(self, theta):
        """theta (NumPy float64) on the device: one copy up."""
        self.transfers["to_device"] += 1
        return self.xp.asarray(np.asarray(theta, dtype=np.float64), device=self.device)

    def to_host(self, *arrays):
        """float64 device arrays as NumPy arrays, brought down in one copy."""
        xp = self.xp
        self.transfers["to_host"] += 1
        sizes = [int(np.prod(array.shape)) for array in arrays]
        flat = xp.concat([xp.reshape(array, (-1,)) for array in arrays])
        host = to_numpy(flat)
        parts, start = [], 0
        for array, size in zip(arrays, sizes, strict=True):
            parts.append(host[start : start + size].reshape(array.shape))
            start += size
        return tuple(parts)


NUMPY_OPS = NumpyOps()


def standard_logistic(xp, Z):
    """sigmoid(Z) in the standard's functions alone, for any namespace
    (nine passes over Z, each allocating)."""
    # 1 / (1 + exp(-z)) for z >= 0 and exp(z) / (1 + exp(z)) below: exp of
    # -|z| never overflows, so no namespace warns or makes an inf.
    e = xp.exp(-xp.abs(Z))
    return xp.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def native_logistic_functions(xp):
    """``(sigmoid, times_logistic_slope)``: the fused functions of the
    library behind ``xp``, each None where it has none.

    - ``sigmoid(Z)``: ``torch.special.expit`` for PyTorch and, for CuPy,
      ``scipy.special.expit``, which under ``SCIPY_ARRAY_API=1`` hands CuPy
      arrays to ``cupyx.scipy.special.expit`` (as it hands PyTorch's to
      ``torch.special.expit``). One pass over the array where the standard's
      functions take nine (:func:`standard_logistic`, used elsewhere). Both
      compute 1 / (1 + exp(-z)), which is the correctly rounded 0 where
      exp(-z) is inf, and neither warns.
    - ``times_logistic_slope(delta, A)`` = delta * A * (1 - A): PyTorch's
      ``aten.sigmoid_backward`` (what its autograd runs), one pass where the
      standard's operators take three. CuPy has none.

    On a GPU, elementwise work is bound by memory bandwidth, and the output
    layer's (rows, n_features) arrays are the largest an evaluation makes:
    at (10**6, 784, 196) these two functions cut the bytes an SAE
    evaluation moves besides its matrix products from 289 GB to 80
    (``benchmarks/device_traffic.py``).
    """
    from ._sklearn_private import is_cupy_namespace, is_torch_namespace

    if is_torch_namespace is None:
        # scikit-learn vendors no array-api-compat before 1.7 (whose array
        # API path this package does not take): the standard's functions.
        return None, None
    if is_torch_namespace(xp):
        import torch

        return torch.special.expit, torch.ops.aten.sigmoid_backward
    if is_cupy_namespace(xp):
        # scipy.special.expit hands CuPy arrays to cupyx.scipy.special.expit
        # (CuPy refuses a silent copy to the host, were it ever not to).
        return expit, None
    return None, None


def _is_host_array(array):
    return isinstance(array, np.ndarray) or sp.issparse(array)


def ops_for(*arrays):
    """The operations for arrays of one kind: :data:`NUMPY_OPS` for NumPy
    and SciPy sparse (and for anything while scikit-learn's
    ``array_api_dispatch`` is off), else :class:`ArrayAPIOps` of their
    namespace and device, as scikit-learn finds them."""
    if all(_is_host_array(array) for array in arrays):
        return NUMPY_OPS
    from ._sklearn_private import _is_numpy_namespace, get_namespace_and_device

    xp, _, device = get_namespace_and_device(*arrays)
    if _is_numpy_namespace(xp):
        return NUMPY_OPS
    return ArrayAPIOps(xp, device)


def to_numpy(array):
    """A device array as a NumPy array on the host (scikit-learn's converter)."""
    from ._sklearn_private import move_to

    return move_to(array, xp=np, device="cpu")


def dtype_name(dtype):
    """``"float32"`` or ``"float64"``, of a NumPy or another namespace's dtype."""
    if isinstance(dtype, np.dtype) or isinstance(dtype, type):
        return np.dtype(dtype).name
    return str(dtype).rsplit(".", 1)[-1]


def as_host(arrays):
    """A list of arrays as NumPy arrays (device arrays copied to the host)."""
    return [array if _is_host_array(array) else to_numpy(array) for array in arrays]
