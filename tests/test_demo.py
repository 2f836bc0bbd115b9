"""The README's demo runs and prints its comparison table."""

from skl_sparseae import demo


def test_demo_prints_accuracy_of_raw_pixels_and_learned_features(capsys):
    demo.main(n_components=20, max_iter=20)
    out = capsys.readouterr().out
    assert "raw pixels" in out
    assert "sparse autoencoder (20 features)" in out
    assert "mean hidden activation" in out
