"""save_image: formats, round trips, never replacing a file unless asked, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from labhelpers.images import ImageError, load_image, save_image

from .pictures import noisy_rgb


# ----------------------------------------------------------------------------------------------
# saving
# ----------------------------------------------------------------------------------------------


def test_save_png_round_trip_within_half_a_step(tmp_path, rng):
    image = rng.random((20, 30, 3), dtype=np.float32)
    written = save_image(image, tmp_path / "out.png")
    assert written == tmp_path / "out.png"
    with Image.open(written) as check:
        assert check.format == "PNG" and check.mode == "RGB"
    loaded = load_image(written)
    assert np.max(np.abs(loaded - image)) <= 0.5 / 255 + 1e-6


def test_save_uint8_and_batch_arrays_exactly(tmp_path):
    pixels = np.arange(8 * 8 * 3, dtype=np.uint8).reshape(1, 8, 8, 3)
    written = save_image(pixels, tmp_path / "u8.png")
    np.testing.assert_array_equal(np.asarray(Image.open(written)), pixels[0])


def test_save_clips_small_overshoots(tmp_path):
    image = np.full((8, 8, 3), 0.5, dtype=np.float32)
    image[0, 0] = (-0.3, 1.4, 0.5)
    written = save_image(image, tmp_path / "clip.png")
    assert np.asarray(Image.open(written))[0, 0].tolist() == [0, 255, 128]


def test_save_refuses_0_255_floats(tmp_path):
    with pytest.raises(ImageError, match="divide by 255"):
        save_image(np.full((8, 8, 3), 180.0), tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("suffix, fmt", [(".jpg", "JPEG"), (".jpeg", "JPEG"), (".webp", "WEBP")])
def test_save_lossy_formats(tmp_path, suffix, fmt):
    image = np.zeros((32, 32, 3), dtype=np.float32)
    image[:, :16] = (0.8, 0.3, 0.1)
    image[:, 16:] = (0.1, 0.5, 0.9)
    written = save_image(image, tmp_path / f"out{suffix}", quality=90)
    with Image.open(written) as check:
        assert check.format == fmt
    assert float(np.mean(np.abs(load_image(written) - image))) < 0.03


def test_save_jpeg_uses_quality_and_full_colour_resolution(tmp_path):
    from PIL import JpegImagePlugin

    noise = np.asarray(noisy_rgb(64, 64), dtype=np.float32) / 255
    low = save_image(noise, tmp_path / "low.jpg", quality=30)
    high = save_image(noise, tmp_path / "high.jpg", quality=95)
    assert high.stat().st_size > 1.5 * low.stat().st_size
    with Image.open(high) as check:
        assert JpegImagePlugin.get_sampling(check) == 0  # 4:4:4, colour not subsampled


def test_save_creates_folders(tmp_path):
    target = tmp_path / "results" / "week1" / "cat.png"
    assert save_image(np.zeros((8, 8, 3)), target) == target and target.is_file()


def test_save_never_overwrites_unless_asked(tmp_path):
    target = tmp_path / "art.png"
    first = save_image(np.zeros((8, 8, 3)), target)
    original_bytes = target.read_bytes()
    second = save_image(np.ones((8, 8, 3)), target)
    third = save_image(np.ones((8, 8, 3)), target)
    assert (first, second, third) == (target, tmp_path / "art-1.png", tmp_path / "art-2.png")
    assert target.read_bytes() == original_bytes  # the first picture is untouched
    np.testing.assert_allclose(load_image(second), 1.0)

    replaced = save_image(np.ones((8, 8, 3)), target, overwrite=True)
    assert replaced == target
    np.testing.assert_allclose(load_image(target), 1.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["art-1.png", "art-2.png", "art.png"]


@pytest.mark.parametrize("name", ["out.bmp", "out.txt", "out"])
def test_save_unknown_suffix(tmp_path, name):
    with pytest.raises(ImageError, match=r"\.png"):
        save_image(np.zeros((8, 8, 3)), tmp_path / name)


@pytest.mark.parametrize("quality", [0, 101, 50.5, True])
def test_save_bad_quality(tmp_path, quality):
    with pytest.raises(ImageError, match="quality"):
        save_image(np.zeros((8, 8, 3)), tmp_path / "q.jpg", quality=quality)


def test_save_with_swapped_arguments(tmp_path):
    with pytest.raises(ImageError, match="image first"):
        save_image(str(tmp_path / "out.png"), np.zeros((8, 8, 3)))


def test_save_onto_a_folder(tmp_path):
    (tmp_path / "taken.png").mkdir()
    with pytest.raises(ImageError, match="is a folder; give a file name"):
        save_image(np.zeros((8, 8, 3)), tmp_path / "taken.png", overwrite=True)
