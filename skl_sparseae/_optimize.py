"""The L-BFGS driver every estimator shares, and the habits of a fit.

- :func:`minimize_lbfgs` runs scipy's L-BFGS-B on an objective
  ``theta -> (J, grad)`` with the package's stopping rule, progress output
  and warnings, and says in words why it stopped.
- :func:`atomic_fit` makes a fit all-or-nothing: if it raises, the
  estimator is left exactly as it was.
- :func:`user_stacklevel` points warnings at the user's line, through
  ``fit``, ``fit_transform``, a ``Pipeline`` or a search.

The stopping rule: L-BFGS stops when **J has levelled off**, that is when
over the last ``LOSS_WINDOW`` iterations J fell by at most ``tol * J``.
This is scipy's ``ftol`` test taken over a window instead of one step (one
step of L-BFGS can be small while J still falls steadily), and it is
relative, so it means the same on any data. A rule on the gradient relative
to its start value was measured and rejected: at the start the sparsity
term dominates the gradient, and once ``rho_hat`` nears ``rho`` the gradient
is 1000 times smaller while J still has far to fall (it stopped a fit after
8 of the 270 iterations it needs).

``tol=0`` asks for the minimum to the arithmetic's precision. L-BFGS alone
cannot give it: its line search compares values of J, which are only exact
to ``eps * |J|``, so it stops once a step would lower J by less than that,
with the gradient near ``sqrt(eps)`` of its scale and the parameters off
by about that over the smallest curvature (1e-6 relative on a small
autoencoder, where scikit-learn's sample-weight check asks two fits to agree
to 1e-7). The gradient itself is exact to
``eps`` of its terms, so :func:`polish_to_rounding` then takes Newton steps
on it, judged by the gradient, not by J: each step solves ``H p = -grad``
by conjugate gradients, with ``H v`` a central difference of the exact
gradient, and two or three steps take the largest gradient entry from
about 1e-9 to about 1e-16.
"""

import os
import sys
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning

from ._validation import estimator_label

# Iterations over which J's relative decrease is measured.
LOSS_WINDOW = 10

# L-BFGS-B's budget of evaluations of J (scipy's maxfun), per allowed
# iteration: line searches rarely need more than a few.
EVALUATIONS_PER_ITERATION = 20

# |J| at the initial parameters above this is out of any sensible scale: if
# then every step overflows J, the fit fails with the reason instead of
# stopping at the start (estimators name the hyperparameter or data behind it).
OUT_OF_SCALE = 1e100

# verbose=1 prints every this many iterations (and the first and last).
VERBOSE_EVERY = 10

# tol=0's Newton polish (polish_to_rounding): at most this many Newton steps,
# each with at most CG_ITERATIONS conjugate-gradient iterations (two
# evaluations of the gradient each), solved to CG_RELATIVE_RESIDUAL of the
# gradient (a step then shrinks it about that much).
NEWTON_STEPS = 10
CG_ITERATIONS = 100
CG_RELATIVE_RESIDUAL = 1e-4


# --- Warnings that point at the user's code ----------------------------------


def _package_dir(module_name):
    module = sys.modules.get(module_name)
    if module is None or getattr(module, "__file__", None) is None:
        return None
    return os.path.dirname(os.path.abspath(module.__file__)) + os.sep


def user_stacklevel():
    """``stacklevel`` that makes a warning point at the first frame outside
    this package and the libraries it is called through (scikit-learn,
    scipy, joblib).

    Call it as the ``stacklevel=`` argument of ``warnings.warn``.
    """
    prefixes = tuple(
        prefix
        for prefix in map(_package_dir, ("skl_sparseae", "sklearn", "scipy", "joblib"))
        if prefix is not None
    )
    frame = sys._getframe(1)  # the function that calls warnings.warn
    level = 1
    while frame.f_back is not None and os.path.abspath(
        frame.f_code.co_filename
    ).startswith(prefixes):
        frame = frame.f_back
        level += 1
    return level


# --- All-or-nothing fits -------------------------------------------------------


