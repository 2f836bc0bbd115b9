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
"""

# %%
import os
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import BernoulliRBM
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from skl_sparseae import SparseAutoencoder

QUICK = os.environ.get("SKL_SPARSEAE_QUICK_EXAMPLES") == "1"  # the test suite
warnings.simplefilter("ignore", ConvergenceWarning)  # fixed iteration budgets

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
                n_components=n_hidden, max_iter=20 if QUICK else 200, random_state=0
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
