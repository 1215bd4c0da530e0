"""labhelpers.device: the GPU estimate and the lesson runs it is based on (hand-computed values)."""

from __future__ import annotations

import pytest

from labhelpers import device


def test_gpu_estimate_is_the_cpu_formula_with_the_t4_step_time():
    gpu = device.estimate_gpu_lesson_times()
    assert set(gpu) == set(device.LESSON_RUNS)
    # by hand, with 10 ms per evaluation at 128 px, 1.2 s set-up per optimisation, 12 s per lesson:
    # 04: 4 runs x (60 x 0.010 s + 1.2 s) + 12 s = 19.2 s
    assert gpu["04_total_variation"] == pytest.approx(19.2)
    # 07: (40 x 0.010 x (256/128)^2 + 1.2) + 4 x (40 x 0.010 + 1.2) + 12 = 2.8 + 6.4 + 12 = 21.2 s
    assert gpu["07_style_transfer"] == pytest.approx(21.2)


def test_gpu_is_estimated_faster_than_this_kind_of_cpu():
    cpu = device.estimate_lesson_times(seconds_per_evaluation=0.17, size=128)  # measured on 2 CPU cores
    gpu = device.estimate_gpu_lesson_times()
    # Loading VGG16 and tracing cost the same on both (they run on the CPU), so the GPU saves only
    # the evaluations: at least a third of every lesson, more than half of the whole series.
    assert all(gpu[lesson] < cpu[lesson] / 1.5 for lesson in cpu)
    assert sum(gpu.values()) < sum(cpu.values()) / 2
    assert 0.001 < device.GPU_SECONDS_PER_EVALUATION < 0.17


def test_estimate_lesson_times_scales_with_the_step_time():
    slow = device.estimate_lesson_times(seconds_per_evaluation=0.2, size=128)
    fast = device.estimate_lesson_times(seconds_per_evaluation=0.1, size=128)
    assert set(slow) == set(device.LESSON_RUNS)
    assert all(slow[k] > fast[k] > 0 for k in slow)
    run = device.LESSON_RUNS["04_total_variation"][0]
    expected = device.FIXED_SECONDS + run.count * (run.steps * 0.1 * run.depth + device.SETUP_SECONDS)
    assert fast["04_total_variation"] == pytest.approx(expected)
    # the same step time measured at half the size means four times the cost at 128 px
    half = device.estimate_lesson_times(seconds_per_evaluation=0.1, size=64)
    assert half["04_total_variation"] - device.FIXED_SECONDS == pytest.approx(
        run.count * (run.steps * 0.4 * run.depth + device.SETUP_SECONDS))
    text = device.format_estimates({"a": 30.0, "b": 600.0})
    assert "about 30 s" in text and "about 10.0 min" in text


def test_device_summary_and_timing(random_extractor):
    info = device.device_summary()
    assert {"tensorflow", "keras", "python", "cpu_cores", "gpus"} <= set(info)
    assert info["cpu_cores"] >= 1
    timing = device.time_evaluation(32, random_extractor, repeats=2)
    assert timing["seconds_per_evaluation"] > 0 and timing["setup_seconds"] > 0
