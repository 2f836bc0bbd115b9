"""The fit with X on a GPU, per L-BFGS iteration, against everything it must
be measured by, in one run.

    python benchmarks/gpu.py                      # CUDA, the issue's shapes
    python benchmarks/gpu.py --device cpu --quick # a trial on torch's CPU

It needs PyTorch and a CUDA GPU (``--device cuda``, the default), and exits
with a message where there is none. For each shape (rows, 784, 196), dtype
(float64, float32) and model (the SAE; the deep model (196, 64) without
pretraining) it fits X on the device with ``tol=0`` for a fixed number of
iterations under ``array_api_dispatch`` and prints, per iteration:

- ``evals / it``: evaluations per iteration;
- ``device eval``: the time inside the objective's evaluations (device
  work, with the two copies below), per iteration;
- ``transfers``: theta up and the sums down (what crosses per evaluation);
- ``L-BFGS-B host``: the fit's time outside the evaluations: scipy's
  L-BFGS-B on the host, the driver around it, and the fit's start (the
  checks of X) spread over its iterations;
- ``GEMM floor``: the matrix products of one evaluation alone on the
  device (5 for one hidden layer, 6L - 1 for L), times evaluations per
  iteration;
- ``CPU engine``: the same fit on this machine's CPU engine, every core,
  in this run: ``CPU eval`` (its evaluation, measured in a short fit on
  NumPy X: 3 iterations, 1 at a million rows) times the device fit's
  evaluations per iteration, plus the same L-BFGS-B host time. ``CPU short
  fit`` is that fit's own seconds per iteration, which carry its start
  (the first evaluation, the line search's first trials, the checks of X);
- ``torch SAE eval``: a hand-written PyTorch SAE (forward and backward by
  hand, the same J) per evaluation on the same device (SAE rows only);

and the ratios the GPU issue sets targets for: iteration speed-up over the
CPU engine, iteration / (L-BFGS-B host + floor), device evaluation / torch
evaluation. Fine-tuning (SparseAutoencoderClassifier's (196,) network, 10
classes) is counted per evaluation, as the project decided: its objective
on the device against the same objective on the CPU engine, and its GEMM
floor. Then one evaluation (the best of three) at a million rows for
several ``chunk_size`` values, which is what "auto" picks from, and last
the SAE's fit table at fewer rows, where the device starts to pay. The
CPU engine's iteration is its measured evaluation times the device fit's
evaluations per iteration, plus the same L-BFGS-B host time: a fit of one
iteration carries its start. A row that fails prints why, the rest
still run, and the exit status is then 1. On an H200 it ran in 130 s, the two GPU test
files before it in 40 s (``benchmarks/gpu_checks.sh``; docs/gpus.rst has
the tables).
``benchmarks/device_traffic.py`` models the same evaluations from their
counted flops and bytes (docs/gpus.rst has its table): where the two
disagree, the model's peaks or its list of operations are wrong.
"""

import argparse
import os
import sys
import time
import warnings
from functools import partial

os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np  # noqa: E402
import sklearn  # noqa: E402

import skl_sparseae._kernel as kernel_module  # noqa: E402
from skl_sparseae import (  # noqa: E402
    DeepSparseAutoencoder,
    SparseAutoencoder,
    SparseAutoencoderClassifier,
)
from skl_sparseae._array_ops import ArrayAPIOps  # noqa: E402
from skl_sparseae._executors import executor_for  # noqa: E402
from skl_sparseae._layouts import ClassifierLayout
from skl_sparseae._runners import default_n_threads  # noqa: E402

N_FEATURES, N_COMPONENTS = 784, 196


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="torch device (cuda, cpu)")
    parser.add_argument(
        "--quick", action="store_true", help="small shapes: a trial of the script"
    )
    return parser.parse_args()


def torch_or_exit(device_name):
    try:
        import torch
    except ImportError:
        sys.exit("benchmarks/gpu.py needs PyTorch: pip install torch")
    if device_name.startswith("cuda") and not torch.cuda.is_available():
        sys.exit(
            "No CUDA GPU here (torch.cuda.is_available() is False): this "
            "benchmark times the fit on a GPU. For a trial of the script on "
            "the CPU: python benchmarks/gpu.py --device cpu --quick"
        )
    # No TF32: the products must be float32 (and float64) as asked.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    return torch, torch.device(device_name)


