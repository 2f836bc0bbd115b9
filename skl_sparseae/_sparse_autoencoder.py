"""The SparseAutoencoder estimator: validation, L-BFGS and fitted attributes.

The math lives in :mod:`skl_sparseae._objective`; this module is the shell.
"""

import warnings
from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._engine import serial_blas
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
from ._optimize import atomic_fit, minimize_lbfgs, user_stacklevel
from ._sklearn_private import Interval, StrOptions, _fit_context
from ._validation import (
    DOC_LINK_MODULE,
    DOC_LINK_TEMPLATE,
    PositiveInt,
    estimator_label,
    value_range,
)

_FLOAT_DTYPES = (np.float64, np.float32)


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

    max_iter : int, default=2000
        Maximum number of L-BFGS iterations. With the default ``tol``, fits
        on scikit-learn's digits converge in 150 to 1100 iterations.

    tol : float, default=1e-4
        Relative tolerance of the stopping rule: L-BFGS stops when J fell by
        at most ``tol * J`` over the last 10 iterations. ``tol=1e-3`` stops
        about 3x sooner, with slightly worse features; ``tol=0`` runs all
        ``max_iter`` iterations (UFLDL's exercise: ``max_iter=400, tol=0``).

    random_state : int, RandomState instance or None, default=None
        Seed of the weight initialisation. An int gives bit-identical fits
        for the same data, ``chunk_size`` and dtype, on any number of threads
        and whatever the BLAS thread settings.

    verbose : int, default=0
        1 prints a progress line every 10 iterations (iteration out of
        ``max_iter``, J, the gradient norm, mean ``rho_hat``, time) and a
        final line saying why L-BFGS stopped; 2 prints a line every
        iteration. Lines start with the estimator's parameters, so that the
        fits of a grid search can be told apart.

    chunk_size : int, "auto" or None, default="auto"
        Rows of X processed at a time when evaluating J and its gradient.
        The objective is the exact full-batch J whatever the chunk size
        (``rho_hat`` is formed over all samples before any delta); chunks
        only group the sums over samples differently, so J and its gradient
        agree to rounding (1e-16 relative in float64, 1e-7 in float32), and
        fits with different chunk sizes start equal and drift apart as
        L-BFGS amplifies that rounding over many iterations. ``"auto"`` picks
        cache-sized chunks (a few hundred rows, depending on the shape only)
        and runs them on as many threads as the BLAS library would use; an
        int bounds the memory a fit needs beyond X to about ``n_samples *
        n_components`` plus ``2 * chunk_size * (n_features + n_components)``
        values per thread; None evaluates all rows as one chunk. During a
        fit BLAS runs single-threaded; the chunks are the parallelism.

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

    n_components_ : int
        Number of hidden units of the fitted model.

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
    >>> sae = SparseAutoencoder(n_components=16, random_state=0)
    >>> H = sae.fit_transform(X)
    >>> H.shape
    (200, 16)
    >>> sae.inverse_transform(H).shape
    (200, 64)
    """

    _doc_link_module = DOC_LINK_MODULE
    _doc_link_template = DOC_LINK_TEMPLATE

    _parameter_constraints: dict = {
        "n_components": [PositiveInt()],
        "rho": [Interval(Real, 0, 1, closed="neither")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "loss": [StrOptions(set(LOSSES))],
        "decoder_activation": [StrOptions(set(DECODER_ACTIVATIONS))],
        "tied_weights": ["boolean"],
        "max_iter": [PositiveInt()],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "chunk_size": [
            PositiveInt(),
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
        max_iter=2000,
        tol=1e-4,
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

    def inverse_transform(self, X):
        """Decode hidden activations back to input space.

        ``f(X @ decoder_components_ + intercept_visible_)`` with ``f`` the
        decoder activation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Hidden activations (codes), e.g. the output of ``transform``.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            Reconstruction, in the codes' dtype (float32 or float64).
        """
        check_is_fitted(self)
        H = check_array(X, dtype=_FLOAT_DTYPES)
        if H.shape[1] != self.n_components_:
            raise ValueError(
                f"X has {H.shape[1]} columns, but this SparseAutoencoder has "
                f"{self.n_components_} hidden units: inverse_transform takes "
                "codes, the output of transform."
            )
        with np.errstate(all="ignore"):
            Z_out = self._decoder_pre_activation(H)
            if self.decoder_activation == "logistic":
                sigmoid_inplace(Z_out)
        _check_finite_output(Z_out, "inverse_transform", H)
        return Z_out

    def score(self, X, y=None):
        """Negative mean reconstruction loss per sample (higher is better).

        The loss is the estimator's ``loss``, without the weight decay and
        sparsity terms of J, computed in float64.

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
        self._check_cross_entropy_input(X)
        H = self._encode(X)
        with np.errstate(all="ignore"):
            Z_out = self._decoder_pre_activation(H.astype(np.float64, copy=False))
            X_dense = X.toarray() if sp.issparse(X) else X
            per_sample = reconstruction_loss_per_sample(
                X_dense.astype(np.float64, copy=False),
                Z_out,
                self.loss,
                self.decoder_activation,
            )
            score = -float(np.mean(per_sample))
        if np.isnan(score):
            raise ValueError(
                "score: the reconstruction loss is not defined (NaN) for this X; "
                f"its values range over {_format_range(value_range(X))}. Scale X "
                "as the training data was scaled."
            )
        return score

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
        with np.errstate(all="ignore"):
            W1 = self.components_.astype(X.dtype, copy=False)
            b1 = self.intercept_hidden_.astype(X.dtype, copy=False)
            H = encode(X, W1, b1)
        _check_finite_output(H, "transform", X)
        return H

    def _decoder_pre_activation(self, H):
        W2 = self.decoder_components_.astype(H.dtype, copy=False)
        b2 = self.intercept_visible_.astype(H.dtype, copy=False)
        Z_out = H @ W2
        Z_out += b2
        return Z_out

    def _check_cross_entropy_input(self, X):
        """cross_entropy needs the logistic decoder and X in [0, 1]: raise if not."""
        if self.loss != "cross_entropy":
            return
        if self.decoder_activation != "logistic":
            raise ValueError(
                "loss='cross_entropy' needs decoder_activation='logistic'; got "
                f"decoder_activation={self.decoder_activation!r}. Use "
                "loss='squared_error' with the identity (linear) decoder."
            )
        bounds = value_range(X)
        if bounds is not None and (bounds[0] < 0.0 or bounds[1] > 1.0):
            raise ValueError(
                f"cross_entropy loss needs X in [0, 1]; got {_format_range(bounds)}. "
                "Scale X (e.g. MinMaxScaler) or use loss='squared_error'."
            )

    def _warn_if_out_of_decoder_range(self, X):
        """The logistic decoder outputs values in (0, 1): warn if X is far outside."""
        if self.decoder_activation != "logistic" or self.loss == "cross_entropy":
            return
        bounds = value_range(X)
        if bounds is None:
            return
        low, high = bounds
        if low < -_RANGE_SLACK or high > 1.0 + _RANGE_SLACK:
            warnings.warn(
                f"{type(self).__name__}: X ranges over [{low:.6g}, {high:.6g}], "
                "but the logistic decoder only outputs values in (0, 1), so the "
                "model cannot reconstruct X. Scale X to [0, 1] (e.g. MinMaxScaler) "
                "or use decoder_activation='identity'.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )

    def _objective(self, X, n_threads=None):
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
            n_threads=n_threads,
        )

    def _fit(self, X, return_codes):
        """Fit and publish the fitted attributes; return the codes of X if asked.

        All or nothing: if anything raises, the estimator is left as it was.
        """
        with atomic_fit(self):
            X = validate_data(
                self, X, accept_sparse="csr", dtype=_FLOAT_DTYPES, order="C"
            )
            if sp.issparse(X) and not X.has_canonical_format:
                # Entries stored in several parts: add them up once, so that
                # every check and product sees the values of X.toarray().
                X = X.copy()
                X.sum_duplicates()
            self._check_cross_entropy_input(X)
            self._warn_if_out_of_decoder_range(X)
            n_features = X.shape[1]
            k = self.n_components
            tied = self.tied_weights
            random_state = check_random_state(self.random_state)
            theta0 = initial_parameters(n_features, k, tied, random_state)

            # BLAS runs single-threaded for the whole optimisation (scipy's
            # L-BFGS-B included); the objective runs its chunks on threads.
            with serial_blas(), self._objective(X) as objective:
                result = minimize_lbfgs(
                    objective,
                    theta0,
                    max_iter=self.max_iter,
                    tol=self.tol,
                    label=estimator_label(self),
                    verbose=self.verbose,
                    progress=lambda: (
                        f", mean rho_hat = {float(np.mean(objective.rho_hat)):.4g}"
                    ),
                    rounding=float(np.finfo(X.dtype).eps),
                    explain_overflow=lambda: self._explain(objective, X, theta0),
                    explain_stall=lambda: self._explain(objective, X, theta0),
                )
                codes = None
                if return_codes and result.last_evaluation_at_result:
                    # The last evaluation was at the returned parameters: its
                    # hidden activations are the codes, no second pass needed.
                    codes = objective.hidden_activations

            W1, W2, b1, b2 = unpack_parameters(result.theta, n_features, k, tied)
            fitted = {
                "components_": W1.astype(X.dtype),
                "decoder_components_": W2.astype(X.dtype),
                "intercept_hidden_": b1.astype(X.dtype),
                "intercept_visible_": b2.astype(X.dtype),
                "loss_": result.loss,
                "loss_curve_": result.loss_curve,
                "n_iter_": result.n_iter,
            }
            for name, value in fitted.items():
                setattr(self, name, value)
            if return_codes and codes is None:
                codes = self._encode(X)
        return codes

    def _explain(self, objective, X, theta0):
        """Which term of J is out of scale, and what to do about it.

        Reads J's three terms at the initial parameters, where they are
        finite whenever the fit got that far, and names the hyperparameter
        or the data behind any term that is huge.
        """
        with np.errstate(all="ignore"):
            objective(theta0)
        terms = objective.terms
        parts = ", ".join(f"{name} = {value:.3g}" for name, value in terms.items())
        advice = []
        for term, name in [("weight_decay", "alpha"), ("sparsity", "beta")]:
            if not terms[term] < _HUGE_TERM:
                value = getattr(self, name)
                advice.append(f"{name}={value!r} is too large: use a smaller {name}")
        bounds = value_range(X)
        if bounds is not None and max(abs(bounds[0]), abs(bounds[1])) > _LARGE_VALUE:
            advice.append(
                f"X's values are large ({_format_range(bounds)}): scale X "
                "(e.g. MinMaxScaler or StandardScaler)"
            )
        if not advice and X.dtype == np.float32:
            advice.append(
                "float32 rounding may hide the descent direction: fit on "
                "X.astype(np.float64)"
            )
        if not advice:
            advice.append("check X for extreme values and rescale it")
        return (
            f"J's terms at the initial parameters: {parts}. " + "; ".join(advice) + "."
        )

    def _packed_parameters(self):
        """The fitted parameters as one flat float64 vector."""
        return pack_parameters(
            self.components_,
            self.decoder_components_,
            self.intercept_hidden_,
            self.intercept_visible_,
            self.tied_weights,
        )


# A term of J above this at the initial parameters is out of any sensible
# scale: the error names the hyperparameter (or data) behind it.
_HUGE_TERM = 1e100
# |X| above this is named as a likely cause when a fit fails.
_LARGE_VALUE = 1e3

# X may stray this far outside [0, 1] (rounding in a scaler) before fit warns
# that the logistic decoder cannot reach it.
_RANGE_SLACK = 1e-6


def _format_range(bounds):
    """``min=..., max=...`` with every digit of each value (repr)."""
    if bounds is None:
        return "no values"
    return f"min={bounds[0]!r}, max={bounds[1]!r}"


def _check_finite_output(result, method, X):
    """Raise a clear error instead of returning NaN."""
    if np.isnan(result).any():
        bounds = value_range(X)
        raise ValueError(
            f"{method} overflowed to NaN: the input's values "
            f"({_format_range(bounds)}) are too large for this model in "
            f"{np.dtype(result.dtype).name}. Scale the input as the training data "
            "was scaled, or use float64."
        )
