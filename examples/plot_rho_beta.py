"""
=======================================
What rho and beta do
=======================================

``rho`` is the mean activation each hidden unit should have over the training
set; ``beta`` is how hard the KL-divergence penalty pushes it there. We fit
digits with a few settings and look at the mean activations ``rho_hat_j`` of
the hidden units, at how sparsity trades against reconstruction as ``beta``
grows, and at a loss curve.

Each fit stops when J has levelled off. These fits use ``tol=1e-3`` (stop
when J fell by less than 0.1% over 10 iterations) rather than the default
``1e-4``: 350 to 750 iterations instead of 1000 to 2000, the same mean
activations and the same trade-off, with reconstruction errors 5% to 20%
above those of the longer fits. With the default, the slowest setting here
(``rho=0.2, beta=3``) runs into ``max_iter=2000``.
"""

# %%
import functools
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.preprocessing import MinMaxScaler

from skl_sparseae import SparseAutoencoder

QUICK = os.environ.get("SKL_SPARSEAE_QUICK_EXAMPLES") == "1"  # the test suite
X = MinMaxScaler().fit_transform(load_digits().data)
tol = 1e-2 if QUICK else 1e-3


@functools.cache  # each setting is fitted once, however often it is shown
def fit(rho, beta):
    return SparseAutoencoder(
        n_components=64, rho=rho, beta=beta, tol=tol, random_state=0
    ).fit(X)


# %%
# Mean hidden activations for a few targets rho
# ---------------------------------------------
# With ``beta=3`` the histogram of ``rho_hat_j`` (one value per hidden unit,
# the fitted ``mean_activation_``) gathers at the target; with ``beta=0``
# (no penalty) the units are anything but sparse.
settings = [
    {"rho": 0.05, "beta": 0.0},
    {"rho": 0.05, "beta": 3.0},
    {"rho": 0.1, "beta": 3.0},
    {"rho": 0.2, "beta": 3.0},
]
fig, axes = plt.subplots(1, len(settings), figsize=(12, 2.8), sharey=True)
for ax, params in zip(axes, settings, strict=True):
    rho_hat = fit(params["rho"], params["beta"]).mean_activation_
    ax.hist(rho_hat, bins=np.linspace(0, 1, 41))
    ax.axvline(params["rho"], color="k", linestyle="--")
    ax.set_title(f"rho={params['rho']}, beta={params['beta']}")
    ax.set_xlabel("mean activation rho_hat_j")
axes[0].set_ylabel("hidden units")
fig.tight_layout()
plt.show()

# %%
# Sparsity against reconstruction as beta grows
# ---------------------------------------------
# A larger ``beta`` buys sparser codes (a smaller mean activation) with a
# worse reconstruction (a lower ``score``, the negative mean reconstruction
# loss).
betas = [0.0, 0.1, 0.3, 1.0, 3.0] if QUICK else [0.0, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
mean_activation, reconstruction_error = [], []
for beta in betas:
    sae = fit(0.05, beta)
    mean_activation.append(sae.transform(X).mean())
    reconstruction_error.append(-sae.score(X))
fig, ax = plt.subplots(figsize=(5, 4))
ax.plot(mean_activation, reconstruction_error, "o-")
for beta, a, e in zip(betas, mean_activation, reconstruction_error, strict=True):
    ax.annotate(f"beta={beta}", (a, e), textcoords="offset points", xytext=(5, 5))
ax.set_xlabel("mean hidden activation (rho = 0.05)")
ax.set_ylabel("mean reconstruction error (1/2 ||x_hat - x||^2)")
fig.tight_layout()
plt.show()

# %%
# The loss curve
# --------------
# ``loss_curve_`` holds J after every L-BFGS iteration; the fit stopped when
# J had levelled off.
sae = fit(0.05, 3.0)
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.semilogy(np.arange(1, len(sae.loss_curve_) + 1), sae.loss_curve_)
ax.set_title(f"rho=0.05, beta=3: stopped after {sae.n_iter_} iterations")
ax.set_xlabel("L-BFGS iteration")
ax.set_ylabel("J")
fig.tight_layout()
plt.show()
