"""What this computer is, and how long the lessons will take on it.

``00_setup.ipynb`` calls :func:`device_summary` and :func:`estimate_lesson_times`: one
loss-and-gradient evaluation of style transfer is timed at 128 px, and the lessons' work
(:data:`LESSON_RUNS`, the full-size settings of their parameters cells) is extrapolated from it,
assuming the cost grows with the number of pixels. On a machine without a GPU it also prints
:func:`estimate_gpu_lesson_times`, the same lessons on Colab's T4 GPU runtime (an estimate from
arithmetic, see :data:`GPU_SECONDS_PER_EVALUATION`), to help decide whether to switch runtimes.
"""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass
from typing import Any

from labhelpers.config import import_tensorflow

__all__ = ["LessonRun", "LESSON_RUNS", "GPU_SECONDS_PER_EVALUATION", "GPU_ESTIMATE_SIZE", "device_summary",
           "time_evaluation", "estimate_lesson_times", "estimate_gpu_lesson_times", "format_estimates"]


@dataclass(frozen=True)
class LessonRun:
    """Optimisations a lesson runs at full size: ``count`` runs of ``steps`` evaluations at ``size`` px.

    Attributes:
        what: a short description (for the printed estimate).
        count: how many optimisations of this kind the notebook runs.
        size: longest side of the image in pixels.
        steps: loss-and-gradient evaluations per optimisation.
        depth: fraction of VGG16's cost each evaluation needs (runs that stop at a shallow layer
            are cheaper); 1.0 = up to block5.
    """

    what: str
    count: int
    size: int
    steps: int
    depth: float = 1.0


