"""Checks and names the estimators share: parameter constraints, data ranges,
the label that identifies an estimator in progress lines, the docs link."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp

from ._sklearn_private import Interval

# Where the API reference lives: the HTML repr's "?" link points at an
# estimator's page there (scikit-learn's _doc_link_module / _doc_link_template).
DOCS_URL = "https://skl-sparseae.readthedocs.io/en/latest/"
DOC_LINK_MODULE = "skl_sparseae"
DOC_LINK_TEMPLATE = DOCS_URL + "generated/{estimator_module}.{estimator_name}.html"

# The dtypes the estimators compute in: other input becomes float64.
FLOAT_DTYPES = (np.float64, np.float32)

# The reconstruction losses and decoder output functions the objectives
# define (the estimators' ``loss`` and ``decoder_activation``).
LOSSES = ("squared_error", "cross_entropy")
DECODER_ACTIVATIONS = ("logistic", "identity")


class StrictIntInterval(Interval):
    """An ``Interval(Integral, ...)`` that rejects booleans.

    ``True`` is an ``Integral`` in Python, so scikit-learn's interval accepts
    ``n_components=True`` as 1; here it is an error, as a user who writes it
    almost certainly meant something else.
    """

    def __init__(self, left, right, *, closed):
        super().__init__(Integral, left, right, closed=closed)

    def is_satisfied_by(self, val):
        if isinstance(val, bool | np.bool_):
            return False
        return super().is_satisfied_by(val)


def PositiveInt():
    """Constraint: an int >= 1 that is not a bool."""
    return StrictIntInterval(1, None, closed="left")


def value_range(X):
    """``(min, max)`` of the values of X, implicit zeros of sparse X included.

    Sparse X is summed over duplicate entries first (a CSR matrix may store
    an entry as several parts that add up), so the range is the one of
    ``X.toarray()``. Returns None for an empty X.
    """
    if sp.issparse(X):
        if not X.has_canonical_format:
            X = X.copy()
            X.sum_duplicates()
        values = X.data
        if values.size == 0:
            return (0.0, 0.0) if X.shape[0] * X.shape[1] else None
        low, high = float(values.min()), float(values.max())
        if X.nnz < X.shape[0] * X.shape[1]:
            low, high = min(low, 0.0), max(high, 0.0)
        return low, high
    if X.size == 0:
        return None
    return float(X.min()), float(X.max())


def estimator_label(estimator):
    """``ClassName(param=value, ...)`` with the parameters set away from their
    defaults: tells apart the progress lines of a grid search's fits."""
    defaults = type(estimator)().get_params(deep=False)
    changed = [
        f"{name}={value!r}"
        for name, value in estimator.get_params(deep=False).items()
        if name != "verbose" and not _same(value, defaults.get(name))
    ]
    return f"{type(estimator).__name__}({', '.join(changed)})"


def _same(a, b):
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays and other odd parameter values
        return a is b


def check_objective_options(
    *, n_components, rho, beta, alpha, loss, decoder_activation, tied_weights
):
    """Raise a clear error for options the objective J is not defined for.

    The estimators validate their parameters with scikit-learn's
    constraints; this serves the public functions that take the same
    options as plain arguments (``loss_grad_reference`` and friends).
    """
    if isinstance(n_components, bool | np.bool_) or not isinstance(
        n_components, Integral | np.integer
    ):
        raise TypeError(f"n_components must be an int; got {n_components!r}.")
    if n_components < 1:
        raise ValueError(f"n_components must be at least 1; got {n_components}.")
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}; got {loss!r}.")
    if decoder_activation not in DECODER_ACTIVATIONS:
        raise ValueError(
            f"decoder_activation must be one of {DECODER_ACTIVATIONS}; "
            f"got {decoder_activation!r}."
        )
    if loss == "cross_entropy" and decoder_activation != "logistic":
        raise ValueError(
            "loss='cross_entropy' needs decoder_activation='logistic'; got "
            f"{decoder_activation!r}."
        )
    if not isinstance(tied_weights, bool | np.bool_):
        raise TypeError(f"tied_weights must be a bool; got {tied_weights!r}.")
    for name, value, low, high in [
        ("rho", rho, 0.0, 1.0),
        ("beta", beta, 0.0, np.inf),
        ("alpha", alpha, 0.0, np.inf),
    ]:
        if isinstance(value, bool | np.bool_) or not isinstance(
            value, Real | np.floating | np.integer
        ):
            raise TypeError(f"{name} must be a real number; got {value!r}.")
        open_low = name == "rho"
        if not (
            np.isfinite(value)
            and (value > low if open_low else value >= low)
            and value < high
        ):
            interval = "(0, 1)" if name == "rho" else "[0, inf)"
            raise ValueError(f"{name} must be finite and in {interval}; got {value!r}.")


def check_flat_parameters(theta, size, description, name="theta"):
    """``theta`` as a finite float64 vector of ``size`` values, or a clear error
    that calls it ``name``."""
    theta = np.asarray(theta, dtype=np.float64)
    if theta.shape != (size,):
        raise ValueError(
            f"{name} must be a flat vector of {size} values for {description}; "
            f"got shape {theta.shape}."
        )
    if not np.all(np.isfinite(theta)):
        raise ValueError(f"{name} holds NaN or infinite values.")
    return theta


def check_epsilon(epsilon):
    """A finite, positive finite-difference step, or a clear error."""
    if (
        isinstance(epsilon, bool | np.bool_)
        or not isinstance(epsilon, Real | np.floating)
        or not np.isfinite(epsilon)
        or epsilon <= 0
    ):
        raise ValueError(f"epsilon must be a finite number > 0; got {epsilon!r}.")
    return float(epsilon)