class atomic_fit:
    """Context manager: if the block raises, the estimator's attributes are
    put back as they were when it was entered.

    Covers any exception, ``KeyboardInterrupt`` and ``MemoryError``
    included: an unfitted estimator stays unfitted, a fitted one keeps its
    previous, consistent fit. Fits replace attributes rather than changing
    arrays in place, so a shallow copy of the attributes is enough.

    The attributes that scikit-learn's callbacks keep on the estimator
    during a fit are left as the failure found them: scikit-learn tears the
    callbacks down after ``fit`` raises, from those attributes.
    """

    def __init__(self, estimator):
        self.estimator = estimator

    def __enter__(self):
        self._saved = dict(vars(self.estimator))
        return self.estimator

    def __exit__(self, exc_type, exc, traceback):
        if exc_type is not None:
            attributes = vars(self.estimator)
            callbacks = {
                name: attributes[name]
                for name in CALLBACK_ATTRIBUTES
                if name in attributes
            }
            attributes.clear()
            attributes.update(self._saved)
            for name in CALLBACK_ATTRIBUTES:
                attributes.pop(name, None)
            attributes.update(callbacks)
        return False


def publish_fit(estimator, fitted, result=None):
    """The one publishing step of every fit: the fitted attributes
    ``fitted`` (name -> value) and, from an L-BFGS ``result``
    (:class:`OptimizationResult`), ``loss_``, ``loss_curve_`` and
    ``n_iter_``, set on ``estimator`` together at the fit's end (inside
    :class:`atomic_fit`: all of them or, if the fit raises, none)."""
    if result is not None:
        fitted = {
            **fitted,
            "loss_": result.loss,
            "loss_curve_": result.loss_curve,
            "n_iter_": result.n_iter,
        }
    for name, value in fitted.items():
        setattr(estimator, name, value)


# What scikit-learn's callback machinery (sklearn.callback) sets on an
# estimator during a fit and removes after it, from outside the fit.
CALLBACK_ATTRIBUTES = (
    "_skl_callbacks",
    "_callback_fit_ctx",
    "_skl_callbacks_to_teardown",
    "_parent_callback_ctx",
)


# --- The driver ------------------------------------------------------------------


@dataclass
class OptimizationResult:
    """What :func:`minimize_lbfgs` found, and why it stopped."""

    theta: np.ndarray
    loss: float
    grad: np.ndarray
    n_iter: int
    loss_curve: list = field(default_factory=list)
    converged: bool = True
    stop_reason: str = ""
    # True when the objective's buffers hold the evaluation at ``theta``.
    last_evaluation_at_result: bool = False


class _NotFinite(ArithmeticError):
    """L-BFGS accepted a rejected trial point as an iterate (its line search
    can end on a warning at the point it last tried): the driver goes back
    to the last good iterate and starts again from there."""


