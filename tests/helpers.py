"""Helpers the test files share: data, parameters and options of a
one-layer autoencoder, quiet fits, BLAS's thread counts, and the two ways of
measuring how far two vectors are apart."""

import itertools
import re
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info

from skl_sparseae._layouts import NetworkLayout

# Every combination of loss, decoder and weight tying the autoencoders take
# (cross-entropy needs the logistic decoder).
VALID_OPTIONS = [
    (loss, decoder, tied)
    for loss, decoder, tied in itertools.product(
        ["squared_error", "cross_entropy"], ["logistic", "identity"], [False, True]
    )
    if not (loss == "cross_entropy" and decoder == "identity")
]
OPTION_IDS = [
    f"{loss}-{decoder}-{'tied' if tied else 'untied'}"
    for loss, decoder, tied in VALID_OPTIONS
]

# A valid set of loss_grad_reference's (and the one-layer objective's)
# options, to change one at a time.
REFERENCE_OPTIONS = dict(
    n_components=2,
    rho=0.05,
    beta=3.0,
    alpha=1e-4,
    loss="squared_error",
    decoder_activation="logistic",
    tied_weights=False,
)


def unit_data(n_samples=40, n_features=8, seed=0, margin=0.0):
    """Samples uniform in [margin, 1 - margin]: in range for every decoder
    and loss."""
    return np.random.RandomState(seed).uniform(
        margin, 1 - margin, size=(n_samples, n_features)
    )


def laplace_data(n_samples, n_features, seed=0):
    """Samples with independent Laplace (heavy-tailed) features, the data
    sparse coding is made for."""
    return np.random.RandomState(seed).laplace(size=(n_samples, n_features))


def hyperparameters(loss, decoder, tied, **overrides):
    """A one-layer autoencoder's options (``n_components=4`` unless
    overridden), for the estimator, the objective and the reference alike."""
    params = dict(
        n_components=4,
        rho=0.05,
        beta=3.0,
        alpha=1e-3,
        loss=loss,
        decoder_activation=decoder,
        tied_weights=tied,
    )
    params.update(overrides)
    return params


def random_theta(n_features, hidden_layer_sizes, tied, seed=1, bound=1.0):
    """Parameters of an autoencoder, uniform in [-bound, bound]."""
    size = NetworkLayout(n_features, hidden_layer_sizes, tied).n_parameters
    return np.random.RandomState(seed).uniform(-bound, bound, size)


def quietly(fit, *args, **kwargs):
    """``fit(*args, **kwargs)`` for a fit that stops at its max_iter on
    purpose."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit(*args, **kwargs)


def warned_from(record, category, match=""):
    """The files that the warnings of ``category`` whose message matches
    ``match`` point at, of those ``pytest.warns`` recorded.

    ``pytest.warns`` records every warning raised in its block, also one of
    another kind that the garbage collector or another thread raises there
    (a left-over resource's, say): a test of where a warning points looks at
    the warning it is about, not at whichever came first.
    """
    return {
        warning.filename
        for warning in record
        if issubclass(warning.category, category)
        and re.search(match, str(warning.message))
    }


def blas_threads():
    """The thread count of every BLAS library loaded in this process."""
    return [info["num_threads"] for info in threadpool_info()]


def gradient_check_ratio(a, b):
    """UFLDL's gradient-check measure, ``||a - b|| / ||a + b||`` (what
    check_gradient returns): 1e-9 and below is a correct gradient."""
    a, b = np.asarray(a), np.asarray(b)
    return np.linalg.norm(a - b) / np.linalg.norm(a + b)


def relative_error(actual, expected):
    """``||actual - expected|| / ||expected||``: how far a fast path is from
    the value it must equal."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    return np.linalg.norm(actual - expected) / np.linalg.norm(expected)


def cupy_sees_a_gpu():
    """Whether CuPy is installed and sees a CUDA GPU (without one, making
    any CuPy array raises inside CuPy)."""
    try:
        import cupy
    except ImportError:
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except cupy.cuda.runtime.CUDARuntimeError:
        return False
