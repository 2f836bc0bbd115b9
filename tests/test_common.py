"""scikit-learn API compliance: the full check suite, with no expected failures."""

import pytest
from helpers import cupy_sees_a_gpu
from sklearn.base import clone
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_param_validation,
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    parametrize_with_checks,
)

from skl_sparseae import (
    DeepSparseAutoencoder,
    ReconstructionICA,
    SparseAutoencoder,
    SparseAutoencoderClassifier,
    TopographicSparseCoding,
)

# scikit-learn's checks fit on data of their own (values outside [0, 1])
# with few iterations: the estimators rightly warn of both.
pytestmark = [
    pytest.mark.filterwarnings(
        r"ignore:.*the logistic decoder only outputs values in \(0, 1\):UserWarning"
    ),
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    # ... and so the hidden units of the autoencoders die or saturate.
    pytest.mark.filterwarnings("ignore:.*dead and .* saturated of:UserWarning"),
]

# Every estimator the package exports. The deep one is checked at a small
# size: the checks fit it dozens of times.
ESTIMATORS = [
    SparseAutoencoder(),
    DeepSparseAutoencoder((8, 4), max_iter=100),
    SparseAutoencoderClassifier((8,), pretrain_max_iter=100, max_iter=200),
    ReconstructionICA(8, max_iter=100),
    TopographicSparseCoding(16, max_iter=20),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    # scikit-learn runs its CuPy checks wherever CuPy imports, and without a
    # GPU they fail inside CuPy: skip them there, as scikit-learn skips its
    # PyTorch CUDA checks on a PyTorch built without CUDA.
    if getattr(check, "keywords", {}).get("array_namespace") == "cupy":
        if not cupy_sees_a_gpu():
            pytest.skip("no CuPy that sees a CUDA GPU here")
    check(estimator)


@pytest.mark.parametrize(
    "check",
    [
        check_transformer_get_feature_names_out,
        check_transformer_get_feature_names_out_pandas,
        check_set_output_transform,
        check_set_output_transform_pandas,
        check_param_validation,
        check_dataframe_column_names_consistency,
    ],
    ids=lambda check: check.__name__,
)
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
# check_set_output_transform_pandas mixes NumPy arrays and DataFrames between
# fit and transform, which warns; scikit-learn's own runner ignores it.
@pytest.mark.filterwarnings(
    "ignore:X (does not have valid|has) feature names:UserWarning"
)
def test_named_sklearn_checks(check, estimator):
    # These are part of the suite above in current scikit-learn; they are
    # named here because users rely on each of them in particular.
    check(type(estimator).__name__, clone(estimator).set_params(max_iter=20))
