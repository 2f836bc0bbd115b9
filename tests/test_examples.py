"""Every example script runs end to end (with the smaller settings for CI)."""

import os
import pathlib
import runpy

import pytest

EXAMPLES = sorted((pathlib.Path(__file__).parents[1] / "examples").glob("plot_*.py"))


def test_examples_are_found():
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_runs(path, monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    pyplot = pytest.importorskip("matplotlib.pyplot")
    monkeypatch.setenv("SKL_SPARSEAE_QUICK_EXAMPLES", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    try:
        runpy.run_path(str(path), run_name="__main__")
    finally:
        pyplot.close("all")
    assert os.environ["SKL_SPARSEAE_QUICK_EXAMPLES"] == "1"
