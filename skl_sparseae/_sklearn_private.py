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

__all__ = [
    "Interval",
    "StrOptions",
    "_fit_context",
    "validate_parameter_constraints",
]