def synchronizer(torch, device):
    """What waits for the device's queued work (nothing to wait for on the CPU)."""
    return torch.cuda.synchronize if device.type == "cuda" else (lambda: None)


def best_seconds(sync, work, repeats=3):
    """The fewest seconds one call of ``work()`` took in ``repeats`` calls,
    the device synchronised (``sync()``) before and after each."""
    best = np.inf
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        work()
        sync()
        best = min(best, time.perf_counter() - start)
    return best


class Clock:
    """Seconds spent in the objective's evaluations and in the transfers,
    with the device synchronised at each edge."""

    def __init__(self, torch, device):
        self.sync = synchronizer(torch, device)
        self.evaluations = self.evaluate_seconds = self.transfer_seconds = 0.0

    def install(self):
        clock = self
        evaluate = kernel_module.ChunkedObjective.evaluate
        to_device, to_host = ArrayAPIOps.to_device, ArrayAPIOps.to_host

        def timed_evaluate(objective, theta):
            clock.sync()
            start = time.perf_counter()
            result = evaluate(objective, theta)
            clock.sync()
            clock.evaluate_seconds += time.perf_counter() - start
            clock.evaluations += 1
            return result

        def timed(method):
            def wrapper(ops, *arrays):
                clock.sync()
                start = time.perf_counter()
                result = method(ops, *arrays)
                clock.sync()
                clock.transfer_seconds += time.perf_counter() - start
                return result

            return wrapper

        kernel_module.ChunkedObjective.evaluate = timed_evaluate
        ArrayAPIOps.to_device = timed(to_device)
        ArrayAPIOps.to_host = timed(to_host)
        self._originals = (evaluate, to_device, to_host)

    def uninstall(self):
        evaluate, to_device, to_host = self._originals
        kernel_module.ChunkedObjective.evaluate = evaluate
        ArrayAPIOps.to_device, ArrayAPIOps.to_host = to_device, to_host


def model(kind, max_iter, chunk_size="auto"):
    common = dict(tol=0.0, max_iter=max_iter, random_state=0, chunk_size=chunk_size)
    if kind == "SAE":
        return SparseAutoencoder(N_COMPONENTS, **common)
    return DeepSparseAutoencoder((N_COMPONENTS, 64), pretrain=False, **common)


