"""The public docstrings pass numpydoc's validator."""

import importlib.util

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

PUBLIC_OBJECTS = [
    "skl_sparseae.SparseAutoencoder",
    "skl_sparseae.SparseAutoencoder.fit",
    "skl_sparseae.SparseAutoencoder.fit_transform",
    "skl_sparseae.SparseAutoencoder.transform",
    "skl_sparseae.SparseAutoencoder.inverse_transform",
    "skl_sparseae.SparseAutoencoder.score",
    "skl_sparseae.SparseAutoencoder.score_samples",
    "skl_sparseae.DeepSparseAutoencoder",
    "skl_sparseae.DeepSparseAutoencoder.fit",
    "skl_sparseae.DeepSparseAutoencoder.transform",
    "skl_sparseae.DeepSparseAutoencoder.inverse_transform",
    "skl_sparseae.SparseAutoencoderClassifier",
    "skl_sparseae.SparseAutoencoderClassifier.fit",
    "skl_sparseae.SparseAutoencoderClassifier.predict",
    "skl_sparseae.SparseAutoencoderClassifier.predict_proba",
    "skl_sparseae.SparseAutoencoderClassifier.predict_log_proba",
    "skl_sparseae.SparseAutoencoderClassifier.transform",
    "skl_sparseae.ReconstructionICA",
    "skl_sparseae.ReconstructionICA.fit",
    "skl_sparseae.ReconstructionICA.transform",
    "skl_sparseae.ReconstructionICA.inverse_transform",
    "skl_sparseae.ReconstructionICA.score",
    "skl_sparseae.ReconstructionICA.score_samples",
    "skl_sparseae.TopographicSparseCoding.score",
    "skl_sparseae.TopographicSparseCoding.score_samples",
    "skl_sparseae.check_gradient",
    "skl_sparseae.numerical_gradient",
    "skl_sparseae.loss_grad_reference",
    "skl_sparseae.plot_filters",
    "skl_sparseae.plotting.tile_filters",
    "skl_sparseae.plotting.plot_mean_activations",
    "skl_sparseae.datasets.load_natural_image_patches",
    "skl_sparseae.datasets.whiten_image",
    "skl_sparseae.datasets.normalize_patches",
]
# The ONNX export is optional (the "onnx" extra): checked where it imports.
if importlib.util.find_spec("skl2onnx") is not None:
    PUBLIC_OBJECTS.append("skl_sparseae.onnx.register_onnx_converter")

# Checks we do not hold every docstring to, as in scikit-learn's own test:
# an extended summary, a See Also section and an Examples section are welcome
# but not required on every method; returns are named (RT02), as there. The
# summary starts on the line of the opening quotes, as scikit-learn writes
# it, which numpydoc before 1.11 reports as GL01.
IGNORED = {"ES01", "SA01", "EX01", "RT02", "GL01"}


@pytest.mark.parametrize("name", PUBLIC_OBJECTS)
def test_public_docstring_is_valid_numpydoc(name):
    result = numpydoc_validate.validate(name)
    errors = [
        f"{code}: {message}"
        for code, message in result["errors"]
        if code not in IGNORED
    ]
    assert not errors, f"{name}:\n" + "\n".join(errors)
