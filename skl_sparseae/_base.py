"""What every autoencoder estimator of the package shares: fit and
fit_transform around one fit template (``_fit``), transform,
inverse_transform and score around an encoder and a decoder, the data
checks, and the L-BFGS call.

A subclass supplies the fit template's hooks (``_fit_subtasks()``,
``_starting_point(...)``), ``_layout(n_features)``, ``_objective(X, *,
runner, ...)``, ``_fitted_parameters(theta, X, ops)``,
``_mean_activations(rho_hats, X, ops)``, ``_encode(X, ops)``,
``_decoder_pre_activation(H, ops)`` and the property ``_n_features_out``.
``ops`` is the array operations of where X is, handed down from the one
``executor_for(X)`` of the public call: nothing below asks again.
"""

import warnings
from functools import partial

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils import check_random_state, metadata_routing
from sklearn.utils.validation import check_is_fitted

from ._activity import report_units
from ._array_ops import dtype_name
from ._callbacks import CallbackSupportMixin, FitTask
from ._executors import IN_MEMORY, executor_for
from ._forward import reconstruction_loss_per_sample
from ._gradient_check import GradientCheckProblem
from ._optimize import (
    OUT_OF_SCALE,
    atomic_fit,
    minimize_for,
    publish_fit,
    user_stacklevel,
)
from ._runners import serial_blas
from ._sklearn_private import _fit_context
from ._validation import (
    DOC_LINK_MODULE,
    DOC_LINK_TEMPLATE,
    ParameterRulesMixin,
    check_loss_and_decoder,
    check_sample_weight,
    estimator_label,
    uniform_as_none,
    value_range,
)


