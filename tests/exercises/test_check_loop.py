"""Lesson 05's loop written by the student: check_optimization_loop names what a loop does wrong,
and check_loop_ran judges the real run (LoopView, the helpers the loop calls, is tested in
tests/lessons/test_loop_view.py).

The student-style loops are written here by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from labhelpers.exercises import solutions
from labhelpers.exercises.checks import check_loop_ran, check_optimization_loop
from labhelpers.lessons.l05_optimization import LoopResult

from .helpers import verdict


def loop_while(step, image, loss_fn, optimizer, steps, view):
    losses, number = [], 0
    while number < steps:
        number += 1
        losses.append(step(image, loss_fn, optimizer))  # tensors: the list is still the losses
        if number % view.every == 0 or number == steps:
            view.show_picture(image, number)
            view.show_curves(losses, image)
    return losses


def loop_from_zero(step, image, loss_fn, optimizer, steps, view):
    losses = []
    for i in range(steps):
        losses.append(float(step(image, loss_fn, optimizer)))
        if (i + 1) % view.every == 0 or i == steps - 1:
            view.show_picture(image, i + 1)
            view.show_curves(losses, image)
    return losses


RIGHT = [solutions.optimization_loop, loop_while, loop_from_zero]


@pytest.mark.parametrize("fn", RIGHT, ids=lambda f: f.__name__)
def test_right_loops_pass(capsys, fn):
    passed, out = verdict(capsys, check_optimization_loop, fn, seed=0)
    assert passed, out
    assert out.startswith("✅ optimization_loop")


def test_no_false_verdict_over_seeds(capsys):
    for fn in RIGHT:
        for seed in range(12):
            passed, out = verdict(capsys, check_optimization_loop, fn, seed=seed)
            assert passed and "❌" not in out and "⚠️" not in out, (fn.__name__, seed, out)


def make(
    *,
    count=lambda steps: range(1, steps + 1),
    fresh_image=False,
    fresh_optimizer=False,
    record=lambda loss, image, loss_fn: float(loss),
    picture=True,
    curves=True,
    shown=lambda number, steps, every: number % every == 0 or number == steps,
    give_back=True,
):
    """A student's loop with one thing changed (defaults: right)."""

    def optimization_loop(step, image, loss_fn, optimizer, steps, view):
        losses = []
        for number in count(steps):
            picture_now = tf.Variable(image) if fresh_image else image
            opt = tf.keras.optimizers.Adam(0.05) if fresh_optimizer else optimizer
            loss = step(picture_now, loss_fn, opt)
            losses.append(record(loss, picture_now, loss_fn))
            if shown(number, steps, view.every):
                if picture:
                    view.show_picture(picture_now, number)
                if curves:
                    view.show_curves(losses, picture_now)
        return losses if give_back else None

    return optimization_loop


WRONG = [
    (make(count=lambda steps: range(1, steps)), "called step"),
    (make(count=lambda steps: range(steps + 1)), "called step"),
    (make(count=lambda steps: []), "never called step"),
    (make(fresh_image=True), "another picture than `image`"),
    (make(fresh_optimizer=True), "another optimiser"),
    (make(give_back=False), "returned None"),
    (make(record=lambda loss, image, fn: float(fn(image))), "that are not the"),
    (make(picture=False), "never called view.show_picture"),
    (make(curves=False), "never called view.show_curves"),
    (make(shown=lambda number, steps, every: number % every == 0), "after the last step"),
    (make(shown=lambda number, steps, every: True), "at every step"),
    (make(shown=lambda number, steps, every: number == steps), "asks for"),
]


@pytest.mark.parametrize("fn, words", WRONG, ids=[f"{i}:{w}" for i, (_, w) in enumerate(WRONG)])
def test_each_mistake_gets_its_diagnosis(capsys, fn, words):
    passed, out = verdict(capsys, check_optimization_loop, fn, seed=1)
    assert not passed
    assert out.startswith("❌ optimization_loop"), out
    assert words in out, out
    assert "check_optimization_loop(optimization_loop, seed=1)" in out


def test_mistakes_are_named_on_every_seed(capsys):
    for seed in range(6):
        for fn, words in WRONG:
            passed, out = verdict(capsys, check_optimization_loop, fn, seed=seed)
            assert not passed and words in out, (words, seed, out)


# --------------------------------------------------------------------------- the real run


def _result(losses, final):
    return LoopResult(
        image=np.zeros((2, 2, 3), np.float32), best_step=0, losses=losses, final_loss=final
    )


@pytest.mark.parametrize(
    "losses, final, steps, passed, words",
    [
        ([5.0, 4.0, 3.0], 2.5, 3, True, "came down from 5 to 2.5 (50% of the start)"),
        ([5.0, 4.0], 3.0, 3, False, "saw 2 losses for 3 steps"),
        ([5.0, 6.0, 7.0], 8.0, 3, False, "did not come down"),
        ([5.0, float("nan"), 7.0], 1.0, 3, False, "NaN or inf"),
    ],
)
def test_check_loop_ran(capsys, losses, final, steps, passed, words):
    assert check_loop_ran(_result(losses, final), steps) is passed
    out = capsys.readouterr().out
    assert out.startswith("✅" if passed else "❌") and words in out, out


def test_a_run_of_the_labs_own_loop_is_not_the_students(capsys):
    """After use_if_correct swapped in the reference loop, the run is not the student's: it is
    recorded as not done, not as passed (the grade command reads that verdict)."""
    from labhelpers.exercises.checks.core import registered_reference

    good = _result([5.0, 4.0, 3.0], 2.5)
    reference = registered_reference(check_optimization_loop)
    assert check_loop_ran(good, 3, loop=reference) is False
    assert capsys.readouterr().out.startswith("⏳ loop_ran")
    assert check_loop_ran(good, 3, loop=solutions.optimization_loop) is True  # a passed loop


def returns_a_dict(step, image, loss_fn, optimizer, steps, view):
    losses = solutions.optimization_loop(step, image, loss_fn, optimizer, steps, view)
    return {"losses": losses}


def curves_of_the_last_loss(step, image, loss_fn, optimizer, steps, view):
    losses = []
    for number in range(1, steps + 1):
        losses.append(float(step(image, loss_fn, optimizer)))
        if number % view.every == 0 or number == steps:
            view.show_picture(image, number)
            view.show_curves(losses[-1:] * number, image)  # the right length, wrong values
    return losses


@pytest.mark.parametrize(
    "fn, words",
    [
        (returns_a_dict, "not a list of losses"),
        (curves_of_the_last_loss, "was not given the list of the losses so far"),
    ],
    ids=["dict", "curves"],
)
def test_the_other_diagnoses(capsys, fn, words):
    passed, out = verdict(capsys, check_optimization_loop, fn, seed=1)
    assert not passed and out.startswith("❌ optimization_loop"), out
    assert words in out, out
