"""The private scikit-learn helpers this package uses, imported in one place.

They are not part of scikit-learn's public API. pyproject.toml pins the minimum
scikit-learn version these imports were written against (1.6); if a future
release moves one of them, this is the only file to change.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)


def array_api():
    """scikit-learn's array API helpers (``sklearn.utils._array_api``):
    ``get_namespace_and_device``, ``move_to``, ``check_same_namespace`` and
    ``move_estimator_to`` as scikit-learn 1.9 has them. Imported when
    arrays of another namespace than NumPy arrive, the only time they are
    needed."""
    from sklearn.utils import _array_api

    return _array_api


def array_api_compat():
    """The array-api-compat that scikit-learn vendors
    (``sklearn.externals.array_api_compat``): its ``is_*_namespace`` tests
    name the libraries whose own functions :mod:`skl_sparseae._array_ops`
    uses where the standard has none (a fused logistic function)."""
    from sklearn.externals import array_api_compat

    return array_api_compat


__all__ = [
    "Interval",
    "StrOptions",
    "_fit_context",
    "array_api",
    "array_api_compat",
    "validate_parameter_constraints",
]
