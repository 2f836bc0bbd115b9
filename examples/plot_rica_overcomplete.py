"""
===========================================================
Reconstruction ICA: an overcomplete basis of image patches
===========================================================

ICA with a reconstruction cost (Le et al., 2011; UFLDL's RICA) replaces
ICA's orthonormality constraint with a reconstruction penalty, so that the
basis can have more vectors than the data has dimensions. On ZCA-whitened
8x8 natural-image patches, a 2x overcomplete basis (128 filters for 64
pixels), with each filter held to unit norm as in UFLDL's exercise
(``normalize_filters=True``), comes out as localized, oriented edge
filters and gratings at many positions, orientations and frequencies, with
a few high-frequency checkerboards (whitening amplifies the JPEG block
artefacts of scikit-learn's sample photographs). Without the unit norm,
half of the filters die: the example counts them.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

from skl_sparseae import ReconstructionICA, plot_filters
from skl_sparseae.datasets import load_natural_image_patches

QUICK = os.environ.get("SKL_SPARSEAE_QUICK_EXAMPLES") == "1"  # the test suite

# %%
# ZCA-whitened patches
# --------------------
# RICA expects whitened inputs. Raw gray patches, the mean patch removed,
# then UFLDL's ZCA whitening ``x -> U diag(1 / sqrt(s + epsilon)) U^T x``
# (the recipe of the linear-decoder example): decorrelated pixels that
# still look like images.
patches = load_natural_image_patches(
    n_patches=2000 if QUICK else 20000,
    whiten=False,
    normalize=False,
    min_contrast=0.5,
    random_state=0,
)
patches -= patches.mean(axis=0)
covariance = patches.T @ patches / len(patches)
eigenvalues, eigenvectors = np.linalg.eigh(covariance)
zca = eigenvectors @ np.diag(1 / np.sqrt(eigenvalues + 0.01)) @ eigenvectors.T
X = patches @ zca
print(f"whitened patches {X.shape}")

# %%
# A 2x overcomplete basis
# -----------------------
rica = ReconstructionICA(
    n_components=128,
    sparsity=0.5,
    normalize_filters=True,
    max_iter=50 if QUICK else 500,
    tol=1e-3 if QUICK else 1e-5,
    random_state=0,
)
rica.fit(X)
print(f"J = {rica.loss_:.4f} after {rica.n_iter_} iterations")
codes = rica.transform(X)
share = np.mean(np.abs(codes) < 0.1 * np.abs(codes).max(axis=1, keepdims=True))
print(f"codes: {share:.0%} of the entries are below a tenth of their row's largest")

# %%
# The filters
# -----------
# Each tile is a row of ``components_``: one basis vector as an 8x8 image.
plot_filters(rica, image_shape=(8, 8), title="RICA, 128 filters on 8x8 patches")
plt.show()

# %%
# Why the filters are held to unit norm
# -------------------------------------
# The objective as written has no constraint on ``W``: its L1 term can
# shrink a row to zero, and a zero row costs nothing in the reconstruction
# term either, so an overcomplete fit can settle with rows that are no
# filters at all. Fitted without ``normalize_filters``, count the rows that
# end (almost) at zero, and the units whose codes carry almost no energy.
plain = ReconstructionICA(
    n_components=128,
    sparsity=0.5,
    max_iter=50 if QUICK else 500,
    tol=1e-3 if QUICK else 1e-5,
    random_state=0,
).fit(X)
for name, model in (("normalize_filters=True", rica), ("plain J", plain)):
    energy = np.mean((X @ model.components_.T) ** 2, axis=0)
    dead = np.sum(np.linalg.norm(model.components_, axis=1) < 1e-3)
    idle = np.sum(energy < 0.01 * energy.mean())
    print(f"{name:22s}: {dead:3d} zero rows, {idle:3d} idle units of 128")
