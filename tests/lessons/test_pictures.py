"""Tests of labhelpers.lessons.pictures: picture and feature-map operations, against values worked
out by hand."""

from __future__ import annotations


import numpy as np
import pytest
from labhelpers.lessons.common import pictures as pics

from .helpers import decode_png


def test_strongest_channels_orders_by_mean():
    features = np.zeros((1, 2, 2, 4), np.float32)
    features[..., 0], features[..., 2], features[..., 3] = 1.0, 3.0, 2.0
    assert list(pics.strongest_channels(features, 3)) == [2, 3, 0]


def test_filter_images_normalises_each_filter_around_grey():
    kernel = np.zeros((3, 3, 3, 2), np.float32)
    kernel[0, 0, 0, 0] = 2.0  # filter 0: one strong positive red weight
    kernel[1, 1, 2, 0] = -1.0  # and a weaker negative blue one
    kernel[2, 2, 1, 1] = -0.5  # filter 1: one negative green weight
    pictures = pics.filter_images(kernel)
    assert pictures.shape == (2, 3, 3, 3)
    assert pictures[0, 0, 0, 0] == pytest.approx(1.0)
    assert pictures[0, 1, 1, 2] == pytest.approx(0.25)
    assert pictures[0, 2, 2, 1] == pytest.approx(0.5)  # zero weight -> grey
    assert pictures[1, 2, 2, 1] == pytest.approx(0.0)
    flipped = pics.filter_images(kernel, bgr=True)
    assert flipped[0, 0, 0, 2] == pytest.approx(1.0)  # BGR input: the weight belongs to blue


def test_filter_images_needs_an_rgb_layer(rng):
    with pytest.raises(ValueError, match="block1_conv1"):
        pics.filter_images(rng.random((3, 3, 64, 64)))


def test_difference_images_by_hand():
    image = np.array([[1, 2, 4], [0, 0, 0], [3, 1, 1]], np.float32)[..., None]
    horizontal, vertical = pics.difference_images(image)
    assert horizontal.shape == (3, 2, 1) and vertical.shape == (2, 3, 1)
    np.testing.assert_array_equal(horizontal[..., 0], [[1, 2], [0, 0], [-2, 0]])
    np.testing.assert_array_equal(vertical[..., 0], [[-1, -2, -4], [3, 1, 1]])
    tv = np.abs(horizontal).sum() + np.abs(vertical).sum()
    assert tv == 1 + 2 + 2 + 1 + 2 + 4 + 3 + 1 + 1
    from labhelpers.losses import total_variation_loss

    assert float(total_variation_loss(image[None])) == pytest.approx(tv)


def test_image_to_png_bytes_round_trip(rng):
    floats = rng.random((6, 5, 3)).astype(np.float32)
    decoded = decode_png(pics.image_to_png_bytes(floats))
    assert decoded.shape == (6, 5, 3)
    np.testing.assert_array_equal(decoded, np.round(floats * 255).astype(np.uint8))
    ints = (rng.random((4, 4, 3)) * 255).astype(np.uint8)
    np.testing.assert_array_equal(decode_png(pics.image_to_png_bytes(ints[None])), ints)
    grey = decode_png(pics.image_to_png_bytes(np.array([[0.0, 2.0]])))
    np.testing.assert_array_equal(grey, [[0, 255]])  # clipped
    assert pics.image_to_png_bytes(floats).startswith(b"\x89PNG")


def test_shuffle_positions_keeps_the_gram_matrix(rng):
    from labhelpers.losses import content_loss, gram_matrix

    features = rng.random((1, 6, 5, 7)).astype(np.float32)
    shuffled = pics.shuffle_positions(features, seed=1)
    assert shuffled.shape == features.shape
    np.testing.assert_allclose(
        gram_matrix(shuffled).numpy(), gram_matrix(features).numpy(), rtol=1e-5, atol=1e-7
    )
    assert float(content_loss(shuffled, features)) > 0.01
    np.testing.assert_array_equal(np.sort(shuffled.ravel()), np.sort(features.ravel()))


def test_shift_image_moves_the_picture(rng):
    image = rng.random((10, 12, 3)).astype(np.float32)
    moved = pics.shift_image(image, 3, axis=1)
    np.testing.assert_array_equal(moved[:, 3:], image[:, :-3])
    down = pics.shift_image(image, 2, axis=0)
    np.testing.assert_array_equal(down[2:], image[:-2])


def test_noise_image_and_crop_border(rng):
    white = pics.noise_image((20, 30), seed=2)
    assert white.shape == (20, 30, 3) and white.dtype == np.float32
    assert white.min() < 0.05 and white.max() > 0.95
    faint = pics.noise_image((20, 30), seed=2, amplitude=0.2)
    np.testing.assert_allclose(faint, 0.5 + 0.2 * (white - 0.5), atol=1e-6)
    with pytest.raises(ValueError):
        pics.noise_image((4, 4), amplitude=2.0)
    image = rng.random((50, 100, 3)).astype(np.float32)
    cropped = pics.crop_border(image, 0.03)  # 3 px of the longest side, 100
    np.testing.assert_array_equal(cropped, image[3:-3, 3:-3])
    np.testing.assert_array_equal(pics.crop_border(image, 0.0), image)
    with pytest.raises(ValueError):
        pics.crop_border(image, 0.4)


def test_checkerboard_by_hand():
    board = pics.checkerboard(3, 5, 2)
    expected = np.array([[0, 0, 1, 1, 0], [0, 0, 1, 1, 0], [1, 1, 0, 0, 1]], np.float32)
    assert board.shape == (3, 5, 3) and board.dtype == np.float32
    for channel in range(3):
        np.testing.assert_array_equal(board[..., channel], expected)
    np.testing.assert_array_equal(pics.checkerboard(2, 2)[..., 0], [[0, 1], [1, 0]])
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="whole number"):
            pics.checkerboard(4, 4, bad)


def test_relative_weights_divide_the_emphasis_by_the_mean_square():
    from labhelpers.lessons.common.pictures import relative_weights

    values = {"a": np.full((1, 2, 2, 3), 2.0), "b": np.array([[1.0, -3.0]]), "c": np.ones(3)}
    weights = relative_weights(values, {"a": 1.0, "b": 10.0})
    assert weights == pytest.approx(
        {"a": 1.0 / 4.0, "b": 10.0 / 5.0}
    )  # mean squares 4 and (1 + 9) / 2
    with pytest.raises(ValueError, match="no values"):
        relative_weights(values, {"d": 1.0})
    with pytest.raises(ValueError, match="all 0"):
        relative_weights({"z": np.zeros(4)}, {"z": 1.0})
