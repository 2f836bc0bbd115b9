"""The "Saving and deploying" page: its examples run and its lists are skops's."""

import doctest
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from skl_sparseae import SparseAutoencoder

skops_io = pytest.importorskip("skops.io")

PAGE = Path(__file__).parents[1] / "docs" / "deploying.rst"


def documented_trusted_types():
    """The ``trusted=`` list the page passes to skops.io.load, per file name."""
    found = re.findall(r'"(\w+)\.skops", trusted=(\[[^\]]*\])', PAGE.read_text())
    return {name: json.loads(trusted) for name, trusted in found}


def fitted(name):
    X = np.random.RandomState(0).uniform(size=(60, 6))
    y = np.arange(60) % 3
    sae = SparseAutoencoder(n_components=3, max_iter=5, random_state=0)
    model = {
        "sae": sae,
        "pipeline": Pipeline(
            [("scale", MinMaxScaler()), ("sae", sae), ("clf", LogisticRegression())]
        ),
    }[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y), X


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_page_examples_print_what_the_page_shows(tmp_path, monkeypatch):
    pytest.importorskip("skl2onnx")
    pytest.importorskip("onnxruntime")
    monkeypatch.chdir(tmp_path)  # the examples write their files here
    failed, attempted = doctest.testfile(
        str(PAGE), module_relative=False, optionflags=doctest.ELLIPSIS
    )
    assert attempted > 0
    assert failed == 0, (
        "docs/deploying.rst is stale: see doctest's report in the captured stdout"
    )


def test_page_documents_trusted_types_for_an_autoencoder_and_a_pipeline():
    assert set(documented_trusted_types()) == {"sae", "pipeline"}


@pytest.mark.parametrize("name", ["sae", "pipeline"])
def test_skops_asks_to_trust_exactly_the_documented_types(name, tmp_path):
    model, _ = fitted(name)
    path = tmp_path / f"{name}.skops"
    skops_io.dump(model, path)
    untrusted = skops_io.get_untrusted_types(file=path)
    assert untrusted == documented_trusted_types()[name]


def test_skops_round_trip_gives_identical_transform(tmp_path):
    sae, X = fitted("sae")
    path = tmp_path / "sae.skops"
    skops_io.dump(sae, path)
    loaded = skops_io.load(path, trusted=documented_trusted_types()["sae"])
    np.testing.assert_array_equal(loaded.transform(X), sae.transform(X))
