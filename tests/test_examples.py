"""Every example script runs end to end (with the smaller settings for CI)."""

import contextlib
import os
import pathlib
import runpy

import pytest

EXAMPLES = sorted((pathlib.Path(__file__).parents[1] / "examples").glob("plot_*.py"))


def test_examples_are_found():
    assert len(EXAMPLES) >= 6


# Warnings an example shows on purpose.
EXPECTED_WARNINGS = {
    # Its second model is fitted on data outside the logistic decoder's range,
    # to show the warning.
    "plot_linear_decoder.py": (UserWarning, "the logistic decoder only outputs"),
}


# The quick settings stop fits before they converge, and the fits say so.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_runs(path, monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    pyplot = pytest.importorskip("matplotlib.pyplot")
    monkeypatch.setenv("SKL_SPARSEAE_QUICK_EXAMPLES", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    category, message = EXPECTED_WARNINGS.get(path.name, (None, None))
    expected = (
        pytest.warns(category, match=message) if category else contextlib.nullcontext()
    )
    try:
        with expected:
            runpy.run_path(str(path), run_name="__main__")
    finally:
        pyplot.close("all")
    assert os.environ["SKL_SPARSEAE_QUICK_EXAMPLES"] == "1"
