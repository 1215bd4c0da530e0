"""labhelpers.lessons.paper_figures (lesson 06): Gatys et al.'s Fig. 4 grid, Fig. 5 starts, colour
modes.

Runs use VGG16 with seeded random weights (no download, fast) and a few evaluations; what is
checked are properties that hold whatever the network: the grid's layout, that each start is
where its picture begins, and that the colour modes keep the photo's colours (YIQ from its
published NTSC matrix, written out here, not taken from labhelpers.color).
"""

from __future__ import annotations

import numpy as np
import pytest

from labhelpers.network.layers import BLOCK_FIRST_LAYERS
from labhelpers.lessons import l06_paper_figures as l06  # noqa: E402

# NTSC RGB -> YIQ rows (Y, I, Q), the standard coefficients.
YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])


@pytest.fixture(scope="module")
def pictures():
    rng = np.random.default_rng(11)
    photo = np.clip(rng.normal(0.5, 0.15, (40, 48, 3)), 0, 1).astype(np.float32)
    photo[..., 0] = np.clip(photo[..., 0] + 0.3, 0, 1)  # a reddish photo ...
    painting = np.clip(rng.normal(0.5, 0.2, (36, 44, 3)), 0, 1).astype(np.float32)
    painting[..., 2] = np.clip(painting[..., 2] + 0.3, 0, 1)  # ... and a bluish painting
    return photo, painting


def test_style_layer_sets_grow_one_block_at_a_time():
    rows = list(l06.STYLE_LAYER_SETS.values())
    assert list(l06.STYLE_LAYER_SETS) == ["conv1", "conv1-2", "conv1-3", "conv1-4", "conv1-5"]
    assert [len(r) for r in rows] == [1, 2, 3, 4, 5]
    assert rows[-1] == tuple(BLOCK_FIRST_LAYERS) and all(
        r[:-1] == s for s, r in zip(rows, rows[1:])
    )


def test_layer_ratio_grid_has_one_picture_per_row_and_ratio(random_extractor, pictures):
    photo, painting = pictures
    rows = {"conv1": ("block1_conv1",), "conv1-2": ("block1_conv1", "block2_conv1")}
    said = []
    grid = l06.layer_ratio_grid(
        photo,
        painting,
        random_extractor,
        [1.0, 10.0],
        size=24,
        steps=2,
        layer_sets=rows,
        progress=said.append,
    )
    assert list(grid) == [("conv1", 1.0), ("conv1", 10.0), ("conv1-2", 1.0), ("conv1-2", 10.0)]
    assert len(said) == 2 and "conv1-2" in said[1]
    for picture in grid.values():
        assert picture.shape == (20, 24, 3) and picture.dtype == np.float32
        assert 0.0 <= picture.min() and picture.max() <= 1.0


def test_each_start_begins_at_its_own_picture(random_extractor, pictures):
    """After one evaluation (no step taken yet) the best picture is the start itself."""
    from labhelpers.images import resize_to

    photo, painting = pictures
    starts = l06.start_comparison(
        photo, painting, random_extractor, size=24, steps=1, coarse_to_fine=False
    )
    assert list(starts) == ["content", "style", "noise"] and set(starts) <= set(l06.START_LABELS)
    small_photo = resize_to(photo, 24)
    np.testing.assert_allclose(starts["content"].image, small_photo, atol=1e-6)
    from_painting, from_noise = starts["style"].image, starts["noise"].image
    assert from_painting.shape == from_noise.shape == small_photo.shape
    # the painting's start is bluish like the painting, the noise is nothing like the photo
    assert from_painting[..., 2].mean() > from_painting[..., 0].mean()
    assert np.abs(from_noise - small_photo).mean() > 0.1
    # and more steps move every start away from where it began
    moved = l06.start_comparison(
        photo,
        painting,
        random_extractor,
        size=24,
        steps=6,
        starts=("content",),
        coarse_to_fine=False,
    )
    assert list(moved) == ["content"] and np.abs(moved["content"].image - small_photo).max() > 1e-3


def test_colour_modes_keep_the_photos_colours(random_extractor, pictures):
    photo, painting = pictures
    from labhelpers.images import resize_to

    results = l06.color_comparison(
        photo, painting, random_extractor, size=24, steps=4, coarse_to_fine=False
    )
    assert list(results) == ["plain", "luminance", "histogram"]
    small_photo = resize_to(photo, 24)
    chroma = lambda picture: (np.asarray(picture, np.float64) @ YIQ.T)[..., 1:]  # noqa: E731
    # luminance-only: the result's I and Q are the photo's (up to clipping to [0, 1])
    inside = np.all(
        (results["luminance"].image > 0.01) & (results["luminance"].image < 0.99), axis=-1
    )
    assert inside.mean() > 0.5
    np.testing.assert_allclose(
        chroma(results["luminance"].image)[inside], chroma(small_photo)[inside], atol=0.02
    )
    # the plain result does not keep them exactly
    assert np.abs(chroma(results["plain"].image) - chroma(small_photo)).max() > 0.02
    for result in results.values():
        assert (
            result.image.shape == small_photo.shape
            and 0 <= result.image.min()
            and result.image.max() <= 1
        )
