"""Arrays of other namespaces under scikit-learn's array_api_dispatch: the
autoencoders fit and transform where X is, with the NumPy engine's numbers.

Namespaces checked here: array-api-strict (on its CPU device and on its
``device1``, where any conversion to NumPy that does not go through the
package's one helper raises) and PyTorch, on the CPU and, where there is
one, on a CUDA GPU.
"""

import pickle

import numpy as np
import pytest
import sklearn
from helpers import VALID_OPTIONS, hyperparameters, quietly, relative_error, unit_data

from skl_sparseae import (
    DeepSparseAutoencoder,
    ReconstructionICA,
    SparseAutoencoder,
    SparseAutoencoderClassifier,
    TopographicSparseCoding,
)
from skl_sparseae._array_ops import ArrayAPIOps
from skl_sparseae._executors import (
    _DEVICE_CHUNK_ENTRIES,
    IN_MEMORY,
    ArrayAPIExecutor,
    ArrayAPIRunner,
    executor_for,
)

array_api_strict = pytest.importorskip("array_api_strict")
array_api_tools = pytest.importorskip("sklearn.utils._array_api")
if not hasattr(array_api_tools, "move_estimator_to"):
    pytest.skip("array API support needs scikit-learn 1.9", allow_module_level=True)


def _torch_device(name):
    torch = pytest.importorskip("torch")
    if name == "cuda" and not torch.cuda.is_available():
        pytest.skip("no CUDA GPU")
    return torch, torch.device(name)


class Namespace:
    """How a test makes arrays of one namespace on one device."""

    def __init__(self, name):
        self.name = name

    def asarray(self, array, dtype=None):
        array = np.asarray(array) if dtype is None else np.asarray(array, dtype)
        if self.name.startswith("torch"):
            torch, device = _torch_device(self.name.split("-")[1])
            return torch.asarray(array, device=device)
        device = array_api_strict.Device(self.name.split("-")[1])
        return array_api_strict.asarray(array, device=device)

    def to_numpy(self, array):
        return array_api_tools.move_to(array, xp=np, device="cpu")

    def __repr__(self):
        return self.name


NAMESPACES = [
    Namespace(name)
    for name in ("strict-CPU_DEVICE", "strict-device1", "torch-cpu", "torch-cuda")
]
NAMES = [namespace.name for namespace in NAMESPACES]


@pytest.fixture(params=NAMESPACES, ids=NAMES)
def namespace(request):
    # Make one array now, so that a namespace this machine lacks skips here.
    request.param.asarray(np.zeros(1))
    return request.param


@pytest.fixture
def dispatch():
    with sklearn.config_context(array_api_dispatch=True):
        yield


def _quick(model_class, **params):
    defaults = dict(random_state=0, max_iter=15, chunk_size=23)
    if model_class is DeepSparseAutoencoder:
        defaults["hidden_layer_sizes"] = (5, 3)
    else:
        defaults["n_components"] = 5
    return model_class(**{**defaults, **params})


def _estimator_of(depth, loss, decoder, tied):
    params = hyperparameters(loss, decoder, tied)
    if depth == 1:
        return SparseAutoencoder(**params, chunk_size=7)
    n_components = params.pop("n_components")
    return DeepSparseAutoencoder(
        hidden_layer_sizes=(n_components, 3), **params, chunk_size=7
    )


# --- the objective at a fixed theta -------------------------------------------


@pytest.mark.parametrize("depth", [1, 2])
@pytest.mark.parametrize("loss, decoder, tied", VALID_OPTIONS)
def test_J_and_its_gradient_equal_the_numpy_engines(
    namespace, dispatch, depth, loss, decoder, tied
):
    X = unit_data(30, 6)
    estimator = _estimator_of(depth, loss, decoder, tied)
    theta = np.random.RandomState(1).uniform(
        -0.5, 0.5, estimator._layout(6).n_parameters
    )
    with IN_MEMORY.objective(estimator._objective, X) as on_numpy:
        expected = on_numpy.evaluate(theta)
    X_device = namespace.asarray(X)
    executor = executor_for(X_device)
    assert isinstance(executor, ArrayAPIExecutor)
    with executor.objective(estimator._objective, X_device) as on_device:
        got = on_device.evaluate(theta)
    assert isinstance(got.grad, np.ndarray) and got.grad.dtype == np.float64
    assert relative_error(got.loss, expected.loss) < 1e-12
    assert relative_error(got.grad, expected.grad) < 1e-12
    for name, value in expected.terms.items():
        assert got.terms[name] == pytest.approx(value, rel=1e-12, abs=1e-300)
    for got_rho_hat, rho_hat in zip(got.rho_hats, expected.rho_hats, strict=True):
        assert isinstance(got_rho_hat, np.ndarray)
        np.testing.assert_allclose(got_rho_hat, rho_hat, rtol=1e-12)
    np.testing.assert_allclose(
        namespace.to_numpy(got.codes), expected.codes, rtol=1e-12
    )


