"""Before against after: every estimator's fit, at an earlier revision and at
the working tree, timed in interleaved rounds in one process.

    python benchmarks/compare_revisions.py c84afed            # 5 rounds
    python benchmarks/compare_revisions.py c84afed --rounds 3
    python benchmarks/compare_revisions.py c84afed --bits     # same bits?

The earlier revision's package is taken with ``git archive`` into a
temporary folder and imported under another name (the package imports
itself relatively), so both versions run in this process, on the same data,
one fit of each per round, alternating which goes first. Each row is the
median over rounds of fit time per L-BFGS iteration (``tol=0``, so every
fit runs ``max_iter`` iterations; per alternation for sparse coding), and
the ratio after/before. A refactor that changes no arithmetic (the fits
give the same bits) runs the same iterations and evaluations on both
sides, so the ratio is the cost of the code around them. The shapes are
those of ``benchmarks/run.py``. Fits hold BLAS to one thread as they
always do; nothing else should run on the machine meanwhile.

``--bits`` times nothing: it fits every estimator once on each side (small
shapes, float64 and float32, chunked, sparse) at a fixed ``random_state``
and prints a hash of all fitted array attributes and of ``transform``'s
output, and whether the two sides give the same bits.
"""

import argparse
import hashlib
import importlib
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import scipy.sparse

import skl_sparseae as after

REPOSITORY = pathlib.Path(__file__).resolve().parent.parent


