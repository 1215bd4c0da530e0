"""Test pictures made with Pillow, so the expected pixel values are known by construction."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def write(path: Path, image: Image.Image, fmt: str | None = None, **options) -> Path:
    image.save(path, fmt, **options)
    return path


def rgb_image(width: int, height: int, colour=(10, 20, 30)) -> Image.Image:
    return Image.new("RGB", (width, height), colour)


def patch_png_size(data: bytes, width: int, height: int) -> bytes:
    """A PNG whose IHDR chunk claims another size (with a correct CRC)."""
    assert data[12:16] == b"IHDR"
    ihdr = b"IHDR" + struct.pack(">II", width, height) + data[24:29]
    return data[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr) & 0xFFFFFFFF) + data[33:]


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def noisy_rgb(width: int, height: int, seed: int = 0) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels)
