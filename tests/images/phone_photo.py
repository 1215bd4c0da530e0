"""A phone-sized JPEG for the upload tests (issue 26: Colab's ipywidgets 7.7.1 fails at 1 MB)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

#: The size the issue asks the upload to carry, in bytes.
PHONE_PHOTO_BYTES = 3_000_000


def phone_photo_jpeg(min_bytes: int = PHONE_PHOTO_BYTES) -> bytes:
    """A JPEG of at least ``min_bytes`` bytes (2400x1800 px or more: a gradient with noise).

    Returns:
        The file's bytes; its size is checked, not assumed.
    """
    rng = np.random.default_rng(26)
    width, height = 2400, 1800
    while True:
        y, x = np.mgrid[0:height, 0:width]
        base = np.stack([x * 255 / width, y * 255 / height, (x + y) * 127 / (width + height)], -1)
        pixels = (base + rng.normal(0, 40, (height, width, 3))).clip(0, 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, "JPEG", quality=95)
        if len(buffer.getvalue()) >= min_bytes:
            return buffer.getvalue()
        width, height = width * 5 // 4, height * 5 // 4
