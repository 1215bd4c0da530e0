"""A huge picture loaded small (issue 14, case 8): bounded memory and time, same picture.

A 100-megapixel PNG of flat colour is only ~300 KB, yet decoding it to floats took 3.1 GB and
half a minute. The picture is generated here; the peak memory of loading it is measured in a
fresh Python process (its high-water mark VmHWM, which unlike getrusage's ru_maxrss does not
carry over the parent's peak through exec), so the test's own memory does not count.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labhelpers.images import load_image

SIDE_PX = 10_000  # 100 megapixels: the largest picture the loader accepts (MAX_PIXELS)


@pytest.fixture(scope="module")
def huge_pictures(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("huge")
    colour = (200, 120, 40)
    picture = Image.new("RGB", (SIDE_PX, SIDE_PX), colour)
    paths = {"png": folder / "flat.png", "jpeg": folder / "flat.jpg"}
    picture.save(paths["png"])
    picture.save(paths["jpeg"], quality=90)
    del picture
    return paths


def _load_in_fresh_process(path: Path, max_size: int) -> dict:
    code = (
        "import json, re, sys, time\n"
        "import numpy as np\n"
        "from labhelpers.images import load_image\n"
        "def peak_kb():\n"
        "    text = open('/proc/self/status').read()\n"
        "    return int(re.search(r'VmHWM:\\s+(\\d+) kB', text).group(1))\n"
        "before = peak_kb()\n"
        "start = time.perf_counter()\n"
        f"x = load_image({str(path)!r}, max_size={max_size})\n"
        "print(json.dumps({'shape': x.shape, 'seconds': time.perf_counter() - start, "
        "'mean': x.reshape(-1, 3).mean(0).tolist(), "
        "'extra_mb': (peak_kb() - before) / 1024}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="measures memory with Linux's /proc"
)
@pytest.mark.parametrize("kind, limit_mb", [("png", 600), ("jpeg", 150)])
def test_a_100_megapixel_picture_loads_small_in_bounded_memory(huge_pictures, kind, limit_mb):
    """PNG: decoded once in 8 bits (4 bytes a pixel in Pillow) and averaged down, never as floats
    (12 bytes a pixel, plus copies: 3.1 GB before). JPEG: decoded at 1/8 scale directly."""
    measured = _load_in_fresh_process(huge_pictures[kind], max_size=64)
    assert tuple(measured["shape"]) == (64, 64, 3)
    np.testing.assert_allclose(measured["mean"], np.array([200, 120, 40]) / 255, atol=2 / 255)
    assert measured["extra_mb"] < limit_mb, measured
    assert measured["seconds"] < 20, measured


def test_the_quick_path_gives_the_same_picture_as_averaging(tmp_path):
    """A smooth 2000x1000 picture loaded at max_size=100 equals its 20x20 block means."""
    y, x = np.mgrid[0:1000, 0:2000]
    pixels = np.stack([x / 2000 * 255, y / 1000 * 255, (x + y) / 3000 * 255], axis=-1)
    pixels = np.round(pixels).astype(np.uint8)
    path = tmp_path / "smooth.png"
    Image.fromarray(pixels).save(path)
    loaded = load_image(path, max_size=100)
    assert loaded.shape == (50, 100, 3)
    blocks = pixels.reshape(50, 20, 100, 20, 3).astype(np.float64).mean(axis=(1, 3)) / 255
    inner = (slice(2, -2), slice(2, -2))  # the filters treat the border differently
    np.testing.assert_allclose(loaded[inner], blocks[inner], atol=1.5 / 255)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_exif_orientation_survives_the_quick_path(tmp_path, suffix):
    """A tall photo stored sideways (EXIF orientation 6) still comes out tall when loaded small
    (PNG: through the 8-bit averaging; JPEG: through the reduced-scale decoding)."""
    stored = Image.new("RGB", (800, 400), (0, 0, 0))
    stored.paste((255, 255, 255), (0, 0, 400, 400))  # left half white as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    path = tmp_path / f"sideways{suffix}"
    stored.save(path, exif=exif)
    loaded = load_image(path, max_size=100)
    assert loaded.shape == (100, 50, 3)
    assert (
        loaded[:40].mean() > 0.9 and loaded[60:].mean() < 0.1
    )  # white part on top after rotating
