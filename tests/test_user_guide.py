"""The user guide's Python blocks run as printed.

They are fragments of a session: the data they name (X, X_normal, X_new)
and the imports a reader has already made are set up here, from the
digits; nothing of the blocks' own text is changed.
"""

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits

import skl_sparseae

PAGE = Path(__file__).parents[1] / "docs" / "user_guide.rst"


def python_blocks(text):
    """The bodies of the page's ``.. code-block:: python`` blocks."""
    blocks = re.findall(
        r"^\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", text, flags=re.MULTILINE
    )
    return ["\n".join(line[3:] for line in block.splitlines()) for block in blocks]


def test_every_python_block_of_the_user_guide_runs():
    pytest.importorskip("sklearn.callback")  # the callbacks section
    pytest.importorskip("rich")  # its ProgressBar
    blocks = python_blocks(PAGE.read_text())
    assert len(blocks) == 2
    X = load_digits().data / 16.0
    session = {
        "np": np,
        "SparseAutoencoder": skl_sparseae.SparseAutoencoder,
        "X": X,
        "X_normal": X[:1000],
        "X_new": X[1000:],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for block in blocks:
            exec(compile(block, str(PAGE), "exec"), session)
    # What the blocks' comments say.
    assert len(session["monitor"].get_logs().data) == session["sae"].n_iter_ + 1
    assert session["flagged"].shape == (X.shape[0] - 1000,)
