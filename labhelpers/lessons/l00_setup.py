"""Lesson 00 (``notebooks/00_setup.ipynb``): this computer, and how long the lessons will take on
it.

The notebook's "How long will the lessons take?" section times one loss-and-gradient evaluation
(:func:`labhelpers.device.time_evaluation`) and extrapolates every lesson's work from it with
:func:`estimate_lesson_times`: each lesson module's ``RUNS`` (collected in :data:`LESSON_RUNS`),
assuming the cost grows with the number of pixels. On a machine without a GPU it also prints
:func:`estimate_gpu_lesson_times`, the same lessons on Colab's T4 GPU runtime (an estimate from
arithmetic, see :data:`GPU_SECONDS_PER_EVALUATION`), to help decide whether to switch runtimes.
"""

from __future__ import annotations

from typing import Any

from labhelpers.device import time_evaluation
from labhelpers.lessons import (
    l01_feature_hierarchy,
    l02_content_loss,
    l03_style_loss,
    l04_total_variation,
    l05_optimization,
    l06_paper_figures,
    l07_style_transfer,
    l08_controls,
    l09_fast_network,
)
from labhelpers.lessons.common.timing import FIXED_SECONDS, SETUP_SECONDS, LessonRun

__all__ = [
    "LESSON_RUNS",
    "LESSON_WALL_SECONDS",
    "GPU_SECONDS_PER_EVALUATION",
    "GPU_ESTIMATE_SIZE",
    "estimate_lesson_times",
    "estimate_gpu_lesson_times",
    "format_estimates",
]

#: The optimisations each lesson runs at full size (not in fast mode): notebook name -> the
#: lesson module's ``RUNS``.
LESSON_RUNS: dict[str, tuple[LessonRun, ...]] = {
    module.__name__.rpartition(".")[2][1:]: module.RUNS
    for module in (
        l01_feature_hierarchy,
        l02_content_loss,
        l03_style_loss,
        l04_total_variation,
        l05_optimization,
        l06_paper_figures,
        l07_style_transfer,
        l08_controls,
        l09_fast_network,
    )
}

#: Seconds of a lesson's time-limited work (a training that runs for a set time, whatever the
#: computer): notebook name -> the lesson module's ``WALL_SECONDS`` (0 when it has none).
LESSON_WALL_SECONDS: dict[str, float] = {
    module.__name__.rpartition(".")[2][1:]: float(getattr(module, "WALL_SECONDS", 0.0))
    for module in (l09_fast_network,)
}

#: Estimated seconds of one evaluation at :data:`GPU_ESTIMATE_SIZE` px on Google Colab's T4 GPU.
#: An estimate from arithmetic, not a measurement (no GPU was available to measure): one
#: evaluation of the default picture (128 x 85 px) costs about 12.5 GFLOP (VGG16's convolutions up
#: to block5_conv1 forwards, 6.3 GFLOP, and about as much again backwards to the picture); a T4
#: peaks at 8.1 TFLOP/s in float32, of which about 40 % is assumed at these small sizes, so about
#: 4 ms, plus about 6 ms per evaluation for launching the kernels and for scipy's L-BFGS step on
#: the CPU. On the 2-core CPU this lab is developed on, the same evaluation takes about 170 ms.
GPU_SECONDS_PER_EVALUATION = 0.010
#: The picture size (px, longest side) that :data:`GPU_SECONDS_PER_EVALUATION` refers to.
GPU_ESTIMATE_SIZE = 128


def estimate_lesson_times(
    seconds_per_evaluation: float | None = None, size: int = 128, extractor: Any = None
) -> dict[str, float]:
    """Expected seconds for each full-size lesson on this machine.

    Args:
        seconds_per_evaluation: a measured time of one evaluation at ``size`` px; measured with
            :func:`time_evaluation` when None.
        size: the size that time refers to.
        extractor: the feature extractor to time with (when measuring).

    Returns:
        ``{lesson notebook name: seconds}`` for the lessons in :data:`LESSON_RUNS`: the runs'
        evaluations scaled by their number of pixels relative to ``size``, plus set-up time, plus
        the lesson's time-limited work (:data:`LESSON_WALL_SECONDS`).
    """
    if seconds_per_evaluation is None:
        seconds_per_evaluation = time_evaluation(size, extractor)["seconds_per_evaluation"]
    estimates = {}
    for lesson, runs in LESSON_RUNS.items():
        total = FIXED_SECONDS + LESSON_WALL_SECONDS.get(lesson, 0.0)
        for run in runs:
            scale = (run.size / size) ** 2
            total += run.count * (
                run.steps * seconds_per_evaluation * scale * run.depth + SETUP_SECONDS
            )
        estimates[lesson] = total
    return estimates


def estimate_gpu_lesson_times() -> dict[str, float]:
    """Expected seconds for each full-size lesson on Colab's T4 GPU runtime (an estimate).

    :func:`estimate_lesson_times` with :data:`GPU_SECONDS_PER_EVALUATION` (estimated, not
    measured; see there) and the same set-up and fixed times as on a CPU (tracing and loading run
    on the CPU in either case).

    Returns:
        ``{lesson notebook name: seconds}``.
    """
    return estimate_lesson_times(
        seconds_per_evaluation=GPU_SECONDS_PER_EVALUATION, size=GPU_ESTIMATE_SIZE
    )


def format_estimates(estimates: dict[str, float]) -> str:
    """The estimates as lines of text: ``01_feature_hierarchy   about 3.5 min``."""
    lines = []
    for lesson, seconds in estimates.items():
        when = f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"
        lines.append(f"{lesson:<24} about {when}")
    return "\n".join(lines)
