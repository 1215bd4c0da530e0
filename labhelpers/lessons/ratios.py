"""Lesson 07: what decides the picture is the *ratio* of the loss weights, shown rather than told.

:func:`weight_scale_comparison` runs one prepared transfer with some weights, with all of them
multiplied by the same factor (the same ratios: the loss is only multiplied by that factor) and with
the style weight alone multiplied (another ratio), and measures how far each picture is from the
first: the mean pixel difference in grey levels and the normalised content and style errors.
Reached as ``labhelpers.experiments.weight_scale_comparison``.

Conventions: pictures are float32 (H, W, 3) in [0, 1]; weights are (content, style, TV).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from labhelpers.transfer.run import StyleTransfer, StyleTransferResult

__all__ = ["ScaleComparison", "weight_scale_comparison", "format_weights", "plot_scale_comparison"]


@dataclass
class ScaleComparison:
    """Results of :func:`weight_scale_comparison`, in order: the weights, all of them scaled, the style alone scaled.

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


def weight_scale_comparison(transfer: StyleTransfer, *, steps: int, weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
                            scale: float = 10.0, reuse: Sequence[StyleTransferResult] = (),
                            **run_options: Any) -> ScaleComparison:
    """The same picture from weights at two scales, and a different picture from a different ratio.

    Three runs on ``transfer`` (same start, same number of evaluations): ``weights``; all three
    weights times ``scale`` (the same ratios: the loss is only multiplied by ``scale``, and L-BFGS's
    steps do not depend on that, up to rounding); only the style weight times ``scale`` (a
    different style : content ratio).

    Args:
        transfer: a prepared :class:`~labhelpers.transfer.run.StyleTransfer` (e.g. ``RatioGrid.transfer``).
        steps: evaluations per run.
        weights: (content_weight, style_weight, tv_weight) of the first run.
        scale: the factor (> 0, not 1).
        reuse: results already computed on ``transfer`` (e.g. ``RatioGrid.results``); a run whose
            weights and steps match one of them is taken from it instead of being computed again.
        **run_options: more arguments of :meth:`~labhelpers.transfer.run.StyleTransfer.run` (e.g. ``progress=True``).

    Raises:
        ValueError: ``scale`` is not a number > 0 other than 1.
    """
    if not (float(scale) > 0 and float(scale) != 1.0):
        raise ValueError(f"scale must be a number > 0 other than 1, such as 10, not {scale!r}.")
    content, style, tv = (float(w) for w in weights)
    runs = {f"weights {format_weights(content, style, tv)}": (content, style, tv),
            f"all x{scale:g}: {format_weights(content * scale, style * scale, tv * scale)}":
                (content * scale, style * scale, tv * scale),
            f"style only x{scale:g}: {format_weights(content, style * scale, tv)}": (content, style * scale, tv)}
    done = {(tuple(float(r.options.get(k, float("nan"))) for k in ("content_weight", "style_weight", "tv_weight")),
             int(r.options.get("steps", -1))): r for r in reuse}
    results = {label: done.get((w, int(steps))) or transfer.run(steps=int(steps), content_weight=w[0], style_weight=w[1],
                                                                tv_weight=w[2], **run_options)
               for label, w in runs.items()}
    first = np.asarray(next(iter(results.values())).image, np.float64)
    differences = {label: float(np.mean(np.abs(np.asarray(r.image, np.float64) - first)) * 255.0)
                   for label, r in results.items()}
    errors = {}
    for label, r in results.items():
        terms = transfer.losses(r.image, content_weight=1.0, style_weight=1.0, tv_weight=1.0)
        errors[label] = {"content": float(terms["content"]), "style": float(terms["style"])}
    return ScaleComparison(weights=runs, results=results, differences=differences, errors=errors)


def format_weights(content_weight: float, style_weight: float, tv_weight: float) -> str:
    """``"content 1, style 10, TV 1"``: three loss weights for a caption."""
    return f"content {content_weight:g}, style {style_weight:g}, TV {tv_weight:g}"


def plot_scale_comparison(comparison: ScaleComparison, height_in: float = 3.0) -> Any:
    """The pictures of :func:`weight_scale_comparison` side by side, each captioned with its weights, its
    mean pixel difference from the first picture (grey levels) and its content and style errors.

    Returns:
        The matplotlib Figure.
    """
    from labhelpers.lessons.plots import image_grid  # lazy: matplotlib only when drawing

    captions = []
    for index, (label, result) in enumerate(comparison.results.items()):
        errors = comparison.errors[label]
        change = "the first picture" if index == 0 else f"{comparison.differences[label]:.1f} grey levels from the first"
        captions.append(f"{label}\n{change}\ncontent error {errors['content']:.2f}, style error {errors['style']:.2f}")
    return image_grid([result.image for result in comparison.results.values()], captions, height_in=height_in)
