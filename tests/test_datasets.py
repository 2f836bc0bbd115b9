"""skl_sparseae.datasets: natural-image patches from scikit-learn's photographs."""

import sys

import pytest

from skl_sparseae.datasets import load_natural_image_patches


def test_patches_without_pillow_name_what_to_install(monkeypatch):
    # scikit-learn reads its sample photographs with pillow.
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(ImportError) as caught:
        load_natural_image_patches(n_patches=10, random_state=0)
    message = str(caught.value)
    # skl_sparseae is not on the package index: no "pip install skl_sparseae"
    assert "pip install pillow" in message
    assert 'python3 -m pip install ".[examples]"' in message
    assert "skl_sparseae[" not in message
