"""labhelpers.transfer.optimizers: Adam, L-BFGS, stages, and the run's bookkeeping (no network needed).

The optimisers are checked on quadratics whose minimum inside the box is known by hand; the
recorder on scripted evaluations.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from labhelpers.transfer.optimizers import (STOP_REASONS, RunRecorder, RunStopped, StageDone, adam, lbfgs,
                                            projected_lbfgs, split_steps, stage_deadlines, stage_sizes, stop_message)

#: A quadratic sum(a * (x - c)^2) with some centres outside [0, 1]: the box minimum is clip(c, 0, 1).
CENTRE = np.array([[0.2, 0.9, -0.5], [1.7, 0.5, 0.33]], dtype=np.float32)
SCALE = np.array([[1.0, 10.0, 2.0], [0.5, 100.0, 3.0]], dtype=np.float32)


def quadratic(x: np.ndarray) -> tuple[float, np.ndarray]:
    return float(np.sum(SCALE * (x - CENTRE) ** 2)), (2 * SCALE * (x - CENTRE)).astype(np.float32)


def test_lbfgs_finds_the_box_minimum_in_the_evaluations_given():
    calls = []

    def counted(x):
        calls.append(1)
        return quadratic(x)

    x = lbfgs(counted, np.full(CENTRE.shape, 0.5, np.float32), evaluations=40)
    np.testing.assert_allclose(x, np.clip(CENTRE, 0, 1), atol=1e-4)
    assert len(calls) <= 40 and x.dtype == np.float32 and x.shape == CENTRE.shape
    calls.clear()
    lbfgs(counted, np.full(CENTRE.shape, 0.5, np.float32), evaluations=3)
    assert len(calls) == 3


def test_lbfgs_first_step_is_capped_and_the_minimum_still_found():
    """A steep quadratic: scipy's own first trial (the whole gradient) jumps to the box's corners."""
    steep = lambda x: tuple(1000 * v for v in quadratic(x))  # noqa: E731
    start = np.full(CENTRE.shape, 0.5, np.float32)
    for first_step, largest_change in ((None, 0.5), (0.05, 0.05)):
        points = []

        def seen(x):
            points.append(np.array(x))
            return steep(x)

        x = lbfgs(seen, start, evaluations=60, first_step=first_step)
        # the first trial point: 0.5 away from the start (the corner) by default, 0.05 with the cap
        assert np.max(np.abs(points[1] - start)) == pytest.approx(largest_change, rel=1e-5)
        np.testing.assert_allclose(x, np.clip(CENTRE, 0, 1), atol=1e-4)  # the cap changes only the start
    # a gradient smaller than the cap is left alone: the same points as scipy's own first step
    gentle = lambda x: tuple(v / 1000 for v in quadratic(x))  # noqa: E731 - largest gradient 0.008
    runs = [[], []]
    for points, first_step in zip(runs, (None, 0.05)):
        lbfgs(lambda x, p=points: (p.append(np.array(x)), gentle(x))[1], start, evaluations=5, first_step=first_step)
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def test_projected_lbfgs_finds_the_box_minimum_by_hand_and_stays_in_the_box():
    points = []

    def seen(x):
        points.append(np.array(x))
        return quadratic(x)

    x = projected_lbfgs(seen, np.full(CENTRE.shape, 0.5, np.float32), evaluations=60, first_step=0.5)
    np.testing.assert_allclose(x, np.clip(CENTRE, 0, 1), atol=1e-4)
    assert len(points) <= 60 and x.dtype == np.float32 and x.shape == CENTRE.shape
    assert all(p.min() >= 0.0 and p.max() <= 1.0 for p in points), "every trial point inside [0, 1]"
    points.clear()
    projected_lbfgs(seen, np.full(CENTRE.shape, 0.5, np.float32), evaluations=3)
    assert len(points) == 3


def test_projected_lbfgs_agrees_with_scipy_on_a_coupled_quadratic(rng):
    """x^T A x / 2 - b^T x with A dense (well-conditioned) and its minimum partly outside the box:
    scipy's L-BFGS-B run to convergence is the independent reference."""
    from scipy.optimize import minimize

    n = 40
    q = rng.normal(size=(n, n))
    a = q @ q.T / n + np.eye(n)
    b = rng.normal(0.0, 2.0, n)

    def f(x):
        x = np.asarray(x, np.float64).ravel()
        return float(0.5 * x @ a @ x - b @ x), (a @ x - b).astype(np.float32)

    reference = minimize(lambda x: (float(0.5 * x @ a @ x - b @ x), a @ x - b), np.full(n, 0.5), jac=True,
                         method="L-BFGS-B", bounds=[(0.0, 1.0)] * n, options={"ftol": 1e-15, "gtol": 1e-12}).x
    assert 0 < np.sum((reference <= 1e-9) | (reference >= 1 - 1e-9)) < n, "some values at a bound, some not"
    x = projected_lbfgs(f, np.full(n, 0.5, np.float32), evaluations=300, first_step=0.5)
    np.testing.assert_allclose(x, reference, atol=2e-3)
    first = [np.array(x)]
    projected_lbfgs(lambda x: (first.append(np.array(x)), f(x))[1], np.full(n, 0.5, np.float32), evaluations=2,
                    first_step=0.01)
    assert np.max(np.abs(first[2] - 0.5)) == pytest.approx(0.01, rel=1e-4), "the first trial is capped"


