"""check_lbfgs_objective: right objectives pass on every seed, each usual mistake is named, and
the checker's truth (the NumPy value and gradient of its random loss) is checked by finite
differences.

The student-style objectives are written here by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from scipy.optimize import Bounds

from labhelpers.exercises import solutions
from labhelpers.exercises.checks import check_lbfgs_objective
from labhelpers.exercises.checks.lbfgs import random_problem

from .helpers import verdict


def _tape(loss_fn, picture):
    with tf.GradientTape() as tape:
        tape.watch(picture)
        loss = loss_fn(picture)
    return loss, tape.gradient(loss, picture)


def make(
    *,
    reshape=True,
    cast=tf.float32,
    tensor=True,
    gradient=lambda g: np.asarray(g, np.float64).ravel(),
    value=float,
    bounds=lambda n: Bounds(0.0, 1.0),
    swap=False,
    pair=True,
):
    """A student's lbfgs_objective with one thing changed (all defaults: right)."""

    def lbfgs_objective(loss_fn, shape):
        n = int(np.prod(shape))

        def objective(x):
            picture = np.reshape(x, shape) if reshape else x
            picture = tf.constant(picture, cast) if tensor else picture.astype(np.float32)
            if tensor:
                loss, grad = _tape(loss_fn, picture)
            else:
                loss, grad = loss_fn(picture), np.zeros(n)
            result = (value(loss), gradient(grad))
            return result[::-1] if swap else result

        return (objective, bounds(n)) if pair else objective

    return lbfgs_objective


def with_variable(loss_fn, shape):
    """Right, another way: a tf.Variable reused across calls, bounds as a list of pairs."""
    picture = tf.Variable(tf.zeros(shape))

    def objective(x):
        picture.assign(x.reshape(shape).astype(np.float32))
        with tf.GradientTape() as tape:
            loss = loss_fn(picture)
        return loss.numpy().astype(np.float64), tape.gradient(
            loss, picture
        ).numpy().ravel().astype(np.float64)

    return objective, [(0, 1)] * int(np.prod(shape))


RIGHT = [solutions.lbfgs_objective, with_variable, make(value=lambda loss: loss.numpy())]


@pytest.mark.parametrize("fn", RIGHT, ids=["solution", "with_variable", "numpy_value"])
def test_right_objectives_pass(capsys, fn):
    passed, out = verdict(capsys, check_lbfgs_objective, fn, seed=0)
    assert passed, out
    assert out.startswith("✅ lbfgs_objective")


def test_no_false_verdict_over_seeds(capsys):
    for fn in RIGHT:
        for seed in range(8):
            passed, out = verdict(capsys, check_lbfgs_objective, fn, seed=seed)
            assert passed and "❌" not in out and "⚠️" not in out, (seed, out)


def test_the_checkers_truth_is_the_derivative_of_its_value():
    """Central differences of LossProblem.value against LossProblem.gradient (float64 math)."""
    rng = np.random.default_rng(5)
    for _ in range(3):
        problem = random_problem(rng)
        x = rng.uniform(0.0, 1.0, problem.size).astype(np.float32).astype(np.float64)
        step = 1e-3
        for index in rng.choice(problem.size, 5, replace=False):
            e = np.zeros(problem.size)
            e[index] = step
            # value() rounds to float32: compare on a grid where that rounding is exact enough
            numeric = (problem.value(x + e) - problem.value(x - e)) / (2 * step)
            assert numeric == pytest.approx(problem.gradient(x)[index], rel=2e-3, abs=2e-3)
        # and the float32 TensorFlow loss the student gets agrees with the NumPy value
        loss = problem.loss_fn(tf.constant(x.reshape(problem.shape), tf.float32))
        assert float(loss) == pytest.approx(problem.value(x), rel=1e-5)


