"""Lesson 07 (``notebooks/07_style_transfer.ipynb``): style transfer with the panel.

- "The panel": :class:`labhelpers.panel.StyleTransferPanel` (in :mod:`labhelpers.panel`).
- "The ratio grid": :func:`ratio_grid_results` (result type :class:`RatioGrid`, drawn by
  :func:`plot_ratio_grid`).
- "All weights x10": :func:`weight_scale_comparison` (result type :class:`ScaleComparison`,
  drawn by :func:`plot_scale_comparison`).
- :data:`RUNS`: the optimisations the notebook runs at full size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np

from labhelpers.config import fast_mode
from labhelpers.images import DEFAULT_CONTENT, DEFAULT_STYLE, resize_to
from labhelpers.lessons.common.figures import format_weight, format_weights, image_grid
from labhelpers.lessons.common.timing import LessonRun
from labhelpers.transfer.run import StyleTransfer, StyleTransferResult
from labhelpers.transfer.settings import TransferSettings

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure

    from labhelpers.network.extractor import FeatureExtractor

__all__ = [
    "RUNS",
    "RatioGrid",
    "ratio_grid_results",
    "plot_ratio_grid",
    "ScaleComparison",
    "weight_scale_comparison",
    "plot_scale_comparison",
]


#: The optimisations the notebook runs at full size (not in fast mode); the time estimates
#: and tests/test_notebooks.py's check of the parameters cell are built from them.
RUNS: tuple[LessonRun, ...] = (
    LessonRun(
        "the panel's run (run once by the notebook; each Run click adds one)",
        1,
        256,
        40,
        1.0,
        "SIZE",
        "STEPS",
    ),
    LessonRun(
        "style : content ratio grid (three style weights), then all weights x10",
        4,
        128,
        40,
        1.0,
        "GRID_SIZE",
        "GRID_STEPS",
    ),
)


@dataclass
class RatioGrid:
    """Results of :func:`ratio_grid_results`: one run per style weight, the content weight fixed.

    Attributes:
        content, style: the photo and the painting at the transfer's size, float32 (H, W, 3).
        content_weight: the content weight of every run.
        style_weights: the style weights, in order.
        results: one :class:`~labhelpers.transfer.run.StyleTransferResult` per style weight.
        steps: evaluations per run; size: longest side in px.
        transfer: the prepared transfer the runs used (to run more at the same size and targets).
    """

    content: np.ndarray
    style: np.ndarray
    content_weight: float
    style_weights: list[float]
    results: list[StyleTransferResult]
    steps: int
    size: int
    transfer: StyleTransfer | None = None

    @property
    def ratios(self) -> list[float]:
        """style_weight / content_weight of each run (inf when the content weight is 0)."""
        return [
            w / self.content_weight if self.content_weight > 0 else float("inf")
            for w in self.style_weights
        ]


def ratio_grid_results(
    content: Any = DEFAULT_CONTENT,
    style: Any = DEFAULT_STYLE,
    style_weights: Iterable[float] | None = None,
    *,
    content_weight: float = 1.0,
    size: int | None = None,
    steps: int | None = None,
    extractor: "FeatureExtractor | None" = None,
    vgg_weights: str = "auto",
    transfer: StyleTransfer | None = None,
    **run_options: Any,
) -> RatioGrid:
    """Style transfer at several style : content ratios, the targets computed once.

    Args:
        content, style: the pictures (anything :func:`labhelpers.load_image` accepts).
        style_weights: the style weights to compare (``content_weight`` fixed); default a hundredth
            of, a tenth of and the usual ratio (``TransferSettings``' defaults): photo-like
            to painted.
        content_weight: the content weight of every run.
        size: longest side in px (default 128, or 48 with ``LAB_FAST=1``: a grid is for comparing).
        steps: evaluations per run (default 40, or 5 with ``LAB_FAST=1``).
        extractor, vgg_weights: where VGG16 comes from
            (see :class:`~labhelpers.transfer.run.StyleTransfer`).
        transfer: a prepared transfer to reuse instead (its pictures and size are used).
        **run_options: more arguments of :meth:`~labhelpers.transfer.run.StyleTransfer.run`.
    """
    if style_weights is None:
        defaults = TransferSettings(size=8, steps=1)
        usual = defaults.style_weight / defaults.content_weight * content_weight
        style_weights = (usual / 100, usual / 10, usual)
    weights = [float(w) for w in style_weights]
    if not weights:
        raise ValueError("style_weights is empty; give at least one, e.g. (1, 10, 100).")
    fast = fast_mode()
    if transfer is None:
        size = (48 if fast else 128) if size is None else int(size)
        transfer = StyleTransfer(
            content, style, size=size, extractor=extractor, vgg_weights=vgg_weights
        )
    steps = (5 if fast else 40) if steps is None else int(steps)
    results = [
        transfer.run(steps=steps, content_weight=content_weight, style_weight=w, **run_options)
        for w in weights
    ]
    shape = transfer.content.shape[:2]
    return RatioGrid(
        content=transfer.content,
        style=resize_to(transfer.style_sources[0], max(shape)),
        content_weight=float(content_weight),
        style_weights=weights,
        results=results,
        steps=steps,
        size=int(transfer.size),
        transfer=transfer,
    )


def plot_ratio_grid(grid: "RatioGrid", height_in: float = 2.4) -> "Figure":
    """The photo, the painting, then one result per style weight of a ratio grid, titled with its
    ratio.

    Args:
        grid: what :func:`ratio_grid_results` returned.
        height_in: height of each picture in inches.
    """
    pictures = [grid.content, grid.style] + [result.image for result in grid.results]
    titles = ["photo (content)", "painting (style)"] + [
        f"style ÷ content = {format_weight(r)}" for r in grid.ratios
    ]
    return image_grid(
        pictures,
        titles=titles,
        height_in=height_in,
        suptitle=f"{grid.steps} steps at {grid.size} px: more style weight, more painting",
    )


@dataclass
class ScaleComparison:
    """Results of :func:`weight_scale_comparison`, in order: the weights, all of them scaled, the
    style alone scaled.

    Attributes:
        weights: label -> (content_weight, style_weight, tv_weight) of each run.
        results: label -> its :class:`~labhelpers.transfer.run.StyleTransferResult`.
        differences: label -> mean absolute difference from the first run's picture, in grey levels
            (0-255 per colour value; 0 for the first run itself).
        errors: label -> ``{"content": c, "style": s}``, the picture's normalised content and style
            losses at weight 1 (relative errors, independent of the run's weights).
    """

    weights: dict[str, tuple[float, float, float]]
    results: dict[str, StyleTransferResult]
    differences: dict[str, float]
    errors: dict[str, dict[str, float]]


def weight_scale_comparison(
    transfer: StyleTransfer,
    *,
    steps: int,
    weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
    scale: float = 10.0,
    reuse: Sequence[StyleTransferResult] = (),
    **run_options: Any,
) -> ScaleComparison:
    """The same picture from weights at two scales, and a different picture from a different ratio.

    Three runs on ``transfer`` (same start, same number of evaluations): ``weights``; all three
    weights times ``scale`` (the same ratios: the loss is only multiplied by ``scale``, and
    L-BFGS's steps do not depend on that, up to rounding); only the style weight times ``scale`` (a
    different style : content ratio).

    Args:
        transfer: a prepared :class:`~labhelpers.transfer.run.StyleTransfer` (e.g.
            ``RatioGrid.transfer``).
        steps: evaluations per run.
        weights: (content_weight, style_weight, tv_weight) of the first run.
        scale: the factor (> 0, not 1).
        reuse: results already computed on ``transfer`` (e.g. ``RatioGrid.results``); a run whose
            weights and steps match one of them is taken from it instead of being computed again.
        **run_options: more arguments of :meth:`~labhelpers.transfer.run.StyleTransfer.run` (e.g.
            ``progress=True``).

    Raises:
        ValueError: ``scale`` is not a number > 0 other than 1.
    """
    if not (float(scale) > 0 and float(scale) != 1.0):
        raise ValueError(f"scale must be a number > 0 other than 1, such as 10, not {scale!r}.")
    content, style, tv = (float(w) for w in weights)
    runs = {
        f"weights {format_weights(content, style, tv)}": (content, style, tv),
        f"all x{scale:g}: {format_weights(content * scale, style * scale, tv * scale)}": (
            content * scale,
            style * scale,
            tv * scale,
        ),
        f"style only x{scale:g}: {format_weights(content, style * scale, tv)}": (
            content,
            style * scale,
            tv,
        ),
    }
    done = {
        (
            tuple(
                float(r.options.get(k, float("nan")))
                for k in ("content_weight", "style_weight", "tv_weight")
            ),
            int(r.options.get("steps", -1)),
        ): r
        for r in reuse
    }
    results = {
        label: done.get((w, int(steps)))
        or transfer.run(
            steps=int(steps), content_weight=w[0], style_weight=w[1], tv_weight=w[2], **run_options
        )
        for label, w in runs.items()
    }
    first = np.asarray(next(iter(results.values())).image, np.float64)
    differences = {
        label: float(np.mean(np.abs(np.asarray(r.image, np.float64) - first)) * 255.0)
        for label, r in results.items()
    }
    errors = {}
    for label, r in results.items():
        terms = transfer.losses(r.image, content_weight=1.0, style_weight=1.0, tv_weight=1.0)
        errors[label] = {"content": float(terms["content"]), "style": float(terms["style"])}
    return ScaleComparison(weights=runs, results=results, differences=differences, errors=errors)


def plot_scale_comparison(comparison: ScaleComparison, height_in: float = 3.0) -> Any:
    """The pictures of :func:`weight_scale_comparison` side by side, each captioned with its
    weights, its mean pixel difference from the first picture (grey levels) and its content and
    style errors.

    Returns:
        The matplotlib Figure.
    """

    captions = []
    for index, (label, result) in enumerate(comparison.results.items()):
        errors = comparison.errors[label]
        change = (
            "the first picture"
            if index == 0
            else f"{comparison.differences[label]:.1f} grey levels from the first"
        )
        captions.append(
            f"{label}\n{change}\ncontent error {errors['content']:.2f}, style error "
            f"{errors['style']:.2f}"
        )
    return image_grid(
        [result.image for result in comparison.results.values()], captions, height_in=height_in
    )
