"""One evaluation on a device, counted rather than timed: what a GPU would
have to do for it, and how long that would take at the GPU's peak.

    python benchmarks/device_traffic.py
    python benchmarks/device_traffic.py --tflops 67 --bandwidth 4.8

It needs PyTorch, and its CPU build is enough: nothing here is timed. Every
operation PyTorch runs in one evaluation is seen through a
``TorchDispatchMode``. A matrix product counts its 2 m k n floating-point
operations and its bytes. Any other operation counts the bytes of the
tensors it reads and writes (views cost nothing). The modelled device time
is the products' flops at the peak (or their bytes at the bandwidth, were
that longer), the other bytes at the bandwidth, and one launch latency per
operation.

The counts are taken at a few thousand rows and carried to the issue's
shapes, (60000, 784, 196) and (1000000, 784, 196): each figure is ``a + b *
rows`` over one chunk (counted at two row counts), plus what each further
chunk adds (counted with two chunks), times the chunks ``"auto"`` makes.

What is counted:

- the package's evaluation on a torch tensor (the SAE, the deep model
  (196, 64) and the classifier's fine-tuning, (196,) hidden units and 10
  classes), as the L-BFGS fit calls it, with theta's copy up and the sums'
  copy down;
- the hand-written PyTorch SAE of ``benchmarks/gpu.py`` (the whole batch at
  once), which the issue sets the package's evaluation against (within 1.2x).

The default peaks are an H200's: 67 TFLOP/s (FP64 on tensor cores; FP32
without TF32, which the package never uses), 4.8 TB/s of HBM3e and 5 us per
launch. This is a model, not a measurement: it tells which way a change
moves the device's time and by about how much where no GPU is at hand.
``benchmarks/gpu.py`` measures, on a GPU.
"""

import argparse
import os
import sys
from dataclasses import astuple, dataclass
from pathlib import Path

os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np  # noqa: E402
import sklearn  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gpu import hand_written_torch_sae  # noqa: E402

from skl_sparseae import (  # noqa: E402
    DeepSparseAutoencoder,
    SparseAutoencoder,
    SparseAutoencoderClassifier,
)
from skl_sparseae._executors import executor_for  # noqa: E402
from skl_sparseae._layouts import ClassifierLayout
from skl_sparseae._runners import ArrayAPIRunner  # noqa: E402

N_FEATURES, N_COMPONENTS, N_CLASSES = 784, 196, 10
SHAPES = (60_000, 1_000_000)
#: Operations that write their first argument without reading it.
WRITE_ONLY = {"copy_", "fill_", "zero_"}
#: Matrix products: flops as well as bytes.
PRODUCTS = {"mm", "addmm", "bmm", "dot", "mv", "vdot"}


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000, help="rows counted")
    parser.add_argument(
        "--tflops", type=float, default=67.0, help="peak TFLOP/s (both dtypes)"
    )
    parser.add_argument(
        "--bandwidth", type=float, default=4.8, help="memory bandwidth, TB/s"
    )
    parser.add_argument(
        "--launch-us", type=float, default=5.0, help="microseconds per operation"
    )
    return parser.parse_args()


@dataclass
class Counts:
    """What the operations of one evaluation add up to."""

    product_flops: float = 0.0
    product_bytes: float = 0.0
    other_bytes: float = 0.0
    operations: int = 0

    def __add__(self, other):
        return Counts(
            *(a + b for a, b in zip(astuple(self), astuple(other), strict=True))
        )

    def __sub__(self, other):
        return self + other.scaled(-1)

    def scaled(self, factor):
        return Counts(*(a * factor for a in astuple(self)))


