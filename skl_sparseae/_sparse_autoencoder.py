"""The SparseAutoencoder estimator: validation, L-BFGS and fitted attributes.

The math lives in :mod:`skl_sparseae._autoencoder_objective`; this module is the shell.
"""

from numbers import Real

import numpy as np

from ._array_ops import as_host
from ._autoencoder_objective import SparseAutoencoderObjective
from ._base import AutoencoderBase, check_finite_output
from ._forward import encode
from ._layouts import NetworkLayout, pack_parameters, unpack_parameters
from ._sklearn_private import Interval, StrOptions
from ._validation import OBJECTIVE_CONSTRAINTS, PositiveInt


class SparseAutoencoder(AutoencoderBase):
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
        Maximum number of L-BFGS iterations. With the default ``tol``, most
        fits on scikit-learn's digits converge in 350 to 1100 iterations;
        some settings (100 units with ``rho=0.1, beta=3``) need about 2000:
        raise ``tol`` to 1e-3 (about 2.5x fewer iterations) or ``max_iter``.

    tol : float, default=1e-4
        Relative tolerance of the stopping rule: L-BFGS stops when J fell by
        at most ``tol * J`` over the last 10 iterations. ``tol=1e-3`` stops
        about 3x sooner, with slightly worse features; ``tol=0`` runs all
        ``max_iter`` iterations (UFLDL's exercise: ``max_iter=400, tol=0``),
        or, where L-BFGS converges first, takes the minimum on to the
        arithmetic's precision (float64: Newton steps on the exact gradient,
        see the user guide).

    random_state : int, RandomState instance or None, default=None
        Seed of the weight initialisation. An int gives bit-identical fits
        for the same data, ``chunk_size`` and dtype, on any number of threads
        and whatever the BLAS thread settings.

    verbose : int, default=0
        1 prints a progress line every 10 iterations (iteration out of
        ``max_iter``, J, the gradient norm, mean ``rho_hat``, time) and a
        final line saying why L-BFGS stopped and one on the hidden units'
        mean activations; 2 prints a line every iteration. Lines start
        with the estimator's parameters, so that the fits of a grid search
        can be told apart. To watch a fit otherwise (a progress bar, a
        score per iteration, a stop on request), see ``set_callbacks``.

    chunk_size : int, "auto" or None, default="auto"
        Rows of X processed at a time when evaluating J and its gradient.
        The objective is the exact full-batch J whatever the chunk size
        (``rho_hat`` is formed over all samples before any delta); chunks
        only group the sums over samples differently, so J and its gradient
        agree to rounding (1e-16 relative in float64, 1e-7 in float32), and
        fits with different chunk sizes start equal and drift apart as
        L-BFGS amplifies that rounding over many iterations. ``"auto"`` picks
        cache-sized chunks (at most 131072 entries of X: 2048 rows at 64
        features, 512 at 784; set by the shape only) and runs them on as
        many threads as the BLAS library would use; an int bounds the memory
        a fit needs beyond X to about ``n_samples * n_components`` plus ``2 *
        chunk_size * (n_features + n_components)`` values per thread and up
        to 8 float64 vectors of the parameters' size; None evaluates all
        rows as one chunk. During a fit BLAS runs single-threaded; the
        chunks are the parallelism.

    warm_start : bool, default=False
        If True, ``fit`` starts from the fitted parameters of the previous
        fit instead of a random initialisation (as ``MLPRegressor``), to
        continue a fit that reached ``max_iter`` or to follow a path of
        ``rho`` or ``beta`` values. The data must have as many features, and
        ``n_components`` must be the same; ``n_iter_`` and ``loss_curve_``
        then say what the new fit did.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Encoder weights ``W1``; row ``j`` is hidden unit ``j``'s filter.

    intercept_hidden_ : ndarray of shape (n_components,)
        Hidden biases ``b1``.

    decoder_components_ : ndarray of shape (n_components, n_features)
        Decoder weights ``W2``: ``inverse_transform(H) = f(H @ W2 + b2)`` for
        codes ``H``.
        Equal to ``components_`` when ``tied_weights=True``.

    intercept_visible_ : ndarray of shape (n_features,)
        Visible (decoder) biases ``b2``.

    mean_activation_ : ndarray of shape (n_components,)
        Each hidden unit's mean activation over the training set at the
        fitted parameters: the ``rho_hat_j`` of J, which the sparsity
        penalty pulls towards ``rho``. A unit below 0.001 is dead, above
        0.999 saturated (the user guide says why); a fit warns of such
        units.

    loss_ : float
        The objective J at the returned parameters.

    loss_curve_ : list of float
        J after each L-BFGS iteration.

    n_iter_ : int
        Number of L-BFGS iterations run (by the last fit, with
        ``warm_start``).

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

    _parameter_constraints: dict = {
        # The objective's options (n_components, rho, beta, alpha, loss,
        # decoder_activation, tied_weights), as loss_grad_reference checks
        # them; the rule between loss and decoder is AutoencoderBase's.
        **OBJECTIVE_CONSTRAINTS,
        "max_iter": [PositiveInt()],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "chunk_size": [
            PositiveInt(),
            StrOptions({"auto"}),
            None,
        ],
        "warm_start": ["boolean"],
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
        warm_start=False,
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
        self.warm_start = warm_start

    # The fitted array that tells where the model's arrays are (namespace,
    # device): X given to transform must be there too.
    _namespace_attribute = "components_"

    @property
    def n_components_(self):
        """Number of hidden units of the fitted model."""
        return self.components_.shape[0]

    @property
    def _n_features_out(self):
        """Number of transformed output features (for get_feature_names_out)."""
        return self.n_components_

    # Internals -------------------------------------------------------------

    def _encode(self, X, ops):
        with np.errstate(all="ignore"):
            W1 = ops.astype(self.components_, X.dtype)
            b1 = ops.astype(self.intercept_hidden_, X.dtype)
            H = encode(X, W1, b1, ops=ops)
        check_finite_output(H, "transform", X, ops)
        return H

    def _decoder_pre_activation(self, H, ops):
        W2 = ops.astype(self.decoder_components_, H.dtype)
        b2 = ops.astype(self.intercept_visible_, H.dtype)
        Z_out = H @ W2
        Z_out += b2
        return Z_out

    def _layout(self, n_features):
        return NetworkLayout(n_features, (self.n_components,), self.tied_weights)

    def _objective(self, X, *, runner, sample_weight=None, weight_sum=None):
        """J and its gradient on validated X (weighted by ``sample_weight``,
        where X is, whose sum is ``weight_sum``, where an executor is given
        weights), for this estimator's settings, its chunks run by
        ``runner`` (the executor's)."""
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
            runner=runner,
            sample_weight=sample_weight,
            weight_sum=weight_sum,
        )

    # The fit template's hooks (AutoencoderBase._fit).

    def _fit_subtasks(self):
        # The L-BFGS iterations, and the one L-BFGS never runs.
        return self.max_iter + 1

    def _starting_point(self, layout, fit_rows, random_state, task):
        # The fit's own task is the L-BFGS one.
        return self._start(layout, random_state), {}, task

    def _fitted_parameters(self, theta, X, ops):
        """The network's fitted arrays at ``theta``, in X's dtype, where X
        is (its namespace and device under array API dispatch)."""
        publish = ops.publish
        W1, W2, b1, b2 = unpack_parameters(
            theta, X.shape[1], self.n_components, self.tied_weights
        )
        return {
            "components_": publish(W1, X),
            "decoder_components_": publish(W2, X),
            "intercept_hidden_": publish(b1, X),
            "intercept_visible_": publish(b2, X),
        }

    @staticmethod
    def _mean_activations(rho_hats, X, ops):
        """``mean_activation_`` from the objective's ``rho_hats``."""
        (rho_hat,) = rho_hats
        return {"mean_activation_": ops.publish(np.asarray(rho_hat), X)}

    def _fitted_layout(self):
        """The network of the fitted parameters (for a warm start)."""
        (W1, W2) = as_host([self.components_, self.decoder_components_])
        return NetworkLayout(W1.shape[1], (W1.shape[0],), np.array_equal(W1, W2))

    def _packed_parameters(self, X=None):
        """The fitted parameters as one flat float64 vector (X: unused)."""
        return pack_parameters(
            *as_host(
                [
                    self.components_,
                    self.decoder_components_,
                    self.intercept_hidden_,
                    self.intercept_visible_,
                ]
            ),
            self.tied_weights,
        )
