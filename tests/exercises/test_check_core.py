"""The scaffold every checker stands on (labhelpers.exercises.checks.core), seen from the student.

Issue 27, item 11: a value passed where the function belongs is told so, with the call that works.
Issue 27, item 16: a slow student function makes the checker say at once why it takes a while.
"""

from __future__ import annotations

import inspect
import re
import time

import pytest
import tensorflow as tf

from labhelpers.exercises import checks, solutions
from labhelpers.exercises.checks import core

#: The checkers of a student's function (first parameter ``fn``); check_loop_ran and
#: check_ratio_criterion judge a result the notebook computed, not a function.
CHECKERS = [
    getattr(checks, name)
    for name in checks.__all__
    if name.startswith("check_")
    and next(iter(inspect.signature(getattr(checks, name)).parameters)) == "fn"
]


@pytest.mark.parametrize("check", CHECKERS, ids=lambda check: check.__name__)
@pytest.mark.parametrize(
    "value", [tf.constant(0.5), 42, [1.0, 2.0]], ids=["tensor", "int", "list"]
)
def test_a_value_instead_of_the_function_is_told_how_to_pass_it(check, value, capsys):
    name = check.__name__.removeprefix("check_")
    assert check(value) is False
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith(f"❌ {name}: the checker got "), out
    assert "where it needs your function itself" in first, out
    assert f"check_{name}({name}), not check_{name}({name}(...))" in out, out
    assert "not implemented yet" not in out


def test_the_value_is_shown_shortly(capsys):
    checks.check_content_loss(tf.constant(0.5))
    assert "got 0.5 (a tf.Tensor) where" in capsys.readouterr().out
    checks.check_gram_matrix(tf.zeros((1, 40, 40, 64)))
    assert "got a tf.Tensor of shape (1, 40, 40, 64) where" in capsys.readouterr().out
    checks.check_total_variation_loss(list(range(100)))
    first = capsys.readouterr().out.splitlines()[0]
    assert "got [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, … (a list) where" in first, first
    checks.check_receptive_field(42)
    assert "got 42 (an int) where" in capsys.readouterr().out


def test_use_if_correct_falls_back_on_a_value(capsys):
    assert checks.use_if_correct(tf.constant(0.5), checks.check_style_loss) is not None
    out = capsys.readouterr().out
    assert "needs your function itself" in out and "reference implementation" in out


def _slow(seconds):
    def content_loss(generated, reference):
        time.sleep(seconds)
        return tf.reduce_mean(tf.square(generated - reference))

    return content_loss


def test_a_slow_function_is_told_why_the_check_takes_a_while(monkeypatch, capsys):
    monkeypatch.setattr(core, "SLOW_CALL_SECONDS", 0.05)
    assert checks.check_content_loss(_slow(0.06), seed=0)
    lines = capsys.readouterr().out.splitlines()
    notices = [line for line in lines if line.startswith("⏱️")]
    assert len(notices) == 1, lines  # one line, not one per call
    # 6 random inputs, each called for its value and its gradient, then once in tf.function
    took = re.search(r"content_loss: one call of your function took ([\d.]+) s", notices[0])
    assert took and 0.05 <= float(took.group(1)) < 1.0, notices  # 0.06 s asleep, and the loss
    assert "calls it about 13 times" in notices[0], notices
    total = re.search(r"so it needs about (\d+) s", notices[0])
    assert total and abs(int(total.group(1)) - 13 * float(took.group(1))) <= 1, notices
    assert lines[-1].startswith("✅"), lines


def test_the_notice_comes_before_the_check_ends(monkeypatch, capsys):
    monkeypatch.setattr(core, "SLOW_CALL_SECONDS", 0.05)
    seen = []

    def layered(features, targets, weights):
        seen.append(capsys.readouterr().out)  # what the student saw so far
        time.sleep(0.06)
        return solutions.layered_content_loss(features, targets, weights)

    assert checks.check_layered_content_loss(layered, seed=0)
    assert "⏱️" not in seen[0] and "⏱️ layered_content_loss" in seen[1], seen[:2]
    assert "about 7 times" in seen[1]


def test_a_fast_function_gets_no_notice(monkeypatch, capsys):
    monkeypatch.setattr(core, "SLOW_CALL_SECONDS", 0.5)  # the threshold students have
    assert checks.check_content_loss(_slow(0.0), seed=0)
    assert "⏱️" not in capsys.readouterr().out
