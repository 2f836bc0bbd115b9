"""The ReconstructionICA estimator: validation, L-BFGS and fitted attributes.

The math lives in :mod:`skl_sparseae._rica_objective`; this module is the shell.
"""

from numbers import Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
)
from sklearn.utils import check_random_state

from ._array_ops import as_host
from ._base import (
    BasisTransformerMixin,
    check_finite_output,
    explain_last_terms,
    weighted_rows,
)
from ._callbacks import CallbackSupportMixin, FitTask
from ._executors import IN_MEMORY, executor_for
from ._gradient_check import GradientCheckProblem
from ._optimize import atomic_fit, minimize_for, publish_fit
from ._rica_objective import ReconstructionICAObjective, RICALayout, normalized_rows
from ._runners import serial_blas
from ._sklearn_private import Interval, StrOptions, _fit_context
from ._validation import (
    DOC_LINK_MODULE,
    DOC_LINK_TEMPLATE,
    ParameterRulesMixin,
    PositiveInt,
)


class ReconstructionICA(
    CallbackSupportMixin,
    ParameterRulesMixin,
    BasisTransformerMixin,
    ClassNamePrefixFeaturesOutMixin,
    BaseEstimator,
):
    """ICA with a reconstruction cost (Le et al. 2011; UFLDL's RICA).

    Learns a basis ``W`` whose codes ``z = W x`` are sparse while ``W^T z``
    reconstructs ``x``; unlike :class:`sklearn.decomposition.FastICA` the
    basis may be **overcomplete** (``n_components > n_features``). For ``m``
    samples ``W`` minimises::

        J(W) = (1/m) sum_i [ sparsity * sum_j sqrt((W x_i)_j^2 + epsilon)
                             + 1/2 ||W^T W x_i - x_i||^2 ]

    with L-BFGS on the exact gradient (derived on the docs' math page), the
    same driver, stopping rule and chunked, threaded evaluation as the
    package's autoencoders. Inputs are expected to be **whitened** (zero mean,
    identity covariance): the reconstruction term then keeps ``W`` close to
    orthonormal where it is complete, and the default ``sparsity`` is on the
    scale of whitened data. UFLDL's ZCA step is four lines of NumPy, shown
    in the gallery's RICA and linear-decoder examples.

    Parameters
    ----------
    n_components : int, default=50
        Number of basis vectors (rows of ``W``); may exceed n_features.

    sparsity : float, default=0.1
        Weight of the smoothed L1 penalty on the codes (in the package,
        ``alpha`` always means weight decay, so this one has its own name).

    epsilon : float, default=1e-2
        Smoothing of the L1 penalty, ``|z| ~ sqrt(z^2 + epsilon)``; > 0.

    normalize_filters : bool, default=False
        Evaluate J at ``W`` with each row scaled to unit norm (``w_j /
        sqrt(||w_j||^2 + 1e-5)``), as UFLDL's RICA exercise does, so that
        ``components_`` holds unit-norm filters. Without it, the L1 penalty
        can shrink rows of an overcomplete ``W`` to zero: on the gallery's
        whitened patches, 64 of 128 rows ended at zero norm (a 2x
        overcomplete basis that is really complete); with it, none did.
        False is the objective as written above.

    max_iter : int, default=400
        Maximum number of L-BFGS iterations.

    tol : float, default=1e-5
        Stop when J fell by at most ``tol * J`` over the last 10 iterations.
        ``tol=0``: as for SparseAutoencoder.

    random_state : int, RandomState instance or None, default=None
        Seed of the initial ``W`` (uniform in ``+-sqrt(6 / (n_features +
        n_components + 1))``).

    verbose : int, default=0
        Progress lines during the fit (see the user guide).

    chunk_size : int, "auto" or None, default="auto"
        Rows per chunk of the evaluation; None evaluates all rows at once.

    warm_start : bool, default=False
        If True, ``fit`` starts from the fitted ``components_`` of the
        previous fit instead of a random ``W``; the data must have as many
        features and ``n_components`` must be the same. ``n_iter_`` and
        ``loss_curve_`` then say what the new fit did.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        ``W``: row ``j`` is basis vector ``j`` (a filter), in X's dtype.

    loss_ : float
        J at the fitted ``W``.

    loss_curve_ : list of float
        J after each iteration.

    n_iter_ : int
        Number of L-BFGS iterations run.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, if X had string column names.

    See Also
    --------
    sklearn.decomposition.FastICA : Complete ICA by fixed-point iterations.
    SparseAutoencoder : A nonlinear encoder with a KL sparsity penalty.

    References
    ----------
    Q. V. Le, A. Karpenko, J. Ngiam and A. Y. Ng, "ICA with Reconstruction
    Cost for Efficient Overcomplete Feature Learning", NIPS 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from skl_sparseae import ReconstructionICA
    >>> X = np.random.RandomState(0).laplace(size=(500, 4))
    >>> rica = ReconstructionICA(n_components=8, random_state=0)
    >>> rica.fit_transform(X).shape
    (500, 8)
    >>> rica.components_.shape
    (8, 4)
    """

    _doc_link_module = DOC_LINK_MODULE
    _doc_link_template = DOC_LINK_TEMPLATE
    _parameter_constraints: dict = {
        "n_components": [PositiveInt()],
        "sparsity": [Interval(Real, 0, None, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "normalize_filters": ["boolean"],
        "max_iter": [PositiveInt()],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "chunk_size": [PositiveInt(), StrOptions({"auto"}), None],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        n_components=50,
        *,
        sparsity=0.1,
        epsilon=1e-2,
        normalize_filters=False,
        max_iter=400,
        tol=1e-5,
        random_state=None,
        verbose=0,
        chunk_size="auto",
        warm_start=False,
    ):
        self.n_components = n_components
        self.sparsity = sparsity
        self.epsilon = epsilon
        self.normalize_filters = normalize_filters
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose
        self.chunk_size = chunk_size
        self.warm_start = warm_start

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Learn ``W`` from (whitened) X with L-BFGS.

        Parameters
        ----------
        X : {array-like, dask array} of shape (n_samples, n_features)
            Training data, dense. float32 input trains in float32. A Dask
            array is fitted block by block where its blocks are (docs:
            Scaling out).

        y : Ignored
            Not used by the fit. Callbacks (``set_callbacks``) see it as
            the target, X itself where it is None.

        sample_weight : array-like of shape (n_samples,), default=None
            How much each sample counts: J's mean over the samples becomes a
            weighted mean. An integer weight counts as that many copies of
            the sample, a zero weight as no sample.

        Returns
        -------
        self : ReconstructionICA
            The fitted estimator.
        """
        with atomic_fit(self):
            executor = executor_for(X)
            X, _ = executor.training_data(self, X, accept_sparse=False)
            ops = executor.ops
            rows, weights = weighted_rows(X, sample_weight, executor)
            objective = executor.objective(self._objective, rows, sample_weight=weights)
            layout = self._layout(X.shape[1])
            theta0 = self._start(layout, check_random_state(self.random_state))
            # The fit's task for the callbacks: one subtask per L-BFGS
            # iteration, and the one L-BFGS never runs.
            task = FitTask.begin_fit(
                self,
                X,
                X if y is None else y,
                max_subtasks=self.max_iter + 1,
                sample_weight=sample_weight,
            )
            with serial_blas(), objective:
                result = minimize_for(
                    self,
                    objective,
                    theta0,
                    X,
                    ops=ops,
                    explain=lambda: explain_last_terms(
                        objective,
                        X,
                        "whiten X (zero mean, unit variance), or lower "
                        f"sparsity={self.sparsity!r}",
                        ops,
                    ),
                    iterations=task.lbfgs_iterations(
                        lambda theta, loss_curve: self._fitted_at(theta, X, ops)
                    ),
                )
            publish_fit(self, self._fitted_at(result.theta, X, ops), result)
            task.end_fit()
        return self

    def _fitted_at(self, theta, X, ops):
        """``components_`` at ``theta``: in X's dtype, where X is (under
        array API dispatch)."""
        W = theta.reshape(self._layout(X.shape[1]).shape)
        if self.normalize_filters:
            # The filters J was evaluated at, and transform must use.
            W = normalized_rows(W)
        return {"components_": ops.publish(W, X)}

    def _start(self, layout, random_state):
        """theta to start the fit from: the fitted filters with
        ``warm_start=True`` on a fitted model (of ``layout``'s shape), else
        the random initialisation."""
        if not (self.warm_start and hasattr(self, "components_")):
            return layout.initial_parameters(random_state)
        (W,) = as_host([self.components_])
        if W.shape != tuple(layout.shape):
            raise ValueError(
                "warm_start=True starts the fit from the fitted filters, of "
                f"shape {W.shape} (n_components, n_features); this fit needs "
                f"{tuple(layout.shape)}. Fit with warm_start=False, or with "
                "the data and n_components the fitted model had."
            )
        return W.astype(np.float64).ravel()

    def _sample_losses(self, X, ops):
        """Each sample's term of J at the fitted filters ``W`` (already
        normalized with ``normalize_filters``, as J evaluates them), in
        float64: ``sparsity * sum_j sqrt(z_j^2 + epsilon) + 1/2 ||W^T z -
        x||^2`` with ``z = W x``."""
        xp = ops.xp
        X = ops.astype(X, xp.float64)
        W = ops.astype(self.components_, xp.float64)
        with np.errstate(all="ignore"):
            Z = X @ W.T
            R = Z @ W - X
            smoothed_l1 = xp.sum(xp.sqrt(Z * Z + self.epsilon), axis=1)
            return self.sparsity * smoothed_l1 + 0.5 * xp.sum(R * R, axis=1)

    def _codes(self, X, ops):
        with np.errstate(all="ignore"):
            Z = X @ ops.astype(self.components_.T, X.dtype)
        check_finite_output(Z, "transform", X, ops)
        return Z

    # Internals -------------------------------------------------------------

    def _layout(self, n_features):
        return RICALayout(n_features, self.n_components)

    def _gradient_check_problem(self, X, y=None):
        """What :func:`~skl_sparseae.check_gradient` checks on float64 X:
        the objective ``fit`` minimises. Its default step is 1e-6: J is
        quartic in W, so the central difference with UFLDL's 1e-4 is itself
        only accurate to about 1e-8."""
        return GradientCheckProblem(
            objective=IN_MEMORY.objective(self._objective, X),
            layout=self._layout(X.shape[1]),
            step=1e-6,
            description=(f"n_features={X.shape[1]}, n_components={self.n_components}"),
        )

    def _objective(self, X, *, runner, sample_weight=None, weight_sum=None):
        """J and its gradient on validated X (weighted by ``sample_weight``,
        where X is, whose sum is ``weight_sum``, where an executor is given
        weights), for this estimator's settings, its chunks run by
        ``runner`` (the executor's)."""
        return ReconstructionICAObjective(
            X,
            n_components=self.n_components,
            sparsity=self.sparsity,
            epsilon=self.epsilon,
            normalize_filters=self.normalize_filters,
            chunk_size=self.chunk_size,
            runner=runner,
            sample_weight=sample_weight,
            weight_sum=weight_sum,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Under array_api_dispatch, X of another namespace is fitted and
        # transformed on its device (skl_sparseae._executors).
        tags.array_api_support = True
        return tags

    def _packed_parameters(self, X=None):
        """The fitted ``W`` as one flat float64 vector (X: unused)."""
        (W,) = as_host([self.components_])
        return W.astype(np.float64).ravel()
