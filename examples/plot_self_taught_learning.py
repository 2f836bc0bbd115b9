"""
=====================================
Self-taught learning (UFLDL)
=====================================

In self-taught learning the features come from *unlabeled* data that need
not share the labels of the task. Following UFLDL's exercise, we learn sparse
features on the digits 5 to 9 without their labels, and then train a
classifier for the digits 0 to 4 from a few labeled examples, on those
features and on the raw pixels.
"""

# %%
import os

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler

from skl_sparseae import SparseAutoencoder

QUICK = os.environ.get("SKL_SPARSEAE_QUICK_EXAMPLES") == "1"  # the test suite

X, y = load_digits(return_X_y=True)
X = MinMaxScaler().fit_transform(X)  # pixel range 0..16 -> [0, 1], no fitting on labels
unlabeled = X[y >= 5]
X_task, y_task = X[y < 5], y[y < 5]
X_train, X_test, y_train, y_test = train_test_split(
    X_task, y_task, train_size=100, random_state=0, stratify=y_task
)
print(
    f"{len(unlabeled)} unlabeled digits 5-9; {len(X_train)} labeled training "
    f"and {len(X_test)} test digits 0-4"
)

# %%
# Features learned on the other digits
# ------------------------------------
sae = SparseAutoencoder(
    n_components=25 if QUICK else 100,
    rho=0.05,
    beta=0.5,
    tol=1e-2 if QUICK else 1e-4,  # 1e-4 is the default
    random_state=0,
).fit(unlabeled)
print(f"the autoencoder stopped after {sae.n_iter_} L-BFGS iterations")

# %%
# Classify 0-4 with 100 labels
# ----------------------------
raw = LogisticRegression(max_iter=5000).fit(X_train, y_train)
learned = LogisticRegression(max_iter=5000).fit(sae.transform(X_train), y_train)
both = LogisticRegression(max_iter=5000).fit(
    np.hstack([X_train, sae.transform(X_train)]), y_train
)
print(f"{'features':<32} {'test accuracy':>13}")
H_test = sae.transform(X_test)
print(f"{'raw pixels':<32} {raw.score(X_test, y_test):>13.4f}")
print(f"{'learned on digits 5-9':<32} {learned.score(H_test, y_test):>13.4f}")
print(
    f"{'raw pixels + learned':<32} "
    f"{both.score(np.hstack([X_test, H_test]), y_test):>13.4f}"
)

# %%
# What this shows
# ---------------
# On scikit-learn's small 8x8 digits, with 100 labels, features learned on
# the *other* digits do not beat the raw pixels on their own: 64 pixels are
# already a good representation for a linear classifier, and 896 unlabeled
# images of different digits teach only part of what separates 0-4. Added to
# the pixels they help a little. UFLDL's larger gain came from MNIST (28x28,
# tens of thousands of unlabeled images), where raw pixels are a poorer
# representation.
