"""skl_sparseae: the UFLDL sparse autoencoder as a scikit-learn estimator.

Public API
----------
SparseAutoencoder
    The estimator.
DeepSparseAutoencoder
    Several encoder layers, a KL penalty on each, greedy pretraining.
SparseAutoencoderClassifier
    UFLDL's stacked autoencoder: pretraining, softmax, fine-tuning.
ReconstructionICA
    ICA with a reconstruction cost (RICA): overcomplete bases.
TopographicSparseCoding
    Sparse coding with a topographic group penalty: ordered filter maps.
check_gradient
    UFLDL's numerical gradient check for an estimator's objective.
numerical_gradient
    Central-difference gradient of any ``theta -> (loss, grad)`` function.
loss_grad_reference
    The objective J and its gradient, as a plain function of a flat vector.
plot_filters
    Learned filters as a grid of images (needs matplotlib).
"""

from ._classifier import SparseAutoencoderClassifier
from ._deep import DeepSparseAutoencoder
from ._gradient_check import check_gradient, numerical_gradient
from ._reconstruction_ica import ReconstructionICA
from ._reference import loss_grad_reference
from ._sparse_autoencoder import SparseAutoencoder
from ._topographic import TopographicSparseCoding
from .plotting import plot_filters

__version__ = "0.1.0"

__all__ = [
    "DeepSparseAutoencoder",
    "ReconstructionICA",
    "SparseAutoencoder",
    "SparseAutoencoderClassifier",
    "TopographicSparseCoding",
    "__version__",
    "check_gradient",
    "loss_grad_reference",
    "numerical_gradient",
    "plot_filters",
]