WRONG = [
    (make(gradient=lambda g: np.asarray(g, np.float32).ravel()), "float32"),
    (make(gradient=lambda g: np.asarray(g, np.float64)), "not flattened"),
    (make(gradient=lambda g: g), "as a tf.Tensor"),
    (make(reshape=False), "reshape x to shape"),
    (make(cast=tf.float64), "float64 picture"),
    (make(tensor=False), "a NumPy array"),
    (make(gradient=lambda g: -np.asarray(g, np.float64).ravel()), "wrong sign"),
    (make(gradient=lambda g: 0.02 * np.asarray(g, np.float64).ravel()), "1/50 of the gradient"),
    (
        make(
            gradient=lambda g: (lambda v: v / np.linalg.norm(v))(np.asarray(g, np.float64).ravel())
        ),
        "a learning rate or a normalisation?",
    ),
    (make(swap=True), "(gradient, value)"),
    (make(pair=False), "returned only a function"),
    (make(bounds=lambda n: None), "bounds are None"),
    (make(bounds=lambda n: (0, 1)), "one pair (0, 1) for all 120 values"),
    (make(bounds=lambda n: [(0, 255)] * n), "not (0, 1) for every value"),
    (make(bounds=lambda n: [(0, 1)] * (n - 3)), "entries for"),
    (make(bounds=lambda n: [(0, None)] * n), "not (0, 1) for every value"),
    (make(value=lambda loss: 0.5 * float(loss)), "the value and the gradient must belong"),
    (make(value=lambda loss: loss), "value as a tf.Tensor"),
]


@pytest.mark.parametrize("fn, words", WRONG, ids=[words for _, words in WRONG])
def test_each_mistake_gets_its_diagnosis(capsys, fn, words):
    passed, out = verdict(capsys, check_lbfgs_objective, fn, seed=4)
    assert not passed
    assert out.startswith("❌ lbfgs_objective"), out
    assert words in out, out
    assert "check_lbfgs_objective(lbfgs_objective, seed=4)" in out


def test_mistakes_are_named_on_every_seed(capsys):
    for seed in range(3):
        for fn, words in WRONG:
            passed, out = verdict(capsys, check_lbfgs_objective, fn, seed=seed)
            words = words.split(" 120 ")[0]  # the size differs from seed to seed
            assert not passed and words in out, (words, seed, out)


def test_a_function_value_is_told_to_pass_the_function(capsys):
    passed, out = verdict(capsys, check_lbfgs_objective, (lambda x: (0.0, x), None))
    assert not passed and "pass the function's name" in out


def cached_by_first_value(loss_fn, shape):
    """A memo keyed on x's first value rounded: right on far-apart pictures, stale on the small
    steps of a run (deterministic, unlike a memo keyed on id(x), whose ids scipy may reuse)."""
    objective, bounds = solutions.lbfgs_objective(loss_fn, shape)
    memo = {}

    def stale(x):
        key = round(float(x[0]), 2)
        if key not in memo:
            memo[key] = objective(x)
        return memo[key]

    return stale, bounds


def not_a_picture(loss_fn, shape):
    def objective(x):
        loss_fn(list(x))
        return 0.0, np.zeros(x.size)

    return objective, Bounds(0, 1)


MORE = [
    (make(gradient=lambda g: None), "None as the gradient"),
    (make(gradient=lambda g: np.asarray(g).ravel().astype(np.int64)), "not an array of floats"),
    (make(gradient=lambda g: np.asarray(g, np.float64).ravel()[:-3]), "values, but x has"),
    (make(value=lambda loss: np.array([float(loss)])), "shape (1,), not ()"),
    (make(value=lambda loss: "low"), "not one number"),
    (make(tensor=False, value=lambda loss: 0.0), "a NumPy array"),
    (make(gradient=lambda g: np.asarray(g, np.float64).ravel() ** 2), "is not the loss's"),
    (not_a_picture, "loss_fn was given a list"),
    (
        lambda loss_fn, shape: ((lambda x: (0.0, np.zeros(x.size))), Bounds(0, 1)),
        "never called loss_fn",
    ),
    (cached_by_first_value, "L-BFGS-B with your objective ended at loss"),
]


@pytest.mark.parametrize("fn, words", MORE, ids=[words for _, words in MORE])
def test_the_other_diagnoses(capsys, fn, words):
    passed, out = verdict(capsys, check_lbfgs_objective, fn, seed=4)
    assert not passed and out.startswith("❌ lbfgs_objective"), out
    assert words in out, out
