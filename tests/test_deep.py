"""DeepSparseAutoencoder as a user sees it, and its objective as a specification."""

import itertools
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import quietly, unit_data
from scipy.special import expit
from sklearn.datasets import load_digits
from sklearn.preprocessing import MinMaxScaler

from skl_sparseae import DeepSparseAutoencoder, SparseAutoencoder, check_gradient
from skl_sparseae._autoencoder_objective import AutoencoderObjective
from skl_sparseae._executors import IN_MEMORY
from skl_sparseae._layouts import NetworkLayout
from skl_sparseae._reference import deep_loss_grad_reference, loss_grad_reference
from skl_sparseae._runners import ThreadRunner


def quick(sizes=(6, 3), **params):
    params.setdefault("max_iter", 60)
    params.setdefault("random_state", 0)
    return DeepSparseAutoencoder(sizes, **params)


# The objective ----------------------------------------------------------------

GRADIENT_CASES = [
    (sizes, loss, decoder, tied, per_layer)
    for sizes, (loss, decoder), tied, per_layer in itertools.product(
        [(4,), (5, 3), (5, 4, 2)],
        [
            ("squared_error", "logistic"),
            ("squared_error", "identity"),
            ("cross_entropy", "logistic"),
        ],
        [False, True],
        [False, True],
    )
]


@pytest.mark.parametrize("sizes, loss, decoder, tied, per_layer", GRADIENT_CASES)
def test_check_gradient_below_1e9_for_every_option_combination(
    sizes, loss, decoder, tied, per_layer
):
    depth = len(sizes)
    rho = (0.05, 0.2, 0.1)[:depth] if per_layer else 0.05
    beta = (3.0, 0.5, 2.0)[:depth] if per_layer else 3.0
    model = DeepSparseAutoencoder(
        sizes,
        rho=rho,
        beta=beta,
        alpha=1e-3,
        loss=loss,
        decoder_activation=decoder,
        tied_weights=tied,
    )
    X = np.random.RandomState(1).uniform(0.05, 0.95, size=(12, 6))
    for seed in range(2):
        assert check_gradient(model, X, random_state=seed) < 1e-9


def test_one_layer_without_pretraining_is_the_sparse_autoencoder():
    X = unit_data(60)
    deep = DeepSparseAutoencoder(
        (5,), rho=0.01, pretrain=False, random_state=3, max_iter=40, tol=0
    )
    single = SparseAutoencoder(5, random_state=3, max_iter=40, tol=0)
    quietly(deep.fit, X)
    quietly(single.fit, X)
    # Same J and gradient at the same parameters ...
    theta = single._packed_parameters()
    with (
        IN_MEMORY.objective(deep._objective, X) as deep_objective,
        IN_MEMORY.objective(single._objective, X) as objective,
    ):
        J_deep, grad_deep = deep_objective(theta)
        J, grad = objective(theta)
    assert J_deep == J
    np.testing.assert_array_equal(grad_deep, grad)
    # ... and the same fitted parameters, initialisation included.
    np.testing.assert_allclose(deep.coefs_[0].T, single.components_, rtol=1e-12)
    np.testing.assert_allclose(deep.coefs_[1], single.decoder_components_, rtol=1e-12)
    np.testing.assert_allclose(
        deep.mean_activation_[0], single.mean_activation_, rtol=1e-12
    )
    np.testing.assert_allclose(deep.intercepts_[0], single.intercept_hidden_)
    np.testing.assert_allclose(deep.intercepts_[1], single.intercept_visible_)
    assert deep.loss_ == pytest.approx(single.loss_, rel=1e-12)


def test_loss_is_the_reference_objective_at_the_fitted_parameters():
    X = unit_data(60)
    model = quietly(quick((5, 3), rho=(0.05, 0.1), beta=(3.0, 1.0)).fit, X)
    J, _ = deep_loss_grad_reference(
        model._packed_parameters(),
        X,
        hidden_layer_sizes=(5, 3),
        rho=(0.05, 0.1),
        beta=(3.0, 1.0),
        alpha=model.alpha,
        loss=model.loss,
        decoder_activation=model.decoder_activation,
        tied_weights=False,
    )
    assert model.loss_ == pytest.approx(J, rel=1e-12)


