"""skl_sparseae: the UFLDL sparse autoencoder as a scikit-learn estimator."""

from ._gradient_check import check_gradient
from ._sparse_autoencoder import SparseAutoencoder

__version__ = "0.1.0"

__all__ = ["SparseAutoencoder", "check_gradient", "__version__"]
