"""to_uint8 and resize_to: values by hand, shapes, refusals."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from labhelpers import images as li
from labhelpers.images import ImageError, load_image


# ----------------------------------------------------------------------------------------------
# to_uint8 and resize_to
# ----------------------------------------------------------------------------------------------


def test_to_uint8_values():
    image = np.zeros((2, 3, 3), dtype=np.float32)
    image[0, 0] = (0.0, 0.5, 1.0)
    image[0, 1] = (0.2, 0.4, 1 / 255)
    result = li.to_uint8(image)
    assert result.dtype == np.uint8 and result.shape == (2, 3, 3)
    assert result[0, 0].tolist() == [0, 128, 255]
    assert result[0, 1].tolist() == [51, 102, 1]
    assert li.to_uint8(np.full((4, 4), 7, dtype=np.uint8))[0, 0].tolist() == [7, 7, 7]


def test_resize_to_longest_side_both_ways():
    image = np.full((30, 60, 3), 0.4, dtype=np.float32)
    bigger = li.resize_to(image, 120)
    smaller = li.resize_to(image, 20)
    assert bigger.shape == (60, 120, 3) and smaller.shape == (10, 20, 3)
    assert bigger.dtype == np.float32
    np.testing.assert_allclose(bigger, 0.4, atol=1e-5)
    np.testing.assert_allclose(smaller, 0.4, atol=1e-5)


def test_resize_to_exact_size_batch_and_channels():
    batch = np.zeros((2, 17, 23, 3), dtype=np.float32)
    batch[1] = 1.0
    resized = li.resize_to(batch, (34, 46))
    assert resized.shape == (2, 34, 46, 3)
    np.testing.assert_allclose(resized[0], 0.0, atol=1e-6)
    np.testing.assert_allclose(resized[1], 1.0, atol=1e-6)
    one_channel = li.resize_to(np.full((10, 10, 1), 255, dtype=np.uint8), 5)
    assert one_channel.shape == (5, 5, 1)
    np.testing.assert_allclose(one_channel, 1.0, atol=1e-6)


def test_resize_to_stays_in_unit_range():
    # a hard edge makes a Lanczos filter ring above 1 and below 0 unless the result is clipped
    edge = np.zeros((16, 16, 3), dtype=np.float32)
    edge[:, 8:] = 1.0
    resized = li.resize_to(edge, 64)
    assert resized.min() >= 0.0 and resized.max() <= 1.0
    assert resized[:, :24].max() < 0.05 and resized[:, 40:].min() > 0.95


def test_resize_to_coarse_to_fine_matches_content_shape():
    content = load_image(li.default_content(), max_size=200)
    coarse = li.resize_to(content, 100)
    fine = li.resize_to(coarse, content.shape[:2])
    assert fine.shape == content.shape


@pytest.mark.parametrize("size", [0, -3, 2.0, (10,), (0, 5)])
def test_resize_to_bad_size(size):
    with pytest.raises(ImageError, match="size"):
        li.resize_to(np.zeros((8, 8, 3)), size)


def test_resize_to_bad_array():
    with pytest.raises(ImageError, match=r"\(H, W, C\)"):
        li.resize_to(np.zeros((8, 8)), 4)