# Fitted attributes --------------------------------------------------------------


@pytest.mark.parametrize("tied", [False, True])
def test_coefs_follow_the_mlp_convention(tied):
    model = quietly(quick((6, 3), tied_weights=tied).fit, unit_data(60))
    assert [W.shape for W in model.coefs_] == [(8, 6), (6, 3), (3, 6), (6, 8)]
    assert [b.shape for b in model.intercepts_] == [(6,), (3,), (6,), (8,)]
    if tied:
        np.testing.assert_array_equal(model.coefs_[2], model.coefs_[1].T)
        np.testing.assert_array_equal(model.coefs_[3], model.coefs_[0].T)
    assert model.n_iter_ == len(model.loss_curve_)


@pytest.mark.parametrize("decoder", ["logistic", "identity"])
def test_transform_and_inverse_transform_are_the_forward_pass(decoder):
    X = unit_data(60)
    model = quietly(quick((6, 3), decoder_activation=decoder).fit, X)
    A = X
    activations = []
    for W, b in zip(model.coefs_, model.intercepts_, strict=True):
        A = A @ W + b
        activations.append(A)
        A = expit(A)
    X_hat = expit(activations[-1]) if decoder == "logistic" else activations[-1]
    H = model.transform(X)
    np.testing.assert_allclose(H, expit(activations[1]), rtol=1e-12)
    np.testing.assert_allclose(model.inverse_transform(H), X_hat, rtol=1e-10)
    expected = -np.mean(0.5 * np.sum((X_hat - X) ** 2, axis=1))
    assert model.score(X) == pytest.approx(expected, rel=1e-10)
    np.testing.assert_allclose(
        quietly(quick((6, 3), decoder_activation=decoder).fit_transform, X),
        H,
        rtol=1e-12,
    )


def test_pretraining_records_each_stage_and_fine_tuning_starts_from_them(
    monkeypatch,
):
    X = MinMaxScaler().fit_transform(load_digits().data[:200])
    starts = []
    minimize = DeepSparseAutoencoder._minimize

    def recording(self, objective, theta0, *args, **kwargs):
        starts.append(theta0.copy())
        return minimize(self, objective, theta0, *args, **kwargs)

    monkeypatch.setattr(DeepSparseAutoencoder, "_minimize", recording)
    model = quietly(quick((12, 5), max_iter=300).fit, X)
    (theta0,) = starts
    _, rho, beta = model._options()
    coefs, intercepts = NetworkLayout(64, (12, 5), False).to_layers(theta0)
    options = dict(alpha=model.alpha, loss="squared_error", tied_weights=False)
    # Layer pair l of the start, as a one-layer autoencoder on its input, has
    # the J its pretraining stage recorded: the start is the stages' result.
    inputs = X
    for layer, width in enumerate((12, 5)):
        mirror = 3 - layer
        W1, b1 = coefs[layer].T, intercepts[layer]
        W2, b2 = coefs[mirror], intercepts[mirror]
        theta = np.concatenate([W1.ravel(), W2.ravel(), b1, b2])
        J, _ = loss_grad_reference(
            theta,
            inputs,
            n_components=width,
            rho=rho[layer],
            beta=beta[layer],
            decoder_activation=model.decoder_activation if layer == 0 else "logistic",
            **options,
        )
        assert J == pytest.approx(model.pretrain_losses_[layer], rel=1e-10)
        inputs = expit(inputs @ W1.T + b1)
    without = quietly(quick((12, 5), max_iter=300, pretrain=False).fit, X)
    assert without.pretrain_losses_ is None


