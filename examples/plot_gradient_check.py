"""
=======================================
Gradient check: right and wrong
=======================================

UFLDL's advice: before trusting an optimiser, compare the backpropagation
gradient with a numerical one, ``(J(theta + eps e_i) - J(theta - eps e_i)) /
(2 eps)`` for every parameter ``i``, and look at
``||g_num - g|| / ||g_num + g||``. A correct gradient gives about 1e-10 or
less; a wrong one 1e-3 or more.

We run the check for every option of ``SparseAutoencoder``, then show what a
wrong gradient looks like: a tempting mistake, in which the sparsity term of
each sample's hidden delta is divided by ``m`` a second time (the math page
explains where the ``1/m`` belongs).
"""

# %%
import itertools

import matplotlib.pyplot as plt
import numpy as np

from skl_sparseae import (
    SparseAutoencoder,
    check_gradient,
    loss_grad_reference,
    numerical_gradient,
)

rng = np.random.RandomState(0)
X = rng.uniform(0.05, 0.95, size=(20, 8))

# %%
# Every option combination passes
# -------------------------------
print(f"{'loss':<15} {'decoder':<10} {'tied':<6} relative difference")
for loss, decoder, tied in itertools.product(
    ["squared_error", "cross_entropy"], ["logistic", "identity"], [False, True]
):
    if loss == "cross_entropy" and decoder == "identity":
        continue  # not a valid model: cross-entropy needs outputs in (0, 1)
    estimator = SparseAutoencoder(
        n_components=5, loss=loss, decoder_activation=decoder, tied_weights=tied
    )
    difference = check_gradient(estimator, X, random_state=0)
    print(f"{loss:<15} {decoder:<10} {tied!s:<6} {difference:.2e}")

# %%
# A wrong gradient
# ----------------
# ``loss_grad_reference`` is J and its gradient as a plain function. The
# "wrong" version keeps J but scales the sparsity part of the gradient by
# 1/m, as if d rho_hat / d a_i = 1/m were applied per sample *and* again to
# the sum.
params = dict(
    n_components=5,
    rho=0.05,
    beta=3.0,
    alpha=1e-4,
    loss="squared_error",
    decoder_activation="logistic",
    tied_weights=False,
)
n_samples = len(X)


def right(theta):
    return loss_grad_reference(theta, X, **params)


def wrong(theta):
    J, grad = right(theta)
    _, grad_without_sparsity = loss_grad_reference(theta, X, **{**params, "beta": 0.0})
    return J, grad_without_sparsity + (grad - grad_without_sparsity) / n_samples


theta = rng.uniform(-0.5, 0.5, size=2 * 5 * 8 + 5 + 8)
numeric = numerical_gradient(right, theta)
fig, axes = plt.subplots(1, 2, figsize=(9, 4), sharex=True, sharey=True)
for ax, (name, func) in zip(axes, [("right", right), ("wrong", wrong)], strict=True):
    analytic = func(theta)[1]
    difference = np.linalg.norm(numeric - analytic) / np.linalg.norm(numeric + analytic)
    ax.plot(numeric, analytic, ".")
    ax.plot([numeric.min(), numeric.max()], [numeric.min(), numeric.max()], "k:")
    ax.set_title(f"{name} gradient: {difference:.1e}")
    ax.set_xlabel("numerical gradient")
axes[0].set_ylabel("analytic gradient")
fig.tight_layout()
plt.show()
