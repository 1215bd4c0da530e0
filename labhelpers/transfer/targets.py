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

Controls (lesson 08, Gatys et al. 2017):

* regions (``content_masks``): one region per painting. Each region's target is its painting's
  Gram matrix, and the picture's Gram matrix of that region is the guided one
  (:func:`labhelpers.losses.guided_gram_matrix`) with the region's mask on each layer's grid
  (:func:`labhelpers.images.masks.mask_on_grid`); ``style_masks`` choose the part of each
  painting (a guided Gram matrix of the painting). The part of the photo outside every mask
  (``cover`` < 1) is shown as the photo.
* scale (``style_scale``): the paintings' longest side is ``style_scale`` times the picture's.
* layers (``layer_paintings``): listed style layers take one painting's Gram matrix, not the blend.
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
from labhelpers.images.masks import mask_on_grid, resize_mask
from labhelpers.losses import gram_matrix, guided_gram_matrix

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
        region_grams: with content masks: per style layer a float32 tensor (R, C, C), region r's
            target (its painting's Gram matrix); else None.
        layer_masks: with content masks: per style layer a float32 tensor (R, h, w), the regions'
            masks on that layer's grid; else None.
        region_norms: with content masks: (n_style, R) float64, mean square of each region's
            target; else None.
        cover: with content masks: (H, W) float32, the masks' sum clipped to [0, 1] (where the
            painted picture is shown; the photo elsewhere); else None.
    """

    content: np.ndarray
    content_color: np.ndarray
    styles: list[np.ndarray]
    content_features: list[Any]
    style_grams: list[Any]
    content_norms: np.ndarray
    style_norms: np.ndarray
    color_mode: str | None = None
    region_grams: list[Any] | None = None
    layer_masks: list[Any] | None = None
    region_norms: np.ndarray | None = None
    cover: np.ndarray | None = None

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


def _painting_gram(maps: Mapping[str, Any], name: str, mask: np.ndarray | None) -> Any:
    """The Gram matrix (C, C) of a painting at layer ``name``: guided by ``mask`` (at the
    painting's size) when there is one."""
    if mask is None:
        return gram_matrix(maps[name])
    grid = tuple(int(d) for d in maps[name].shape[1:3])
    return guided_gram_matrix(maps[name], mask_on_grid(mask, grid))


def compute_targets(
    features: Any,
    content_source: np.ndarray,
    style_sources: Sequence[np.ndarray],
    blend: np.ndarray,
    content_layers: Mapping[str, float],
    style_layers: Mapping[str, float],
    shape: tuple[int, int],
    color_mode: str | None = None,
    *,
    style_scale: float = 1.0,
    content_masks: Sequence[np.ndarray] | None = None,
    style_masks: Sequence[np.ndarray | None] | None = None,
    layer_paintings: Mapping[str, int] | None = None,
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
        style_scale: the paintings' longest side relative to the picture's.
        content_masks: one checked mask (H0, W0) in [0, 1] per painting, any size of the photo's
            proportions (resized here), or None (no regions).
        style_masks: one mask per painting (None: the whole painting), of its proportions, or None.
        layer_paintings: ``{style layer: painting index}`` taking one painting's Gram matrix.
    """
    shape = (int(shape[0]), int(shape[1]))
    content_color = resize_exact(content_source, shape)
    painting_side = max(1, round(style_scale * max(shape)))
    styles = [resize_to(s, painting_side) for s in style_sources]  # style_scale x the content's
    content = content_color
    if color_mode == "histogram":
        styles = [color.match_color_statistics(s, content_color, clip=True) for s in styles]
    elif color_mode == "luminance":
        content_y = color.luminance(content_color)
        content = color.gray_to_rgb(content_y)
        styles = [
            color.gray_to_rgb(color.match_luminance(color.luminance(s), content_y)) for s in styles
        ]
    painting_masks = [
        None
        if style_masks is None or style_masks[i] is None
        else resize_mask(style_masks[i], s.shape[:2])
        for i, s in enumerate(styles)
    ]

    content_maps = features(content)
    content_features = [tf.identity(content_maps[name]) for name in content_layers]
    painting_maps = [features(style_image) for style_image in styles]
    grams: dict[str, Any] = {}
    for index, (weight, maps) in enumerate(zip(blend, painting_maps)):
        for name in style_layers:
            own = (layer_paintings or {}).get(name)
            if own is not None and own != index:
                continue
            term = _painting_gram(maps, name, painting_masks[index])
            term = term if own is not None else term * float(weight)
            grams[name] = term if name not in grams else grams[name] + term
    region_grams = layer_masks = region_norms = cover = None
    if content_masks is not None:
        regions = [resize_mask(m, shape) for m in content_masks]
        cover = np.clip(np.sum(regions, axis=0), 0.0, 1.0).astype(np.float32)
        region_grams, layer_masks, norms = [], [], []
        for name in style_layers:
            grid = tuple(int(d) for d in content_maps[name].shape[1:3])
            layer_masks.append(tf.constant(np.stack([mask_on_grid(m, grid) for m in regions])))
            per_region = [
                _painting_gram(maps, name, mask)
                for maps, mask in zip(painting_maps, painting_masks)
            ]
            region_grams.append(tf.stack(per_region))
            norms.append([_mean_square(g, f"style layer {name}") for g in per_region])
            grams[name] = tf.reduce_mean(region_grams[-1], axis=0)
        region_norms = np.array(norms)
    style_grams = [grams[name] for name in style_layers]
    content_norms = np.array(
        [_mean_square(f, f"content layer {n}") for n, f in zip(content_layers, content_features)]
    )
    style_norms = (
        np.array([_mean_square(g, f"style layer {n}") for n, g in zip(style_layers, style_grams)])
        if region_norms is None
        else region_norms.mean(axis=1)
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
        region_grams,
        layer_masks,
        region_norms,
        cover,
    )