def fit_seconds(estimator, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        estimator.fit(X)
        return time.perf_counter() - start


def device_fit(torch, device, kind, X, max_iter):
    clock = Clock(torch, device)
    clock.install()
    try:
        with sklearn.config_context(array_api_dispatch=True):
            estimator = model(kind, max_iter)
            clock.sync()
            seconds = fit_seconds(estimator, X)
            clock.sync()
    finally:
        clock.uninstall()
    n_iter = estimator.n_iter_
    return {
        "iteration": seconds / n_iter,
        "device_eval": clock.evaluate_seconds / n_iter,
        "transfers": clock.transfer_seconds / n_iter,
        "host": (seconds - clock.evaluate_seconds) / n_iter,
        "evaluations_per_iteration": clock.evaluations / n_iter,
    }


def mirrored(widths):
    """The layer sizes of an autoencoder with encoder ``widths``."""
    return [N_FEATURES, *widths, *widths[-2::-1], N_FEATURES]


def gemm_floor(torch, device, X, sizes, repeats=3):
    """Seconds of one evaluation's matrix products alone, as
    benchmarks/run.py counts them, for a network of layer ``sizes``: per
    layer the forward product and the weight gradient, and the delta
    product of every layer but the first (6L - 1 for an autoencoder of L
    encoder layers, 5 for the classifier's one hidden layer); the best of
    ``repeats``. The activations and deltas are X's shape and dtype."""
    sync = synchronizer(torch, device)
    n_samples = X.shape[0]
    generator = torch.Generator(device=device).manual_seed(1)

    def uniform(*shape):
        return torch.rand(*shape, dtype=X.dtype, device=device, generator=generator)

    activations = [X] + [uniform(n_samples, w) for w in sizes[1:]]
    deltas = [uniform(n_samples, w) for w in sizes]
    weights = [uniform(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]

    def products():
        for i, W in enumerate(weights):
            activations[i] @ W  # forward
            activations[i].T @ deltas[i + 1]  # gradient
            if i > 0:
                deltas[i + 1] @ W.T  # delta of the layer below

    return best_seconds(sync, products, repeats)


def cpu_fit(torch, device, kind, X_host, max_iter):
    """The same fit on NumPy X on the CPU engine (every core):
    ``(seconds per iteration of the short fit, seconds per evaluation)``.
    A fit of one or three iterations carries its start (the first
    evaluation, the line search's first trials, the checks of X), so the
    table's CPU iteration is built from the evaluation instead."""
    clock = Clock(torch, device)
    clock.install()
    try:
        estimator = model(kind, max_iter)
        seconds = fit_seconds(estimator, X_host)
    finally:
        clock.uninstall()
    return seconds / estimator.n_iter_, clock.evaluate_seconds / clock.evaluations


def hand_written_torch_sae(torch, X, rho=0.01, beta=3.0, alpha=1e-4):
    """The SAE's J and gradient written by hand in PyTorch (the whole batch
    at once, as a hand-written script would), at a fixed random theta on
    X's device: a function of no arguments that returns J and the gradient
    on the host, as L-BFGS-B would need them."""
    device = X.device
    m, n = X.shape
    generator = torch.Generator(device=device).manual_seed(0)
    W1 = torch.rand(N_COMPONENTS, n, dtype=X.dtype, device=device, generator=generator)
    W2 = torch.rand(N_COMPONENTS, n, dtype=X.dtype, device=device, generator=generator)
    W1, W2 = (W1 - 0.5) * 0.1, (W2 - 0.5) * 0.1
    b1 = torch.zeros(N_COMPONENTS, dtype=X.dtype, device=device)
    b2 = torch.zeros(n, dtype=X.dtype, device=device)

    def evaluation():
        A = torch.sigmoid(X @ W1.T + b1)
        X_hat = torch.sigmoid(A @ W2 + b2)
        rho_hat = A.mean(dim=0)
        residual = X_hat - X
        J = (
            0.5 * (residual * residual).sum() / m
            + 0.5 * alpha * ((W1 * W1).sum() + (W2 * W2).sum())
            + beta
            * (
                rho * torch.log(rho / rho_hat)
                + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
            ).sum()
        )
        delta_out = residual * X_hat * (1 - X_hat)
        sparsity = beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat))
        delta_hidden = (delta_out @ W2.T + sparsity) * A * (1 - A)
        grad = torch.cat(
            [
                (delta_hidden.T @ X / m + alpha * W1).reshape(-1),
                (A.T @ delta_out / m + alpha * W2).reshape(-1),
                delta_hidden.sum(0) / m,
                delta_out.sum(0) / m,
            ]
        )
        # J and the gradient down to the host, as L-BFGS-B would need them.
        return torch.cat([J.reshape(1), grad]).cpu().numpy()

    return evaluation


def torch_sae_evaluation(torch, device, X, repeats=3):
    """Seconds of one evaluation of the hand-written PyTorch SAE (the best
    of ``repeats``)."""
    evaluation = hand_written_torch_sae(torch, X)
    results = []
    seconds = best_seconds(
        synchronizer(torch, device), lambda: results.append(evaluation()), repeats
    )
    assert np.isfinite(results[-1]).all()
    return seconds


def fine_tuning_evaluations(torch, device, X, X_host, repeats=3):
    """``(device seconds, CPU seconds)`` of one evaluation of the
    classifier's fine-tuning objective, (196,) hidden units and 10 classes,
    at the same theta: on X's device and on the CPU engine."""
    sync = synchronizer(torch, device)
    estimator = SparseAutoencoderClassifier((N_COMPONENTS,))
    y = np.arange(X.shape[0]) % 10
    options = dict(hidden_layer_sizes=(N_COMPONENTS,), n_classes=10)
    theta = np.random.RandomState(0).uniform(
        -0.05, 0.05, ClassifierLayout(X.shape[1], (N_COMPONENTS,), 10).n_parameters
    )
    seconds = []
    for data, dispatch in ((X, True), (X_host, False)):
        with sklearn.config_context(array_api_dispatch=dispatch):
            executor = executor_for(data)
            with executor.objective(estimator._objective, data, y, **options) as f:
                f(theta)  # warm up
                seconds.append(best_seconds(sync, partial(f, theta), repeats))
    return tuple(seconds)


