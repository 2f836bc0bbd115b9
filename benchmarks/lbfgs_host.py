"""scipy's L-BFGS-B on the host, per iteration: what its time is made of, and
what would move it.

    python benchmarks/lbfgs_host.py            # about 3 minutes
    python benchmarks/lbfgs_host.py --quick    # fewer rounds and iterations

With X on a GPU, an L-BFGS iteration is the device's evaluations plus
L-BFGS-B's own work on the host, on the float64 theta it owns; at a million
rows the two are expected to be of the same size (docs/gpus.rst). This
times the host part alone, on any machine: L-BFGS-B minimises an
ill-conditioned diagonal quadratic (``J = 1/2 sum_k d_k theta_k^2``,
``d_k`` in [1, 1000], so that no run converges early) whose evaluation, one
multiply and one dot, is timed and taken out. A run of 20 iterations is
subtracted from a run of 20 + n, so that the n counted are iterations with
L-BFGS's history full, without a run's fixed costs. What remains is
scipy's ``setulb`` and its Python wrapper (``scipy alone`` rows), and with
``driver`` the package's own :func:`~skl_sparseae._optimize.minimize_lbfgs`
around it as every fit runs it (the cache of the last point, the finiteness
checks, the stopping rule).

Rows: the number of parameters (the SAE 784-196-784 and the deep model
784-(196, 64), as the GPU benchmark fits them, and a million), scipy's
``maxcor`` (the correction pairs kept; 10 is scipy's default and what every
fit uses), and BLAS threads (1, as the estimators hold them during a fit,
and every core). Every number is a median over interleaved rounds taken in
this one run (``benchmarks/run.py``'s ``interleaved_medians``), with
``gtol=0`` and ``ftol=0``, so that every run takes the iterations it is
given.
"""

import argparse
import os
import platform
import sys
import time
from functools import partial

import numpy as np
import scipy
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from run import interleaved_medians  # noqa: E402

from skl_sparseae._layouts import NetworkLayout
from skl_sparseae._optimize import minimize_lbfgs  # noqa: E402
from skl_sparseae._runners import default_n_threads  # noqa: E402

MAXCORS = (3, 5, 10, 20)
# Iterations after which every maxcor above keeps all its pairs.
FULL_HISTORY = max(MAXCORS)


class TimedQuadratic:
    """``theta -> (J, grad)`` of ``1/2 sum_k d_k theta_k^2``, counting the
    seconds spent inside it (they are taken out of the host time)."""

    def __init__(self, n_parameters):
        rng = np.random.RandomState(0)
        self.curvature = rng.uniform(1.0, 1000.0, n_parameters)
        self.theta0 = rng.normal(size=n_parameters)
        self.seconds = 0.0
        self.calls = 0

    def __call__(self, theta):
        self.calls += 1
        start = time.perf_counter()
        grad = self.curvature * theta
        loss = 0.5 * float(theta @ grad)
        self.seconds += time.perf_counter() - start
        return loss, grad


def host_seconds_of_run(n_parameters, maxcor, n_iter, threads, driver):
    """``(host seconds, evaluations, iterations)`` of one run of ``n_iter``
    iterations: the objective's own calls (the driver answers a repeated
    point from its cache without calling it)."""
    objective = TimedQuadratic(n_parameters)
    with threadpool_limits(threads):
        start = time.perf_counter()
        if driver:
            result = minimize_lbfgs(
                objective,
                objective.theta0,
                max_iter=n_iter,
                tol=0.0,
                label="quadratic",
                warn=False,
                history=maxcor,
            )
            iterations = result.n_iter
        else:
            result = minimize(
                objective,
                objective.theta0,
                jac=True,
                method="L-BFGS-B",
                options=dict(
                    maxiter=n_iter,
                    maxfun=10 * n_iter,
                    maxcor=maxcor,
                    gtol=0.0,
                    ftol=0.0,
                ),
            )
            iterations = result.nit
        seconds = time.perf_counter() - start
    return seconds - objective.seconds, objective.calls, iterations


def host_seconds(n_parameters, maxcor, n_iter, threads, driver=False):
    """``(host seconds per iteration, evaluations per iteration)`` once
    L-BFGS keeps all ``maxcor`` pairs: a run of ``FULL_HISTORY`` iterations
    taken from a run of ``FULL_HISTORY + n_iter``, so that the first
    iterations, whose history is shorter (and the run's fixed costs), are
    left out."""
    runs = [
        host_seconds_of_run(n_parameters, maxcor, length, threads, driver)
        for length in (FULL_HISTORY, FULL_HISTORY + n_iter)
    ]
    (seconds, calls, iterations) = np.subtract(runs[1], runs[0])
    return seconds / iterations, calls / iterations


def spaced(number):
    return f"{number:,}".replace(",", " ")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    arguments = parser.parse_args()
    rounds, n_iter = (3, 10) if arguments.quick else (5, 20)
    all_threads = default_n_threads()
    sae = NetworkLayout(784, (196,), tied_weights=False).n_parameters
    deep = NetworkLayout(784, (196, 64), tied_weights=False).n_parameters
    sizes = {
        f"{spaced(sae)} (SAE 784-196)": sae,
        f"{spaced(deep)} (deep 784-(196, 64))": deep,
        spaced(1_000_000): 1_000_000,
    }
    sae_name = next(iter(sizes))
    # (run, size's name, maxcor, BLAS threads) -> number of parameters
    cases = {
        ("scipy alone", name, maxcor, 1): n_parameters
        for name, n_parameters in sizes.items()
        for maxcor in MAXCORS
    }
    if all_threads > 1:
        cases["scipy alone", sae_name, 10, all_threads] = sae
    cases["driver", sae_name, 10, 1] = sae
    measurements = {
        key: partial(
            host_seconds, n_parameters, key[2], n_iter, key[3], key[0] == "driver"
        )
        for key, n_parameters in cases.items()
    }
    medians = interleaved_medians(measurements, rounds)
    print(
        f"{platform.machine()}, {os.cpu_count()} CPUs; scipy "
        f"{scipy.__version__}, numpy {np.__version__}; medians of {rounds} "
        f"rounds, {n_iter} iterations each after the first {FULL_HISTORY}\n"
    )
    print(
        "| run | parameters | maxcor | BLAS threads | host per iteration | "
        "ns per parameter | evaluations per iteration |"
    )
    print("|---|---|---|---|---|---|---|")
    for key, (seconds, evaluations) in medians.items():
        what, size_name, maxcor, threads = key
        print(
            f"| {what} | {size_name} | {maxcor} | {threads} | "
            f"{1e3 * seconds:.2f} ms | {1e9 * seconds / cases[key]:.1f} | "
            f"{evaluations:.2f} |"
        )
    # host = fixed + per_pair * maxcor, by least squares, at each size.
    print()
    for name in sizes:
        times = [medians["scipy alone", name, maxcor, 1][0] for maxcor in MAXCORS]
        per_pair, fixed = np.polyfit(MAXCORS, times, 1)
        print(
            f"{name}, one BLAS thread: {1e3 * fixed:.1f} ms + "
            f"{1e3 * per_pair:.2f} ms per correction pair (maxcor)"
        )


if __name__ == "__main__":
    main()
