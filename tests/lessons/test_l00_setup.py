"""labhelpers.lessons.l00_setup: the lessons' time estimates, built from each lesson's RUNS
(hand-computed values)."""

from __future__ import annotations

import pytest

from labhelpers.lessons import l00_setup as setup
from labhelpers.lessons.common import timing


def test_gpu_estimate_is_the_cpu_formula_with_the_t4_step_time():
    gpu = setup.estimate_gpu_lesson_times()
    assert set(gpu) == set(setup.LESSON_RUNS)
    # by hand, with 10 ms per evaluation at 128 px, 1.2 s set-up per optimisation, 12 s per lesson:
    # 04: 4 runs x (60 x 0.010 s + 1.2 s) + 12 s = 19.2 s
    assert gpu["04_total_variation"] == pytest.approx(19.2)
    # 07: (40 x 0.010 x (256/128)^2 + 1.2) + 4 x (40 x 0.010 + 1.2) + 12 = 2.8 + 6.4 + 12 = 21.2 s
    assert gpu["07_style_transfer"] == pytest.approx(21.2)


def test_gpu_is_estimated_faster_than_this_kind_of_cpu():
    cpu = setup.estimate_lesson_times(
        seconds_per_evaluation=0.17, size=128
    )  # measured on 2 CPU cores
    gpu = setup.estimate_gpu_lesson_times()
    # Loading VGG16 and tracing cost the same on both (they run on the CPU), so the GPU saves only
    # the evaluations: at least a third of every lesson, more than half of the whole series (not
    # counting the time-limited trainings, which last as long anywhere).
    wall = setup.LESSON_WALL_SECONDS
    assert all(gpu[k] - wall.get(k, 0) < (cpu[k] - wall.get(k, 0)) / 1.5 for k in cpu)
    assert sum(gpu.values()) - sum(wall.values()) < (sum(cpu.values()) - sum(wall.values())) / 2
    assert 0.001 < setup.GPU_SECONDS_PER_EVALUATION < 0.17


def test_time_limited_training_is_added_as_it_is():
    """Lesson 09 trains for WALL_SECONDS whatever the computer: its estimate on any machine is
    that time plus the same formula as every lesson (by hand: 2 stylize runs of 60 evaluations at
    256 px)."""
    from labhelpers.lessons import l09_fast_network

    assert setup.LESSON_WALL_SECONDS == {"09_fast_network": l09_fast_network.WALL_SECONDS}
    estimate = setup.estimate_lesson_times(seconds_per_evaluation=0.1, size=128)
    expected = (
        timing.FIXED_SECONDS
        + l09_fast_network.WALL_SECONDS
        + 2 * (60 * 0.1 * (256 / 128) ** 2 + timing.SETUP_SECONDS)
    )
    assert estimate["09_fast_network"] == pytest.approx(expected)


def test_estimate_lesson_times_scales_with_the_step_time():
    slow = setup.estimate_lesson_times(seconds_per_evaluation=0.2, size=128)
    fast = setup.estimate_lesson_times(seconds_per_evaluation=0.1, size=128)
    assert set(slow) == set(setup.LESSON_RUNS)
    assert all(slow[k] > fast[k] > 0 for k in slow)
    run = setup.LESSON_RUNS["04_total_variation"][0]
    expected = timing.FIXED_SECONDS + run.count * (
        run.steps * 0.1 * run.depth + timing.SETUP_SECONDS
    )
    assert fast["04_total_variation"] == pytest.approx(expected)
    # the same step time measured at half the size means four times the cost at 128 px
    half = setup.estimate_lesson_times(seconds_per_evaluation=0.1, size=64)
    assert half["04_total_variation"] - timing.FIXED_SECONDS == pytest.approx(
        run.count * (run.steps * 0.4 * run.depth + timing.SETUP_SECONDS)
    )
    text = setup.format_estimates({"a": 30.0, "b": 600.0})
    assert "about 30 s" in text and "about 10.0 min" in text


def test_the_estimates_cover_every_lesson_module_with_its_own_runs():
    """LESSON_RUNS is each lesson module's RUNS, by notebook name (nothing kept elsewhere)."""
    import labhelpers.lessons as lessons

    modules = [name for name in lessons.LESSON_MODULES if name != "l00_setup"]
    assert list(setup.LESSON_RUNS) == [name[1:] for name in modules]
    for name in modules:
        assert setup.LESSON_RUNS[name[1:]] is getattr(lessons, name).RUNS
