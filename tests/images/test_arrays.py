"""as_float_image: the one array-to-image conversion (values by hand, tensors, refusals)."""

from __future__ import annotations

import numpy as np
import pytest

from labhelpers.images import ImageError, as_float_image
from labhelpers.images.arrays import is_array_like, to_numpy


class FakeTensor:
    """Quacks like an eager TensorFlow tensor: only ``.numpy()``, no ``__array__``."""

    def __init__(self, values):
        self.values = np.asarray(values)

    def numpy(self):
        return self.values


def test_values_by_hand():
    pixel = np.array([[[0, 128, 255]]], np.uint8)
    np.testing.assert_allclose(as_float_image(pixel)[0, 0], [0.0, 128 / 255, 1.0], rtol=1e-6)
    grey = as_float_image(np.array([[0.25]], np.float64))
    assert grey.shape == (1, 1, 3) and grey.dtype == np.float32 and np.all(grey == 0.25)
    half_transparent_black = np.array([[[0, 0, 0, 128]]], np.uint8)
    np.testing.assert_allclose(
        as_float_image(half_transparent_black)[0, 0], [1 - 128 / 255] * 3, rtol=1e-6
    )


def test_tensors_and_batches_of_one():
    tensor = FakeTensor(np.full((1, 4, 5, 3), 0.5, np.float32))
    assert is_array_like(tensor) and not is_array_like("cat.png")
    out = as_float_image(tensor)
    assert out.shape == (4, 5, 3) and np.all(out == 0.5)
    assert to_numpy(tensor) is tensor.values


def test_lenient_clips_an_optimisation_result_but_strict_refuses():
    raw = np.array([[[-0.2, 0.5, 1.1]]], np.float32)
    np.testing.assert_allclose(as_float_image(raw)[0, 0], [0.0, 0.5, 1.0])
    with pytest.raises(ImageError, match="must lie in"):
        as_float_image(raw, lenient=False)


def test_returns_a_new_array():
    source = np.zeros((2, 2, 3), np.float32)
    out = as_float_image(source)
    out[0, 0, 0] = 1.0
    assert source[0, 0, 0] == 0.0


@pytest.mark.parametrize(
    "array, words",
    [
        (np.zeros((2, 8, 8, 3)), "batch of 2"),
        (np.zeros((3, 8, 8)), "channels-first"),
        (np.full((2, 2, 3), 200.0), "divide by 255"),
        (np.array([[[np.nan, 0, 0]]]), "NaN"),
    ],
)
def test_refusals_say_what_to_do(array, words):
    with pytest.raises(ImageError, match=words):
        as_float_image(array)


def test_min_side():
    with pytest.raises(ImageError, match="at least 8 pixels"):
        as_float_image(np.zeros((4, 20, 3)), min_side=8)
