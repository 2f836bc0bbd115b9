"""
=======================================
Anomaly detection by reconstruction
=======================================

An autoencoder fitted on normal data reconstructs normal samples well and
others badly, so minus each sample's reconstruction loss,
``score_samples``, ranks new samples from the most typical to the most
anomalous. We measure how well it ranks (ROC AUC: the chance that a normal
sample scores above an anomaly) against scikit-learn's ``IsolationForest``,
PCA's reconstruction error and ``MLPRegressor`` fitted as an autoencoder
(``fit(X, X)``), on two datasets that ship with scikit-learn:

- **digits**: each digit in turn is the normal class. The models are fitted
  on 70% of its images; the test set is the other 30% and every image of
  the nine other digits (the anomalies).
- **breast cancer**: the benign tumours are normal, the malignant ones the
  anomalies; fitted on 70% of the benign ones, tested on the rest and on
  every malignant one.

Every model gets the same number of units or components ``k`` and its
defaults otherwise (the sparse autoencoder ``rho=0.05``); nothing is tuned
on the test sets. The numbers printed below are what this run measured.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import MinMaxScaler

from skl_sparseae import SparseAutoencoder

QUICK = os.environ.get("SKL_SPARSEAE_QUICK_EXAMPLES") == "1"  # the test suite
MAX_ITER = 30 if QUICK else 2000


def reconstruction_score(model):
    """Minus the squared reconstruction error of each sample."""
    return lambda X: -np.sum((X - model.predict(X)) ** 2, axis=1)


def detectors(k):
    """Each detector: a function of the normal training data that returns
    a function scoring samples (higher: more typical)."""

    def sparse_autoencoder(X):
        model = SparseAutoencoder(k, rho=0.05, max_iter=MAX_ITER, random_state=0)
        return model.fit(X).score_samples

    def isolation_forest(X):
        return IsolationForest(random_state=0).fit(X).score_samples

    def pca(X):
        model = PCA(k, random_state=0).fit(X)
        return lambda Z: (
            -np.sum((Z - model.inverse_transform(model.transform(Z))) ** 2, axis=1)
        )

    def mlp_autoencoder(X):
        model = MLPRegressor(
            hidden_layer_sizes=(k,),
            activation="logistic",
            solver="lbfgs",
            max_iter=MAX_ITER,
            random_state=0,
        )
        model.fit(X, X)
        return reconstruction_score(model)

    return {
        "SparseAutoencoder": sparse_autoencoder,
        "IsolationForest": isolation_forest,
        "PCA reconstruction": pca,
        "MLPRegressor autoencoder": mlp_autoencoder,
    }


def evaluate(X_normal, X_anomalies, k, seed=0):
    """ROC AUC of each detector, and its ROC curve, fitted on 70% of the
    normal samples (scaled to [0, 1] by their range)."""
    train, test_normal = train_test_split(X_normal, train_size=0.7, random_state=seed)
    scaler = MinMaxScaler().fit(train)
    train = scaler.transform(train)
    test = scaler.transform(np.vstack([test_normal, X_anomalies]))
    is_normal = np.r_[np.ones(len(test_normal)), np.zeros(len(X_anomalies))]
    results = {}
    for name, fit in detectors(k).items():
        scores = fit(train)(test)
        results[name] = (roc_auc_score(is_normal, scores), roc_curve(is_normal, scores))
    return results


# %%
# Digits: each digit in turn is normal
# ------------------------------------
# A sample may fall outside [0, 1] once scaled by the normal training data's
# range (a pixel that class never lights); the logistic decoder cannot
# reconstruct it, which is part of what makes it score low.
X, y = load_digits(return_X_y=True)
classes = [0, 1] if QUICK else range(10)
digit_aucs = {}
for digit in classes:
    for name, (auc, _) in evaluate(X[y == digit], X[y != digit], k=16).items():
        digit_aucs.setdefault(name, []).append(auc)
print("digits, ROC AUC per normal digit (0..9) and mean:")
for name, aucs in digit_aucs.items():
    print(
        f"  {name:26} {' '.join(f'{a:.3f}' for a in aucs)}   mean {np.mean(aucs):.3f}"
    )

# %%
# Breast cancer: benign is normal
# -------------------------------
data = load_breast_cancer()
benign, malignant = data.data[data.target == 1], data.data[data.target == 0]
cancer = evaluate(benign, malignant, k=8)
print("breast cancer, ROC AUC:")
for name, (auc, _) in cancer.items():
    print(f"  {name:26} {auc:.3f}")

fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for name in digit_aucs:
    axes[0].plot(list(classes), digit_aucs[name], "o-", label=name)
axes[0].set_xlabel("normal digit")
axes[0].set_ylabel("ROC AUC")
axes[0].set_title("digits")
axes[0].legend(fontsize="small")
for name, (auc, (false_positive, true_positive, _)) in cancer.items():
    axes[1].plot(false_positive, true_positive, label=f"{name} ({auc:.3f})")
axes[1].plot([0, 1], [0, 1], color="0.7", linestyle="--")
axes[1].set_xlabel("anomalies taken for normal (false positive rate)")
axes[1].set_ylabel("normal samples kept (true positive rate)")
axes[1].set_title("breast cancer: benign is normal")
axes[1].legend(fontsize="small")
fig.tight_layout()
plt.show()
