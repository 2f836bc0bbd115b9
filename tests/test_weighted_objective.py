"""The weighted objectives, kernel and executors: J's mean over the samples
and every rho_hat become weighted means, sum_i w_i (.) / sum_i w_i. Integer
weights give the J and gradient of repeated rows, zero weights those of
dropped rows, the gradient is exact, and every executor computes the same.
(The estimators' fits with weights: tests/test_sample_weight.py.)"""

import itertools

import numpy as np
import pytest
from helpers import gradient_check_ratio, relative_error

from skl_sparseae import (
    DeepSparseAutoencoder,
    ReconstructionICA,
    SparseAutoencoder,
    SparseAutoencoderClassifier,
    TopographicSparseCoding,
)
from skl_sparseae._executors import IN_MEMORY, executor_for
from skl_sparseae._gradient_check import numerical_gradient

RNG = np.random.RandomState(0)
X = RNG.uniform(0.05, 0.95, size=(23, 6))
LABELS = RNG.randint(0, 3, size=23)
# Integers from 0 to 3: zero weights among them.
WEIGHTS = RNG.randint(0, 4, size=23).astype(np.float64)


def autoencoder_cases():
    for loss, decoder, tied in itertools.product(
        ["squared_error", "cross_entropy"], ["logistic", "identity"], [False, True]
    ):
        if loss == "cross_entropy" and decoder == "identity":
            continue
        options = dict(loss=loss, decoder_activation=decoder, tied_weights=tied)
        yield (
            f"SAE {loss} {decoder} tied={tied}",
            SparseAutoencoder(4, rho=0.1, alpha=1e-3, chunk_size=5, **options),
        )
        yield (
            f"deep {loss} {decoder} tied={tied}",
            DeepSparseAutoencoder(
                (4, 3),
                rho=(0.1, 0.2),
                beta=(3.0, 1.0),
                alpha=1e-3,
                chunk_size=5,
                **options,
            ),
        )


CASES = dict(autoencoder_cases())
CASES["classifier"] = SparseAutoencoderClassifier((4,), alpha=1e-3, chunk_size=5)
CASES["classifier, softmax only"] = SparseAutoencoderClassifier((), chunk_size=5)
CASES["RICA"] = ReconstructionICA(5, chunk_size=5)
CASES["RICA normalize_filters"] = ReconstructionICA(
    5, normalize_filters=True, chunk_size=5
)
# Sparse coding's variables include one row of codes per sample: its
# repetition tests are of their own, below.
ROW_CASES = list(CASES)
CASES["sparse coding"] = TopographicSparseCoding(4, neighborhood_size=2, chunk_size=5)
CASES["sparse coding, plain L1"] = TopographicSparseCoding(
    5, neighborhood_size=1, chunk_size=5
)


def objective(estimator, X, labels=None, sample_weight=None, executor=IN_MEMORY):
    """The estimator's training objective on X (and labels), with weights."""
    if isinstance(estimator, SparseAutoencoderClassifier):
        sizes = estimator.hidden_layer_sizes
        return executor.objective(
            estimator._objective,
            X,
            labels,
            hidden_layer_sizes=sizes,
            n_classes=3,
            sample_weight=sample_weight,
        )
    return executor.objective(estimator._objective, X, sample_weight=sample_weight)


def n_parameters(objective):
    return (
        objective.layout.n_parameters
        if hasattr(objective, "layout")
        else (objective.n_parameters)
    )


def evaluate(estimator, X, labels=None, sample_weight=None, theta=None):
    with objective(estimator, X, labels, sample_weight) as J:
        if theta is None:
            theta = np.random.RandomState(1).uniform(-0.5, 0.5, n_parameters(J))
        loss, grad = J(theta)
        return loss, grad.copy(), theta


@pytest.mark.parametrize("name", ROW_CASES)
def test_integer_weights_give_the_objective_of_repeated_rows(name):
    estimator = CASES[name]
    loss, grad, theta = evaluate(estimator, X, LABELS, WEIGHTS)
    repeats = WEIGHTS.astype(int)
    repeated = np.repeat(X, repeats, axis=0), np.repeat(LABELS, repeats)
    loss_repeated, grad_repeated, _ = evaluate(estimator, *repeated, theta=theta)
    assert loss == pytest.approx(loss_repeated, rel=1e-13)
    assert relative_error(grad, grad_repeated) < 1e-13