class AutoencoderBase(
    CallbackSupportMixin,
    ParameterRulesMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Shared shell of the package's autoencoders (not public)."""

    _doc_link_module = DOC_LINK_MODULE
    _doc_link_template = DOC_LINK_TEMPLATE

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Learn the encoder and decoder from X with L-BFGS.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            Training data. float32 input trains in float32. A Dask array is
            fitted block by block where its blocks are (docs: Scaling out).

        y : Ignored
            Not used by the fit. Callbacks (``set_callbacks``) see it as
            the target, X itself where it is None.

        sample_weight : array-like of shape (n_samples,), default=None
            How much each sample counts: J's mean over the samples and each
            ``rho_hat`` become weighted means (the user guide's math page
            derives the gradient). An integer weight counts as that many
            copies of the sample, a zero weight as no sample. None weighs
            every sample the same.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._fit(X, y, return_codes=False, sample_weight=sample_weight)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None, sample_weight=None):
        """Fit to X and return its codes, without a second forward pass.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            Training data (a Dask array gives lazy codes).

        y : Ignored
            Not used by the fit. Callbacks (``set_callbacks``) see it as
            the target, X itself where it is None.

        sample_weight : array-like of shape (n_samples,), default=None
            How much each sample counts in the fit, as in ``fit``.

        Returns
        -------
        H : ndarray of shape (n_samples, n_codes)
            The codes of X at the fitted parameters (of every sample, zero
            weights included).
        """
        return self._fit(X, y, return_codes=True, sample_weight=sample_weight)

    def transform(self, X):
        """Encode X: the activations of the code layer.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            Data to encode.

        Returns
        -------
        H : ndarray of shape (n_samples, n_codes)
            Codes, in X's dtype (float32 or float64). For a Dask array, a
            lazy Dask array with X's row chunks.
        """
        check_is_fitted(self)
        executor = executor_for(X)
        X = executor.fitted_input(
            self, X, accept_sparse=("csr", "csc"), method="transform"
        )
        return executor.map_rows(X, self._encode, self._n_features_out)

    def _training_codes(self, X, executor):
        """Codes of validated training data, lazy for a Dask array."""
        return executor.map_rows(X, self._encode, self._n_features_out)

    def inverse_transform(self, X):
        """Decode codes back to input space through the decoder.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_codes)
            Hidden activations (codes), e.g. the output of ``transform``.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            Reconstruction, in the codes' dtype (float32 or float64). For a
            Dask array, a lazy Dask array with the codes' row chunks.
        """
        return decode_codes(self, X, "units in its code layer", self._decode)

    def _decode(self, H, ops):
        Z_out = self._decoder_pre_activation(H, ops)
        if self.decoder_activation == "logistic":
            Z_out = ops.sigmoid(Z_out)
        return Z_out

    # ``compute`` is an option of this method, not data to route to it.
    __metadata_request__score = {"compute": metadata_routing.UNUSED}

    def score(self, X, y=None, sample_weight=None, *, compute=True):
        """Negative mean reconstruction loss per sample (higher is better).

        The loss is the estimator's ``loss``, without the weight decay and
        sparsity terms of J, computed in float64.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            Data to reconstruct.

        y : Ignored
            Not used, present for API consistency by convention.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples: the score is then the weighted mean.

        compute : bool, default=True
            For a Dask array: True computes the score (the per-sample
            losses are averaged on the workers, only the mean comes back);
            False returns it as a lazy 0-d Dask array, to compute with
            other results (``dask.compute(a.score(X, compute=False), ...)``),
            as dask-ml's ``score(..., compute=True)``. scikit-learn's
            searches and scorers need a number, hence the default. Ignored
            for other input.

        Returns
        -------
        score : float or 0-d dask array
            ``-(1/m) sum_i L(x_hat_i, x_i)``; a lazy Dask array for a Dask X
            with ``compute=False``.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skl_sparseae import SparseAutoencoder
        >>> X = load_digits().data / 16.0
        >>> model = SparseAutoencoder(16, tol=1e-3, random_state=0).fit(X)
        >>> model.score(X) < 0
        True
        """
        # The loss scored is the one set now: it must still fit the decoder.
        return mean_score(
            self,
            X,
            accept_sparse=("csr", "csc"),
            sample_weight=sample_weight,
            compute=compute,
        )

    def score_samples(self, X):
        """Negative reconstruction loss of each sample (higher is more typical).

        The per-sample terms of ``score``, which is their mean (as
        ``PCA.score_samples`` and ``score``): samples the model reconstructs
        badly, e.g. of a kind it was not fitted on, score low, which makes it
        a detector of anomalies (the user guide compares it with
        scikit-learn's detectors).

        Parameters
        ----------
        X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
            Data to reconstruct.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``-L(x_hat_i, x_i)`` for each sample, in float64: a NumPy array,
            an array of X's namespace on its device under array API
            dispatch, or a lazy Dask array with X's row chunks.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from skl_sparseae import SparseAutoencoder
        >>> X = load_digits().data / 16.0
        >>> model = SparseAutoencoder(16, tol=1e-3, random_state=0).fit(X)
        >>> scores = model.score_samples(X)
        >>> scores.shape
        (1797,)
        >>> bool(abs(scores.mean() - model.score(X)) < 1e-12)
        True
        """
        return per_sample_scores(self, X, accept_sparse=("csr", "csc"))

    def _sample_losses(self, X, ops):
        """What ``score`` and ``score_samples`` score: the reconstruction
        loss of each sample of validated X (``ops``: where X is)."""
        self._check_parameter_rules()
        return self._reconstruction_losses(X, ops)

    def _reconstruction_losses(self, X, ops):
        """L(x_hat_i, x_i) of each sample of validated X, in float64."""
        self._check_cross_entropy_range(X, None, ops)
        float64 = ops.xp.float64
        H = self._encode(X, ops)
        with np.errstate(all="ignore"):
            Z_out = self._decoder_pre_activation(ops.astype(H, float64), ops)
            X_dense = X.toarray() if sp.issparse(X) else X
            return reconstruction_loss_per_sample(
                ops.astype(X_dense, float64),
                Z_out,
                self.loss,
                self.decoder_activation,
                ops=ops,
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        # Under array_api_dispatch, X of another namespace is fitted and
        # transformed on its device (skl_sparseae._executors).
        tags.array_api_support = True
        return tags

    # Shared internals ----------------------------------------------------

    def _validate_training_data(self, X, executor):
        """Validated X for fit: float C-ordered, canonical CSR, range checked.

        A Dask array is checked block-wise and persisted on the workers when
        they can hold it (:func:`~skl_sparseae._dask.prepare_training_array`).
        """
        X, bounds = executor.training_data(self, X, accept_sparse="csr")
        self._check_cross_entropy_range(X, bounds, executor.ops)
        self._warn_if_out_of_decoder_range(X, bounds, executor.ops)
        return X

    def _check_parameter_rules(self):
        """cross_entropy needs the logistic decoder (the one rule between
        the autoencoders' parameters that each value's constraint cannot
        state)."""
        check_loss_and_decoder(self.loss, self.decoder_activation)

    def _check_cross_entropy_range(self, X, bounds, ops):
        """cross_entropy needs X in [0, 1]: raise if not.

        ``bounds``: X's ``(min, max)`` if already known; ``ops``: where X is."""
        if self.loss != "cross_entropy":
            return
        if bounds is None:
            bounds = value_range(X, ops)
        if bounds is not None and (bounds[0] < 0.0 or bounds[1] > 1.0):
            raise ValueError(
                f"cross_entropy loss needs X in [0, 1]; got {format_range(bounds)}. "
                "Scale X (e.g. MinMaxScaler) or use loss='squared_error'."
            )

    def _warn_if_out_of_decoder_range(self, X, bounds, ops):
        """The logistic decoder outputs values in (0, 1): warn if X is far outside."""
        if self.decoder_activation != "logistic" or self.loss == "cross_entropy":
            return
        if bounds is None:
            bounds = value_range(X, ops)
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

    def _gradient_check_problem(self, X, y=None):
        """What :func:`~skl_sparseae.check_gradient` checks on float64 X:
        the objective ``fit`` minimises, with UFLDL's step 1e-4 (X a NumPy
        array: the in-memory executor's)."""
        self._check_cross_entropy_range(X, None, IN_MEMORY.ops)
        layout = self._layout(X.shape[1])
        return GradientCheckProblem(
            objective=self._training_objective(X, None, IN_MEMORY),
            layout=layout,
            step=1e-4,
            description=(
                f"n_features={X.shape[1]}, hidden layers "
                f"{layout.hidden_layer_sizes}, tied_weights={layout.tied_weights}"
            ),
        )

    def _training_objective(self, X, sample_weight, executor):
        """J and its gradient on validated training X (weighted by the
        checked ``sample_weight``, or not), run by X's ``executor`` (on this
        machine's threads, on a Dask array's blocks, or on a device)."""
        return executor.objective(self._objective, X, sample_weight=sample_weight)

    def _minimize(self, objective, theta0, X, progress, task, ops):
        """L-BFGS on ``objective`` from ``theta0``, with this estimator's
        stopping rule, progress output and warnings; its iterations are
        ``task``'s subtasks for the callbacks (``ops``: where X is)."""
        return minimize_for(
            self,
            objective,
            theta0,
            X,
            ops=ops,
            explain=lambda: self._explain(objective, X, theta0, ops),
            progress=progress,
            iterations=task.lbfgs_iterations(
                lambda theta, loss_curve: self._fitted_at(theta, objective, X, ops)
            ),
        )

    def _fitted_at(self, theta, objective, X, ops):
        """The fitted attributes at ``theta``, where the objective's last
        evaluation was: the network's arrays and ``mean_activation_``."""
        return {
            **self._fitted_parameters(theta, X, ops),
            **self._mean_activations(objective.last_evaluation.rho_hats, X, ops),
        }

    def _start(self, layout, random_state):
        """theta to start the fit from: the fitted parameters with
        ``warm_start=True`` on a fitted model (whose network must be
        ``layout``'s), else the random initialisation."""
        if not (self.warm_start and hasattr(self, self._namespace_attribute)):
            return layout.initial_parameters(random_state)
        fitted = self._fitted_layout()
        if (fitted.n_features, fitted.hidden_layer_sizes) != (
            layout.n_features,
            layout.hidden_layer_sizes,
        ) or (layout.tied_weights and not fitted.tied_weights):
            raise ValueError(
                "warm_start=True starts the fit from the fitted parameters, "
                f"which are a network of {_network(fitted)}; this fit needs "
                f"one of {_network(layout)}. Fit with warm_start=False, or "
                "with the data and parameters the fitted model had."
            )
        return self._packed_parameters()

    def _fit(self, X, y, return_codes, sample_weight=None):
        """The autoencoders' one fit template: validate X and the weights,
        begin the fit's task, take the starting point, then L-BFGS and the
        one publishing step (:meth:`_fit_parameters`); returns the codes of
        X if asked. All or nothing: if anything raises, the estimator is
        left as it was.

        A subclass gives two hooks: ``_fit_subtasks()``, the number of
        tasks directly under the fit's (for the callbacks), and
        ``_starting_point(layout, fit_rows, random_state, task) -> (theta0,
        fitted_too, lbfgs_task)``: the parameters L-BFGS starts from, the
        fitted attributes of its own (e.g. ``pretrain_losses_``) and the
        task whose subtasks the L-BFGS iterations are (``task`` itself, or
        a stage of it, which the template ends the fit after).
        """
        with atomic_fit(self):
            # What X is, asked once: everything below is handed the executor.
            executor = executor_for(X)
            X = self._validate_training_data(X, executor)
            fit_rows = weighted_rows(X, sample_weight, executor)
            layout = self._layout(X.shape[1])
            random_state = check_random_state(self.random_state)
            task = FitTask.begin_fit(
                self,
                X,
                X if y is None else y,
                max_subtasks=self._fit_subtasks(),
                sample_weight=sample_weight,
            )
            theta0, fitted_too, lbfgs_task = self._starting_point(
                layout, fit_rows, random_state, task
            )
            codes = self._fit_parameters(
                X,
                return_codes,
                theta0,
                lbfgs_task,
                executor,
                fitted_too=fitted_too,
                fit_rows=fit_rows,
            )
            if lbfgs_task is not task:
                task.end_fit()
        return codes

    def _fit_parameters(
        self, X, return_codes, theta0, task, executor, fitted_too=None, fit_rows=None
    ):
        """The shared fit from ``theta0``: L-BFGS on the training objective,
        the fitted attributes published together (the network's, J, its
        curve, the iterations, ``mean_activation_`` and ``fitted_too``), the
        hidden units reported, ``task`` ended; returns X's codes if asked
        (else None). ``fit_rows``: ``(rows, weights)`` that J is over, where
        they are not all of X unweighted (:func:`weighted_rows`)."""
        label = estimator_label(self)
        rows, weights = (X, None) if fit_rows is None else fit_rows
        # BLAS runs single-threaded for the whole optimisation (scipy's
        # L-BFGS-B included); the objective runs its chunks on threads.
        ops = executor.ops
        with (
            serial_blas(),
            self._training_objective(rows, weights, executor) as objective,
        ):
            result = self._minimize(
                objective,
                theta0,
                X,
                progress=lambda: (
                    ", mean rho_hat = "
                    + "/".join(
                        f"{float(np.mean(rho_hat)):.4g}"
                        for rho_hat in objective.last_evaluation.rho_hats
                    )
                ),
                task=task,
                ops=ops,
            )
            if not result.last_evaluation_at_result:
                # The evaluation whose rho_hats (and codes) are the result's.
                with np.errstate(all="ignore"):
                    objective.evaluate(result.theta)
            evaluation = objective.last_evaluation
            # The last evaluation was at the returned parameters: its
            # hidden activations are the codes, no second pass needed
            # (None where they stay on Dask's workers, or where J is over
            # some of X's rows).
            codes = evaluation.codes if return_codes and rows is X else None
            rho_hats = [np.asarray(rho_hat) for rho_hat in evaluation.rho_hats]

        fitted = {
            **self._fitted_parameters(result.theta, X, ops),
            **self._mean_activations(rho_hats, X, ops),
            **(fitted_too or {}),
        }
        publish_fit(self, fitted, result)
        report_units(
            label,
            rho_hats,
            verbose=self.verbose,
            warn=getattr(self, "_report_units", True),
        )
        if return_codes and codes is None:
            codes = self._training_codes(X, executor)
        task.end({})
        return codes

    def _explain(self, objective, X, theta0, ops):
        """Which term of J is out of scale, and what to do about it.

        Reads J's three terms at the initial parameters, where they are
        finite whenever the fit got that far, and names the hyperparameter
        or the data behind any term that is huge.
        """
        with np.errstate(all="ignore"):
            terms = objective.evaluate(theta0).terms
        parts = ", ".join(f"{name} = {value:.3g}" for name, value in terms.items())
        advice = []
        for term, name in [("weight_decay", "alpha"), ("sparsity", "beta")]:
            if not terms[term] < _HUGE_TERM:
                value = getattr(self, name)
                advice.append(f"{name}={value!r} is too large: use a smaller {name}")
        bounds = value_range(X, ops)
        if bounds is not None and max(abs(bounds[0]), abs(bounds[1])) > _LARGE_VALUE:
            advice.append(
                f"X's values are large ({format_range(bounds)}): scale X "
                "(e.g. MinMaxScaler or StandardScaler)"
            )
        if not advice and dtype_name(X.dtype) == "float32":
            advice.append(
                "float32 rounding may hide the descent direction: fit on "
                "X.astype(np.float64)"
            )
        if not advice:
            advice.append("X and the parameters are in range")
        return (
            f"J's terms at the initial parameters: {parts}. " + "; ".join(advice) + "."
        )


def weighted_rows(X, sample_weight, executor):
    """``(rows, weights)``: the rows of validated X that J is over and their
    checked weights (None: unweighted); see :func:`kept_rows`."""
    weights = check_sample_weight(sample_weight, X.shape[0])
    keep, weights = kept_rows(X, weights, executor)
    return (X if keep is None else executor.ops.rows_where(X, keep)), weights


def kept_rows(X, weights, executor):
    """``(keep, weights)``: the mask of the rows of X that J is over (None:
    all of them) and their weights. A zero weight counts as no sample: where
    X is in memory (or on a device) its row is left out, so that J is the one
    of the other rows to the bit; on Dask it stays and adds zero. Weights
    that are all the same after that give the unweighted J (None)."""
    if weights is None or not executor.in_memory:
        return None, weights
    keep = weights > 0
    if keep.all():
        return None, weights
    return keep, uniform_as_none(weights[keep])


def _network(layout):
    """Words for a network's shape, in errors."""
    tied = ", tied weights" if layout.tied_weights else ""
    return (
        f"{layout.n_features} features and hidden layers "
        f"{layout.hidden_layer_sizes}{tied}"
    )


# A term of J above this at the initial parameters is out of any sensible
# scale: the error names the hyperparameter (or data) behind it.
_HUGE_TERM = OUT_OF_SCALE
# |X| above this is named as a likely cause when a fit fails.
_LARGE_VALUE = 1e3

# X may stray this far outside [0, 1] (rounding in a scaler) before fit warns
# that the logistic decoder cannot reach it.
_RANGE_SLACK = 1e-6


class BasisTransformerMixin(TransformerMixin):
    """``transform``, ``inverse_transform`` and the code width of the
    package's linear basis models (ReconstructionICA,
    TopographicSparseCoding): codes from the model's ``_codes(X)`` on dense
    X, reconstructions ``codes @ components_``, and for Dask arrays the same
    block by block, lazily. A TransformerMixin, so that scikit-learn's
    set_output wraps the ``transform`` defined here."""

    def transform(self, X):
        """Encode X (the class docstring says how each model computes the codes).

        Parameters
        ----------
        X : {array-like, dask array} of shape (n_samples, n_features)
            Data, prepared as the training data was.

        Returns
        -------
        codes : ndarray of shape (n_samples, n_components)
            Codes, in X's dtype. For a Dask array, a lazy Dask array with
            X's row chunks.
        """
        check_is_fitted(self)
        executor = executor_for(X)
        X = executor.fitted_input(self, X, accept_sparse=False, method="transform")
        return executor.map_rows(X, self._codes, self._n_features_out)

    def inverse_transform(self, X):
        """Reconstruct from codes: ``codes @ components_``.

        Parameters
        ----------
        X : {array-like, dask array} of shape (n_samples, n_components)
            Codes, e.g. the output of ``transform``.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            Reconstruction, in the codes' dtype. For a Dask array, a lazy
            Dask array with the codes' row chunks.
        """
        return decode_codes(
            self,
            X,
            "components",
            lambda codes, ops: codes @ ops.astype(self.components_, codes.dtype),
        )

    # ``compute`` is an option of this method, not data to route to it.
    __metadata_request__score = {"compute": metadata_routing.UNUSED}

    def score(self, X, y=None, sample_weight=None, *, compute=True):
        """Negative mean of the objective's per-sample terms (higher is better).

        ``J`` is the mean over the samples of one term per sample (the
        model's reconstruction error and sparsity penalty, the class
        docstring gives it), plus, for sparse coding, the weight decay on
        the dictionary; ``score`` is minus the mean of the per-sample terms
        at the fitted ``components_``, computed in float64, and the mean of
        ``score_samples``. It compares fits of the same ``sparsity`` (in a
        cross-validation or a search over the other parameters): a smaller
        ``sparsity`` lowers every term, so the score cannot choose it.

        Parameters
        ----------
        X : {array-like, dask array} of shape (n_samples, n_features)
            Data, prepared as the training data was.

        y : Ignored
            Not used, present for API consistency by convention.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples: the score is then the weighted mean.

        compute : bool, default=True
            For a Dask array: False returns the score as a lazy 0-d Dask
            array (as the autoencoders' ``score``). Ignored for other input.

        Returns
        -------
        score : float or 0-d dask array
            Minus the mean per-sample term of J.
        """
        return mean_score(
            self, X, accept_sparse=False, sample_weight=sample_weight, compute=compute
        )

    def score_samples(self, X):
        """Negative per-sample term of the objective (higher is more typical).

        For each sample, minus its term of ``J`` at the fitted
        ``components_`` (the class docstring gives J): its reconstruction
        error and sparsity penalty. ``score`` is their mean.

        Parameters
        ----------
        X : {array-like, dask array} of shape (n_samples, n_features)
            Data, prepared as the training data was.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            In float64; a lazy Dask array with X's row chunks for a Dask X.
        """
        return per_sample_scores(self, X, accept_sparse=False)

    # The fitted array that tells where the model's arrays are: X given to
    # transform under array API dispatch must be there too.
    _namespace_attribute = "components_"

    @property
    def _n_features_out(self):
        """Number of transformed output features (for get_feature_names_out)."""
        return self.components_.shape[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


UNDEFINED_SCORE = "score: the reconstruction loss is not defined (NaN) for this X."


def _defined_score(mean_loss, range_of):
    """The score, ``-mean_loss``; NaN raises (on Dask, when the score is
    computed). ``range_of()`` gives X's range for the message, where known."""
    if np.isnan(mean_loss):
        _raise_undefined_score(range_of)
    return -mean_loss


def _raise_undefined_score(range_of):
    if range_of is None:
        where = "Scale X as the training data was scaled (X.min() and X.max() "
        where += "show its range)."
    else:
        where = (
            f"Its values range over {format_range(range_of())}. Scale X as "
            "the training data was scaled."
        )
    raise ValueError(f"{UNDEFINED_SCORE} {where}")


def mean_score(estimator, X, *, accept_sparse, sample_weight=None, compute=True):
    """``score``: minus the (weighted) mean of ``estimator._sample_losses``
    over X's samples (float64; a lazy 0-d Dask array for a Dask X with
    ``compute=False``); NaN raises."""
    check_is_fitted(estimator)
    executor = executor_for(X)
    X = executor.fitted_input(estimator, X, accept_sparse=accept_sparse, method="score")
    weights = check_sample_weight(sample_weight, X.shape[0])
    losses = executor.map_rows(X, estimator._sample_losses, None, dtype=np.float64)
    if weights is None:
        return executor.mean(losses, _defined_score, X, compute=compute)
    return executor.weighted_mean(losses, weights, _defined_score, X, compute=compute)


def per_sample_scores(estimator, X, *, accept_sparse):
    """``score_samples``: minus ``estimator._sample_losses`` of each sample,
    where X is (lazily, block by block, for a Dask X); NaN raises."""
    check_is_fitted(estimator)
    executor = executor_for(X)
    X = executor.fitted_input(
        estimator, X, accept_sparse=accept_sparse, method="score_samples"
    )
    return executor.map_rows(
        X, partial(_negated_losses, estimator), None, dtype=np.float64
    )


def _negated_losses(estimator, X, ops):
    losses = estimator._sample_losses(X, ops)
    xp = ops.xp
    if bool(xp.any(xp.isnan(losses))):
        _raise_undefined_score(lambda: value_range(X, ops))
    return -losses


def format_range(bounds):
    """``min=..., max=...`` with every digit of each value (repr)."""
    if bounds is None:
        return "no values"
    return f"min={bounds[0]!r}, max={bounds[1]!r}"


def explain_last_terms(objective, X, advice, ops):
    """Why a fit failed, in words: J's terms at the objective's last
    evaluation, X's range, and ``advice`` (what to do); ``ops``: where X
    is."""
    last = objective.last_evaluation
    terms = {} if last is None else last.terms
    parts = ", ".join(f"{name} = {value:.3g}" for name, value in terms.items())
    return (
        f"J's terms at the last evaluation: {parts}. X ranges over "
        f"{format_range(value_range(X, ops))}: {advice}."
    )


def decode_codes(estimator, X, columns_are, decode):
    """``inverse_transform`` of a fitted ``estimator`` whose ``decode(codes)``
    maps validated codes (float32 or float64) back to input space.

    A Dask array gives a lazy Dask array with the codes' row chunks, each
    block decoded by ``estimator.inverse_transform``. The codes must have
    one column per code unit (``columns_are`` names them in the error);
    a NaN result raises.
    """
    check_is_fitted(estimator)
    executor = executor_for(X)
    codes = executor.codes(X, estimator)
    check_code_width(estimator, codes, columns_are)
    return executor.map_rows(codes, partial(_decoded, decode), estimator.n_features_in_)


def _decoded(decode, codes, ops):
    """``decode(codes, ops)`` of checked codes; NaN raises."""
    with np.errstate(all="ignore"):
        X_hat = decode(codes, ops)
    check_finite_output(X_hat, "inverse_transform", codes, ops)
    return X_hat


def check_code_width(estimator, codes, columns_are):
    """inverse_transform's codes must have one column per code unit of the
    fitted ``estimator`` (``columns_are`` names them in the error)."""
    n_codes = estimator._n_features_out
    if codes.shape[1] != n_codes:
        raise ValueError(
            f"X has {codes.shape[1]} columns, but this {type(estimator).__name__} "
            f"has {n_codes} {columns_are}: inverse_transform takes codes, the "
            "output of transform."
        )


def check_finite_output(result, method, X, ops):
    """Raise a clear error instead of returning NaN (``ops``: where the
    result is)."""
    xp = ops.xp
    if bool(xp.any(xp.isnan(result))):
        bounds = value_range(X, ops)
        raise ValueError(
            f"{method} overflowed to NaN: the input's values "
            f"({format_range(bounds)}) are too large for this model in "
            f"{dtype_name(result.dtype)}. Scale the input as the training data "
            "was scaled, or use float64."
        )
