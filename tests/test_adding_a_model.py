"""docs/development.rst, "Adding a model", done: a throwaway model (a tied
linear autoencoder) written by the page's steps, and nothing else, passes
scikit-learn's checks, check_gradient, the sample weights and the Dask
executor. If the package asks a model for a hook the page does not name,
this fails."""

from numbers import Real

import numpy as np
import pytest
from helpers import quietly
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils.estimator_checks import check_estimator

from skl_sparseae import check_gradient, numerical_gradient
from skl_sparseae._base import BasisTransformerMixin, weighted_rows
from skl_sparseae._callbacks import CallbackSupportMixin, FitTask
from skl_sparseae._executors import IN_MEMORY, executor_for
from skl_sparseae._gradient_check import GradientCheckProblem
from skl_sparseae._kernel import Evaluation, OnePassObjective
from skl_sparseae._optimize import atomic_fit, minimize_for, publish_fit
from skl_sparseae._runners import serial_blas
from skl_sparseae._sklearn_private import Interval, StrOptions, _fit_context
from skl_sparseae._validation import ParameterRulesMixin, PositiveInt

# --- Step 1: the layout --------------------------------------------------------


class TiedLinearLayout:
    """theta is W.ravel(), W of shape (n_components, n_features)."""

    def __init__(self, n_features, n_components):
        self.shape = (n_components, n_features)
        self.n_parameters = n_components * n_features

    def weight_blocks(self):
        return [(0, self.n_parameters, 1.0 / np.sqrt(self.shape[1]))]

    def initial_parameters(self, random_state):
        ((start, stop, bound),) = self.weight_blocks()
        return random_state.uniform(-bound, bound, size=stop - start)


# --- Step 2: the kernel ----------------------------------------------------------


class _Workspace:
    """A chunk's shares: the gradient's (W's shape, a view of the flat
    buffer; None where the namespace allocates) and the loss sum's."""

    def __init__(self, shape, dtype, ops):
        self.grad_share = ops.buffer(shape[0] * shape[1], dtype)
        self.W_share = (
            None if self.grad_share is None else self.grad_share.reshape(shape)
        )
        self.decoder_share = ops.buffer(shape, dtype)
        self.loss_share = ops.zeros(1)


class TiedLinearObjective(OnePassObjective):
    """J(W) = (1/m) sum_i 1/2 ||W^T W x_i - x_i||^2 + alpha/2 ||W||^2."""

    _n_loss_sums = 1

    def __init__(
        self,
        X,
        *,
        n_components,
        alpha,
        chunk_size="auto",
        runner,
        sample_weight=None,
        weight_sum=None,
    ):
        self.layout = TiedLinearLayout(X.shape[1], n_components)
        self.n_parameters = self.layout.n_parameters
        self.alpha = float(alpha)
        self._set_up(
            X, chunk_size, runner, self.n_parameters, sample_weight, weight_sum
        )
        self._workspaces = [
            _Workspace(self.layout.shape, X.dtype, self._ops)
            for _ in range(self.n_workspaces)
        ]

    def _chunk_arguments(self, params):
        return (params.reshape(self.layout.shape),)

    def _chunk(self, work, start, stop, W):
        ops = self._ops
        X = self.X[start:stop]
        # Z = X W^T ;  R = Z W - X
        Z = X @ W.T
        R = Z @ W - X
        weights = self._chunk_weights(start, stop)
        if weights is None:
            loss = ops.half_squared_norm(R)
        else:
            # 1/2 sum_i w_i ||r_i||^2, and each row's share times w_i
            loss = 0.5 * ops.weighted_sum(ops.sum_per_row(R * R), weights)
            R = R * weights
        work.loss_share = ops.loss_shares((loss,), work.loss_share)
        # W used twice: (R W^T)^T X (through Z) + Z^T R (through Z W), into
        # the views of the flat share (NumPy's out=; pack then returns it)
        W_share = ops.matmul((R @ W.T).T, X, out=work.W_share)
        W_share += ops.matmul(Z.T, R, out=work.decoder_share)
        work.grad_share = ops.pack([W_share], work.grad_share)

    def total(self, theta, grad_sum, loss_sums, n_samples):
        grad = np.asarray(grad_sum, dtype=np.float64) / n_samples + self.alpha * theta
        terms = {
            "reconstruction": float(loss_sums[0]) / n_samples,
            "weight_decay": 0.5 * self.alpha * float(theta @ theta),
        }
        return Evaluation(sum(terms.values()), grad, terms)


# --- Step 4: the estimator ---------------------------------------------------------


