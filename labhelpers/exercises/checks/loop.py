"""Checkers of lesson 05's loop (05_optimization, section 3): the student writes the ``for`` loop.

``check_optimization_loop(optimization_loop)`` runs the student's
``optimization_loop(step, image, loss_fn, optimizer, steps, view)`` on a small random problem
(a picture of random size, a quadratic loss, a fresh Adam, a random number of steps and of
``view.every``) with a watched model step and a recording view, and names what the loop does
wrong: too few or too many steps, a new picture or a new optimiser inside the loop, no or other
losses returned, the picture or the curves never shown (or not after the last step), shown at
every step when ``view.every`` says otherwise.

``check_loop_ran(result, steps)`` judges the real run in the notebook afterwards: all the steps
ran, the losses are finite and the loss came down.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from labhelpers.config import import_tensorflow
from labhelpers.exercises.checks import fallbacks
from labhelpers.exercises.checks.core import (
    CheckFailed,
    Diagnosis,
    NotImplementedYet,
    call_student,
    check_function,
    expect_calls,
    near,
    on_input,
    register_reference,
    registered_reference,
    repeat_text,
    run_check,
)

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

__all__ = ["check_optimization_loop", "check_loop_ran", "RecordingView"]

_CALL = "optimization_loop(step, image, loss_fn, optimizer, steps, view)"
_HINT = (
    "for number in range(1, steps + 1): loss = step(image, loss_fn, optimizer); append "
    "float(loss) to the list; every view.every steps and after the last one call "
    "view.show_picture(image, number) and view.show_curves(losses, image); return the list"
)


@dataclass
class RecordingView:
    """Stands in for :class:`labhelpers.lessons.l05_optimization.LoopView` in the check: it
    records what the loop shows (steps done, and the losses given to the curves)."""

    every: int
    steps: int
    pictures: list[int] = field(default_factory=list)
    curves: list[list[float]] = field(default_factory=list)
    done: Callable[[], int] = lambda: 0

    def show_picture(self, image: Any, number: int) -> None:
        np.asarray(tf.convert_to_tensor(image))  # a picture, as the real view needs
        self.pictures.append(self.done())

    def show_curves(self, losses: Sequence[Any], image: Any = None) -> None:
        self.curves.append([float(value) for value in losses])


@dataclass
class _Calls:
    """What the watched step saw: the picture, loss function and optimiser of each call, and
    the loss it returned."""

    images: list[Any] = field(default_factory=list)
    optimizers: list[Any] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)


def _same_variable(a: Any, b: Any) -> bool:
    return a is b or (
        isinstance(a, tf.Variable) and isinstance(b, tf.Variable) and a.handle is b.handle
    )


def _problem(rng: np.random.Generator) -> tuple[tf.Variable, Callable, Any, int, int]:
    """(picture, loss_fn, optimizer, steps, every) of one random case."""
    height, width = int(rng.integers(4, 8)), int(rng.integers(4, 8))
    target = tf.constant(rng.uniform(0.0, 1.0, (1, height, width, 3)).astype(np.float32))
    picture = tf.Variable(rng.uniform(0.0, 1.0, (1, height, width, 3)).astype(np.float32))

    def loss_fn(x: Any) -> tf.Tensor:
        return tf.reduce_sum(tf.square(x - target))

    every = int(rng.integers(2, 4))
    # not a multiple of every: a loop that forgets to show the last step's picture is seen
    steps = every * int(rng.integers(2, 4)) + int(rng.integers(1, every))
    return picture, loss_fn, tf.keras.optimizers.Adam(0.05), steps, every


def _judge_inputs(calls: _Calls, image: tf.Variable, optimizer: Any) -> None:
    """:class:`CheckFailed` when step got another picture or optimiser than those passed in."""
    if not all(_same_variable(given, image) for given in calls.images):
        raise CheckFailed(
            Diagnosis(
                "your loop gave step another picture than `image` (a new tf.Variable?): each "
                "step must continue from the last, and the picture passed in must be the one "
                "that changes",
                "pass `image` itself to step every time; make no new Variable in the loop",
            )
        )
    if not all(given is optimizer for given in calls.optimizers):
        raise CheckFailed(
            Diagnosis(
                "your loop gave step another optimiser than the one passed in (a new one per "
                "step?): Adam's running averages must carry over from step to step",
                "pass `optimizer` itself to step every time",
            )
        )


def _judge(
    calls: _Calls, view: RecordingView, losses: Any, image: tf.Variable, optimizer: Any
) -> None:
    steps, every = view.steps, view.every
    count = len(calls.losses)
    if count == 0:
        raise CheckFailed(
            Diagnosis("your loop never called step", "call step(image, loss_fn, optimizer) in it")
        )
    if count != steps:
        why = " (range(steps) from 0 and range(1, steps + 1) both run steps times)"
        raise CheckFailed(
            Diagnosis(
                f"your loop called step {count} times for steps={steps}{why}",
                "one call of step per step: for number in range(1, steps + 1)",
            )
        )
    _judge_inputs(calls, image, optimizer)
    if losses is None:
        raise CheckFailed(
            Diagnosis("your loop returned None", "return the list of the steps' losses")
        )
    try:
        values = [float(value) for value in losses]
    except (TypeError, ValueError):
        raise CheckFailed(
            Diagnosis(
                f"your loop returned a {type(losses).__name__}, not a list of losses",
                "return the list of the losses step returned, as floats",
            )
        ) from None
    if len(values) != count or not all(near(a, b, 1e-5) for a, b in zip(values, calls.losses)):
        raise CheckFailed(
            Diagnosis(
                f"your loop returned {len(values)} losses that are not the {count} step returned",
                "append the value step returns (the loss before its update), once per step",
            )
        )
    if not view.pictures:
        raise CheckFailed(Diagnosis("your loop never called view.show_picture", _HINT))
    if not view.curves:
        raise CheckFailed(Diagnosis("your loop never called view.show_curves", _HINT))
    if view.pictures[-1] != steps or len(view.curves[-1]) != steps:
        raise CheckFailed(
            Diagnosis(
                "your loop does not show the picture and the curves after the last step (the "
                "picture the loop ends with)",
                "show them when number % view.every == 0 *or* number == steps",
            )
        )
    if not all(near(a, b, 1e-5) for a, b in zip(view.curves[-1], calls.losses)):
        raise CheckFailed(
            Diagnosis(
                "view.show_curves was not given the list of the losses so far",
                "pass the list you append the losses to",
            )
        )
    wanted = len(set(range(every, steps + 1, every)) | {steps})
    if every > 1 and len(view.pictures) >= steps:
        raise CheckFailed(
            Diagnosis(
                f"your loop shows the picture at every step; view.every = {every} asks for "
                "every few steps (drawing a picture costs time the optimisation waits)",
                "if number % view.every == 0 or number == steps: ...",
            )
        )
    if len(view.pictures) < wanted:
        raise CheckFailed(
            Diagnosis(
                f"your loop showed the picture {len(view.pictures)} times in {steps} steps; "
                f"view.every = {every} asks for {wanted}",
                "if number % view.every == 0 or number == steps: ...",
            )
        )


def _body(fn: Callable[..., Any], seed: int) -> str:
    rng = np.random.default_rng(seed)
    cases = 2
    expect_calls(cases)
    for _ in range(cases):
        image, loss_fn, optimizer, steps, every = _problem(rng)
        calls = _Calls()

        def step(picture: Any, loss: Callable, opt: Any, calls: _Calls = calls) -> Any:
            calls.images.append(picture)
            calls.optimizers.append(opt)
            value = fallbacks.one_optimizer_step(picture, loss, opt)
            calls.losses.append(float(value))
            return value

        view = RecordingView(every=every, steps=steps, done=lambda calls=calls: len(calls.losses))
        details = (
            f"Input: a picture {tuple(image.shape)}, steps={steps}, view.every={every} "
            f"({repeat_text('optimization_loop', seed)})."
        )
        with on_input(details):
            try:
                losses = call_student(
                    fn, [step, image, loss_fn, optimizer, steps, view], call=_CALL
                )
            except CheckFailed:
                _judge_inputs(calls, image, optimizer)  # (Keras refuses a new Variable: say why)
                raise
            _judge(calls, view, losses, image, optimizer)
    return (
        "every step runs on the same picture with the same optimiser, the losses are returned, "
        "the picture and the curves are shown every view.every steps and at the end"
    )


def check_optimization_loop(
    fn: Optional[Callable[..., Any]], *, seed: Optional[int] = None
) -> bool:
    """Check a student's ``optimization_loop(step, image, loss_fn, optimizer, steps, view)``;
    print a verdict.

    Used by 05_optimization, section 3 (the loop).

    Args:
        fn: the student's loop. It gets a step function (as ``optimization_step``), the picture
            (a tf.Variable (1, H, W, 3)), the loss function, the optimiser, the number of steps
            and a view with ``every``, ``show_picture(image, number)`` and
            ``show_curves(losses, image)``; it should call the step ``steps`` times on that
            picture with that optimiser, show the picture and the curves every ``view.every``
            steps and after the last, and return the list of the losses. ``None`` counts as "not
            implemented yet".
        seed: seed of the random problems; ``None`` draws a fresh one.

    Returns:
        True if the loop does all that on two random problems.
    """
    return check_function("optimization_loop", fn, seed, _body)


def check_loop_ran(result: Any, steps: int, loop: Any = None) -> bool:
    """Judge the notebook's real run of the loop; print a verdict.

    Used by 05_optimization, section 3, after the loop.

    Args:
        result: the :class:`~labhelpers.lessons.l05_optimization.LoopResult` of
            ``view.result(image, loss_fn)``.
        steps: the steps asked for.
        loop: the loop that made the run (the notebook's ``optimization_loop``); when it is the
            lab's reference (the student's did not pass :func:`check_optimization_loop`), the
            run is not the student's and counts as not done ("missing").

    Returns:
        True if all ``steps`` ran with the student's loop, the losses are finite and the loss
        came down.
    """

    def body() -> str:
        if loop is not None and loop is registered_reference(check_optimization_loop):
            raise NotImplementedYet  # the lab's loop ran: nothing of the student's to judge
        losses = list(getattr(result, "losses", []))
        if len(losses) != steps:
            raise CheckFailed(
                Diagnosis(
                    f"the loop's view saw {len(losses)} losses for {steps} steps",
                    "call view.show_curves(losses, image) after the last step too (or the loop "
                    "was interrupted: run it again)",
                )
            )
        values = np.array(losses + [result.final_loss], np.float64)
        if not np.all(np.isfinite(values)):
            raise CheckFailed(
                Diagnosis("the loss became NaN or inf", "look at the step and the loss terms")
            )
        if not values[-1] < values[0]:
            raise CheckFailed(
                Diagnosis(
                    f"the loss did not come down: {values[0]:.4g} before the first step, "
                    f"{values[-1]:.4g} after the last",
                    "the step must go against the gradient (check_optimization_step)",
                )
            )
        return (
            f"{steps} steps ran; the loss came down from {values[0]:.4g} to {values[-1]:.4g} "
            f"({values[-1] / values[0]:.0%} of the start)"
        )

    return run_check("loop_ran", body)


register_reference(check_optimization_loop, fallbacks.repeat_steps)
