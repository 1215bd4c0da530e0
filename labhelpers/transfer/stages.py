"""Coarse to fine: the stages of a run, their steps and their share of a time budget.

A run at a large size is first optimised at a smaller size and then refined
(:func:`stage_sizes`); its evaluations are split over the stages (:func:`split_steps`, 2:1 at
half the size) and so is its time budget (:func:`stage_deadlines`). Sizes are pixels of the
longest side; times are seconds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "COARSE_TO_FINE_ABOVE",
    "COARSE_TO_FINE_FROM",
    "SMALLEST_STAGE",
    "stage_sizes",
    "split_steps",
    "stage_deadlines",
    "StageDone",
]


#: Above this size (longest side, px) auto coarse-to-fine halves the size until it is at most this.
COARSE_TO_FINE_ABOVE = 512


#: From this size (longest side, px) up, auto coarse-to-fine starts with one stage at half the size
#: (256 px -> [128, 256]): a preview early, and about the same quality per evaluation's cost
#: (see docs/performance.md).
COARSE_TO_FINE_FROM = 256


#: The smallest stage that coarse-to-fine creates, px.
SMALLEST_STAGE = 32


def stage_sizes(size: int, coarse_to_fine: Any = None) -> list[int]:
    """The longest sides (px) of the optimisation stages, coarse to fine, ending with ``size``.

    Args:
        size: the final longest side, px.
        coarse_to_fine: None (auto: on from 256 px), True, False, or an explicit list of smaller
            sizes to go through first (e.g. ``[256, 512]`` for ``size=1024``).

    With True (or auto) the size is halved until it is at most 512 px (at least once, and not below
    32 px): 256 -> [128, 256], 512 -> [256, 512], 1024 -> [512, 1024], 2048 -> [512, 1024, 2048],
    64 -> [32, 64] (True only: auto leaves sizes below 256 px in one stage).
    """
    if coarse_to_fine is None:
        coarse_to_fine = size >= COARSE_TO_FINE_FROM
    if coarse_to_fine is False:
        return [size]
    if coarse_to_fine is True:
        sizes = [size]
        while sizes[0] > COARSE_TO_FINE_ABOVE or len(sizes) == 1:
            half = (sizes[0] + 1) // 2
            if half < SMALLEST_STAGE:
                break
            sizes.insert(0, half)
        return sizes
    earlier = [int(s) for s in coarse_to_fine]
    if any(b <= a for a, b in zip(earlier + [size], (earlier + [size])[1:])):
        raise ValueError(
            f"coarse_to_fine sizes must increase and stay below size={size}; got {earlier}."
        )
    return earlier + [size]


def split_steps(steps: int, stages: int) -> list[int]:
    """Split ``steps`` evaluations over at most ``stages`` stages, coarse ones getting more
    (2^k:...:2:1).

    Returns one count >= 1 per stage kept (fewer stages than asked when ``steps < stages``; the
    finest stages are kept), summing to ``steps``.
    """
    stages = min(stages, steps)
    weights = np.array([2.0 ** (stages - 1 - i) for i in range(stages)])
    counts = np.maximum(1, np.floor(steps * weights / weights.sum())).astype(int)
    counts[-1] += steps - counts.sum()
    while counts[-1] < 1:  # only for tiny step counts: take from the largest
        counts[np.argmax(counts)] -= 1
        counts[-1] += 1
    return [int(c) for c in counts]


def stage_deadlines(
    budget_s: float | None, counts: list[int], pixels: list[int]
) -> list[float | None]:
    """When each stage must end (seconds since the run started) for a time budget shared like
    the work.

    Each stage's share of ``budget_s`` is its evaluations times its pixel count (one evaluation's
    cost grows with the pixels), so coarse stages get the share their steps need and the last
    stage's deadline is the whole budget. None (no budget) gives None for every stage.

    Args:
        budget_s: the run's time budget in seconds, or None.
        counts: evaluations per stage, coarse to fine.
        pixels: pixels (H * W) of each stage's picture.
    """
    if budget_s is None:
        return [None] * len(counts)
    work = np.cumsum([float(c) * float(p) for c, p in zip(counts, pixels)])
    deadlines = [float(budget_s) * w / work[-1] for w in work]
    deadlines[-1] = float(budget_s)  # exactly the budget, whatever the rounding
    return deadlines


class StageDone(Exception):
    """Ends a coarse stage whose share of the time budget is used up; the run goes on with the next
    stage."""