def package_at(revision, folder):
    """The package as it was at ``revision``, imported as
    ``skl_sparseae_before``."""
    archive = subprocess.run(
        ["git", "-C", str(REPOSITORY), "archive", revision, "skl_sparseae"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    shutil.move(folder / "skl_sparseae", folder / "skl_sparseae_before")
    sys.path.insert(0, str(folder))
    return importlib.import_module("skl_sparseae_before")


def data(n_samples, n_features, dtype=np.float64, whiten=False):
    X = np.random.RandomState(n_samples + n_features).uniform(
        size=(n_samples, n_features)
    )
    if whiten:
        X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X.astype(dtype)


def cases():
    """``{row: (make(package) -> estimator, X, y)}``."""
    X784 = data(10000, 784)
    X64 = data(2000, 64)
    labels = np.random.RandomState(1).randint(0, 10, 10000)
    whitened = data(2000, 64, whiten=True)
    fixed = dict(tol=0, random_state=0)
    return {
        "SparseAutoencoder (10000, 784, 196) float64": (
            lambda p: p.SparseAutoencoder(196, max_iter=6, **fixed),
            X784,
            None,
        ),
        "SparseAutoencoder (10000, 784, 196) float32": (
            lambda p: p.SparseAutoencoder(196, max_iter=6, **fixed),
            X784.astype(np.float32),
            None,
        ),
        "SparseAutoencoder (2000, 64, 25)": (
            lambda p: p.SparseAutoencoder(25, max_iter=60, **fixed),
            X64,
            None,
        ),
        "SparseAutoencoder (500, 64, 25)": (
            lambda p: p.SparseAutoencoder(25, max_iter=100, **fixed),
            X64[:500],
            None,
        ),
        "DeepSparseAutoencoder (10000, 784, (196, 64))": (
            lambda p: p.DeepSparseAutoencoder(
                (196, 64), pretrain=False, max_iter=4, **fixed
            ),
            X784,
            None,
        ),
        "DeepSparseAutoencoder (2000, 64, (25, 10))": (
            lambda p: p.DeepSparseAutoencoder(
                (25, 10), pretrain=False, max_iter=60, **fixed
            ),
            X64,
            None,
        ),
        "SparseAutoencoderClassifier (10000, 784, (196,))": (
            lambda p: p.SparseAutoencoderClassifier(
                (196,), pretrain_max_iter=3, max_iter=6, **fixed
            ),
            X784,
            labels,
        ),
        "ReconstructionICA (2000, 64, 100)": (
            lambda p: p.ReconstructionICA(100, max_iter=40, **fixed),
            whitened,
            None,
        ),
        "TopographicSparseCoding (500, 64, 49)": (
            lambda p: p.TopographicSparseCoding(49, max_iter=2, **fixed),
            whitened[:500],
            None,
        ),
    }


def bits_cases():
    """``{row: (make(package) -> estimator, X, y)}``, small and quick."""
    X = data(300, 64)
    labels = np.random.RandomState(1).randint(0, 10, 300)
    whitened = data(300, 64, whiten=True)
    fixed = dict(random_state=0)
    return {
        "SparseAutoencoder": (
            lambda p: p.SparseAutoencoder(16, max_iter=40, **fixed),
            X,
            None,
        ),
        "SparseAutoencoder float32": (
            lambda p: p.SparseAutoencoder(16, max_iter=40, **fixed),
            X.astype(np.float32),
            None,
        ),
        "SparseAutoencoder tied, cross-entropy, chunk_size=37": (
            lambda p: p.SparseAutoencoder(
                16,
                max_iter=40,
                tied_weights=True,
                loss="cross_entropy",
                chunk_size=37,
                **fixed,
            ),
            X,
            None,
        ),
        "SparseAutoencoder sparse X": (
            lambda p: p.SparseAutoencoder(16, max_iter=30, chunk_size=50, **fixed),
            scipy.sparse.csr_matrix(X * (X > 0.5)),
            None,
        ),
        "DeepSparseAutoencoder chunk_size=41": (
            lambda p: p.DeepSparseAutoencoder(
                (20, 8), max_iter=30, chunk_size=41, **fixed
            ),
            X,
            None,
        ),
        "SparseAutoencoderClassifier chunk_size=33": (
            lambda p: p.SparseAutoencoderClassifier(
                (20, 10), pretrain_max_iter=20, max_iter=30, chunk_size=33, **fixed
            ),
            X,
            labels,
        ),
        "ReconstructionICA normalize_filters": (
            lambda p: p.ReconstructionICA(
                20, max_iter=40, normalize_filters=True, chunk_size=29, **fixed
            ),
            whitened,
            None,
        ),
        "TopographicSparseCoding": (
            lambda p: p.TopographicSparseCoding(16, max_iter=4, **fixed),
            whitened[:120],
            None,
        ),
    }


def fitted(package, make, X, y):
    model = make(package)
    return model.fit(X) if y is None else model.fit(X, y)


def fitted_names(model):
    """The names of the model's fitted attributes."""
    return {name for name in vars(model) if name.endswith("_") and name[0] != "_"}


def fitted_hash(model, X, names):
    """A hash of the fitted array attributes ``names``, and of transform's
    output."""
    digest = hashlib.sha256()
    for name in sorted(names):
        value = getattr(model, name)
        for item in value if isinstance(value, list) else [value]:
            if item is not None:
                digest.update(np.asarray(item).tobytes())
    digest.update(np.asarray(model.transform(X[:50])).tobytes())
    return digest.hexdigest()[:16]


def seconds_per_iteration(package, make, X, y):
    model = make(package)
    start = time.perf_counter()
    model.fit(X) if y is None else model.fit(X, y)
    return (time.perf_counter() - start) / model.n_iter_


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="the earlier revision, e.g. c84afed")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--bits", action="store_true", help="compare fitted bits, time nothing"
    )
    arguments = parser.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as folder:
        before = package_at(arguments.revision, pathlib.Path(folder))
        if arguments.bits:
            print(f"before: {arguments.revision}; after: the working tree")
            same = True
            for name, (make, X, y) in bits_cases().items():
                models = [fitted(p, make, X, y) for p in (before, after)]
                # What both sides fit (a new fitted attribute, such as
                # mean_activation_, has nothing to compare with; it is
                # named in the row).
                names = fitted_names(models[0]) & fitted_names(models[1])
                added = sorted(fitted_names(models[1]) - names)
                old, new = (fitted_hash(model, X, names) for model in models)
                same &= old == new
                verdict = "same bits" if old == new else "DIFFERENT"
                extra = f" (after also fits {', '.join(added)})" if added else ""
                print(f"{name:55} {old} {new} {verdict}{extra}")
            sys.exit(0 if same else 1)
        rows = cases()
        times = {name: {"before": [], "after": []} for name in rows}
        for round_ in range(arguments.rounds):
            sides = [("before", before), ("after", after)]
            if round_ % 2:
                sides.reverse()
            for name, (make, X, y) in rows.items():
                for side, package in sides:
                    times[name][side].append(seconds_per_iteration(package, make, X, y))
            print(f"round {round_ + 1}/{arguments.rounds}", file=sys.stderr)
    print(f"before: {arguments.revision}; after: the working tree")
    print(f"{'fit, per iteration':50} {'before ms':>10} {'after ms':>10} {'ratio':>6}")
    for name, sides in times.items():
        old, new = (statistics.median(sides[side]) for side in ("before", "after"))
        print(f"{name:50} {1e3 * old:10.2f} {1e3 * new:10.2f} {new / old:6.3f}")


if __name__ == "__main__":
    main()