def test_float32_trains_in_float32_with_float64_sums(namespace, dispatch):
    X = unit_data(30, 6).astype(np.float32)
    estimator = _estimator_of(1, "squared_error", "logistic", False)
    theta = np.random.RandomState(1).uniform(
        -0.5, 0.5, estimator._layout(6).n_parameters
    )
    with IN_MEMORY.objective(estimator._objective, X) as on_numpy:
        expected = on_numpy.evaluate(theta)
    X_device = namespace.asarray(X)
    with executor_for(X_device).objective(estimator._objective, X_device) as kernel:
        got = kernel.evaluate(theta)
        assert kernel.X.dtype == X_device.dtype
    assert got.grad.dtype == np.float64
    assert relative_error(got.loss, expected.loss) < 1e-6
    assert relative_error(got.grad, expected.grad) < 1e-5


def test_the_chunk_size_changes_only_rounding(dispatch):
    X_device = Namespace("strict-device1").asarray(unit_data(50, 6))
    estimator = _estimator_of(2, "squared_error", "logistic", False)
    theta = np.random.RandomState(2).uniform(
        -0.5, 0.5, estimator._layout(6).n_parameters
    )
    evaluations = []
    for chunk_size in (None, 7, 50, "auto"):
        estimator.set_params(chunk_size=chunk_size)
        executor = executor_for(X_device)
        with executor.objective(estimator._objective, X_device) as kernel:
            evaluations.append(kernel.evaluate(theta))
    for evaluation in evaluations[1:]:
        assert relative_error(evaluation.grad, evaluations[0].grad) < 1e-13


def test_auto_chunks_on_a_device_are_bounded_by_memory_not_cache():
    for n_samples, n_features in [(10, 4), (10**6, 784), (3 * 10**5, 64)]:
        rows = ArrayAPIRunner.chunk_rows("auto", n_samples, n_features)
        assert 1 <= rows <= n_samples
        assert rows == min(n_samples, _DEVICE_CHUNK_ENTRIES // n_features)


# --- what crosses between host and device -------------------------------------


def test_each_evaluation_sends_theta_up_once_and_brings_the_sums_down_once(
    dispatch, monkeypatch
):
    # On device1 array-api-strict refuses np.asarray; every other way an
    # array could leave the device is counted here: Python scalars, DLPack
    # and moves to another device.
    Array = type(array_api_strict.asarray(0.0))
    crossings = []
    leaving = ("__float__", "__int__", "__bool__", "__index__", "__dlpack__")
    for method in (*leaving, "to_device"):
        original = getattr(Array, method)

        def counted(self, *args, _original=original, _method=method, **kwargs):
            crossings.append(_method)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Array, method, counted)
    X_device = Namespace("strict-device1").asarray(unit_data(40, 6))
    estimator = _estimator_of(2, "squared_error", "logistic", True)
    n_parameters = estimator._layout(6).n_parameters
    with executor_for(X_device).objective(estimator._objective, X_device) as kernel:
        ops = kernel._ops
        crossings.clear()
        for seed in range(3):
            theta = np.random.RandomState(seed).uniform(-0.5, 0.5, n_parameters)
            kernel(theta)
    assert ops.transfers == {"to_device": 3, "to_host": 3}
    # The one copy down of each evaluation is its one move off the device.
    assert len(crossings) == 3, crossings


def test_a_fit_moves_theta_and_the_sums_once_per_evaluation(dispatch, monkeypatch):
    made = []
    original_init = ArrayAPIOps.__init__

    def recording_init(self, xp, device):
        original_init(self, xp, device)
        made.append(self)

    monkeypatch.setattr(ArrayAPIOps, "__init__", recording_init)
    X_device = Namespace("strict-device1").asarray(unit_data(40, 6))
    model = _quick(SparseAutoencoder, max_iter=8)
    evaluations = []
    original_call = type(model)._minimize

    def counting_minimize(self, objective, theta0, X, progress):
        original_evaluate = objective.evaluate

        def evaluate(theta):
            evaluations.append(1)
            return original_evaluate(theta)

        objective.evaluate = evaluate
        return original_call(self, objective, theta0, X, progress)

    monkeypatch.setattr(type(model), "_minimize", counting_minimize)
    quietly(model.fit, X_device)
    (kernel_ops,) = [ops for ops in made if ops.transfers["to_host"]]
    assert len(evaluations) >= model.n_iter_
    assert kernel_ops.transfers == {
        "to_device": len(evaluations),
        "to_host": len(evaluations),
    }


# --- fits, and everything following X -----------------------------------------


