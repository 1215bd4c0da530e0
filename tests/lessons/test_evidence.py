"""labhelpers.lessons.evidence: the helpers behind the figures that show the lessons' claims.

Synthetic feature maps with a known answer: a planted local detector, a blob at a known place, a
pair of channels that fire at the same places and a pair that never do.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from labhelpers.lessons import l01_feature_hierarchy as l01  # noqa: E402
from labhelpers.lessons import l02_content_loss as l02  # noqa: E402
from labhelpers.lessons import l03_style_loss as l03  # noqa: E402


def blob(h, w, row, col, width=1.0):
    rr, cc = np.mgrid[0:h, 0:w]
    return np.exp(-((rr - row) ** 2 + (cc - col) ** 2) / (2 * width**2))


def test_peaked_channels_prefers_a_local_detector_over_a_channel_on_everywhere():
    rng = np.random.default_rng(0)
    maps = np.stack(
        [np.full((8, 10), 0.9), 0.05 * rng.random((8, 10)), blob(8, 10, 3, 4)], axis=-1
    )
    assert list(l01.peaked_channels(maps[None], 2)) == [
        2,
        0,
    ]  # the weak noisy channel is never chosen


def test_map_centroid_moves_with_the_blob_in_input_pixels():
    # an (8, 10) map of a 64 x 80 px picture: one cell = 8 px; a blob half a cell further right
    first = l02.map_centroid(blob(8, 10, 4, 4)[..., None], 0, (64, 80))
    one_cell = l02.map_centroid(blob(8, 10, 4, 5)[..., None], 0, (64, 80))
    half_cell = l02.map_centroid(blob(8, 10, 4, 4.5)[..., None], 0, (64, 80))
    assert first == pytest.approx((4.5 * 8, 4.5 * 8), abs=1e-6)  # cell 4's centre is at 4.5 cells
    assert one_cell == pytest.approx((first[0], first[1] + 8), abs=1e-6)
    assert 0.5 < half_cell[1] - first[1] < 4.0 and half_cell[0] == pytest.approx(
        first[0]
    )  # sub-cell, right way
    assert np.isnan(l02.map_centroid(np.zeros((4, 4, 1)), 0, (16, 16))[0])


def test_central_peaked_channel_skips_a_detector_at_the_edge():
    maps = np.stack([3 * blob(8, 10, 0, 0), blob(8, 10, 4, 5), np.full((8, 10), 0.5)], axis=-1)
    assert l02.central_peaked_channel(maps, (64, 80), candidates=2) == 1


def test_upsample_map_scales_to_the_picture_and_to_one():
    out = l01.upsample_map(blob(4, 5, 2, 2)[None, ..., None] * 7.0, 0, (40, 50))
    assert out.shape == (40, 50) and out.max() <= 1.0 and out.max() > 0.8 and out.min() >= 0.0
    assert np.unravel_index(np.argmax(out), out.shape)[1] in range(18, 28)


def test_gram_pairs_finds_the_pair_that_fires_together_and_one_that_never_does():
    a = blob(12, 12, 3, 3, 2)
    b = blob(12, 12, 9, 9, 2)
    maps = np.stack(
        [a, 0.9 * a, b, 0.05 * a], axis=-1
    )  # 0 and 1 together; 2 elsewhere; 3 too weak
    pairs = l03.gram_pairs(maps)
    assert set(pairs["large"]) == {0, 1}
    assert set(pairs["small"]) in (
        {0, 2},
        {1, 2},
    )  # active channels at different places, not the weak one


def test_figures_draw():
    photo = np.random.default_rng(1).random((32, 40, 3)).astype(np.float32)
    maps = np.stack([blob(4, 5, 1, 1), blob(4, 5, 2, 3), blob(4, 5, 3, 1)], axis=-1)[None]
    figure = l01.plot_channel_overlays(photo, maps, "layer", channels=2)
    assert len([ax for ax in figure.axes if ax.images]) == 3


def test_channel_overlays_wrap_into_rows_that_can_be_read_projected():
    """The photo and five channels: two rows of three, each picture at least a third of the
    figure's width (a strip of six gave each a sixth)."""
    photo = np.random.default_rng(1).random((32, 48, 3)).astype(np.float32)
    maps = np.stack([blob(4, 6, 1 + k % 3, k) for k in range(6)], axis=-1)[None]
    figure = l01.plot_channel_overlays(photo, maps, "layer", channels=5)
    figure.canvas.draw()  # the constrained layout places the axes when drawn
    shown = [ax for ax in figure.axes if ax.images]
    assert len(shown) == 6
    rows = sorted({round(ax.get_position().y0, 3) for ax in shown})
    assert len(rows) == 2
    assert all(ax.get_position().width > 0.25 for ax in shown)  # in figure widths
    matplotlib.pyplot.close("all")
    figure = l03.plot_gram_entry(maps, layer="layer")
    pictures = [ax for ax in figure.axes if ax.images]
    assert len(pictures) == 6 and "G[" in pictures[2].get_title()
    assert sum(ax.get_label() == "<colorbar>" for ax in figure.axes) == 2  # maps', products'
    matplotlib.pyplot.close("all")


def test_border_positions_by_hand():
    """At 224 x 224 px: block1_conv1 (3 px) sees the padding only in its outer rows and columns,
    1 - (222/224)^2; block5_conv1 (14 x 14 values 16 px apart, 132 px each) sees it from all but
    the 6 x 6 middle ones (centres 16 i + 7.5 with 65.5 <= centre <= 157.5: i = 4 ... 9)."""
    rows = {r["layer"]: r for r in l03.border_positions(224, 224)}
    assert rows["block1_conv1"]["at_border"] == pytest.approx(1 - (222 / 224) ** 2)
    assert rows["block5_conv1"]["map"] == (14, 14) and rows["block5_conv1"]["positions"] == 196
    assert rows["block5_conv1"]["at_border"] == pytest.approx(1 - 36 / 196)
    shares = [rows[name]["at_border"] for name in rows]
    assert shares == sorted(shares)  # deeper: fewer positions, more of them at the border
    # at the texture's 100 x 128 px every block5 position sees the border (132 px > 100 px)
    assert l03.border_positions(100, 128, ["block5_conv1"])[0]["at_border"] == 1.0
    with pytest.raises(ValueError, match="Unknown VGG16 layer"):
        l03.border_positions(64, 64, ["block6_conv1"])
