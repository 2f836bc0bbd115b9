"""scikit-learn's callbacks (sklearn.callback, scikit-learn 1.9) on every
estimator: each L-BFGS iteration (an alternation for sparse coding) is a
task whose hooks can rebuild the model at that iterate, the stages of the
deep model and the classifier are nested tasks, a stop request ends the fit
at an iterate cleanly, and callbacks set on a Pipeline or a search reach the
estimators inside."""

import importlib
import sys
import warnings
from collections import Counter

import numpy as np
import pytest
from helpers import quietly, unit_data
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

import skl_sparseae._callbacks as callbacks_module
from skl_sparseae import (
    DeepSparseAutoencoder,
    ReconstructionICA,
    SparseAutoencoder,
    SparseAutoencoderClassifier,
    TopographicSparseCoding,
)
from skl_sparseae._callbacks import FitTask

HAS_CALLBACKS = importlib.util.find_spec("sklearn.callback") is not None
needs_callbacks = pytest.mark.skipif(
    not HAS_CALLBACKS, reason="scikit-learn < 1.9 has no sklearn.callback"
)


def digits(n_samples=200):
    X, y = load_digits(return_X_y=True)
    return X[:n_samples] / 16.0, y[:n_samples]


class Recorder:
    """Records every hook: the task's path of names, and what the fitted
    estimator of an ended task gives. Returns True (stop) at the end of the
    iteration task whose id is ``stop_at``."""

    def __init__(self, stop_at=None, evaluate=None):
        self.stop_at = stop_at
        self.evaluate = evaluate
        self.events = []

    def setup(self, estimator, context):
        self.events.append(("setup", type(estimator).__name__, None, None))

    def teardown(self, estimator, context):
        self.events.append(("teardown", type(estimator).__name__, None, None))

    def on_fit_task_begin(self, estimator, context, *, fitted_estimator=None):
        self.events.append(("begin", type(estimator).__name__, path(context), None))

    def on_fit_task_end(
        self, estimator, context, *, X=None, y=None, fitted_estimator=None
    ):
        value = None
        if fitted_estimator is not None and self.evaluate is not None:
            value = self.evaluate(fitted_estimator, X, y)
        self.events.append(("end", type(estimator).__name__, path(context), value))
        return context.task_name in ("lbfgs-iter", "alternation") and (
            context.task_id == self.stop_at
        )

    def ended(self, last_name):
        """``(path, value)`` of each ended task whose name is ``last_name``."""
        return [
            (task_path, value)
            for hook, _, task_path, value in self.events
            if hook == "end" and task_path[-1] == last_name
        ]


class PropagatedRecorder(Recorder):
    """The same, propagated to the estimators inside a meta-estimator."""

    max_propagation_depth = None


def path(context):
    """The names of the tasks from the root down to this one; a sub-estimator's
    root task, merged with its meta-estimator's task for it, as
    ``"meta task|fit"``."""
    names = []
    while context is not None:
        name = context.task_name
        if context.source_task_name is not None:
            name = f"{context.source_task_name}|{name}"
        names.append(name)
        context = context.parent
    return tuple(reversed(names))


def components(model):
    return model.components_


@needs_callbacks
@pytest.mark.parametrize(
    "make, attribute",
    [
        (lambda **p: SparseAutoencoder(6, random_state=0, **p), "components_"),
        (lambda **p: ReconstructionICA(6, random_state=0, **p), "components_"),
        (
            # max_iter bounds the pretraining too: without it, the fit
            # stopped after k iterations starts where this one does.
            lambda **p: DeepSparseAutoencoder(
                (6, 3), pretrain=False, random_state=0, **p
            ),
            "coefs_",
        ),
    ],
    ids=["SparseAutoencoder", "ReconstructionICA", "DeepSparseAutoencoder"],
)
def test_each_iteration_is_a_task_whose_model_is_the_fit_stopped_there(make, attribute):
    X, _ = digits()
    recorder = Recorder(evaluate=lambda model, X, y: getattr(model, attribute))
    model = make(max_iter=6, tol=0).set_callbacks(recorder)
    quietly(model.fit, X)
    iterations = recorder.ended("lbfgs-iter")
    # One task per iteration, and the one L-BFGS never ran (ended empty).
    assert len(iterations) == model.n_iter_ + 1 == 7
    assert iterations[-1][1] is None
    # The model at iteration k's end is the fit that stopped after k.
    for k in (1, 4, 6):
        stopped = quietly(make(max_iter=k, tol=0).fit, X)
        at_k = iterations[k - 1][1]
        for got, expected in zip(at_k, getattr(stopped, attribute), strict=True):
            np.testing.assert_array_equal(got, expected)


