"""
=========================================
Stacked autoencoder and fine-tuning
=========================================

UFLDL's stacked-autoencoder exercise on scikit-learn's 8x8 digits: greedy
layer-wise pretraining of two sparse autoencoder layers, a softmax layer on
the top codes, and then **fine-tuning** of the whole network on the labels
with L-BFGS on the exact backpropagation gradient
(:class:`~skl_sparseae.SparseAutoencoderClassifier`). We compare, on the same
split:

* ``LogisticRegression`` on the raw pixels;
* the greedy stacked features with their softmax layer (``fine_tune=False``);
* the same network after fine-tuning;
* ``MLPClassifier`` with the same layers, trained from random weights.
"""

# %%
import os
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import MinMaxScaler

from skl_sparseae import SparseAutoencoderClassifier

QUICK = os.environ.get("SKL_SPARSEAE_QUICK_EXAMPLES") == "1"  # the test suite
SIZES = (32, 16) if QUICK else (100, 50)
TOL = 1e-2 if QUICK else 1e-4

X, y = load_digits(return_X_y=True)
X = MinMaxScaler().fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, random_state=0, stratify=y
)

models = {
    "LogisticRegression, raw pixels": LogisticRegression(max_iter=5000),
    "greedy stacked features + softmax": SparseAutoencoderClassifier(
        SIZES, fine_tune=False, tol=TOL, random_state=0
    ),
    "the same, fine-tuned": SparseAutoencoderClassifier(SIZES, tol=TOL, random_state=0),
    f"MLPClassifier{SIZES}, logistic, L-BFGS": MLPClassifier(
        SIZES, activation="logistic", solver="lbfgs", max_iter=5000, random_state=0
    ),
}

# %%
# Accuracy and fit time
# ---------------------
for name, model in models.items():
    start = time.perf_counter()
    if isinstance(model, MLPClassifier):
        # MLPClassifier's own stopping rule may run out of max_iter: that is
        # its behaviour, reported as it is, not ours to silence elsewhere.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_train, y_train)
    else:
        model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    print(f"{name:40s} accuracy {model.score(X_test, y_test):.3f}  fit {seconds:.1f} s")

tuned = models["the same, fine-tuned"]
print(
    f"pretraining stages reached J = {[round(J, 4) for J in tuned.pretrain_losses_]}; "
    f"softmax J = {tuned.softmax_loss_:.4f}; fine-tuned J = {tuned.loss_:.4f} after "
    f"{tuned.n_iter_} iterations"
)

# %%
# What we found
# -------------
# On our machine (full settings, 899 training digits) the test accuracies
# were: raw pixels 0.961, greedy features with their softmax 0.970,
# fine-tuned 0.964, MLPClassifier 0.954; fitting took 2.8 s, 16.3 s, 17.3 s
# and 11.9 s. Pretraining dominates the stacked model's time (fine-tuning
# itself ran 870 iterations in about a second).
#
# This is not UFLDL's MNIST result, where fine-tuning lifts accuracy from
# 87.7% to 97.6%. On 899 digits, fine-tuning drove the training objective
# from 0.17 (the softmax on fixed features) to 0.05 and *lowered* the test
# accuracy a little: with this few labels the whole network overfits, while
# the greedy features, learned without labels, generalise slightly better.
# Both stacked models beat MLPClassifier with the same layers trained from
# random weights. More weight decay (``alpha``) in fine-tuning, or more
# labelled data, is where fine-tuning pays; the self-taught learning example
# shows the other side, where labels are few.