def sweep_row(torch, device, X, chunk_size, repeats=3):
    """One SAE evaluation on the device at ``chunk_size`` (the best of
    ``repeats``): a row of the chunk_size table."""
    estimator = SparseAutoencoder(N_COMPONENTS, chunk_size=chunk_size)
    theta = np.random.RandomState(0).uniform(
        -0.05, 0.05, estimator._layout(X.shape[1]).n_parameters
    )
    with sklearn.config_context(array_api_dispatch=True):
        with executor_for(X).objective(estimator._objective, X) as objective:
            objective(theta)  # warm up
            seconds = best_seconds(
                synchronizer(torch, device), partial(objective, theta), repeats
            )
            rows = objective.chunk_size
    print(f"| {chunk_size} | {rows} | {seconds * 1e3:.1f} ms |", flush=True)


FAILURES = []


def guarded(label, work):
    """``work()``, or None once what failed is printed (and kept in
    ``FAILURES``): on a machine lent for a few minutes one failure must not
    cost the rest of the run."""
    try:
        return work()
    except Exception as error:
        FAILURES.append(label)
        print(f"| {label}: failed: {type(error).__name__}: {error} |", flush=True)
        return None


def random_X(torch, device, n_samples, dtype):
    generator = torch.Generator(device=device).manual_seed(0)
    return torch.rand(
        n_samples,
        N_FEATURES,
        dtype=getattr(torch, dtype),
        device=device,
        generator=generator,
    )


FIT_HEADER = (
    "| model | rows | dtype | iteration | evals / it | device eval | transfers | "
    "L-BFGS-B host | GEMM floor | CPU engine | CPU eval | CPU short fit | "
    "torch SAE eval | vs CPU | it / (host + floor) | eval / torch |"
)


def fit_row(torch, device, kind, X, X_host, device_iterations, cpu_iterations):
    """One row of the fit table (see the module's docstring)."""
    widths = (N_COMPONENTS,) if kind == "SAE" else (N_COMPONENTS, 64)
    timing = device_fit(torch, device, kind, X, device_iterations)
    per_iteration = timing["evaluations_per_iteration"]
    floor = gemm_floor(torch, device, X, mirrored(widths)) * per_iteration
    cpu_short_fit, cpu_eval = cpu_fit(torch, device, kind, X_host, cpu_iterations)
    # The CPU engine's iteration: its evaluations at the device fit's count
    # per iteration, and the same L-BFGS-B host time (the same host).
    cpu = cpu_eval * per_iteration + timing["host"]
    torch_eval = torch_sae_evaluation(torch, device, X) if kind == "SAE" else None
    device_eval = timing["device_eval"] / per_iteration
    cells = [
        kind,
        f"{X.shape[0]}",
        str(X.dtype).removeprefix("torch."),
        f"{timing['iteration'] * 1e3:.1f} ms",
        f"{per_iteration:.2f}",
        f"{timing['device_eval'] * 1e3:.1f} ms",
        f"{timing['transfers'] * 1e3:.2f} ms",
        f"{timing['host'] * 1e3:.1f} ms",
        f"{floor * 1e3:.1f} ms",
        f"{cpu * 1e3:.0f} ms",
        f"{cpu_eval * 1e3:.0f} ms",
        f"{cpu_short_fit * 1e3:.0f} ms",
        "" if torch_eval is None else f"{torch_eval * 1e3:.1f} ms",
        f"{cpu / timing['iteration']:.1f}x",
        f"{timing['iteration'] / (timing['host'] + floor):.2f}",
        "" if torch_eval is None else f"{device_eval / torch_eval:.2f}",
    ]
    print("| " + " | ".join(cells) + " |", flush=True)


def fine_tuning_row(torch, device, X, X_host):
    on_device, on_cpu = fine_tuning_evaluations(torch, device, X, X_host)
    floor = gemm_floor(torch, device, X, [N_FEATURES, N_COMPONENTS, 10])
    print(
        f"| {X.shape[0]} | {str(X.dtype).removeprefix('torch.')} | "
        f"{on_device * 1e3:.1f} ms | {floor * 1e3:.1f} ms | {on_cpu * 1e3:.0f} ms | "
        f"{on_cpu / on_device:.1f}x |",
        flush=True,
    )


def release(torch, device):
    """Give the device's cached blocks back between shapes: a million rows in
    float64 must not meet the last shape's leftovers."""
    if device.type == "cuda":
        torch.cuda.empty_cache()