class _Trace:
    """Wraps the objective: caches the last evaluation, turns a trial point
    where J cannot be computed into a rejected step, records J per iteration
    and prints progress.

    **Rejected steps.** scipy's L-BFGS-B has no notion of a failed
    evaluation: its line search (Moré and Thuente's) compares and
    interpolates the values it is given, so a NaN or an infinite J poisons
    the step (an infinite J was accepted as an iterate when tried) and a
    NaN theta is passed on to the next trial. But a trial point whose J
    overflows only says that the step was too long: it often comes from the
    optimiser's own arithmetic, e.g. on a nearly solved problem where the
    curvature pair ``(s, y)`` of the last step underflows and the next
    direction is NaN, not from X. Such a trial point is answered with a
    finite J larger than any J seen so far (and a zero gradient), which the
    line search treats as an overshoot: it backs off to a shorter step. When
    no shorter step helps, its search fails; L-BFGS-B then goes back to the
    last iterate, clears its memory and tries a steepest-descent step, and
    stops there if that fails too. Either way the fit ends at the last
    iterate, where J is finite: ``rejected`` counts the trial points
    answered so (the two causes counted apart).
    """

    @property
    def rejected(self):
        return self.rejected_steps + self.rejected_overflows

    def __init__(self, objective, *, label, max_iter, verbose, progress):
        self.objective = objective
        self.label = label
        self.max_iter = max_iter
        self.verbose = verbose
        self.progress = progress
        self.loss_curve = []
        # The point whose evaluation the objective's buffers hold, or None
        # after a rejected trial point (then they hold that point's).
        self.last_theta = None
        self.last_loss = None
        self.last_grad = None
        # The last iterate L-BFGS accepted (theta0 before the first), where
        # the fit ends if its last steps were rejected.
        self.iterate = None
        self.largest_loss = -np.inf
        # Trial points rejected: theta itself not finite (L-BFGS's arithmetic
        # broke down), or J or its gradient not finite at a finite theta.
        self.rejected_steps = 0
        self.rejected_overflows = 0
        # Calls of evaluate, cached or not (scipy's count of evaluations).
        self.calls = 0
        self.start_time = time.perf_counter()

    def start_at(self, theta0, loss0, grad0):
        """Record the evaluation at the starting point."""
        self.last_theta = np.array(theta0, dtype=np.float64)
        self.last_loss, self.last_grad = float(loss0), grad0
        self.largest_loss = self.last_loss
        self.iterate = (self.last_theta, self.last_loss, grad0)

    def evaluate(self, theta):
        self.calls += 1
        if self.last_theta is not None and np.array_equal(theta, self.last_theta):
            return self.last_loss, self.last_grad.copy()
        with np.errstate(all="ignore"):
            loss, grad = self.objective(theta)
        if not (np.isfinite(loss) and np.all(np.isfinite(grad))):
            # A theta that is not finite gives no finite J: which of the two
            # it was is asked only then, to say why in the messages.
            if np.all(np.isfinite(theta)):
                self.rejected_overflows += 1
            else:
                self.rejected_steps += 1
            return self.reject(theta)
        self.last_theta = np.array(theta, copy=True)
        self.last_loss, self.last_grad = float(loss), grad
        self.largest_loss = max(self.largest_loss, self.last_loss)
        return self.last_loss, grad.copy()

    def reject(self, theta):
        """A trial point where J or its gradient is not finite: J above any
        seen so far, so that the line search backs off (see the class)."""
        self.last_theta = None
        above = self.largest_loss + max(abs(self.largest_loss), 1.0)
        if not np.isfinite(above):
            above = float(np.finfo(np.float64).max)
        return above, np.zeros(np.shape(theta), dtype=np.float64)

    def end_of_iteration(self, theta):
        self.evaluate(theta)
        if self.last_theta is None:
            # L-BFGS accepted a rejected point: its line search can end on a
            # warning (e.g. its interval of uncertainty has become too
            # narrow) at whatever point it tried last.
            raise _NotFinite
        self.iterate = (self.last_theta, self.last_loss, self.last_grad)
        self.loss_curve.append(self.last_loss)
        iteration = len(self.loss_curve)
        if self.verbose >= 2 or (
            self.verbose == 1 and (iteration == 1 or iteration % VERBOSE_EVERY == 0)
        ):
            self.print_line(f"iteration {iteration}/{self.max_iter}")

    def print_line(self, head):
        extra = self.progress() if self.progress is not None else ""
        grad_norm = float(np.linalg.norm(self.last_grad))
        print(
            f"[{self.label}] {head}: J = {self.last_loss:.8g}, "
            f"|grad| = {grad_norm:.3g}{extra}, "
            f"{time.perf_counter() - self.start_time:.2f} s",
            flush=True,
        )

    def levelled_off(self, tol):
        """Did J fall by at most ``tol * J`` over the last LOSS_WINDOW iterations?"""
        curve = self.loss_curve
        if len(curve) <= LOSS_WINDOW:
            return False
        return curve[-1 - LOSS_WINDOW] - curve[-1] <= tol * abs(curve[-1])


def _rejected_steps(trace):
    """Words for the trial points that were rejected, and why."""
    causes = []
    if trace.rejected_steps:
        causes.append(
            f"L-BFGS's own step was not finite at {trace.rejected_steps} trial "
            f"{_points(trace.rejected_steps)} (its arithmetic overflowed)"
        )
    if trace.rejected_overflows:
        causes.append(
            "J or its gradient overflowed at "
            f"{trace.rejected_overflows} trial {_points(trace.rejected_overflows)}, "
            "where the step was too long"
        )
    if not causes:
        return ""
    return (
        f"{'; '.join(causes)}: the line search backed off, and J is finite at "
        "every iterate. "
    )


