"""Helpers shared by the lesson tests: a small test picture, and PNG bytes back into pixels."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def decode_png(data: bytes) -> np.ndarray:
    """The pixels of PNG ``data``: (H, W) or (H, W, channels) uint8, as Pillow reads them."""
    return np.asarray(Image.open(io.BytesIO(data)))


def smooth_picture(rng: np.random.Generator, height: int = 40, width: int = 48) -> np.ndarray:
    """A smooth picture with some structure (gradients and a bright square) plus a little noise:
    (height, width, 3) float32 in [0, 1]."""
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    image = np.stack([x, y, 0.5 * (x + y)], axis=-1)
    image[height // 4 : height // 2, width // 4 : width // 2] = [0.9, 0.2, 0.1]
    return np.clip(image + 0.02 * rng.standard_normal(image.shape), 0, 1).astype(np.float32)
