"""The targets of a style-transfer run, computed once per picture size and colour mode.

A :class:`Targets` holds what the loss compares the optimised picture with: the content photo's
feature maps, the (blended) Gram matrices of the painting(s), and each layer's normaliser (the
target's mean square; see :mod:`labhelpers.transfer.objective`). Computing them costs one VGG16
pass per picture; :class:`~labhelpers.transfer.run.StyleTransfer` keeps them, so changing a
weight or the optimiser never recomputes them.

Colour modes (Gatys et al. 2017, "Controlling perceptual factors"):

* ``"luminance"``: content and styles become grey pictures of their luminance (the style's
  luminance shifted/scaled to the content's mean and standard deviation); the run optimises a
  grey picture and the content's chroma is put back afterwards.
* ``"histogram"``: the style pictures' colours are mapped so that their mean and covariance equal
  the content's (:func:`labhelpers.color.match_color_statistics`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from labhelpers import color
from labhelpers.config import import_tensorflow
from labhelpers.images import resize_to
from labhelpers.losses import gram_matrix

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

__all__ = ["Targets", "compute_targets", "blend_weights", "resize_exact"]


@dataclass(frozen=True)
class Targets:
    """Everything computed once for one picture size and colour mode.

    Attributes:
        content: (H, W, 3) float32 in [0, 1], the content picture the run sees (grey in
            luminance mode).
        content_color: (H, W, 3) float32, the original-colour content at this size.
        styles: the style pictures the run sees, each (h, w, 3) float32, longest side = max(H, W).
        content_features: per content layer (in the order of ``content_layers``): a float32
            tensor (1, h, w, C).
        style_grams: per style layer: a float32 tensor (C, C), blended over the paintings.
        content_norms: (n_content,) float64, mean(P_l ** 2) of each content target.
        style_norms: (n_style,) float64, mean(A_l ** 2) of each Gram target.
        color_mode: None, ``"luminance"`` or ``"histogram"``.
    """

    content: np.ndarray
    content_color: np.ndarray
    styles: list[np.ndarray]
    content_features: list[Any]
    style_grams: list[Any]
    content_norms: np.ndarray
    style_norms: np.ndarray
    color_mode: str | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) of the picture these targets are for, px."""
        return (int(self.content.shape[0]), int(self.content.shape[1]))


def resize_exact(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``image`` (h, w, 3) resized to exactly ``shape`` (H, W) px (a float32 copy if already that
    size)."""
    if image.shape[:2] == tuple(shape):
        return image.astype(np.float32, copy=True)
    return resize_to(image, tuple(int(s) for s in shape))


def blend_weights(style_blend: Any, count: int) -> np.ndarray:
    """One weight per style picture, rescaled to sum to 1 (None: equal weights).

    Raises ValueError when the count does not match or a weight is negative or not a number.
    """
    if style_blend is None:
        return np.full(count, 1.0 / count)
    values = style_blend if isinstance(style_blend, (list, tuple, np.ndarray)) else [style_blend]
    try:
        weights = [float(w) for w in values]
    except (TypeError, ValueError):
        raise ValueError(
            f"style_blend must be a list of numbers, one per style image, not {style_blend!r}."
        ) from None
    if len(weights) != count:
        raise ValueError(
            f"style_blend has {len(weights)} weight(s) but there are {count} style image(s); "
            "give one weight per style image."
        )
    if any(not math.isfinite(w) or w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError(f"style_blend weights must be >= 0 and not all 0, not {weights}.")
    array = np.asarray(weights, dtype=np.float64)
    return array / array.sum()


def _mean_square(tensor: Any, what: str) -> float:
    value = float(tf.reduce_mean(tf.square(tf.cast(tensor, tf.float64))).numpy())
    if not math.isfinite(value):
        raise ValueError(
            f"The feature extractor gave non-finite values for the {what}; its weights are "
            "broken. Rebuild them (python -m labhelpers weights) or use vgg_weights='auto'."
        )
    return value if value > 0 else 1.0


def compute_targets(
    features: Any,
    content_source: np.ndarray,
    style_sources: Sequence[np.ndarray],
    blend: np.ndarray,
    content_layers: Mapping[str, float],
    style_layers: Mapping[str, float],
    shape: tuple[int, int],
    color_mode: str | None = None,
) -> Targets:
    """The :class:`Targets` for a picture of ``shape`` (H, W) px.

    Args:
        features: a feature extractor returning ``{layer: (1, h, w, C)}`` for every layer named in
            ``content_layers`` and ``style_layers``.
        content_source: the content photo (h, w, 3) in [0, 1], any size (resized here).
        style_sources: the paintings, each (h, w, 3) in [0, 1].
        blend: one weight per painting, summing to 1 (:func:`blend_weights`).
        content_layers, style_layers: ``{layer: weight}``; their order is the targets' order.
        shape: (height, width) of the optimised picture, px.
        color_mode: None, ``"luminance"`` or ``"histogram"`` (see the module docstring).
    """
    shape = (int(shape[0]), int(shape[1]))
    content_color = resize_exact(content_source, shape)
    styles = [resize_to(s, max(shape)) for s in style_sources]  # same scale as the content
    content = content_color
    if color_mode == "histogram":
        styles = [color.match_color_statistics(s, content_color, clip=True) for s in styles]
    elif color_mode == "luminance":
        content_y = color.luminance(content_color)
        content = color.gray_to_rgb(content_y)
        styles = [
            color.gray_to_rgb(color.match_luminance(color.luminance(s), content_y)) for s in styles
        ]

    content_maps = features(content)
    content_features = [tf.identity(content_maps[name]) for name in content_layers]
    grams: dict[str, Any] = {}
    for weight, style_image in zip(blend, styles):
        maps = features(style_image)
        for name in style_layers:
            term = gram_matrix(maps[name]) * float(weight)
            grams[name] = term if name not in grams else grams[name] + term
    style_grams = [grams[name] for name in style_layers]
    content_norms = np.array(
        [_mean_square(f, f"content layer {n}") for n, f in zip(content_layers, content_features)]
    )
    style_norms = np.array(
        [_mean_square(g, f"style layer {n}") for n, g in zip(style_layers, style_grams)]
    )
    return Targets(
        content,
        content_color,
        styles,
        content_features,
        style_grams,
        content_norms,
        style_norms,
        color_mode,
    )
