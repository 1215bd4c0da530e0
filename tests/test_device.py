"""labhelpers.device: the GPU estimate and the lesson runs it is based on (hand-computed values)."""

from __future__ import annotations

import pytest

from labhelpers import device


def test_gpu_estimate_is_the_cpu_formula_with_the_t4_step_time():
    gpu = device.estimate_gpu_lesson_times()
    assert set(gpu) == set(device.LESSON_RUNS)
    # by hand, with 10 ms per evaluation at 128 px, 3 s set-up per optimisation, 15 s per lesson:
    # 04: 4 runs x (100 x 0.010 s + 3 s) + 15 s = 31 s
    assert gpu["04_total_variation"] == pytest.approx(31.0)
    # 06: (100 x 0.010 x (256/128)^2 + 3) + 3 x (40 x 0.010 + 3) + 15 = 7 + 10.2 + 15 = 32.2 s
    assert gpu["06_style_transfer"] == pytest.approx(32.2)


def test_gpu_is_estimated_faster_than_this_kind_of_cpu():
    cpu = device.estimate_lesson_times(seconds_per_evaluation=0.17, size=128)  # measured on 2 CPU cores
    gpu = device.estimate_gpu_lesson_times()
    assert all(gpu[lesson] < cpu[lesson] / 2 for lesson in cpu)
    assert 0.001 < device.GPU_SECONDS_PER_EVALUATION < 0.17