@pytest.mark.parametrize("name", ROW_CASES)
def test_zero_weights_give_the_objective_without_those_rows(name):
    estimator = CASES[name]
    weights = (WEIGHTS > 1).astype(np.float64)
    loss, grad, theta = evaluate(estimator, X, LABELS, weights)
    kept = weights > 0
    loss_kept, grad_kept, _ = evaluate(estimator, X[kept], LABELS[kept], theta=theta)
    assert loss == pytest.approx(loss_kept, rel=1e-13)
    assert relative_error(grad, grad_kept) < 1e-13


@pytest.mark.parametrize("name", CASES)
def test_the_weighted_gradient_is_exact(name):
    estimator = CASES[name]
    # Real weights, not integers: the weighted mean, not a repetition.
    weights = np.random.RandomState(2).uniform(0.0, 3.0, size=X.shape[0])
    with objective(estimator, X, LABELS, weights) as J:
        for seed in range(2):
            theta = np.random.RandomState(seed).uniform(-0.5, 0.5, n_parameters(J))
            # The central difference's own error is O(step^2): RICA's J is
            # quartic in W (check_gradient's step for it, 1e-6), and at these
            # points the classifier's unweighted J too needs 1e-5 to reach
            # 1e-9 (1.6e-9 at 1e-4, 3.8e-10 at 1e-5). Sparse coding: its
            # check_gradient step, 1e-5 (3.4e-9 at 1e-4).
            step = {
                ReconstructionICA: 1e-6,
                SparseAutoencoderClassifier: 1e-5,
                TopographicSparseCoding: 1e-5,
            }.get(type(estimator), 1e-4)
            numerical = numerical_gradient(J, theta, step)
            assert gradient_check_ratio(numerical, J(theta)[1]) < 1e-9


@pytest.mark.parametrize("name", CASES)
def test_equal_weights_give_the_unweighted_objective(name):
    estimator = CASES[name]
    loss, grad, theta = evaluate(estimator, X, LABELS, np.full(X.shape[0], 2.5))
    loss_unweighted, grad_unweighted, _ = evaluate(estimator, X, LABELS, theta=theta)
    assert loss == pytest.approx(loss_unweighted, rel=1e-13)
    assert relative_error(grad, grad_unweighted) < 1e-13


@pytest.mark.parametrize(
    "name",
    [
        "SAE squared_error logistic tied=False",
        "deep cross_entropy logistic tied=True",
        "classifier",
        "RICA normalize_filters",
    ],
)
def test_dask_blocks_compute_the_weighted_objective_of_the_threads(name):
    da = pytest.importorskip("dask.array")
    from skl_sparseae._executors import DASK

    estimator = CASES[name]
    loss, grad, theta = evaluate(estimator, X, LABELS, WEIGHTS)
    X_dask = da.from_array(X, chunks=(7, 6))
    with objective(estimator, X_dask, LABELS, WEIGHTS, executor=DASK) as J:
        loss_dask, grad_dask = J(theta)
    assert loss_dask == pytest.approx(loss, rel=1e-12)
    assert relative_error(grad_dask, grad) < 1e-12


@pytest.mark.parametrize(
    "name",
    [
        "SAE cross_entropy logistic tied=False",
        "deep squared_error identity tied=False",
        "classifier",
        "RICA",
    ],
)
def test_a_device_computes_the_weighted_objective_of_numpy(name):
    array_api_strict = pytest.importorskip("array_api_strict")
    import sklearn

    estimator = CASES[name]
    loss, grad, theta = evaluate(estimator, X, LABELS, WEIGHTS)
    X_device = array_api_strict.asarray(X, device=array_api_strict.Device("device1"))
    with sklearn.config_context(array_api_dispatch=True):
        executor = executor_for(X_device)
        with objective(estimator, X_device, LABELS, WEIGHTS, executor=executor) as J:
            assert J.sample_weight.device == X_device.device
            loss_device, grad_device = J(theta)
    assert loss_device == pytest.approx(loss, rel=1e-12)
    assert relative_error(grad_device, grad) < 1e-12


def sparse_coding_parts(theta, n_samples):
    """(D, S) of a sparse coding theta: 4 atoms of 6 features."""
    return theta[:24].reshape(4, 6), theta[24:].reshape(n_samples, 4)


