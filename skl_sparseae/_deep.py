"""The DeepSparseAutoencoder estimator: a thin shell on the shared engine.

The math (any depth) lives in :mod:`skl_sparseae._autoencoder_objective`; the shared
shell (fit, transform, score, checks, L-BFGS) in :mod:`skl_sparseae._base`.
"""

from numbers import Real

import numpy as np

from ._array_ops import as_host
from ._autoencoder_objective import AutoencoderObjective
from ._base import AutoencoderBase, check_finite_output
from ._forward import encode_layers
from ._layouts import NetworkLayout
from ._sklearn_private import Interval, StrOptions
from ._validation import (
    DECODER_ACTIVATIONS,
    LOSSES,
    FiniteNonNegative,
    LayerSizes,
    PerLayer,
    PositiveInt,
    layer_options,
)

__all__ = ["DeepSparseAutoencoder"]


class DeepSparseAutoencoder(AutoencoderBase):
    """Deep sparse autoencoder: a KL sparsity penalty on every encoder layer.

    The encoder has the logistic layers ``hidden_layer_sizes = (h_1, ...,
    h_L)``; the decoder mirrors it (logistic layers ``h_(L-1), ..., h_1``,
    then the output function ``f``). The parameters minimise, for ``m``
    samples::

        J = (1/m) sum_i L(x_hat_i, x_i)
            + (alpha/2) sum over weight matrices ||W||_F^2
            + sum_l beta_l sum_j KL(rho_l || rho_hat_(l,j))

    with ``rho_hat_l`` the mean activation of encoder layer ``l`` over all
    training samples, full-batch with L-BFGS on the exact gradient. With
    ``pretrain=True`` each layer is first trained greedily as a
    :class:`SparseAutoencoder` on the codes of the layer below (UFLDL's
    greedy layer-wise training), and those weights start the joint training.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(100, 50)
        Widths of the encoder's layers; the last is the code layer.

    rho : float or tuple of float, default=0.05
        Target mean activation of each encoder layer's units, in (0, 1):
        one value for every layer, or a tuple with one value per layer.

    beta : float or tuple of float, default=3.0
        Weight of each encoder layer's sparsity penalty (0 turns it off):
        one value for every layer, or a tuple with one value per layer.

    alpha : float, default=1e-4
        Weight decay on every weight matrix (tied matrices once), not on
        biases.

    loss : {"squared_error", "cross_entropy"}, default="squared_error"
        Reconstruction loss per sample, as in :class:`SparseAutoencoder`.

    decoder_activation : {"logistic", "identity"}, default="logistic"
        Output function ``f`` of the decoder's last layer. Its hidden layers
        are logistic.

    tied_weights : bool, default=False
        If True each decoder matrix is the transpose of its mirror encoder
        matrix, penalised once.

    pretrain : bool, default=True
        Greedy layer-wise pretraining before the joint training. False
        starts the joint training from UFLDL's random initialisation.

    max_iter : int, default=2000
        Maximum number of L-BFGS iterations of the joint training (and of
        each pretraining stage).

    tol : float, default=1e-4
        Relative tolerance of the stopping rule shared by the package's
        estimators: L-BFGS stops when J fell by at most ``tol * J`` over the
        last 10 iterations. ``tol=0``: as for SparseAutoencoder (every stage).

    random_state : int, RandomState instance or None, default=None
        Seed of the initialisation (and of each pretraining stage's).

    verbose : int, default=0
        Progress output as in :class:`SparseAutoencoder`.

    chunk_size : int, "auto" or None, default="auto"
        Rows of X processed at a time, as in :class:`SparseAutoencoder`.

    warm_start : bool, default=False
        If True, ``fit`` continues the joint training from the fitted
        parameters of the previous fit, without pretraining (as
        ``MLPRegressor``). The data must have as many features and
        ``hidden_layer_sizes`` must be the same; ``n_iter_`` and
        ``loss_curve_`` then say what the new fit did, and
        ``pretrain_losses_`` is None.

    Attributes
    ----------
    coefs_ : list of ndarray
        The ``2L`` weight matrices in scikit-learn's MLP convention:
        ``coefs_[i]`` of shape ``(layer_sizes[i], layer_sizes[i + 1])`` with
        ``layer_sizes = [n_features, h_1, ..., h_L, ..., h_1, n_features]``,
        so that layer ``i`` computes ``g(A @ coefs_[i] + intercepts_[i])``.
        With tied weights the decoder's entries are the transposes of the
        encoder's.

    intercepts_ : list of ndarray
        The ``2L`` bias vectors, ``intercepts_[i]`` of shape
        ``(layer_sizes[i + 1],)``.

    mean_activation_ : list of ndarray
        Each encoder layer's mean activations over the training set at the
        fitted parameters, ``mean_activation_[l]`` of shape
        ``(hidden_layer_sizes[l],)``: the ``rho_hat_l`` of J. A unit below
        0.001 is dead, above 0.999 saturated (the user guide says why); a
        fit warns of such units.

    loss_ : float
        The objective J at the returned parameters.

    loss_curve_ : list of float
        J after each L-BFGS iteration of the joint training.

    n_iter_ : int
        Number of L-BFGS iterations of the joint training.

    pretrain_losses_ : list of float or None
        With ``pretrain=True``, the J each greedy stage reached (stage ``l``
        is a :class:`SparseAutoencoder` on the codes of layer ``l - 1``);
        None without pretraining (and after a warm start).

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when ``X``
        has feature names that are all strings.

    See Also
    --------
    SparseAutoencoder : The one-hidden-layer model, and each greedy stage.
    sklearn.neural_network.MLPRegressor : Trains the same network without the
        sparsity penalties when fitted on ``(X, X)``.

    Notes
    -----
    ``hidden_layer_sizes=(k,)`` with ``pretrain=False`` is
    ``SparseAutoencoder(k)`` with the same options: the same J, gradient and
    initialisation. Their default ``rho`` differ (0.05 here, 0.01 there):
    ``DeepSparseAutoencoder((k,), rho=0.01, pretrain=False)`` is
    ``SparseAutoencoder(k)``.
    ``max_iter`` and ``tol`` follow the package's stopping rule (a relative
    decrease of J over 10 iterations) rather than UFLDL's fixed 400
    iterations, so that a default fit converges.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from skl_sparseae import DeepSparseAutoencoder
    >>> X = MinMaxScaler().fit_transform(load_digits().data[:300])
    >>> model = DeepSparseAutoencoder((32, 16), tol=1e-3, random_state=0)
    >>> H = model.fit_transform(X)
    >>> H.shape
    (300, 16)
    >>> [W.shape for W in model.coefs_]
    [(64, 32), (32, 16), (16, 32), (32, 64)]
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [LayerSizes()],
        # One rho and beta for every layer, or one per layer (how many is
        # checked with hidden_layer_sizes, in _check_parameter_rules).
        "rho": [PerLayer(0, 1, closed="neither")],
        "beta": [PerLayer(0, np.inf, closed="left")],
        "alpha": [FiniteNonNegative()],
        "loss": [StrOptions(set(LOSSES))],
        "decoder_activation": [StrOptions(set(DECODER_ACTIVATIONS))],
        "tied_weights": ["boolean"],
        "pretrain": ["boolean"],
        "max_iter": [PositiveInt()],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "chunk_size": [PositiveInt(), StrOptions({"auto"}), None],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100, 50),
        *,
        rho=0.05,
        beta=3.0,
        alpha=1e-4,
        loss="squared_error",
        decoder_activation="logistic",
        tied_weights=False,
        pretrain=True,
        max_iter=2000,
        tol=1e-4,
        random_state=None,
        verbose=0,
        chunk_size="auto",
        warm_start=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.rho = rho
        self.beta = beta
        self.alpha = alpha
        self.loss = loss
        self.decoder_activation = decoder_activation
        self.tied_weights = tied_weights
        self.pretrain = pretrain
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose
        self.chunk_size = chunk_size
        self.warm_start = warm_start

    @property
    def _n_features_out(self):
        """Number of transformed output features: the code layer's width."""
        return self.intercepts_[len(self.intercepts_) // 2 - 1].shape[0]

    # Validation ---------------------------------------------------------------

    # The fitted array that tells where the model's arrays are (namespace,
    # device): X given to transform must be there too.
    _namespace_attribute = "_first_coef"

    @property
    def _first_coef(self):
        return self.coefs_[0]

    def _check_parameter_rules(self):
        """AutoencoderBase's rule, and one rho and beta per encoder layer."""
        super()._check_parameter_rules()
        self._options()

    def _options(self):
        """``(sizes, rho, beta)``: the layer widths and one rho and beta per
        layer, from parameters that satisfy the constraints; a clear error
        where rho or beta has a value per layer for another number of
        layers."""
        return layer_options(self.hidden_layer_sizes, self.rho, self.beta)

    # Fitting ------------------------------------------------------------------

    def _layout(self, n_features):
        return NetworkLayout(n_features, self._options()[0], self.tied_weights)

    def _objective(self, X, *, runner, sample_weight=None, weight_sum=None):
        """J and its gradient on validated X (weighted by ``sample_weight``,
        where X is, whose sum is ``weight_sum``, where an executor is given
        weights), for this estimator's settings, its chunks run by
        ``runner`` (the executor's)."""
        sizes, rho, beta = self._options()
        return AutoencoderObjective(
            X,
            hidden_layer_sizes=sizes,
            rho=rho,
            beta=beta,
            alpha=self.alpha,
            loss=self.loss,
            decoder_activation=self.decoder_activation,
            tied_weights=self.tied_weights,
            chunk_size=self.chunk_size,
            runner=runner,
            sample_weight=sample_weight,
            weight_sum=weight_sum,
        )

    def _pretrain(self, X, layout, rho, beta, random_state, task, sample_weight):
        """UFLDL's greedy stages start the deep network: stage l's encoder
        and decoder become layer pair l. Each stage is a subtask of
        ``task``, weighted by ``sample_weight`` as the joint training is."""
        stages, _ = greedy_stages(
            X,
            layout.hidden_layer_sizes,
            rho,
            beta,
            random_state,
            task=task,
            sample_weight=sample_weight,
            alpha=self.alpha,
            loss=self.loss,
            decoder_activation=self.decoder_activation,
            tied_weights=self.tied_weights,
            max_iter=self.max_iter,
            tol=self.tol,
            verbose=self.verbose,
            chunk_size=self.chunk_size,
        )
        # Stage l is encoder layer l and decoder layer 2L - 1 - l.
        coefs = [stage.components_.T for stage in stages] + [
            stage.decoder_components_ for stage in reversed(stages)
        ]
        intercepts = [stage.intercept_hidden_ for stage in stages] + [
            stage.intercept_visible_ for stage in reversed(stages)
        ]
        theta0 = layout.from_layers(coefs, intercepts)
        return theta0, [stage.loss_ for stage in stages]

    # The fit template's hooks (AutoencoderBase._fit).

    def _pretrains(self):
        """Whether this fit pretrains: a warm start continues from the
        fitted network instead."""
        return self.pretrain and not (self.warm_start and hasattr(self, "coefs_"))

    def _fit_subtasks(self):
        # Each pretraining stage, then the joint training.
        return (len(self._options()[0]) if self._pretrains() else 0) + 1

    def _starting_point(self, layout, fit_rows, random_state, task):
        if self._pretrains():
            # The stages fit the rows J is over, with their weights.
            _, rho, beta = self._options()
            rows, weights = fit_rows
            theta0, pretrain_losses = self._pretrain(
                rows, layout, rho, beta, random_state, task, weights
            )
        else:
            theta0, pretrain_losses = self._start(layout, random_state), None
        joint = task.stage("joint training", max_subtasks=self.max_iter + 1)
        return theta0, {"pretrain_losses_": pretrain_losses}, joint

    def _fitted_parameters(self, theta, X, ops):
        """``coefs_`` and ``intercepts_`` at ``theta``, in X's dtype, where
        X is (its namespace and device under array API dispatch)."""
        publish = ops.publish
        coefs, intercepts = self._layout(X.shape[1]).to_layers(theta)
        return {
            "coefs_": [publish(W, X) for W in coefs],
            "intercepts_": [publish(b, X) for b in intercepts],
        }

    @staticmethod
    def _mean_activations(rho_hats, X, ops):
        """``mean_activation_``, one array per encoder layer, from the
        objective's ``rho_hats``."""
        publish = ops.publish
        return {"mean_activation_": [publish(np.asarray(r), X) for r in rho_hats]}

    def _fitted_layout(self):
        """The network of the fitted parameters (for a warm start)."""
        coefs = as_host(self.coefs_)
        n_encoder = len(coefs) // 2
        tied = all(
            np.array_equal(coefs[layer].T, coefs[len(coefs) - 1 - layer])
            for layer in range(n_encoder)
        )
        sizes = tuple(W.shape[1] for W in coefs[:n_encoder])
        return NetworkLayout(coefs[0].shape[0], sizes, tied)

    # Encoder and decoder ------------------------------------------------------

    def _encode(self, X, ops):
        n_encoder = len(self.coefs_) // 2
        with np.errstate(all="ignore"):
            H = encode_layers(
                X, self.coefs_[:n_encoder], self.intercepts_[:n_encoder], ops
            )
        check_finite_output(H, "transform", X, ops)
        return H

    def _decoder_pre_activation(self, H, ops):
        n_encoder = len(self.coefs_) // 2
        decoder = list(
            zip(self.coefs_[n_encoder:], self.intercepts_[n_encoder:], strict=True)
        )
        for i, (W, b) in enumerate(decoder):
            Z = H @ ops.astype(W, H.dtype)
            Z += ops.astype(b, H.dtype)
            H = Z if i == len(decoder) - 1 else ops.sigmoid(Z)
        return H

    def _packed_parameters(self, X=None):
        """The fitted parameters as one flat float64 vector, in the layout
        (X: unused)."""
        layout = self._layout(self.n_features_in_)
        return layout.from_layers(self.coefs_, self.intercepts_)


def greedy_stages(
    X,
    hidden_layer_sizes,
    rho,
    beta,
    random_state,
    *,
    task,
    decoder_activation,
    sample_weight=None,
    **params,
):
    """UFLDL's greedy layer-wise training: stage l is a SparseAutoencoder with
    ``(rho[l], beta[l])`` fitted to the codes of stage l - 1 (stage 1 to X).

    ``decoder_activation`` is the first stage's; the stages above it
    reconstruct codes, which lie in (0, 1), with the logistic decoder, as
    UFLDL's stacked exercise does. ``params`` are the stages' other
    parameters; each stage's seed is drawn from ``random_state``. Each
    stage's fit is a subtask of ``task`` (the callbacks that propagate see
    its iterations). A stage does not warn of dead or saturated units: the
    training after it moves them. ``sample_weight`` weighs every stage's J
    alike.

    Returns the fitted stages and the codes of the last one.
    """
    from ._sparse_autoencoder import SparseAutoencoder

    stages, codes = [], X
    for layer, width in enumerate(hidden_layer_sizes):
        stage = SparseAutoencoder(
            n_components=width,
            rho=rho[layer],
            beta=beta[layer],
            decoder_activation=decoder_activation if layer == 0 else "logistic",
            random_state=random_state.randint(np.iinfo(np.int32).max),
            **params,
        )
        stage._report_units = False
        with task.sub_estimator(f"pretraining layer {layer + 1}", stage):
            codes = stage.fit_transform(codes, sample_weight=sample_weight)
        stages.append(stage)
    return stages, codes
