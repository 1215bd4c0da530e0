"""LoopView, the helpers lesson 05's student loop calls (show_picture, show_curves), and its
result(): the best picture shown, per-step times, an interrupted loop said so."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from labhelpers.lessons.l05_optimization import LoopView


def test_loop_view_keeps_the_best_shown_picture_and_times_every_step(capsys):
    """Pictures shown after 2 and 4 steps; the losses say the one after 2 steps was best (the
    loss step 3 returned, 1.0, is the lowest), so result() keeps it."""
    view = LoopView(5, every=2, live=False)
    pictures = {n: np.full((1, 3, 4, 3), n / 10, np.float32) for n in (2, 4)}
    losses = [4.0, 3.0, 1.0, 2.0, 2.5]
    view.show_picture(pictures[2], 2)
    view.show_curves(losses[:2])
    view.show_picture(pictures[4], 4)
    view.show_curves(losses[:4])
    view.show_curves(losses)
    result = view.result(tf.Variable(np.full((1, 3, 4, 3), 0.9, np.float32)), lambda x: 3.5)
    assert result.best_step == 2 and result.best_loss == 1.0
    np.testing.assert_array_equal(result.image, pictures[2][0])
    assert result.steps_done == 5 and result.final_loss == 3.5 and result.stopped is None
    assert len(result.seconds) == 5 and result.seconds == sorted(result.seconds)
    printed = capsys.readouterr().out.splitlines()
    assert (
        len(printed) == 3 and printed[-1].lstrip().startswith("[") and "5/5 steps" in printed[-1]
    )


def test_loop_view_after_an_interrupt_says_so():
    view = LoopView(10, every=5, live=False)
    view.show_picture(np.ones((1, 2, 2, 3), np.float32), 5)
    view.show_curves([3.0] * 5)
    result = view.result(np.ones((1, 2, 2, 3), np.float32), lambda x: 2.0)
    assert result.stopped == "interrupt" and result.steps_done == 5
    assert result.best_step == 5 and result.best_loss == 2.0


def test_loop_view_refuses_bad_numbers():
    with pytest.raises(ValueError, match="every must be a whole number"):
        LoopView(10, every=0)
    with pytest.raises(ValueError, match="steps must be a whole number"):
        LoopView(2.5)
