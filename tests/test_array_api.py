"""Arrays of other namespaces under scikit-learn's array_api_dispatch: the
autoencoders, the classifier and RICA fit and transform where X is, with
the NumPy engine's numbers.

Namespaces checked here: array-api-strict (on its CPU device and on its
``device1``, where any conversion to NumPy that does not go through the
package's one helper raises), PyTorch, on the CPU and, where there is one,
on a CUDA GPU, and CuPy where it is installed and sees a GPU.
"""

import pickle
import warnings
import weakref

import numpy as np
import pytest
import sklearn
from helpers import (
    VALID_OPTIONS,
    cupy_sees_a_gpu,
    hyperparameters,
    quietly,
    relative_error,
    unit_data,
)
from scipy.special import expit

import skl_sparseae._sklearn_private
from skl_sparseae import (
    DeepSparseAutoencoder,
    ReconstructionICA,
    SparseAutoencoder,
    SparseAutoencoderClassifier,
    TopographicSparseCoding,
)
from skl_sparseae._array_ops import ArrayAPIOps, ops_for, standard_logistic
from skl_sparseae._executors import IN_MEMORY, ArrayAPIExecutor, executor_for
from skl_sparseae._kernel import ChunkedObjective
from skl_sparseae._layouts import ClassifierLayout
from skl_sparseae._runners import _DEVICE_CHUNK_ENTRIES, ArrayAPIRunner

array_api_strict = pytest.importorskip("array_api_strict")
array_api_tools = pytest.importorskip("sklearn.utils._array_api")
if not hasattr(array_api_tools, "move_estimator_to"):
    pytest.skip("array API support needs scikit-learn 1.9", allow_module_level=True)


def _torch_device(name):
    torch = pytest.importorskip("torch")
    if name == "cuda" and not torch.cuda.is_available():
        pytest.skip("no CUDA GPU")
    return torch, torch.device(name)


def _cupy():
    cupy = pytest.importorskip("cupy")
    if not cupy_sees_a_gpu():
        pytest.skip("CuPy sees no CUDA GPU")
    return cupy


class Namespace:
    """How a test makes arrays of one namespace on one device."""

    def __init__(self, name):
        self.name = name

    def asarray(self, array, dtype=None):
        array = np.asarray(array) if dtype is None else np.asarray(array, dtype)
        if self.name.startswith("torch"):
            torch, device = _torch_device(self.name.split("-")[1])
            return torch.asarray(array, device=device)
        if self.name == "cupy-cuda":
            return _cupy().asarray(array)
        device = array_api_strict.Device(self.name.split("-")[1])
        return array_api_strict.asarray(array, device=device)

    def to_numpy(self, array):
        return array_api_tools.move_to(array, xp=np, device="cpu")

    def __repr__(self):
        return self.name


