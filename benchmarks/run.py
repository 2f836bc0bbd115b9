"""Benchmarks of SparseAutoencoder: one command, one table, ratios first.

    python benchmarks/run.py            # the full table (about 12 minutes)
    python benchmarks/run.py --quick    # fewer repeats and iterations

Every number is a median over repeats taken in this one run. The machine is
noisy, so compare ratios; absolute times are printed only next to them. The
things a ratio compares are measured in interleaved rounds (one of each per
round, then the next round), so that a slow minute slows all of them alike
instead of the one that happened to run during it.

Rows
- per L-BFGS iteration: fit time / n_iter_ with tol=0 (so every fit runs
  max_iter iterations), for SparseAutoencoder and for
  MLPRegressor(hidden_layer_sizes=(k,), activation="logistic",
  solver="lbfgs") fitted X -> X; and "after the first third": the time
  from the end of the first third of the iterations to the end of the last,
  per iteration, which leaves out what a fit pays once at its start (the
  first evaluation, the first line searches, validation), a large share of
  a 15-iteration fit and a small one of a fit of hundreds;
- per evaluation of J and its gradient (what one L-BFGS step costs when the
  line search takes the first step);
- small data, (m, 64, 25) for m = 100 ... 1000: SparseAutoencoder against
  MLPRegressor as users run it, and against itself under
  threadpool_limits(1), which no size may be slower than;
- the GEMM floor: the matrix products one evaluation cannot avoid (five
  for one hidden layer: X W1^T, A W2, delta_out^T A, delta_out W2^T,
  delta_hidden^T X; 6L - 1 for L encoder layers) on the same shapes and
  dtype, with the BLAS's own threads;
- deep models, (10000, 64, (25, 10)) and (10000, 784, (196, 64)): per
  iteration against their GEMM floor, against MLPRegressor with the mirrored
  layers (e.g. (196, 64, 196)), and float32 against float64;
- fine-tuning of SparseAutoencoderClassifier at (10000, 784, (196,)), 10
  classes: per L-BFGS iteration against MLPClassifier(solver="lbfgs");
- peak extra memory during fit (tracemalloc), in units of X's size.
"""

import argparse
import platform
import time
import tracemalloc
import warnings

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from threadpoolctl import threadpool_limits

from skl_sparseae import DeepSparseAutoencoder, SparseAutoencoder, _optimize
from skl_sparseae._autoencoder_objective import AutoencoderObjective
from skl_sparseae._classifier_objective import ClassifierObjective
from skl_sparseae._executors import IN_MEMORY
from skl_sparseae._layouts import initial_parameters
from skl_sparseae._optimize import minimize_lbfgs
from skl_sparseae._reference import loss_grad_reference
from skl_sparseae._runners import ThreadRunner, default_n_threads, serial_blas

warnings.simplefilter("ignore", ConvergenceWarning)


def median_seconds(func, repeats):
    """Median wall time of ``func()`` over ``repeats`` calls, after one warm-up."""
    return interleaved_medians({"only": lambda: timed(func)}, repeats)["only"][0]


def timed(func):
    """``(seconds,)`` that one call of ``func()`` took."""
    start = time.perf_counter()
    func()
    return (time.perf_counter() - start,)


def interleaved_medians(measurements, rounds, settle_seconds=0.0):
    """Run each measurement once per round, ``rounds`` times, after a warm-up.

    ``measurements`` maps names to functions that return a tuple of numbers.
    Returns, per name, the medians of those numbers over the rounds.

    Every other round runs the measurements in reverse order, so that none
    of them always runs in the same place of a round, e.g. always right
    after a multithreaded one: a fixed order turns any such effect into a
    bias of one ratio.

    ``settle_seconds`` of sleep go before each measurement: after a
    multithreaded BLAS call, OpenBLAS's threads keep spinning for about 0.1 s,
    and would otherwise slow down whatever runs next (MLPRegressor and the
    GEMM floor use them; SparseAutoencoder holds BLAS to one thread).
    """
    for measure in measurements.values():
        measure()
    results = {name: [] for name in measurements}
    order = list(measurements.items())
    for round_number in range(rounds):
        for name, measure in order if round_number % 2 == 0 else order[::-1]:
            time.sleep(settle_seconds)
            results[name].append(measure())
    return {
        name: tuple(float(v) for v in np.median(np.array(values), axis=0))
        for name, values in results.items()
    }


