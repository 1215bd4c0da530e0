"""Tests of labhelpers.lessons.plots: every figure, checked on hand-made inputs."""

from __future__ import annotations

import re

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from labhelpers.network import layers
from labhelpers.lessons.common import figures
from labhelpers.lessons import l01_feature_hierarchy as l01
from labhelpers.lessons import l03_style_loss as l03
from labhelpers.lessons import l04_total_variation as l04
from labhelpers.lessons import l07_style_transfer as l07

from .helpers import decode_png, smooth_picture


# ----------------------------------------------------------------------------- layer table


def test_layer_table_has_18_rows_with_the_right_receptive_fields():
    table = l01.layer_table(224, 224)
    body = re.search(r"<tbody>(.*)</tbody>", table, re.S).group(1)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    assert len(rows) == 18
    cells = {
        re.sub(r"<[^>]+>", "", row.split("</td>")[0]): [
            re.sub(r"<[^>]+>", "", c) for c in row.split("</td>")
        ]
        for row in rows
    }
    assert cells["block1_conv1"][3].startswith("3 &times; 3 px")
    assert cells["block5_conv3"][3].startswith("196 &times; 196 px")
    assert cells["block1_conv1"][2] == "224 &times; 224 &times; 64"
    assert cells["block5_conv3"][2] == "14 &times; 14 &times; 512"
    assert cells["block5_pool"][1] == "max pool 2x2"
    assert cells["block5_pool"][2] == "7 &times; 7 &times; 512"


def test_layer_table_follows_the_input_size():
    table = l01.layer_table(64, 96)
    assert "64 &times; 96 &times; 64" in table  # block1
    assert "2 &times; 3 &times; 512" in table  # block5_pool


def test_activation_image_shape_dtype_and_scaling(rng):
    features = rng.random((1, 5, 7, 4)).astype(np.float32)
    picture = figures.activation_image(features, 2)
    assert picture.shape == (5, 7, 3) and picture.dtype == np.uint8
    cmap = matplotlib.colormaps["viridis"]
    top = np.round(np.array(cmap(1.0)[:3]) * 255).astype(np.uint8)
    where = np.unravel_index(np.argmax(features[0, ..., 2]), (5, 7))
    assert np.array_equal(picture[where], top)  # the channel's maximum gets the top colour
    big = figures.activation_image(features[0], 2, upscale=3)
    assert big.shape == (15, 21, 3)
    assert np.array_equal(big[::3, ::3], picture)


def test_activation_image_of_a_silent_channel_is_uniform():
    features = np.zeros((1, 4, 4, 2), np.float32)
    picture = figures.activation_image(features, 1)
    assert np.all(picture == picture[0, 0])


def test_activation_image_rejects_a_bad_channel(rng):
    with pytest.raises(ValueError, match="channel"):
        figures.activation_image(rng.random((1, 4, 4, 3)), 3)


def test_activation_grid_and_block_activations(rng):
    features = {
        name: rng.random((1, 6, 6, 10)).astype(np.float32) for name in layers.BLOCK_FIRST_LAYERS
    }
    figure = l01.activation_grid(features["block1_conv1"], channels=8, columns=4, title="t")
    assert isinstance(figure, Figure)
    assert sum(1 for ax in figure.axes if ax.images) == 8
    figure = l01.block_activations(features, channels=3)
    assert sum(1 for ax in figure.axes if ax.images) == 15


