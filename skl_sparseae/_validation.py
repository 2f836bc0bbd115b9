"""Checks and names the estimators share: parameter constraints, data ranges,
the label that identifies an estimator in progress lines, the docs link.

Every estimator states its parameter rules in one place, checked in one
call (:class:`ParameterRulesMixin`): scikit-learn's
``_parameter_constraints`` for each value alone, built from the constraints
below, and ``_check_parameter_rules()`` for the rules that tie parameters
together (``cross_entropy`` needs the logistic decoder; one ``rho`` per
encoder layer). The public functions that take the autoencoder's options
as plain arguments check them against the same constraints
(:func:`check_objective_options`).
"""

from inspect import signature
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp

from ._sklearn_private import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)

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


def TargetActivation():
    """Constraint: ``rho``, a float in (0, 1)."""
    return Interval(Real, 0, 1, closed="neither")


def FiniteNonNegative():
    """Constraint: a float in [0, inf), finite (``beta``, ``alpha``)."""
    return Interval(Real, 0, np.inf, closed="left")


def _is_real(value):
    return isinstance(value, Real | np.floating | np.integer) and not isinstance(
        value, bool | np.bool_
    )


def _is_positive_int(value):
    return (
        isinstance(value, Integral | np.integer)
        and not isinstance(value, bool | np.bool_)
        and value >= 1
    )


def _as_values(value):
    """A non-string sequence as a tuple, else None."""
    if isinstance(value, str | bytes):
        return None
    try:
        return tuple(value)
    except TypeError:
        return None


class PerLayer(Interval):
    """Constraint: one float in the interval for every encoder layer, or a
    non-empty sequence of them, one per layer (the number of layers is
    checked with ``hidden_layer_sizes``, in ``_check_parameter_rules``).

    An ``Interval`` (scikit-learn knows only its own kinds of constraint,
    and makes invalid values for its checks from the bounds) whose values
    may come one per layer.
    """

    def __init__(self, left, right, *, closed):
        super().__init__(Real, left, right, closed=closed)

    def is_satisfied_by(self, val):
        values = (val,) if _is_real(val) else _as_values(val)
        return bool(values) and all(
            _is_real(item) and Interval.is_satisfied_by(self, item) for item in values
        )

    def __str__(self):
        return f"{super().__str__()}, or a sequence of such floats, one per layer"


class LayerSizes(StrictIntInterval):
    """Constraint: the encoder's layer widths, an int >= 1 (one layer) or a
    non-empty sequence of them (an ``Interval`` of ints >= 1, as
    :class:`PerLayer` is)."""

    def __init__(self):
        super().__init__(1, None, closed="left")

    def is_satisfied_by(self, val):
        values = (val,) if isinstance(val, Integral | np.integer) else _as_values(val)
        return bool(values) and all(_is_positive_int(item) for item in values)

    def __str__(self):
        return (
            "a positive int, or a non-empty sequence of positive ints (at least "
            "one layer)"
        )


# The options of the autoencoder's objective J, each value alone: the
# estimators' _parameter_constraints are built from these, and the public
# functions that take the options as arguments check them against them.
OBJECTIVE_CONSTRAINTS = {
    "n_components": [PositiveInt()],
    "rho": [TargetActivation()],
    "beta": [FiniteNonNegative()],
    "alpha": [FiniteNonNegative()],
    "loss": [StrOptions(set(LOSSES))],
    "decoder_activation": [StrOptions(set(DECODER_ACTIVATIONS))],
    "tied_weights": ["boolean"],
}


def check_loss_and_decoder(loss, decoder_activation):
    """The rule that ties ``loss`` to ``decoder_activation``: cross-entropy
    is defined for outputs in (0, 1), the logistic decoder's."""
    if loss == "cross_entropy" and decoder_activation != "logistic":
        raise ValueError(
            "loss='cross_entropy' needs decoder_activation='logistic'; got "
            f"decoder_activation={decoder_activation!r}. Use "
            "loss='squared_error' with the identity (linear) decoder."
        )


def layer_options(hidden_layer_sizes, rho, beta):
    """``(sizes, rho, beta)`` as tuples, one rho and beta per encoder layer,
    from values that satisfy :class:`LayerSizes` and :class:`PerLayer`; a
    clear error where rho or beta gives a value per layer for another
    number of layers."""
    if isinstance(hidden_layer_sizes, Integral | np.integer):
        sizes = (int(hidden_layer_sizes),)
    else:
        sizes = tuple(int(size) for size in _as_values(hidden_layer_sizes))
    per_layer = []
    for name, value in [("rho", rho), ("beta", beta)]:
        values = (value,) * len(sizes) if _is_real(value) else _as_values(value)
        if len(values) != len(sizes):
            raise ValueError(
                f"{name} has {len(values)} values but the encoder has "
                f"{len(sizes)} layers: give one {name} or one per layer; got "
                f"{value!r}."
            )
        per_layer.append(tuple(float(item) for item in values))
    return sizes, *per_layer