def random_data(n_samples, n_features, dtype, seed=0):
    return (
        np.random.RandomState(seed).uniform(size=(n_samples, n_features)).astype(dtype)
    )


def gemm_floor(n_samples, n_features, hidden_layer_sizes, dtype):
    """A measurement: ``(seconds,)`` of the products one evaluation needs.

    For L encoder layers (an int is one layer): the forward products of the
    encoder and decoder (2L), one gradient product per weight matrix (2L)
    and one delta product per layer but the first (2L - 1); for one layer
    these are X W1^T, A W2, A^T delta_out, delta_out W2^T, delta_hidden^T X.
    Each measurement is the median of five runs of the products.
    """
    if isinstance(hidden_layer_sizes, int):
        hidden_layer_sizes = (hidden_layer_sizes,)
    rng = np.random.RandomState(1)
    widths = [n_features, *hidden_layer_sizes, *hidden_layer_sizes[-2::-1], n_features]
    # Activations and deltas of every layer, and each layer's weights.
    activations = [rng.uniform(size=(n_samples, w)).astype(dtype) for w in widths]
    deltas = [rng.uniform(size=(n_samples, w)).astype(dtype) for w in widths]
    weights = [
        rng.uniform(size=(w_in, w_out)).astype(dtype)
        for w_in, w_out in zip(widths[:-1], widths[1:], strict=True)
    ]

    def products():
        for i, W in enumerate(weights):
            activations[i] @ W  # forward
            activations[i].T @ deltas[i + 1]  # gradient
            if i > 0:
                deltas[i + 1] @ W.T  # delta of the layer below

    def median_of_five():
        return (float(np.median([timed(products)[0] for _ in range(5)])),)

    return median_of_five


def sae(n_components, max_iter, **params):
    return SparseAutoencoder(
        n_components=n_components, max_iter=max_iter, tol=0.0, random_state=0, **params
    )


def lbfgs_mlp(estimator_class, hidden_layer_sizes, max_iter):
    """scikit-learn's MLP with logistic layers, L-BFGS, ``max_iter`` iterations."""
    return estimator_class(
        hidden_layer_sizes=hidden_layer_sizes,
        activation="logistic",
        solver="lbfgs",
        max_iter=max_iter,
        max_fun=100 * max_iter,
        tol=0.0,
        random_state=0,
    )


def mlp(n_components, max_iter):
    """MLPRegressor with the autoencoder's layers: an int is one hidden layer,
    a tuple ``(h_1, ..., h_L)`` is mirrored as ``(h_1, ..., h_L, ..., h_1)``."""
    sizes = (n_components,) if isinstance(n_components, int) else n_components
    return lbfgs_mlp(MLPRegressor, (*sizes, *sizes[-2::-1]), max_iter)


def deep(hidden_layer_sizes, max_iter, **params):
    return DeepSparseAutoencoder(
        hidden_layer_sizes,
        max_iter=max_iter,
        tol=0.0,
        pretrain=False,
        random_state=0,
        **params,
    )


def mlp_classifier(hidden_layer_sizes, max_iter):
    return lbfgs_mlp(MLPClassifier, hidden_layer_sizes, max_iter)


def lbfgs_seconds(objective, max_iter):
    """``(seconds per iteration, the same after the first third of the
    iterations)`` of the package's L-BFGS driver on an
    objective, under the serial BLAS a fit holds (the fine-tuning stage of
    SparseAutoencoderClassifier, without its pretraining)."""
    layout = objective.layout
    theta0 = np.random.RandomState(0).uniform(-0.05, 0.05, layout.n_parameters)
    start = time.perf_counter()
    with serial_blas(), IterationClock() as clock:
        result = minimize_lbfgs(
            objective, theta0, max_iter=max_iter, tol=0.0, label="fine-tuning"
        )
    return (time.perf_counter() - start) / result.n_iter, clock.steady_seconds()


