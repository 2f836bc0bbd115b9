"""ONNX export: onnxruntime computes what transform computes."""

import importlib
import subprocess
import sys
import warnings
from functools import cache

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from skl_sparseae import DeepSparseAutoencoder, SparseAutoencoder

sparseae_onnx = pytest.importorskip("skl_sparseae.onnx")
skl2onnx = pytest.importorskip("skl2onnx")
onnxruntime = pytest.importorskip("onnxruntime")
TensorProto = pytest.importorskip("onnx").TensorProto

# Absolute tolerance of onnxruntime against transform, per input type.
ATOL = {np.float32: 1e-5, np.float64: 1e-10}


@cache
def training_data(name):
    if name == "digits":
        return MinMaxScaler().fit_transform(load_digits().data[:150])
    return np.random.RandomState(0).uniform(-1.0, 2.0, size=(100, 10))


@cache
def fitted(data, tied=False, decoder="logistic", dtype=np.float64):
    sae = SparseAutoencoder(
        n_components=12,
        tied_weights=tied,
        decoder_activation=decoder,
        max_iter=10,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return sae.fit(training_data(data).astype(dtype))


def run_onnx(model, X):
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X})


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
    assert skl2onnx.get_model_alias(SparseAutoencoder) == (
        "SklSparseaeSparseAutoencoder"
    )
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


@pytest.mark.parametrize("input_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fit_dtype", [np.float32, np.float64])
def test_graph_computes_in_the_input_type(fit_dtype, input_dtype):
    sae = fitted("random", dtype=fit_dtype)
    X = training_data("random").astype(input_dtype)
    model = skl2onnx.to_onnx(sae, X[:1])
    element_type = {np.float32: TensorProto.FLOAT, np.float64: TensorProto.DOUBLE}
    weight_types = {weights.data_type for weights in model.graph.initializer}
    assert weight_types == {element_type[input_dtype]}
    (H,) = run_onnx(model, X)
    assert H.dtype == sae.transform(X).dtype == input_dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pipeline_with_a_classifier_converts_end_to_end(dtype):
    X, y = load_digits(return_X_y=True)
    X, y = X[:300].astype(dtype), y[:300]
    pipeline = Pipeline(
        [
            ("scale", MinMaxScaler()),
            ("sae", SparseAutoencoder(n_components=12, max_iter=10, random_state=0)),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipeline.fit(X, y)
    model = skl2onnx.to_onnx(
        pipeline, X[:1], options={id(pipeline["clf"]): {"zipmap": False}}
    )
    labels, probabilities = run_onnx(model, X)
    np.testing.assert_array_equal(labels, pipeline.predict(X))
    np.testing.assert_allclose(
        probabilities, pipeline.predict_proba(X), rtol=0, atol=1e-5
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("sizes", [(12,), (12, 5), (10, 6, 3)], ids=str)
def test_deep_model_converts_alone_and_in_a_pipeline(sizes, tied, dtype):
    X, y = load_digits(return_X_y=True)
    X, y = X[:300].astype(dtype), y[:300]
    deep = DeepSparseAutoencoder(
        sizes, tied_weights=tied, pretrain=False, max_iter=15, random_state=0
    )
    pipeline = Pipeline(
        [("scale", MinMaxScaler()), ("deep", deep), ("clf", LogisticRegression())]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipeline.fit(X, y)
    X_scaled = pipeline["scale"].transform(X)
    (H,) = run_onnx(skl2onnx.to_onnx(deep, X_scaled[:1]), X_scaled)
    np.testing.assert_allclose(H, deep.transform(X_scaled), rtol=0, atol=ATOL[dtype])
    model = skl2onnx.to_onnx(
        pipeline, X[:1], options={id(pipeline["clf"]): {"zipmap": False}}
    )
    labels, probabilities = run_onnx(model, X)
    np.testing.assert_array_equal(labels, pipeline.predict(X))
    np.testing.assert_allclose(
        probabilities, pipeline.predict_proba(X), rtol=0, atol=1e-5
    )


# Errors -----------------------------------------------------------------------


def test_conversion_before_fit_raises_not_fitted_error():
    X = training_data("random").astype(np.float32)
    with pytest.raises(NotFittedError, match="SparseAutoencoder instance is not"):
        skl2onnx.to_onnx(SparseAutoencoder(), X[:1])


def test_input_of_another_width_than_fit_is_rejected():
    X = training_data("random").astype(np.float32)
    with pytest.raises(ValueError, match="has 4 features.*fitted on 10"):
        skl2onnx.to_onnx(fitted("random"), X[:1, :4])


def test_integer_input_is_rejected_with_what_to_do():
    X = np.ones((1, 10), dtype=np.int64)
    with pytest.raises(TypeError, match="Cast X to np.float32 or np.float64"):
        skl2onnx.to_onnx(fitted("random"), X)
