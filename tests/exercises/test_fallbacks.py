"""The checkers' TensorFlow references (labhelpers.exercises.checks.fallbacks), which replace the
model solutions in the checkers: each against a NumPy computation written here, and none of them
is a model solution."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import tensorflow as tf

from labhelpers.exercises import solutions
from labhelpers.exercises.checks import core, fallbacks


def _case(seed: int = 3):
    rng = np.random.default_rng(seed)
    maps = {
        name: rng.normal(size=(1, 3, 4, c)).astype(np.float32)
        for name, c in [("a", 2), ("b", 3), ("c", 4)]
    }
    targets = {name: rng.normal(size=m.shape).astype(np.float32) for name, m in maps.items()}
    grams = {
        name: rng.normal(size=(m.shape[-1],) * 2).astype(np.float32) for name, m in maps.items()
    }
    return maps, targets, grams


def _gram(x: np.ndarray) -> np.ndarray:
    flat = x.reshape(-1, x.shape[-1]).astype(np.float64)
    return flat.T @ flat / x.size


def test_weighted_content_loss_uses_only_the_weighted_layers():
    maps, targets, _ = _case()
    weights = {"c": 0.5, "a": 2.0}
    got = float(
        fallbacks.weighted_content_loss(
            {k: tf.constant(v) for k, v in maps.items()},
            {k: tf.constant(v) for k, v in targets.items()},
            weights,
        )
    )
    wanted = sum(
        w * np.mean((maps[k].astype(np.float64) - targets[k]) ** 2) for k, w in weights.items()
    )
    assert got == pytest.approx(wanted, rel=1e-5)


def test_weighted_style_loss_against_numpy():
    maps, _, grams = _case()
    weights = {"b": 3.0, "a": 0.25}
    got = float(
        fallbacks.weighted_style_loss(
            {k: tf.constant(v) for k, v in maps.items()},
            {k: tf.constant(v) for k, v in grams.items()},
            weights,
        )
    )
    wanted = sum(w * np.mean((_gram(maps[k]) - grams[k]) ** 2) for k, w in weights.items())
    assert got == pytest.approx(wanted, rel=1e-5)


def test_lecture_total_loss_against_numpy():
    maps, targets, grams = _case(5)
    image = np.random.default_rng(1).random((1, 5, 6, 3)).astype(np.float32)
    content = {"a": targets["a"]}
    style = {"b": grams["b"], "c": grams["c"]}
    got = float(
        fallbacks.lecture_total_loss(
            tf.constant(image),
            {k: tf.constant(v) for k, v in maps.items()},
            {k: tf.constant(v) for k, v in content.items()},
            {k: tf.constant(v) for k, v in style.items()},
            2.0,
            10.0,
            0.1,
        )
    )
    x = image.astype(np.float64)
    tv = np.abs(x[:, 1:] - x[:, :-1]).sum() + np.abs(x[:, :, 1:] - x[:, :, :-1]).sum()
    wanted = (
        2.0 * np.mean((maps["a"].astype(np.float64) - content["a"]) ** 2)
        + 10.0 * sum(np.mean((_gram(maps[k]) - v) ** 2) for k, v in style.items())
        + 0.1 * tv
    )
    assert got == pytest.approx(wanted, rel=1e-5)


def test_no_checker_reference_is_a_model_solution():
    """What the checkers compare with and fall back on never comes from solutions.py (the
    student edition has no such module)."""
    import labhelpers.exercises.checks as checks_package

    model = set(solutions.SOLUTIONS.values())
    checkers = [getattr(checks_package, name) for name in checks_package.__all__]
    references = [  # the checkers of a function (check_loop_ran and co. judge results)
        core.registered_reference(c)
        for c in checkers
        if c.__name__.startswith("check_") and next(iter(inspect.signature(c).parameters)) == "fn"
    ]
    assert len(references) >= 11 and None not in references
    assert not model & set(references)

    for module in [
        fallbacks,
        *(m for _, m in inspect.getmembers(checks_package, inspect.ismodule)),
    ]:
        assert "exercises.solutions" not in inspect.getsource(module).replace(
            ":mod:`labhelpers.exercises.solutions`", ""
        ), module.__name__
