"""The deep objective: exact against finite differences, and the chunked,
threaded, float32 engine equal to the plain reference at every depth."""

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import VALID_OPTIONS, random_theta, unit_data

from skl_sparseae import loss_grad_reference, numerical_gradient
from skl_sparseae._autoencoder_objective import AutoencoderObjective
from skl_sparseae._layouts import NetworkLayout
from skl_sparseae._reference import deep_loss_grad_reference
from skl_sparseae._runners import ThreadRunner

DEPTHS = [(4,), (5, 3), (5, 4, 2)]


def options(sizes, loss, decoder, tied):
    depth = len(sizes)
    return dict(
        hidden_layer_sizes=sizes,
        rho=(0.05, 0.1, 0.2)[:depth],
        beta=(3.0, 1.0, 2.0)[:depth],
        alpha=1e-3,
        loss=loss,
        decoder_activation=decoder,
        tied_weights=tied,
    )


@pytest.mark.parametrize("sizes", DEPTHS, ids=str)
@pytest.mark.parametrize("loss, decoder, tied", VALID_OPTIONS)
def test_deep_reference_gradient_matches_finite_differences(sizes, loss, decoder, tied):
    X, theta = unit_data(30, 6, margin=0.05), random_theta(6, sizes, tied)

    def objective(t):
        return deep_loss_grad_reference(t, X, **options(sizes, loss, decoder, tied))

    analytic = objective(theta)[1]
    numeric = numerical_gradient(objective, theta)
    difference = np.linalg.norm(numeric - analytic) / np.linalg.norm(numeric + analytic)
    assert difference < 1e-9


@pytest.mark.parametrize("loss, decoder, tied", VALID_OPTIONS)
def test_one_layer_deep_reference_is_the_single_layer_objective(loss, decoder, tied):
    X, theta = unit_data(30, 6, margin=0.05), random_theta(6, (4,), tied)
    J_deep, grad_deep = deep_loss_grad_reference(
        theta, X, **options((4,), loss, decoder, tied)
    )
    J, grad = loss_grad_reference(
        theta,
        X,
        n_components=4,
        rho=0.05,
        beta=3.0,
        alpha=1e-3,
        loss=loss,
        decoder_activation=decoder,
        tied_weights=tied,
    )
    assert J_deep == pytest.approx(J, rel=1e-14)
    np.testing.assert_allclose(grad_deep, grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("sizes", DEPTHS, ids=str)
@pytest.mark.parametrize("loss, decoder, tied", VALID_OPTIONS)
@pytest.mark.parametrize("chunk_size, n_threads", [(None, 1), (7, 2), (1, 3)])
def test_engine_equals_the_deep_reference(
    sizes, loss, decoder, tied, chunk_size, n_threads
):
    X, theta = unit_data(30, 6, margin=0.05), random_theta(6, sizes, tied)
    spec = options(sizes, loss, decoder, tied)
    J_ref, grad_ref = deep_loss_grad_reference(theta, X, **spec)
    with AutoencoderObjective(
        X, chunk_size=chunk_size, runner=ThreadRunner(n_threads), **spec
    ) as objective:
        J, grad = objective(theta)
    assert J == pytest.approx(J_ref, rel=1e-12)
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("sizes", DEPTHS[1:], ids=str)
def test_deep_engine_on_sparse_and_float32_input(sizes):
    X = sp.random(40, 6, density=0.4, format="csr", random_state=0)
    theta = random_theta(6, sizes, False)
    spec = options(sizes, "squared_error", "logistic", False)
    J_ref, grad_ref = deep_loss_grad_reference(theta, X.toarray(), **spec)
    with AutoencoderObjective(
        X, chunk_size=9, runner=ThreadRunner(2), **spec
    ) as objective:
        J, grad = objective(theta)
    assert J == pytest.approx(J_ref, rel=1e-12)
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-10, atol=1e-13)
    X32 = X.toarray().astype(np.float32)
    with AutoencoderObjective(
        X32, chunk_size=9, **spec, runner=ThreadRunner(2)
    ) as objective:
        J32, grad32 = objective(theta)
    assert J32 == pytest.approx(J_ref, rel=1e-5)
    np.testing.assert_allclose(grad32, grad_ref, atol=1e-5 * np.abs(grad_ref).max())


@pytest.mark.parametrize("sizes", DEPTHS, ids=str)
def test_deep_engine_is_bit_identical_on_any_number_of_threads(sizes):
    X, theta = unit_data(500, 6, margin=0.05), random_theta(6, sizes, False)
    spec = options(sizes, "squared_error", "logistic", False)
    results = []
    for n_threads in [1, 2, 4]:
        with AutoencoderObjective(
            X, chunk_size=31, runner=ThreadRunner(n_threads), **spec
        ) as o:
            results.append(o(theta))
    for J, grad in results[1:]:
        assert J == results[0][0]
        np.testing.assert_array_equal(grad, results[0][1])


def test_layout_of_one_layer_is_the_single_layer_layout():
    layout = NetworkLayout(6, (4,), False)
    theta = np.arange(layout.n_parameters, dtype=float)
    (W1,), (W2,), (b1,), (b2,) = layout.unpack(theta)
    np.testing.assert_array_equal(W1.ravel(), np.arange(24))
    np.testing.assert_array_equal(W2.ravel(), np.arange(24, 48))
    np.testing.assert_array_equal(b1, np.arange(48, 52))
    np.testing.assert_array_equal(b2, np.arange(52, 58))