def warm_up(torch, device):
    """Everything the tables time, once, small: the device's context, its
    libraries' handles and first kernels must not land in the first row."""
    for dtype in ("float64", "float32"):
        X = random_X(torch, device, 1000, dtype)
        for kind, widths in (("SAE", (N_COMPONENTS,)), ("deep", (N_COMPONENTS, 64))):
            device_fit(torch, device, kind, X, 2)
            gemm_floor(torch, device, X, mirrored(widths), repeats=1)
        torch_sae_evaluation(torch, device, X, repeats=1)
        fine_tuning_evaluations(torch, device, X, X.cpu().numpy(), repeats=1)


def main():
    arguments = parse_arguments()
    torch, device = torch_or_exit(arguments.device)
    if arguments.quick:
        # (rows, device iterations, CPU iterations)
        shapes = [(2000, 5, 2), (6000, 5, 2)]
        crossover_rows = [500, 1000]
        n_sweep = 6000
    else:
        shapes = [(60000, 10, 3), (1000000, 10, 1)]
        crossover_rows = [100, 300, 1000, 3000, 10000, 30000]
        n_sweep = 1000000
    name = torch.cuda.get_device_name() if device.type == "cuda" else "CPU"
    print(f"device: {device} ({name})")
    versions = f"torch {torch.__version__}, numpy {np.__version__}"
    print(f"{versions}, scikit-learn {sklearn.__version__}")
    print(
        f"host: {os.cpu_count()} CPUs, the CPU engine on {default_n_threads()} threads"
    )
    started = time.perf_counter()
    guarded("warm-up", partial(warm_up, torch, device))
    print()
    print(FIT_HEADER)
    print("|" + "---|" * FIT_HEADER.count(" | ") + "---|")
    for n_samples, device_iterations, cpu_iterations in shapes:
        for dtype in ("float64", "float32"):
            X = random_X(torch, device, n_samples, dtype)
            X_host = X.cpu().numpy()
            for kind in ("SAE", "deep"):
                guarded(
                    f"{kind} {n_samples} {dtype}",
                    partial(
                        fit_row,
                        torch,
                        device,
                        kind,
                        X,
                        X_host,
                        device_iterations,
                        cpu_iterations,
                    ),
                )
            del X, X_host
            release(torch, device)
    print()
    print("'evals / it' is evaluations per iteration; 'device eval', 'transfers',")
    print("'L-BFGS-B host' and the GEMM floor (one evaluation's products x evals /")
    print("it) are per iteration. 'CPU engine' is the CPU engine's evaluation")
    print("('CPU eval', measured in a short fit on NumPy X, every core) x evals / it")
    print("+ the same L-BFGS-B host time; 'CPU short fit' is that fit's seconds per")
    print("iteration, its start included.")
    print()
    print("Fine-tuning, (784, (196,), 10 classes), per evaluation:")
    print("| rows | dtype | device eval | GEMM floor | CPU engine | vs CPU |")
    print("|---|---|---|---|---|---|")
    for n_samples, _, _ in shapes:
        for dtype in ("float64", "float32"):
            X = random_X(torch, device, n_samples, dtype)
            X_host = X.cpu().numpy()
            guarded(
                f"fine-tuning {n_samples} {dtype}",
                partial(fine_tuning_row, torch, device, X, X_host),
            )
            del X, X_host
            release(torch, device)
    print()
    X = random_X(torch, device, n_sweep, "float64")
    sizes = [1024, 4096, 16384, 65536, 262144, None, "auto"]
    print(f"One SAE evaluation at ({n_sweep}, 784, 196) float64 by chunk_size:")
    print("| chunk_size | rows per chunk | evaluation |")
    print("|---|---|---|")
    for chunk_size in sizes:
        guarded(
            f"chunk_size {chunk_size}",
            partial(sweep_row, torch, device, X, chunk_size),
        )
    del X
    print()
    print("Where the device pays: the SAE at fewer rows (the fit table's columns):")
    print(FIT_HEADER)
    print("|" + "---|" * FIT_HEADER.count(" | ") + "---|")
    for n_samples in crossover_rows:
        for dtype in ("float64", "float32"):
            X = random_X(torch, device, n_samples, dtype)
            X_host = X.cpu().numpy()
            guarded(
                f"SAE {n_samples} {dtype}",
                partial(fit_row, torch, device, "SAE", X, X_host, 10, 5),
            )
            del X, X_host
            release(torch, device)
    print(f"\n(all of it in {time.perf_counter() - started:.0f} s)")
    if FAILURES:
        sys.exit(f"{len(FAILURES)} failed: {', '.join(FAILURES)}")


if __name__ == "__main__":
    main()
