"""Helpers the test files share: data, quiet fits, and the two ways of
measuring how far two vectors are apart."""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning


def unit_data(n_samples=40, n_features=8, seed=0):
    """Samples uniform in [0, 1]: in range for every decoder and loss."""
    return np.random.RandomState(seed).uniform(size=(n_samples, n_features))


def quietly(fit, *args):
    """``fit(*args)`` for a fit that stops at its max_iter on purpose."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit(*args)


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
