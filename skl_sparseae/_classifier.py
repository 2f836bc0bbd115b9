"""SparseAutoencoderClassifier: UFLDL's stacked autoencoder with fine-tuning.

Greedy pretraining reuses :func:`~skl_sparseae._deep.greedy_stages` (each
stage a SparseAutoencoder); softmax regression and fine-tuning evaluate
:class:`~skl_sparseae._classifier_objective.ClassifierObjective` on the shared engine.
"""

from functools import partial
from numbers import Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_is_fitted,
)

from ._array_ops import as_host
from ._base import check_finite_output, explain_last_terms, kept_rows
from ._callbacks import CallbackSupportMixin, FitTask
from ._classifier_objective import ClassifierObjective
from ._deep import greedy_stages
from ._executors import IN_MEMORY, executor_for
from ._forward import encode_layers, softmax_inplace
from ._gradient_check import GradientCheckProblem
from ._layouts import ClassifierLayout
from ._optimize import atomic_fit, minimize_for, publish_fit
from ._runners import serial_blas
from ._sklearn_private import Interval, StrOptions, _fit_context
from ._validation import (
    DECODER_ACTIVATIONS,
    DOC_LINK_MODULE,
    DOC_LINK_TEMPLATE,
    FLOAT_DTYPES,
    FiniteNonNegative,
    LayerSizes,
    ParameterRulesMixin,
    PerLayer,
    PositiveInt,
    check_sample_weight,
    layer_options,
    uniform_as_none,
)

__all__ = ["SparseAutoencoderClassifier"]


