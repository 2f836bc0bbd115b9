"""ONNX export: onnxruntime computes what transform, predict and predict_proba
compute, and the classifier's graph has the outputs of MLPClassifier's."""

import importlib
import re
import subprocess
import sys
import warnings
from functools import cache

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from skl_sparseae import (
    DeepSparseAutoencoder,
    ReconstructionICA,
    SparseAutoencoder,
    SparseAutoencoderClassifier,
    TopographicSparseCoding,
)

sparseae_onnx = pytest.importorskip("skl_sparseae.onnx")
skl2onnx = pytest.importorskip("skl2onnx")
onnxruntime = pytest.importorskip("onnxruntime")
TensorProto = pytest.importorskip("onnx").TensorProto

# Absolute tolerance of onnxruntime against the estimator, per input type.
ATOL = {np.float32: 1e-5, np.float64: 1e-10}

ESTIMATORS = [
    SparseAutoencoder,
    DeepSparseAutoencoder,
    ReconstructionICA,
    SparseAutoencoderClassifier,
    TopographicSparseCoding,
]


@cache
def training_data(name):
    if name == "digits":
        return MinMaxScaler().fit_transform(load_digits().data[:150])
    if name == "laplace":
        return np.random.RandomState(0).laplace(size=(200, 6))
    return np.random.RandomState(0).uniform(-1.0, 2.0, size=(100, 10))


@cache
def fitted(data, tied=False, decoder="logistic", dtype=np.float64):
    sae = SparseAutoencoder(
        n_components=12,
        tied_weights=tied,
        decoder_activation=decoder,
        tol=1e-2,
        random_state=0,
    )
    X = training_data(data).astype(dtype)
    if data == "random" and decoder == "logistic":
        # X outside [0, 1] on purpose: transform is defined for any X.
        with pytest.warns(UserWarning, match="cannot reconstruct X"):
            return sae.fit(X)
    return sae.fit(X)


@cache
def fitted_rica(n_components=10, normalize_filters=False, dtype=np.float64):
    rica = ReconstructionICA(
        n_components=n_components,
        normalize_filters=normalize_filters,
        tol=1e-3,
        random_state=0,
    )
    return rica.fit(training_data("laplace").astype(dtype))


@cache
def digits_to_classify(n_classes, labels):
    """Scaled digits, and their digit modulo n_classes as labels of a kind:
    ints that are not indices (-3, 4, ...), floats with integer values, or
    words, whose sorted order is not the digits' order."""
    X, digit = load_digits(return_X_y=True)
    X, digit = MinMaxScaler().fit_transform(X[:400]), digit[:400] % n_classes
    words = np.array("zero one two three four five six seven eight nine".split())
    y = {
        "int": 7 * digit - 3,
        "float": (7 * digit - 3).astype(np.float64),
        "str": words[digit],
    }[labels]
    return X, y


@cache
def fitted_classifier(n_classes=3, labels="int", sizes=(8,), dtype=np.float64):
    """A classifier fitted on 200 samples: tests predict on all 400."""
    X, y = digits_to_classify(n_classes, labels)
    classifier = SparseAutoencoderClassifier(
        sizes, pretrain_max_iter=200, max_iter=200, tol=1e-2, random_state=0
    )
    return classifier.fit(X[:200].astype(dtype), y[:200])


def run_onnx(model, X):
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X})


def output_signature(model):
    """``[(name, type), ...]`` of the graph's outputs, as onnxruntime sees them."""
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return [(output.name, output.type) for output in session.get_outputs()]


# Registration ---------------------------------------------------------------


def test_importing_skl_sparseae_does_not_import_skl2onnx():
    code = "import sys, skl_sparseae; print('skl2onnx' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_registering_again_changes_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sparseae_onnx.register_onnx_converter()
        sparseae_onnx.register_onnx_converter()
    for estimator in ESTIMATORS:
        alias = skl2onnx.get_model_alias(estimator)
        assert alias == f"SklSparseae{estimator.__name__}"
    X = training_data("random").astype(np.float32)
    (H,) = run_onnx(skl2onnx.to_onnx(fitted("random"), X[:1]), X)
    assert H.shape == (100, 12)


def test_import_without_skl2onnx_names_the_packages_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    monkeypatch.delitem(sys.modules, "skl_sparseae.onnx")
    with pytest.raises(ImportError) as error:
        importlib.import_module("skl_sparseae.onnx")
    message = str(error.value)
    # skl_sparseae is not on the package index: no "pip install skl_sparseae"
    assert "pip install skl2onnx onnxruntime" in message
    assert 'in a clone of skl_sparseae, python3 -m pip install ".[onnx]"' in message
    assert "skl_sparseae[" not in message


