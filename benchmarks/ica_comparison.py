"""ReconstructionICA against scikit-learn's FastICA, complete case.

    python benchmarks/ica_comparison.py          # about 2 minutes
    python benchmarks/ica_comparison.py --quick

The same ZCA-whitened 8x8 gray patches of scikit-learn's sample photographs
(20000 for fitting, 5000 held out), 64 components for 64 pixels. FastICA is
given the whitened data with ``whiten=False``, so both start from the same
input; both use their default stopping rules. Fit times are medians over 3
interleaved rounds. The independence of the outputs is measured the same
way for both, on the held-out patches:

- mean |corr| between pairs of codes (linear dependence; whitening and a
  rotation keep it near 0);
- mean |corr| between pairs of squared codes (energy dependence: what
  remains of higher-order dependence, lower is more independent);
- mean excess kurtosis of the codes (non-Gaussianity, which ICA maximises).
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.decomposition import FastICA
from sklearn.exceptions import ConvergenceWarning

from skl_sparseae import ReconstructionICA
from skl_sparseae.datasets import load_natural_image_patches


def whitened_patches(n_patches, seed=0):
    patches = load_natural_image_patches(
        n_patches=n_patches,
        whiten=False,
        normalize=False,
        min_contrast=0.5,
        random_state=seed,
    )
    mean = patches.mean(axis=0)
    covariance = np.cov(patches - mean, rowvar=False, bias=True)
    values, vectors = np.linalg.eigh(covariance)
    zca = vectors @ np.diag(1 / np.sqrt(values + 0.01)) @ vectors.T
    return patches, mean, zca


def dependence(codes):
    """(mean |corr| of codes, mean |corr| of squared codes, mean kurtosis)."""
    off_diagonal = ~np.eye(codes.shape[1], dtype=bool)
    linear = np.abs(np.corrcoef(codes, rowvar=False)[off_diagonal]).mean()
    energy = np.abs(np.corrcoef(codes**2, rowvar=False)[off_diagonal]).mean()
    standardized = (codes - codes.mean(axis=0)) / codes.std(axis=0)
    kurtosis = (standardized**4).mean(axis=0) - 3.0
    return linear, energy, kurtosis.mean()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n_fit = 5000 if args.quick else 20000
    rounds = 1 if args.quick else 3
    patches, mean, zca = whitened_patches(n_fit + 5000)
    X = (patches - mean) @ zca
    X_fit, X_test = X[:n_fit], X[n_fit:]

    def fit_rica():
        return ReconstructionICA(64, sparsity=0.5, random_state=0).fit(X_fit)

    def fit_fastica():
        return FastICA(64, whiten=False, random_state=0).fit(X_fit)

    times = {"RICA": [], "FastICA": []}
    models = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        for _ in range(rounds):
            for name, fit in (("RICA", fit_rica), ("FastICA", fit_fastica)):
                start = time.perf_counter()
                models[name] = fit()
                times[name].append(time.perf_counter() - start)
    unconverged = {
        name
        for name in models
        for warning in caught
        if issubclass(warning.category, ConvergenceWarning)
        and name.lower() in str(warning.message).lower()
    }
    print(f"{n_fit} whitened 8x8 patches, 64 components; held out: {len(X_test)}\n")
    print(
        f"{'model':>8} | {'fit s':>6} | {'iterations':>10} | {'|corr|':>7} "
        f"{'|corr| of z^2':>13} {'kurtosis':>8} | converged"
    )
    for name, model in models.items():
        codes = model.transform(X_test)
        linear, energy, kurtosis = dependence(codes)
        print(
            f"{name:>8} | {np.median(times[name]):>6.2f} | {model.n_iter_:>10} | "
            f"{linear:>7.4f} {energy:>13.4f} {kurtosis:>8.2f} | "
            f"{'no' if name in unconverged else 'yes'}"
        )
    raw = dependence(X_test)
    print(
        f"{'ZCA only':>8} | {'':>6} | {'':>10} | {raw[0]:>7.4f} {raw[1]:>13.4f} "
        f"{raw[2]:>8.2f} |"
    )


if __name__ == "__main__":
    main()
