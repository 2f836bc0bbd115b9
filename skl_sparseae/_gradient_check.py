"""UFLDL's numerical gradient check, as a public function.

Every estimator of the package answers one hook,
``estimator._gradient_check_problem(X, y)``, with a
:class:`GradientCheckProblem`: the objective its ``fit`` minimises, built on
X by the in-memory executor, the layout of its parameters, the default
finite-difference step and the words that describe the parameters in an
error. :func:`check_gradient` asks nothing else of an estimator.
"""

from typing import NamedTuple

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from ._runners import serial_blas
from ._validation import check_epsilon, check_flat_parameters


class GradientCheckProblem(NamedTuple):
    """What :func:`check_gradient` checks for one estimator on X."""

    #: The objective fit minimises, on X: ``objective(theta) -> (J, grad)``.
    objective: object
    #: Its parameters: ``n_parameters`` and ``weight_blocks()``, for the
    #: random point.
    layout: object
    #: The default step of the central difference.
    step: float
    #: The parameters in words, for the error on a wrong ``params``.
    description: str


def numerical_gradient(func, theta, epsilon=1e-4):
    """Central-difference gradient of a scalar function, one coordinate at a time.

    ``g_i = (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps)``, as in UFLDL's
    ``computeNumericalGradient``. ``func`` returns ``(loss, grad)``; only the
    loss is used.

    Parameters
    ----------
    func : callable
        ``func(theta) -> (loss, grad)``.
    theta : ndarray of shape (n_parameters,)
        Point at which to differentiate.
    epsilon : float, default=1e-4
        Step of the central difference.

    Returns
    -------
    grad : ndarray of shape (n_parameters,)
        The numerical gradient.
    """
    if not callable(func):
        raise TypeError(f"func must be callable, theta -> (loss, grad); got {func!r}.")
    epsilon = check_epsilon(epsilon)
    theta = np.array(theta, dtype=np.float64)
    if theta.ndim != 1 or not np.all(np.isfinite(theta)):
        raise ValueError(
            "theta must be a flat vector of finite values; got shape "
            f"{theta.shape}" + ("" if np.all(np.isfinite(theta)) else " with NaN/inf")
        )
    grad = np.empty_like(theta)
    for i in range(theta.size):
        original = theta[i]
        theta[i] = original + epsilon
        loss_plus = func(theta)[0]
        theta[i] = original - epsilon
        loss_minus = func(theta)[0]
        theta[i] = original
        grad[i] = (loss_plus - loss_minus) / (2.0 * epsilon)
    return grad