def _points(count):
    return "point" if count == 1 else "points"


def _run_lbfgs(trace, theta0, callback, *, max_iter, gtol, history):
    """scipy's L-BFGS-B from ``theta0``, started again from the last iterate
    if it ever accepts a rejected trial point (see :class:`_Trace`).

    Returns ``(theta, J, grad, n_iter, status, n_evaluations)``, with
    scipy's ``status``: 0 converged by its own tests, 1 an iteration or
    evaluation limit, 2 its line search failed.
    """
    max_evaluations = EVALUATIONS_PER_ITERATION * max_iter
    start, evaluations_before, restarted_at = theta0, 0, None
    while True:
        calls_before = trace.calls
        try:
            result = minimize(
                trace.evaluate,
                start,
                method="L-BFGS-B",
                jac=True,
                callback=callback,
                options={
                    "maxiter": max_iter - len(trace.loss_curve),
                    "maxfun": max_evaluations - evaluations_before,
                    # The window rule above is the stopping test; scipy's own
                    # tests would stop on one small step (ftol) or on a
                    # gradient small only relative to the sparsity term's
                    # (gtol).
                    "gtol": gtol,
                    "ftol": 0.0,
                    "maxcor": history,
                },
            )
        except _NotFinite:
            evaluations_before += trace.calls - calls_before
            n_iter = len(trace.loss_curve)
            if (
                restarted_at == n_iter
                or n_iter >= max_iter
                or evaluations_before >= max_evaluations
            ):
                # No iterate since the last start again: the line search
                # cannot find a finite J along any direction it tries.
                theta, loss, grad = trace.iterate
                status = 1 if restarted_at != n_iter else 2
                return theta, loss, grad, n_iter, status, evaluations_before
            restarted_at, start = n_iter, trace.iterate[0]
            continue
        n_evaluations = evaluations_before + int(result.nfev)
        if trace.rejected:
            # L-BFGS-B ends at its last iterate, going back to it when its
            # line search fails, but then returns the J and gradient of the
            # point it tried last (the rejection's): take them from the trace.
            theta, loss, grad = trace.iterate
            status = result.status if np.array_equal(result.x, theta) else 2
            return theta, loss, grad, len(trace.loss_curve), status, n_evaluations
        return (
            result.x,
            float(result.fun),
            result.jac,
            int(result.nit),
            result.status,
            n_evaluations,
        )


def polish_to_rounding(objective, theta, loss, grad):
    """Newton steps from a minimum L-BFGS found, to the arithmetic's
    precision (``tol=0``; see the module docstring). float64 only.

    Each step solves ``H p = -grad`` by conjugate gradients (at most
    CG_ITERATIONS, stopping at negative curvature), with the Hessian-vector
    product a central difference of the exact gradient::

        H v ~ (grad(theta + h v) - grad(theta - h v)) / (2 h)

    and is kept only if it shrinks the largest gradient entry without
    raising J beyond its rounding; the first step that does not ends the
    polish. Returns ``(theta, J, grad, n_steps)``, where the last evaluation
    of ``objective`` is at the returned theta.
    """
    eps = np.finfo(np.float64).eps
    grad = np.array(grad, dtype=np.float64)
    steps = 0
    with np.errstate(all="ignore"):
        for _ in range(NEWTON_STEPS):
            # h: eps^(1/3) of theta's scale along v, the central difference's
            # balance of truncation (h^2) and rounding (eps / h) error.
            scale = eps ** (1 / 3) * (1.0 + float(np.max(np.abs(theta))))

            def hessian_times(v, theta=theta, scale=scale):
                h = scale / float(np.max(np.abs(v)))
                ahead = np.array(objective(theta + h * v)[1], dtype=np.float64)
                behind = np.array(objective(theta - h * v)[1], dtype=np.float64)
                return (ahead - behind) / (2.0 * h)

            step = _conjugate_gradients(hessian_times, -grad)
            if step is None:
                break
            new_loss, new_grad = objective(theta + step)
            new_grad = np.array(new_grad, dtype=np.float64)
            if not (
                np.isfinite(new_loss)
                and np.all(np.isfinite(new_grad))
                and np.max(np.abs(new_grad)) < np.max(np.abs(grad))
                and new_loss <= loss + 16 * eps * abs(loss)
            ):
                break
            theta, loss, grad = theta + step, float(new_loss), new_grad
            steps += 1
        # The objective's buffers (the codes, rho_hat) at the result.
        loss, grad = objective(theta)
    return theta, float(loss), np.array(grad, dtype=np.float64), steps


