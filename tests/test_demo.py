"""The README's demo runs and prints its comparison table."""

import warnings

from sklearn.exceptions import ConvergenceWarning

from skl_sparseae import demo


def test_demo_prints_accuracy_of_raw_pixels_and_learned_features(capsys):
    with warnings.catch_warnings():
        # The demo's fits converge: it must not warn that they did not.
        warnings.simplefilter("error", ConvergenceWarning)
        demo.main(n_components=20, tol=1e-2)
    out = capsys.readouterr().out
    assert "raw pixels" in out
    assert "sparse autoencoder (20 features)" in out
    assert "mean hidden activation" in out
