"""Lesson 06 (``notebooks/06_paper_figures.ipynb``): Gatys et al.'s figures, rerun.

- "Fig. 4": :func:`layer_ratio_grid` (style-layer sets :data:`STYLE_LAYER_SETS` x ratios) and
  :func:`plot_layer_ratio_grid` (the table of pictures with its row and column headers).
- "Fig. 5": :func:`start_comparison` (photo, painting or noise as the start) and
  :func:`color_comparison` (colour preservation).
- :data:`RUNS`: the optimisations the notebook runs at full size.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from labhelpers.lessons.common.figures import format_weight, image_grid
from labhelpers.lessons.common.timing import LessonRun
from labhelpers.network.layers import BLOCK_FIRST_LAYERS
from labhelpers.transfer.run import StyleTransfer, StyleTransferResult

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure

__all__ = [
    "RUNS",
    "layer_ratio_grid",
    "plot_layer_ratio_grid",
    "start_comparison",
    "color_comparison",
]


#: The optimisations the notebook runs at full size (not in fast mode); the time estimates
#: and tests/test_notebooks.py's check of the parameters cell are built from them.
RUNS: tuple[LessonRun, ...] = (
    LessonRun(
        "Gatys Fig. 4: five style-layer sets x two style/content ratios",
        10,
        128,
        30,
        1.0,
        "GRID_SIZE",
        "GRID_STEPS",
    ),
    LessonRun(
        "Gatys Fig. 5 starts (photo, painting, noise), QUICK_SETTINGS and two colour modes",
        6,
        96,
        80,
        1.0,
        "START_SIZE",
        "START_STEPS",
    ),
)


#: Gatys et al.'s Fig. 4 rows: conv1 only, conv1 + conv2, ..., conv1 ... conv5 (first conv of each
#: block).
STYLE_LAYER_SETS: dict[str, tuple[str, ...]] = {
    ("conv1" if n == 1 else f"conv1-{n}"): tuple(BLOCK_FIRST_LAYERS[:n]) for n in range(1, 6)
}


#: The starting pictures of :func:`start_comparison`, in words for the captions.
START_LABELS = {"content": "the photo", "style": "the painting", "noise": "noise"}


def layer_ratio_grid(
    photo: Any,
    painting: Any,
    extractor: Any,
    ratios: Sequence[float],
    *,
    size: int,
    steps: int,
    layer_sets: Mapping[str, Sequence[str]] | None = None,
    progress: Callable[[str], Any] | None = None,
    **run_options: Any,
) -> dict[tuple[str, float], np.ndarray]:
    """Gatys et al.'s Fig. 4 at class size: pictures for each style-layer set and style/content
    ratio.

    Args:
        photo, painting: the pictures (anything :func:`labhelpers.load_image` accepts).
        extractor: the feature extractor (shared, so VGG16 is loaded once).
        ratios: style weight / content weight values (content weight 1), the grid's columns.
        size: longest side in pixels; steps: L-BFGS evaluations per picture (from the photo).
        layer_sets: row name -> style layers; default :data:`STYLE_LAYER_SETS`.
        progress: called with a short text before each row (e.g. ``print``).
        **run_options: more arguments of :meth:`StyleTransfer.run` (e.g. ``progress=True`` for a
            bar per picture).

    Returns:
        ``{(row name, ratio): picture (H, W, 3) float32 in [0, 1]}``, rows in order, ratios
        in order.
    """
    layer_sets = STYLE_LAYER_SETS if layer_sets is None else layer_sets
    pictures = {}
    for row, layers in layer_sets.items():
        if progress is not None:
            progress(f"style layers {row}: {len(ratios)} pictures")
        transfer = StyleTransfer(
            photo, painting, size=size, extractor=extractor, style_layers=list(layers)
        )
        for ratio in ratios:
            result = transfer.run(
                steps=steps,
                content_weight=1.0,
                style_weight=float(ratio),
                tv_weight=1.0,
                **run_options,
            )
            pictures[(row, float(ratio))] = np.asarray(result.image, np.float32)
    return pictures


def plot_layer_ratio_grid(
    pictures: Mapping[tuple[str, float], np.ndarray], height_in: float = 2.0
) -> "Figure":
    """Draw :func:`layer_ratio_grid`'s pictures as the paper's table: one row per style-layer
    set (headed by its layers), one column per style/content ratio (headed by the ratio).

    Args:
        pictures: ``{(row name, ratio): picture (H, W, 3) in [0, 1]}`` in row order, each row
            with the same ratios in the same order (what :func:`layer_ratio_grid` returns).
        height_in: height of one picture in inches.
    """
    rows = list(dict.fromkeys(row for row, _ in pictures))
    ratios = list(dict.fromkeys(ratio for _, ratio in pictures))
    missing = [(row, ratio) for row in rows for ratio in ratios if (row, ratio) not in pictures]
    if missing:
        raise ValueError(
            f"plot_layer_ratio_grid: no picture for {missing[0]}; pass the whole grid"
        )
    return image_grid(
        [pictures[(row, ratio)] for row in rows for ratio in ratios],
        columns=len(ratios),
        height_in=height_in,
        row_labels=[f"style at {row}" for row in rows],
        column_labels=[f"style/content {format_weight(ratio)}" for ratio in ratios],
        suptitle="Gatys et al.'s Fig. 4 at class size\nrows: the layers where the style is "
        "matched\ncolumns: its weight over the content's",
    )


def start_comparison(
    photo: Any,
    painting: Any,
    extractor: Any,
    *,
    size: int,
    steps: int,
    starts: Sequence[str] = ("content", "style", "noise"),
    **run_options: Any,
) -> dict[str, StyleTransferResult]:
    """Gatys et al.'s Fig. 5 idea: the same optimisation started from the photo, the painting and
    noise.

    Args:
        photo, painting, extractor, size: as in :func:`layer_ratio_grid`.
        steps: L-BFGS evaluations per picture (the same for every start).
        starts: which starting pictures, in order (``init`` values: content, style, noise).
        **run_options: more arguments of :meth:`StyleTransfer.run` (weights,
            ``progress=True``, ...).

    Returns:
        ``{start: result}``: the same weights and number of evaluations for each; noise is seeded
        (0).
    """
    transfer = StyleTransfer(photo, painting, size=size, extractor=extractor)
    return {
        start: transfer.run(steps=steps, init=start, seed=0, **run_options) for start in starts
    }


def color_comparison(
    photo: Any,
    painting: Any,
    extractor: Any,
    *,
    size: int,
    steps: int,
    modes: Sequence[str | None] = (None, "luminance", "histogram"),
    **run_options: Any,
) -> dict[str, StyleTransferResult]:
    """The plain result next to the two colour-preserving ones (Gatys et al. 2017).

    Args:
        photo, painting, extractor, size, steps: as in :func:`start_comparison`.
        modes: ``None`` (plain), ``"luminance"`` and/or ``"histogram"``, in order.
        **run_options: more arguments of :meth:`StyleTransfer.run`.

    Returns:
        ``{"plain" | "luminance" | "histogram": result}``.
    """
    transfer = StyleTransfer(photo, painting, size=size, extractor=extractor)
    return {
        (mode or "plain"): transfer.run(steps=steps, preserve_color=mode, **run_options)
        for mode in modes
    }
