"""Masks: which part of a picture a painting applies to (lesson 08, ``08_controls``).

A mask is a float32 array (H, W) with values in [0, 1]: 1 inside the region, 0 outside, in
between on a soft border. :func:`as_mask` turns what a student has into one: an array (H, W),
(H, W, 1) or a picture (H, W, 3) / (H, W, 4) (its grey level: white = inside), a boolean array,
or anything :func:`labhelpers.images.load_image` opens (a file name, a PIL image, bytes).

Masks a student can make in class, all with an optional soft border (``soft``: its width as a
fraction of the picture's shorter side):

* :func:`rectangle_mask`, :func:`ellipse_mask`: drawn shapes, in fractions of the height and width
  (so the same mask fits the picture at any size);
* :func:`halves_masks`: two masks, left and right (or top and bottom), adding up to 1;
* :func:`brightness_mask`, :func:`color_mask`: a threshold on the photo's brightness or on how
  close each pixel is to a colour; :func:`sky_mask` is the colour mask of a blue sky;
* :func:`complement`: everything but a mask.

:func:`mask_on_grid` downsamples a mask to a VGG16 layer's grid (each cell the mean of the mask
over the pixels it covers); :func:`check_region_masks` is the one check of a run's masks (wrong
shape or size, empty, not covering the photo, more masks than paintings). Nothing here imports
TensorFlow.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from labhelpers.images.arrays import is_array_like, to_numpy
from labhelpers.images.load import load_image

__all__ = [
    "Mask",
    "as_mask",
    "rectangle_mask",
    "ellipse_mask",
    "halves_masks",
    "brightness_mask",
    "color_mask",
    "sky_mask",
    "complement",
    "soften",
    "resize_mask",
    "mask_on_grid",
    "check_region_masks",
    "UNCOVERED_LIMIT",
    "ASPECT_TOLERANCE",
]

#: The largest share of the photo that may lie outside every mask when there are several.
UNCOVERED_LIMIT = 0.005
#: How far (relative) a mask's height : width may differ from the photo's before it is refused.
ASPECT_TOLERANCE = 0.03
#: Below this (on a 0-1 scale) a mask counts as 0: a mask whose every value is below it is empty.
EMPTY_BELOW = 1e-3


@dataclass(frozen=True, eq=False)
class Mask:
    """A checked mask: ``values`` float32 (H, W) in [0, 1], read-only, compared by content.

    Settings hold masks in this form, so two settings with equal masks are equal and hashable.
    """

    values: np.ndarray
    _digest: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        values = np.ascontiguousarray(self.values, dtype=np.float32)
        values.setflags(write=False)
        object.__setattr__(self, "values", values)
        digest = hashlib.sha1(values.tobytes() + str(values.shape).encode()).hexdigest()
        object.__setattr__(self, "_digest", digest)

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) in px."""
        return (int(self.values.shape[0]), int(self.values.shape[1]))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mask) and other._digest == self._digest

    def __hash__(self) -> int:
        return hash(self._digest)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.values if dtype is None else self.values.astype(dtype)

    def __repr__(self) -> str:
        inside = float(self.values.mean())
        return f"Mask({self.shape[0]}x{self.shape[1]} px, {inside:.0%} inside)"


def _mask_shape_error(shape: tuple, what: str) -> ValueError:
    return ValueError(
        f"{what} has shape {shape}, but a mask is (H, W) with values in [0, 1], or a picture "
        "(H, W, 3) whose white part is the region; make one with labhelpers.images.masks "
        "(e.g. rectangle_mask(photo.shape, ...)) or pass the file name of a black-and-white "
        "picture."
    )


def as_mask(source: Any, what: str = "the mask") -> np.ndarray:
    """A mask from an array, a picture or a file: float32 (H, W) in [0, 1].

    Args:
        source: an array (H, W) or (H, W, 1) (bool, uint8 0-255 or floats in [0, 1]), a picture
            (H, W, 3) or (H, W, 4) (its mean over the colour channels: white = 1), a
            :class:`Mask`, or a file name / path / PIL image / bytes that
            :func:`~labhelpers.images.load_image` opens (the picture's grey level).
        what: how messages name it (e.g. ``"content_masks[1]"``).

    Raises:
        ValueError: a wrong shape, values outside [0, 1], or a picture that cannot be loaded
            (an :class:`~labhelpers.images.ImageError`); the message says what to pass.
    """
    if isinstance(source, Mask):
        return source.values
    if isinstance(source, (list, tuple)):
        source = np.asarray(source)
    if isinstance(source, (str, os.PathLike, bytes, bytearray)) or not is_array_like(source):
        picture = load_image(source)
        return picture.mean(axis=-1).astype(np.float32)
    array = np.asarray(to_numpy(source))
    if array.ndim == 3 and array.shape[-1] in (1, 3, 4):
        array = array[..., :3].mean(axis=-1) if array.shape[-1] > 1 else array[..., 0]
    elif array.ndim != 2:
        raise _mask_shape_error(tuple(array.shape), what)
    if min(array.shape) < 1:
        raise _mask_shape_error(tuple(array.shape), what)
    if array.dtype == np.bool_:
        return array.astype(np.float32)
    if np.issubdtype(array.dtype, np.integer):
        if array.min() < 0 or array.max() > 255:
            raise ValueError(
                f"{what} holds whole numbers from {array.min()} to {array.max()}; a mask of whole "
                "numbers is 0-255 (uint8). Divide it to [0, 1] floats instead."
            )
        return (array / 255.0 if array.max() > 1 else array).astype(np.float32)
    values = array.astype(np.float32)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{what} contains NaN or infinite values; a mask holds values in [0, 1].")
    low, high = float(values.min()), float(values.max())
    if low < 0.0 or high > 1.0:
        raise ValueError(
            f"{what} has values from {low:.3g} to {high:.3g}; a mask holds values in [0, 1] "
            "(1 inside the region). Rescale it, e.g. np.clip(m, 0, 1)."
        )
    return values