@needs_callbacks
def test_a_scoring_monitor_scores_every_iteration_of_an_autoencoder_fit():
    from sklearn.callback import ScoringMonitor

    X, _ = digits()
    # scoring=None fails in scikit-learn 1.9.1 for every estimator (its
    # default scorer returns a float where the monitor wants a dict): name it.
    monitor = ScoringMonitor(scoring={"score": lambda model, X, y: model.score(X, y)})
    model = SparseAutoencoder(6, random_state=0, max_iter=8, tol=0)
    quietly(model.set_callbacks(monitor).fit, X)
    rows = monitor.get_logs().data
    iterations = [row for row in rows if row["task_name"] == "lbfgs-iter"]
    # fit() got no y: the hooks get X as the target, so the scorer runs.
    assert len(iterations) == model.n_iter_ == 8
    scores = [row["score"] for row in iterations]
    # Each row is the model at that iterate: the last is the fitted one,
    # and the reconstruction improves as J falls.
    assert scores[-1] == model.score(X)
    assert scores[-1] > scores[0]
    for k in (2, 5):
        stopped = quietly(
            SparseAutoencoder(6, random_state=0, max_iter=k, tol=0).fit, X
        )
        assert scores[k - 1] == stopped.score(X)


@needs_callbacks
@pytest.mark.parametrize("stop_at", [0, 3])
def test_a_stop_request_ends_the_fit_at_that_iterate_without_a_warning(stop_at):
    X, _ = digits()
    model = SparseAutoencoder(6, random_state=0, max_iter=50, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.set_callbacks(Recorder(stop_at=stop_at)).fit(X)
    n_iter = stop_at + 1
    assert model.n_iter_ == len(model.loss_curve_) == n_iter
    assert model.loss_ == model.loss_curve_[-1]
    # Published together: every fitted array is that iterate's.
    stopped = quietly(
        SparseAutoencoder(6, random_state=0, max_iter=n_iter, tol=0).fit, X
    )
    for name in ("components_", "decoder_components_", "mean_activation_"):
        np.testing.assert_array_equal(getattr(model, name), getattr(stopped, name))
    assert model.loss_curve_ == stopped.loss_curve_


@needs_callbacks
def test_a_stop_request_ends_sparse_coding_at_that_alternation():
    X = np.random.RandomState(0).laplace(size=(80, 6))
    model = TopographicSparseCoding(9, random_state=0, max_iter=30, tol=0)
    recorder = Recorder(stop_at=1, evaluate=lambda m, X, y: m.components_)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.set_callbacks(recorder).fit(X)
    assert model.n_iter_ == len(model.loss_curve_) == 2
    alternations = recorder.ended("alternation")
    assert len(alternations) == 2
    np.testing.assert_array_equal(alternations[-1][1], model.components_)
    stopped = quietly(
        TopographicSparseCoding(9, random_state=0, max_iter=2, tol=0).fit, X
    )
    np.testing.assert_array_equal(model.components_, stopped.components_)


@needs_callbacks
def test_the_deep_models_stages_are_nested_tasks():
    X, _ = digits()
    recorder = PropagatedRecorder()
    model = DeepSparseAutoencoder((6, 3), random_state=0, max_iter=5, tol=0)
    quietly(model.set_callbacks(recorder).fit, X)
    ended = Counter(
        (name, task_path)
        for hook, name, task_path, _ in recorder.events
        if hook == "end"
    )
    # Each pretraining layer is a SparseAutoencoder's fit, merged with the
    # deep model's task for it, with its own iterations (the callback
    # propagated to it); then the joint training's iterations.
    assert ended == {
        ("SparseAutoencoder", ("fit", "pretraining layer 1|fit", "lbfgs-iter")): 6,
        ("SparseAutoencoder", ("fit", "pretraining layer 1|fit")): 1,
        ("SparseAutoencoder", ("fit", "pretraining layer 2|fit", "lbfgs-iter")): 6,
        ("SparseAutoencoder", ("fit", "pretraining layer 2|fit")): 1,
        ("DeepSparseAutoencoder", ("fit", "joint training", "lbfgs-iter")): 6,
        ("DeepSparseAutoencoder", ("fit", "joint training")): 1,
        ("DeepSparseAutoencoder", ("fit",)): 1,
    }
    # A callback that is not propagated sees the deep model's own tasks only.
    own = Recorder()
    quietly(
        DeepSparseAutoencoder((6, 3), random_state=0, max_iter=5, tol=0)
        .set_callbacks(own)
        .fit,
        X,
    )
    assert {name for _, name, _, _ in own.events} == {"DeepSparseAutoencoder"}


@needs_callbacks
def test_the_classifiers_stages_are_tasks_with_a_model_that_predicts():
    X, y = digits()
    recorder = Recorder(evaluate=lambda model, X, y: model.score(X, y))
    model = SparseAutoencoderClassifier(
        (8,), random_state=0, pretrain_max_iter=5, max_iter=5, tol=0
    )
    quietly(model.set_callbacks(recorder).fit, X, y)
    stages = [
        task_path
        for task_path in (p for _, _, p, _ in recorder.events)
        if task_path is not None and len(task_path) == 2
    ]
    assert list(dict.fromkeys(stages)) == [
        ("fit", "pretraining layer 1"),
        ("fit", "softmax regression"),
        ("fit", "fine-tuning"),
    ]
    softmax = [
        v for p, v in recorder.ended("lbfgs-iter") if p[1] == "softmax regression"
    ]
    fine = [v for p, v in recorder.ended("lbfgs-iter") if p[1] == "fine-tuning"]
    assert len(softmax) == len(fine) == 6
    # Every iterate is a classifier that predicts: its accuracy, the last
    # of fine-tuning the fitted one's.
    assert all(0 <= accuracy <= 1 for accuracy in softmax[:-1] + fine[:-1])
    assert fine[-2] == model.score(X, y)


@needs_callbacks
def test_callbacks_on_a_search_reach_the_autoencoder_in_its_pipeline():
    X, y = digits(150)
    recorder = PropagatedRecorder()
    pipeline = Pipeline(
        [
            ("sae", SparseAutoencoder(6, random_state=0, max_iter=4, tol=0)),
            ("clf", LogisticRegression(max_iter=30)),
        ]
    )
    search = GridSearchCV(pipeline, {"sae__rho": [0.01, 0.05]}, cv=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.set_callbacks(recorder).fit(X, y)
    iterations = [
        task_path
        for hook, name, task_path, _ in recorder.events
        if hook == "end"
        and name == "SparseAutoencoder"
        and task_path[-1] == "lbfgs-iter"
    ]
    # 2 candidates x 2 folds, and the refit: 5 fits of 4 iterations (+1),
    # each under the pipeline's task for its step.
    evaluation = ("fit", "search", "candidate-split-evaluation|fit")
    refit = ("fit", "refit-with-best-params|fit")
    step = ("fit-transform-sae|fit", "lbfgs-iter")
    assert Counter(iterations) == {evaluation + step: 4 * 5, refit + step: 5}


@needs_callbacks
def test_a_progress_bar_follows_a_pipeline_into_the_deep_model(capsys):
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    X, y = digits(100)
    pipeline = Pipeline(
        [
            ("sae", DeepSparseAutoencoder((6, 3), random_state=0, max_iter=4, tol=0)),
            ("clf", LogisticRegression(max_iter=30)),
        ]
    )
    pipeline.set_callbacks(ProgressBar(max_propagation_depth=None))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # 4 iterations leave a unit or two dead, rightly reported.
        warnings.filterwarnings("ignore", "DeepSparseAutoencoder.*dead", UserWarning)
        pipeline.fit(X, y)
    shown = capsys.readouterr().out
    assert "pretraining layer 1" in shown
    assert "joint training" in shown


class FailingRecorder(Recorder):
    """Raises at the end of iteration task 2."""

    def on_fit_task_end(self, estimator, context, **kwargs):
        super().on_fit_task_end(estimator, context, **kwargs)
        if context.task_name == "lbfgs-iter" and context.task_id == 2:
            raise RuntimeError("the callback failed")


@needs_callbacks
def test_a_failed_fit_tears_its_callbacks_down_and_keeps_the_model():
    X, _ = digits()
    model = quietly(SparseAutoencoder(6, random_state=0, max_iter=3).fit, X)
    before = dict(vars(model))
    recorder = FailingRecorder()
    model.set_callbacks(recorder).set_params(max_iter=20)
    with pytest.raises(RuntimeError, match="the callback failed"):
        model.fit(X)
    hooks = [hook for hook, *_ in recorder.events]
    assert hooks[0] == "setup" and hooks[-1] == "teardown"
    # The fit that failed half-way left the previous one whole.
    for name in ("components_", "mean_activation_", "loss_curve_", "n_iter_"):
        np.testing.assert_array_equal(getattr(model, name), before[name])
    assert not hasattr(model, "_callback_fit_ctx")
    assert not hasattr(model, "_skl_callbacks_to_teardown")


@needs_callbacks
def test_a_fit_without_callbacks_makes_no_iteration_tasks():
    model = SparseAutoencoder(4)
    task = FitTask.begin_fit(model, unit_data(), None, max_subtasks=3)
    assert task.lbfgs_iterations(lambda theta, curve: {}) is None
    recorded = model.set_callbacks(Recorder())
    task = FitTask.begin_fit(recorded, unit_data(), None, max_subtasks=3)
    assert task.lbfgs_iterations(lambda theta, curve: {}) is not None


@needs_callbacks
def test_callbacks_see_the_iterations_of_a_dask_fit():
    da = pytest.importorskip("dask.array")
    X, _ = digits()
    recorder = Recorder(stop_at=2, evaluate=lambda model, X, y: model.components_)
    model = SparseAutoencoder(6, random_state=0, max_iter=20, tol=0, chunk_size=50)
    model.set_callbacks(recorder).fit(da.from_array(X, chunks=(50, 64)))
    assert model.n_iter_ == 3
    at_stop = recorder.ended("lbfgs-iter")[2][1]
    np.testing.assert_array_equal(at_stop, model.components_)


@needs_callbacks
def test_callbacks_get_models_in_xs_namespace_on_the_array_api_path():
    array_api_strict = pytest.importorskip("array_api_strict")
    import sklearn

    X, _ = digits(100)
    X_strict = array_api_strict.asarray(X)
    recorder = Recorder(stop_at=1, evaluate=lambda model, X, y: model.components_)
    model = SparseAutoencoder(6, random_state=0, max_iter=20, tol=0)
    with sklearn.config_context(array_api_dispatch=True):
        model.set_callbacks(recorder).fit(X_strict)
    at_stop = recorder.ended("lbfgs-iter")[1][1]
    assert type(at_stop) is type(X_strict)
    assert model.n_iter_ == 2
    np.testing.assert_array_equal(np.asarray(at_stop), np.asarray(model.components_))


def test_without_sklearn_callback_set_callbacks_says_what_to_install(monkeypatch):
    # As with a scikit-learn older than 1.9: sklearn.callback cannot be imported.
    monkeypatch.setitem(sys.modules, "sklearn.callback", None)
    fallback = importlib.reload(callbacks_module)
    try:
        estimator = type("Estimator", (fallback.CallbackSupportMixin,), {})()
        with pytest.raises(ImportError, match=r"scikit-learn>=1\.9"):
            estimator.set_callbacks(object())
        # A fit without callbacks does nothing of them.
        task = fallback.FitTask.begin_fit(estimator, None, None, max_subtasks=1)
        assert task.lbfgs_iterations(lambda theta, curve: {}) is None
        assert task.end_fit() is None
    finally:
        monkeypatch.undo()
        importlib.reload(callbacks_module)


@pytest.mark.skipif(HAS_CALLBACKS, reason="this scikit-learn has sklearn.callback")
def test_set_callbacks_on_an_old_scikit_learn_says_what_to_install():
    with pytest.raises(ImportError, match=r"scikit-learn>=1\.9"):
        SparseAutoencoder().set_callbacks(object())
    # Everything else works.
    assert (
        quietly(SparseAutoencoder(4, max_iter=5, tol=0).fit, unit_data()).n_iter_ == 5
    )
