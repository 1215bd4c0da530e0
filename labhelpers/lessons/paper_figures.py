"""Tools of lesson 06 (``notebooks/06_paper_figures.ipynb``): Gatys et al.'s experiments at class size.

* :data:`STYLE_LAYER_SETS` and :func:`layer_ratio_grid`: their Fig. 4, the style matched on ever
  deeper layer sets (rows) against the style/content weight ratio (columns);
* :func:`start_comparison`: their Fig. 5 idea, the same loss optimised from the photo, from the
  painting and from noise;
* :func:`color_comparison`: the plain result next to the two colour-preserving ones of Gatys et
  al. (2017), luminance-only transfer and colour-histogram matching.

Every run is a :class:`labhelpers.transfer.run.StyleTransfer` (L-BFGS, the faster path, coarse to
fine where the size allows). Conventions: pictures are float32 RGB in [0, 1], ``(H, W, 3)``; sizes
are pixels of the longest side.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from labhelpers.network.layers import BLOCK_FIRST_LAYERS
from labhelpers.transfer.run import StyleTransfer, StyleTransferResult

__all__ = ["STYLE_LAYER_SETS", "START_LABELS", "layer_ratio_grid", "start_comparison", "color_comparison"]

#: Gatys et al.'s Fig. 4 rows: conv1 only, conv1 + conv2, ..., conv1 ... conv5 (first conv of each block).
STYLE_LAYER_SETS: dict[str, tuple[str, ...]] = {
    ("conv1" if n == 1 else f"conv1-{n}"): tuple(BLOCK_FIRST_LAYERS[:n]) for n in range(1, 6)
}

#: The starting pictures of :func:`start_comparison`, in words for the captions.
START_LABELS = {"content": "the photo", "style": "the painting", "noise": "noise"}


def layer_ratio_grid(photo: Any, painting: Any, extractor: Any, ratios: Sequence[float], *, size: int,
                     steps: int, layer_sets: Mapping[str, Sequence[str]] | None = None,
                     progress: Callable[[str], Any] | None = None,
                     **run_options: Any) -> dict[tuple[str, float], np.ndarray]:
    """Gatys et al.'s Fig. 4 at class size: pictures for each style-layer set and style/content ratio.

    Args:
        photo, painting: the pictures (anything :func:`labhelpers.load_image` accepts).
        extractor: the feature extractor (shared, so VGG16 is loaded once).
        ratios: style weight / content weight values (content weight 1), the grid's columns.
        size: longest side in pixels; steps: L-BFGS evaluations per picture (from the photo).
        layer_sets: row name -> style layers; default :data:`STYLE_LAYER_SETS`.
        progress: called with a short text before each row (e.g. ``print``).
        **run_options: more arguments of :meth:`StyleTransfer.run` (e.g. ``progress=True`` for a bar per picture).

    Returns:
        ``{(row name, ratio): picture (H, W, 3) float32 in [0, 1]}``, rows in order, ratios in order.
    """
    layer_sets = STYLE_LAYER_SETS if layer_sets is None else layer_sets
    pictures = {}
    for row, layers in layer_sets.items():
        if progress is not None:
            progress(f"style layers {row}: {len(ratios)} pictures")
        transfer = StyleTransfer(photo, painting, size=size, extractor=extractor, style_layers=list(layers))
        for ratio in ratios:
            result = transfer.run(steps=steps, content_weight=1.0, style_weight=float(ratio), tv_weight=1.0,
                                  **run_options)
            pictures[(row, float(ratio))] = np.asarray(result.image, np.float32)
    return pictures


def start_comparison(photo: Any, painting: Any, extractor: Any, *, size: int, steps: int,
                     starts: Sequence[str] = ("content", "style", "noise"),
                     **run_options: Any) -> dict[str, StyleTransferResult]:
    """Gatys et al.'s Fig. 5 idea: the same optimisation started from the photo, the painting and noise.

    Args:
        photo, painting, extractor, size: as in :func:`layer_ratio_grid`.
        steps: L-BFGS evaluations per picture (the same for every start).
        starts: which starting pictures, in order (``init`` values: content, style, noise).
        **run_options: more arguments of :meth:`StyleTransfer.run` (weights, ``progress=True``, ...).

    Returns:
        ``{start: result}``: the same weights and number of evaluations for each; noise is seeded (0).
    """
    transfer = StyleTransfer(photo, painting, size=size, extractor=extractor)
    return {start: transfer.run(steps=steps, init=start, seed=0, **run_options) for start in starts}


def color_comparison(photo: Any, painting: Any, extractor: Any, *, size: int, steps: int,
                     modes: Sequence[str | None] = (None, "luminance", "histogram"),
                     **run_options: Any) -> dict[str, StyleTransferResult]:
    """The plain result next to the two colour-preserving ones (Gatys et al. 2017).

    Args:
        photo, painting, extractor, size, steps: as in :func:`start_comparison`.
        modes: ``None`` (plain), ``"luminance"`` and/or ``"histogram"``, in order.
        **run_options: more arguments of :meth:`StyleTransfer.run`.

    Returns:
        ``{"plain" | "luminance" | "histogram": result}``.
    """
    transfer = StyleTransfer(photo, painting, size=size, extractor=extractor)
    return {(mode or "plain"): transfer.run(steps=steps, preserve_color=mode, **run_options) for mode in modes}
