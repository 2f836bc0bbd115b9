"""The SparseAutoencoder estimator: validation, L-BFGS and fitted attributes.

The math lives in :mod:`skl_sparseae._objective`; this module is the shell.
"""

import contextlib
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._objective import (
    DECODER_ACTIVATIONS,
    LOSSES,
    SparseAutoencoderObjective,
    encode,
    initial_parameters,
    pack_parameters,
    reconstruction_loss_per_sample,
    sigmoid_inplace,
    unpack_parameters,
)
from ._sklearn_private import Interval, StrOptions, _fit_context

_FLOAT_DTYPES = (np.float64, np.float32)

# L-BFGS-B's budget of evaluations of J (scipy's maxfun), per allowed
# iteration: line searches rarely need more than a few.
_EVALUATIONS_PER_ITERATION = 20


class SparseAutoencoder(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Sparse autoencoder with a KL-divergence sparsity penalty (UFLDL).

    One logistic hidden layer learns features ``h = sigmoid(W1 x + b1)`` that
    reconstruct ``x`` through a decoder ``x_hat = f(W2^T h + b2)``, while a
    KL-divergence penalty pushes each hidden unit's mean activation
    ``rho_hat_j`` over the training set towards a small target ``rho``. The
    parameters minimise, for ``m`` samples::

        J = (1/m) sum_i L(x_hat_i, x_i)
            + (alpha/2) sum ||W||_F^2
            + beta sum_j KL(rho || rho_hat_j)

    full-batch with L-BFGS on the exact gradient from backpropagation. This is
    the model of Andrew Ng's CS294A notes and the UFLDL tutorial.

    Parameters
    ----------
    n_components : int, default=25
        Number of hidden units (features). 25 is the UFLDL exercise's size
        for 8x8 patches; use more for richer features (e.g. 196 for MNIST).

    rho : float, default=0.01
        Target mean activation of each hidden unit, in (0, 1).

    beta : float, default=3.0
        Weight of the sparsity penalty; 0 turns it off.

    alpha : float, default=1e-4
        Weight decay (L2 penalty) on the weight matrices, not on biases.

    loss : {"squared_error", "cross_entropy"}, default="squared_error"
        Reconstruction loss per sample. ``"squared_error"`` is
        ``1/2 ||x_hat - x||^2``; ``"cross_entropy"`` is
        ``-sum_d [x_d log x_hat_d + (1 - x_d) log(1 - x_hat_d)]`` and needs
        the logistic decoder and X in [0, 1].

    decoder_activation : {"logistic", "identity"}, default="logistic"
        Output function ``f``. ``"identity"`` is UFLDL's linear decoder, for
        data that is not in [0, 1] (e.g. standardized data).

    tied_weights : bool, default=False
        If True the decoder uses the transpose of the encoder weights
        (``W2 = W1``), which are then penalised once.

    max_iter : int, default=400
        Maximum number of L-BFGS iterations.

    tol : float, default=1e-5
        L-BFGS stops when the largest absolute entry of the gradient is at
        most ``tol`` (scipy's ``gtol``), or when J stops decreasing
        (scipy's default ``ftol``).

    random_state : int, RandomState instance or None, default=None
        Seed of the weight initialisation. An int gives bit-identical fits.

    verbose : int, default=0
        If positive, print J, the gradient norm and the mean ``rho_hat``
        after each iteration.

    chunk_size : int, "auto" or None, default="auto"
        Rows of X processed at a time when evaluating J and its gradient.
        The objective stays the exact full-batch J whatever the chunk size
        (``rho_hat`` is formed over all samples before any delta); only
        memory and speed change. ``"auto"`` picks cache-sized chunks (a few
        hundred rows) and runs them on as many threads as the BLAS library
        uses; an int bounds the memory a fit needs beyond X to about
        ``n_samples * n_components`` plus ``2 * chunk_size * (n_features +
        n_components)`` values per thread; None evaluates all rows at once.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Encoder weights ``W1``; row ``j`` is hidden unit ``j``'s filter.

    intercept_hidden_ : ndarray of shape (n_components,)
        Hidden biases ``b1``.

    decoder_components_ : ndarray of shape (n_components, n_features)
        Decoder weights ``W2``: ``inverse_transform(H) = f(H @ W2 + b2)``.
        Equal to ``components_`` when ``tied_weights=True``.

    intercept_visible_ : ndarray of shape (n_features,)
        Visible (decoder) biases ``b2``.

    loss_ : float
        The objective J at the returned parameters.

    loss_curve_ : list of float
        J after each L-BFGS iteration.

    n_iter_ : int
        Number of L-BFGS iterations run.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when ``X``
        has feature names that are all strings.

    See Also
    --------
    sklearn.neural_network.BernoulliRBM : Another unsupervised feature learner.
    sklearn.neural_network.MLPRegressor : Trains the same network without the
        sparsity penalty when fitted on ``(X, X)``.
    skl_sparseae.check_gradient : Numerical check of the analytic gradient.

    References
    ----------
    A. Ng, "Sparse autoencoder", CS294A Lecture notes, Stanford, 2011.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from skl_sparseae import SparseAutoencoder
    >>> X = MinMaxScaler().fit_transform(load_digits().data[:200])
    >>> sae = SparseAutoencoder(n_components=16, max_iter=50, random_state=0)
    >>> H = sae.fit_transform(X)
    >>> H.shape
    (200, 16)
    >>> sae.inverse_transform(H).shape
    (200, 64)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "rho": [Interval(Real, 0, 1, closed="neither")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "loss": [StrOptions(set(LOSSES))],
        "decoder_activation": [StrOptions(set(DECODER_ACTIVATIONS))],
        "tied_weights": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "chunk_size": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
            None,
        ],
    }

    def __init__(
        self,
        n_components=25,
        *,
        rho=0.01,
        beta=3.0,
        alpha=1e-4,
        loss="squared_error",
        decoder_activation="logistic",
        tied_weights=False,
        max_iter=400,
        tol=1e-5,
        random_state=None,
        verbose=0,
        chunk_size="auto",
    ):
        self.n_components = n_components
        self.rho = rho
        self.beta = beta
        self.alpha = alpha
        self.loss = loss
        self.decoder_activation = decoder_activation
        self.tied_weights = tied_weights
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose
        self.chunk_size = chunk_size

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the encoder and decoder from X with L-BFGS.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 input trains in float32.

        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : SparseAutoencoder
            The fitted estimator.
        """
        self._fit(X, return_codes=False)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit to X and return its hidden activations, in one forward pass.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.

        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        H : ndarray of shape (n_samples, n_components)
            Hidden activations of X at the fitted parameters.
        """
        return self._fit(X, return_codes=True)

    def transform(self, X):
        """Encode X: ``sigmoid(X @ components_.T + intercept_hidden_)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data to encode.

        Returns
        -------
        H : ndarray of shape (n_samples, n_components)
            Hidden activations, in X's dtype (float32 or float64).
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=("csr", "csc"), dtype=_FLOAT_DTYPES, reset=False
        )
        return self._encode(X)

    def inverse_transform(self, H):
        """Decode hidden activations back to input space.

        ``f(H @ decoder_components_ + intercept_visible_)`` with ``f`` the
        decoder activation.

        Parameters
        ----------
        H : array-like of shape (n_samples, n_components)
            Hidden activations (codes).

        Returns
        -------
        X_hat : ndarray of shape (n_samples, n_features)
            Reconstruction, in H's dtype (float32 or float64).
        """
        check_is_fitted(self)
        H = check_array(H, dtype=_FLOAT_DTYPES)
        if H.shape[1] != self.n_components_:
            raise ValueError(
                f"H has {H.shape[1]} columns, but this SparseAutoencoder has "
                f"{self.n_components_} hidden units: pass the output of "
                "transform."
            )
        Z_out = self._decoder_pre_activation(H)
        if self.decoder_activation == "logistic":
            sigmoid_inplace(Z_out)
        return Z_out

    def score(self, X, y=None):
        """Negative mean reconstruction loss per sample (higher is better).

        The loss is the estimator's ``loss``, without the weight decay and
        sparsity terms of J.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data to reconstruct.

        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        score : float
            ``-(1/m) sum_i L(x_hat_i, x_i)``.
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=("csr", "csc"), dtype=_FLOAT_DTYPES, reset=False
        )
        self._check_loss_input(X)
        Z_out = self._decoder_pre_activation(self._encode(X))
        X_dense = X.toarray() if sp.issparse(X) else X
        per_sample = reconstruction_loss_per_sample(
            X_dense, Z_out, self.loss, self.decoder_activation
        )
        return -float(np.mean(per_sample, dtype=np.float64))

    @property
    def n_components_(self):
        """Number of hidden units of the fitted model."""
        return self.components_.shape[0]

    @property
    def _n_features_out(self):
        """Number of transformed output features (for get_feature_names_out)."""
        return self.n_components_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # Internals -------------------------------------------------------------

    def _encode(self, X):
        W1 = self.components_.astype(X.dtype, copy=False)
        b1 = self.intercept_hidden_.astype(X.dtype, copy=False)
        return encode(X, W1, b1)

    def _decoder_pre_activation(self, H):
        W2 = self.decoder_components_.astype(H.dtype, copy=False)
        b2 = self.intercept_visible_.astype(H.dtype, copy=False)
        Z_out = H @ W2
        Z_out += b2
        return Z_out

    def _check_loss_input(self, X):
        if self.loss != "cross_entropy":
            return
        if self.decoder_activation != "logistic":
            raise ValueError(
                "loss='cross_entropy' needs decoder_activation='logistic'; got "
                f"decoder_activation={self.decoder_activation!r}. Use "
                "loss='squared_error' with the identity (linear) decoder."
            )
        values = X.data if sp.issparse(X) else X
        if values.size == 0:
            return
        low, high = float(values.min()), float(values.max())
        if sp.issparse(X) and X.nnz < X.shape[0] * X.shape[1]:
            low, high = min(low, 0.0), max(high, 0.0)
        if low < 0.0 or high > 1.0:
            raise ValueError(
                f"cross_entropy loss needs X in [0, 1]; got min={low:.6g}, "
                f"max={high:.6g}. Scale X (e.g. MinMaxScaler) or use "
                "loss='squared_error'."
            )

    def _objective(self, X):
        """J and its gradient on validated X, for this estimator's settings."""
        return SparseAutoencoderObjective(
            X,
            n_components=self.n_components,
            rho=self.rho,
            beta=self.beta,
            alpha=self.alpha,
            loss=self.loss,
            decoder_activation=self.decoder_activation,
            tied_weights=self.tied_weights,
            chunk_size=self.chunk_size,
        )

    def _fit(self, X, return_codes):
        """Fit and store the fitted attributes; return the codes of X if asked."""
        X = validate_data(self, X, accept_sparse="csr", dtype=_FLOAT_DTYPES, order="C")
        self._check_loss_input(X)
        n_features = X.shape[1]
        k = self.n_components
        tied = self.tied_weights
        random_state = check_random_state(self.random_state)
        theta0 = initial_parameters(n_features, k, tied, random_state)

        objective = self._objective(X)
        trace = _OptimizationTrace(objective, verbose=self.verbose)
        # The objective closes its worker threads on leaving; serial_blas
        # keeps every BLAS single-threaded while the chunk threads work.
        with contextlib.closing(objective), objective.serial_blas():
            result = minimize(
                trace.evaluate,
                theta0,
                method="L-BFGS-B",
                jac=True,
                callback=trace.end_of_iteration,
                options={
                    "maxiter": self.max_iter,
                    "maxfun": _EVALUATIONS_PER_ITERATION * self.max_iter,
                    "gtol": self.tol,
                },
            )
        if not (np.isfinite(result.fun) and np.all(np.isfinite(result.x))):
            raise ValueError(
                "L-BFGS produced a non-finite objective or parameters. X probably "
                "holds very large values: scale it (e.g. StandardScaler or "
                "MinMaxScaler) before fitting."
            )
        if result.status == 1:
            # scipy's status 1: either max_iter or the evaluation budget ran out.
            if result.nit >= self.max_iter:
                limit = f"{result.nit} iterations (max_iter={self.max_iter})"
            else:
                limit = (
                    f"{result.nfev} evaluations of the objective in {result.nit} "
                    f"iterations (at most {_EVALUATIONS_PER_ITERATION} per allowed "
                    "iteration)"
                )
            warnings.warn(
                f"SparseAutoencoder: L-BFGS stopped after {limit} before converging "
                f"to tol={self.tol}. Increase max_iter, or raise tol.",
                ConvergenceWarning,
                stacklevel=2,
            )
        if self.verbose:
            print(f"L-BFGS stopped after {result.nit} iterations: {result.message}")

        W1, W2, b1, b2 = unpack_parameters(result.x, n_features, k, tied)
        self.components_ = W1.astype(X.dtype)
        self.decoder_components_ = W2.astype(X.dtype)
        self.intercept_hidden_ = b1.astype(X.dtype)
        self.intercept_visible_ = b2.astype(X.dtype)
        self.loss_ = float(result.fun)
        self.loss_curve_ = trace.loss_curve
        self.n_iter_ = int(result.nit)

        if not return_codes:
            return None
        if trace.last_theta is not None and np.array_equal(trace.last_theta, result.x):
            # The last evaluation was at the returned parameters: its hidden
            # activations are the codes, no second forward pass needed.
            return objective.hidden_activations
        return self._encode(X)

    def _packed_parameters(self):
        """The fitted parameters as one flat float64 vector."""
        return pack_parameters(
            self.components_,
            self.decoder_components_,
            self.intercept_hidden_,
            self.intercept_visible_,
            self.tied_weights,
        )


class _OptimizationTrace:
    """Wraps the objective for L-BFGS: records J per iteration, prints progress.

    L-BFGS-B calls ``end_of_iteration(x)`` with the accepted point, which is
    nearly always the point it evaluated last; the statistics of that
    evaluation are reused rather than recomputed.
    """

    def __init__(self, objective, verbose):
        self.objective = objective
        self.verbose = verbose
        self.loss_curve = []
        self.last_theta = None
        self._last_loss = None
        self._last_grad_norm = None
        self._last_mean_rho_hat = None

    def evaluate(self, theta):
        loss, grad = self.objective(theta)
        self.last_theta = theta.copy()
        self._last_loss = loss
        self._last_grad_norm = float(np.linalg.norm(grad))
        self._last_mean_rho_hat = float(np.mean(self.objective.rho_hat))
        return loss, grad

    def end_of_iteration(self, theta):
        if not np.array_equal(theta, self.last_theta):
            self.evaluate(theta)
        self.loss_curve.append(self._last_loss)
        if self.verbose:
            print(
                f"Iteration {len(self.loss_curve)}: J = {self._last_loss:.8g}, "
                f"|grad| = {self._last_grad_norm:.3g}, "
                f"mean rho_hat = {self._last_mean_rho_hat:.4g}"
            )