@pytest.mark.parametrize("codes_step", [False, True], ids=["joint", "codes step"])
def test_sparse_coding_weights_give_the_objective_of_repeated_rows(codes_step):
    """J of weighted rows is J of repeated rows whose codes are repeated too;
    a sample's codes gradient is the sum of its copies' (each copy's is
    1/M of the sample's term's, the weighted one w_i / sum w of it)."""
    estimator = CASES["sparse coding"]
    rng = np.random.RandomState(3)
    D = rng.uniform(-0.5, 0.5, (4, 6))
    S = rng.uniform(-1, 1, (X.shape[0], 4))
    repeats = WEIGHTS.astype(int)
    options = {"dictionary": D} if codes_step else {}

    def evaluate_codes(X_rows, S_rows, sample_weight=None):
        theta = S_rows.ravel() if codes_step else np.r_[D.ravel(), S_rows.ravel()]
        with IN_MEMORY.objective(
            estimator._objective, X_rows, sample_weight=sample_weight, **options
        ) as J:
            loss, grad = J(theta)
        n_codes = S_rows.size
        return loss, grad[:-n_codes], grad[-n_codes:].reshape(S_rows.shape)

    loss, grad_D, grad_S = evaluate_codes(X, S, WEIGHTS)
    loss_repeated, grad_D_repeated, grad_S_repeated = evaluate_codes(
        np.repeat(X, repeats, axis=0), np.repeat(S, repeats, axis=0)
    )
    assert loss == pytest.approx(loss_repeated, rel=1e-13)
    if not codes_step:
        assert relative_error(grad_D, grad_D_repeated) < 1e-13
    copies_summed = np.add.reduceat(grad_S_repeated, np.cumsum(repeats) - repeats)
    copies_summed[repeats == 0] = 0.0  # reduceat's empty slices
    assert relative_error(grad_S, copies_summed) < 1e-13
    # A zero weight: its codes do not move J.
    assert np.all(grad_S[repeats == 0] == 0.0)


def test_sparse_coding_weighted_dictionary_step_minimises_the_weighted_J():
    """(S^T W S + sum(w) alpha I) D = S^T W X: the dictionary's gradient of
    the weighted J is zero there, and it is the step of the repeated rows."""
    estimator = CASES["sparse coding"]
    S = np.random.RandomState(4).uniform(-1, 1, (X.shape[0], 4))
    D0 = np.zeros((4, 6))
    with IN_MEMORY.objective(
        estimator._objective, X, dictionary=D0, sample_weight=WEIGHTS
    ) as J:
        D = J.dictionary_step(S.ravel())
    repeats = WEIGHTS.astype(int)
    with IN_MEMORY.objective(
        estimator._objective, np.repeat(X, repeats, axis=0), dictionary=D0
    ) as J_repeated:
        D_repeated = J_repeated.dictionary_step(np.repeat(S, repeats, axis=0).ravel())
    assert relative_error(D, D_repeated) < 1e-12
    with IN_MEMORY.objective(estimator._objective, X, sample_weight=WEIGHTS) as J:
        _, grad = J(np.r_[D.ravel(), S.ravel()])
    # The data's scale of the dictionary's gradient is O(1).
    assert np.max(np.abs(grad[:24])) < 1e-12


@pytest.mark.parametrize(
    "name",
    [
        "SAE squared_error logistic tied=False",
        "deep cross_entropy logistic tied=True",
        "classifier",
        "RICA",
        "sparse coding",
    ],
)
def test_weighted_sums_have_the_same_bits_on_any_number_of_threads(name):
    """The threads' shares of the weighted sums are added in chunk order, as
    the unweighted ones: 1, 2 or 4 threads give the same bits."""
    from skl_sparseae._runners import ThreadRunner

    estimator = CASES[name]
    options = {}
    if isinstance(estimator, SparseAutoencoderClassifier):
        options = dict(hidden_layer_sizes=estimator.hidden_layer_sizes, n_classes=3)
    targets = (LABELS,) if options else ()
    weights = np.random.RandomState(6).uniform(0.0, 3.0, size=X.shape[0])
    results = []
    for n_threads in (1, 2, 4):
        with estimator._objective(
            X,
            *targets,
            runner=ThreadRunner(n_threads),
            sample_weight=weights,
            weight_sum=float(np.sum(weights)),
            **options,
        ) as J:
            theta = np.random.RandomState(1).uniform(-0.5, 0.5, n_parameters(J))
            loss, grad = J(theta)
            results.append((loss, grad.copy()))
    for loss, grad in results[1:]:
        assert loss == results[0][0]
        np.testing.assert_array_equal(grad, results[0][1])