NAMESPACES = [
    Namespace(name)
    for name in (
        "strict-CPU_DEVICE",
        "strict-device1",
        "torch-cpu",
        "torch-cuda",
        "cupy-cuda",
    )
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
    elif model_class is SparseAutoencoderClassifier:
        defaults.update(hidden_layer_sizes=(5,), pretrain_max_iter=8)
    else:
        defaults["n_components"] = 5
    return model_class(**{**defaults, **params})


MODELS = [
    SparseAutoencoder,
    DeepSparseAutoencoder,
    SparseAutoencoderClassifier,
    ReconstructionICA,
]


def _labels(n_samples):
    """Three classes, as integers (the labels follow X to its device)."""
    return np.arange(n_samples) % 3


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


def _other_kernels():
    """``(name, estimator, targets)`` of the kernels other than the
    autoencoders': the classifier's (softmax regression, one and two
    hidden layers) and RICA's (plain and with normalized filters)."""
    classifier = SparseAutoencoderClassifier(alpha=1e-3, chunk_size=7)
    for sizes in [(), (4,), (4, 3)]:
        yield (
            f"classifier{sizes}",
            classifier,
            dict(hidden_layer_sizes=sizes, n_classes=3),
            ClassifierLayout(6, sizes, 3).n_parameters,
            True,
        )
    for normalize in (False, True):
        rica = ReconstructionICA(4, normalize_filters=normalize, chunk_size=7)
        yield f"rica-normalize={normalize}", rica, {}, 4 * 6, False


@pytest.mark.parametrize(
    "name, estimator, options, n_parameters, labelled",
    list(_other_kernels()),
    ids=[case[0] for case in _other_kernels()],
)
def test_the_classifiers_and_ricas_J_equal_the_numpy_engines(
    namespace, dispatch, name, estimator, options, n_parameters, labelled
):
    X = unit_data(30, 6)
    targets = (_labels(30),) if labelled else ()
    theta = np.random.RandomState(1).uniform(-0.5, 0.5, n_parameters)
    with IN_MEMORY.objective(estimator._objective, X, *targets, **options) as kernel:
        expected = kernel.evaluate(theta)
    X_device = namespace.asarray(X)
    executor = executor_for(X_device)
    with executor.objective(estimator._objective, X_device, *targets, **options) as k:
        got = k.evaluate(theta)
        if labelled:
            # The class indices went to X's device with the kernel.
            _, _, labels_device = array_api_tools.get_namespace_and_device(k.y)
            assert labels_device == X_device.device
    assert relative_error(got.loss, expected.loss) < 1e-12
    assert relative_error(got.grad, expected.grad) < 1e-12
    assert got.terms == pytest.approx(expected.terms, rel=1e-12)


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


# --- the device's own steps equal the standard's ------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_logistic_function_equals_the_standards_formula(namespace, dispatch, dtype):
    """PyTorch and CuPy have a fused sigmoid (one pass over the array, not
    nine): the device uses it, and it equals the standard's formula to a
    few ulps from exp's overflow to 1, with no inf, nan or warning;
    array-api-strict uses the formula itself."""
    z = np.concatenate(
        [np.linspace(-800, 800, 8001), np.random.RandomState(0).normal(0, 8, 7999)]
    ).reshape(-1, 8)
    Z = namespace.asarray(z, dtype)
    ops = ops_for(Z)
    assert (ops._logistic is not None) == namespace.name.startswith(("torch", "cupy"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fused = namespace.to_numpy(ops.sigmoid(Z))
        standard = namespace.to_numpy(standard_logistic(ops.xp, Z))
    assert fused.dtype == standard.dtype == dtype
    assert np.all((fused >= 0) & (fused <= 1))
    finfo = np.finfo(dtype)
    # Below exp's overflow the fused 1 / (1 + inf) is 0 where the formula
    # keeps exp(z)'s subnormals: an absolute difference below the smallest
    # normal number there, a relative one of a few ulps everywhere else.
    assert np.all(np.abs(fused - standard) <= 4 * finfo.eps * standard + finfo.tiny)
    # Both are scipy's expit on the host, to as much.
    host = expit(z.astype(dtype))
    for values in (fused, standard):
        assert np.all(np.abs(values - host) <= 4 * finfo.eps * host + finfo.tiny)
    assert fused[z > 0].min() > 0.5 > fused[z < 0].max()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_fused_logistic_slope_equals_the_standards_steps(
    namespace, dispatch, dtype
):
    """delta * A * (1 - A), the backward step through every sigmoid layer:
    PyTorch's fused one (one pass, not three) is used and equals the
    standard's in-place steps to a few ulps."""
    rng = np.random.RandomState(2)
    delta, a = rng.normal(size=(41, 9)), rng.uniform(size=(41, 9))
    a[0, :3] = [0.0, 1.0, 0.5]
    standard = delta.astype(dtype) * a.astype(dtype) * (1 - a.astype(dtype))
    ops = ops_for(namespace.asarray(a, dtype))
    assert (ops._logistic_slope is not None) == namespace.name.startswith("torch")
    # (copies: the standard's steps write into delta, which may share memory)
    fused = namespace.to_numpy(
        ops.times_logistic_slope(
            namespace.asarray(delta.astype(dtype)), namespace.asarray(a, dtype)
        )
    )
    assert fused.dtype == dtype
    assert np.all(np.abs(fused - standard) <= 4 * np.finfo(dtype).eps * abs(standard))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_device_dot_is_the_sum_of_the_products(namespace, dispatch, dtype):
    """``ops.dot`` (the squared error, and the cross-entropy's x . z) as one
    1-D product: sum(A * B) as NumPy's vdot gives it, a 0-d float64 array."""
    rng = np.random.RandomState(1)
    a, b = rng.normal(size=(37, 11)), rng.normal(size=(37, 11))
    A, B = namespace.asarray(a, dtype), namespace.asarray(b, dtype)
    ops = ops_for(A)
    product = ops.dot(A, B)
    assert product.shape == () and ops.xp.isdtype(product.dtype, ops.xp.float64)
    expected = np.vdot(a.astype(dtype), b.astype(dtype))
    tolerance = 1e-13 if dtype == np.float64 else 1e-5
    assert relative_error(float(namespace.to_numpy(product)), expected) < tolerance


def test_auto_chunks_on_a_device_are_bounded_by_memory_not_cache():
    for n_samples, n_features in [(10, 4), (10**6, 784), (3 * 10**5, 64)]:
        rows = ArrayAPIRunner.chunk_rows("auto", n_samples, n_features)
        assert 1 <= rows <= n_samples
        assert rows == min(n_samples, _DEVICE_CHUNK_ENTRIES // n_features)


class _LiveTensorBytes:
    """The bytes of the tensors PyTorch allocates inside the block, counted as
    they are made and as they are freed; ``peak`` is the most alive at once.

    Every operation's results that own new memory count (views and in-place
    results, which reuse an input's, do not); each is uncounted when it is
    freed.
    """

    def __init__(self, torch):
        from torch.utils._python_dispatch import TorchDispatchMode
        from torch.utils._pytree import tree_flatten

        counter = self

        class Mode(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                result = func(*args, **(kwargs or {}))
                inputs = {
                    item.untyped_storage().data_ptr()
                    for item in tree_flatten((args, kwargs))[0]
                    if isinstance(item, torch.Tensor)
                }
                for item in tree_flatten(result)[0]:
                    if not isinstance(item, torch.Tensor) or item._is_view():
                        continue
                    storage = item.untyped_storage()
                    if storage.data_ptr() not in inputs:
                        counter.allocated(item, storage.nbytes())
                return result

        self.mode = Mode()
        self.live = self.peak = 0

    def allocated(self, tensor, n_bytes):
        self.live += n_bytes
        self.peak = max(self.peak, self.live)
        weakref.finalize(tensor, self.freed, n_bytes)

    def freed(self, n_bytes):
        self.live -= n_bytes

    def __enter__(self):
        self.mode.__enter__()
        return self

    def __exit__(self, *exc_info):
        return self.mode.__exit__(*exc_info)


def _peak_bytes_of_an_evaluation(torch, estimator, X, targets, options, theta):
    with executor_for(X).objective(estimator._objective, X, *targets, **options) as k:
        k(theta)  # the first evaluation may make what the next ones reuse
        with _LiveTensorBytes(torch) as counted:
            k(theta)
    return counted.peak, k.chunk_size


@pytest.mark.parametrize("model_class", MODELS)
def test_chunk_size_bounds_the_device_memory_an_evaluation_adds(dispatch, model_class):
    # The GPUs page's bound: beyond X, at most about 6 * chunk_size *
    # (n_features + the hidden widths) entries for the chunk's steps, the
    # stored activations of every row (n_samples * the hidden widths) and 4
    # parameter-sized vectors (theta, its cast, the gradient's shares and
    # totals), float64.
    torch, device = _torch_device("cpu")
    n_samples, n_features = 600, 50
    X = torch.asarray(unit_data(n_samples, n_features), device=device)
    estimator = _quick(model_class)
    if model_class is SparseAutoencoderClassifier:
        widths = estimator.hidden_layer_sizes
        targets, options = (
            (_labels(n_samples),),
            dict(hidden_layer_sizes=widths, n_classes=3),
        )
        n_parameters = ClassifierLayout(n_features, widths, 3).n_parameters
    else:
        widths = (
            estimator.hidden_layer_sizes
            if model_class is DeepSparseAutoencoder
            else (estimator.n_components,)
        )
        targets, options = (), {}
        n_parameters = estimator._layout(n_features).n_parameters
    theta = np.random.RandomState(0).uniform(-0.1, 0.1, n_parameters)

    def bound(chunk_rows):
        chunk_entries = 6 * chunk_rows * (n_features + sum(widths))
        return 8 * (chunk_entries + n_samples * sum(widths) + 4 * n_parameters)

    estimator.set_params(chunk_size=10)
    peak, chunk_rows = _peak_bytes_of_an_evaluation(
        torch, estimator, X, targets, options, theta
    )
    assert chunk_rows == 10
    assert peak <= bound(chunk_rows)
    # One chunk of every row goes past it: what is counted is what a chunk
    # allocates.
    estimator.set_params(chunk_size=None)
    whole, _ = _peak_bytes_of_an_evaluation(
        torch, estimator, X, targets, options, theta
    )
    assert whole > bound(chunk_rows)


# --- what crosses between host and device -------------------------------------


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_each_evaluation_sends_theta_up_once_and_brings_the_sums_down_once(
    dispatch, monkeypatch, weighted
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
    # Sample weights go to X's device once, with the kernel: none of an
    # evaluation's crossings is theirs.
    weights = np.arange(40) % 4 + 0.5 if weighted else None
    with executor_for(X_device).objective(
        estimator._objective, X_device, sample_weight=weights
    ) as kernel:
        if weighted:
            assert kernel.sample_weight.device == X_device.device
        ops = kernel._ops
        crossings.clear()
        for seed in range(3):
            theta = np.random.RandomState(seed).uniform(-0.5, 0.5, n_parameters)
            kernel(theta)
    assert ops.transfers == {"to_device": 3, "to_host": 3}
    # The one copy down of each evaluation is its one move off the device.
    assert len(crossings) == 3, crossings


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_a_fit_moves_theta_and_the_sums_once_per_evaluation(
    dispatch, monkeypatch, weighted
):
    made = []
    original_init = ArrayAPIOps.__init__

    def recording_init(self, xp, device):
        original_init(self, xp, device)
        made.append(self)

    monkeypatch.setattr(ArrayAPIOps, "__init__", recording_init)
    evaluations = []
    original_evaluate = ChunkedObjective.evaluate

    def counted_evaluate(self, theta):
        evaluations.append(self._ops)
        return original_evaluate(self, theta)

    monkeypatch.setattr(ChunkedObjective, "evaluate", counted_evaluate)
    namespace = Namespace("strict-device1")
    X_device = namespace.asarray(unit_data(40, 6))
    # Weights given on X's device (zeros among them): gathered once when
    # checked, sent with each kernel once, never per evaluation.
    weights = namespace.asarray(np.arange(40.0) % 3) if weighted else None
    for model_class in MODELS:
        made.clear()
        evaluations.clear()
        model = _quick(model_class, max_iter=8)
        quietly(
            model.fit, X_device, namespace.asarray(_labels(40)), sample_weight=weights
        )
        # Every kernel of the fit (pretraining stages, the softmax layer and
        # fine-tuning included) made one copy up and one down per evaluation.
        kernels = [ops for ops in made if ops.transfers["to_host"]]
        assert kernels and len(evaluations) >= model.n_iter_
        for ops in kernels:
            n_evaluations = sum(ops is evaluated for evaluated in evaluations)
            assert ops.transfers == {
                "to_device": n_evaluations,
                "to_host": n_evaluations,
            }


# --- fits, and everything following X -----------------------------------------


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("model_class", MODELS)
def test_a_short_fit_agrees_with_the_numpy_fit(namespace, model_class, weighted):
    X, y = unit_data(60, 7), _labels(60)
    # Weighted: zeros, and weights given on X's device.
    weights = np.arange(60) % 4 * 0.75 if weighted else None
    on_numpy = quietly(_quick(model_class).fit, X, y, sample_weight=weights)
    with sklearn.config_context(array_api_dispatch=True):
        X_device = namespace.asarray(X)
        on_device = quietly(
            _quick(model_class).fit,
            X_device,
            namespace.asarray(y),
            sample_weight=None if weights is None else namespace.asarray(weights),
        )
        codes = on_device.transform(X_device)
    assert on_device.n_iter_ == on_numpy.n_iter_
    assert relative_error(on_device.loss_, on_numpy.loss_) < 1e-10
    np.testing.assert_allclose(on_device.loss_curve_, on_numpy.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(
        namespace.to_numpy(codes), on_numpy.transform(X), rtol=1e-8, atol=1e-12
    )


def _fitted_arrays(model):
    if isinstance(model, SparseAutoencoder):
        return [model.components_, model.decoder_components_] + [
            model.intercept_hidden_,
            model.intercept_visible_,
        ]
    if isinstance(model, ReconstructionICA):
        return [model.components_]
    return model.coefs_ + model.intercepts_


@pytest.mark.parametrize("model_class", MODELS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fitted_arrays_and_outputs_follow_X(namespace, dispatch, model_class, dtype):
    X_device = namespace.asarray(unit_data(40, 6), dtype)
    y_device = namespace.asarray(_labels(40))
    xp, _, device = array_api_tools.get_namespace_and_device(X_device)
    model = quietly(_quick(model_class).fit, X_device, y_device)
    codes = model.transform(X_device)
    outputs = [codes]
    if model_class is SparseAutoencoderClassifier:
        outputs += [model.predict_proba(X_device), model.predict_log_proba(X_device)]
        labels = model.predict(X_device)
        assert array_api_tools.get_namespace_and_device(labels)[2] == device
        score = model.score(X_device, y_device)
        assert type(score) is float and 0 <= score <= 1
    else:
        outputs += [model.inverse_transform(codes)]
        assert outputs[-1].shape == X_device.shape
    if hasattr(model, "fit_transform"):
        outputs.append(quietly(_quick(model_class).fit_transform, X_device, y_device))
    if hasattr(model, "score") and model_class is not SparseAutoencoderClassifier:
        score = model.score(X_device)
        assert type(score) is float and score < 0
    for array in _fitted_arrays(model) + outputs:
        array_xp, _, array_device = array_api_tools.get_namespace_and_device(array)
        assert array_xp is xp
        assert array_device == device
        assert array.dtype == X_device.dtype


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


def test_sparse_coding_says_why_it_has_no_array_api_support(dispatch):
    X_device = Namespace("strict-CPU_DEVICE").asarray(unit_data(40, 6))
    model = TopographicSparseCoding(4, max_iter=2, random_state=0)
    with pytest.raises(TypeError, match="has no array API support yet, because"):
        model.fit(X_device)
    assert not hasattr(model, "components_")


def test_a_device_without_float64_is_refused_with_what_to_do(dispatch, monkeypatch):
    X_device = Namespace("strict-CPU_DEVICE").asarray(unit_data(40, 6, seed=3))
    # scikit-learn's answer for X's device, as the package imports it.
    monkeypatch.setattr(
        skl_sparseae._sklearn_private,
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


def test_string_labels_stay_on_the_host_and_numeric_ones_follow_x(dispatch):
    namespace = Namespace("strict-device1")
    X_device = namespace.asarray(unit_data(60, 5))
    names = np.array(["a", "b", "c"])[_labels(60)]
    on_strings = quietly(_quick(SparseAutoencoderClassifier).fit, X_device, names)
    predicted = on_strings.predict(X_device)
    assert isinstance(predicted, np.ndarray) and set(predicted) <= {"a", "b", "c"}
    on_numbers = quietly(_quick(SparseAutoencoderClassifier).fit, X_device, _labels(60))
    numbers = on_numbers.predict(X_device)
    assert array_api_tools.get_namespace_and_device(numbers)[2] == X_device.device
    # The same network on either kind of label predicts the same classes.
    np.testing.assert_array_equal(
        names[namespace.to_numpy(numbers).astype(int)], predicted
    )