class CountCalls:
    """Counts the calls of ``owner.method_name`` while active."""

    def __init__(self, owner, method_name):
        self.owner, self.method_name, self.calls = owner, method_name, 0

    def __enter__(self):
        original = self.original = getattr(self.owner, self.method_name)

        def counted(*args, **kwargs):
            self.calls += 1
            return original(*args, **kwargs)

        setattr(self.owner, self.method_name, counted)
        return self

    def __exit__(self, *exc):
        setattr(self.owner, self.method_name, self.original)


class IterationClock:
    """Records when each L-BFGS-B iteration ends, in the package's fits and
    in scikit-learn's MLPs alike, while active.

    Both reach scipy's L-BFGS-B through ``minimize``: the package through
    ``skl_sparseae._optimize.minimize``, scikit-learn through
    ``scipy.optimize.minimize``. Both names are wrapped so that scipy's
    callback (which L-BFGS-B calls once per iteration) also notes the time.
    """

    def __enter__(self):
        self.ends = []
        self.originals = [(_optimize, _optimize.minimize)]
        self.originals.append((scipy.optimize, scipy.optimize.minimize))
        for module, original in self.originals:
            module.minimize = self._clocked(original)
        return self

    def _clocked(self, original):
        def minimize(*args, callback=None, **kwargs):
            def clocked_callback(*callback_args):
                self.ends.append(time.perf_counter())
                if callback is not None:
                    return callback(*callback_args)

            return original(*args, callback=clocked_callback, **kwargs)

        return minimize

    def __exit__(self, *exc):
        for module, original in self.originals:
            module.minimize = original

    def steady_seconds(self):
        """Seconds per iteration after the first third of the iterations:
        without the fit's start (validation, initial parameters, the first
        evaluation, the first line searches, which often take more
        evaluations), which a short fit would otherwise count as
        per-iteration time."""
        skip = max(1, len(self.ends) // 3)
        return (self.ends[-1] - self.ends[skip - 1]) / (len(self.ends) - skip)


def fit_seconds(make_model, X, target=None):
    """One fit's seconds per L-BFGS iteration and per evaluation of the
    objective, and per iteration after the first third of the iterations
    (:meth:`IterationClock.steady_seconds`).

    Evaluations are counted by wrapping the method L-BFGS calls:
    AutoencoderObjective.__call__ or MLPRegressor._loss_grad_lbfgs.
    """
    counted = (
        (MLPRegressor, "_loss_grad_lbfgs")
        if target is not None and target.ndim == 2
        else (MLPClassifier, "_loss_grad_lbfgs")
        if target is not None
        else (AutoencoderObjective, "__call__")
    )
    model = make_model()
    with CountCalls(*counted) as counter, IterationClock() as clock:
        start = time.perf_counter()
        model.fit(X, target)
        seconds = time.perf_counter() - start
    return seconds / model.n_iter_, seconds / counter.calls, clock.steady_seconds()


# SparseAutoencoder's defaults (UFLDL's), as loss_grad_reference's keyword
# arguments: read off the estimator, so they cannot drift from it.
UFLDL_SPEC = {
    name: SparseAutoencoder().get_params()[name]
    for name in ["rho", "beta", "alpha", "loss", "decoder_activation", "tied_weights"]
}


def evaluation(X, n_components, **params):
    """A measurement: ``(seconds,)`` of one evaluation of J and its gradient.

    The objective is built by the estimator, exactly as ``fit`` builds it.
    Returns the measurement and the objective (``close()`` it when done).
    """
    model = sae(n_components, 1, **params)
    objective = IN_MEMORY.objective(model._objective, X)
    theta = initial_parameters(
        X.shape[1], n_components, model.tied_weights, np.random.RandomState(0)
    )
    return (lambda: timed(lambda: objective(theta))), objective


def serial_fit_seconds(make_model, X):
    """:func:`fit_seconds` with every BLAS held to one thread by the caller."""
    with threadpool_limits(1):
        return fit_seconds(make_model, X)


def peak_extra_memory(fit):
    """Peak bytes numpy allocated during ``fit()`` (tracemalloc)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    fit()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def lbfgsb_state_bytes(n_params, history=10):
    """What scipy's L-BFGS-B allocates itself for n parameters (float64).

    Its work array of 2*m*n + 5*n + 11*m^2 + 8*m doubles (m = 10 pairs of
    history), the gradient and two bound vectors, and 4 int32 vectors of n.
    """
    work = 2 * history * n_params + 5 * n_params + 11 * history**2 + 8 * history
    return 8 * (work + 3 * n_params) + 4 * 4 * n_params


def print_table(title, header, rows):
    print(f"\n### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")


def ms(seconds):
    return f"{1e3 * seconds:.1f} ms"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats = 2 if args.quick else 5
    big_iters = 5 if args.quick else 15
    small_iters = 30 if args.quick else 100

    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{default_n_threads()} BLAS threads; numpy {np.__version__}"
    )

    # Per-iteration time against MLPRegressor and the GEMM floor ---------------
    rows = []
    for (n_samples, n_features, k), iters in [
        ((10000, 64, 25), small_iters),
        ((10000, 784, 196), big_iters),
    ]:
        rounds = repeats if n_features < 200 else max(2, repeats - 2)
        X = random_data(n_samples, n_features, np.float64)
        medians = interleaved_medians(
            {
                "floor": gemm_floor(n_samples, n_features, k, np.float64),
                "mlp": lambda k=k, it=iters, X=X: fit_seconds(
                    lambda: mlp(k, it), X, target=X
                ),
                **{
                    decoder: lambda k=k, it=iters, X=X, d=decoder: fit_seconds(
                        lambda: sae(k, it, decoder_activation=d), X
                    )
                    for decoder in ["logistic", "identity"]
                },
            },
            rounds,
            settle_seconds=0.3,
        )
        (floor,), (mlp_iter, mlp_eval, _) = medians["floor"], medians["mlp"]
        for decoder in ["logistic", "identity"]:
            sae_iter, sae_eval, sae_steady = medians[decoder]
            rows.append(
                [
                    f"({n_samples}, {n_features}, {k})",
                    f"{decoder} decoder",
                    f"{sae_iter / floor:.2f}x",
                    f"{sae_steady / floor:.2f}x",
                    f"{sae_eval / floor:.2f}x",
                    f"**{mlp_iter / sae_iter:.2f}x**",
                    f"{mlp_eval / sae_eval:.2f}x",
                    ms(sae_iter),
                    ms(mlp_iter),
                    ms(floor),
                ]
            )
    print_table(
        f"float64: SparseAutoencoder per L-BFGS iteration ({small_iters} iterations "
        f"at 64 features, {big_iters} at 784)",
        [
            "(m, n_features, k)",
            "SparseAutoencoder",
            "iteration / GEMM floor",
            "the same after the first third",
            "evaluation / GEMM floor",
            "MLPRegressor / SAE, per iteration",
            "MLPRegressor / SAE, per evaluation",
            "SAE per iteration",
            "MLP per iteration",
            "GEMM floor",
        ],
        rows,
    )

    # Small data: where users start ------------------------------------------------
    # MLPRegressor runs as a user runs it (BLAS's own threads); the last column
    # is SparseAutoencoder under threadpool_limits(1), which no size may beat.
    rows = []
    small_sizes = [100, 300, 1000, 3000]
    fits = {}
    for n_samples in small_sizes:
        X = random_data(n_samples, 64, np.float64)
        fits[("sae", n_samples)] = lambda X=X: fit_seconds(lambda: sae(25, 50), X)
        fits[("sae1", n_samples)] = lambda X=X: serial_fit_seconds(
            lambda: sae(25, 50), X
        )
        fits[("mlp", n_samples)] = lambda X=X: fit_seconds(
            lambda: mlp(25, 50), X, target=X
        )
    # Millisecond fits: many rounds, or the machine's jitter dominates.
    medians = interleaved_medians(fits, 4 * repeats, settle_seconds=0.3)
    for n_samples in small_sizes:
        sae_iter = medians[("sae", n_samples)][0]
        serial_iter = medians[("sae1", n_samples)][0]
        mlp_iter = medians[("mlp", n_samples)][0]
        rows.append(
            [
                f"({n_samples}, 64, 25)",
                ms(sae_iter),
                ms(mlp_iter),
                f"**{mlp_iter / sae_iter:.2f}x**",
                ms(serial_iter),
                f"{sae_iter / serial_iter:.2f}x",
            ]
        )
    print_table(
        "Small data, float64, per L-BFGS iteration (fits of 50 iterations)",
        [
            "(m, n_features, k)",
            "SparseAutoencoder",
            "MLPRegressor",
            "MLPRegressor / SAE",
            "SAE under threadpool_limits(1)",
            "SAE / SAE under threadpool_limits(1)",
        ],
        rows,
    )

    # Deep models ------------------------------------------------------------------
    rows = []
    for (n_samples, n_features, sizes), iters in [
        ((10000, 64, (25, 10)), small_iters),
        ((10000, 784, (196, 64)), big_iters),
    ]:
        X = random_data(n_samples, n_features, np.float64)
        X32 = X.astype(np.float32)
        medians = interleaved_medians(
            {
                "floor": gemm_floor(n_samples, n_features, sizes, np.float64),
                "mlp": lambda s=sizes, it=iters, X=X: fit_seconds(
                    lambda: mlp(s, it), X, target=X
                ),
                "float64": lambda s=sizes, it=iters, X=X: fit_seconds(
                    lambda: deep(s, it), X
                ),
                "float32": lambda s=sizes, it=iters, X=X32: fit_seconds(
                    lambda: deep(s, it), X
                ),
            },
            max(2, repeats - 2),
            settle_seconds=0.3,
        )
        (floor,), (mlp_iter, _, mlp_steady) = medians["floor"], medians["mlp"]
        (deep64, deep64_eval, deep64_steady), (deep32, deep32_eval, _) = (
            medians["float64"],
            medians["float32"],
        )
        rows.append(
            [
                f"({n_samples}, {n_features}, {sizes})",
                f"{deep64 / floor:.2f}x",
                f"{deep64_steady / floor:.2f}x",
                f"**{mlp_iter / deep64:.2f}x**",
                f"{mlp_steady / deep64_steady:.2f}x",
                f"{deep64_eval / deep32_eval:.2f}x",
                ms(deep64),
                ms(deep32),
                ms(mlp_iter),
                ms(floor),
            ]
        )
    print_table(
        f"DeepSparseAutoencoder per L-BFGS iteration ({small_iters} iterations at 64 "
        f"features, {big_iters} at 784), against MLPRegressor with the mirrored layers",
        [
            "(m, n_features, hidden_layer_sizes)",
            "float64 iteration / GEMM floor",
            "the same after the first third",
            "MLPRegressor / deep, per iteration",
            "the same after the first third",
            "float64 / float32 per evaluation",
            "deep float64 per iteration",
            "deep float32 per iteration",
            "MLPRegressor",
            "GEMM floor",
        ],
        rows,
    )

    # Fine-tuning the stacked autoencoder -----------------------------------------
    n_samples, n_features, sizes = 10000, 784, (196,)
    X = random_data(n_samples, n_features, np.float64)
    y = np.random.RandomState(0).randint(0, 10, n_samples)
    with ClassifierObjective(
        X,
        y,
        hidden_layer_sizes=sizes,
        n_classes=10,
        alpha=1e-4,
        runner=ThreadRunner(2),
    ) as network:
        medians = interleaved_medians(
            {
                "fine-tuning": lambda: lbfgs_seconds(network, big_iters),
                "mlp": lambda: fit_seconds(
                    lambda: mlp_classifier(sizes, big_iters), X, target=y
                ),
            },
            max(2, repeats - 2),
            settle_seconds=0.3,
        )
    (ours, ours_steady), (theirs, _, theirs_steady) = (
        medians["fine-tuning"],
        medians["mlp"],
    )
    print_table(
        f"Fine-tuning per L-BFGS iteration ({big_iters} iterations), 10 classes, "
        "against MLPClassifier(solver='lbfgs') with the same layers",
        [
            "(m, n_features, hidden_layer_sizes)",
            "MLPClassifier / ours",
            "the same after the first third",
            "ours",
            "MLP",
        ],
        [
            [
                f"({n_samples}, {n_features}, {sizes})",
                f"**{theirs / ours:.2f}x**",
                f"{theirs_steady / ours_steady:.2f}x",
                ms(ours),
                ms(theirs),
            ]
        ],
    )

    # float32 against float64 ----------------------------------------------------
    n_samples, n_features, k = 10000, 784, 196
    reps = max(2, repeats - 2)
    rows = []
    X64 = random_data(n_samples, n_features, np.float64)
    X32 = X64.astype(np.float32)
    medians = interleaved_medians(
        {
            X.dtype.name: lambda X=X: fit_seconds(lambda: sae(k, big_iters), X)
            for X in [X64, X32]
        },
        reps,
    )
    per_iter = {name: values[0] for name, values in medians.items()}
    final_iters = 20 if args.quick else 100
    fits = {X.dtype.name: sae(k, final_iters).fit(X) for X in [X64, X32]}
    final = {name: model.loss_ for name, model in fits.items()}
    # The float32 fit's parameters, scored by the float64 objective:
    J32_in_float64, _ = loss_grad_reference(
        fits["float32"]._packed_parameters(), X64, n_components=k, **UFLDL_SPEC
    )
    rows.append(
        [
            f"({n_samples}, {n_features}, {k})",
            f"**{per_iter['float64'] / per_iter['float32']:.2f}x**",
            ms(per_iter["float64"]),
            ms(per_iter["float32"]),
            f"{(J32_in_float64 - final['float64']) / final['float64']:+.1e}",
            f"{final['float64']:.6f} / {final['float32']:.6f}",
        ]
    )
    print_table(
        f"float32 training against float64 (final J after {final_iters} iterations, "
        "same data and seed)",
        [
            "(m, n_features, k)",
            "float64 / float32 time per iteration",
            "float64",
            "float32",
            "final J of the float32 fit scored in float64, relative to the "
            "float64 fit's (below 0: lower)",
            "final J float64 / float32",
        ],
        rows,
    )

    # Growth in m -------------------------------------------------------------
    sizes = [2500, 5000, 10000, 20000, 40000, 80000]
    evaluations, iterations, objectives = {}, {}, []
    for n_samples in sizes:
        X = random_data(n_samples, 64, np.float64)
        evaluations[("evaluation", n_samples)], objective = evaluation(X, 25)
        objectives.append(objective)
        iterations[("iteration", n_samples)] = lambda X=X: fit_seconds(
            lambda: sae(25, 20), X
        )[:1]
    # Evaluations run under the serial BLAS a fit holds, as in a fit.
    with serial_blas():
        evaluation_medians = interleaved_medians(evaluations, 12 * repeats)
    medians = {
        **evaluation_medians,
        **interleaved_medians(iterations, 2 * repeats),
    }
    for objective in objectives:
        objective.close()
    rows = []
    for previous, n_samples in zip([None] + sizes[:-1], sizes, strict=True):
        row = [n_samples]
        for what in ["evaluation", "iteration"]:
            (seconds,) = medians[(what, n_samples)]
            growth = (
                ""
                if previous is None
                else f"{seconds / medians[(what, previous)][0]:.2f}x"
            )
            row += [ms(seconds), growth]
        rows.append(row)
    print_table(
        "Time per evaluation and per L-BFGS iteration (fits of 20 iterations) "
        "as m doubles, (m, 64, 25) float64",
        [
            "m",
            "per evaluation",
            "vs half the samples",
            "per iteration",
            "vs half the samples",
        ],
        rows,
    )

    # Memory --------------------------------------------------------------------
    rows = []
    for (n_samples, n_features, k), name, make_model in [
        ((10000, 784, 196), "SparseAutoencoder, chunk_size=auto", lambda k: sae(k, 3)),
        (
            (10000, 784, 196),
            "SparseAutoencoder, chunk_size=None",
            lambda k: sae(k, 3, chunk_size=None),
        ),
        ((10000, 784, 196), "MLPRegressor", lambda k: mlp(k, 3)),
        ((10000, 64, 25), "SparseAutoencoder, chunk_size=auto", lambda k: sae(k, 3)),
        ((10000, 64, 25), "MLPRegressor", lambda k: mlp(k, 3)),
        (
            (40000, 64, 25),
            "SparseAutoencoder, chunk_size=1000",
            lambda k: sae(k, 3, chunk_size=1000),
        ),
    ]:
        for dtype in [np.float64, np.float32]:
            X = random_data(n_samples, n_features, dtype)
            model = make_model(k)
            # MLPRegressor learns X -> X; SparseAutoencoder takes no target.
            target = X if isinstance(model, MLPRegressor) else None
            peak = peak_extra_memory(lambda m=model, X=X, y=target: m.fit(X, y))
            own = peak - lbfgsb_state_bytes(2 * k * n_features + k + n_features)
            rows.append(
                [
                    f"({n_samples}, {n_features}, {k})",
                    name,
                    np.dtype(dtype).name,
                    f"{peak / X.nbytes:.2f}",
                    f"{own / X.nbytes:.2f}",
                    f"{peak / 2**20:.1f} MiB",
                    f"{X.nbytes / 2**20:.1f} MiB",
                ]
            )
    print_table(
        "Peak extra memory during fit (3 iterations)",
        [
            "(m, n_features, k)",
            "model",
            "dtype",
            "peak / size of X",
            "peak less L-BFGS-B's state / size of X",
            "peak",
            "X",
        ],
        rows,
    )

    ufldl_exercise(1 if args.quick else 3)


def ufldl_exercise(repeats):
    """The UFLDL exercise, as examples/plot_ufldl_exercise.py sets it up.

    UFLDL's own budget (``max_iter=400, tol=0``: 400 iterations whatever J
    does, so it warns) beside the default stopping rule, in float64 and in
    float32.
    """
    from skl_sparseae.datasets import load_natural_image_patches

    patches = load_natural_image_patches(
        n_patches=10000, patch_size=8, min_contrast=0.5, random_state=0
    )
    rows = []
    for dtype in [np.float64, np.float32]:
        for setting, params in [
            ("max_iter=400, tol=0 (UFLDL)", {"max_iter": 400, "tol": 0.0}),
            ("defaults (max_iter=2000, tol=1e-4)", {}),
        ]:
            model = SparseAutoencoder(
                n_components=25,
                rho=0.01,
                beta=3.0,
                alpha=1e-4,
                random_state=0,
                **params,
            )
            X = patches.astype(dtype)
            seconds = median_seconds(lambda m=model, X=X: m.fit(X), repeats)
            rows.append(
                [
                    np.dtype(dtype).name,
                    setting,
                    f"{seconds:.2f} s",
                    model.n_iter_,
                    f"{model.loss_:.5f}",
                ]
            )
    print_table(
        "The UFLDL exercise: 10000 whitened textured 8x8 patches (min_contrast=0.5), "
        "64-25-64",
        ["input", "settings", "wall time of fit", "iterations", "final J"],
        rows,
    )


if __name__ == "__main__":
    main()
