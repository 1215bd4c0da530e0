"""Masks (lesson 08): every accepted kind, the drawn and threshold masks, the grid, the checks."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from labhelpers.images import masks


def test_every_accepted_kind_gives_the_same_float_mask(tmp_path):
    ideal = np.zeros((12, 16), np.float32)
    ideal[3:9, 4:12] = 1.0
    as_uint8 = (ideal * 255).astype(np.uint8)
    path = tmp_path / "mask.png"
    Image.fromarray(as_uint8).save(path)
    kinds = {
        "float array": ideal,
        "bool array": ideal > 0.5,
        "uint8 array": as_uint8,
        "(H, W, 1)": ideal[..., None],
        "RGB picture": np.repeat(ideal[..., None], 3, axis=-1),
        "RGBA picture": np.concatenate(
            [np.repeat(ideal[..., None], 3, -1), np.ones((12, 16, 1))], -1
        ),
        "nested list": ideal.tolist(),
        "file name": str(path),
        "path": path,
        "PIL image": Image.fromarray(as_uint8),
        "Mask": masks.Mask(ideal),
    }
    for kind, source in kinds.items():
        got = masks.as_mask(source)
        assert got.dtype == np.float32 and got.shape == (12, 16), kind
        np.testing.assert_allclose(got, ideal, atol=1e-6, err_msg=kind)


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.ones((4, 5, 2)), r"has shape \(4, 5, 2\), but a mask is \(H, W\)"),
        (np.ones(7), r"has shape \(7,\)"),
        (np.linspace(0, 1.5, 16).reshape(4, 4), "values from 0 to 1.5"),
        (np.full((4, 4), -0.5), "values from -0.5"),
        (np.full((4, 4), np.nan), "NaN"),
        (np.full((4, 4), 300, np.int32), "0-255"),
    ],
)
def test_bad_masks_are_refused_with_what_to_do(bad, message):
    with pytest.raises(ValueError, match=message):
        masks.as_mask(bad, "the mask")


def test_drawn_masks_by_hand():
    rect = masks.rectangle_mask((10, 20), 0.0, 0.5, 0.5, 1.0)
    expected = np.zeros((10, 20), np.float32)
    expected[:5, 10:] = 1.0
    np.testing.assert_array_equal(rect, expected)
    ellipse = masks.ellipse_mask((21, 21), (0.5, 0.5), (0.25, 0.25))
    assert ellipse[10, 10] == 1 and ellipse[0, 0] == 0 and ellipse[10, 0] == 0
    # 21 px across, radius 5.25 px: the centre row holds the 11 pixels within it
    assert ellipse[10].sum() == 11
    soft = masks.rectangle_mask((10, 40), 0, 0, 1, 0.5, soft=0.5)
    row = soft[5]
    assert row[0] == 1 and row[-1] == 0 and np.all(np.diff(row) <= 0)
    assert 0 < row[20] < 1  # the border is soft


def test_halves_add_up_to_one_with_a_soft_border():
    left, right = masks.halves_masks((30, 40), soft=0.2)
    np.testing.assert_allclose(left + right, 1.0)
    assert left[:, 0].min() == 1 and left[:, -1].max() == 0
    assert np.sum((left > 0.01) & (left < 0.99)) >= 30 * 3  # several columns in between


def test_threshold_masks_pick_the_bright_the_coloured_and_the_sky():
    picture = np.zeros((20, 20, 3), np.float32)
    picture[:8] = (0.2, 0.3, 0.8)  # a blue sky on top
    picture[8:, :10] = (0.9, 0.9, 0.9)  # a bright wall
    picture[11:14, 12:18] = (0.2, 0.3, 0.8)  # a blue pond high up, apart from the sky
    bright = masks.brightness_mask(picture, 0.6, soft=0)
    assert bright[12, 3] == 1 and bright[3, 3] == 0 and bright[12, 15] == 0
    dark = masks.brightness_mask(picture, 0.6, above=False, soft=0)
    np.testing.assert_array_equal(dark, 1 - bright)
    blue = masks.color_mask(picture, (0.2, 0.3, 0.8), 0.1, soft=0)
    assert blue[3, 3] == 1 and blue[12, 15] == 1 and blue[12, 3] == 0
    sky = masks.sky_mask(picture, soft=0)
    assert sky[:8].min() == 1 and sky[8:].max() == 0  # the pond is not sky


def test_mask_on_a_layer_grid_is_the_mean_of_each_cell():
    mask = np.zeros((8, 8), np.float32)
    mask[:, :3] = 1.0  # 3 of every 4 columns in the first 4x4 cells
    grid = masks.mask_on_grid(mask, (2, 2))
    np.testing.assert_allclose(grid, [[0.75, 0.0], [0.75, 0.0]], atol=1e-6)


def test_complement_and_soften():
    rect = masks.rectangle_mask((16, 16), 0.25, 0.25, 0.75, 0.75)
    np.testing.assert_array_equal(masks.complement(rect), 1 - rect)
    soft = masks.soften(rect, 0.25)
    assert soft[8, 8] > 0.9 and soft[0, 0] < 0.1 and 0.1 < soft[8, 4] < 0.9
    assert soft.sum() == pytest.approx(rect.sum(), rel=0.1)


def test_masks_compare_by_content():
    a = masks.Mask(np.eye(3))
    assert a == masks.Mask(np.eye(3)) and hash(a) == hash(masks.Mask(np.eye(3)))
    assert a != masks.Mask(1 - np.eye(3))


# --------------------------------------------------------------------------- the run's check


def test_region_masks_checked_and_resized_to_the_photo():
    left, right = masks.halves_masks((30, 40))
    out = masks.check_region_masks([left, right], (60, 80), 2)
    assert [m.shape for m in out] == [(60, 80), (60, 80)]


@pytest.mark.parametrize(
    "given, paintings, message",
    [
        ([np.ones((30, 40))] * 3, 2, "has 3 masks but there are only 2 painting"),
        ([np.ones((30, 40))], 2, "1 mask\\(s\\) for 2 paintings"),
        ([np.ones((40, 40))], 1, "proportions differ"),
        ([np.zeros((30, 40))], 1, "is empty"),
        (
            [
                masks.rectangle_mask((30, 40), 0, 0, 1, 0.3),
                masks.rectangle_mask((30, 40), 0, 0.7, 1, 1),
            ],
            2,
            "do not cover the photo: 40% of it",
        ),
    ],
)
def test_each_bad_set_of_masks_is_refused_with_its_message(given, paintings, message):
    with pytest.raises(ValueError, match=message):
        masks.check_region_masks(given, (30, 40), paintings)


def test_one_mask_may_leave_the_rest_of_the_photo_unpainted():
    sky = masks.rectangle_mask((30, 40), 0, 0, 0.3, 1)
    assert masks.check_region_masks([sky], (30, 40), 1)[0].shape == (30, 40)