#: The optimisations each lesson runs at full size (not in fast mode). ``tests/test_notebooks.py``
#: checks these numbers against the notebooks' parameters cells.
LESSON_RUNS: dict[str, tuple[LessonRun, ...]] = {
    # depth of 01-03: lessons.timing's model (a fixed share plus VGG16's multiply-adds up to the runs'
    # deepest layers, averaged over the runs), times its coarse-to-fine share for runs that start small
    "01_feature_hierarchy": (
        LessonRun("content reconstructions, block1..block5", 5, 128, 40, 0.72),
        LessonRun("style reconstructions, growing layer sets, coarse to fine", 5, 128, 50, 0.41),
    ),
    "02_content_loss": (
        LessonRun("content reconstructions from four layers", 4, 160, 75, 0.76),
    ),
    "03_style_loss": (
        LessonRun("texture synthesis, coarse to fine (each widget click adds one)", 3, 128, 120, 0.52),
    ),
    "04_total_variation": (
        LessonRun("style transfer from noise at four TV weights", 4, 128, 60, 1.0),
    ),
    "05_optimization": (
        LessonRun("your Adam loop, then raw and normalised weights on a x10 network", 3, 128, 40, 1.0),
        LessonRun("Adam against L-BFGS, 4 s each (time-limited: about 30 evaluations at 128 px)", 2, 128, 30, 1.0),
    ),
    "06_paper_figures": (
        LessonRun("Gatys Fig. 4: five style-layer sets x two style/content ratios", 10, 96, 15, 1.0),
        LessonRun("Gatys Fig. 5 starts (photo, painting, noise) and two colour modes", 5, 96, 25, 1.0),
    ),
    "07_style_transfer": (
        LessonRun("the panel's run (run once by the notebook; each Run click adds one)", 1, 256, 40, 1.0),
        LessonRun("style : content ratio grid (three style weights), then all weights x10", 4, 128, 40, 1.0),
    ),
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

#: Seconds of set-up per optimisation (targets, tracing the compiled loss) and per lesson outside
#: the optimisations (starting the kernel, loading VGG16, plots), fitted to the seven lessons'
#: full-size runs on 2 otherwise idle CPU cores (benchmarks/results/lessons.md; 0.10 s per
#: evaluation at 128 px there). With these the estimates were within 20 % of those runs.
SETUP_SECONDS = 1.2
FIXED_SECONDS = 12.0


def device_summary() -> dict[str, Any]:
    """TensorFlow's version and the devices it sees.

    Returns:
        ``{"tensorflow": version, "keras": version, "python": version, "cpu_cores": n,
        "gpus": [names], "platform": text}``.
    """
    # TensorFlow is imported here, not at the top, so that importing labhelpers.device (for
    # LESSON_RUNS and the estimates) stays instant.
    tf = import_tensorflow()  # quietly, without CUDA start-up noise; before Keras, which imports it too
    import keras

    gpus = [device.name for device in tf.config.list_physical_devices("GPU")]
    return {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "python": platform.python_version(),
        "cpu_cores": os.cpu_count() or 1,
        "gpus": gpus,
        "platform": platform.platform(terse=True),
    }


def time_evaluation(size: int = 128, extractor: Any = None, repeats: int = 4) -> dict[str, float]:
    """Time style transfer's loss-and-gradient evaluation on this machine.

    A :class:`labhelpers.transfer.run.StyleTransfer` with the default layers is built at ``size`` px
    and run for ``repeats + 1`` evaluations; the first one also traces the compiled function.

    Args:
        size: longest side of the test image in pixels.
        extractor: the feature extractor (default: built from the prepared weights).
        repeats: evaluations timed after the first one.

    Returns:
        ``{"size": size, "seconds_per_evaluation": s, "setup_seconds": s}``: the mean time of one
        evaluation, and the time of preparing and tracing (the first evaluation included).
    """
    # Inside the function: transfer.run loads TensorFlow (see device_summary).
    from labhelpers.images import DEFAULT_CONTENT, DEFAULT_STYLE
    from labhelpers.transfer.run import StyleTransfer

    started = time.perf_counter()
    transfer = StyleTransfer(DEFAULT_CONTENT, DEFAULT_STYLE, size=size, extractor=extractor)
    result = transfer.run(steps=repeats + 1, optimizer="adam")
    history = result.history
    setup = (time.perf_counter() - started) - (history[-1]["seconds"] - history[0]["seconds"])
    per_evaluation = (history[-1]["seconds"] - history[0]["seconds"]) / max(len(history) - 1, 1)
    return {"size": float(size), "seconds_per_evaluation": float(per_evaluation), "setup_seconds": float(setup)}


def estimate_lesson_times(seconds_per_evaluation: float | None = None, size: int = 128,
                          extractor: Any = None) -> dict[str, float]:
    """Expected seconds for each full-size lesson on this machine.

    Args:
        seconds_per_evaluation: a measured time of one evaluation at ``size`` px; measured with
            :func:`time_evaluation` when None.
        size: the size that time refers to.
        extractor: the feature extractor to time with (when measuring).

    Returns:
        ``{lesson notebook name: seconds}`` for the lessons in :data:`LESSON_RUNS`: the runs'
        evaluations scaled by their number of pixels relative to ``size``, plus set-up time.
    """
    if seconds_per_evaluation is None:
        seconds_per_evaluation = time_evaluation(size, extractor)["seconds_per_evaluation"]
    estimates = {}
    for lesson, runs in LESSON_RUNS.items():
        total = FIXED_SECONDS
        for run in runs:
            scale = (run.size / size) ** 2
            total += run.count * (run.steps * seconds_per_evaluation * scale * run.depth + SETUP_SECONDS)
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
    return estimate_lesson_times(seconds_per_evaluation=GPU_SECONDS_PER_EVALUATION, size=GPU_ESTIMATE_SIZE)


def format_estimates(estimates: dict[str, float]) -> str:
    """The estimates as lines of text: ``01_feature_hierarchy   about 3.5 min``."""
    lines = []
    for lesson, seconds in estimates.items():
        when = f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"
        lines.append(f"{lesson:<24} about {when}")
    return "\n".join(lines)
