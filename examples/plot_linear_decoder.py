"""
=======================================
Linear decoder on real-valued data
=======================================

A logistic decoder can only output values in (0, 1), so its inputs must be
scaled into that range. UFLDL's *linear decoder* uses the identity instead
(``decoder_activation="identity"``), so that the model can reconstruct
real-valued, standardized data directly. Following UFLDL's linear decoder
exercise, we learn features of ZCA-whitened 8x8 color patches; the filters
come out as colored and black-and-white edges.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

from skl_sparseae import SparseAutoencoder, plot_filters
from skl_sparseae.datasets import load_natural_image_patches

QUICK = os.environ.get("SKL_SPARSEAE_QUICK_EXAMPLES") == "1"  # the test suite

# %%
# ZCA-whitened color patches
# --------------------------
# Raw 8x8x3 textured patches (192 values in [0, 1]), mean patch removed, then
# UFLDL's ZCA whitening ``x -> U diag(1 / sqrt(s + epsilon)) U^T x`` with
# ``epsilon = 0.1``: decorrelated pixels that still look like images. The
# epsilon matters: it keeps the whitening from blowing up the many
# directions of tiny variance (mostly noise and JPEG artefacts); with a much
# smaller epsilon the filters come out as salt-and-pepper noise. The values
# are real, not in [0, 1].
patches = load_natural_image_patches(
    n_patches=2000 if QUICK else 10000,
    color=True,
    whiten=False,
    normalize=False,
    min_contrast=0.5,
    random_state=0,
)
patches -= patches.mean(axis=0)
covariance = patches.T @ patches / len(patches)
eigenvalues, eigenvectors = np.linalg.eigh(covariance)
epsilon = 0.1
zca = eigenvectors @ np.diag(1 / np.sqrt(eigenvalues + epsilon)) @ eigenvectors.T
X = patches @ zca
print(f"whitened patches {X.shape}: values in [{X.min():.1f}, {X.max():.1f}]")

# %%
# A sparse autoencoder with a linear decoder
# ------------------------------------------
# The default stopping rule (``tol=1e-4``) ends the fit once J has levelled
# off.
tol = 1e-2 if QUICK else 1e-4
sae = SparseAutoencoder(
    n_components=49 if QUICK else 100,
    rho=0.035,
    beta=5.0,
    alpha=3e-3,
    decoder_activation="identity",
    tol=tol,
    random_state=0,
).fit(X)
print(
    f"{sae.n_iter_} iterations, final J = {sae.loss_:.4f}; "
    f"reconstruction score = {sae.score(X):.4f}"
)

# %%
# The filters, in color
# ---------------------
# To show what each unit responds to in pixel space, map the filters back
# through the whitening (``W @ zca``), as UFLDL does.
plot_filters(sae.components_ @ zca, image_shape=(8, 8, 3), title="color filters")
plt.show()

# %%
# The logistic decoder cannot do this
# -----------------------------------
# On the same real-valued data a logistic decoder can only reach outputs in
# (0, 1); its reconstruction error stays far higher. ``fit`` says so: it
# warns (``UserWarning``) that X lies outside the logistic decoder's range.
# That warning is the point of this section, so it is left to show. J levels
# off within a few dozen iterations, at the best such a model can do.
logistic = SparseAutoencoder(
    n_components=49 if QUICK else 100, tol=tol, random_state=0
).fit(X)
print(f"logistic decoder: {logistic.n_iter_} iterations")
print(f"reconstruction score, identity decoder: {sae.score(X):.3f}")
print(f"reconstruction score, logistic decoder: {logistic.score(X):.3f}")