@pytest.mark.parametrize("model_class", [SparseAutoencoder, DeepSparseAutoencoder])
def test_a_short_fit_agrees_with_the_numpy_fit(namespace, model_class):
    X = unit_data(60, 7)
    on_numpy = quietly(_quick(model_class).fit, X)
    with sklearn.config_context(array_api_dispatch=True):
        X_device = namespace.asarray(X)
        on_device = quietly(_quick(model_class).fit, X_device)
        codes = on_device.transform(X_device)
    assert on_device.n_iter_ == on_numpy.n_iter_
    assert relative_error(on_device.loss_, on_numpy.loss_) < 1e-10
    np.testing.assert_allclose(on_device.loss_curve_, on_numpy.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(
        namespace.to_numpy(codes), on_numpy.transform(X), rtol=1e-8, atol=1e-12
    )


@pytest.mark.parametrize("model_class", [SparseAutoencoder, DeepSparseAutoencoder])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fitted_arrays_and_outputs_follow_X(namespace, dispatch, model_class, dtype):
    X_device = namespace.asarray(unit_data(40, 6), dtype)
    xp, _, device = array_api_tools.get_namespace_and_device(X_device)
    model = _quick(model_class)
    codes = quietly(model.fit_transform, X_device)
    fitted = (
        [model.components_, model.decoder_components_]
        + [model.intercept_hidden_, model.intercept_visible_]
        if model_class is SparseAutoencoder
        else model.coefs_ + model.intercepts_
    )
    outputs = [
        codes,
        model.transform(X_device),
        model.inverse_transform(codes),
        quietly(model.fit, X_device).transform(X_device),
    ]
    for array in fitted + outputs:
        array_xp, _, array_device = array_api_tools.get_namespace_and_device(array)
        assert array_xp is xp
        assert array_device == device
        assert array.dtype == X_device.dtype
    assert outputs[2].shape == X_device.shape
    score = model.score(X_device)
    assert type(score) is float and score < 0


def test_numpy_input_with_dispatch_on_gives_the_same_bits():
    X = unit_data(50, 6)
    for model_class in (SparseAutoencoder, DeepSparseAutoencoder):
        off = quietly(_quick(model_class).fit, X)
        with sklearn.config_context(array_api_dispatch=True):
            assert executor_for(X) is IN_MEMORY
            on = quietly(_quick(model_class).fit, X)
            codes_on = on.transform(X)
        assert on.loss_curve_ == off.loss_curve_
        np.testing.assert_array_equal(codes_on, off.transform(X))


def test_a_device_model_moves_to_numpy_for_pickling(namespace, dispatch):
    X = unit_data(40, 6)
    X_device = namespace.asarray(X)
    model = quietly(_quick(SparseAutoencoder).fit, X_device)
    on_host = array_api_tools.move_estimator_to(model, np, "cpu")
    assert isinstance(on_host.components_, np.ndarray)
    restored = pickle.loads(pickle.dumps(on_host))
    np.testing.assert_allclose(
        restored.transform(X), namespace.to_numpy(model.transform(X_device))
    )


def test_x_must_be_where_the_fitted_arrays_are(dispatch):
    X = unit_data(40, 6)
    model = quietly(_quick(SparseAutoencoder).fit, X)
    X_device = Namespace("strict-CPU_DEVICE").asarray(X)
    with pytest.raises(ValueError, match="move_estimator_to"):
        model.transform(X_device)
    with pytest.raises(ValueError, match="move_estimator_to"):
        model.inverse_transform(X_device[:, :5])


@pytest.mark.parametrize(
    "make",
    [
        lambda: SparseAutoencoderClassifier((4,), max_iter=5, random_state=0),
        lambda: ReconstructionICA(4, max_iter=5, random_state=0),
        lambda: TopographicSparseCoding(4, max_iter=2, random_state=0),
    ],
    ids=["classifier", "rica", "topographic"],
)
def test_models_without_array_api_support_say_so(dispatch, make):
    X_device = Namespace("strict-CPU_DEVICE").asarray(unit_data(40, 6))
    y = np.arange(40) % 2
    with pytest.raises(TypeError, match="has no array API support yet"):
        make().fit(X_device, y)


def test_a_device_without_float64_is_refused_with_what_to_do(dispatch, monkeypatch):
    X_device = Namespace("strict-CPU_DEVICE").asarray(unit_data(40, 6, seed=3))
    monkeypatch.setattr(
        array_api_tools,
        "supported_float_dtypes",
        lambda xp, device=None: (xp.float32,),
    )
    model = _quick(SparseAutoencoder)
    with pytest.raises(TypeError, match="needs float64 on X's device"):
        model.fit(X_device)
    assert not hasattr(model, "components_")


def test_a_pipeline_and_a_grid_search_keep_x_on_its_device(dispatch):
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    namespace = Namespace("strict-device1")
    X_device = namespace.asarray(np.random.RandomState(0).normal(size=(90, 6)))
    pipeline = make_pipeline(MinMaxScaler(), _quick(SparseAutoencoder, max_iter=5))
    search = quietly(
        GridSearchCV(pipeline, {"sparseautoencoder__beta": [1.0, 3.0]}, cv=3).fit,
        X_device,
    )
    codes = search.transform(X_device)
    assert array_api_tools.get_namespace_and_device(codes)[2] == X_device.device
    assert codes.shape == (90, 5)