def _grid(shape: Sequence[int]) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Row and column coordinates (fractions 0-1 of the height and width) of pixel centres."""
    height, width = int(shape[0]), int(shape[1])
    rows = (np.arange(height, dtype=np.float32) + 0.5) / height
    cols = (np.arange(width, dtype=np.float32) + 0.5) / width
    return rows[:, None], cols[None, :], height, width


def _ramp(distance_px: np.ndarray, soft_px: float) -> np.ndarray:
    """1 inside (distance <= -soft/2), 0 outside (>= soft/2), a smooth step in between."""
    if soft_px <= 0:
        return (distance_px <= 0).astype(np.float32)
    t = np.clip(0.5 - distance_px / soft_px, 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(np.float32)


def _soft_px(shape: Sequence[int], soft: float) -> float:
    if not (isinstance(soft, (int, float)) and 0.0 <= soft <= 1.0):
        raise ValueError(
            f"soft is the soft border's width as a fraction of the shorter side, 0-1 such as "
            f"0.05, not {soft!r}."
        )
    return float(soft) * min(int(shape[0]), int(shape[1]))


def rectangle_mask(
    shape: Sequence[int],
    top: float,
    left: float,
    bottom: float,
    right: float,
    soft: float = 0.0,
) -> np.ndarray:
    """A drawn rectangle: float32 (H, W), 1 inside.

    Args:
        shape: the picture's shape (H, W) or (H, W, 3), px.
        top, left, bottom, right: the rectangle's edges as fractions (0-1) of the height and
            width, e.g. ``rectangle_mask(photo.shape, 0, 0, 0.4, 1)`` for the top 40 %.
        soft: width of the soft border, as a fraction of the shorter side (0: a hard edge).
    """
    rows, cols, height, width = _grid(shape)
    if not (0 <= top < bottom <= 1 and 0 <= left < right <= 1):
        raise ValueError(
            "rectangle_mask needs 0 <= top < bottom <= 1 and 0 <= left < right <= 1 (fractions "
            f"of the height and width), not top={top}, left={left}, bottom={bottom}, "
            f"right={right}."
        )
    far = -np.inf  # an edge on the picture's own edge is not softened

    def side(distance: np.ndarray, at_border: bool) -> np.ndarray:
        return np.full_like(distance, far) if at_border else distance

    # px outside (> 0) or inside (< 0) of each edge
    dy = np.maximum(side(top - rows, top <= 0), side(rows - bottom, bottom >= 1))
    dx = np.maximum(side(left - cols, left <= 0), side(cols - right, right >= 1))
    dy, dx = dy * height, dx * width
    return _ramp(np.maximum(dy, dx), _soft_px(shape, soft))


def ellipse_mask(
    shape: Sequence[int],
    center: tuple[float, float] = (0.5, 0.5),
    radii: tuple[float, float] = (0.3, 0.3),
    soft: float = 0.0,
) -> np.ndarray:
    """A drawn ellipse: float32 (H, W), 1 inside.

    Args:
        shape: the picture's shape (H, W) or (H, W, 3), px.
        center: (row, column) of the centre as fractions (0-1) of the height and width.
        radii: (vertical, horizontal) radii as fractions of the height and width (> 0).
        soft: width of the soft border, as a fraction of the shorter side.
    """
    rows, cols, height, width = _grid(shape)
    if min(radii) <= 0:
        raise ValueError(f"ellipse_mask's radii must be > 0 (fractions), not {radii}.")
    ry, rx = radii[0] * height, radii[1] * width
    y, x = (rows - center[0]) * height, (cols - center[1]) * width
    radius = np.sqrt((y / ry) ** 2 + (x / rx) ** 2)  # 1 on the border
    return _ramp((radius - 1.0) * min(ry, rx), _soft_px(shape, soft))


def halves_masks(
    shape: Sequence[int], soft: float = 0.1, split: float = 0.5, vertical: bool = True
) -> list[np.ndarray]:
    """Two masks, left and right of ``split`` (top and bottom with ``vertical=False``), adding up
    to 1 everywhere, with a soft border ``soft`` wide (fraction of the shorter side)."""
    rows, cols, height, width = _grid(shape)
    if vertical:
        first = _ramp((cols - split) * width + 0 * rows, _soft_px(shape, soft))
    else:
        first = _ramp((rows - split) * height + 0 * cols, _soft_px(shape, soft))
    return [first, (1.0 - first).astype(np.float32)]


def soften(mask: Any, soft: float, shape: Sequence[int] | None = None) -> np.ndarray:
    """``mask`` blurred so that its edges become a border about ``soft`` (fraction of the shorter
    side) wide; float32 (H, W) in [0, 1]. A Gaussian blur, one row and one column at a time."""
    values = as_mask(mask)
    sigma = _soft_px(values.shape if shape is None else shape, soft) / 4.0
    if sigma <= 0:
        return values.copy()
    radius = int(np.ceil(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    padded = np.pad(values, radius, mode="edge")
    blurred = np.apply_along_axis(np.convolve, 0, padded, taps, mode="valid")
    blurred = np.apply_along_axis(np.convolve, 1, blurred, taps, mode="valid")
    return np.clip(blurred, 0.0, 1.0).astype(np.float32)


def _luminance(picture: np.ndarray) -> np.ndarray:
    """Rec. 601 luma of (H, W, 3) in [0, 1]."""
    return picture[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)


def brightness_mask(
    picture: Any, threshold: float = 0.5, above: bool = True, soft: float = 0.02
) -> np.ndarray:
    """The pixels brighter (``above``) or darker than ``threshold`` (0-1 luminance).

    Args:
        picture: the photo (anything :func:`~labhelpers.images.load_image` accepts).
        threshold: the luminance (Rec. 601, 0-1) where the mask is 0.5.
        above: True: bright pixels are inside; False: dark ones.
        soft: the blur that softens the mask's edges (fraction of the shorter side).
    """
    rgb = load_image(picture)
    light = _luminance(rgb)
    inside = light >= threshold if above else light < threshold
    return soften(inside.astype(np.float32), soft)


def color_mask(
    picture: Any, color: Sequence[float], tolerance: float = 0.25, soft: float = 0.02
) -> np.ndarray:
    """The pixels whose colour lies within ``tolerance`` of ``color`` (RGB distance, 0-1 values).

    Args:
        picture: the photo (anything :func:`~labhelpers.images.load_image` accepts).
        color: the RGB colour (three values 0-1), e.g. ``(0.1, 0.15, 0.35)`` for a night sky.
        tolerance: the largest distance still inside (0-1.73).
        soft: the blur that softens the mask's edges (fraction of the shorter side).
    """
    rgb = load_image(picture)
    target = np.asarray(color, np.float32).reshape(1, 1, 3)
    distance = np.sqrt(np.sum((rgb - target) ** 2, axis=-1))
    return soften((distance <= tolerance).astype(np.float32), soft)


def sky_mask(
    picture: Any, blueness: float = 0.04, top_fraction: float = 0.75, soft: float = 0.02
) -> np.ndarray:
    """The sky: pixels whose blue exceeds the mean of red and green by ``blueness``, in the top
    ``top_fraction`` of the picture, keeping only what touches the top edge (so a blue river or a
    blue shirt further down is left out).

    Args:
        picture: the photo (anything :func:`~labhelpers.images.load_image` accepts).
        blueness: how much bluer than grey (0-1) a pixel must be.
        top_fraction: the share of the height (from the top) the sky may occupy.
        soft: the blur that softens the mask's edges (fraction of the shorter side).
    """
    rgb = load_image(picture)
    blue = rgb[..., 2] - 0.5 * (rgb[..., 0] + rgb[..., 1]) >= blueness
    rows = np.arange(rgb.shape[0])[:, None] < top_fraction * rgb.shape[0]
    return soften(_touching_top(blue & rows).astype(np.float32), soft)


def _touching_top(inside: np.ndarray) -> np.ndarray:
    """The part of a boolean (H, W) mask connected (4-neighbours) to the top row."""
    reached = np.zeros_like(inside)
    reached[0] = inside[0]
    while True:
        grown = reached.copy()
        grown[1:] |= reached[:-1]
        grown[:-1] |= reached[1:]
        grown[:, 1:] |= reached[:, :-1]
        grown[:, :-1] |= reached[:, 1:]
        grown &= inside
        if np.array_equal(grown, reached):
            return reached
        reached = grown


def complement(mask: Any) -> np.ndarray:
    """Everything but ``mask``: ``1 - mask``, float32 (H, W)."""
    return (1.0 - as_mask(mask)).astype(np.float32)


def resize_mask(mask: Any, shape: Sequence[int]) -> np.ndarray:
    """``mask`` resized to exactly ``shape`` (H, W) px: bilinear when enlarging, the mean of the
    covered pixels when shrinking; float32 in [0, 1]."""
    values = as_mask(mask)
    height, width = int(shape[0]), int(shape[1])
    if values.shape == (height, width):
        return values.copy()
    shrinking = height <= values.shape[0] and width <= values.shape[1]
    method = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
    resized = Image.fromarray(np.ascontiguousarray(values), mode="F").resize(
        (width, height), method
    )
    return np.clip(np.asarray(resized, np.float32), 0.0, 1.0)


def mask_on_grid(mask: Any, grid: Sequence[int]) -> np.ndarray:
    """A picture-sized mask on a VGG16 layer's grid (h, w): each cell holds the mean of the mask
    over the pixels it covers (a box filter), float32 (h, w) in [0, 1]."""
    return resize_mask(mask, grid)


def _aspect_mismatch(mask_shape: tuple[int, int], shape: tuple[int, int]) -> bool:
    mask_ratio = mask_shape[0] / mask_shape[1]
    ratio = shape[0] / shape[1]
    return abs(mask_ratio / ratio - 1.0) > ASPECT_TOLERANCE


def check_region_masks(
    masks: Sequence[Any],
    shape: Sequence[int],
    paintings: int,
    what: str = "content_masks",
    photo: str = "the photo",
    shapes: Sequence[Sequence[int]] | None = None,
) -> list[np.ndarray]:
    """The masks of a run, checked against the picture and the paintings, resized to ``shape``.

    Args:
        masks: one mask per painting (anything :func:`as_mask` accepts; None entries are allowed
            only for ``style_masks``, where they mean "the whole painting").
        shape: (H, W) of the picture they belong to, px.
        paintings: how many paintings the run has.
        what: the setting's name, for messages (``"content_masks"`` or ``"style_masks"``).
        photo: what the picture is called in messages.
        shapes: one (H, W) per mask instead of ``shape`` (``style_masks``: each painting's own).

    Returns:
        One float32 (H, W) array per mask (None stays None).

    Raises:
        ValueError: more (or fewer) masks than paintings; a mask whose height : width differs from
            the picture's; an empty mask; for several content masks, a part of the photo outside
            every mask. The message says what to do.
    """
    masks = list(masks)
    if len(masks) > paintings:
        raise ValueError(
            f"{what} has {len(masks)} masks but there are only {paintings} painting(s); give one "
            "painting per mask (the first mask goes with the first painting), or leave a mask "
            "out."
        )
    if len(masks) < paintings:
        raise ValueError(
            f"{what} has {len(masks)} mask(s) for {paintings} paintings; give one mask per "
            "painting (the first mask goes with the first painting)."
        )
    resized: list[np.ndarray | None] = []
    for index, mask in enumerate(masks):
        name = f"{what}[{index}]"
        height, width = (int(d) for d in (shape if shapes is None else shapes[index])[:2])
        if mask is None:
            if what == "content_masks":
                raise ValueError(
                    f"{name} is None; every painting needs its region of the photo (to paint the "
                    "whole photo with a painting, give np.ones(photo.shape[:2]))."
                )
            resized.append(None)
            continue
        values = as_mask(mask, name)
        if _aspect_mismatch(values.shape, (height, width)):
            raise ValueError(
                f"{name} is {values.shape[1]}x{values.shape[0]} px (width x height) but "
                f"{photo} is {width}x{height}: its proportions differ, so it would be stretched. "
                f"Make the mask from {photo} itself (e.g. rectangle_mask(photo.shape, ...)) or "
                "crop it to the same proportions."
            )
        values = resize_mask(values, (height, width))
        if float(values.max()) < EMPTY_BELOW:
            raise ValueError(
                f"{name} is empty (0 everywhere at {width}x{height} px), so its painting would "
                "paint nothing; draw a region (values 1 inside) or leave the painting out."
            )
        resized.append(values)
    if what == "content_masks" and len(resized) > 1:
        cover = np.sum([m for m in resized if m is not None], axis=0)
        outside = float(np.mean(cover < 0.5))
        if outside > UNCOVERED_LIMIT:
            raise ValueError(
                f"The content_masks do not cover the photo: {outside:.0%} of it lies outside "
                "every mask, and with several paintings each part of the photo needs one. Extend "
                "the masks (e.g. make the last one the complement of the others: "
                "complement(mask_a)), or, to keep part of the photo unpainted, give one painting "
                "with one mask."
            )
    return resized  # type: ignore[return-value]