def _conjugate_gradients(hessian_times, rhs):
    """``p`` with ``H p ~ rhs`` by conjugate gradients from 0, to
    CG_RELATIVE_RESIDUAL of ``rhs``; stops at negative (or no) curvature
    with the ``p`` so far. None where no step was made or it is not
    finite."""
    step = np.zeros_like(rhs)
    residual = rhs.copy()
    direction = residual.copy()
    residual_squared = float(residual @ residual)
    target = (CG_RELATIVE_RESIDUAL**2) * residual_squared
    for _ in range(CG_ITERATIONS):
        curved = hessian_times(direction)
        curvature = float(direction @ curved)
        if not curvature > 0.0:
            break
        length = residual_squared / curvature
        step += length * direction
        residual -= length * curved
        previous, residual_squared = residual_squared, float(residual @ residual)
        if residual_squared <= target:
            break
        direction = residual + (residual_squared / previous) * direction
    if not (np.any(step) and np.all(np.isfinite(step))):
        return None
    return step


def minimize_for(
    estimator,
    objective,
    theta0,
    X,
    *,
    ops,
    explain,
    stage=None,
    progress=None,
    iterations=None,
):
    """:func:`minimize_lbfgs` with an estimator's ``max_iter``, ``tol`` and
    ``verbose``, its label (and ``stage``, e.g. ``"fine-tuning"``) in progress
    lines and warnings, X's rounding (``ops``: the array operations where X
    is, which the caller has), ``explain()`` as the words that
    follow an overflow or a stalled line search, and the callbacks'
    ``iterations``."""
    label = estimator_label(estimator)
    return minimize_lbfgs(
        objective,
        theta0,
        max_iter=estimator.max_iter,
        tol=estimator.tol,
        label=label if stage is None else f"{label} {stage}",
        verbose=estimator.verbose,
        progress=progress,
        rounding=float(ops.xp.finfo(X.dtype).eps),
        explain_overflow=explain,
        explain_stall=explain,
        iterations=iterations,
        polish=estimator.tol == 0,
    )


@dataclass(frozen=True)
class StopFacts:
    """What is known when L-BFGS has returned, all that
    :func:`classify_stop` needs."""

    on_request: bool  # a callback asked to stop
    by_window: bool  # the stopping rule held (tol > 0)
    status: int  # scipy's: 0 its own tests, 1 a limit, 2 its line search failed
    n_iter: int
    max_iter: int
    n_evaluations: int
    tol: float
    gtol: float
    largest_grad: float  # max |grad| at the result
    relative_grad: float  # ... over its value at the start
    grad_squared_norm: float
    levelled_off_to_rounding: bool  # the rule holds with max(tol, sqrt(eps))
    rejected: bool  # some trial point's J or step was not finite
    loss0: float  # J at the start


@dataclass(frozen=True)
class Stop:
    """Why L-BFGS stopped: ``kind`` (one of ``STOP_KINDS``), whether that is
    convergence, and the reason in words."""

    kind: str
    converged: bool
    reason: str


# The kinds of stop, in the order classify_stop tries them.
STOP_KINDS = (
    "request",  # a callback asked to stop: not converged, no warning
    "window",  # the stopping rule held
    "gradient",  # scipy's gtol test, or a gradient exactly zero
    "limit",  # max_iter or the evaluations ran out: warns
    "overflow",  # every step overflowed, J out of scale from the start: raises
    "rounding",  # the line search failed where J had levelled off to rounding
    "underflow",  # the gradient's squared norm underflows
    "stall",  # the line search failed far from a minimum: warns
)


