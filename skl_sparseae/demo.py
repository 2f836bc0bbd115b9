"""Demo: sparse autoencoder features for a classifier on scikit-learn's digits.

Run it with ``python -m skl_sparseae.demo``. It learns sparse features on the
training digits, then compares a logistic regression on those features with
one on the raw pixels, on held-out digits.
"""

import time

from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skl_sparseae import SparseAutoencoder


def main(n_components=100, tol=1e-4):
    """Print test accuracy of raw pixels and of learned features on digits.

    ``tol`` is the autoencoder's stopping tolerance (its default); the tests
    pass a looser one to run quickly.
    """
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    print(
        f"digits: {X_train.shape[0]} training and {X_test.shape[0]} test images "
        f"of {X.shape[1]} pixels\n"
    )
    models = {
        "raw pixels": make_pipeline(MinMaxScaler(), LogisticRegression(max_iter=2000)),
        f"sparse autoencoder ({n_components} features)": make_pipeline(
            MinMaxScaler(),
            SparseAutoencoder(
                n_components=n_components,
                rho=0.05,
                beta=0.5,
                tol=tol,
                random_state=0,
            ),
            LogisticRegression(max_iter=2000),
        ),
    }
    print(f"{'features':<40} {'test accuracy':>13} {'fit time':>9}")
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        print(f"{name:<40} {model.score(X_test, y_test):>13.4f} {seconds:>8.1f}s")

    scaler, sae, _ = models[f"sparse autoencoder ({n_components} features)"]
    X_test_scaled = scaler.transform(X_test)
    print(f"\nthe autoencoder stopped after {sae.n_iter_} L-BFGS iterations")
    print(
        f"mean hidden activation on test digits: "
        f"{sae.transform(X_test_scaled).mean():.3f} (target rho = {sae.rho}); "
        f"reconstruction score: {sae.score(X_test_scaled):.3f}"
    )


if __name__ == "__main__":
    main()
