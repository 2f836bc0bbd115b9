"""The plain references (skl_sparseae._reference): loss_grad_reference
checks its options as the estimator does, in the same words."""

import numpy as np
import pytest
from helpers import REFERENCE_OPTIONS, unit_data

from skl_sparseae import SparseAutoencoder, loss_grad_reference
from skl_sparseae._layouts import n_parameters


@pytest.mark.parametrize(
    "change, message",
    [
        ({"loss": "hinge"}, "'loss' parameter of loss_grad_reference must be a str"),
        ({"decoder_activation": "relu"}, "'decoder_activation' parameter"),
        ({"rho": 0.0}, r"'rho' .* range \(0.0, 1.0\)"),
        ({"rho": 1.0}, r"'rho' .* range \(0.0, 1.0\)"),
        ({"beta": -1.0}, r"'beta' .* range \[0.0, inf\)"),
        ({"beta": np.inf}, r"'beta' .* range \[0.0, inf\)"),
        ({"alpha": np.nan}, r"'alpha' .* range \[0.0, inf\)"),
        ({"n_components": 0}, r"'n_components' .* int in the range \[1, inf\)"),
        ({"tied_weights": "no"}, "'tied_weights' parameter"),
        (
            {"loss": "cross_entropy", "decoder_activation": "identity"},
            "needs decoder_activation='logistic'",
        ),
    ],
    ids=str,
)
def test_loss_grad_reference_rejects_bad_options(change, message):
    theta = np.zeros(n_parameters(3, 2, False))
    with pytest.raises(ValueError, match=message):
        loss_grad_reference(theta, unit_data(5, 3), **(REFERENCE_OPTIONS | change))


def test_loss_grad_reference_rejects_wrong_theta_length():
    with pytest.raises(ValueError, match="flat vector of 17 values"):
        loss_grad_reference(np.zeros(5), unit_data(5, 3), **REFERENCE_OPTIONS)


@pytest.mark.parametrize(
    "change",
    [
        {"beta": np.inf},
        {"rho": 1.0},
        {"loss": "cross_entropy", "decoder_activation": "identity"},
        {"n_components": 0},
    ],
    ids=str,
)
def test_the_estimator_and_loss_grad_reference_reject_the_same_options(change):
    # One source of the objective's rules: what fit rejects, the reference
    # rejects, with the same words.
    options = REFERENCE_OPTIONS | change
    with pytest.raises(ValueError) as by_reference:
        loss_grad_reference(np.zeros(5), unit_data(5, 3), **options)
    with pytest.raises(ValueError) as by_fit:
        SparseAutoencoder(**options).fit(unit_data(5, 3))
    for error in (by_reference, by_fit):
        assert list(change)[-1] in str(error.value)
    wording = str(by_fit.value).replace("SparseAutoencoder", "loss_grad_reference")
    assert wording == str(by_reference.value)
