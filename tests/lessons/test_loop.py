"""run_steps: counts its steps, shows progress, keeps the best picture, survives an interrupt.

The steps here are tiny fakes whose losses are fixed in advance, so which picture is "best" is
known by hand; no VGG16 is needed.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from labhelpers.lessons.l05_optimization import (
    LoopResult,
    format_progress,
    plot_loop_losses,
    run_steps,
)
from labhelpers.lessons import l05_optimization as l05  # noqa: E402


class ScriptedStep:
    """A step that sets every pixel to ``k / 100`` at step k and returns ``losses[k - 1]``.

    The loss returned at step k belongs to the picture *before* step k, i.e. pixels (k - 1) / 100.
    Raises KeyboardInterrupt at step ``interrupt_at``.
    """

    def __init__(self, losses, interrupt_at=None):
        self.losses, self.interrupt_at, self.calls = list(losses), interrupt_at, 0

    def __call__(self, image, loss_fn, optimizer):
        self.calls += 1
        if self.calls == self.interrupt_at:
            raise KeyboardInterrupt
        image.assign(tf.fill(image.shape, self.calls / 100))
        return tf.constant(self.losses[self.calls - 1], tf.float32)


def _picture():
    return tf.Variable(np.zeros((1, 3, 4, 3), np.float32))


def test_best_picture_is_the_one_with_the_lowest_loss(capsys):
    losses = [5.0, 4.0, 1.0, 3.0, 2.0]  # lowest for the picture before step 3
    result = run_steps(
        ScriptedStep(losses), _picture(), lambda x: tf.constant(9.0), None, 5, every=2, live=False
    )
    assert result.steps_done == 5 and result.stopped is None
    assert result.losses == losses
    assert result.best_step == 2 and result.best_loss == 1.0
    np.testing.assert_allclose(result.image, 0.02)  # pixels after 2 steps
    assert result.image.shape == (3, 4, 3)
    assert result.final_loss == 9.0  # the last picture was scored once more


def test_the_last_picture_can_win():
    result = run_steps(
        ScriptedStep([5.0, 4.0]), _picture(), lambda x: tf.constant(0.5), None, 2, live=False
    )
    assert result.best_step == 2 and result.best_loss == 0.5
    np.testing.assert_allclose(result.image, 0.02)


def test_interrupt_keeps_the_best_picture_so_far(capsys):
    step = ScriptedStep([3.0, 1.0, 2.0, 0.1, 0.0], interrupt_at=4)
    result = run_steps(step, _picture(), lambda x: tf.constant(0.0), None, 5, every=1, live=False)
    assert result.stopped == "interrupt"
    assert result.steps_done == 3 and len(result.losses) == 3
    assert result.best_step == 1 and result.best_loss == 1.0  # not the unseen 0.1 of step 4
    np.testing.assert_allclose(result.image, 0.01)
    assert result.final_loss is None
    assert "interrupted after 3 steps" in capsys.readouterr().out


def test_progress_lines_count_the_steps(capsys):
    run_steps(
        ScriptedStep(np.linspace(9, 1, 7)),
        _picture(),
        lambda x: tf.constant(0.0),
        None,
        7,
        every=3,
        live=False,
    )
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[")]
    counts = [int(line.split("]")[1].split("/")[0]) for line in lines]
    assert counts == [3, 6, 7, 7]  # every 3 steps, the last one, and the final view
    assert all("/7 steps" in line for line in lines)


def test_terms_are_recorded_every_few_steps(capsys):
    calls = []

    def terms(image):
        calls.append(float(image.numpy().mean()))
        return {"content": 1.0, "style": 2.0}

    result = run_steps(
        ScriptedStep([1.0] * 4),
        _picture(),
        lambda x: tf.constant(1.0),
        None,
        4,
        every=2,
        terms=terms,
        live=False,
    )
    assert [record["step"] for record in result.terms] == [2.0, 4.0]
    assert calls == pytest.approx([0.02, 0.04])  # measured on the picture after those steps
    assert result.terms[0]["style"] == 2.0


def _fake_outputs(monkeypatch, clock=None):
    """Replace IPython's display: returns (created display ids, updates as (output index, kind,
    clock))."""
    created, updates = [], []

    class Handle:
        def __init__(self, index):
            self.index = index

        def update(self, obj):
            updates.append((self.index, type(obj).__name__, clock[0] if clock else None))

    def fake_display(obj, display_id=None):
        created.append(display_id)
        return Handle(len(created) - 1)

    import IPython.display

    monkeypatch.setattr(IPython.display, "display", fake_display)
    return created, updates


def test_live_view_updates_three_outputs_in_place(monkeypatch):
    created, updates = _fake_outputs(monkeypatch)
    run_steps(
        ScriptedStep([3.0, 2.0, 1.0, 0.5]),
        _picture(),
        lambda x: tf.constant(0.1),
        None,
        4,
        every=2,
        live=True,
    )
    assert created == [True, True, True]  # three outputs, made once
    pictures = [kind for index, kind, _ in updates if index == 0]
    progress = [kind for index, kind, _ in updates if index == 2]
    assert (
        pictures == ["Image"] * 3 and progress == ["HTML"] * 3
    )  # steps 2 and 4, then the final view


def test_live_curves_are_redrawn_at_most_every_few_seconds_and_at_the_end(monkeypatch):
    """Steps 1 s apart, every step shown: curves at the first view, then after each
    CURVES_INTERVAL_S (3 s), and at the end."""
    clock = [0.0]
    _, updates = _fake_outputs(monkeypatch, clock)

    class SlowStep(ScriptedStep):  # each step takes one (fake) second
        def __call__(self, image, loss_fn, optimizer):
            clock[0] += 1.0
            return super().__call__(image, loss_fn, optimizer)

    monkeypatch.setattr(l05.time, "perf_counter", lambda: clock[0])
    monkeypatch.setattr(l05, "CURVES_INTERVAL_S", 3.0)
    run_steps(
        SlowStep([10.0 - k for k in range(8)]),
        _picture(),
        lambda x: tf.constant(0.1),
        None,
        8,
        every=1,
        live=True,
    )
    curves = [at for index, _, at in updates if index == 1]
    assert curves == [1.0, 4.0, 7.0, 8.0]  # steps 1, 4, 7 (3 s apart), then the final view


def test_bad_arguments_say_what_to_pass():
    with pytest.raises(ValueError, match="steps must be a whole number >= 1"):
        run_steps(ScriptedStep([]), _picture(), lambda x: 0.0, None, 0, live=False)
    with pytest.raises(ValueError, match="every must be"):
        run_steps(ScriptedStep([]), _picture(), lambda x: 0.0, None, 3, every=1.5, live=False)


def test_format_progress():
    line = format_progress(25, 100, 5.0, 12.5, width=20)
    assert line.startswith("[#####---------------]")
    assert "25/100 steps" in line and "loss 12.5" in line and "~15 s left" in line
    assert "left" not in format_progress(100, 100, 5.0, 1.0)


def test_plot_loop_losses_draws_total_and_terms():
    result = LoopResult(
        image=np.zeros((2, 2, 3), np.float32),
        best_step=0,
        losses=[3.0, 2.0, 1.0],
        terms=[{"step": 2.0, "seconds": 0.1, "content": 0.5, "style": 0.0, "tv": 0.2}],
    )
    figure = plot_loop_losses(result, title="t")
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert labels == [
        "total (every step)",
        "content",
        "tv",
    ]  # style is all 0: a log axis cannot show it
    import matplotlib.pyplot as plt

    plt.close(figure)
    assert l05.LoopResult is LoopResult
