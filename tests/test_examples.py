"""Every example script runs end to end (with the smaller settings for CI)."""

import contextlib
import pathlib
import runpy

import pytest

EXAMPLES = sorted((pathlib.Path(__file__).parents[1] / "examples").glob("plot_*.py"))


# The gallery: a new example is added here, so that a file that goes missing
# (or is misnamed, and so not collected) fails.
GALLERY = [
    "plot_anomaly_detection.py",
    "plot_deep_digits.py",
    "plot_digits_classification.py",
    "plot_gradient_check.py",
    "plot_linear_decoder.py",
    "plot_rho_beta.py",
    "plot_rica_overcomplete.py",
    "plot_self_taught_few_labels.py",
    "plot_self_taught_learning.py",
    "plot_stacked_autoencoder.py",
    "plot_topographic_sparse_coding.py",
    "plot_ufldl_exercise.py",
    "plot_watching_a_fit.py",
]

# Examples that need more than the examples extra's lowest versions: the
# module each imports (skipped where it is missing, as on the run at the
# lowest versions, whose scikit-learn predates sklearn.callback).
NEEDS = {"plot_watching_a_fit.py": "sklearn.callback"}


def test_every_gallery_example_is_found():
    assert [path.name for path in EXAMPLES] == GALLERY


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
    if path.name in NEEDS:
        pytest.importorskip(NEEDS[path.name])
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
