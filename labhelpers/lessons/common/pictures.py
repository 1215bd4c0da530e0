"""Picture and feature-map operations the lessons show: noise, crops, shifts, shuffles,
differences.

NumPy and Pillow only (no TensorFlow, no matplotlib): each function takes an image float (H, W, 3)
with RGB values in [0, 1] (uint8, a leading batch axis of 1 and tensors are accepted) or a feature
map (1, h, w, C) / (h, w, C), and returns a new float32 array.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image

from labhelpers.images import as_float_image

__all__ = [
    "image_to_png_bytes",
    "filter_images",
    "feature_array",
    "noise_image",
    "crop_border",
    "shift_image",
    "add_noise",
    "shuffle_positions",
    "difference_images",
    "strongest_channels",
    "checkerboard",
    "relative_weights",
]


def feature_array(features: Any) -> np.ndarray:
    """One feature map as a float32 numpy array (h, w, C).

    Args:
        features: a tensor or array (1, h, w, C) or (h, w, C), e.g. ``extractor(image)[layer]``.

    Raises:
        ValueError: for any other shape (a batch of several images, a flat vector, ...).
    """
    array = np.asarray(features, dtype=np.float32)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 3:
        raise ValueError(
            f"Expected one feature map of shape (1, h, w, C) or (h, w, C), got {array.shape}; "
            "pick one layer, e.g. features['block1_conv1']."
        )
    return array


def noise_image(shape: tuple[int, int], seed: int = 0, amplitude: float = 1.0) -> np.ndarray:
    """Uniform random noise around mid-grey, float32 (H, W, 3): the start of a reconstruction.

    Args:
        shape: (H, W) in pixels.
        seed: the random seed (same seed, same noise).
        amplitude: the width of the interval: values are uniform in ``0.5 +- amplitude / 2``;
            1.0 covers all of [0, 1] (white noise as in Gatys et al.), smaller values give
            fainter noise.
    """
    if not 0.0 <= amplitude <= 1.0:
        raise ValueError(f"amplitude must be between 0 and 1, not {amplitude!r}")
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(int(shape[0]), int(shape[1]), 3))
    return (0.5 + amplitude * (values - 0.5)).astype(np.float32)


def crop_border(image: Any, fraction: float = 0.03) -> np.ndarray:
    """The image without a strip of ``fraction`` x its longest side on every edge.

    Scans of paintings often include a frame; cropping it keeps the frame's straight lines out of
    the style's Gram matrices. The bundled *Starry Night* has none (its frame was cut off when it
    was added, see ``images/CREDITS.md``), so the lessons use it as it is.
    """
    array = as_float_image(image)
    border = int(round(fraction * max(array.shape[:2])))
    if border <= 0:
        return array.copy()
    if 2 * border >= min(array.shape[:2]):
        raise ValueError(
            f"crop_border: a border of {border} px leaves nothing of a {array.shape[:2]} image."
        )
    return np.ascontiguousarray(array[border:-border, border:-border])


def shift_image(image: Any, pixels: int = 8, axis: int = 1) -> np.ndarray:
    """The image moved by ``pixels`` along ``axis`` (1 = to the right), edges filled by reflection.

    Returns:
        float32 array of the same shape: the same picture, just moved, which a pixel distance
        punishes hard and a deep-feature distance hardly notices.
    """
    array = as_float_image(image)
    if axis not in (0, 1):
        raise ValueError(f"axis must be 0 (down) or 1 (right), not {axis}")
    pad = [(0, 0)] * array.ndim
    pad[axis] = (pixels, 0)
    padded = np.pad(array, pad, mode="reflect")
    index = [slice(None)] * array.ndim
    index[axis] = slice(0, array.shape[axis])
    return np.ascontiguousarray(padded[tuple(index)])


def add_noise(image: Any, amount: float, seed: int = 0) -> np.ndarray:
    """The image with Gaussian noise of standard deviation ``amount`` added, clipped to [0, 1]."""
    array = as_float_image(image)
    rng = np.random.default_rng(seed)
    return np.clip(array + rng.normal(0.0, amount, array.shape), 0.0, 1.0).astype(np.float32)


def shuffle_positions(features: Any, seed: int = 0) -> np.ndarray:
    """The feature map with its positions shuffled: every (row, column) gets another one's vector.

    Each position keeps its whole channel vector, so the picture of one channel turns into
    scattered dots while the Gram matrix, which sums over positions, stays exactly the same.

    Returns:
        float32 array (1, h, w, C) (or (h, w, C) if that is what came in).
    """
    array = np.asarray(features, dtype=np.float32)
    single = feature_array(array)
    h, w, c = single.shape
    order = np.random.default_rng(seed).permutation(h * w)
    shuffled = single.reshape(h * w, c)[order].reshape(h, w, c)
    return shuffled[None] if array.ndim == 4 else shuffled


def difference_images(image: Any) -> tuple[np.ndarray, np.ndarray]:
    """Differences between neighbouring pixels, the two terms of total variation.

    Args:
        image: (H, W, C) or (1, H, W, C), any values (a picture, or numbers worked out by hand).

    Returns:
        ``(horizontal, vertical)``: ``horizontal[i, j] = x[i, j+1] - x[i, j]``, shape (H, W-1, C),
        and ``vertical[i, j] = x[i+1, j] - x[i, j]``, shape (H-1, W, C), float32, signed. The
        anisotropic TV loss is ``abs(horizontal).sum() + abs(vertical).sum()``.
    """
    array = feature_array(image)  # any (H, W, C) values, not only pictures
    horizontal = array[:, 1:, :] - array[:, :-1, :]
    vertical = array[1:, :, :] - array[:-1, :, :]
    return horizontal.astype(np.float32), vertical.astype(np.float32)


def checkerboard(height: int, width: int, cell: int = 1) -> np.ndarray:
    """A black-and-white checkerboard of square cells, ``cell`` px wide (lesson 04's TV exercise).

    Args:
        height, width: the picture's size in pixels (>= 1).
        cell: the side of one square in pixels (>= 1); the last row and column of squares are cut
            off where the picture ends.

    Returns:
        float32 (height, width, 3): 0 (black) where ``i // cell + j // cell`` is even, 1 (white)
        elsewhere, the same in all three channels.
    """
    for name, value in (("height", height), ("width", width), ("cell", cell)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(
                f"{name} must be a whole number of pixels >= 1 such as 8, not {value!r}."
            )
    rows = np.arange(int(height))[:, None] // int(cell)
    columns = np.arange(int(width))[None, :] // int(cell)
    board = ((rows + columns) % 2).astype(np.float32)
    return np.repeat(board[:, :, None], 3, axis=2)


def strongest_channels(features: Any, count: int) -> np.ndarray:
    """Indices of the ``count`` channels with the largest mean activation, strongest first."""
    array = feature_array(features)
    means = array.reshape(-1, array.shape[-1]).mean(axis=0)
    return np.argsort(-means, kind="stable")[:count]


# --------------------------------------------------------------------------- lessons 1-2:
# reconstructions and distances


def image_to_png_bytes(array: Any) -> bytes:
    """Encode an image as PNG bytes (the ``value`` an ``ipywidgets.Image`` shows).

    Args:
        array: (H, W), (H, W, 1), (H, W, 3) or (1, H, W, 3); uint8 0-255, or floats in [0, 1]
            (values outside are clipped).

    Returns:
        The bytes of a PNG file (8-bit RGB, or greyscale for one channel).
    """
    values = np.asarray(array)
    if values.ndim == 4 and values.shape[0] == 1:
        values = values[0]
    if values.ndim == 3 and values.shape[-1] == 1:
        values = values[..., 0]
    if values.ndim not in (2, 3) or (values.ndim == 3 and values.shape[-1] != 3):
        raise ValueError(
            f"image_to_png_bytes needs (H, W), (H, W, 1) or (H, W, 3), got {values.shape}."
        )
    if values.dtype != np.uint8:
        values = np.round(
            np.clip(np.nan_to_num(values.astype(np.float64)), 0.0, 1.0) * 255.0
        ).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(values).save(buffer, format="PNG")
    return buffer.getvalue()


def filter_images(kernel: Any, bgr: bool = False) -> np.ndarray:
    """First-layer convolution filters as small RGB pictures, each normalised for display.

    Args:
        kernel: the layer's kernel, shape (k, k, 3, N) (Keras's HWIO order).
        bgr: True when the network reads BGR input (Caffe-trained Keras weights): the input
            channels are then put back into RGB order.

    Returns:
        float32 array (N, k, k, 3) in [0, 1]. Each filter is scaled on its own so that 0.5 (grey)
        means a weight of zero and the largest absolute weight reaches 0 or 1: bright colours
        are what the filter responds to, dark ones what it responds against.
    """
    weights = np.asarray(kernel, dtype=np.float32)
    if weights.ndim != 4 or weights.shape[2] != 3:
        raise ValueError(
            "filter_images needs a kernel of shape (k, k, 3, N) (a layer that reads RGB pixels), "
            f"got {weights.shape}; only block1_conv1 can be drawn as colour pictures."
        )
    if bgr:
        weights = weights[:, :, ::-1, :]
    filters = np.transpose(weights, (3, 0, 1, 2))  # (N, k, k, 3)
    scale = np.max(np.abs(filters), axis=(1, 2, 3), keepdims=True)
    scale[scale == 0] = 1.0
    return (0.5 + 0.5 * filters / scale).astype(np.float32)


def relative_weights(values: Any, emphasis: dict[str, float]) -> dict[str, float]:
    """Layer weights that make each layer's loss a *relative* one:
    ``emphasis[l] / mean(values[l] ** 2)``.

    Args:
        values: layer -> the reference's feature map (for a content loss) or Gram matrix (for
            a style loss), arrays or tensors of any shape.
        emphasis: layer -> how much that layer should count (>= 0); only these layers get a weight.

    Returns:
        ``{layer: weight}``: with these weights a layer's term is its loss divided by the size
        of the reference's own values there (0 = identical, about 1 = as different as the signal is
        large), times its emphasis, so that layers with large and small activations count as the
        emphasis says.

    Raises:
        ValueError: for a layer of ``emphasis`` that ``values`` lacks, or whose values are all 0.
    """
    weights = {}
    for layer, amount in emphasis.items():
        if layer not in values:
            raise ValueError(
                f"relative_weights: no values for layer {layer!r}; there are {sorted(values)}."
            )
        energy = float(np.mean(np.square(np.asarray(values[layer], dtype=np.float64))))
        if energy <= 0:
            raise ValueError(
                f"relative_weights: the values of {layer!r} are all 0; leave that layer out."
            )
        weights[layer] = float(amount) / energy
    return weights
