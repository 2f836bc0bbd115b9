"""scikit-learn's callbacks (``sklearn.callback``, scikit-learn 1.9 and later)
on the package's fits: the task tree of a fit, and L-BFGS's iterations as
tasks.

A fit is a tree of tasks, as scikit-learn's own estimators build it:

- ``fit``, the root, whose ``on_fit_task_begin`` and ``on_fit_task_end``
  hooks see the validated X (and y);
- stages under it where a fit has several (the deep model's greedy
  pretraining layers and its joint training; the classifier's pretraining
  layers, softmax regression and fine-tuning). A pretraining layer is a
  :class:`SparseAutoencoder` of its own, fitted as a sub-estimator: the
  callbacks that propagate (``ProgressBar``) reach it, as they reach an
  estimator inside a ``Pipeline``;
- one ``"lbfgs-iter"`` task per L-BFGS iteration, as scikit-learn's
  ``LogisticRegression(solver="lbfgs")`` reports them: the task of
  iteration k begins at the iterate it starts from and ends at the iterate
  it reached, and its hooks can ask for ``fitted_estimator``, a copy of the
  estimator with the fitted attributes of that iterate, ready to
  ``transform``, ``predict`` or ``score`` (``ScoringMonitor`` scores it).
  After the last iteration one more task begins, which L-BFGS never runs,
  and ends empty (as in scikit-learn). ``TopographicSparseCoding``'s tasks
  are its alternations instead.

A hook that returns True asks to stop: the iterations of that level end at
the iterate just reached, the fit publishes it as its result (with no
``ConvergenceWarning``: it did not run out of iterations), and the stages
after it run as usual.

The autoencoders learn to reconstruct X: where ``fit`` is given no ``y``,
their hooks get X as ``y``, the target they reconstruct, so that a scorer
(a ``ScoringMonitor``'s, which scores only where ``y`` is given) can score
each iterate with the estimator's ``score``. With scikit-learn older than
1.9, which has no callbacks, ``set_callbacks`` raises an error that says
what to install, and fits do nothing of this.
"""

from contextlib import contextmanager

import sklearn

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:
        """``set_callbacks`` where scikit-learn has no callbacks: an error
        that says what to install."""

        def set_callbacks(self, *callbacks):
            """Set callbacks: needs scikit-learn 1.9 or later.

            Parameters
            ----------
            *callbacks : callback instances
                The callbacks to set.

            Returns
            -------
            self : object
                Never: this raises.
            """
            raise ImportError(
                f"{type(self).__name__}.set_callbacks needs scikit-learn's "
                "callback API (sklearn.callback), which scikit-learn has from "
                f"1.9 on; this is scikit-learn {sklearn.__version__}. Install "
                "a newer one: pip install 'scikit-learn>=1.9' (and rich for "
                "sklearn.callback.ProgressBar)."
            )


#: The name of an L-BFGS iteration's task (scikit-learn's, for its lbfgs).
LBFGS_ITERATION = "lbfgs-iter"