def check_gradient(
    estimator, X, params=None, *, y=None, epsilon=None, random_state=None
):
    """Compare the analytic gradient of J with a numerical one.

    Builds the objective J for ``estimator``'s hyperparameters on ``X`` (in
    float64) and returns UFLDL's relative difference
    ``||g_num - g|| / ||g_num + g||`` between the central-difference gradient
    ``g_num`` and the backpropagation gradient ``g``. A correct gradient gives
    about 1e-10 or less; a wrong one gives 1e-3 or more.

    It costs two evaluations of J per parameter: use a few samples and
    features. The ratio is meaningful where the gradient is far from zero:
    near a minimum ``||g||`` itself is tiny and the ratio then measures the
    finite difference's rounding error (1e-8 to 1e-6 at a converged fit).
    Check at random parameters (the default) or early in training.

    Parameters
    ----------
    estimator : a skl_sparseae estimator
        Supplies the hyperparameters (the network's sizes, ``rho``,
        ``beta``, ``alpha``, ``loss``, ``decoder_activation``,
        ``tied_weights``, ``chunk_size``): the objective checked is the one
        ``fit`` minimises. It need not be fitted, unless ``params="fitted"``.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Data on which J is evaluated.
    params : ndarray of shape (n_parameters,), "fitted" or None, default=None
        Point at which to compare: a flat parameter vector (for one hidden
        layer ``[W1.ravel(), W2.ravel() (untied only), b1, b2]``; for
        TopographicSparseCoding ``[D.ravel(), S.ravel()]``, the dictionary
        and X's codes, the variables of its joint objective J(D, S)),
        ``"fitted"`` for the estimator's fitted parameters (with X's codes
        from ``transform`` for sparse coding), or None for random
        parameters, each weight drawn uniformly in its matrix's
        ``+-sqrt(6 / (n_in + n_out + 1))`` (sparse codes uniformly in
        +-1).
    y : array-like of shape (n_samples,), default=None
        Labels, for a classifier (whose fine-tuning objective is checked on
        the labelled samples); ignored otherwise.
    epsilon : float, default=None
        Step of the central difference. None: the estimator's step, UFLDL's
        1e-4 for the autoencoders and the classifier, and 1e-6 for
        ReconstructionICA, whose J is quartic in W (``W^T W x``): with 1e-4
        the central difference's own truncation error there is about 1e-8.
        1e-5 for TopographicSparseCoding, whose smoothed ``|s|`` bends
        sharply near ``s = 0`` (curvature up to ``1/sqrt(epsilon)``): with
        ``neighborhood_size=1`` and ``epsilon`` below about 1e-3 no step
        resolves that bend at random codes near 0 (the ratio then measures
        the central difference, 1e-8 or more at ``epsilon=1e-5``); check
        such settings at ``epsilon=1e-2`` or with a grouping, whose group
        norms are smooth.
    random_state : int, RandomState instance or None, default=None
        Seed for the random parameters when ``params`` is None.

    Returns
    -------
    relative_difference : float
        ``||g_num - g|| / ||g_num + g||``.

    Examples
    --------
    >>> import numpy as np
    >>> from skl_sparseae import SparseAutoencoder, check_gradient
    >>> X = np.random.RandomState(0).uniform(size=(10, 6))
    >>> check_gradient(SparseAutoencoder(n_components=3), X, random_state=0) < 1e-9
    True
    """
    if not hasattr(estimator, "_gradient_check_problem"):
        raise TypeError(
            "check_gradient needs a skl_sparseae estimator such as "
            f"SparseAutoencoder(); got {estimator!r}."
        )
    estimator._check_parameters()
    if epsilon is not None:
        epsilon = check_epsilon(epsilon)
    X = check_array(X, accept_sparse="csr", dtype=np.float64, order="C")
    if is_classifier(estimator):
        # The fine-tuning objective, on the labelled samples of (X, y).
        if y is None:
            raise ValueError("check_gradient needs y to check a classifier.")
        y = column_or_1d(y)
        if len(y) != X.shape[0]:
            raise ValueError(f"y has {len(y)} labels for {X.shape[0]} samples.")
    # The very evaluator fit uses, with the estimator's chunk_size.
    problem = estimator._gradient_check_problem(X, y)
    with np.errstate(all="ignore"), serial_blas(), problem.objective as objective:
        theta = _check_point(estimator, problem, X, params, random_state)
        analytic = objective(theta)[1].copy()
        numeric = numerical_gradient(
            objective, theta, epsilon=problem.step if epsilon is None else epsilon
        )
        denominator = np.linalg.norm(numeric + analytic)
        difference = (
            0.0
            if denominator == 0 and not np.any(analytic)
            else float(np.linalg.norm(numeric - analytic) / denominator)
        )
    if not np.isfinite(difference):
        raise ValueError(
            "check_gradient: J or its gradient is not finite at these parameters "
            "(X's values or the parameters are too large for the check)."
        )
    return difference


def _check_point(estimator, problem, X, params, random_state):
    """The flat float64 theta that check_gradient compares at."""
    layout = problem.layout
    size = layout.n_parameters
    n_features = X.shape[1]
    if params is None:
        # Weights in UFLDL's initial range of their matrix; biases in the
        # range of the first matrix.
        rng = check_random_state(random_state)
        blocks = layout.weight_blocks()
        theta = rng.uniform(-blocks[0][2], blocks[0][2], size=size)
        for start, stop, bound in blocks[1:]:
            theta[start:stop] *= bound / blocks[0][2]
    elif isinstance(params, str):
        if params != "fitted":
            raise ValueError(
                f'params must be a flat parameter vector, "fitted" or None; got '
                f"{params!r}."
            )
        check_is_fitted(estimator)
        if estimator.n_features_in_ != n_features:
            raise ValueError(
                f"X has {n_features} features, but the estimator was fitted "
                f"with {estimator.n_features_in_}."
            )
        # X for the estimators whose variables include per-sample ones
        # (sparse coding's codes); the others ignore it.
        theta = estimator._packed_parameters(X)
    else:
        theta = params
    return check_flat_parameters(theta, size, problem.description, name="params")