def counted(torch, evaluation):
    """The :class:`Counts` of one call of ``evaluation()``."""
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_flatten

    counts = Counts()

    def size(tensor):
        return tensor.numel() * tensor.element_size()

    class Mode(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            result = func(*args, **(kwargs or {}))
            if func.is_view:
                return result
            name = func.overloadpacket.__name__
            inputs = [
                item
                for item in tree_flatten((args, kwargs))[0]
                if isinstance(item, torch.Tensor)
            ]
            if name in WRITE_ONLY:
                inputs = inputs[1:]
            read = sum(size(t) for t in {id(t): t for t in inputs}.values())
            outputs = [
                t for t in tree_flatten(result)[0] if isinstance(t, torch.Tensor)
            ]
            moved = read + sum(size(t) for t in outputs)
            if name in PRODUCTS:
                a, b = inputs[-2], inputs[-1]
                counts.product_flops += 2.0 * a.numel() * (b.numel() / a.shape[-1])
                counts.product_bytes += moved
            else:
                counts.other_bytes += moved
            counts.operations += 1
            return result

    with Mode():
        evaluation()
    return counts


def package_evaluation(torch, kind, X, chunk_size):
    """The package's objective on tensor ``X`` (as its fit builds it) and a
    theta; returns ``(evaluate, close)``."""
    rng = np.random.RandomState(0)
    with sklearn.config_context(array_api_dispatch=True):
        if kind == "fine-tuning":
            estimator = SparseAutoencoderClassifier(
                (N_COMPONENTS,), chunk_size=chunk_size
            )
            y = torch.asarray(np.arange(X.shape[0]) % N_CLASSES)
            options = dict(hidden_layer_sizes=(N_COMPONENTS,), n_classes=N_CLASSES)
            n_parameters = ClassifierLayout(
                N_FEATURES, (N_COMPONENTS,), N_CLASSES
            ).n_parameters
            objective = executor_for(X).objective(estimator._objective, X, y, **options)
        else:
            if kind == "SAE":
                estimator = SparseAutoencoder(N_COMPONENTS, chunk_size=chunk_size)
            else:
                estimator = DeepSparseAutoencoder(
                    (N_COMPONENTS, 64), pretrain=False, chunk_size=chunk_size
                )
            n_parameters = estimator._layout(N_FEATURES).n_parameters
            objective = executor_for(X).objective(estimator._objective, X)
    theta = rng.uniform(-0.05, 0.05, n_parameters)

    def evaluate():
        with sklearn.config_context(array_api_dispatch=True):
            objective(theta)

    return evaluate, objective.close


def count_package(torch, kind, X, chunk_size):
    evaluate, close = package_evaluation(torch, kind, X, chunk_size)
    try:
        evaluate()  # what a first evaluation makes once is not counted
        return counted(torch, evaluate)
    finally:
        close()


def count_hand_written(torch, X):
    evaluation = hand_written_torch_sae(torch, X)
    evaluation()
    return counted(torch, evaluation)


class Linear:
    """Counts as ``fixed + per_row * rows + per_chunk * (chunks - 1)``, from
    counts taken at ``rows`` and ``2 * rows`` rows in one chunk and, where
    the evaluation is chunked, at ``2 * rows`` in two."""

    def __init__(self, count_at, rows, chunked=True):
        one, two = count_at(rows, None), count_at(2 * rows, None)
        self.per_row = (two - one).scaled(1 / rows)
        self.fixed = one - self.per_row.scaled(rows)
        self.per_chunk = count_at(2 * rows, rows) - two if chunked else Counts()

    def at(self, n_rows, chunks):
        return (
            self.fixed + self.per_row.scaled(n_rows) + self.per_chunk.scaled(chunks - 1)
        )


def modelled_seconds(counts, peak, bandwidth, launch):
    """The products at the peak (or their bytes at the bandwidth, were that
    longer), the other operations' bytes at the bandwidth, and one launch
    per operation: ``counts`` is carried to a shape, so it holds the two
    groups' sums, not each operation (every product is far past the ridge
    point at these shapes)."""
    products = max(counts.product_flops / peak, counts.product_bytes / bandwidth)
    return products + counts.other_bytes / bandwidth + counts.operations * launch


def main():
    arguments = parse_arguments()
    try:
        import torch
    except ImportError:
        sys.exit("benchmarks/device_traffic.py needs PyTorch: pip install torch")
    torch.set_num_threads(1)
    peak = arguments.tflops * 1e12
    bandwidth = arguments.bandwidth * 1e12
    launch = arguments.launch_us * 1e-6
    rows = arguments.rows
    rng = np.random.RandomState(0)
    print(
        f"torch {torch.__version__}; counted at {rows} and {2 * rows} rows; "
        f"modelled at {arguments.tflops:g} TFLOP/s, {arguments.bandwidth:g} TB/s, "
        f"{arguments.launch_us:g} us per operation"
    )
    print()
    print(
        "| model | dtype | rows | chunks | products | other traffic | operations "
        "| modelled eval | of it products | vs hand-written |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for dtype in (torch.float64, torch.float32):
        data = {}

        def X_of(n, dtype=dtype, data=data):
            if n not in data:
                data[n] = torch.asarray(rng.uniform(size=(n, N_FEATURES)), dtype=dtype)
            return data[n]

        # Counted once per dtype, carried to every shape.
        linear = {
            kind: Linear(
                lambda n, chunk, kind=kind: count_package(torch, kind, X_of(n), chunk),
                rows,
            )
            for kind in ("SAE", "deep", "fine-tuning")
        }
        linear["hand-written SAE"] = Linear(
            lambda n, chunk: count_hand_written(torch, X_of(n)), rows, chunked=False
        )
        for n_rows in SHAPES:
            chunks = -(-n_rows // ArrayAPIRunner.chunk_rows("auto", n_rows, N_FEATURES))
            hand_seconds = modelled_seconds(
                linear["hand-written SAE"].at(n_rows, 1), peak, bandwidth, launch
            )
            for kind in ("SAE", "hand-written SAE", "deep", "fine-tuning"):
                n_chunks = 1 if kind == "hand-written SAE" else chunks
                counts = linear[kind].at(n_rows, n_chunks)
                seconds = modelled_seconds(counts, peak, bandwidth, launch)
                products = counts.product_flops / peak
                ratio = f"{seconds / hand_seconds:.2f}" if "SAE" in kind else ""
                print(
                    f"| {kind} | {str(dtype).split('.')[-1]} | {n_rows} | {n_chunks} "
                    f"| {counts.product_flops / 1e9:.0f} GFLOP "
                    f"| {counts.other_bytes / 1e9:.1f} GB "
                    f"| {counts.operations:.0f} | {seconds * 1e3:.1f} ms "
                    f"| {products * 1e3:.1f} ms | {ratio} |"
                )
    print()
    print(
        "products: the matrix products' floating-point operations; other "
        "traffic: the bytes every other operation reads and writes. The "
        "model is a floor at the GPU's peak, not a measurement."
    )


if __name__ == "__main__":
    main()
