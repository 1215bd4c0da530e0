"""Lesson 08's helpers: the style distance of regions, the coarse-and-fine layers, the figures."""

from __future__ import annotations

import numpy as np
import pytest

from labhelpers.images import load_image, masks, resize_to
from labhelpers.lessons import l08_controls as l08
from labhelpers.transfer.run import StyleTransferResult


def test_region_distances_find_which_painting_fills_each_half(extractor):
    """A collage, left half cut from one painting and right half from the other: each half is
    nearest the painting it was cut from (a property, not a stored number)."""
    a = resize_to(load_image(l08.PAINTINGS[0]), (48, 64))
    b = resize_to(load_image(l08.PAINTINGS[1]), (48, 64))
    collage = np.concatenate([a[:, :32], b[:, 32:]], axis=1)
    halves = masks.halves_masks(collage.shape, soft=0.0)
    distances = l08.region_distances(extractor, collage, halves, [a, b])
    assert distances.shape == (2, 2)
    assert distances[0, 0] < distances[0, 1] and distances[1, 1] < distances[1, 0]


def test_coarse_and_fine_layers():
    layers = l08.coarse_and_fine_layers(coarse=0, fine=1, split="block3_conv1")
    assert layers == {
        "block1_conv1": 1,
        "block2_conv1": 1,
        "block3_conv1": 0,
        "block4_conv1": 0,
        "block5_conv1": 0,
    }
    with pytest.raises(ValueError, match="split must be one of"):
        l08.coarse_and_fine_layers(split="block3_conv2")


def _result(value: float, shape=(12, 16)) -> StyleTransferResult:
    return StyleTransferResult(image=np.full((*shape, 3), value, np.float32), options={"steps": 3})


def test_figures_show_every_picture():
    photo = np.full((12, 16, 3), 0.5, np.float32)
    left, right = masks.halves_masks(photo.shape)
    regions = l08.RegionRun(
        photo, [photo, photo], [left, right], _result(0.2), distances=np.array([[0, 1], [1, 0]])
    )
    assert len(l08.plot_regions(regions).axes) >= 6
    one = l08.RegionRun(photo, [photo], [left], _result(0.2), distances=np.zeros((1, 1)))
    figure = l08.plot_regions(one)
    assert "change from the photo" in [ax.get_title() for ax in figure.axes]
    scales = l08.ScaleRuns(
        photo, [photo, photo], [0.5, 1, 2], [_result(v) for v in (0.1, 0.2, 0.3)], _result(0.4)
    )
    shown = {ax.get_title(): ax for ax in l08.plot_scales(scales).axes if ax.images}
    assert len(shown) == 9 and "style_scale = 0.5" in shown
    detail = shown["detail, style_scale = 2"].images[0].get_array()
    assert np.allclose(detail, 0.3)  # the enlarged corner of the third picture
    pooling = l08.PoolingRuns(photo, {"max": _result(0.2), "avg": _result(0.3)}, 25.5)
    titles = [ax.get_title() for ax in l08.plot_pooling(pooling).axes]
    assert "difference (mean 25.5 grey levels)" in titles
    colours = {"none": _result(0.1), "luminance": _result(0.2)}
    assert len(l08.plot_color_modes(regions, colours).axes) >= 3
    made = {"top": masks.rectangle_mask(photo.shape, 0, 0, 0.5, 1)}
    assert [ax.get_title() for ax in l08.plot_masks(photo, made).axes][:2] == ["photo", "top"]


def test_the_runs_are_what_the_notebook_runs():
    """Three region runs at SIZE (halves, luminance, histogram), the sky, five at SCALE_SIZE."""
    assert [(r.count, r.size_name) for r in l08.RUNS] == [
        (3, "SIZE"),
        (1, "SIZE"),
        (5, "SCALE_SIZE"),
    ]