def test_stage_deadlines_share_the_budget_like_the_work():
    # work = evaluations x pixels: 40 x 16 = 640, 20 x 64 = 1280, 10 x 256 = 2560; total 4480, by hand
    deadlines = stage_deadlines(44.8, [40, 20, 10], [16, 64, 256])
    assert deadlines == pytest.approx([6.4, 19.2, 44.8])
    assert stage_deadlines(None, [2, 1], [4, 16]) == [None, None]


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


def test_adam_steps_by_the_learning_rate_and_stays_in_the_box():
    start = np.full(CENTRE.shape, 0.5, np.float32)
    one = adam(quadratic, start, steps=1, learning_rate=0.02)
    # Adam's first step is -lr * sign(gradient) (m_hat / sqrt(v_hat) = g / |g|)
    np.testing.assert_allclose(one, start - 0.02 * np.sign(quadratic(start)[1]), atol=1e-6)
    x = adam(quadratic, start, steps=600, learning_rate=0.02)
    np.testing.assert_allclose(x, np.clip(CENTRE, 0, 1), atol=0.02)
    assert x.min() >= 0.0 and x.max() <= 1.0
    loose = adam(quadratic, start, steps=600, learning_rate=0.02, bounds=(None, None))
    assert loose[0, 2] < -0.4 and loose[1, 0] > 1.6  # without the box it goes outside


def test_stage_sizes_and_split_steps():
    assert stage_sizes(128) == [128] and stage_sizes(255) == [255]  # auto: one stage below 256 px
    assert stage_sizes(256) == [128, 256] and stage_sizes(512) == [256, 512]
    assert stage_sizes(256, False) == [256]
    assert stage_sizes(1024) == [512, 1024]
    assert stage_sizes(2048) == [512, 1024, 2048]
    assert stage_sizes(64, True) == [32, 64]
    assert stage_sizes(1024, False) == [1024]
    assert stage_sizes(1024, [256, 512]) == [256, 512, 1024]
    with pytest.raises(ValueError, match="increase"):
        stage_sizes(256, [300])
    assert split_steps(6, 2) == [4, 2]  # 2:1, coarse first
    assert split_steps(70, 3) == [40, 20, 10]
    assert split_steps(1, 3) == [1]
    for steps in range(1, 30):
        for stages in range(1, 5):
            counts = split_steps(steps, stages)
            assert sum(counts) == steps and min(counts) >= 1


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


def test_recorder_keeps_the_best_picture_and_calls_back():
    seen = []
    recorder = RunRecorder(steps=5, callback=lambda step, picture, record: seen.append((step, picture[0, 0, 0])),
                           callback_every=2)
    assert _drive(recorder, [5.0, 3.0, 4.0, 1.0, 2.0]) is None
    assert recorder.best_step == 4 and recorder.best_total == 1.0
    np.testing.assert_allclose(recorder.best_image, 0.3)
    assert seen == [(2, pytest.approx(0.1)), (4, pytest.approx(0.3)), (5, pytest.approx(0.3))]
    assert [r["step"] for r in recorder.history] == [1, 2, 3, 4, 5]
    assert "Finished 5 evaluation(s)" in recorder.message("lbfgs") and "at step 4" in recorder.message("lbfgs")


@pytest.mark.parametrize("totals, says", [([3.0, math.nan], "the loss became NaN at step 2"),
                                          ([3.0, 2.0, math.inf], "the loss became infinite at step 3"),
                                          ([3.0, 3.0e5], "the loss exploded at step 2")])
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
    assert recorder.stopped == "callback_error" and recorder.best_step == 3 and len(recorder.history) == 3
    assert "the callback raised ZeroDivisionError: oops" in recorder.message("lbfgs")

    def should_stop():
        raise RuntimeError("no network")

    recorder = RunRecorder(steps=10, should_stop=should_stop)
    stop = _drive(recorder, [5.0, 4.0])
    assert stop.reason == "callback_error" and "should_stop raised RuntimeError: no network" in stop.detail

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
    assert set(STOP_REASONS) == {None, "stop", "interrupt", "time_budget", "diverged", "callback_error"}
    for reason in STOP_REASONS:
        text = stop_message(reason, 4, 1.25, 2, 0.5, detail="something", optimizer="adam", time_budget_s=3)
        assert "4 evaluation(s) (Adam) in 1.2 s" in text and "best total loss 0.5 at step 2" in text
    assert "starting picture" in stop_message("stop", 0, 0.0, None, None)
