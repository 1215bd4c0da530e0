"""Image arrays: checks, conversion to the course's (H, W, 3) float32 RGB in [0, 1], resizing.

The one home of array-to-image conversion: :func:`as_float_image` accepts numpy arrays,
TensorFlow/PyTorch tensors and anything with ``__array__`` (uint8 0-255, uint16, bool or floats in
[0, 1]; shapes (H, W), (H, W, 1|3|4), (1, H, W, C)) and returns a new float32 (H, W, 3) array.
No TensorFlow import: tensors are converted with their ``.numpy()`` or ``np.asarray``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

#: Largest number of pixels (width x height) an image may have; checked before decoding, so a
#: small file that claims huge dimensions (a "decompression bomb") is refused without using memory.
MAX_PIXELS = 100_000_000


#: Largest allowed width or height, in pixels.
MAX_SIDE = 20_000


#: Smallest allowed width or height, in pixels (VGG16 needs a few pixels to work with).
MIN_SIDE = 8

# Floats may stray this far outside [0, 1] (half a step of 8-bit colour) and are then clipped:
# rounding errors of that size would not change the picture.
_RANGE_TOLERANCE = 0.5 / 255
#: The advice given when a picture is too large.
RESIZE_HINT = (
    "resize it first, e.g. with an image editor or with Pillow: "
    "`im = PIL.Image.open(path); im.thumbnail((2000, 2000)); im.save('smaller.jpg')`"
)


class ImageError(ValueError):
    """An image could not be loaded, converted or saved; the message says how to fix it."""


def check_dimensions(width: int, height: int, what: str, min_side: int = MIN_SIDE) -> None:
    """Refuse empty, tiny and absurdly large images before any pixel is decoded."""
    if width <= 0 or height <= 0:
        raise ImageError(f"{what} has no pixels (it is {width}x{height}); use a real picture.")
    if width < min_side or height < min_side:
        raise ImageError(
            f"{what} is only {width}x{height} pixels; images need at least {min_side} pixels on "
            "each side. Use a bigger picture (a few hundred pixels a side works well)."
        )
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise ImageError(
            f"{what} is {width}x{height} pixels, more than this course handles "
            f"({MAX_PIXELS / 1e6:g} megapixels and {MAX_SIDE} pixels a side at most); "
            f"{RESIZE_HINT}."
        )


def _composite_over_white(rgba: np.ndarray) -> np.ndarray:
    """(H, W, 4) floats in [0, 1] -> (H, W, 3): colour * alpha + white * (1 - alpha)."""
    alpha = rgba[..., 3:4]
    return rgba[..., :3] * alpha + (1.0 - alpha)


def to_three_channels(values: np.ndarray) -> np.ndarray:
    """(H, W, 1|3|4) floats in [0, 1] -> (H, W, 3) float32."""
    channels = values.shape[-1]
    if channels == 1:
        values = np.repeat(values, 3, axis=-1)
    elif channels == 4:
        values = _composite_over_white(values)
    return np.ascontiguousarray(values, dtype=np.float32)


def _scale_values(array: np.ndarray, *, lenient: bool, what: str) -> np.ndarray:
    """Numbers of any supported dtype -> float32 in [0, 1] (same shape)."""
    dtype = array.dtype
    if dtype == np.bool_:
        return array.astype(np.float32)
    if dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if dtype == np.uint16:
        return array.astype(np.float32) / 65535.0
    if np.issubdtype(dtype, np.integer):
        low, high = int(array.min()), int(array.max())
        if low < 0 or high > 255:
            raise ImageError(
                f"{what} has integer values from {low} to {high}; integer images must be 0-255 "
                "(8-bit). Convert it to floats in [0, 1] first, e.g. x.astype('float32') "
                "/ x.max()."
            )
        return array.astype(np.float32) / 255.0
    if not np.issubdtype(dtype, np.floating):
        raise ImageError(
            f"{what} has dtype {dtype}, which is not an image type; use uint8 (0-255) or floats "
            "in [0, 1]."
        )
    values = array.astype(np.float32)
    if not np.all(np.isfinite(values)):
        bad = int(np.size(values) - np.count_nonzero(np.isfinite(values)))
        raise ImageError(
            f"{what} contains {bad} NaN or infinite value(s). This usually means an optimisation "
            "diverged; lower the learning rate or the loss weights and run it again."
        )
    low, high = float(values.min()), float(values.max())
    if low >= -_RANGE_TOLERANCE and high <= 1 + _RANGE_TOLERANCE:
        return np.clip(values, 0.0, 1.0)
    looks_0_255 = high > 2.0 and low >= -_RANGE_TOLERANCE
    if lenient and not looks_0_255 and low >= -1.0:
        return np.clip(values, 0.0, 1.0)
    if looks_0_255:
        fix = (
            "it looks like 0-255 values: divide by 255 (x / 255) or convert with x.astype('uint8')"
        )
    elif low < 0 and high <= 1 + _RANGE_TOLERANCE and low >= -1 - _RANGE_TOLERANCE:
        fix = (
            "if it is in [-1, 1] use (x + 1) / 2; if it is an optimisation result use "
            "np.clip(x, 0, 1)"
        )
    else:
        fix = (
            "clip it with np.clip(x, 0, 1), or rescale it, e.g. (x - x.min()) / (x.max() "
            "- x.min())"
        )
    raise ImageError(
        f"{what} has float values from {low:.4g} to {high:.4g}, but float images must lie in "
        f"[0, 1]; {fix}."
    )


def to_numpy(value: Any) -> Any:
    """``value.numpy()`` for eager TensorFlow/PyTorch tensors, ``value`` itself otherwise.

    The one place that recognises tensors, so no other module needs ``hasattr(x, "numpy")``.
    """
    if not isinstance(value, np.ndarray) and callable(getattr(value, "numpy", None)):
        return value.numpy()
    return value


def is_array_like(value: Any) -> bool:
    """True for numpy arrays, tensors and objects with ``__array__`` (not str, bytes or PIL
    images)."""
    if isinstance(value, (str, bytes, bytearray, memoryview, Image.Image)):
        return False
    return (
        isinstance(value, np.ndarray)
        or hasattr(value, "__array__")
        or callable(getattr(value, "numpy", None))
    )


def refuse_result_object(source: Any, what: str = "The picture") -> None:
    """Raise :class:`ImageError` naming ``.image`` when ``source`` is a result holding a picture.

    ``stylize`` returns a :class:`~labhelpers.transfer.run.StyleTransferResult` (picture, losses,
    settings); passing it where a picture goes is a common slip, and numpy's "dtype object" or
    "cannot load" would not say what to write instead.
    """
    if isinstance(source, (np.ndarray, str, bytes, Image.Image)):
        return
    try:
        picture = getattr(source, "image", None)
    except Exception:  # noqa: BLE001 - an odd object's property failing: not a result
        return
    if picture is not None and is_array_like(picture):
        name = type(source).__name__
        raise ImageError(
            f"{what} is a {name} (the whole result: picture, losses, settings), not a picture. "
            f"Pass its picture, `result.image`: e.g. save_image(result.image, 'result.png') or "
            "stylize(result.image, style)."
        )


def as_float_image(
    source: Any, *, lenient: bool = True, min_side: int = 0, what: str = "The image array"
) -> np.ndarray:
    """An array or tensor as a new float32 RGB image (H, W, 3) with values in [0, 1].

    Args:
        source: numpy array, TensorFlow/PyTorch tensor or array-like of shape (H, W),
            (H, W, 1), (H, W, 3), (H, W, 4) (composited over white) or (1, H, W, C); uint8
            (0-255), uint16, bool, other integers in 0-255, or floats in [0, 1].
        lenient: clip floats down to -1 and a little above 1 (an unfinished optimisation result)
            instead of refusing them; floats that look like 0-255 are always refused.
        min_side: refuse images with a side shorter than this many pixels (0: only empty ones).
        what: how the message names the array.

    Raises:
        ImageError: the shape, dtype or value range is not an image's; the message says the fix.
    """
    refuse_result_object(source, what)
    source = to_numpy(source)
    try:
        array = np.asarray(source)
    except Exception as exc:  # noqa: BLE001 - any failure means "not convertible"
        raise ImageError(
            f"{what} could not be turned into a numpy array ({exc}); pass a numpy array."
        ) from exc
    if array.dtype == object or array.dtype.kind in "USVMmc":
        raise ImageError(
            f"{what} has dtype {array.dtype}; an image must hold numbers: uint8 (0-255) or floats "
            "in [0, 1]."
        )
    shape = array.shape
    if array.ndim == 4:
        if shape[0] != 1:
            raise ImageError(
                f"{what} has shape {shape}: a batch of {shape[0]} images. Pass one image, "
                "e.g. x[0]."
            )
        array = array[0]
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3:
        raise ImageError(
            f"{what} has shape {shape}; expected (H, W), (H, W, 3), (H, W, 1), (H, W, 4) or "
            "(1, H, W, 3)."
        )
    if array.shape[-1] not in (1, 3, 4):
        hint = ""
        if array.shape[0] in (1, 3, 4):
            hint = (
                " It looks channels-first; move the channels last with np.transpose(x, (1, 2, 0))."
            )
        raise ImageError(
            f"{what} has shape {shape}; the last axis must be the 1, 3 or 4 colour channels.{hint}"
        )
    height, width = array.shape[:2]
    if min_side > 0:
        check_dimensions(width, height, what, min_side)
    elif width == 0 or height == 0:
        raise ImageError(f"{what} has shape {shape}: it has no pixels.")
    return to_three_channels(_scale_values(array, lenient=lenient, what=what))


def fit_size(height: int, width: int, longest: int) -> tuple[int, int]:
    """(height, width) scaled so that the longest side is ``longest``, aspect ratio kept."""
    scale = longest / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def _resize_channels(values: np.ndarray, height: int, width: int) -> np.ndarray:
    """(H, W, C) float32 -> (height, width, C) float32, Lanczos per channel, clipped to [0, 1]."""
    if values.shape[:2] == (height, width):
        return values.astype(np.float32, copy=True)
    planes = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(values[..., c], dtype=np.float32)).resize(
                (width, height), Image.Resampling.LANCZOS
            )
        )
        for c in range(values.shape[-1])
    ]
    return np.clip(np.stack(planes, axis=-1), 0.0, 1.0).astype(np.float32)


def check_size_arg(value: Any, name: str) -> int:
    """``value`` as an int number of pixels (>= 1), else ImageError naming the argument
    ``name``."""
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, (int, np.integer))
        or value < 1
    ):
        raise ImageError(
            f"{name} must be a positive whole number of pixels, such as 512, not {value!r}."
        )
    return int(value)


def shrink_to(rgb: np.ndarray, max_size: int | None) -> np.ndarray:
    """(H, W, C) float32 shrunk (Lanczos) so its longest side is at most ``max_size`` px; never
    enlarged.

    Returns ``rgb`` itself when it is small enough (or ``max_size`` is None), else a new array.
    """
    if max_size is None or max(rgb.shape[:2]) <= max_size:
        return rgb
    return _resize_channels(rgb, *fit_size(rgb.shape[0], rgb.shape[1], max_size))


def resize_to(image: Any, size: int | tuple[int, int]) -> np.ndarray:
    """Resize an image array with a Lanczos filter (used for coarse-to-fine optimisation).

    Args:
        image: array or tensor of shape (H, W, C) or (B, H, W, C), any number of channels C;
            uint8 (0-255) or floats in [0, 1] (small overshoots are clipped).
        size: an int: the new length of the longest side in pixels, aspect ratio kept (the image
            may be enlarged or shrunk); or a tuple ``(height, width)`` for an exact size, e.g. to
            match another image: ``resize_to(x, content.shape[:2])``.

    Returns:
        A new float32 array with the same rank and channels, new height and width, values
        in [0, 1].
    """
    try:
        array = np.asarray(image)
    except Exception as exc:  # noqa: BLE001
        raise ImageError(
            f"resize_to needs an array, not a {type(image).__name__} ({exc})."
        ) from exc
    if array.ndim not in (3, 4) or array.shape[-1] < 1 or 0 in array.shape:
        raise ImageError(
            "resize_to needs an image array of shape (H, W, C) or (B, H, W, C), not "
            f"{array.shape}; for a greyscale (H, W) array use x[..., None]."
        )
    values = _scale_values(array, lenient=True, what="The image array")
    height, width = values.shape[-3:-1]
    if isinstance(size, (tuple, list)) and len(size) == 2:
        new_h, new_w = (check_size_arg(s, "size") for s in size)
    else:
        new_h, new_w = fit_size(height, width, check_size_arg(size, "size"))
    if new_h > MAX_SIDE or new_w > MAX_SIDE:
        raise ImageError(
            f"resize_to: {new_w}x{new_h} pixels is larger than {MAX_SIDE} a side; pick a "
            "smaller size."
        )
    if values.ndim == 3:
        return _resize_channels(values, new_h, new_w)
    return np.stack([_resize_channels(v, new_h, new_w) for v in values])