class TiedLinearAutoencoder(
    CallbackSupportMixin,
    ParameterRulesMixin,
    BasisTransformerMixin,
    ClassNamePrefixFeaturesOutMixin,
    BaseEstimator,
):
    """A throwaway model: codes ``W x`` with W fitted to reconstruct X as
    ``W^T W x``, with weight decay."""

    _parameter_constraints: dict = {
        "n_components": [PositiveInt()],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_iter": [PositiveInt()],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "chunk_size": [PositiveInt(), StrOptions({"auto"}), None],
    }

    def __init__(
        self,
        n_components=2,
        *,
        alpha=1e-2,
        max_iter=200,
        tol=1e-5,
        random_state=None,
        verbose=0,
        chunk_size="auto",
    ):
        self.n_components = n_components
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose
        self.chunk_size = chunk_size

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        with atomic_fit(self):
            executor = executor_for(X)
            X, _ = executor.training_data(self, X, accept_sparse=False)
            rows, weights = weighted_rows(X, sample_weight, executor)
            layout = self._layout(X.shape[1])
            theta0 = layout.initial_parameters(check_random_state(self.random_state))
            task = FitTask.begin_fit(
                self,
                X,
                X if y is None else y,
                max_subtasks=self.max_iter + 1,
                sample_weight=sample_weight,
            )
            with (
                serial_blas(),
                executor.objective(
                    self._objective, rows, sample_weight=weights
                ) as objective,
            ):
                result = minimize_for(
                    self,
                    objective,
                    theta0,
                    X,
                    ops=executor.ops,
                    explain=lambda: "scale X",
                    iterations=task.lbfgs_iterations(
                        lambda theta, loss_curve: self._fitted_at(
                            theta, X, executor.ops
                        )
                    ),
                )
            publish_fit(self, self._fitted_at(result.theta, X, executor.ops), result)
            task.end_fit()
        return self

    def _fitted_at(self, theta, X, ops):
        W = theta.reshape(self._layout(X.shape[1]).shape)
        return {"components_": ops.publish(W, X)}

    def _objective(self, X, *, runner, sample_weight=None, weight_sum=None):
        return TiedLinearObjective(
            X,
            n_components=self.n_components,
            alpha=self.alpha,
            chunk_size=self.chunk_size,
            runner=runner,
            sample_weight=sample_weight,
            weight_sum=weight_sum,
        )

    def _layout(self, n_features):
        return TiedLinearLayout(n_features, self.n_components)

    def _codes(self, X, ops):
        return X @ self.components_.T.astype(X.dtype)

    def _sample_losses(self, X, ops):
        X = np.asarray(X, dtype=np.float64)
        W = self.components_.astype(np.float64)
        R = X @ W.T @ W - X
        return 0.5 * np.einsum("ij,ij->i", R, R)

    def _gradient_check_problem(self, X, y=None):
        return GradientCheckProblem(
            objective=IN_MEMORY.objective(self._objective, X),
            layout=self._layout(X.shape[1]),
            step=1e-5,
            description=f"n_components={self.n_components}",
        )

    def _packed_parameters(self, X=None):
        return self.components_.astype(np.float64).ravel()


# --- What the page promises ----------------------------------------------------------


# As in tests/test_common.py: scikit-learn's checks fit on data of their
# own, and some of those fits stop where the line search fails with the
# gradient a hair above sqrt(eps) of its start (1.6e-8 here), which the
# stopping rule counts as a stall, and warns.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_throwaway_model_passes_scikit_learns_checks():
    # Fitted to the arithmetic's precision for the sample-weight checks,
    # with one component: with more, J is the same for W and Q W (Q any
    # rotation), so its minimum is not one point and two fits need not agree.
    expected_to_pass = TiedLinearAutoencoder(1, tol=0, max_iter=2000)
    check_estimator(expected_to_pass)


def test_the_throwaway_models_gradient_is_exact():
    X = np.random.RandomState(0).uniform(size=(30, 5))
    for weights in (None, np.random.RandomState(1).uniform(0, 2, 30)):
        model = TiedLinearAutoencoder(3, chunk_size=7)
        assert check_gradient(model, X, random_state=0) < 1e-9
        with IN_MEMORY.objective(model._objective, X, sample_weight=weights) as J:
            theta = np.random.RandomState(2).uniform(-1, 1, J.n_parameters)
            numerical = numerical_gradient(J, theta, 1e-5)
            exact = J(theta)[1]
            error = np.linalg.norm(numerical - exact) / np.linalg.norm(
                numerical + exact
            )
            assert error < 1e-9


def test_the_throwaway_model_fits_with_weights_and_on_dask():
    da = pytest.importorskip("dask.array")
    X = np.random.RandomState(0).uniform(size=(40, 5))
    weights = np.arange(40) % 3
    model = TiedLinearAutoencoder(2, random_state=0, max_iter=15, tol=0)
    on_numpy = quietly(clone(model).fit, X, sample_weight=weights)
    dropped = quietly(clone(model).fit, np.repeat(X, weights, axis=0))
    assert on_numpy.loss_ == pytest.approx(dropped.loss_, rel=1e-6)
    on_dask = quietly(
        clone(model).fit,
        da.from_array(X, chunks=(9, 5)),
        sample_weight=da.from_array(weights, chunks=9),
    )
    assert on_dask.n_iter_ == on_numpy.n_iter_
    np.testing.assert_allclose(on_dask.components_, on_numpy.components_, rtol=1e-8)
    assert on_numpy.score(X) == pytest.approx(on_numpy.score_samples(X).mean())
