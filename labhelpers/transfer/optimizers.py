"""The optimisers of style transfer, and their one registry.

* :func:`adam`: the package's only Adam (numpy, in pixel units, the picture kept in a box).
  The lessons' VGG-free optimisations (``tv_denoise``, reconstructions) call it too.
* :func:`lbfgs`: scipy's L-BFGS-B with the box [0, 1] for every pixel; every loss-and-gradient
  evaluation, line-search trials included, counts as a step.
* :func:`projected_lbfgs`: the same idea in numpy, the box kept by projection (no scipy set-up).
* :data:`OPTIMIZERS`: name -> :class:`Optimizer` (label, function). The settings' choices, the
  run's dispatch (:func:`run_optimizer`), the runner's status line and the panel's buttons all
  read it, and :data:`DEFAULT_OPTIMIZER` is the settings' default (and so the panel's).

The stages of coarse to fine are in :mod:`labhelpers.transfer.stages`, the bookkeeping of a run
(history, best picture, stopping) in :mod:`labhelpers.transfer.record`.

Every optimiser takes ``value_and_grad(x) -> (loss, gradient)`` with ``x`` and the gradient
arrays of one shape; an exception raised inside it (for example
:class:`~labhelpers.transfer.record.RunStopped`) ends the optimiser and propagates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ADAM_LEARNING_RATE",
    "ValueAndGrad",
    "Optimizer",
    "OPTIMIZERS",
    "DEFAULT_OPTIMIZER",
    "optimizer_label",
    "run_optimizer",
    "adam",
    "lbfgs",
    "projected_lbfgs",
]

#: Adam's learning rate for style transfer: the largest change of a pixel value per step is about
#: this much.
ADAM_LEARNING_RATE = 0.02
ADAM_BETAS = (0.9, 0.999)
ADAM_EPSILON = 1e-8


ValueAndGrad = Callable[[np.ndarray], tuple[float, np.ndarray]]


def adam(
    value_and_grad: ValueAndGrad,
    start: np.ndarray,
    steps: int,
    learning_rate: float = ADAM_LEARNING_RATE,
    bounds: tuple[float, float] = (0.0, 1.0),
    betas: tuple[float, float] = ADAM_BETAS,
    epsilon: float = ADAM_EPSILON,
) -> np.ndarray:
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
    # None means "no bound"; -inf/+inf rather than None because NumPy 1.x's clip refuses
    # (None, None)
    low, high = (
        (-np.inf if bounds[0] is None else bounds[0]),
        (np.inf if bounds[1] is None else bounds[1]),
    )
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
    """Raised inside :func:`lbfgs`'s wrapper when its evaluations are used up (never
    leaves lbfgs)."""


def lbfgs(
    value_and_grad: ValueAndGrad,
    start: np.ndarray,
    evaluations: int,
    history: int = 10,
    first_step: float | None = None,
) -> np.ndarray:
    """Minimise with scipy's L-BFGS-B inside the box [0, 1] for exactly ``evaluations``
    evaluations.

    scipy may end early (converged, or a line search that cannot improve); it is then restarted
    from its last point while evaluations remain and it still makes progress.

    The first step. With bounds, scipy's first trial step is the whole gradient (step length 1),
    whatever its size: for style transfer's normalised losses that moves pixel values by far more
    than their range, the trial picture is clipped to coloured noise and its loss jumps 10-40 times
    before the line search cuts the step back (with large weights on small pictures: the panel's
    preview showed coloured noise and a loss 40 times the start's). ``first_step`` caps it: when
    the gradient at the start has a value larger than ``first_step``, the loss (and gradient) that
    scipy sees is multiplied by ``first_step / max|gradient at the start|``, so the first trial
    step changes no pixel value by more than ``first_step``; a smaller gradient is left alone.
    L-BFGS's later steps do not depend on the loss's scale (its curvature estimate scales with it),
    so only the first step changes. (A tighter cap, 0.05, made the first 8 steps at 256 px up
    to 20 % slower with the default weights; from about 18 steps on the losses were the same.)

    Args:
        value_and_grad: ``f(x) -> (loss, gradient)`` for ``x`` of ``start``'s shape, float32.
        start: the first ``x`` (values outside [0, 1] are clipped).
        evaluations: the most calls of ``value_and_grad``.
        history: how many curvature pairs L-BFGS keeps (scipy's ``maxcor``).
        first_step: the largest change of one value in the first trial step (for pictures
            in [0, 1], e.g. 0.5); None: scipy's own first step (the whole gradient).

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
            state["scale"] = (
                min(1.0, first_step / largest) if first_step is not None and largest > 0 else 1.0
            )
        return float(total) * state["scale"], grad * state["scale"]

    try:
        while state["calls"] < evaluations:
            before = state["calls"]
            result = minimize(
                fun,
                state["x"],
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={
                    "maxfun": 10**9,
                    "maxiter": 10**9,
                    "maxcor": history,
                    "ftol": 0.0,
                    "gtol": 0.0,
                },
            )
            state["x"] = result.x
            if state["calls"] - before < 3:
                break  # converged: a restart makes no progress
    except _EvaluationsUsed:
        pass
    return state["x"].reshape(shape).astype(np.float32)


def projected_lbfgs(
    value_and_grad: ValueAndGrad,
    start: np.ndarray,
    evaluations: int,
    history: int = 10,
    first_step: float | None = None,
) -> np.ndarray:
    """L-BFGS kept in the box [0, 1] by projection, in numpy: :func:`lbfgs` without scipy's set-up.

    scipy's L-BFGS-B spends pure-Python loops over every pixel value setting up its bounds on each
    call (0.32 s at 256 px in scipy 1.17, two tutorial steps on a fast CPU). Here, each iteration:
    the values at a bound whose gradient pushes outwards are frozen; the two-loop recursion over
    the last ``history`` curvature pairs (s, y) gives the direction on the others; the trial point
    is ``clip(x + t d, 0, 1)`` with t = 1 (the first iteration: the gradient, capped so that no
    value moves more than ``first_step``), cut by 0.3 until the loss falls enough (Armijo, 1e-4);
    a pair is kept when s.y > 0. Per evaluation it reached the same losses as :func:`lbfgs` within
    about 1.5 % either way on three bundled pairs (docs/performance.md).

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
            if (
                first_step is not None and largest > first_step
            ):  # as lbfgs: cap the first trial, never enlarge it
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


@dataclass(frozen=True)
class Optimizer:
    """One entry of the registry: what a front end shows and what a run calls.

    Attributes:
        name: the settings' value (``optimizer="lbfgs"``).
        label: the name people read (status lines, the panel's buttons).
        about: a few words for the command line's help.
        minimize: ``minimize(value_and_grad, start, evaluations, history, first_step)`` returns
            the last picture; ``history`` and ``first_step`` are the L-BFGS settings (Adam
            ignores them).
    """

    name: str
    label: str
    about: str
    minimize: Callable[[ValueAndGrad, np.ndarray, int, int, float | None], np.ndarray]


#: Every optimiser a run can use, by the name the settings take, in the order menus list them.
OPTIMIZERS: dict[str, Optimizer] = {
    entry.name: entry
    for entry in (
        Optimizer(
            "lbfgs",
            "L-BFGS",
            "scipy's L-BFGS-B, fastest to a good picture",
            lambda f, x, n, history, first: lbfgs(f, x, n, history, first),
        ),
        Optimizer(
            "adam",
            "Adam",
            "in pixel units, a steady small change per step",
            lambda f, x, n, _history, _first: adam(f, x, n),
        ),
        Optimizer(
            "projected_lbfgs",
            "projected L-BFGS",
            "L-BFGS in numpy, no scipy set-up per run",
            lambda f, x, n, history, first: projected_lbfgs(f, x, n, history, first),
        ),
    )
}
#: The settings' default optimiser (``TransferSettings.optimizer``), and so the panel's.
DEFAULT_OPTIMIZER = "lbfgs"


def optimizer_label(name: str) -> str:
    """The readable name of optimiser ``name`` (``"lbfgs"`` -> ``"L-BFGS"``); unknown names as
    given."""
    entry = OPTIMIZERS.get(name)
    return entry.label if entry is not None else name


def run_optimizer(
    name: str,
    value_and_grad: ValueAndGrad,
    start: np.ndarray,
    evaluations: int,
    history: int = 10,
    first_step: float | None = 0.5,
) -> np.ndarray:
    """Run the registered optimiser ``name`` for ``evaluations`` evaluations from ``start``.

    Args:
        name: a key of :data:`OPTIMIZERS`.
        value_and_grad: ``x -> (loss, gradient)``, arrays of ``start``'s shape.
        start: the first picture, float32 values in [0, 1].
        evaluations: loss-and-gradient evaluations to spend.
        history, first_step: L-BFGS's memory (pairs) and largest first step (see :func:`lbfgs`).

    Returns:
        The optimiser's last picture (the best one is kept by the run's recorder).

    Raises:
        ValueError: an unknown name; the message lists the registered ones.
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, not {name!r}.")
    return OPTIMIZERS[name].minimize(value_and_grad, start, evaluations, history, first_step)
