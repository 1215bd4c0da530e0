"""labhelpers.transfer.record: the run's bookkeeping, checked on scripted evaluations
(no network)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labhelpers.transfer.record import (
    STOP_REASONS,
    RunRecorder,
    RunStopped,
    stop_message,
)
from labhelpers.transfer.stages import (
    StageDone,
)


def _scripted(values: list[float]):
    """An evaluate() returning the given totals in turn (terms = [total], gradient = ones)."""
    queue = list(values)

    def evaluate(image):
        total = queue.pop(0)
        return total, np.array([total]), np.ones_like(image)

    return evaluate


def _record(terms):
    return {"total": float(terms[0]), "content": 0.0, "style": float(terms[0]), "tv": 0.0}


def _drive(recorder: RunRecorder, totals: list[float]) -> RunStopped | None:
    recorder.begin_stage(8)
    step = recorder.wrap(_scripted(totals), _record)
    try:
        for index in range(len(totals)):
            step(np.full((2, 2, 3), index / 10, np.float32))
    except RunStopped as stop:
        recorder.stop(stop.reason, stop.detail, stop.error)
        return stop
    return None


def test_a_coarse_stage_past_its_deadline_ends_with_stage_done_and_the_last_with_the_budget():
    recorder = RunRecorder(steps=10, time_budget_s=1e-9)
    evaluate = lambda image: (1.0, np.zeros(1), np.zeros_like(image))  # noqa: E731
    record = lambda terms: {"total": 1.0}  # noqa: E731
    recorder.begin_stage(16, deadline_s=1e-12, last=False)
    with pytest.raises(StageDone):
        recorder.wrap(evaluate, record)(np.zeros((2, 2, 3), np.float32))
    recorder.begin_stage(32, last=True)
    with pytest.raises(RunStopped, match="time_budget"):
        recorder.wrap(evaluate, record)(np.zeros((4, 4, 3), np.float32))
    assert [r["stage_size"] for r in recorder.history] == [16, 32]


def test_recorder_keeps_the_best_picture_and_calls_back():
    seen = []
    recorder = RunRecorder(
        steps=5,
        callback=lambda step, picture, record: seen.append((step, picture[0, 0, 0])),
        callback_every=2,
    )
    assert _drive(recorder, [5.0, 3.0, 4.0, 1.0, 2.0]) is None
    assert recorder.best_step == 4 and recorder.best_total == 1.0
    np.testing.assert_allclose(recorder.best_image, 0.3)
    assert seen == [(2, pytest.approx(0.1)), (4, pytest.approx(0.3)), (5, pytest.approx(0.3))]
    assert [r["step"] for r in recorder.history] == [1, 2, 3, 4, 5]
    assert "Finished 5 evaluation(s)" in recorder.message(
        "lbfgs"
    ) and "at step 4" in recorder.message("lbfgs")


@pytest.mark.parametrize(
    "totals, says",
    [
        ([3.0, math.nan], "the loss became NaN at step 2"),
        ([3.0, 2.0, math.inf], "the loss became infinite at step 3"),
        ([3.0, 3.0e5], "the loss exploded at step 2"),
    ],
)
def test_divergence_ends_the_run_keeping_the_last_good_picture(totals, says):
    recorder = RunRecorder(steps=10)
    stop = _drive(recorder, totals)
    assert stop is not None and stop.reason == "diverged" and says in stop.detail
    assert len(recorder.history) == len(totals) - 1 and recorder.best_image is not None
    assert recorder.message("adam").startswith(f"Stopped: {says}")


def test_a_raising_callback_or_should_stop_ends_the_run_with_the_picture():
    def callback(step, picture, record):
        if step == 3:
            raise ZeroDivisionError("oops")

    recorder = RunRecorder(steps=10, callback=callback, callback_every=1)
    stop = _drive(recorder, [5.0, 4.0, 3.0, 2.0])
    assert stop.reason == "callback_error" and isinstance(stop.error, ZeroDivisionError)
    assert (
        recorder.stopped == "callback_error"
        and recorder.best_step == 3
        and len(recorder.history) == 3
    )
    assert "the callback raised ZeroDivisionError: oops" in recorder.message("lbfgs")

    def should_stop():
        raise RuntimeError("no network")

    recorder = RunRecorder(steps=10, should_stop=should_stop)
    stop = _drive(recorder, [5.0, 4.0])
    assert (
        stop.reason == "callback_error"
        and "should_stop raised RuntimeError: no network" in stop.detail
    )

    def interrupt(step, picture, record):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # Ctrl-C is not an error of the callback
        _drive(RunRecorder(steps=10, callback=interrupt, callback_every=1), [1.0])


def test_should_stop_and_time_budget():
    recorder = RunRecorder(steps=10, should_stop=lambda: True)
    assert _drive(recorder, [2.0, 1.0]).reason == "stop" and len(recorder.history) == 1
    recorder = RunRecorder(steps=10, time_budget_s=1e-9)
    assert _drive(recorder, [2.0, 1.0]).reason == "time_budget"
    assert "time budget of 1e-09 s" in recorder.message("lbfgs")


def test_every_stop_reason_has_a_message():
    assert set(STOP_REASONS) == {
        None,
        "stop",
        "interrupt",
        "time_budget",
        "diverged",
        "callback_error",
    }
    for reason in STOP_REASONS:
        text = stop_message(
            reason, 4, 1.25, 2, 0.5, detail="something", optimizer="adam", time_budget_s=3
        )
        assert (
            "4 evaluation(s) (Adam) in 1.2 s" in text and "best total loss 0.5 at step 2" in text
        )
    assert "starting picture" in stop_message("stop", 0, 0.0, None, None)