class ParameterRulesMixin:
    """Every parameter rule of an estimator, checked in one call.

    :meth:`_check_parameters` checks ``_parameter_constraints``, each value
    alone (scikit-learn's ``validate_parameter_constraints``), then
    ``_check_parameter_rules()``, what ties parameters together. A subclass
    states the latter there and nowhere else.
    """

    def _validate_params(self):
        # scikit-learn's private hook, which its _fit_context runs before
        # fit (see _sklearn_private): every rule, not only the constraints.
        self._check_parameters()

    def _check_parameters(self):
        """Check every parameter: its constraint, then the rules between
        them (ValueError or TypeError, naming the parameter)."""
        validate_parameter_constraints(
            self._parameter_constraints,
            self.get_params(deep=False),
            caller_name=self.__class__.__name__,
        )
        self._check_parameter_rules()

    def _check_parameter_rules(self):
        """Rules between parameters: none unless a subclass has some."""

    def __setstate__(self, state):
        """Load a saved model; one saved before a parameter existed (e.g.
        ``warm_start``) gets that parameter's default, so that it fits,
        prints and clones as a new one would."""
        super().__setstate__(state)
        for name, parameter in signature(type(self).__init__).parameters.items():
            if name != "self" and parameter.default is not parameter.empty:
                if name not in vars(self):
                    setattr(self, name, parameter.default)


def value_range(X, ops):
    """``(min, max)`` of the values of X, implicit zeros of sparse X included
    (``ops``: the array operations where X is, which the caller's executor
    has).

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
    if not ops.is_numpy:
        # An array of another Array API namespace (on its device).
        if X.shape[0] * X.shape[1] == 0:
            return None
        return float(ops.xp.min(X)), float(ops.xp.max(X))
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


def check_objective_options(caller_name, **options):
    """Raise a clear error for options the objective J is not defined for:
    the estimators' own constraints (:data:`OBJECTIVE_CONSTRAINTS`) and the
    loss / decoder rule, for the public functions that take the options as
    plain arguments (``loss_grad_reference``)."""
    validate_parameter_constraints(
        OBJECTIVE_CONSTRAINTS, options, caller_name=caller_name
    )
    check_loss_and_decoder(options["loss"], options["decoder_activation"])


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


def check_sample_weight(sample_weight, n_samples):
    """``sample_weight`` as a float64 NumPy array of ``n_samples`` weights,
    or None where it is None or every weight is the same (the weighted
    objective is then the unweighted one, which is computed instead, to the
    bit). A Dask array, or an array of another namespace, is gathered here:
    one number per sample. Raises a clear error for weights of the wrong
    shape, not finite, negative, or all zero."""
    if sample_weight is None:
        return None
    if hasattr(sample_weight, "compute"):  # a Dask collection
        sample_weight = sample_weight.compute()
    try:
        weights = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError, RuntimeError) as error:
        weights = _device_weights_on_host(sample_weight, error)
    if weights.ndim == 0:
        weights = np.full(n_samples, float(weights))
    if weights.ndim != 1 or weights.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight.shape == {weights.shape}, expected ({n_samples},): "
            "give one weight per sample of X."
        )
    if not np.all(np.isfinite(weights)):
        raise ValueError("sample_weight contains NaN or infinity: give finite weights.")
    if np.any(weights < 0):
        raise ValueError(
            f"sample_weight has negative values (the least is {weights.min()!r}): "
            "weights are how much each sample counts, 0 or more."
        )
    if not np.any(weights > 0):
        raise ValueError(
            "Sample weights must contain at least one non-zero number: every "
            "sample_weight is zero, so no sample counts."
        )
    return uniform_as_none(weights)


def uniform_as_none(weights):
    """None for weights (or None) that are all the same: they give the
    unweighted J, which is computed instead, to the bit; else the weights."""
    if weights is None or np.all(weights == weights[0]):
        return None
    return weights


def _device_weights_on_host(sample_weight, error):
    """Weights that NumPy cannot read in place: an array of another Array
    API namespace on a device (CuPy, PyTorch's CUDA tensors; one copy to
    the host, n numbers), else not numbers (a clear error)."""
    if hasattr(sample_weight, "__array_namespace__") or hasattr(
        sample_weight, "device"
    ):
        from ._array_ops import as_host

        (on_host,) = as_host([sample_weight])
        return np.asarray(on_host, dtype=np.float64)
    raise ValueError(
        "sample_weight must be numbers, one per sample; got "
        f"{type(sample_weight).__name__} that is not: {error}"
    ) from error
