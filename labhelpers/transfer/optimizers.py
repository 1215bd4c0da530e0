"""The optimisers of style transfer and the bookkeeping of one run.

* :func:`adam`: the package's only Adam (numpy, in pixel units, the picture kept in a box).
  The lessons' VGG-free optimisations (``tv_denoise``, reconstructions) call it too.
* :func:`lbfgs`: scipy's L-BFGS-B with the box [0, 1] for every pixel; every loss-and-gradient
  evaluation, line-search trials included, counts as a step.
* :func:`projected_lbfgs`: the same idea in numpy, the box kept by projection (no scipy set-up).
* :func:`stage_sizes` / :func:`split_steps`: coarse-to-fine, the picture first optimised at a
  smaller size and then refined, the steps split over the stages.
* :class:`RunRecorder`: history, best picture, callback, ``should_stop``, time budget and
  divergence checks around every evaluation; :class:`RunStopped` ends a run early and
  :func:`stop_message` says why, in the words every front end (``stylize``, the CLI, the panel)
  shows.

Every optimiser takes ``value_and_grad(x) -> (loss, gradient)`` with ``x`` and the gradient
arrays of one shape; an exception raised inside it (for example :class:`RunStopped`) ends the
optimiser and propagates.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "ADAM_LEARNING_RATE",
    "adam",
    "lbfgs",
    "projected_lbfgs",
    "stage_sizes",
    "split_steps",
    "RunStopped",
    "StageDone",
    "stage_deadlines",
    "RunRecorder",
    "STOP_REASONS",
    "stop_message",
]

#: Adam's learning rate for style transfer: the largest change of a pixel value per step is about this much.
ADAM_LEARNING_RATE = 0.02
ADAM_BETAS = (0.9, 0.999)
ADAM_EPSILON = 1e-8
#: Above this size (longest side, px) auto coarse-to-fine halves the size until it is at most this.
COARSE_TO_FINE_ABOVE = 512
#: From this size (longest side, px) up, auto coarse-to-fine starts with one stage at half the size
#: (256 px -> [128, 256]): a preview early, and about the same quality per evaluation's cost
#: (see docs/performance.md).
COARSE_TO_FINE_FROM = 256
#: The smallest stage that coarse-to-fine creates, px.
SMALLEST_STAGE = 32
#: A total loss this many times the stage's first one counts as diverging.
EXPLODE_FACTOR = 1e4

#: Why a run ended early (``StyleTransferResult.stopped``), and what each front end says about it.
STOP_REASONS: dict[str | None, str] = {
    None: "Finished",
    "stop": "Stopped on request (should_stop / the Stop button)",
    "interrupt": "Interrupted (Ctrl-C)",
    "time_budget": "Stopped: the time budget was used up",
    "diverged": "Stopped: the loss diverged",
    "callback_error": "Stopped: the callback or should_stop raised an error",
}

ValueAndGrad = Callable[[np.ndarray], tuple[float, np.ndarray]]


def adam(value_and_grad: ValueAndGrad, start: np.ndarray, steps: int, learning_rate: float = ADAM_LEARNING_RATE,
         bounds: tuple[float, float] = (0.0, 1.0), betas: tuple[float, float] = ADAM_BETAS,
         epsilon: float = ADAM_EPSILON) -> np.ndarray:
    """Minimise with Adam (Kingma & Ba), keeping every value inside ``bounds`` after each step.

    Args:
        value_and_grad: ``f(x) -> (loss, gradient)``, the gradient with ``x``'s shape.
        start: the first ``x``, any shape (a picture (H, W, 3) in [0, 1] for style transfer).
        steps: how many gradient evaluations (= updates).
        learning_rate: the step size in ``x``'s units (pixel values for pictures).
        bounds: (low, high) to clip ``x`` into after every update (None for either: no bound).
        betas, epsilon: Adam's moment decay rates and its guard against division by zero.

    Returns:
        The last ``x`` (float32, ``start``'s shape).
    """
    b1, b2 = betas
    # None means "no bound"; -inf/+inf rather than None because NumPy 1.x's clip refuses (None, None)
    low, high = (-np.inf if bounds[0] is None else bounds[0]), (np.inf if bounds[1] is None else bounds[1])
    x = np.clip(np.asarray(start, dtype=np.float32), low, high).astype(np.float32)
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    for t in range(1, int(steps) + 1):
        _, grad = value_and_grad(x)
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad * grad
        step = learning_rate * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + epsilon)
        x = np.clip(x - step, low, high).astype(np.float32)
    return x


class _EvaluationsUsed(Exception):
    """Raised inside :func:`lbfgs`'s wrapper when its evaluations are used up (never leaves lbfgs)."""


def lbfgs(value_and_grad: ValueAndGrad, start: np.ndarray, evaluations: int, history: int = 10,
          first_step: float | None = None) -> np.ndarray:
    """Minimise with scipy's L-BFGS-B inside the box [0, 1] for exactly ``evaluations`` evaluations.

    scipy may end early (converged, or a line search that cannot improve); it is then restarted from
    its last point while evaluations remain and it still makes progress.

    The first step. With bounds, scipy's first trial step is the whole gradient (step length 1),
    whatever its size: for style transfer's normalised losses that moves pixel values by far more than
    their range, the trial picture is clipped to coloured noise and its loss jumps 10-40 times before
    the line search cuts the step back (with large weights on small pictures: the panel's preview
    showed coloured noise and a loss 40 times the start's). ``first_step`` caps it: when the
    gradient at the start has a value larger than ``first_step``, the loss (and gradient) that scipy
    sees is multiplied by ``first_step / max|gradient at the start|``, so the first trial step changes
    no pixel value by more than ``first_step``; a smaller gradient is left alone. L-BFGS's later
    steps do not depend on the loss's scale (its curvature estimate scales with it), so only the
    first step changes. (A tighter cap, 0.05, made the first 8 steps at 256 px up to 20 % slower
    with the default weights; from about 18 steps on the losses were the same.)

    Args:
        value_and_grad: ``f(x) -> (loss, gradient)`` for ``x`` of ``start``'s shape, float32.
        start: the first ``x`` (values outside [0, 1] are clipped).
        evaluations: the most calls of ``value_and_grad``.
        history: how many curvature pairs L-BFGS keeps (scipy's ``maxcor``).
        first_step: the largest change of one value in the first trial step (for pictures in [0, 1],
            e.g. 0.5); None: scipy's own first step (the whole gradient).

    Returns:
        The last point scipy reached, float32, ``start``'s shape.
    """
    from scipy.optimize import Bounds, minimize  # lazy: scipy is only needed when L-BFGS runs

    shape = start.shape
    n = int(np.prod(shape))
    bounds = Bounds(np.zeros(n), np.ones(n))
    state = {"x": np.clip(start, 0.0, 1.0).astype(np.float64).ravel(), "calls": 0, "scale": None}

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        if state["calls"] >= evaluations:
            raise _EvaluationsUsed()
        state["calls"] += 1
        state["x"] = x
        total, grad = value_and_grad(x.reshape(shape).astype(np.float32))
        grad = np.asarray(grad, dtype=np.float64).ravel()
        if state["scale"] is None:  # the first call is at the start: fix the loss's scale once
            largest = float(np.max(np.abs(grad))) if grad.size else 0.0
            state["scale"] = min(1.0, first_step / largest) if first_step is not None and largest > 0 else 1.0
        return float(total) * state["scale"], grad * state["scale"]

    try:
        while state["calls"] < evaluations:
            before = state["calls"]
            result = minimize(fun, state["x"], jac=True, method="L-BFGS-B", bounds=bounds,
                              options={"maxfun": 10**9, "maxiter": 10**9, "maxcor": history, "ftol": 0.0,
                                       "gtol": 0.0})
            state["x"] = result.x
            if state["calls"] - before < 3:
                break  # converged: a restart makes no progress
    except _EvaluationsUsed:
        pass
    return state["x"].reshape(shape).astype(np.float32)


def projected_lbfgs(value_and_grad: ValueAndGrad, start: np.ndarray, evaluations: int, history: int = 10,
                    first_step: float | None = None) -> np.ndarray:
    """L-BFGS kept in the box [0, 1] by projection, in numpy: :func:`lbfgs` without scipy's set-up.

    scipy's L-BFGS-B spends pure-Python loops over every pixel value setting up its bounds on each
    call (0.32 s at 256 px in scipy 1.17, two tutorial steps on a fast CPU). Here, each iteration:
    the values at a bound whose gradient pushes outwards are frozen; the two-loop recursion over the
    last ``history`` curvature pairs (s, y) gives the direction on the others; the trial point is
    ``clip(x + t d, 0, 1)`` with t = 1 (the first iteration: the gradient, capped so that no value
    moves more than ``first_step``), cut by 0.3 until the loss falls enough (Armijo, 1e-4); a pair
    is kept when s.y > 0. Per evaluation it reached the same losses as :func:`lbfgs` within about
    1.5 % either way on three bundled pairs (docs/performance.md).

    Args / Returns: as :func:`lbfgs`.
    """
    shape = start.shape
    calls = 0

    def evaluate(x: np.ndarray) -> tuple[float, np.ndarray]:
        nonlocal calls
        calls += 1
        total, grad = value_and_grad(x.reshape(shape).astype(np.float32))
        return float(total), np.asarray(grad, dtype=np.float64).ravel()

    x = np.clip(start, 0.0, 1.0).astype(np.float64).ravel()
    if evaluations < 1:
        return x.reshape(shape).astype(np.float32)
    total, grad = evaluate(x)
    pairs: list[tuple[np.ndarray, np.ndarray, float]] = []  # (s, y, 1 / s.y), oldest first
    while calls < evaluations:
        free = ~(((x <= 0.0) & (grad > 0)) | ((x >= 1.0) & (grad < 0)))
        direction = -(grad * free)
        if pairs:
            coefficients = []
            for s, y, rho in reversed(pairs):
                a = rho * float(s @ direction)
                direction -= a * y
                coefficients.append(a)
            s, y, _ = pairs[-1]
            direction *= float(s @ y) / float(y @ y)
            for (s, y, rho), a in zip(pairs, reversed(coefficients)):
                direction += (a - rho * float(y @ direction)) * s
            direction *= free
            if float(direction @ grad) >= 0.0:  # not downhill (curvature gone stale): start afresh
                direction, pairs = -(grad * free), []
        if not pairs:
            largest = float(np.max(np.abs(direction))) if direction.size else 0.0
            if largest == 0.0:
                break  # nothing can move: a stationary point of the box
            if first_step is not None and largest > first_step:  # as lbfgs: cap the first trial, never enlarge it
                direction *= first_step / largest
        step = 1.0
        while True:
            trial = np.clip(x + step * direction, 0.0, 1.0)
            trial_total, trial_grad = evaluate(trial)
            if trial_total <= total + 1e-4 * float(grad @ (trial - x)) or calls >= evaluations:
                break
            step *= 0.3
        if trial_total > total:
            break  # the evaluations ran out inside the line search: keep the better point
        s, y = trial - x, trial_grad - grad
        if float(s @ y) > 1e-12 * float(y @ y):
            pairs = (pairs + [(s, y, 1.0 / float(s @ y))])[-history:]
        x, total, grad = trial, trial_total, trial_grad
    return x.reshape(shape).astype(np.float32)


def stage_sizes(size: int, coarse_to_fine: Any = None) -> list[int]:
    """The longest sides (px) of the optimisation stages, coarse to fine, ending with ``size``.

    Args:
        size: the final longest side, px.
        coarse_to_fine: None (auto: on from 256 px), True, False, or an explicit list of smaller
            sizes to go through first (e.g. ``[256, 512]`` for ``size=1024``).

    With True (or auto) the size is halved until it is at most 512 px (at least once, and not below
    32 px): 256 -> [128, 256], 512 -> [256, 512], 1024 -> [512, 1024], 2048 -> [512, 1024, 2048],
    64 -> [32, 64] (True only: auto leaves sizes below 256 px in one stage).
    """
    if coarse_to_fine is None:
        coarse_to_fine = size >= COARSE_TO_FINE_FROM
    if coarse_to_fine is False:
        return [size]
    if coarse_to_fine is True:
        sizes = [size]
        while sizes[0] > COARSE_TO_FINE_ABOVE or len(sizes) == 1:
            half = (sizes[0] + 1) // 2
            if half < SMALLEST_STAGE:
                break
            sizes.insert(0, half)
        return sizes
    earlier = [int(s) for s in coarse_to_fine]
    if any(b <= a for a, b in zip(earlier + [size], (earlier + [size])[1:])):
        raise ValueError(f"coarse_to_fine sizes must increase and stay below size={size}; got {earlier}.")
    return earlier + [size]


def split_steps(steps: int, stages: int) -> list[int]:
    """Split ``steps`` evaluations over at most ``stages`` stages, coarse ones getting more (2^k:...:2:1).

    Returns one count >= 1 per stage kept (fewer stages than asked when ``steps < stages``; the
    finest stages are kept), summing to ``steps``.
    """
    stages = min(stages, steps)
    weights = np.array([2.0 ** (stages - 1 - i) for i in range(stages)])
    counts = np.maximum(1, np.floor(steps * weights / weights.sum())).astype(int)
    counts[-1] += steps - counts.sum()
    while counts[-1] < 1:  # only for tiny step counts: take from the largest
        counts[np.argmax(counts)] -= 1
        counts[-1] += 1
    return [int(c) for c in counts]


def stage_deadlines(budget_s: float | None, counts: list[int], pixels: list[int]) -> list[float | None]:
    """When each stage must end (seconds since the run started) for a time budget shared like the work.

    Each stage's share of ``budget_s`` is its evaluations times its pixel count (one evaluation's cost
    grows with the pixels), so coarse stages get the share their steps need and the last stage's
    deadline is the whole budget. None (no budget) gives None for every stage.

    Args:
        budget_s: the run's time budget in seconds, or None.
        counts: evaluations per stage, coarse to fine.
        pixels: pixels (H * W) of each stage's picture.
    """
    if budget_s is None:
        return [None] * len(counts)
    work = np.cumsum([float(c) * float(p) for c, p in zip(counts, pixels)])
    deadlines = [float(budget_s) * w / work[-1] for w in work]
    deadlines[-1] = float(budget_s)  # exactly the budget, whatever the rounding
    return deadlines


class StageDone(Exception):
    """Ends a coarse stage whose share of the time budget is used up; the run goes on with the next stage."""


class RunStopped(Exception):
    """Ends a run early; ``reason`` is a key of :data:`STOP_REASONS`, ``detail`` a sentence about it.

    ``error`` is the exception that caused it (for ``"callback_error"``), else None.
    """

    def __init__(self, reason: str, detail: str = "", error: BaseException | None = None):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.error = error


def stop_message(reason: str | None, evaluations: int, seconds: float, best_step: int | None,
                 best_total: float | None, detail: str = "", optimizer: str = "lbfgs",
                 time_budget_s: float | None = None) -> str:
    """The one or two sentences that describe how a run ended (``StyleTransferResult.message``).

    Args:
        reason: None (finished) or a key of :data:`STOP_REASONS`.
        evaluations: loss-and-gradient evaluations done; ``seconds``: how long they took.
        best_step, best_total: the step (1-based) and total loss of the picture returned (None: no
            step finished, the starting picture is returned).
        detail: what went wrong (for ``"diverged"`` and ``"callback_error"``).
        optimizer: ``"lbfgs"``, ``"projected_lbfgs"`` or ``"adam"``; ``time_budget_s``: the budget, for ``"time_budget"``.
    """
    name = {"lbfgs": "L-BFGS", "adam": "Adam", "projected_lbfgs": "projected L-BFGS"}.get(optimizer, optimizer)
    done = f"{evaluations} evaluation(s) ({name}) in {seconds:.1f} s"
    best = (f"best total loss {best_total:.4g} at step {best_step}" if best_step is not None
            else "no step finished, so the starting picture is returned")
    if reason is None:
        return f"Finished {done}; {best}."
    why = STOP_REASONS[reason]
    if reason == "time_budget" and time_budget_s is not None:
        why = f"Stopped: the time budget of {time_budget_s:g} s was used up"
    elif reason in ("diverged", "callback_error") and detail:
        why = f"Stopped: {detail}"
    advice = {
        "diverged": " Lower style_weight/content_weight, or use optimizer='lbfgs'; the last good picture was kept.",
        "callback_error": " Fix the function that raised; result.error holds its exception.",
    }.get(reason, "")
    return f"{why} after {done}; {best}; returning the best picture so far.{advice}"


class RunRecorder:
    """History, best picture, callback and stop conditions of one run, around every evaluation.

    Args:
        steps: evaluations in the whole run (all stages).
        callback: ``callback(step, picture, record)`` every ``callback_every`` evaluations and after
            the last; ``picture`` is the best so far as shown (see ``show``).
        callback_every: see ``callback``.
        should_stop: polled after every evaluation; True ends the run (``"stop"``).
        time_budget_s: seconds; the run ends after the first evaluation that finishes later.
        progress: show a tqdm progress bar.

    :meth:`wrap` turns an objective's ``evaluate``/``record`` into the ``value_and_grad`` the
    optimisers take; it raises :class:`RunStopped` to end the run. An exception raised by
    ``callback`` or ``should_stop`` ends the run as ``"callback_error"`` (the exception is kept in
    ``error``); ``KeyboardInterrupt`` passes through (Ctrl-C).
    """

    def __init__(self, steps: int, callback: Callable[[int, np.ndarray, dict], Any] | None = None,
                 callback_every: int = 10, should_stop: Callable[[], bool] | None = None,
                 time_budget_s: float | None = None, progress: bool = False):
        self.steps, self.callback, self.callback_every = steps, callback, callback_every
        self.should_stop, self.time_budget_s = should_stop, time_budget_s
        self.history: list[dict[str, Any]] = []
        self.step = 0
        self.best_total = math.inf
        self.best_image: np.ndarray | None = None
        self.best_step: int | None = None
        self.stopped: str | None = None
        self.detail = ""
        self.error: BaseException | None = None
        self.start = time.perf_counter()
        self._first_total: float | None = None
        self._stage_size = 0
        self._stage_deadline_s: float | None = None
        self._last_stage = True
        self._show: Callable[[np.ndarray], np.ndarray] = lambda picture: picture
        self._bar = None
        if progress:
            from tqdm.auto import tqdm  # lazy: only when a bar is asked for

            self._bar = tqdm(total=steps, unit="eval", desc="stylize", leave=True)

    def begin_stage(self, stage_size: int, show: Callable[[np.ndarray], np.ndarray] | None = None,
                    deadline_s: float | None = None, last: bool = True) -> None:
        """A new stage of ``stage_size`` px: best picture and divergence reference restart at this scale.

        ``show(picture) -> picture`` turns the optimised picture into the one the callback sees
        (luminance mode puts the photo's colours back). ``deadline_s`` (seconds since the run
        started; see :func:`stage_deadlines`) ends a stage that is not the ``last`` with
        :class:`StageDone` after its first evaluation that finishes later; the last stage's
        deadline is the run's time budget. Every stage does at least one evaluation.
        """
        self._stage_size = stage_size
        self._stage_deadline_s, self._last_stage = deadline_s, last
        self._show = show or (lambda picture: picture)
        self.best_total, self._first_total = math.inf, None

    def _check(self, total: float, terms: np.ndarray, grad: np.ndarray) -> None:
        step = self.step + 1
        if not (math.isfinite(total) and np.all(np.isfinite(terms)) and np.all(np.isfinite(grad))):
            what = "NaN" if (math.isnan(total) or np.isnan(terms).any()) else "infinite"
            if math.isfinite(total) and np.all(np.isfinite(terms)):
                what += " gradient"
            raise RunStopped("diverged", f"the loss became {what} at step {step}")
        if self._first_total is not None and total > EXPLODE_FACTOR * max(self._first_total, 1e-30):
            raise RunStopped("diverged", f"the loss exploded at step {step} ({total:.4g}, "
                                         f"{total / self._first_total:.3g} times the stage's first)")

    def _call_user(self, what: str, function: Callable, *args: Any) -> Any:
        try:
            return function(*args)
        except (KeyboardInterrupt, RunStopped):
            raise
        except Exception as exc:  # noqa: BLE001 - any error of the user's function ends the run, keeps the picture
            raise RunStopped("callback_error", f"{what} raised {type(exc).__name__}: {exc}", exc) from exc

    def wrap(self, evaluate: Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]],
             record: Callable[[np.ndarray], dict[str, Any]]) -> ValueAndGrad:
        """``value_and_grad(picture)`` for the optimisers: evaluates, checks, records, calls back, stops."""

        def value_and_grad(image: np.ndarray) -> tuple[float, np.ndarray]:
            total, terms, grad = evaluate(image)
            self._check(total, terms, grad)
            self.step += 1
            entry = {"step": self.step, "seconds": time.perf_counter() - self.start, **record(terms),
                     "stage_size": self._stage_size}
            self.history.append(entry)
            if self._first_total is None:
                self._first_total = total
            if entry["total"] < self.best_total:
                self.best_total, self.best_step = entry["total"], self.step
                self.best_image = np.array(image, dtype=np.float32, copy=True)
            if self._bar is not None:
                self._bar.update(1)
                self._bar.set_postfix(loss=f"{entry['total']:.4g}", refresh=False)
            if self.callback is not None and (self.step % self.callback_every == 0 or self.step == self.steps):
                self._call_user("the callback", self.callback, self.step, self._show(self.best_image), entry)
            if self.should_stop is not None and self._call_user("should_stop", self.should_stop):
                raise RunStopped("stop")
            if self._last_stage and self.time_budget_s is not None and entry["seconds"] >= self.time_budget_s:
                raise RunStopped("time_budget")
            if not self._last_stage and self._stage_deadline_s is not None and entry["seconds"] >= self._stage_deadline_s:
                raise StageDone()
            return total, grad

        return value_and_grad

    def stop(self, reason: str, detail: str = "", error: BaseException | None = None) -> None:
        """Note why the run ended early."""
        self.stopped, self.detail, self.error = reason, detail, error

    def close(self) -> None:
        """Close the progress bar (if any)."""
        if self._bar is not None:
            self._bar.close()

    def message(self, optimizer: str) -> str:
        """:func:`stop_message` for this run."""
        return stop_message(self.stopped, self.step, time.perf_counter() - self.start, self.best_step,
                            self.best_total if self.best_step is not None else None, self.detail, optimizer,
                            self.time_budget_s)