# What the graph computes ------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("decoder", ["logistic", "identity"])
@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("data", ["digits", "random"])
def test_onnxruntime_output_equals_transform(data, tied, decoder, dtype):
    sae = fitted(data, tied, decoder)
    X = training_data(data).astype(dtype)
    (H,) = run_onnx(skl2onnx.to_onnx(sae, X[:1]), X)
    np.testing.assert_allclose(H, sae.transform(X), rtol=0, atol=ATOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("normalize_filters", [False, True])
@pytest.mark.parametrize("n_components", [4, 10], ids=["undercomplete", "overcomplete"])
def test_rica_onnxruntime_output_equals_transform(
    n_components, normalize_filters, dtype
):
    rica = fitted_rica(n_components, normalize_filters)
    X = training_data("laplace").astype(dtype)
    (codes,) = run_onnx(skl2onnx.to_onnx(rica, X[:1]), X)
    assert codes.shape == (200, n_components)
    np.testing.assert_allclose(codes, rica.transform(X), rtol=0, atol=ATOL[dtype])


@pytest.mark.parametrize("input_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fit_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("model", ["sae", "rica", "classifier"])
def test_graph_computes_in_the_input_type(model, fit_dtype, input_dtype):
    estimator, X = {
        "sae": (fitted("digits", dtype=fit_dtype), training_data("digits")),
        "rica": (fitted_rica(dtype=fit_dtype), training_data("laplace")),
        "classifier": (
            fitted_classifier(dtype=fit_dtype),
            digits_to_classify(3, "int")[0],
        ),
    }[model]
    X = X.astype(input_dtype)
    options = {"zipmap": False} if model == "classifier" else None
    onnx_model = skl2onnx.to_onnx(estimator, X[:1], options=options)
    element_type = {np.float32: TensorProto.FLOAT, np.float64: TensorProto.DOUBLE}
    weight_types = {
        weights.data_type
        for weights in onnx_model.graph.initializer
        if weights.data_type in element_type.values()
    }
    assert weight_types == {element_type[input_dtype]}
    output = run_onnx(onnx_model, X)[-1]
    expected = (
        estimator.predict_proba(X) if model == "classifier" else estimator.transform(X)
    )
    assert output.dtype == expected.dtype == input_dtype


# The classifier ---------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sizes", [(8,), (8, 5)], ids=str)
@pytest.mark.parametrize("labels", ["int", "float", "str"])
@pytest.mark.parametrize("n_classes", [2, 10], ids=["binary", "multiclass"])
def test_classifier_labels_and_probabilities_equal_predict_and_predict_proba(
    n_classes, labels, sizes, dtype
):
    classifier = fitted_classifier(n_classes, labels, sizes)
    X = digits_to_classify(n_classes, labels)[0].astype(dtype)
    model = skl2onnx.to_onnx(classifier, X[:1], options={"zipmap": False})
    predicted, probabilities = run_onnx(model, X)
    np.testing.assert_array_equal(predicted, classifier.predict(X))
    # n_classes columns, binary included: the softmax of two logits, as
    # predict_proba computes it
    assert probabilities.shape == (400, n_classes)
    np.testing.assert_allclose(
        probabilities, classifier.predict_proba(X), rtol=0, atol=ATOL[dtype]
    )


# ZipMap takes float32 only: a float64 graph with zipmap=True is refused
# (test_float64_graph_with_zipmap_is_refused_with_what_to_do).
ZIPMAP_AND_DTYPE = [
    (True, np.float32),
    (False, np.float32),
    (False, np.float64),
    ("columns", np.float32),
    ("columns", np.float64),
]


@pytest.mark.parametrize("zipmap, dtype", ZIPMAP_AND_DTYPE, ids=str)
@pytest.mark.parametrize("labels", ["int", "str"])
@pytest.mark.parametrize("n_classes", [2, 3], ids=["binary", "multiclass"])
def test_classifier_outputs_are_named_and_typed_as_mlp_classifiers(
    n_classes, labels, zipmap, dtype
):
    X, y = digits_to_classify(n_classes, labels)
    X = X.astype(dtype)
    mlp = MLPClassifier((4,), tol=0.1, random_state=0).fit(X[:200], y[:200])
    options = {"zipmap": zipmap}
    ours = skl2onnx.to_onnx(
        fitted_classifier(n_classes, labels), X[:1], options=options
    )
    theirs = skl2onnx.to_onnx(mlp, X[:1], options=options)
    assert output_signature(ours) == output_signature(theirs)


@pytest.mark.parametrize("labels", ["int", "float", "str"])
@pytest.mark.parametrize("n_classes", [2, 10], ids=["binary", "multiclass"])
def test_zipmap_gives_predict_proba_as_a_dictionary_per_sample(n_classes, labels):
    classifier = fitted_classifier(n_classes, labels)
    X = digits_to_classify(n_classes, labels)[0].astype(np.float32)
    predicted, dictionaries = run_onnx(skl2onnx.to_onnx(classifier, X[:1]), X)
    np.testing.assert_array_equal(predicted, classifier.predict(X))
    # float labels with integer values are keyed by int64, as skl2onnx does
    keys = classifier.classes_.astype(np.int64) if labels == "float" else None
    keys = classifier.classes_.tolist() if keys is None else keys.tolist()
    assert all(list(row) == keys for row in dictionaries)
    probabilities = np.array([[row[key] for key in keys] for row in dictionaries])
    np.testing.assert_allclose(
        probabilities, classifier.predict_proba(X), rtol=0, atol=ATOL[np.float32]
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("labels", ["int", "str"])
@pytest.mark.parametrize("n_classes", [2, 10], ids=["binary", "multiclass"])
def test_zipmap_columns_gives_one_output_per_class(n_classes, labels, dtype):
    classifier = fitted_classifier(n_classes, labels)
    X = digits_to_classify(n_classes, labels)[0].astype(dtype)
    model = skl2onnx.to_onnx(classifier, X[:1], options={"zipmap": "columns"})
    predicted, *columns = run_onnx(model, X)
    prefix = "i" if labels == "int" else "s"
    names = [name for name, _ in output_signature(model)]
    assert names == ["output_label"] + [f"{prefix}{c}" for c in classifier.classes_]
    np.testing.assert_array_equal(predicted, classifier.predict(X))
    np.testing.assert_allclose(
        np.column_stack(columns), classifier.predict_proba(X), rtol=0, atol=ATOL[dtype]
    )


@pytest.mark.parametrize("labels", ["int", "float", "str"])
def test_nocl_gives_the_indices_of_the_predicted_classes(labels):
    classifier = fitted_classifier(3, labels)
    X = digits_to_classify(3, labels)[0].astype(np.float32)
    model = skl2onnx.to_onnx(classifier, X[:1], options={"nocl": True})
    indices, dictionaries = run_onnx(model, X)
    expected = np.searchsorted(classifier.classes_, classifier.predict(X))
    np.testing.assert_array_equal(indices, expected)
    assert all(list(row) == [0, 1, 2] for row in dictionaries)


@pytest.mark.parametrize("labels", ["int", "str"])
def test_output_class_labels_adds_the_classes_as_a_third_output(labels):
    classifier = fitted_classifier(3, labels)
    X = digits_to_classify(3, labels)[0].astype(np.float32)
    options = {"zipmap": False, "output_class_labels": True}
    model = skl2onnx.to_onnx(classifier, X[:1], options=options)
    predicted, probabilities, classes = run_onnx(model, X)
    np.testing.assert_array_equal(classes, classifier.classes_)
    np.testing.assert_array_equal(predicted, classifier.predict(X))
    assert probabilities.shape == (400, 3)


def test_float64_graph_with_zipmap_is_refused_with_what_to_do():
    X = digits_to_classify(3, "int")[0]
    message = (
        "ONNX's ZipMap takes float32 probabilities only, so "
        "SparseAutoencoderClassifier's default zipmap=True cannot follow a "
        "float64 graph. Pass options={SparseAutoencoderClassifier: "
        '{"zipmap": False}} (or "columns") to to_onnx, or a float32 sample.'
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        skl2onnx.to_onnx(fitted_classifier(), X[:1])


# Pipelines ----------------------------------------------------------------------


@cache
def fitted_pipeline(name, sizes=None, tied=False):
    """A pipeline fitted on 300 digits (in float64: the graph computes in the
    input's type whatever the fit's), and the digits."""
    X, y = load_digits(return_X_y=True)
    X, y = X[:300], y[:300]
    middle = {
        "sae": [("sae", SparseAutoencoder(n_components=12, tol=3e-3, random_state=0))],
        # pretrained, with a rho that narrow layers can reach: a deep model
        # trained from random weights on 300 samples gives constant codes
        "deep": [
            (
                "deep",
                DeepSparseAutoencoder(
                    sizes, rho=0.2, tied_weights=tied, tol=3e-3, random_state=0
                ),
            )
        ],
        "rica": [
            ("whiten", PCA(n_components=20, whiten=True, random_state=0)),
            ("rica", ReconstructionICA(n_components=30, tol=1e-3, random_state=0)),
        ],
        "classifier": [],
    }[name]
    if name == "classifier":
        last = SparseAutoencoderClassifier(
            (12,), pretrain_max_iter=200, max_iter=200, tol=1e-2, random_state=0
        )
    else:
        last = LogisticRegression(max_iter=1000)
    scale = StandardScaler() if name == "rica" else MinMaxScaler()
    pipeline = Pipeline([("scale", scale), *middle, ("clf", last)])
    return pipeline.fit(X, y), X


def assert_pipeline_graph_predicts_as_the_pipeline(pipeline, X, dtype):
    X = X.astype(dtype)
    options = {type(pipeline["clf"]): {"zipmap": False}}
    model = skl2onnx.to_onnx(pipeline, X[:1], options=options)
    labels, probabilities = run_onnx(model, X)
    predicted = pipeline.predict(X)
    assert len(np.unique(predicted)) > 5  # not a model that predicts one class
    np.testing.assert_array_equal(labels, predicted)
    np.testing.assert_allclose(
        probabilities, pipeline.predict_proba(X), rtol=0, atol=ATOL[dtype]
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pipeline_with_a_classifier_converts_end_to_end(dtype):
    # MinMaxScaler -> SparseAutoencoder -> LogisticRegression
    assert_pipeline_graph_predicts_as_the_pipeline(*fitted_pipeline("sae"), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("sizes", [(12,), (12, 5), (10, 6, 3)], ids=str)
def test_deep_model_converts_alone_and_in_a_pipeline(sizes, tied, dtype):
    pipeline, X = fitted_pipeline("deep", sizes, tied)
    deep = pipeline["deep"]
    X_scaled = pipeline["scale"].transform(X).astype(dtype)
    (H,) = run_onnx(skl2onnx.to_onnx(deep, X_scaled[:1]), X_scaled)
    np.testing.assert_allclose(H, deep.transform(X_scaled), rtol=0, atol=ATOL[dtype])
    assert_pipeline_graph_predicts_as_the_pipeline(pipeline, X, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pipeline_ending_in_the_classifier_converts_end_to_end(dtype):
    # MinMaxScaler -> SparseAutoencoderClassifier
    assert_pipeline_graph_predicts_as_the_pipeline(
        *fitted_pipeline("classifier"), dtype
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pipeline_with_rica_on_whitened_data_converts_end_to_end(dtype):
    # StandardScaler -> PCA(whiten=True) -> ReconstructionICA -> LogisticRegression
    assert_pipeline_graph_predicts_as_the_pipeline(*fitted_pipeline("rica"), dtype)


# Errors -----------------------------------------------------------------------


TOPOGRAPHIC_REFUSAL = (
    "TopographicSparseCoding has no ONNX converter: its transform solves an "
    "optimisation problem for each sample's codes (L-BFGS, then Newton "
    "steps), which no ONNX graph computes. Compute the codes with transform "
    "in Python and export only the steps that follow them, or use "
    "ReconstructionICA, whose codes X @ components_.T convert."
)


@pytest.mark.parametrize("in_pipeline", [False, True], ids=["alone", "in_pipeline"])
def test_topographic_sparse_coding_refuses_to_convert_and_says_what_to_do(
    in_pipeline,
):
    X = training_data("laplace")
    model = TopographicSparseCoding(n_components=4, neighborhood_size=1, random_state=0)
    if in_pipeline:
        model = Pipeline(
            [("scale", StandardScaler()), ("tsc", model), ("clf", LogisticRegression())]
        )
    model.fit(X, X[:, 0] > 0)
    with pytest.raises(
        NotImplementedError, match=f"^{re.escape(TOPOGRAPHIC_REFUSAL)}$"
    ):
        skl2onnx.to_onnx(model, X[:1])


def unfitted_and_fitted(name):
    """``(unfitted, fitted, X)`` of one estimator that converts."""
    if name == "SparseAutoencoder":
        return SparseAutoencoder(), fitted("random"), training_data("random")
    if name == "ReconstructionICA":
        return ReconstructionICA(), fitted_rica(), training_data("laplace")
    X = digits_to_classify(3, "int")[0]
    return SparseAutoencoderClassifier(), fitted_classifier(), X


CONVERTING = ["SparseAutoencoder", "ReconstructionICA", "SparseAutoencoderClassifier"]


@pytest.mark.parametrize("name", CONVERTING)
def test_conversion_before_fit_raises_not_fitted_error(name):
    unfitted, _, X = unfitted_and_fitted(name)
    X = X.astype(np.float32)
    with pytest.raises(NotFittedError, match=f"^This {name} instance is not fitted"):
        skl2onnx.to_onnx(unfitted, X[:1])


@pytest.mark.parametrize("name", CONVERTING)
def test_input_of_another_width_than_fit_is_rejected(name):
    _, model, X = unfitted_and_fitted(name)
    X = X.astype(np.float32)
    n_features = X.shape[1]
    with pytest.raises(ValueError, match=f"has 4 features.*fitted on {n_features}"):
        skl2onnx.to_onnx(model, X[:1, :4])


@pytest.mark.parametrize("name", CONVERTING)
def test_integer_input_is_rejected_with_what_to_do(name):
    _, model, X = unfitted_and_fitted(name)
    X = np.ones((1, X.shape[1]), dtype=np.int64)
    with pytest.raises(TypeError, match="Cast X to np.float32 or np.float64"):
        skl2onnx.to_onnx(model, X)
