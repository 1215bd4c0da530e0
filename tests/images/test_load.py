"""load_image from every kind of source: files, modes, orientation, bytes, arrays, max_size, size
limits, broken and missing files. Test pictures are generated with Pillow, so expected values are
known by construction."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import warnings


import numpy as np
import pytest
from PIL import Image, ImageFile

from labhelpers.images import arrays as image_arrays
from labhelpers.images import ImageError, load_image

from .pictures import noisy_rgb, patch_png_size, png_bytes, rgb_image, write


# ----------------------------------------------------------------------------------------------
# module basics
# ----------------------------------------------------------------------------------------------


def test_image_error_is_a_value_error():
    assert issubclass(ImageError, ValueError)


def test_importing_the_module_does_not_import_tensorflow():
    code = "import sys, labhelpers.images; sys.exit(1 if 'tensorflow' in sys.modules else 0)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


# ----------------------------------------------------------------------------------------------
# files: values, modes, orientation
# ----------------------------------------------------------------------------------------------


def test_rgb_png_loads_exact_values(tmp_path):
    pixels = np.zeros((9, 12, 3), dtype=np.uint8)
    pixels[0, 0] = (255, 0, 0)
    pixels[8, 11] = (0, 51, 102)
    pixels[4, 5] = (1, 2, 254)
    path = write(tmp_path / "rgb.png", Image.fromarray(pixels))
    loaded = load_image(path)
    assert loaded.dtype == np.float32 and loaded.shape == (9, 12, 3)
    np.testing.assert_allclose(loaded[0, 0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(loaded[8, 11], [0.0, 0.2, 0.4], atol=1e-6)
    np.testing.assert_allclose(loaded[4, 5], [1 / 255, 2 / 255, 254 / 255], atol=1e-6)
    assert loaded[1, 1].tolist() == [0.0, 0.0, 0.0]


def test_str_and_path_sources_are_the_same(tmp_path):
    path = write(tmp_path / "a.png", noisy_rgb(10, 8))
    np.testing.assert_array_equal(load_image(str(path)), load_image(path))


def test_exif_orientation_6_is_applied(tmp_path):
    # Stored 32 wide x 16 high, blue with a red 8x8 block at the stored top-left corner.
    # Orientation 6 means "rotate 90 degrees clockwise to display": the stored top-left corner
    # ends up at the top-right, and the displayed picture is 16 wide x 32 high.
    stored = np.zeros((16, 32, 3), dtype=np.uint8)
    stored[...] = (0, 0, 255)
    stored[:8, :8] = (255, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = write(
        tmp_path / "rotated.jpg", Image.fromarray(stored), "JPEG", quality=95, exif=exif.tobytes()
    )
    loaded = load_image(path)
    assert loaded.shape == (32, 16, 3)
    top_right = loaded[1:7, -7:-1].mean(axis=(0, 1))
    top_left = loaded[1:7, 1:7].mean(axis=(0, 1))
    assert top_right[0] > 0.8 and top_right[2] < 0.2, top_right  # red
    assert top_left[2] > 0.8 and top_left[0] < 0.2, top_left  # blue


def test_exif_orientation_is_applied_to_pil_images_and_bytes(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 8  # rotate 90 degrees counter-clockwise to display
    buffer = io.BytesIO()
    rgb_image(40, 10, (200, 200, 200)).save(buffer, "JPEG", exif=exif.tobytes())
    assert load_image(buffer.getvalue()).shape == (40, 10, 3)
    with Image.open(io.BytesIO(buffer.getvalue())) as opened:
        assert load_image(opened).shape == (40, 10, 3)


def test_greyscale_and_bilevel(tmp_path):
    grey = Image.new("L", (10, 10), 51)
    loaded = load_image(write(tmp_path / "grey.png", grey))
    assert loaded.shape == (10, 10, 3)
    np.testing.assert_allclose(loaded, 0.2, atol=1e-6)

    bilevel = Image.new("1", (10, 10), 0)
    bilevel.putpixel((3, 2), 1)
    loaded = load_image(write(tmp_path / "bw.png", bilevel))
    assert loaded[2, 3].tolist() == [1.0, 1.0, 1.0]
    assert loaded[0, 0].tolist() == [0.0, 0.0, 0.0]


def test_palette_with_transparency_goes_over_white(tmp_path):
    palette_image = Image.new("P", (10, 10), 0)
    palette_image.putpalette([255, 0, 0, 0, 255, 0] + [0] * (256 * 3 - 6))
    palette_image.putpixel((0, 0), 1)
    palette_image.info["transparency"] = 1  # colour 1 (green) is fully transparent
    loaded = load_image(write(tmp_path / "pal.png", palette_image, transparency=1))
    np.testing.assert_allclose(loaded[0, 0], [1.0, 1.0, 1.0])  # transparent -> white, not green
    np.testing.assert_allclose(loaded[5, 5], [1.0, 0.0, 0.0])


def test_palette_without_transparency(tmp_path):
    palette_image = Image.new("P", (8, 8), 1)
    palette_image.putpalette([0, 0, 0, 0, 102, 255] + [0] * (256 * 3 - 6))
    loaded = load_image(write(tmp_path / "pal.gif", palette_image))
    np.testing.assert_allclose(loaded[4, 4], [0.0, 0.4, 1.0], atol=1e-6)


def test_rgba_is_composited_over_white(tmp_path):
    rgba = np.zeros((8, 8, 4), dtype=np.uint8)
    rgba[...] = (255, 0, 0, 0)  # fully transparent red -> white
    rgba[1, 1] = (0, 0, 255, 255)  # opaque blue -> blue
    rgba[2, 2] = (0, 0, 0, 51)  # black at alpha 0.2 -> 0.8 grey
    loaded = load_image(write(tmp_path / "rgba.png", Image.fromarray(rgba)))
    np.testing.assert_allclose(loaded[0, 0], [1.0, 1.0, 1.0])
    np.testing.assert_allclose(loaded[1, 1], [0.0, 0.0, 1.0])
    np.testing.assert_allclose(loaded[2, 2], [0.8, 0.8, 0.8], atol=1e-6)


def test_la_is_composited_over_white(tmp_path):
    la = Image.new("LA", (8, 8), (0, 0))
    la.putpixel((1, 1), (102, 255))
    loaded = load_image(write(tmp_path / "la.png", la))
    np.testing.assert_allclose(loaded[0, 0], [1.0, 1.0, 1.0])
    np.testing.assert_allclose(loaded[1, 1], [0.4, 0.4, 0.4], atol=1e-6)


def test_16_bit_greyscale_png_is_scaled_by_65535(tmp_path):
    values = np.zeros((8, 8), dtype=np.uint16)
    values[0, 0], values[0, 1], values[0, 2] = 65535, 32768, 257
    path = write(tmp_path / "deep.png", Image.fromarray(values))
    loaded = load_image(path)
    assert loaded.shape == (8, 8, 3)
    np.testing.assert_allclose(loaded[0, 0], 1.0)
    np.testing.assert_allclose(loaded[0, 1], 32768 / 65535, atol=1e-6)  # ~0.5, not 128.5
    np.testing.assert_allclose(loaded[0, 2], 1 / 255, atol=1e-6)  # 257 / 65535 = 1 / 255
    np.testing.assert_allclose(loaded[1, 1], 0.0)


def test_mode_i_tiff_is_treated_as_16_bit(tmp_path):
    image = Image.new("I", (8, 8), 6553)  # 6553 / 65535 = 0.1 (almost exactly)
    image.putpixel((0, 0), 65535)
    image.putpixel((1, 0), 13107)  # 13107 / 65535 = 0.2
    path = write(tmp_path / "int.tif", image)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # values in 0-65535 need no stretching, so no warning
        loaded = load_image(path)
    np.testing.assert_allclose(loaded[0, 0], 1.0)
    np.testing.assert_allclose(loaded[0, 1], 0.2, atol=1e-6)
    np.testing.assert_allclose(loaded[5, 5], 0.1, atol=1e-4)


def test_mode_f_tiff_in_unit_range_is_kept(tmp_path):
    values = np.full((8, 8), 0.25, dtype=np.float32)
    values[0, 0] = 0.75
    loaded = load_image(write(tmp_path / "float.tif", Image.fromarray(values)))
    np.testing.assert_allclose(loaded[0, 0], 0.75)
    np.testing.assert_allclose(loaded[3, 3], 0.25)


def test_mode_f_tiff_out_of_range_is_stretched_with_a_warning(tmp_path):
    values = np.full((8, 8), 100.0, dtype=np.float32)
    values[0, 0], values[0, 1] = 500.0, 300.0
    path = write(tmp_path / "wide.tif", Image.fromarray(values))
    with pytest.warns(UserWarning, match="stretched"):
        loaded = load_image(path)
    np.testing.assert_allclose(loaded[0, 0], 1.0)
    np.testing.assert_allclose(loaded[0, 1], 0.5, atol=1e-6)  # (300 - 100) / (500 - 100)
    np.testing.assert_allclose(loaded[4, 4], 0.0)


def test_cmyk_becomes_rgb(tmp_path):
    cmyk = Image.new("CMYK", (8, 8), (0, 0, 0, 0))  # no ink: white
    cmyk.putpixel((0, 0), (255, 0, 0, 0))  # cyan
    cmyk.putpixel((1, 0), (0, 255, 0, 0))  # magenta
    cmyk.putpixel((2, 0), (0, 0, 0, 255))  # black
    loaded = load_image(write(tmp_path / "cmyk.tif", cmyk))
    np.testing.assert_allclose(loaded[0, 0], [0.0, 1.0, 1.0])
    np.testing.assert_allclose(loaded[0, 1], [1.0, 0.0, 1.0])
    np.testing.assert_allclose(loaded[0, 2], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(loaded[5, 5], [1.0, 1.0, 1.0])


def test_loading_never_changes_the_file(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    path = write(tmp_path / "keep.jpg", noisy_rgb(64, 32), "JPEG", exif=exif.tobytes())
    before = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    load_image(path, max_size=16)
    load_image(str(path))
    after = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    assert before == after


# ----------------------------------------------------------------------------------------------
# other sources: bytes, file objects, PIL, arrays, tensors
# ----------------------------------------------------------------------------------------------


def test_bytes_bytearray_and_file_objects():
    image = noisy_rgb(12, 10, seed=3)
    expected = np.asarray(image, dtype=np.float32) / 255
    data = png_bytes(image)
    np.testing.assert_allclose(load_image(data), expected, atol=1e-7)
    np.testing.assert_allclose(load_image(bytearray(data)), expected, atol=1e-7)
    np.testing.assert_allclose(load_image(io.BytesIO(data)), expected, atol=1e-7)


def test_pil_image_source_is_not_modified():
    image = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    loaded = load_image(image)
    np.testing.assert_allclose(loaded, 1.0)
    assert image.mode == "RGBA" and image.getpixel((0, 0)) == (0, 0, 0, 0)


def test_uint8_and_float_arrays():
    pixels = np.arange(8 * 9 * 3, dtype=np.uint8).reshape(8, 9, 3)
    np.testing.assert_allclose(load_image(pixels), pixels / 255.0, atol=1e-7)
    floats = np.linspace(0, 1, 8 * 9 * 3, dtype=np.float64).reshape(8, 9, 3)
    loaded = load_image(floats)
    assert loaded.dtype == np.float32
    np.testing.assert_allclose(loaded, floats, atol=1e-7)


def test_array_result_is_a_new_array():
    original = np.full((8, 8, 3), 0.5, dtype=np.float32)
    loaded = load_image(original)
    loaded[...] = 0.0
    assert original[0, 0, 0] == 0.5


@pytest.mark.parametrize(
    "array, expected_pixel",
    [
        (np.full((8, 10), 0.25, dtype=np.float32), [0.25, 0.25, 0.25]),
        (np.full((8, 10, 1), 51, dtype=np.uint8), [0.2, 0.2, 0.2]),
        (np.full((1, 8, 10, 3), 0.5, dtype=np.float32), [0.5, 0.5, 0.5]),
        # black at 25 % opacity over white: 1 - 0.25 = 0.75
        (
            np.concatenate([np.zeros((8, 10, 3)), np.full((8, 10, 1), 0.25)], axis=-1),
            [0.75, 0.75, 0.75],
        ),
        (np.full((8, 10, 3), 13107, dtype=np.uint16), [0.2, 0.2, 0.2]),
        (np.full((8, 10, 3), 102, dtype=np.int64), [0.4, 0.4, 0.4]),  # plain ints 0-255
        (np.ones((8, 10), dtype=bool), [1.0, 1.0, 1.0]),
    ],
    ids=["HW-float", "HW1-uint8", "1HW3", "HW4-alpha", "uint16", "int64", "bool"],
)
def test_array_shapes_and_dtypes(array, expected_pixel):
    loaded = load_image(array)
    assert loaded.shape == (8, 10, 3) and loaded.dtype == np.float32
    np.testing.assert_allclose(loaded[3, 4], expected_pixel, atol=1e-6)


def test_tiny_rounding_overshoot_is_clipped():
    array = np.full((8, 8, 3), 0.5, dtype=np.float32)
    array[0, 0] = (1.0 + 1e-4, -1e-4, 1.0)
    loaded = load_image(array)
    assert loaded[0, 0].tolist() == [1.0, 0.0, 1.0]


@pytest.mark.parametrize(
    "array, words",
    [
        (np.full((8, 8, 3), 200.0), "divide by 255"),
        (np.full((8, 8, 3), -0.5), "(x + 1) / 2"),
        (np.full((8, 8, 3), 1.2), "np.clip"),
        (np.full((8, 8, 3), np.nan), "NaN"),
        (np.full((8, 8, 3), np.inf), "infinite"),
        (np.full((8, 8, 3), 300, dtype=np.int32), "0-255"),
        (np.zeros((2, 8, 8, 3)), "batch of 2"),
        (np.zeros((3, 8, 9)), "channels-first"),
        (np.zeros((8, 8, 5)), "colour channels"),
        (np.zeros((8,)), "shape (8,)"),
        (np.zeros((8, 8, 3), dtype=np.complex64), "complex"),
        (np.array([["a"] * 8] * 8), "dtype <U1"),
        (np.zeros((0, 10, 3)), "0x"),
    ],
)
def test_bad_arrays_are_refused_with_advice(array, words):
    with pytest.raises(ImageError) as info:
        load_image(array)
    assert words in str(info.value)


def test_array_like_objects_are_converted():
    class ArrayLike:
        def __array__(self, dtype=None, copy=None):
            return np.full((8, 8, 3), 0.5, dtype=np.float32)

    class EagerLike:
        def numpy(self):
            return np.full((8, 8, 3), 0.25, dtype=np.float32)

    np.testing.assert_allclose(load_image(ArrayLike()), 0.5)
    np.testing.assert_allclose(load_image(EagerLike()), 0.25)


def test_tensorflow_tensor():
    tf = pytest.importorskip("tensorflow")
    tensor = tf.fill((1, 8, 9, 3), 0.75)
    loaded = load_image(tensor)
    assert loaded.shape == (8, 9, 3)
    np.testing.assert_allclose(loaded, 0.75)


@pytest.mark.parametrize("source", [None, 3.5, object(), ""])
def test_unusable_source_types(source):
    with pytest.raises(ImageError):
        load_image(source)


# ----------------------------------------------------------------------------------------------
# max_size
# ----------------------------------------------------------------------------------------------


def test_max_size_keeps_aspect_ratio(tmp_path):
    path = write(tmp_path / "wide.png", rgb_image(400, 100, (30, 60, 90)))
    loaded = load_image(path, max_size=200)
    assert loaded.shape == (50, 200, 3)
    # shrinking a flat colour gives the same flat colour
    np.testing.assert_allclose(
        loaded, np.broadcast_to([30 / 255, 60 / 255, 90 / 255], loaded.shape), atol=1e-5
    )
    tall = load_image(rgb_image(90, 300), max_size=100)
    assert tall.shape == (100, 30, 3)
    odd = load_image(rgb_image(451, 300), max_size=256)
    assert odd.shape == (170, 256, 3)  # 300 * 256 / 451 = 170.3


def test_max_size_never_upscales(tmp_path):
    path = write(tmp_path / "small.png", noisy_rgb(40, 30))
    exact = np.asarray(Image.open(path), dtype=np.float32) / 255
    for size in (40, 41, 1000):
        loaded = load_image(path, max_size=size)
        assert loaded.shape == (30, 40, 3)
        np.testing.assert_allclose(loaded, exact, atol=1e-7)


def test_max_size_filters_instead_of_dropping_pixels():
    # a one-pixel checkerboard halved: a proper low-pass filter gives grey; dropping every second
    # pixel would give pure black or pure white
    board = (np.indices((64, 64)).sum(axis=0) % 2).astype(np.float32)
    loaded = load_image(board, max_size=32)
    assert loaded.shape == (32, 32, 3)
    centre = loaded[8:24, 8:24]
    assert abs(float(centre.mean()) - 0.5) < 0.02 and float(centre.std()) < 0.05


@pytest.mark.parametrize("bad", [0, -5, 2.5, True, "256"])
def test_bad_max_size(bad):
    with pytest.raises(ImageError, match="max_size"):
        load_image(np.zeros((8, 8, 3)), max_size=bad)


# ----------------------------------------------------------------------------------------------
# sizes: bombs, huge and tiny images
# ----------------------------------------------------------------------------------------------


@pytest.fixture
def no_decoding(monkeypatch):
    """Record (and block) pixel decoding: size checks must happen before it.

    Yields the list of image sizes whose decoding was attempted; it must stay empty.
    """
    attempts: list[tuple[int, int]] = []

    def forbidden(self, *args, **kwargs):
        attempts.append(self.size)
        raise AssertionError(f"pixels of a {self.size} image were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", forbidden)
    return attempts


def test_decompression_bomb_refused_before_decoding(tmp_path, no_decoding):
    path = tmp_path / "bomb.png"
    path.write_bytes(patch_png_size(png_bytes(rgb_image(8, 8)), 30000, 30000))
    with pytest.raises(ImageError, match="megapixels") as info:
        load_image(path)
    assert "resize it first" in str(info.value) or "decompression bomb" in str(info.value)
    assert no_decoding == []


def test_too_many_pixels_names_the_size(tmp_path, no_decoding):
    # 11000 x 11000 = 121 megapixels: over our 100 MP limit, under Pillow's own hard limit
    path = tmp_path / "big.png"
    path.write_bytes(patch_png_size(png_bytes(rgb_image(8, 8)), 11000, 11000))
    with pytest.raises(ImageError) as info:
        load_image(path)
    message = str(info.value)
    assert "11000x11000" in message and "100 megapixels" in message and "resize" in message
    assert no_decoding == []


def test_size_between_pillows_warning_and_our_limit_is_accepted(tmp_path, no_decoding):
    # 9500 x 9500 = 90.25 megapixels: Pillow warns above 89.5, our limit is 100, so the size is
    # accepted silently and decoding starts (the blocked decoder then makes it fail).
    path = tmp_path / "large.png"
    path.write_bytes(patch_png_size(png_bytes(rgb_image(8, 8)), 9500, 9500))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ImageError):
            load_image(path)
    assert no_decoding == [(9500, 9500)]


def test_too_long_a_side(tmp_path, no_decoding):
    path = tmp_path / "strip.png"
    path.write_bytes(patch_png_size(png_bytes(rgb_image(8, 8)), 25000, 100))
    with pytest.raises(ImageError, match="25000x100"):
        load_image(path)
    assert no_decoding == []


def test_pixel_limit_can_be_lowered(tmp_path, monkeypatch):
    path = write(tmp_path / "forty.png", rgb_image(40, 40))
    assert load_image(path).shape == (40, 40, 3)
    monkeypatch.setattr(image_arrays, "MAX_PIXELS", 1000)
    with pytest.raises(ImageError, match="40x40"):
        load_image(path)
    with pytest.raises(ImageError, match="40x40"):
        load_image(np.zeros((40, 40, 3)))


def test_pillow_bomb_error_becomes_image_error(tmp_path, monkeypatch):
    path = write(tmp_path / "pillow.png", rgb_image(40, 40))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # Pillow raises above 2 x 100 pixels
    with pytest.raises(ImageError, match="decompression bomb"):
        load_image(path)


def test_tiny_image_refused(tmp_path):
    path = write(tmp_path / "tiny.png", rgb_image(4, 20))
    with pytest.raises(ImageError, match="4x20.*at least 8"):
        load_image(path)
    with pytest.raises(ImageError, match="at least 8"):
        load_image(np.zeros((5, 5, 3)))


def test_zero_size_header_refused(tmp_path):
    path = tmp_path / "zero.png"
    path.write_bytes(patch_png_size(png_bytes(rgb_image(8, 8)), 0, 8))
    with pytest.raises(ImageError):
        load_image(path)


# ----------------------------------------------------------------------------------------------
# broken and missing files
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt, suffix", [("PNG", ".png"), ("JPEG", ".jpg")])
def test_truncated_file(tmp_path, fmt, suffix):
    full = io.BytesIO()
    noisy_rgb(64, 64).save(full, fmt)
    path = tmp_path / f"cut{suffix}"
    path.write_bytes(full.getvalue()[: len(full.getvalue()) // 2])
    with pytest.raises(ImageError, match="damaged or incomplete") as info:
        load_image(path)
    assert str(path) in str(info.value)


def test_corrupt_data_after_a_valid_header(tmp_path):
    data = bytearray(png_bytes(noisy_rgb(64, 64)))
    data[60:400] = bytes(340)
    path = tmp_path / "corrupt.png"
    path.write_bytes(bytes(data))
    with pytest.raises(ImageError):
        load_image(path)


def test_text_file_is_not_an_image(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("these are my notes, not a picture\n")
    with pytest.raises(ImageError, match="not an image file") as info:
        load_image(path)
    assert "notes.png" in str(info.value)


def test_html_file_is_recognised(tmp_path):
    path = tmp_path / "painting.jpg"
    path.write_text("<!DOCTYPE html><html><body><img src='x.jpg'></body></html>")
    with pytest.raises(ImageError, match="web page"):
        load_image(path)


def test_empty_file(tmp_path):
    path = tmp_path / "nothing.jpg"
    path.write_bytes(b"")
    with pytest.raises(ImageError, match=r"is empty \(0 bytes\)"):
        load_image(path)
    with pytest.raises(ImageError, match=r"are empty \(0 bytes\)"):
        load_image(b"")


def test_directory(tmp_path):
    write(tmp_path / "inside.png", rgb_image(8, 8))
    with pytest.raises(ImageError, match="is a folder, not an image file") as info:
        load_image(tmp_path)
    assert "inside.png" in str(info.value)


def test_missing_file_names_the_path_and_bundled_images(tmp_path):
    missing = tmp_path / "holiday" / "beach.jpg"
    with pytest.raises(ImageError) as info:
        load_image(missing)
    message = str(info.value)
    assert str(missing) in message
    assert "chelsea_cat" in message and "list_images()" in message


def test_misspelt_bundled_name_gets_a_suggestion():
    with pytest.raises(ImageError, match="'astronaut'"):
        load_image("astronot")
