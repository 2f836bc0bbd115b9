"""Writes the saved models that tests/test_saved_models.py loads.

The files were written by the package as it was before the executor
refactor (issue 21), so that a refactor that changed what a pickle or a
skops file records would fail that test. Do not write them again with newer
code, or the test holds the code to itself: add files beside them instead.

    python3 tests/saved_models/make.py  # from the repository's root
"""

import pathlib
import pickle
import warnings

import numpy as np
from sklearn.datasets import load_digits

import skl_sparseae
from skl_sparseae import (
    DeepSparseAutoencoder,
    ReconstructionICA,
    SparseAutoencoder,
    SparseAutoencoderClassifier,
    TopographicSparseCoding,
)

HERE = pathlib.Path(__file__).parent


def data():
    """The samples the models are fitted on, and the ones their outputs are
    recorded on (the same in the test)."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    laplace = np.random.RandomState(0).laplace(size=(200, 6))
    return X[:300], y[:300], X[300:340], laplace[:150], laplace[150:]


def models():
    X, y, _, L, _ = data()
    return {
        "sparse_autoencoder": SparseAutoencoder(12, max_iter=40, random_state=0).fit(X),
        "sparse_autoencoder_float32": SparseAutoencoder(
            12, max_iter=40, random_state=0, tied_weights=True
        ).fit(X.astype(np.float32)),
        "deep_sparse_autoencoder": DeepSparseAutoencoder(
            (12, 6), max_iter=30, random_state=0
        ).fit(X),
        "sparse_autoencoder_classifier": SparseAutoencoderClassifier(
            (12,), pretrain_max_iter=20, max_iter=30, random_state=0
        ).fit(X, y),
        "reconstruction_ica": ReconstructionICA(8, max_iter=40, random_state=0).fit(L),
        "topographic_sparse_coding": TopographicSparseCoding(
            9, max_iter=4, random_state=0
        ).fit(L),
    }


def outputs(name, model):
    """What the test compares: every output method on the held-out samples."""
    _, _, X_new, _, L_new = data()
    X = L_new if name in ("reconstruction_ica", "topographic_sparse_coding") else X_new
    if name == "sparse_autoencoder_float32":
        X = X.astype(np.float32)
    results = {"transform": model.transform(X)}
    if name == "sparse_autoencoder_classifier":
        results["predict"] = model.predict(X)
        results["predict_proba"] = model.predict_proba(X)
    else:
        results["inverse_transform"] = model.inverse_transform(results["transform"])
    # The autoencoders' score, as the files hold it (RICA and sparse coding
    # had no score when they were written).
    if name not in (
        "sparse_autoencoder_classifier",
        "reconstruction_ica",
        "topographic_sparse_coding",
    ):
        results["score"] = np.array(model.score(X))
    return results


if __name__ == "__main__":
    import skops
    import skops.io

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the short fits stop at max_iter
        fitted = models()
    for name, model in fitted.items():
        with open(HERE / f"{name}.pkl", "wb") as file:
            pickle.dump(model, file)
        skops.io.dump(model, HERE / f"{name}.skops")
        np.savez(HERE / f"{name}.outputs.npz", **outputs(name, model))
    (HERE / "written_by.txt").write_text(
        f"skl_sparseae {skl_sparseae.__version__} at commit b106a31 (the last "
        "main before the executor refactor), "
        f"numpy {np.__version__}, scikit-learn {__import__('sklearn').__version__}, "
        f"skops {skops.__version__}\n"
    )