def test_plot_filters_draws_64_pictures(random_extractor):
    """One mosaic: filter i at row i // 8, column i % 8 (3 px tiles, 1 px apart, 2 px above),
    numbered."""
    figure = l01.plot_filters(random_extractor)
    (ax,) = figure.axes
    mosaic = np.asarray(ax.images[0].get_array())
    kernel = random_extractor.base_model.get_layer("block1_conv1").get_weights()[
        0
    ]  # (3, 3, 3, 64)
    for index in (0, 10, 63):
        weights = kernel[..., index]
        expected = (
            0.5 + 0.5 * weights / np.abs(weights).max()
        )  # grey = 0, largest weight at 0 or 1
        top, left = (index // 8) * 5 + 2, (index % 8) * 4
        np.testing.assert_allclose(mosaic[top : top + 3, left : left + 3], expected, atol=1e-6)
    assert sorted(int(text.get_text()) for text in ax.texts) == list(range(64))


def test_plot_differences_titles_carry_the_tv(rng):
    flat = np.full((8, 8, 3), 0.5, np.float32)
    figure = l04.plot_differences({"flat": flat, "noise": rng.random((8, 8, 3))})
    titles = [ax.get_title() for ax in figure.axes]
    assert any(title.startswith("flat\nTV = 0 ") for title in titles)


def test_plot_differences_draws_every_map_on_one_scale_with_its_bar(rng):
    """The difference maps are not stretched each on its own: all run from 0 to 1/gain of the
    pixel range, and one colour bar gives that scale in pixel values."""
    pictures = {"faint": 0.5 + 0.01 * rng.random((8, 8, 3)), "loud": rng.random((8, 8, 3))}
    figure = l04.plot_differences(pictures, gain=4.0)
    maps = [
        ax.images[0] for ax in figure.axes if ax.images and ax.images[0].get_cmap().name == "gray"
    ]
    assert len(maps) == 4 and all(image.get_clim() == (0.0, 0.25) for image in maps)
    bars = [ax for ax in figure.axes if ax.get_label() == "<colorbar>"]
    assert len(bars) == 1 and "0.25" in bars[0].get_ylabel()


def test_gram_heatmap(rng):
    figure = l03.gram_heatmap(rng.random((40, 40)), title="g", channels=16)
    assert figure.axes[0].images[0].get_array().shape == (16, 16)
    with pytest.raises(ValueError, match="square"):
        l03.gram_heatmap(rng.random((3, 4)))
    figure = l03.compare_grams({"a": np.eye(4), "b": np.ones((4, 4))})
    assert sum(1 for ax in figure.axes if ax.images) == 2


def test_compare_grams_puts_every_matrix_on_one_colour_scale():
    """Equal colours mean equal values: both maps run from 0 to the larger matrix's largest entry,
    with one colour bar for both."""
    figure = l03.compare_grams({"small": 0.1 * np.eye(4), "large": 3.0 * np.ones((4, 4))})
    images = [ax.images[0] for ax in figure.axes if ax.images]
    assert [image.get_clim() for image in images] == [(0.0, 3.0), (0.0, 3.0)]
    colour_bars = [ax for ax in figure.axes if not ax.images and ax.get_label() == "<colorbar>"]
    assert len(colour_bars) == 1


def test_plot_loss_curves_leaves_out_switched_off_terms():
    history = [
        {"step": s, "total": 10.0 / s, "content": 4.0 / s, "style": 6.0 / s, "tv": 0.0}
        for s in range(1, 6)
    ]
    figure = figures.plot_loss_curves(history)
    ax = figure.axes[0]
    assert ax.get_yscale() == "log"
    assert sorted(line.get_label() for line in ax.lines) == ["content", "style", "total"]
    with pytest.raises(ValueError):
        figures.plot_loss_curves([])


def test_image_grid_and_plot_reconstructions(rng):
    pictures = [rng.random((8, 10, 3)), rng.random((6, 6, 3)), rng.random((5, 9, 3))]
    figure = figures.image_grid(pictures, ["a", "b", "c"], columns=2)
    assert sum(1 for ax in figure.axes if ax.images) == 3
    rec = l01.Reconstruction(
        image=pictures[1], start=pictures[2], kind="style", layers=("block1_conv1", "block2_conv1")
    )
    assert "2 layers" in rec.label
    assert sum(1 for ax in l01.plot_reconstructions(pictures[0], [rec]).axes if ax.images) == 2


def test_image_grid_cells_follow_the_pictures_shape():
    """Landscape pictures (2:1) in 5 rows x 2 columns: the figure is about 4 wide to 5 high, not
    square cells with empty bands between the rows; a long row is capped at GRID_MAX_WIDTH_IN."""
    wide = [np.zeros((50, 100, 3))] * 10
    width_in, height_in = figures.image_grid(wide, columns=2, height_in=2.0).get_size_inches()
    assert width_in / height_in == pytest.approx((2 * 2) / 5, rel=0.05)
    width_in, height_in = figures.image_grid(wide, height_in=2.0).get_size_inches()
    assert width_in == pytest.approx(figures.GRID_MAX_WIDTH_IN)
    assert height_in == pytest.approx(
        figures.GRID_MAX_WIDTH_IN / 20 + 0.1
    )  # cells 2:1, plus the 0.1 in margin


def test_loss_curves_are_not_squashed_by_a_near_zero_first_value():
    import matplotlib

    matplotlib.use("Agg")
    from labhelpers.lessons.common.figures import plot_loss_curves

    history = [
        {
            "step": i + 1,
            "total": 10.0 / (i + 1),
            "content": 1e-13 if i == 0 else 0.5,
            "style": 5.0 / (i + 1),
            "tv": 0.3,
        }
        for i in range(20)
    ]
    bottom, top = plot_loss_curves(history).axes[0].get_ylim()
    assert bottom >= 10.0 * 1e-6 * 0.999 and top >= 10.0


def test_loss_curves_png_is_a_png_of_the_asked_size():
    history = [
        {"step": i + 1, "total": 3.0 / (i + 1), "content": 1.0, "style": 2.0 / (i + 1), "tv": 0.0}
        for i in range(5)
    ]
    picture = decode_png(figures.loss_curves_png(history, figsize_in=(4.0, 2.5), dpi=50))
    assert picture.shape[:2] == (125, 200)  # 2.5 x 4 inches at 50 dots per inch
    assert plt.get_fignums() == [], "made without pyplot, so nothing pops up in a notebook"
    with pytest.raises(ValueError, match="empty history"):
        figures.loss_curves_png([])


@pytest.mark.parametrize("title", [None, "a title"])
def test_loss_curves_png_keeps_every_label_inside_the_picture(title):
    """Fixed margins (not constrained layout): nothing drawn may touch the picture's edges, where a
    cut-off axis label or title would show."""
    history = [
        {"step": i + 1, "total": 1e4 / (i + 1), "content": 1.0, "style": 2e3 / (i + 1), "tv": 0.5}
        for i in range(300)
    ]
    picture = decode_png(figures.loss_curves_png(history, title=title))[..., :3].astype(int)
    ink = np.abs(picture - 255).sum(axis=-1) > 30  # anything not white
    assert ink[:, 8:-8].any(axis=0).sum() > 0.8 * (ink.shape[1] - 16), "the plot is drawn"
    edges = {"left": ink[:, :2], "right": ink[:, -2:], "top": ink[:2, :], "bottom": ink[-2:, :]}
    assert not any(band.any() for band in edges.values()), [
        k for k, band in edges.items() if band.any()
    ]


def test_format_weight_gives_three_significant_digits_without_exponents():
    assert [figures.format_weight(v) for v in (316.2278, 0.0316228, 1.0, 10000.0, 1.78)] == [
        "316",
        "0.0316",
        "1",
        "10000",
        "1.78",
    ]
    assert figures.format_weight(float("inf")) == "inf"


def test_plot_ratio_grid_titles_each_picture_with_its_ratio(rng):
    class Result:
        def __init__(self, image):
            self.image = image

    class Grid:  # what l07.ratio_grid_results returns, made by hand
        content, style = smooth_picture(rng), smooth_picture(rng)
        results = [Result(smooth_picture(rng)), Result(smooth_picture(rng))]
        ratios = [0.5, 1000.0]
        steps, size = 7, 48

    figure = l07.plot_ratio_grid(Grid(), height_in=1.0)
    titles = [ax.get_title() for ax in figure.axes if ax.get_title()]
    assert titles == [
        "photo (content)",
        "painting (style)",
        "style ÷ content = 0.5",
        "style ÷ content = 1000",
    ]
    assert "7 steps at 48 px" in figure.get_suptitle()
    # four 40 x 48 pictures 1 inch high: 4 x 1.2 wide; 1 + 0.3 (titles) + 0.4 (the suptitle) high
    assert tuple(figure.get_size_inches()) == pytest.approx((4.8, 1.7))


@pytest.mark.parametrize(
    "low, high, minor_labels",
    [(0.3, 3.0, {"0.5", "2"}), (1e-3, 1e3, set())],
)
def test_log_axes_carry_plain_numbers_and_few_of_them(low, high, minor_labels):
    """A loss axis shows 0.1, 1, 10 (not 10^0) and, over less than two decades, 2 and 5 times
    those; over more, no minor labels at all (matplotlib's default labels 2x10^0, 3x10^0, ...)."""
    from labhelpers.lessons.common.figures import plot_loss_curves

    steps = np.arange(1, 11)
    values = np.geomspace(high, low, 10)
    figure = plot_loss_curves([{"step": s, "total": v} for s, v in zip(steps, values)])
    ax = figure.axes[0]
    figure.canvas.draw()
    low_shown, high_shown = ax.get_ylim()

    def labels(ticks):
        return {
            t.get_text()
            for t in ticks
            if t.get_text() and low_shown <= t.get_position()[1] <= high_shown
        }

    major, minor = labels(ax.yaxis.get_majorticklabels()), labels(ax.yaxis.get_minorticklabels())
    assert major and all("10^" not in text and "times" not in text for text in major | minor)
    assert all(float(text) > 0 for text in major | minor)  # plain numbers
    assert {float(t) for t in major} <= {10.0**k for k in range(-4, 5)}
    assert minor == minor_labels


def test_loss_curves_mark_the_size_change_and_leave_out_the_photo_starts_zero():
    """07's curves: a coarse-to-fine run's move from 128 to 256 px is marked where it happens;
    the content loss of the photo start (rounding of 0 at step 1) is not drawn as a plunge."""
    from labhelpers.lessons.common.figures import plot_loss_curves, stage_changes

    history = [
        {"step": s, "total": 10.0 / s, "content": 1e-13 if s == 1 else 0.5, "stage_size": size}
        for s, size in zip(range(1, 11), [128] * 6 + [256] * 4)
    ]
    assert stage_changes(history) == [(7, 128, 256)]
    assert stage_changes([{"step": 1}, {"step": 2}]) == []
    figure = plot_loss_curves(history, terms=["total", "content"])
    ax = figure.axes[0]
    content = next(line for line in ax.get_lines() if line.get_label() == "content")
    assert np.isnan(content.get_ydata()[0]) and np.all(content.get_ydata()[1:] == 0.5)
    assert ax.get_ylim()[0] > 1e-3  # the axis is not stretched down to the start's rounding
    marks = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert [m.get_xdata()[0] for m in marks] == [6.5]
    assert any("128 -> 256 px" in text.get_text() for text in ax.texts)


# ------------------------------------------------------- slide-ready figures (issue 29)


def _colour_bars(figure: Figure) -> list:
    return [ax for ax in figure.axes if ax.get_label() == "<colorbar>"]


def _bold_headers(ax) -> list[str]:
    """The column headers written over an axes (bold annotations)."""
    return [t.get_text() for t in ax.texts if t.get_fontweight() == "bold"]


def test_activation_grids_carry_one_colour_bar_from_silent_to_the_channels_maximum(rng):
    features = {
        name: rng.random((1, 6, 6, 10)).astype(np.float32) for name in layers.BLOCK_FIRST_LAYERS
    }
    for figure in (
        l01.activation_grid(features["block1_conv1"], channels=8, columns=4),
        l01.block_activations(features, channels=3),
    ):
        (bar,) = _colour_bars(figure)
        assert bar.get_ylabel() == l01.COLOUR_BAR_LABEL
        assert bar.get_ylim() == pytest.approx((0.0, 1.0))
        # every picture is drawn on the scale the bar shows
        assert {ax.images[0].get_clim() for ax in figure.axes if ax.images} == {(0.0, 1.0)}


def test_block_activations_heads_its_columns_by_rank_and_its_rows_by_layer(rng):
    features = {
        name: rng.random((1, 6, 8, 10)).astype(np.float32) for name in layers.BLOCK_FIRST_LAYERS
    }
    figure = l01.block_activations(features, channels=4)
    pictures = [ax for ax in figure.axes if ax.images]
    assert [h for ax in pictures[:4] for h in _bold_headers(ax)] == [
        "strongest",
        "2nd",
        "3rd",
        "4th",
    ]
    assert [pictures[4 * row].get_ylabel() for row in range(5)] == [
        f"{name}\n6x8x10" for name in layers.BLOCK_FIRST_LAYERS
    ]
    assert [l01.rank_header(n) for n in (11, 12, 13, 21, 22, 23, 101)] == [
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "23rd",
        "101st",
    ]


def test_gram_entry_figure_has_row_headers_and_a_colour_bar_for_maps_and_for_products():
    """Two channels of 4 x 5 positions and a silent third: the large entry is G[0, 1] = (sum of
    their product) / (H W C), computed by hand; the maps share one colour scale (the 99.5th
    percentile of the maps shown), the products another, each with its bar."""
    maps = np.zeros((4, 5, 3))
    maps[..., 0] = 1.0
    maps[:2, :, 1] = 2.0  # channel 1 fires on the top half only
    maps[..., 2] = 0.5
    figure = l03.plot_gram_entry(maps, pairs={"large": (0, 1), "small": (0, 2)})
    pictures = [ax for ax in figure.axes if ax.images]
    assert [pictures[0].get_ylabel(), pictures[3].get_ylabel()] == ["large entry", "small entry"]
    by_hand = (1.0 * 2.0 * 10) / (4 * 5 * 3)  # 10 positions where both fire
    assert pictures[2].get_title() == f"product: G[0, 1] = {by_hand:.3g}"
    labels = sorted(bar.get_ylabel() for bar in _colour_bars(figure))
    assert labels == ["activation", "product of the two activations"]
    top = float(np.percentile(np.stack([maps[..., i] for i in (0, 1, 0, 2)]), 99.5))
    assert [pictures[i].images[0].get_clim()[1] for i in (0, 1, 3, 4)] == pytest.approx([top] * 4)


def test_fig4_grid_is_a_table_with_row_and_column_headers(rng):
    from labhelpers.lessons import l06_paper_figures as l06

    ratios = (10.0, 1000.0, 31600.0)
    grid = {
        (row, ratio): rng.random((6, 8, 3)) for row in l06.STYLE_LAYER_SETS for ratio in ratios
    }
    figure = l06.plot_layer_ratio_grid(grid)
    pictures = [ax for ax in figure.axes if ax.images]
    assert len(pictures) == 15
    assert [h for ax in pictures[:3] for h in _bold_headers(ax)] == [
        "style/content 10",
        "style/content 1000",
        "style/content 31600",
    ]
    assert [pictures[3 * r].get_ylabel() for r in range(5)] == [
        f"style at {row}" for row in l06.STYLE_LAYER_SETS
    ]
    # each picture where its row and column say
    for r, row in enumerate(l06.STYLE_LAYER_SETS):
        for c, ratio in enumerate(ratios):
            shown = pictures[3 * r + c].images[0].get_array()
            np.testing.assert_allclose(shown, grid[(row, ratio)], err_msg=f"{row}, {ratio}")
    with pytest.raises(ValueError, match="no picture for"):
        l06.plot_layer_ratio_grid({k: v for k, v in grid.items() if k != ("conv1", 10.0)})