def classify_stop(facts):
    """The :class:`Stop` of an L-BFGS run from its :class:`StopFacts`: a
    pure function (no warnings, no output), tested by a table."""
    f = facts
    if f.on_request:
        # Not converged, and not short of iterations either: the user's
        # callback chose this iterate.
        return Stop(
            "request",
            False,
            f"stopped after {f.n_iter} iterations: a callback asked to stop",
        )
    if f.by_window:
        return Stop(
            "window",
            True,
            f"converged: J fell by less than tol={f.tol:g} of itself over the "
            f"last {LOSS_WINDOW} iterations",
        )
    if f.status == 0 and f.largest_grad <= f.gtol:
        reason = (
            f"converged: the largest gradient entry fell to gtol={f.gtol:g}"
            if f.gtol > 0
            else "converged: the gradient is exactly zero"
        )
        return Stop("gradient", True, reason)
    if f.status == 1:
        if f.n_iter >= f.max_iter:
            limit = f"{f.n_iter} iterations (max_iter={f.max_iter})"
        else:
            limit = (
                f"{f.n_evaluations} evaluations of the objective in {f.n_iter} "
                f"iterations (at most {EVALUATIONS_PER_ITERATION} per allowed "
                "iteration)"
            )
        return Stop(
            "limit", False, f"stopped after {limit} before converging to tol={f.tol:g}"
        )
    if f.rejected and not abs(f.loss0) < OUT_OF_SCALE:
        # Every step overflowed J because J itself is out of any sensible
        # scale from the start (a huge alpha or beta, or huge X).
        return Stop(
            "overflow",
            False,
            "the objective J or its gradient overflowed at every point L-BFGS "
            f"tried after iteration {f.n_iter}, from J = {f.loss0:.3g} at the "
            "initial parameters",
        )
    if f.levelled_off_to_rounding:
        # The line search found no lower J, but J had levelled off or the
        # gradient had vanished to the precision the arithmetic allows:
        # the optimum, within rounding.
        return Stop(
            "rounding",
            True,
            "converged: the line search could not lower J further, at a point "
            f"where the gradient is {f.relative_grad:.2g} times its start value",
        )
    if f.grad_squared_norm < np.finfo(np.float64).tiny:
        # The gradient's squared norm underflows: L-BFGS's own arithmetic
        # (its step length 1/|grad|, its curvature pairs) breaks down, and
        # any step it could take changes J by less than it can represent.
        return Stop(
            "underflow",
            True,
            "converged: the gradient is too small for L-BFGS to take a step "
            f"(its largest entry is {f.largest_grad:.3g})",
        )
    return Stop(
        "stall",
        False,
        f"stopped after {f.n_iter} iterations because its line search could not "
        f"lower J, while the largest gradient entry was still "
        f"{f.relative_grad:.2g} times its start value",
    )


def _warn_or_raise(stop, trace, label, warn, explain_overflow, explain_stall):
    """What a :class:`Stop` asks of the user's attention: a
    ConvergenceWarning for a limit or a stall (where ``warn``), the
    ValueError of an overflow."""
    if stop.kind == "limit" and warn:
        warnings.warn(
            f"{label}: L-BFGS {stop.reason}. Increase max_iter, or raise tol.",
            ConvergenceWarning,
            stacklevel=user_stacklevel(),
        )
    elif stop.kind == "overflow":
        # The problem's fault, not the step's: no fit can be made of it.
        advice = explain_overflow() if explain_overflow is not None else ""
        raise ValueError(f"{label}: {stop.reason}. {advice}".rstrip())
    elif stop.kind == "stall" and warn:
        advice = explain_stall() if explain_stall is not None else ""
        warnings.warn(
            f"{label}: L-BFGS {stop.reason}: the fit is not at a minimum. "
            f"{_rejected_steps(trace)}{advice}".rstrip(),
            ConvergenceWarning,
            stacklevel=user_stacklevel(),
        )


