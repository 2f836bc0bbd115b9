"""
==========================================
Sparse features for a digit classifier
==========================================

A sparse autoencoder learns features without labels; a logistic regression
on those features then classifies scikit-learn's 8x8 digits. We grid-search
the sparsity target ``rho`` and weight ``beta`` with ``GridSearchCV`` over the
whole ``Pipeline``, and compare with a logistic regression on the raw pixels
and on the features of scikit-learn's ``BernoulliRBM`` (set up as in
scikit-learn's own RBM example).

The autoencoders stop when J has levelled off, here with ``tol=1e-3`` (J
fell by less than 0.1% over 10 iterations). The default ``tol=1e-4`` needs
about 2.5 times more iterations (1000 to 2000 per fit) for the same accuracy
within a test image or two, and at ``rho=0.1, beta=3`` it can run into
``max_iter=2000``.
"""

# %%
import os
import time

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import BernoulliRBM
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from skl_sparseae import SparseAutoencoder, plot_filters

QUICK = os.environ.get("SKL_SPARSEAE_QUICK_EXAMPLES") == "1"  # the test suite

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, random_state=0, stratify=y
)

# %%
# Three pipelines
# ---------------
n_hidden = 25 if QUICK else 100
sae_pipeline = Pipeline(
    [
        ("scale", MinMaxScaler()),
        (
            "sae",
            SparseAutoencoder(
                n_components=n_hidden, tol=1e-2 if QUICK else 1e-3, random_state=0
            ),
        ),
        ("clf", LogisticRegression(max_iter=2000)),
    ]
)
search = GridSearchCV(
    sae_pipeline,
    {"sae__rho": [0.05, 0.1], "sae__beta": [0.5, 3.0]},
    cv=3,
)
rbm_pipeline = Pipeline(
    [
        ("scale", MinMaxScaler()),
        (
            "rbm",
            BernoulliRBM(
                n_components=n_hidden, learning_rate=0.06, n_iter=10, random_state=0
            ),
        ),
        ("clf", LogisticRegression(C=6000, max_iter=2000)),
    ]
)
raw_pipeline = Pipeline(
    [("scale", MinMaxScaler()), ("clf", LogisticRegression(max_iter=2000))]
)

# %%
# Fit and compare
# ---------------
# The grid search's fit time covers all 4 x 3 cross-validation fits and the
# final refit.
results = []
for name, model in [
    ("raw pixels", raw_pipeline),
    (f"BernoulliRBM ({n_hidden} features)", rbm_pipeline),
    (f"SparseAutoencoder ({n_hidden}), grid search", search),
]:
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    results.append((name, model.score(X_test, y_test), seconds))

print(f"{'features':<42} {'test accuracy':>13} {'fit time':>9}")
for name, accuracy, seconds in results:
    print(f"{name:<42} {accuracy:>13.4f} {seconds:>8.1f}s")
print("\nbest sparsity setting:", search.best_params_)
sae = search.best_estimator_["sae"]
print(f"the refit's autoencoder stopped after {sae.n_iter_} L-BFGS iterations")

# %%
# The learned filters
# -------------------
# Each tile is one row of ``components_`` of the refit autoencoder, shown as
# an 8x8 image: strokes and pieces of digits.
plot_filters(sae, title=f"{n_hidden} filters learned on digits")
plt.show()
