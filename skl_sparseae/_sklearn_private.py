"""Every private name of scikit-learn and skl2onnx this package uses,
imported here and nowhere else, by name, with its public alternative beside
it ("none in 1.9" where scikit-learn 1.9 has none).

They are not part of those libraries' public APIs. pyproject.toml pins the
lowest scikit-learn these imports were written against (1.6); if a release
moves one of them, this is the only file to change. ``tests/test_packaging``
fails on a private import anywhere else in the package.
"""

# The decorator of every estimator's fit: validates the parameters (through
# BaseEstimator._validate_params, which ParameterRulesMixin overrides to add
# the rules between parameters) and sets skip_parameter_validation for the
# nested fits. Public alternative: none in 1.9.
from sklearn.base import _fit_context

# scikit-learn's array API helpers (sklearn.utils._array_api). Public
# alternative: none in 1.9 (sklearn.utils.validation imports them from there
# itself).
from sklearn.utils._array_api import (
    _is_numpy_namespace,
    get_namespace,
    get_namespace_and_device,
    supported_float_dtypes,
)

# Parameter constraints. Public alternative: none in 1.9 (scikit-learn's own
# estimators import them from here too).
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_parameter_constraints,
)

# ... and those of scikit-learn 1.9 (None before: the array API path needs
# 1.9, and executor_for says so). Public alternative: none in 1.9.
try:
    from sklearn.utils._array_api import (
        check_same_namespace,
        move_estimator_to,
        move_to,
    )
except ImportError:
    check_same_namespace = move_estimator_to = move_to = None

# The array-api-compat that scikit-learn vendors: which library an Array API
# namespace is. Public alternative: the array-api-compat package itself,
# which is not a dependency of this package. (scikit-learn 1.6 vendors none;
# the array API path needs 1.9.)
try:
    from sklearn.externals.array_api_compat import (
        is_cupy_namespace,
        is_torch_namespace,
    )
except ImportError:
    is_cupy_namespace = is_torch_namespace = None


def skl2onnx_classifier_parser():
    """skl2onnx's parser for classifiers (``skl2onnx._parse.
    _parse_sklearn_classifier``), imported when ``skl_sparseae.onnx`` is.

    Public alternative: ``update_registered_converter(...,
    options={"zipmap": ...})`` registers this same parser when no parser is
    given. ``skl_sparseae.onnx`` wraps it instead, to raise NotFittedError
    for an unfitted classifier before the parser reads ``classes_`` (an
    AttributeError otherwise).
    """
    from skl2onnx._parse import _parse_sklearn_classifier

    return _parse_sklearn_classifier


__all__ = [
    "Interval",
    "StrOptions",
    "_fit_context",
    "_is_numpy_namespace",
    "check_same_namespace",
    "get_namespace",
    "get_namespace_and_device",
    "is_cupy_namespace",
    "is_torch_namespace",
    "move_estimator_to",
    "move_to",
    "skl2onnx_classifier_parser",
    "supported_float_dtypes",
    "validate_parameter_constraints",
]