class SparseAutoencoderClassifier(
    CallbackSupportMixin,
    ParameterRulesMixin,
    ClassNamePrefixFeaturesOutMixin,
    ClassifierMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Stacked sparse autoencoder with a softmax layer, fine-tuned (UFLDL).

    ``fit(X, y)`` runs UFLDL's stacked-autoencoder recipe:

    1. **Greedy pretraining**: each layer a :class:`SparseAutoencoder` (KL
       penalty with ``rho``, ``beta``) trained on the previous layer's codes
       of *all* samples, labelled or not.
    2. **Softmax regression** on the top layer's codes of the labelled
       samples (L-BFGS, weight decay ``alpha``).
    3. **Fine-tuning** (``fine_tune=True``): the whole network, every
       encoder layer and the softmax layer, trained jointly on the labelled
       samples by L-BFGS on the exact backpropagation gradient of::

           J = -(1/m) sum_i log p(y_i | x_i) + (alpha/2) sum ||W||_F^2

    Samples whose label is ``unlabelled_label`` (e.g. -1, scikit-learn's
    semi-supervised convention) take part in step 1 only: self-taught
    learning from unlabelled data.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(100,)
        Widths of the encoder's layers.

    rho : float or tuple of float, default=0.05
        Target mean activation of each layer in pretraining, in (0, 1).

    beta : float or tuple of float, default=3.0
        Weight of each layer's sparsity penalty in pretraining.

    alpha : float, default=1e-4
        Weight decay, in pretraining, softmax regression and fine-tuning.

    decoder_activation : {"logistic", "identity"}, default="logistic"
        Decoder of the first pretraining stage: "identity" for data that is
        not in [0, 1] (e.g. standardized). Later stages reconstruct codes in
        (0, 1) with the logistic decoder.

    pretrain_max_iter : int, default=2000
        Maximum L-BFGS iterations of each pretraining stage.

    fine_tune : bool, default=True
        Whether to train the whole network jointly after the softmax layer.

    max_iter : int, default=2000
        Maximum L-BFGS iterations of the softmax regression and of the
        fine-tuning.

    tol : float, default=1e-4
        Relative tolerance of the package's stopping rule (J fell by at most
        ``tol * J`` over the last 10 iterations), for every stage. ``tol=0``:
        as for SparseAutoencoder.

    unlabelled_label : int, str or None, default=None
        Label that marks unlabelled samples (scikit-learn's semi-supervised
        estimators use -1). None: every label is a class.

    random_state : int, RandomState instance or None, default=None
        Seed of the pretraining stages' initialisations.

    verbose : int, default=0
        Progress output as in :class:`SparseAutoencoder`.

    chunk_size : int, "auto" or None, default="auto"
        Rows of X processed at a time, as in :class:`SparseAutoencoder`.

    warm_start : bool, default=False
        If True, ``fit`` continues the fine-tuning from the fitted network
        of the previous fit, without pretraining or softmax regression (as
        ``MLPClassifier``); it needs ``fine_tune=True``. The data must have
        as many features and the same classes, and ``hidden_layer_sizes``
        must be the same; ``n_iter_`` and ``loss_curve_`` then say what the
        new fit did, and ``pretrain_losses_`` and ``softmax_loss_`` are
        None.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (the unlabelled marker is never one).

    coefs_ : list of ndarray
        Weights in scikit-learn's MLP convention for the layers
        ``[n_features, h_1, ..., h_L, n_classes]``: ``coefs_[i]`` of shape
        ``(layer_sizes[i], layer_sizes[i + 1])``.

    intercepts_ : list of ndarray
        Biases, ``intercepts_[i]`` of shape ``(layer_sizes[i + 1],)``.

    loss_ : float
        The fine-tuning objective J at the returned parameters (also when
        ``fine_tune=False``: J at the pretrained network with its softmax).

    loss_curve_ : list of float
        J per iteration of the fine-tuning (of the softmax regression when
        ``fine_tune=False``).

    n_iter_ : int
        Iterations of the fine-tuning (of the softmax regression when
        ``fine_tune=False``).

    pretrain_losses_ : list of float or None
        The J each pretraining stage reached (None after a warm start).

    softmax_loss_ : float or None
        The softmax regression's objective on the top codes (None after a
        warm start).

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when ``X``
        has feature names that are all strings.

    See Also
    --------
    DeepSparseAutoencoder : The unsupervised deep model.
    sklearn.neural_network.MLPClassifier : The same network trained from
        random weights, without pretraining.

    Notes
    -----
    Names follow :class:`~sklearn.neural_network.MLPClassifier` where they
    mean the same. ``pretrain_max_iter``, ``max_iter`` and ``tol`` take the
    package's stopping rule rather than UFLDL's fixed 400 iterations, so that
    a default fit converges; ``decoder_activation`` is added so that data
    outside [0, 1] can be pretrained without a warning.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from skl_sparseae import SparseAutoencoderClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = MinMaxScaler().fit_transform(X)
    >>> clf = SparseAutoencoderClassifier((32,), tol=1e-3, random_state=0)
    >>> clf = clf.fit(X[:500], y[:500])
    >>> clf.predict_proba(X[500:503]).shape
    (3, 10)
    >>> bool(clf.score(X[500:], y[500:]) > 0.8)
    True
    """

    _doc_link_module = DOC_LINK_MODULE
    _doc_link_template = DOC_LINK_TEMPLATE

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [LayerSizes()],
        # One rho and beta for every layer, or one per layer (how many is
        # checked with hidden_layer_sizes, in _check_parameter_rules).
        "rho": [PerLayer(0, 1, closed="neither")],
        "beta": [PerLayer(0, np.inf, closed="left")],
        "alpha": [FiniteNonNegative()],
        "decoder_activation": [StrOptions(set(DECODER_ACTIVATIONS))],
        "pretrain_max_iter": [PositiveInt()],
        "fine_tune": ["boolean"],
        "max_iter": [PositiveInt()],
        "tol": [Interval(Real, 0, None, closed="left")],
        "unlabelled_label": [None, str, Real],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "chunk_size": [PositiveInt(), StrOptions({"auto"}), None],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        *,
        rho=0.05,
        beta=3.0,
        alpha=1e-4,
        decoder_activation="logistic",
        pretrain_max_iter=2000,
        fine_tune=True,
        max_iter=2000,
        tol=1e-4,
        unlabelled_label=None,
        random_state=None,
        verbose=0,
        chunk_size="auto",
        warm_start=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.rho = rho
        self.beta = beta
        self.alpha = alpha
        self.decoder_activation = decoder_activation
        self.pretrain_max_iter = pretrain_max_iter
        self.fine_tune = fine_tune
        self.max_iter = max_iter
        self.tol = tol
        self.unlabelled_label = unlabelled_label
        self.random_state = random_state
        self.verbose = verbose
        self.chunk_size = chunk_size
        self.warm_start = warm_start

    # Fitting ------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Pretrain greedily on all of X, then fit the softmax and fine-tune.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            Training data. float32 input trains in float32. A Dask array is
            fitted block by block where its blocks are (docs: Scaling out).

        y : array-like of shape (n_samples,)
            Labels; samples labelled ``unlabelled_label`` are unlabelled.

        sample_weight : array-like of shape (n_samples,), default=None
            How much each sample counts, in every stage: each pretraining
            stage's J, the softmax regression's and the fine-tuning's mean
            cross-entropy become weighted means. An integer weight counts as
            that many copies of the sample, a zero weight as no sample.

        Returns
        -------
        self : SparseAutoencoderClassifier
            The fitted classifier.
        """
        with atomic_fit(self):
            self._fit(X, y, sample_weight)
        return self

    def _check_parameter_rules(self):
        """One rho and beta per encoder layer; a warm start continues the
        fine-tuning."""
        self._options()
        if self.warm_start and not self.fine_tune:
            raise ValueError(
                "warm_start=True continues the fine-tuning from the fitted "
                "network: it needs fine_tune=True. Set warm_start=False to "
                "fit without fine-tuning."
            )

    def _options(self):
        """``(sizes, rho, beta)``: the layer widths and one rho and beta per
        layer."""
        return layer_options(self.hidden_layer_sizes, self.rho, self.beta)

    def _labelled(self, y):
        """Mask of the labelled samples (all of them without a marker)."""
        if self.unlabelled_label is None:
            return np.ones(len(y), dtype=bool)
        labelled = np.asarray(y != self.unlabelled_label, dtype=bool).reshape(-1)
        if not labelled.any():
            raise ValueError(
                f"Every sample is unlabelled (y == {self.unlabelled_label!r}): the "
                "softmax layer needs labelled samples of at least 2 classes."
            )
        return labelled

    def _validate_training_data(self, X, y, executor):
        """``(X, y)`` for fit. A Dask X stays on its workers; its labels (one
        value per sample, small) are gathered here."""
        return executor.training_data_and_targets(self, X, y, accept_sparse="csr")

    def _fit(self, X, y, sample_weight=None):
        sizes, rho, beta = self._options()
        # What X is, asked once: everything below is handed the executor.
        executor = executor_for(X)
        ops = executor.ops
        X, y = self._validate_training_data(X, y, executor)
        check_classification_targets(y)
        # What the callbacks see: the data as given.
        X_given, y_given = X, y
        # The rows the stages are fitted on (a zero weight is no sample),
        # and their weights (None: unweighted).
        keep, weights = kept_rows(
            X, check_sample_weight(sample_weight, X.shape[0]), executor
        )
        if keep is not None:
            X, y = ops.rows_where(X, keep), y[keep]
        labelled = self._labelled(y)
        classes, y_index = np.unique(y[labelled], return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                "The classifier needs labelled samples of at least 2 classes; got "
                f"1 class ({classes.tolist()[0]!r})."
            )
        random_state = check_random_state(self.random_state)
        n_classes = len(classes)
        layout = ClassifierLayout(X.shape[1], sizes, n_classes)
        # A warm start continues the fine-tuning from the fitted network.
        warm_theta = self._warm_start_parameters(layout, classes)
        X_labelled = ops.rows_where(X, labelled) if not labelled.all() else X

        def fitted_network(theta):
            coefs, intercepts = layout.to_layers(theta)
            return {
                "classes_": classes,
                "coefs_": [ops.publish(W, X) for W in coefs],
                "intercepts_": [ops.publish(b, X) for b in intercepts],
            }

        # The softmax and the fine-tuning are over the labelled rows.
        labelled_weights = uniform_as_none(
            None if weights is None else weights[labelled]
        )
        # The fit's tasks for the callbacks: each pretraining stage, the
        # softmax regression and the fine-tuning, each with its iterations.
        task = FitTask.begin_fit(
            self,
            X_given,
            y_given,
            max_subtasks=1 if warm_theta is not None else len(sizes) + 2,
            sample_weight=sample_weight,
        )
        if warm_theta is None:
            theta, softmax_result, pretrain_losses = self._pretrain_and_softmax(
                X,
                X_labelled,
                y,
                labelled,
                y_index,
                n_classes,
                random_state,
                task,
                fitted_network,
                weights,
                labelled_weights,
                executor,
            )
        else:
            theta, softmax_result, pretrain_losses = warm_theta, None, None

        # 3. The whole network, from the stages and the softmax layer.
        with (
            serial_blas(),
            self._training_objective(
                X_labelled, y_index, sizes, n_classes, labelled_weights, executor
            ) as network,
        ):
            if self.fine_tune:
                fine_tuning = task.stage(
                    "fine-tuning",
                    max_subtasks=self.max_iter + 1,
                    X=X_labelled,
                    y=y[labelled],
                    sample_weight=labelled_weights,
                )
                result = self._minimize(
                    network,
                    theta,
                    X,
                    "fine-tuning",
                    fine_tuning.lbfgs_iterations(
                        lambda theta, loss_curve: fitted_network(theta)
                    ),
                    ops,
                )
                theta, loss = result.theta, result.loss
                curve, n_iter = result.loss_curve, result.n_iter
            else:
                with np.errstate(all="ignore"):
                    loss = float(network(theta)[0])
                curve, n_iter = softmax_result.loss_curve, softmax_result.n_iter

        # The fitted arrays in X's dtype, where X is (its namespace and device
        # under array API dispatch); classes_ stays a NumPy array, as
        # scikit-learn allows, since labels may be strings.
        fitted = {
            **fitted_network(theta),
            "loss_": loss,
            "loss_curve_": curve,
            "n_iter_": n_iter,
            "pretrain_losses_": pretrain_losses,
            "softmax_loss_": None if softmax_result is None else softmax_result.loss,
        }
        publish_fit(self, fitted)
        if self.fine_tune:
            fine_tuning.end({})
        task.end_fit()

    def _pretrain_and_softmax(
        self,
        X,
        X_labelled,
        y,
        labelled,
        y_index,
        n_classes,
        random_state,
        task,
        fitted_network,
        weights,
        labelled_weights,
        executor,
    ):
        """Steps 1 and 2: greedy pretraining on every sample, then the
        softmax regression on the top codes of the labelled ones, each a
        subtask of ``task`` (whose hooks can ask for the classifier at each
        softmax iterate, ``fitted_network(theta)``), weighted by the rows'
        ``weights`` (the labelled ones' ``labelled_weights``). Returns the
        whole network's parameters they make, the softmax's L-BFGS result
        and the stages' J."""
        sizes, rho, beta = self._options()
        # 1. Greedy pretraining on every sample, labelled or not.
        stages, codes = greedy_stages(
            X,
            sizes,
            rho,
            beta,
            random_state,
            task=task,
            sample_weight=weights,
            decoder_activation=self.decoder_activation,
            alpha=self.alpha,
            loss="squared_error",
            tied_weights=False,
            max_iter=self.pretrain_max_iter,
            tol=self.tol,
            verbose=self.verbose,
            chunk_size=self.chunk_size,
        )
        ops = executor.ops
        codes_labelled = (
            ops.rows_where(codes, labelled) if not labelled.all() else codes
        )
        encoder_coefs = [stage.components_.T for stage in stages]
        encoder_intercepts = [stage.intercept_hidden_ for stage in stages]
        layout = ClassifierLayout(X.shape[1], sizes, n_classes)

        def network_at(softmax_theta):
            """The whole network's theta: the stages, and this softmax."""
            (softmax_coef,), (softmax_intercept,) = softmax_layout.to_layers(
                softmax_theta
            )
            return layout.from_layers(
                encoder_coefs + [softmax_coef],
                encoder_intercepts + [softmax_intercept],
            )

        # 2. Softmax regression on the top codes of the labelled samples.
        softmax_layout = ClassifierLayout(sizes[-1], (), n_classes)
        softmax_task = task.stage(
            "softmax regression",
            max_subtasks=self.max_iter + 1,
            X=X_labelled,
            y=y[labelled],
            sample_weight=labelled_weights,
        )
        with (
            serial_blas(),
            self._training_objective(
                codes_labelled, y_index, (), n_classes, labelled_weights, executor
            ) as softmax,
        ):
            softmax_result = self._minimize(
                softmax,
                np.zeros(softmax_layout.n_parameters),
                X,
                "softmax",
                softmax_task.lbfgs_iterations(
                    lambda theta, loss_curve: fitted_network(network_at(theta))
                ),
                ops,
            )
        softmax_task.end(lambda: fitted_network(network_at(softmax_result.theta)))
        return (
            network_at(softmax_result.theta),
            softmax_result,
            [stage.loss_ for stage in stages],
        )

    def _warm_start_parameters(self, layout, classes):
        """The fitted network's parameters, to continue the fine-tuning from,
        with ``warm_start=True`` on a fitted classifier (of ``layout``'s
        shape and the same classes); None for a cold start."""
        if not (self.warm_start and hasattr(self, "coefs_")):
            return None
        shapes = [tuple(W.shape) for W in self.coefs_]
        expected = [
            (n_in, n_out)
            for n_in, n_out in zip(
                (layout.n_features,) + layout.hidden_layer_sizes,
                layout.hidden_layer_sizes + (layout.n_classes,),
                strict=True,
            )
        ]
        if shapes != expected or not np.array_equal(self.classes_, classes):
            raise ValueError(
                "warm_start=True continues the fine-tuning from the fitted "
                f"network, whose weights have the shapes {shapes} for the "
                f"classes {self.classes_.tolist()}; this fit needs {expected} "
                f"for the classes {classes.tolist()}. Fit with "
                "warm_start=False, or with the data and hidden_layer_sizes "
                "the fitted model had."
            )
        return layout.from_layers(as_host(self.coefs_), as_host(self.intercepts_))

    def _objective(
        self,
        X,
        y_index,
        *,
        hidden_layer_sizes,
        n_classes,
        runner,
        sample_weight=None,
        weight_sum=None,
    ):
        """The fine-tuning (or softmax) objective on validated X and class
        indices (weighted by ``sample_weight``, where X is, whose sum is
        ``weight_sum``, where an executor is given weights), its chunks run
        by ``runner`` (the executor's)."""
        return ClassifierObjective(
            X,
            y_index,
            hidden_layer_sizes=hidden_layer_sizes,
            n_classes=n_classes,
            alpha=self.alpha,
            chunk_size=self.chunk_size,
            runner=runner,
            sample_weight=sample_weight,
            weight_sum=weight_sum,
        )

    def _training_objective(
        self, X, y_index, hidden_layer_sizes, n_classes, sample_weight, executor
    ):
        """The fine-tuning (or softmax) objective on validated X (weighted by
        the checked ``sample_weight``, or not), run by X's ``executor`` (on a
        Dask array's blocks, with the class indices sent to the workers
        once, in X's row chunks)."""
        return executor.objective(
            self._objective,
            X,
            y_index,
            hidden_layer_sizes=hidden_layer_sizes,
            n_classes=n_classes,
            sample_weight=sample_weight,
        )

    def _minimize(self, objective, theta0, X, stage, iterations, ops):
        return minimize_for(
            self,
            objective,
            theta0,
            X,
            ops=ops,
            stage=stage,
            explain=lambda: explain_last_terms(
                objective, X, f"scale X, or lower alpha={self.alpha!r}", ops
            ),
            iterations=iterations,
        )

    # Prediction ---------------------------------------------------------------

    def _forward(self, X, ops):
        """``(codes, softmax input)`` of validated X, in X's dtype (``ops``:
        where X is)."""
        with np.errstate(all="ignore"):
            H = encode_layers(X, self.coefs_[:-1], self.intercepts_[:-1], ops)
            Z = H @ ops.astype(self.coefs_[-1], X.dtype)
            Z += ops.astype(self.intercepts_[-1], X.dtype)
        check_finite_output(Z, "predict", X, ops)
        return H, Z

    # The fitted array that tells where the model's arrays are: X given to
    # predict under array API dispatch must be there too.
    _namespace_attribute = "_first_coef"

    @property
    def _first_coef(self):
        return self.coefs_[0]

    def _output(self, X, kind):
        """What the network gives for X: ``"proba"``, ``"log_proba"``,
        ``"label"`` or ``"codes"``; lazily, block by block, for a Dask X."""
        check_is_fitted(self)
        executor = executor_for(X)
        X = executor.fitted_input(
            self, X, accept_sparse=("csr", "csc"), method=_METHOD_OF[kind]
        )
        output = partial(self._output_of_validated, kind=kind)
        if kind == "label":
            return executor.map_rows(X, output, None, self.classes_.dtype)
        n_columns = self._n_features_out if kind == "codes" else len(self.classes_)
        return executor.map_rows(X, output, n_columns)

    def _output_of_validated(self, X, ops, kind):
        H, Z = self._forward(X, ops)
        xp = ops.xp
        if kind == "codes":
            return H
        if kind == "label":
            return ops.classes_of(self.classes_, xp.argmax(Z, axis=1))
        if kind == "proba":
            return softmax_inplace(Z, ops)
        # log p = z - logsumexp(z), computed stably
        Z -= xp.max(Z, axis=1, keepdims=True)
        Z -= xp.log(xp.sum(xp.exp(Z), axis=1, keepdims=True))
        return Z

    def predict_proba(self, X):
        """Predict class probabilities: the softmax of the network's output.

        The forward pass goes through ``coefs_`` and ``intercepts_``.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class in ``classes_``, in X's dtype.
        """
        return self._output(X, "proba")

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities, computed stably.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class in ``classes_``.
        """
        return self._output(X, "log_proba")

    def predict(self, X):
        """Most probable class of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted labels, from ``classes_``.
        """
        return self._output(X, "label")

    def score(self, X, y, sample_weight=None):
        """Mean accuracy of ``predict(X)`` against ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            Samples.

        y : array-like of shape (n_samples,)
            True labels.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        score : float
            Fraction of the samples whose label is predicted correctly.
        """
        return super().score(X, y, sample_weight=sample_weight)

    def transform(self, X):
        """Top-layer codes of the fitted (fine-tuned) encoder.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        H : ndarray of shape (n_samples, h_L)
            Activations of the last encoder layer, in X's dtype.
        """
        return self._output(X, "codes")

    @property
    def _n_features_out(self):
        """Number of transformed output features: the top layer's width."""
        return self.intercepts_[-2].shape[0]

    def _gradient_check_problem(self, X, y):
        """What :func:`~skl_sparseae.check_gradient` checks: the fine-tuning
        objective on the labelled samples of float64 (X, y), with UFLDL's
        step 1e-4."""
        sizes, _, _ = self._options()
        labelled = self._labelled(y)
        classes, y_index = np.unique(np.asarray(y)[labelled], return_inverse=True)
        layout = ClassifierLayout(X.shape[1], sizes, len(classes))
        return GradientCheckProblem(
            objective=self._training_objective(
                X[labelled], y_index, sizes, len(classes), None, IN_MEMORY
            ),
            layout=layout,
            step=1e-4,
            description=f"n_features={X.shape[1]}, hidden layers {sizes}",
        )

    def _packed_parameters(self, X=None):
        """The fitted parameters as one flat float64 vector (X: unused)."""
        layout = ClassifierLayout(
            self.n_features_in_, self._options()[0], len(self.classes_)
        )
        return layout.from_layers(self.coefs_, self.intercepts_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = [np.dtype(t).name for t in FLOAT_DTYPES]
        # Under array_api_dispatch, X of another namespace is fitted and
        # predicted on its device (skl_sparseae._executors).
        tags.array_api_support = True
        return tags


# The public method behind each kind of _output (named in error messages).
_METHOD_OF = {
    "proba": "predict_proba",
    "log_proba": "predict_log_proba",
    "label": "predict",
    "codes": "transform",
}