class FitTask:
    """One task of a fit's task tree, or nothing where there are no callbacks.

    ``context`` is scikit-learn's ``CallbackContext`` of the task, or None
    where scikit-learn has no callbacks (every method then does nothing).
    ``X`` and ``y`` are what the task's hooks see.
    """

    def __init__(self, estimator, context, X, y, metadata=None):
        self.estimator = estimator
        self.context = context
        self.X = X
        self.y = y
        self.metadata = metadata

    @classmethod
    def begin_fit(cls, estimator, X, y, *, max_subtasks, sample_weight=None):
        """The root task of ``estimator``'s fit, begun: its callbacks set
        up (scikit-learn tears them down when ``fit`` returns or raises).

        ``max_subtasks``: the most tasks directly under it (None: not known).
        ``sample_weight``, as ``fit`` got it, is the hooks' metadata (as in
        scikit-learn's estimators), so that a monitor's scorer weighs too.
        """
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        if not hasattr(estimator, "_init_callback_context"):
            return cls(estimator, None, X, y, metadata)
        context = estimator._init_callback_context(max_subtasks=max_subtasks)
        task = cls(estimator, context, X, y, metadata)
        task._begin()
        return task

    @property
    def has_callbacks(self):
        """Whether the estimator has callbacks, which would see this task's
        subtasks (scikit-learn's lbfgs asks the same)."""
        return self.context is not None and bool(
            getattr(self.estimator, "_skl_callbacks", None)
        )

    def _begin(self, fitted=None):
        self.context.call_on_fit_task_begin(
            estimator=self.estimator,
            X=self.X,
            y=self.y,
            metadata=self.metadata,
            reconstruction_attributes=fitted,
        )

    def end(self, fitted=None):
        """End the task; ``fitted`` (a dict, or a function that returns
        one) are the fitted attributes at its end, ``{}`` once the fit has
        published them, None where the estimator cannot be made fitted
        there (hooks then get no ``fitted_estimator``). Returns True when a
        callback asks to stop."""
        if self.context is None:
            return False
        return self.context.call_on_fit_task_end(
            estimator=self.estimator,
            X=self.X,
            y=self.y,
            metadata=self.metadata,
            reconstruction_attributes=fitted,
        )

    def end_fit(self):
        """End the root task, once the fitted attributes are published."""
        self.end({})

    def stage(self, name, *, max_subtasks, X=None, y=None, sample_weight=...):
        """A stage of the fit (a task with subtasks of its own), begun;
        ``X``, ``y`` and ``sample_weight`` are what its hooks see (default:
        this task's; give all three for some of the rows, None for no
        weights)."""
        X = self.X if X is None else X
        y = self.y if y is None else y
        if sample_weight is ...:
            metadata = self.metadata
        else:
            metadata = (
                None if sample_weight is None else {"sample_weight": sample_weight}
            )
        if self.context is None:
            return FitTask(self.estimator, None, X, y, metadata)
        context = self.context.subcontext(task_name=name, max_subtasks=max_subtasks)
        task = FitTask(self.estimator, context, X, y, metadata)
        task._begin()
        return task

    @contextmanager
    def sub_estimator(self, name, sub_estimator):
        """Run the block as a task whose work is ``sub_estimator``'s fit: its
        task tree hangs under this one, and the callbacks that propagate
        reach it (``CallbackContext.propagate_callback_context``)."""
        if self.context is None:
            yield
            return
        context = self.context.subcontext(task_name=name)
        task = FitTask(self.estimator, context, self.X, self.y, self.metadata)
        with context.propagate_callback_context(sub_estimator):
            task._begin()
            yield
            # The sub-estimator is fitted, not this estimator (as a
            # Pipeline's step is): no fitted_estimator for this task.
            task.end(None)

    def lbfgs_iterations(self, fitted_at):
        """L-BFGS's iterations as this task's subtasks, for
        :func:`~skl_sparseae._optimize.minimize_lbfgs`'s ``iterations``; None
        where no callback would see them (a fit without callbacks pays
        nothing per iteration).

        ``fitted_at(theta, loss_curve)`` returns the fitted attributes at an
        iterate: called only when a hook asks for ``fitted_estimator``.
        """
        if not self.has_callbacks:
            return None
        return LbfgsIterations(self, fitted_at)


class LbfgsIterations:
    """Each L-BFGS iteration a task (scikit-learn's ``_LbfgsCallbackBridge``
    for its ``LogisticRegression``, with its stop requests honoured).

    :func:`~skl_sparseae._optimize.minimize_lbfgs` calls :meth:`start` at
    the starting point, :meth:`step` at the end of every iteration (True:
    a callback asks to stop), and :meth:`close` when it returns.
    """

    def __init__(self, parent, fitted_at):
        self.parent = parent
        self.fitted_at = fitted_at
        self.current = None

    def _fitted(self, theta, loss_curve, loss):
        def fitted():
            attributes = self.fitted_at(theta, loss_curve)
            attributes.update(
                loss_=loss, loss_curve_=list(loss_curve), n_iter_=len(loss_curve)
            )
            return attributes

        return fitted

    def _begin(self, theta, loss_curve, loss):
        parent = self.parent
        context = parent.context.subcontext(task_name=LBFGS_ITERATION)
        self.current = FitTask(
            parent.estimator, context, parent.X, parent.y, parent.metadata
        )
        # An iteration begins at the iterate it starts from.
        self.current._begin(self._fitted(theta, loss_curve, loss))

    def start(self, theta0, loss0):
        """The first iteration's task begins at the starting point."""
        self._begin(theta0, [], loss0)

    def step(self, theta, loss_curve):
        """An iteration ended at ``theta`` (``loss_curve[-1]`` is J there):
        end its task and begin the next. Returns True to stop."""
        loss = loss_curve[-1]
        stop = self.current.end(self._fitted(theta, loss_curve, loss))
        self._begin(theta, loss_curve, loss)
        return stop

    def close(self):
        """End the task of the iteration L-BFGS did not run, empty."""
        if self.current is not None:
            self.current.context.call_on_fit_task_end(estimator=self.parent.estimator)
            self.current = None
