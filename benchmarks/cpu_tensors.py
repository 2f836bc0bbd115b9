"""PyTorch CPU tensors against NumPy on the CPU: the same fit, per L-BFGS
iteration, in interleaved rounds.

    python benchmarks/cpu_tensors.py            # (10000, 784, 196), 5 rounds
    python benchmarks/cpu_tensors.py --rounds 3

Under ``array_api_dispatch`` a CPU tensor takes the device path (the
objective in torch, one whole chunk at a time, on PyTorch's own threads),
and a NumPy array the CPU engine (chunks on its threads, BLAS held to one
thread each). This measures what docs/gpus.rst tells CPU users: pass NumPy
there. Both fits run ``tol=0`` for the same number of iterations on the same
data, float64 and float32, after one warm-up fit of each (run.py's
``interleaved_medians``); the ratio is torch / NumPy. Needs PyTorch.
"""

import argparse
import os
import time
import warnings
from functools import partial

os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from run import interleaved_medians  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from skl_sparseae import SparseAutoencoder  # noqa: E402


def per_iteration(X, max_iter):
    """``(seconds per L-BFGS iteration,)`` of one fit of X (NumPy or a
    tensor), a measurement for ``interleaved_medians``."""
    model = SparseAutoencoder(196, max_iter=max_iter, tol=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with sklearn.config_context(array_api_dispatch=True):
            start = time.perf_counter()
            model.fit(X)
            elapsed = time.perf_counter() - start
    return (elapsed / model.n_iter_,)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--max-iter", type=int, default=6)
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        raise SystemExit(
            "benchmarks/cpu_tensors.py needs PyTorch: pip install torch"
        ) from None

    print(f"torch {torch.__version__}, {torch.get_num_threads()} torch threads")
    print(f"SparseAutoencoder(196) on ({args.rows}, 784), ms per iteration")
    print(f"{'dtype':8s} {'NumPy':>8s} {'torch CPU':>10s} {'torch / NumPy':>14s}")
    X64 = np.random.RandomState(0).uniform(size=(args.rows, 784))
    for dtype in (np.float64, np.float32):
        X = X64.astype(dtype)
        medians = interleaved_medians(
            {
                "numpy": partial(per_iteration, X, args.max_iter),
                "torch": partial(per_iteration, torch.from_numpy(X), args.max_iter),
            },
            args.rounds,
        )
        (numpy_time,), (torch_time,) = medians["numpy"], medians["torch"]
        print(
            f"{np.dtype(dtype).name:8s} {numpy_time * 1e3:8.0f} "
            f"{torch_time * 1e3:10.0f} {torch_time / numpy_time:14.2f}"
        )


if __name__ == "__main__":
    main()