def _polished(objective, theta, loss, grad):
    """:func:`polish_to_rounding` from L-BFGS's result, and the words it
    adds to the stop reason."""
    largest_before = float(np.max(np.abs(grad), initial=0.0))
    theta, loss, grad, n_steps = polish_to_rounding(
        objective, np.asarray(theta, dtype=np.float64), loss, grad
    )
    words = (
        f"; then {n_steps} Newton {'step' if n_steps == 1 else 'steps'} took "
        f"the largest gradient entry from {largest_before:.2g} to "
        f"{float(np.max(np.abs(grad), initial=0.0)):.2g}"
    )
    return theta, loss, grad, words


def _squared_norm(grad):
    """|grad|^2, inf where it overflows (no RuntimeWarning)."""
    with np.errstate(over="ignore"):
        return float(np.dot(grad, grad))


def _checked_start(objective, theta0, start, label, explain_overflow):
    """``(J, grad)`` at ``theta0`` (``start`` where the caller has it), or
    a clear error where either is not finite."""
    if start is None:
        with np.errstate(all="ignore"):
            start = objective(theta0)
    loss0, grad0 = start
    if not (np.isfinite(loss0) and np.all(np.isfinite(grad0))):
        reason = explain_overflow() if explain_overflow is not None else ""
        raise ValueError(
            f"{label}: the objective J or its gradient is not finite at the "
            f"initial parameters (J = {loss0!r}). {reason}".rstrip()
        )
    return loss0, grad0


