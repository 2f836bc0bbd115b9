"""
=====================================================
The UFLDL sparse autoencoder exercise, reproduced
=====================================================

UFLDL's first exercise trains a 64-25-64 sparse autoencoder on 10000 random
8x8 patches of whitened natural images, with ``rho=0.01``, ``beta=3`` and
``alpha=1e-4`` (UFLDL's ``lambda``), for 400 iterations of L-BFGS. Its 25
filters come out as localized, oriented edges: Gabor-like. We keep its model
and let the fit stop when J has levelled off (the default stopping rule)
instead of after a fixed 400 iterations; the two are compared below.

UFLDL's images were whitened by Olshausen & Field. Here we whiten
scikit-learn's two sample photographs the same way, then follow UFLDL's
``sampleIMAGES`` and ``normalizeData``: remove each patch's mean, clip at
+-3 standard deviations and rescale into [0.1, 0.9], the range of the
logistic decoder. One difference matters, and the end of this example shows
why: we keep only textured patches.
"""

# %%
import os
import time

import matplotlib.pyplot as plt
import numpy as np

from skl_sparseae import SparseAutoencoder, plot_filters
from skl_sparseae.datasets import load_natural_image_patches

QUICK = os.environ.get("SKL_SPARSEAE_QUICK_EXAMPLES") == "1"  # the test suite

# %%
# Data: 10000 whitened, normalised, textured 8x8 patches
# ------------------------------------------------------
# ``min_contrast=0.5`` keeps patches whose standard deviation is at least half
# that of their (whitened) image; see "Why only textured patches" below.
n_patches = 2000 if QUICK else 10000
tol = 1e-2 if QUICK else 1e-4  # 1e-4 is the default
patches = load_natural_image_patches(
    n_patches=n_patches, patch_size=8, min_contrast=0.5, random_state=0
)
print(f"patches: {patches.shape}, values in [{patches.min():.2f}, {patches.max():.2f}]")

# %%
# The model: UFLDL's hyperparameters
# ----------------------------------
sae = SparseAutoencoder(
    n_components=25,
    rho=0.01,
    beta=3.0,
    alpha=1e-4,
    tol=tol,
    random_state=0,
)
start = time.perf_counter()
sae.fit(patches)
print(
    f"fit: {time.perf_counter() - start:.1f} s, {sae.n_iter_} iterations, "
    f"final J = {sae.loss_:.4f}"
)
print(f"mean hidden activation: {sae.transform(patches).mean():.4f} (rho = 0.01)")

# %%
# UFLDL's 400 iterations
# ----------------------
# UFLDL runs exactly 400 iterations of L-BFGS, whatever J does. The same
# budget here is ``SparseAutoencoder(..., max_iter=400, tol=0)``: ``tol=0``
# turns the stopping rule off, so the fit stops at ``max_iter`` and warns
# (``ConvergenceWarning``) that J was still falling, which is true. On these
# 10000 patches, in float64:
#
# ======================================  ==========  =========
# settings                                iterations  final J
# ======================================  ==========  =========
# ``max_iter=400, tol=0`` (UFLDL)         400         0.44785
# defaults (``max_iter=2000, tol=1e-4``)  458         0.44726
# ======================================  ==========  =========
#
# The default rule runs 58 iterations more and ends where J has levelled
# off, 0.13% lower; the two fits learn nearly the same filters (unit by
# unit, a cosine similarity of 0.96 or more, median 0.996). The performance
# page times both settings.

# %%
# The 25 filters
# --------------
# Each tile is one row of ``components_`` shown as an 8x8 image, scaled into
# the gray range on its own (UFLDL's ``display_network``). Most are
# localized, oriented edge detectors at different positions and
# orientations.
plot_filters(sae, title="64-25-64 sparse autoencoder filters")
plt.show()


# %%
# Why only textured patches
# -------------------------
# scikit-learn's two photographs have large flat areas: sky, out-of-focus
# background. Drawn uniformly, about half of their patches carry almost no
# structure, whereas the Olshausen images of the UFLDL exercise are textured
# throughout. On such data some hidden units find nothing worth explaining:
# they meet the sparsity target through their bias alone
# (``sigmoid(-4.6) = 0.01``) while weight decay shrinks their weights to
# almost nothing. These *dead units* show as flat tiles. Counting units whose
# filter norm is a tenth of the largest:
def count_dead_units(model):
    norms = np.linalg.norm(model.components_, axis=1)
    return int(np.sum(norms < 0.1 * norms.max()))


all_patches = load_natural_image_patches(n_patches=n_patches, random_state=0)
sae_all = SparseAutoencoder(n_components=25, tol=tol, random_state=0)
sae_all.fit(all_patches)
print(f"dead units, textured patches: {count_dead_units(sae)} of 25")
print(f"dead units, all patches:      {count_dead_units(sae_all)} of 25")
plot_filters(sae_all, title="all patches: some units die")
plt.show()

# %%
# Why whitening matters
# ---------------------
# Without whitening, the patches are dominated by the slow, large-scale
# intensity changes of natural images (their power falls as 1/f^2), and the
# reconstruction error is best reduced by smooth, low-frequency filters
# rather than sharp edges. The same model on unwhitened (textured) patches:
raw_patches = load_natural_image_patches(
    n_patches=n_patches, whiten=False, min_contrast=0.5, random_state=0
)
sae_raw = SparseAutoencoder(n_components=25, tol=tol, random_state=0)
sae_raw.fit(raw_patches)
plot_filters(sae_raw, title="the same model, unwhitened patches")
plt.show()
