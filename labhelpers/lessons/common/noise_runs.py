"""Optimisations started from noise: the machinery of lessons 01-04's experiments.

Every experiment of notebooks 01-04 (reconstructions, textures, TV sweeps) is the library's own
:class:`~labhelpers.transfer.run.StyleTransfer`, run with some loss terms at weight 0 and started
from noise by :func:`from_noise`, so the lessons show the same machinery the panel uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from labhelpers.lessons.common.pictures import noise_image
from labhelpers.transfer.run import StyleTransfer, StyleTransferResult

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    pass

__all__ = [
    "from_noise",
]


def from_noise(
    transfer: StyleTransfer,
    *,
    steps: int,
    content_weight: float = 0.0,
    style_weight: float = 0.0,
    tv_weight: float = 0.0,
    seed: int = 0,
    noise_amplitude: float = 1.0,
    **run_options: Any,
) -> tuple[np.ndarray, StyleTransferResult]:
    """Run a prepared transfer from noise with the chosen loss terms (the others at weight 0).

    Args:
        transfer: a :class:`~labhelpers.transfer.run.StyleTransfer` (targets already computed).
        steps: loss-and-gradient evaluations.
        content_weight, style_weight, tv_weight: the loss weights (>= 0); left out means 0.
        seed: seed of the noise start (same seed, same start).
        noise_amplitude: strength of the start noise, 0 to 1 (see :func:`noise_image`).
        **run_options: more arguments of :meth:`~labhelpers.transfer.run.StyleTransfer.run`
            (``optimizer="adam"``, ``callback=...``, ...).

    Returns:
        ``(start, result)``: the noise start, float32 (H, W, 3) in [0, 1] of the transfer's size,
        and the run's result.
    """
    start = noise_image(transfer.content.shape[:2], seed, noise_amplitude)
    result = transfer.run(
        steps=steps,
        content_weight=content_weight,
        style_weight=style_weight,
        tv_weight=tv_weight,
        init=start,
        seed=seed,
        **run_options,
    )
    return start, result
