"""What scikit-learn's callbacks cost a fit, per L-BFGS iteration, in
interleaved rounds.

    python benchmarks/callbacks.py            # 5 rounds, two shapes
    python benchmarks/callbacks.py --rounds 3

One SparseAutoencoder fit (``tol=0``, so every fit runs ``max_iter``
iterations, BLAS held to one thread as always) of each kind per round
(run.py's ``interleaved_medians``, after a warm-up of each):

- ``none``: no callbacks, the path every fit without them takes (no
  iteration tasks are made);
- ``hooks``: a callback whose hooks take only the context (ProgressBar's
  kind): the task tree is built and every hook called;
- ``fitted_estimator``: a callback that asks for the model at every
  iterate (ScoringMonitor's kind), without scoring it: the parameters are
  copied into the fitted arrays at each iteration;
- ``score each iterate``: a ScoringMonitor that scores every iterate on
  the training data (a forward pass over X per iteration).

The ratios are against ``none``. What ``none`` costs against the package
before callbacks existed is ``compare_revisions.py``'s job (the same
fits). Needs scikit-learn 1.9 (sklearn.callback).
"""

import argparse
import time
import warnings

import numpy as np
from run import interleaved_medians, random_data
from sklearn.callback import ScoringMonitor
from sklearn.exceptions import ConvergenceWarning

from skl_sparseae import SparseAutoencoder


class Hooks:
    """Hooks that take only the context, as ProgressBar's do."""

    def setup(self, estimator, context):
        self.ended = 0

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        self.ended += 1


class FittedEstimator(Hooks):
    """Asks for the model at every iterate, and only looks at it."""

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.ended += fitted_estimator is not None


def per_iteration(X, n_components, max_iter, callbacks):
    """``(seconds per L-BFGS iteration,)`` of one fit, for
    ``interleaved_medians``."""
    model = SparseAutoencoder(n_components, max_iter=max_iter, tol=0, random_state=0)
    if callbacks is not None:
        model.set_callbacks(callbacks())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X)
        seconds = time.perf_counter() - start
    return (seconds / model.n_iter_,)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()

    kinds = {
        "none": None,
        "hooks": Hooks,
        "fitted_estimator": FittedEstimator,
        "score each iterate": lambda: ScoringMonitor(
            scoring={"score": lambda model, X, y: model.score(X)}
        ),
    }
    # UFLDL's patches (10 000 x 64, 25 units), and MNIST's shape
    # (784 features, 196 units) at 5 000 rows.
    shapes = [(10_000, 64, 25, 100), (5_000, 784, 196, 30)]
    print(f"{'shape':24} {'callbacks':20} {'ms / iteration':>15} {'ratio':>7}")
    for n_samples, n_features, n_components, max_iter in shapes:
        X = random_data(n_samples, n_features, np.float64)
        medians = interleaved_medians(
            {
                name: lambda make=make, X=X, k=n_components, n=max_iter: per_iteration(
                    X, k, n, make
                )
                for name, make in kinds.items()
            },
            arguments.rounds,
        )
        shape = f"({n_samples}, {n_features}, {n_components})"
        baseline = medians["none"][0]
        for name, (seconds,) in medians.items():
            print(
                f"{shape:24} {name:20} {1e3 * seconds:15.3f} {seconds / baseline:7.3f}"
            )


if __name__ == "__main__":
    main()
