"""The contract between kernels and executors (skl_sparseae/_kernel.py): the
kernels run on any chunk runner they are handed, return what they computed,
and know nothing of threads or executors."""

import ast
import pathlib

import numpy as np
import pytest
from helpers import relative_error, unit_data

from skl_sparseae import (
    DeepSparseAutoencoder,
    ReconstructionICA,
    SparseAutoencoder,
    SparseAutoencoderClassifier,
    TopographicSparseCoding,
)
from skl_sparseae import _kernel as kernel_module
from skl_sparseae._array_ops import NUMPY_OPS
from skl_sparseae._executors import IN_MEMORY
from skl_sparseae._kernel import Evaluation, RowSums, Stage, add_row_sums
from skl_sparseae._runners import ThreadRunner

PACKAGE = pathlib.Path(kernel_module.__file__).parent
KERNEL_MODULES = [
    "_kernel.py",
    "_autoencoder_objective.py",
    "_classifier_objective.py",
    "_layouts.py",
    "_forward.py",
    "_rica_objective.py",
    "_sparse_coding_objective.py",
]


def imported_modules(path):
    """Every module a file imports, as written (``._runners``, ``threading``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
    return names


@pytest.mark.parametrize("name", KERNEL_MODULES)
def test_kernels_import_no_executor_and_no_threads(name):
    imports = imported_modules(PACKAGE / name)
    forbidden = {
        "._runners",
        "._executors",
        "._dask",
        "threading",
        "concurrent.futures",
        "threadpoolctl",
    }
    assert not imports & forbidden
    assert not any(module.startswith(("dask", "distributed")) for module in imports)


class SerialRunner:
    """The smallest runner the contract allows: every chunk on the calling
    thread, shares added in chunk order; it records what it was asked."""

    n_threads = 1
    ops = NUMPY_OPS

    def __init__(self, rows):
        self.rows = rows
        self.passes = []
        self.closed = False

    def chunk_rows(self, chunk_size, n_samples, n_features):
        return self.rows

    def run(self, n_chunks, workspaces, compute, shares, totals):
        self.passes.append(n_chunks)
        for chunk in range(n_chunks):
            compute(workspaces[0], chunk)
            for total, share in zip(totals, shares(workspaces[0]), strict=True):
                total += share

    def close(self):
        self.closed = True


X = unit_data(50, 6, seed=3)
Y = np.arange(50) % 3
KERNELS = {
    "SparseAutoencoder": (SparseAutoencoder(4, chunk_size=7), (), {}),
    "DeepSparseAutoencoder": (DeepSparseAutoencoder((5, 3), chunk_size=7), (), {}),
    "SparseAutoencoderClassifier": (
        SparseAutoencoderClassifier((4,), chunk_size=7),
        (Y,),
        {"hidden_layer_sizes": (4,), "n_classes": 3},
    ),
    "ReconstructionICA": (ReconstructionICA(5, chunk_size=7), (), {}),
    "TopographicSparseCoding": (TopographicSparseCoding(4, chunk_size=7), (), {}),
}


@pytest.mark.parametrize("name", KERNELS)
def test_every_kernel_runs_on_the_runner_it_is_handed(name):
    estimator, targets, options = KERNELS[name]
    runner = SerialRunner(rows=7)
    with IN_MEMORY.objective(estimator._objective, X, *targets, **options) as usual:
        layout = getattr(usual, "layout", usual)
        n_parameters = layout.n_parameters
        theta = np.random.RandomState(0).uniform(-0.5, 0.5, n_parameters)
        expected = usual.evaluate(theta)
    kernel = estimator._objective(X, *targets, runner=runner, **options)
    with kernel:
        evaluation = kernel.evaluate(theta)
        assert kernel.chunk_size == 7 and len(kernel._workspaces) == 1
        # Every pass went through the runner, one task per chunk of 7 rows.
        assert runner.passes and set(runner.passes) == {8}
        assert kernel.last_evaluation is evaluation
        assert kernel(theta)[0] == evaluation.loss
    assert runner.closed
    assert isinstance(evaluation, Evaluation)
    assert evaluation.loss == pytest.approx(expected.loss, rel=1e-13)
    assert relative_error(evaluation.grad, expected.grad) < 1e-13
    assert evaluation.terms.keys() == expected.terms.keys()
    assert sum(evaluation.terms.values()) == pytest.approx(evaluation.loss, rel=1e-15)


@pytest.mark.parametrize(
    "estimator", [SparseAutoencoder(4), DeepSparseAutoencoder((5, 3))]
)
def test_an_autoencoder_evaluation_carries_every_rho_hat_and_the_codes(estimator):
    with IN_MEMORY.objective(estimator._objective, X) as objective:
        layout = estimator._layout(6)
        theta = layout.initial_parameters(np.random.RandomState(1))
        evaluation = objective.evaluate(theta)
        codes = evaluation.codes.copy()
    coefs, intercepts = layout.to_layers(theta)
    activations = X
    expected_rho_hats = []
    for W, b in zip(
        coefs[: layout.n_layers], intercepts[: layout.n_layers], strict=True
    ):
        activations = 1 / (1 + np.exp(-(activations @ W + b)))
        expected_rho_hats.append(activations.mean(axis=0))
    assert len(evaluation.rho_hats) == layout.n_layers
    for rho_hat, expected in zip(evaluation.rho_hats, expected_rho_hats, strict=True):
        np.testing.assert_allclose(rho_hat, expected, rtol=1e-13)
    np.testing.assert_allclose(codes, activations, rtol=1e-13)


def test_row_sums_fields_are_the_ones_a_stage_filled():
    sums = RowSums(grad=np.ones(3), losses=np.zeros(1))
    assert sorted(sums.fields()) == ["grad", "losses"]
    assert [stage.value for stage in Stage] == ["hidden", "gradient", "one_pass"]


def test_row_sums_are_added_in_the_order_given_into_fresh_float64():
    # 1 + 1e-16 + (-1) is not 1e-16 + 1 + (-1) in float64: the order counts.
    parts = [RowSums(losses=np.array([value])) for value in (1.0, 1e-16, -1.0)]
    first = parts[0].losses.copy()
    total = add_row_sums(*parts)
    assert total.losses[0] == (1.0 + 1e-16) - 1.0
    assert add_row_sums(parts[1], parts[0], parts[2]).losses[0] == (1e-16 + 1.0) - 1.0
    # The parts are left as they were; float32 parts are added in float64.
    np.testing.assert_array_equal(parts[0].losses, first)
    halves = [RowSums(grad=np.full(2, 0.5, dtype=np.float32)) for _ in range(3)]
    assert add_row_sums(*halves).grad.dtype == np.float64


def test_a_kernel_keeps_the_runners_threads_out_of_its_results():
    estimator = SparseAutoencoder(4, chunk_size=5)
    theta = estimator._layout(6).initial_parameters(np.random.RandomState(2))
    results = []
    for n_threads in (1, 2, 3):
        with estimator._objective(X, runner=ThreadRunner(n_threads)) as kernel:
            assert len(kernel._workspaces) == kernel.n_workspaces == n_threads
            results.append(kernel(theta))
    for J, grad in results[1:]:
        assert J == results[0][0]
        np.testing.assert_array_equal(grad, results[0][1])