def minimize_lbfgs(
    objective,
    theta0,
    *,
    max_iter,
    tol,
    label,
    verbose=0,
    progress=None,
    rounding=None,
    explain_overflow=None,
    explain_stall=None,
    gtol=0.0,
    warn=True,
    history=10,
    start=None,
    iterations=None,
    polish=False,
):
    """Minimise ``objective`` with L-BFGS-B; warn if it did not converge.

    Parameters
    ----------
    objective : callable
        ``theta -> (J, grad)``, float64 in and out.
    theta0 : ndarray
        Starting point.
    max_iter : int
        Iteration limit.
    tol : float
        Relative tolerance of the stopping rule (see the module docstring);
        0 runs until ``max_iter`` or until the line search finds no lower J.
    label : str
        Names the estimator in progress lines and warnings.
    verbose : int
        0 silent; 1 a line every VERBOSE_EVERY iterations and a final line
        with the stop reason; 2 a line every iteration.
    progress : callable or None
        Returns extra text for progress lines (e.g. the mean ``rho_hat``).
    rounding : float or None
        Machine epsilon of the dtype the objective computes in (None: float64):
        a stop that
        the line search forces is accepted as converged when the stopping
        rule holds with ``max(tol, sqrt(rounding))``, the precision such
        arithmetic can resolve.
    explain_overflow : callable or None
        ``() -> str``: why J or its gradient is not finite (at the start or
        at a point L-BFGS tried) and what to do; the ValueError raised then
        carries it.
    explain_stall : callable or None
        ``() -> str``: advice to add to the warning when L-BFGS stalls far
        from a minimum.
    gtol : float, default=0.0
        Also stop (converged) when the largest entry of the gradient is at
        most ``gtol`` (scipy's ``gtol``); 0 leaves the window rule alone.
    warn : bool, default=True
        Warn (ConvergenceWarning) when the fit stops short of convergence.
        False for inner solves whose caller decides what a stop means (the
        codes steps of sparse coding); the result's ``converged`` and
        ``stop_reason`` say it either way.
    history : int, default=10
        Correction pairs L-BFGS keeps (scipy's ``maxcor``; 10 is its
        default). L-BFGS-B's own work per iteration grows with it times the
        number of parameters.
    start : tuple or None, default=None
        ``(J, grad)`` at ``theta0`` when the caller has already evaluated it
        (sparse coding's alternation evaluates J after each dictionary step,
        at the point the next codes step starts from): saves evaluating it
        again. None evaluates it here.
    iterations : LbfgsIterations or None, default=None
        The iterations as tasks for scikit-learn's callbacks
        (:mod:`skl_sparseae._callbacks`): ``start(theta0, J0)`` at the
        start, ``step(theta, loss_curve)`` at the end of every iteration,
        whose True stops L-BFGS there (converged False, no warning: the
        stop reason says a callback asked), and ``close()`` at the end.
        None, the default and a fit without callbacks, costs nothing per
        iteration.
    polish : bool, default=False
        Once L-BFGS has converged, take the minimum on to the arithmetic's
        precision with :func:`polish_to_rounding` (``tol=0`` in the
        estimators). Only in float64 (``rounding`` None or float64's), and
        not after a stop on a callback's request.

    Returns
    -------
    result : OptimizationResult
    """
    trace = _Trace(
        objective, label=label, max_iter=max_iter, verbose=verbose, progress=progress
    )
    loss0, grad0 = _checked_start(objective, theta0, start, label, explain_overflow)
    trace.start_at(theta0, loss0, grad0)
    start_grad = float(np.max(np.abs(grad0))) if grad0.size else 0.0
    if iterations is not None:
        iterations.start(theta0, trace.last_loss)

    # How the run ended early, if it did: set by the callback.
    ended = {"on_request": False, "by_window": False}

    def callback(theta):
        trace.end_of_iteration(theta)
        if iterations is not None and iterations.step(theta, trace.loss_curve):
            ended["on_request"] = True
            raise StopIteration
        if tol > 0 and trace.levelled_off(tol):
            ended["by_window"] = True
            raise StopIteration

    if start_grad == 0.0:
        # Already stationary: nothing to do.
        run = (trace.last_theta, trace.last_loss, grad0, 0, 0, 1)
    else:
        run = _run_lbfgs(
            trace, theta0, callback, max_iter=max_iter, gtol=gtol, history=history
        )
    result_x, result_fun, result_jac, n_iter, status, n_evaluations = run

    relative_grad = (
        float(np.max(np.abs(result_jac))) / start_grad if start_grad > 0 else 0.0
    )
    # Whether the objective's buffers (e.g. the hidden activations) hold the
    # evaluation at the result; explain_stall may evaluate elsewhere.
    at_result = bool(np.array_equal(trace.last_theta, result_x))
    if rounding is None:
        rounding = np.finfo(np.float64).eps
    loose_tol = max(tol, float(np.sqrt(rounding)))
    stop = classify_stop(
        StopFacts(
            on_request=ended["on_request"],
            by_window=ended["by_window"],
            status=status,
            n_iter=n_iter,
            max_iter=max_iter,
            n_evaluations=n_evaluations,
            tol=tol,
            gtol=gtol,
            largest_grad=float(np.max(np.abs(result_jac), initial=0.0)),
            relative_grad=relative_grad,
            grad_squared_norm=_squared_norm(result_jac),
            levelled_off_to_rounding=relative_grad <= loose_tol
            or trace.levelled_off(loose_tol),
            rejected=bool(trace.rejected),
            loss0=float(loss0),
        )
    )
    converged, reason = stop.converged, stop.reason
    _warn_or_raise(stop, trace, label, warn, explain_overflow, explain_stall)
    if stop.kind == "stall":
        at_result = False
    if trace.rejected and converged:
        reason += f" ({_rejected_steps(trace).rstrip()[:-1]})"
    if polish and converged and rounding == np.finfo(np.float64).eps:
        result_x, result_fun, result_jac, polished = _polished(
            objective, result_x, result_fun, result_jac
        )
        reason, at_result = reason + polished, True
    if iterations is not None:
        iterations.close()
    if verbose:
        trace.last_loss, trace.last_grad = result_fun, result_jac
        # Reasons for a stop short of convergence already count iterations.
        trace.print_line(f"{reason} after {n_iter} iterations" if converged else reason)
    return OptimizationResult(
        theta=np.asarray(result_x, dtype=np.float64),
        loss=result_fun,
        grad=result_jac,
        n_iter=n_iter,
        loss_curve=trace.loss_curve,
        converged=converged,
        stop_reason=reason,
        last_evaluation_at_result=at_result,
    )
