"""SparseAutoencoderClassifier: the stacked autoencoder with fine-tuning."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import quietly
from scipy.special import expit, softmax
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler

from skl_sparseae import SparseAutoencoderClassifier, check_gradient
from skl_sparseae._classifier_objective import ClassifierObjective
from skl_sparseae._layouts import ClassifierLayout
from skl_sparseae._reference import classifier_loss_grad_reference
from skl_sparseae._runners import ThreadRunner


def digits(n_samples=400):
    X, y = load_digits(return_X_y=True)
    return MinMaxScaler().fit_transform(X)[:n_samples], y[:n_samples]


def quick(sizes=(16,), **params):
    params.setdefault("max_iter", 100)
    params.setdefault("pretrain_max_iter", 100)
    params.setdefault("random_state", 0)
    return SparseAutoencoderClassifier(sizes, **params)


# The fine-tuning objective ------------------------------------------------------


@pytest.mark.parametrize("sizes", [(5,), (5, 3), (6, 4, 3)], ids=str)
@pytest.mark.parametrize("n_classes", [2, 4])
def test_check_gradient_below_1e9(sizes, n_classes):
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(20, 7))
    y = np.arange(20) % n_classes
    model = SparseAutoencoderClassifier(sizes, alpha=1e-3)
    for seed in range(2):
        assert check_gradient(model, X, y=y, random_state=seed) < 1e-9


def test_check_gradient_uses_the_labelled_samples_only():
    X = np.random.RandomState(0).uniform(size=(20, 5))
    y = np.array([0, 1, -1, 2] * 5)
    model = SparseAutoencoderClassifier((4,), unlabelled_label=-1)
    assert check_gradient(model, X, y=y, random_state=0) < 1e-9
    with pytest.raises(ValueError, match="needs y"):
        check_gradient(model, X)


@pytest.mark.parametrize("sizes", [(), (5,), (5, 3)], ids=str)
@pytest.mark.parametrize("chunk_size, n_threads", [(None, 1), (7, 2)])
def test_engine_equals_the_plain_reference(sizes, chunk_size, n_threads):
    rng = np.random.RandomState(1)
    X, y = rng.uniform(size=(40, 6)), rng.randint(0, 3, 40)
    theta = rng.uniform(-1, 1, ClassifierLayout(6, sizes, 3).n_parameters)
    J_ref, grad_ref = classifier_loss_grad_reference(
        theta, X, y, hidden_layer_sizes=sizes, n_classes=3, alpha=1e-3
    )
    for data in [X, sp.csr_matrix(X)]:
        with ClassifierObjective(
            data,
            y,
            hidden_layer_sizes=sizes,
            n_classes=3,
            alpha=1e-3,
            chunk_size=chunk_size,
            runner=ThreadRunner(n_threads),
        ) as objective:
            J, grad = objective(theta)
        assert J == pytest.approx(J_ref, rel=1e-12)
        np.testing.assert_allclose(grad, grad_ref, rtol=1e-10, atol=1e-13)


# Fitted model -------------------------------------------------------------------


def test_predict_proba_is_softmax_of_the_forward_pass_through_coefs():
    X, y = digits()
    model = quietly(quick((16, 8)).fit, X, y)
    assert [W.shape for W in model.coefs_] == [(64, 16), (16, 8), (8, 10)]
    A = X
    for W, b in zip(model.coefs_[:-1], model.intercepts_[:-1], strict=True):
        A = expit(A @ W + b)
    proba = softmax(A @ model.coefs_[-1] + model.intercepts_[-1], axis=1)
    np.testing.assert_allclose(model.predict_proba(X), proba, rtol=1e-10)
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(proba), atol=1e-10)
    np.testing.assert_array_equal(model.predict(X), model.classes_[proba.argmax(1)])
    np.testing.assert_allclose(model.transform(X), A, rtol=1e-12)


def test_fine_tuning_lowers_the_objective_and_helps_accuracy():
    X, y = digits(1000)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    greedy = quietly(quick((32,), fine_tune=False, max_iter=500).fit, X_train, y_train)
    tuned = quietly(quick((32,), max_iter=500).fit, X_train, y_train)
    assert tuned.loss_ < greedy.loss_
    assert tuned.score(X_test, y_test) >= greedy.score(X_test, y_test)
    assert tuned.score(X_test, y_test) > 0.9
    assert len(tuned.pretrain_losses_) == 1 and np.isfinite(tuned.softmax_loss_)


def test_unlabelled_samples_pretrain_but_are_never_a_class():
    X, y = digits()
    y = y.copy()
    y[100:] = -1
    model = quietly(quick(unlabelled_label=-1).fit, X, y)
    assert -1 not in model.classes_
    np.testing.assert_array_equal(model.classes_, np.unique(y[:100]))


def test_without_a_marker_every_label_is_a_class():
    X, y = digits(200)
    y = np.where(y < 5, -1, 1)
    model = quietly(quick().fit, X, y)
    np.testing.assert_array_equal(model.classes_, [-1, 1])


def test_every_sample_unlabelled_is_an_error():
    X, _ = digits(50)
    with pytest.raises(ValueError, match="Every sample is unlabelled"):
        quick(unlabelled_label=-1).fit(X, np.full(50, -1))


def test_string_labels_and_a_string_marker():
    X, y = digits(200)
    names = np.array(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "unknown",
        ],
        dtype=object,
    )
    labels = names[np.where(np.arange(200) < 150, y, 10)]
    model = quietly(quick(unlabelled_label="unknown").fit, X, labels)
    assert "unknown" not in model.classes_
    assert set(model.predict(X)) <= set(model.classes_)


# Input types and errors ---------------------------------------------------------


def test_float32_csr_pickle():
    X, y = digits(200)
    model32 = quietly(quick().fit, X.astype(np.float32), y)
    assert model32.coefs_[0].dtype == np.float32
    assert model32.predict_proba(X.astype(np.float32)).dtype == np.float32
    # Few iterations: L-BFGS amplifies the rounding differences of sparse
    # products over many.
    short = {"max_iter": 10, "pretrain_max_iter": 10, "tol": 0}
    sparse = quietly(quick(**short).fit, sp.csr_matrix(X), y)
    dense = quietly(quick(**short).fit, X, y)
    np.testing.assert_allclose(
        sparse.predict_proba(X), dense.predict_proba(X), atol=1e-6
    )
    clone = pickle.loads(pickle.dumps(dense))
    np.testing.assert_array_equal(clone.predict_proba(X), dense.predict_proba(X))


@pytest.mark.parametrize(
    "params, message",
    [
        ({"hidden_layer_sizes": ()}, "at least one layer"),
        ({"hidden_layer_sizes": (4, 0)}, "sequence of positive ints"),
        ({"beta": np.inf}, r"'beta' .* range \[0.0, inf\)"),
        ({"rho": (0.05, 0.1)}, "rho has 2 values but the encoder has 1 layers"),
        ({"max_iter": 0}, "max_iter"),
    ],
    ids=str,
)
def test_bad_hyperparameters_are_rejected(params, message):
    X, y = digits(50)
    with pytest.raises(ValueError, match=message):
        SparseAutoencoderClassifier(**({"hidden_layer_sizes": (4,)} | params)).fit(X, y)


def test_failed_fit_leaves_the_classifier_unfitted():
    X, y = digits(50)
    model = quick()
    with pytest.raises(ValueError, match="at least 2 classes; got 1 class"):
        model.fit(X, np.zeros(50))
    assert not hasattr(model, "classes_")