def test_sparsity_reaches_every_encoder_layer():
    X = MinMaxScaler().fit_transform(load_digits().data[:300])
    model = quick((16, 8), rho=(0.05, 0.1), beta=3.0, max_iter=2000).fit(X)
    first = expit(X @ model.coefs_[0] + model.intercepts_[0])
    second = model.transform(X)
    assert abs(first.mean() - 0.05) < 0.02
    assert abs(second.mean() - 0.1) < 0.03


# Input types --------------------------------------------------------------------


def test_float32_trains_in_float32():
    X = unit_data(60).astype(np.float32)
    model = quietly(quick().fit, X)
    assert all(W.dtype == np.float32 for W in model.coefs_)
    assert model.transform(X).dtype == np.float32


def test_sparse_input_gives_the_dense_result():
    X = sp.random(50, 8, density=0.4, format="csr", random_state=0)
    dense = quietly(quick(tol=0, max_iter=15).fit, X.toarray())
    sparse = quietly(quick(tol=0, max_iter=15).fit, X)
    for a, b in zip(sparse.coefs_, dense.coefs_, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-8)


def test_pandas_in_set_output_out_and_pickle():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(unit_data(60), columns=[f"x{i}" for i in range(8)])
    model = quietly(quick().fit, X).set_output(transform="pandas")
    H = model.transform(X)
    assert list(H.columns) == [f"deepsparseautoencoder{i}" for i in range(3)]
    clone = pickle.loads(pickle.dumps(model))
    pd.testing.assert_frame_equal(clone.transform(X), H)


# Bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, message",
    [
        ({"hidden_layer_sizes": ()}, "at least one layer"),
        ({"hidden_layer_sizes": (4, 2.5)}, "sequence of positive ints"),
        ({"hidden_layer_sizes": (4, 0)}, "sequence of positive ints"),
        ({"hidden_layer_sizes": (4, True)}, "sequence of positive ints"),
        ({"rho": (0.05,)}, "rho has 1 values but the encoder has 2 layers"),
        ({"beta": (1.0, 2.0, 3.0)}, "beta has 3 values"),
        ({"rho": (0.05, 1.5)}, r"'rho' .* range \(0.0, 1.0\), or a sequence of such"),
        ({"beta": (1.0, -2.0)}, r"'beta' .* range \[0.0, inf\), or a sequence"),
        ({"beta": (1.0, np.inf)}, r"'beta' .* range \[0.0, inf\)"),
        ({"rho": 0.0}, "rho"),
        ({"alpha": -1.0}, "alpha"),
        ({"loss": "hinge"}, "loss"),
        ({"max_iter": True}, "max_iter"),
    ],
    ids=str,
)
def test_bad_hyperparameters_are_rejected(params, message):
    params = {"hidden_layer_sizes": (4, 2)} | params
    with pytest.raises(ValueError, match=message):
        DeepSparseAutoencoder(**params).fit(unit_data(60))


def test_bad_data_is_rejected_and_leaves_the_model_unfitted():
    model = quick()
    with pytest.raises(ValueError, match="NaN"):
        model.fit(np.array([[0.1, np.nan], [0.2, 0.3]]))
    with pytest.raises(ValueError, match=r"X in \[0, 1\]"):
        quick(loss="cross_entropy").fit(unit_data(60) * 3)
    assert not hasattr(model, "coefs_")


def test_engine_layout_matches_the_published_coefs():
    X = unit_data(60)
    model = quietly(quick((5, 3), tied_weights=True).fit, X)
    theta = model._packed_parameters()
    layout = NetworkLayout(8, (5, 3), True)
    with AutoencoderObjective(
        X,
        hidden_layer_sizes=(5, 3),
        rho=(0.05, 0.05),
        beta=(3.0, 3.0),
        alpha=model.alpha,
        loss=model.loss,
        decoder_activation=model.decoder_activation,
        tied_weights=True,
        runner=ThreadRunner(2),
    ) as objective:
        J, _ = objective(theta)
    assert theta.shape == (layout.n_parameters,)
    assert J == pytest.approx(model.loss_, rel=1e-12)
