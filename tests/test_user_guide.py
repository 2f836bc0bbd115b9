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
from sklearn.linear_model import LogisticRegression

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
    assert len(blocks) == 3
    digits = load_digits()
    X = digits.data / 16.0
    session = {
        "np": np,
        "SparseAutoencoder": skl_sparseae.SparseAutoencoder,
        "X": X,
        "X_normal": X[:1000],
        "X_new": X[1000:],
        "y": digits.target,
        "w": 1.0 + (digits.target == 8),  # the hardest digit counts double
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for block in blocks:
            exec(compile(block, str(PAGE), "exec"), session)
    # What the blocks' comments say.
    assert len(session["monitor"].get_logs().data) == session["sae"].n_iter_ + 1
    assert session["flagged"].shape == (X.shape[0] - 1000,)
    # Both steps weighted: the autoencoder's rho_hat is the weighted mean of
    # its codes (not the plain mean), and the classifier is the weighted fit.
    sae, classifier = (step for _, step in session["pipeline"].steps)
    w, codes = session["w"], sae.transform(X)
    np.testing.assert_allclose(
        sae.mean_activation_, np.average(codes, weights=w, axis=0), rtol=1e-10
    )
    assert not np.allclose(sae.mean_activation_, codes.mean(axis=0), rtol=1e-4)
    expected = LogisticRegression(max_iter=1000).fit(
        codes, digits.target, sample_weight=w
    )
    np.testing.assert_allclose(classifier.coef_, expected.coef_, rtol=1e-6, atol=1e-8)
