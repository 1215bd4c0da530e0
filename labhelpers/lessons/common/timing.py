"""How long a lesson's optimisations will take on this computer, said before they start.

A cell that optimises first calls :func:`print_time_estimate`: one loss-and-gradient evaluation is
timed once per session (:func:`labhelpers.device.time_evaluation`, the measurement ``00_setup``
uses) and scaled to the cell's runs by their number of pixels and by how deep into VGG16 they go
(:func:`labhelpers.network.layers.forward_cost`), plus the set-up of each run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from labhelpers.config import fast_mode
from labhelpers.device import time_evaluation
from labhelpers.panel.runner import wait_for_preparations
from labhelpers.network.layers import VGG16_LAYERS, forward_cost
from labhelpers.transfer.stages import split_steps, stage_sizes

__all__ = [
    "LessonRun",
    "SETUP_SECONDS",
    "FIXED_SECONDS",
    "MEASURED_LAYER",
    "FIXED_SHARE",
    "seconds_per_evaluation",
    "stage_pixel_share",
    "estimate_seconds",
    "print_time_estimate",
]


@dataclass(frozen=True)
class LessonRun:
    """Optimisations a lesson runs at full size: ``count`` runs of ``steps`` evaluations at
    ``size`` px.

    Each lesson module lists its runs as ``RUNS``; ``00_setup``'s estimates of the lessons' times
    (:func:`labhelpers.lessons.l00_setup.estimate_lesson_times`) and ``tests/test_notebooks.py``'s
    check against the notebooks' parameters cells are built from them.

    Attributes:
        what: a short description (for the printed estimate).
        count: how many optimisations of this kind the notebook runs.
        size: longest side of the image in pixels.
        steps: loss-and-gradient evaluations per optimisation.
        depth: fraction of VGG16's cost each evaluation needs (runs that stop at a shallow layer
            are cheaper); 1.0 = up to block5.
        size_name, steps_name: the names of the notebook's parameters that set ``size`` and
            ``steps`` (``steps_name`` None for a time-limited run, whose steps are estimated).
    """

    what: str
    count: int
    size: int
    steps: int
    depth: float = 1.0
    size_name: str = "SIZE"
    steps_name: str | None = "STEPS"


#: Seconds of set-up per optimisation (targets, tracing the compiled loss) and per lesson outside
#: the optimisations (starting the kernel, loading VGG16, plots), fitted to the seven lessons'
#: full-size runs on 2 otherwise idle CPU cores (benchmarks/results/lessons.md; 0.10 s per
#: evaluation at 128 px there). With these the estimates were within 20 % of those runs.
SETUP_SECONDS = 1.2
FIXED_SECONDS = 12.0

#: The deepest layer of the evaluation :func:`labhelpers.device.time_evaluation` times (the
#: default layers).
MEASURED_LAYER = "block5_conv1"

#: Share of one evaluation's time that does not shrink with a shallower last layer (the optimiser's
#: own work, preprocessing, memory traffic of the large early maps), measured on 2 CPU cores at
#: 128 px: a run up to block1_conv2 took about 0.43 of the time of one up to block5_conv2, where
#: the multiply-adds alone would say 0.13.
FIXED_SHARE = 0.35

#: One measurement per network: id(base model) -> (size px, seconds per evaluation).
_MEASURED: dict[int, tuple[int, float]] = {}


def seconds_per_evaluation(extractor: Any = None) -> tuple[int, float]:
    """``(size px, seconds)`` of one style-transfer evaluation on this computer, measured once per
    session.

    Measured at 128 px (32 px with ``LAB_FAST=1``) with the default layers (up to block5_conv1).
    """
    key = id(getattr(extractor, "base_model", extractor))
    if key not in _MEASURED:
        wait_for_preparations()  # a panel warming up in the background would slow this timing down
        size = 32 if fast_mode() else 128
        measured = time_evaluation(size, extractor, repeats=2 if fast_mode() else 4)
        _MEASURED[key] = (size, float(measured["seconds_per_evaluation"]))
    return _MEASURED[key]


def _deepest(layers: str | Sequence[str]) -> str:
    names = [layers] if isinstance(layers, str) else list(layers)
    unknown = [name for name in names if name not in VGG16_LAYERS]
    if unknown or not names:
        raise ValueError(
            f"Unknown VGG16 layer(s) {unknown or names}; choose from {list(VGG16_LAYERS)}."
        )
    return max(names, key=VGG16_LAYERS.index)


def stage_pixel_share(size: int, steps: int, coarse_to_fine: Any = None) -> float:
    """Cost of a run's evaluations relative to ``steps`` evaluations all at ``size`` px.

    The stages and their evaluations are the run's own
    (:func:`~labhelpers.transfer.stages.stage_sizes`,
    :func:`~labhelpers.transfer.stages.split_steps`: 2:1 from coarse to fine), each evaluation
    costing its pixels: 1 without coarse-to-fine; 256 px auto ([128, 256], 40 steps as 26 + 14)
    0.51.
    """
    sizes = stage_sizes(int(size), coarse_to_fine)
    counts = split_steps(int(steps), len(sizes))
    sizes = sizes[len(sizes) - len(counts) :]
    return sum(count * (stage / float(size)) ** 2 for stage, count in zip(sizes, counts)) / int(
        steps
    )


def estimate_seconds(
    run_layers: Sequence[str | Sequence[str]],
    size: int,
    steps: int,
    measured: tuple[int, float],
    setup_seconds: float = SETUP_SECONDS,
    coarse_to_fine: Any = None,
) -> float:
    """Expected seconds of one optimisation per entry of ``run_layers``.

    Args:
        run_layers: per optimisation, the layer (or layers) it matches; only the deepest one
            counts.
        size: longest side of the pictures in px; steps: evaluations per optimisation.
        measured: ``(size px, seconds)`` of one evaluation up to :data:`MEASURED_LAYER`
            (:func:`seconds_per_evaluation`).
        setup_seconds: added per optimisation (targets, first trace).
        coarse_to_fine: the runs' ``coarse_to_fine`` setting (None: auto, on from 256 px, as in a
            run); their evaluations cost :func:`stage_pixel_share` of full-size ones.

    Returns:
        Seconds: sum over the runs of steps x measured seconds x (size / measured size)^2 x
        the stage share x depth, plus the set-up, where depth = FIXED_SHARE + (1 - FIXED_SHARE) x
        (multiply-adds up to the run's deepest layer / those up to MEASURED_LAYER).
    """
    measured_size, seconds = measured
    pixels = (float(size) / float(measured_size)) ** 2 * stage_pixel_share(
        size, steps, coarse_to_fine
    )
    total = 0.0
    for layers in run_layers:
        depth = FIXED_SHARE + (1 - FIXED_SHARE) * forward_cost(_deepest(layers)) / forward_cost(
            MEASURED_LAYER
        )
        total += int(steps) * seconds * pixels * depth + setup_seconds
    return total


def print_time_estimate(
    what: str,
    run_layers: Sequence[str | Sequence[str]],
    *,
    size: int,
    steps: int,
    extractor: Any = None,
    coarse_to_fine: Any = None,
) -> float:
    """Print ``what: N optimisations of S evaluations at P px, about T s on this computer`` and
    return T.

    Args:
        what: what the cell computes, e.g. ``"content reconstructions"``.
        run_layers: per optimisation, its layer or layers (see :func:`estimate_seconds`).
        size: longest side in px; steps: evaluations per optimisation.
        extractor: the lesson's feature extractor (timed once per session; default: built here).
        coarse_to_fine: the runs' ``coarse_to_fine`` setting (None: auto;
            see :func:`estimate_seconds`).
    """
    measured = seconds_per_evaluation(extractor)
    seconds = estimate_seconds(run_layers, size, steps, measured, coarse_to_fine=coarse_to_fine)
    count = len(run_layers)
    runs = (
        f"{count} optimisation{'s' if count != 1 else ''} of {int(steps)} evaluations at "
        f"{int(size)} px"
    )
    stages = stage_sizes(int(size), coarse_to_fine)
    runs += (
        f" (the first {split_steps(int(steps), len(stages))[0]} at {stages[0]} px)"
        if len(stages) > 1
        else ""
    )
    when = f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"
    print(
        f"{what}: {runs}, about {when} on this computer "
        f"(one evaluation at {measured[0]} px takes {measured[1]:.2f} s here)."
    )
    return seconds
