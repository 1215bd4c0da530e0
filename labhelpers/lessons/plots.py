"""Pictures for the lessons: filters, activations, layer tables, reconstructions, Gram matrices, TV.

Every function here is "pure" in the sense the tests need: it takes arrays (or a
:class:`~labhelpers.network.extractor.FeatureExtractor`) and returns a numpy array, a string, bytes or a
matplotlib ``Figure``; nothing is shown or saved as a side effect beyond what matplotlib does.

Figures are made with ``matplotlib.pyplot`` like :func:`labhelpers.images.show_images`, so in
Jupyter they appear below the cell by themselves; end the line with ``;`` when the call is the
cell's last line, or the figure is shown twice.

Conventions: images are float arrays (H, W, 3) with RGB values in [0, 1]; feature maps are
(1, h, w, C) or (h, w, C) arrays or tensors, as the feature extractor returns them.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from labhelpers.images import as_float_image
from labhelpers.lessons.curves import loss_curves_png, plot_loss_curves
from labhelpers.lessons.evidence import plot_channel_overlays, plot_gram_entry, plot_shifted_channel
from labhelpers.lessons.pictures import (
    difference_images,
    feature_array,
    filter_images,
    strongest_channels,
)
from labhelpers.network.extractor import describe_layers
from labhelpers.network.layers import BLOCK_FIRST_LAYERS

if TYPE_CHECKING:  # pragma: no cover - only for type checkers (experiments loads TensorFlow)
    from matplotlib.figure import Figure

    from labhelpers.lessons.experiments import RatioGrid, Reconstruction
    from labhelpers.network.extractor import FeatureExtractor

__all__ = [
    "plot_filters",
    "activation_grid",
    "block_activations",
    "activation_image",
    "layer_table",
    "plot_reconstructions",
    "plot_distance_comparison",
    "gram_heatmap",
    "compare_grams",
    "plot_differences",
    "plot_loss_curves",
    "loss_curves_png",
    "plot_ratio_grid",
    "format_weight",
    "image_grid",
    "GRID_MAX_WIDTH_IN",
    "plot_channel_overlays",
    "plot_shifted_channel",
    "plot_gram_entry",
]

# --------------------------------------------------------------------------- small helpers


def _pyplot() -> Any:
    import matplotlib.pyplot as plt

    return plt


#: The widest an :func:`image_grid` figure gets (inches); wider grids are scaled down to it.
GRID_MAX_WIDTH_IN = 14.0


def image_grid(images: Sequence[Any], titles: Sequence[str] | None = None, columns: int | None = None,
               height_in: float = 2.6, suptitle: str | None = None) -> "Figure":
    """Several images in a grid of small pictures without axes.

    Args:
        images: arrays (H, W, 3) in [0, 1] (or uint8); they may differ in size.
        titles: one title per picture (optional).
        columns: pictures per row; default all in one row.
        height_in: height of one picture in inches; each cell is as wide as the widest picture's
            shape asks (so landscape pictures leave no empty bands between rows), and the whole
            figure is scaled down to at most :data:`GRID_MAX_WIDTH_IN` inches wide.
        suptitle: a title over the whole grid.
    """
    plt = _pyplot()
    count = len(images)
    if count == 0:
        raise ValueError("image_grid needs at least one image.")
    columns = count if columns is None else max(1, min(columns, count))
    rows = -(-count // columns)
    aspect = max(np.shape(image)[1] / max(1, np.shape(image)[0]) for image in images)
    scale = min(1.0, GRID_MAX_WIDTH_IN / (height_in * aspect * columns))
    title_in = 0.3 if titles is not None else 0.0
    figsize = (height_in * scale * aspect * columns,
               (height_in * scale + title_in) * rows + (0.4 if suptitle else 0.1))
    figure, axes = plt.subplots(rows, columns, figsize=figsize, squeeze=False, layout="constrained")
    for index, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if index >= count:
            continue
        picture = as_float_image(images[index])
        ax.imshow(np.clip(picture, 0.0, 1.0) if picture.shape[-1] == 3 else picture[..., 0], cmap=None
                  if picture.shape[-1] == 3 else "gray", interpolation="antialiased")
        if titles is not None and index < len(titles) and titles[index]:
            ax.set_title(titles[index], fontsize=9)
    if suptitle:
        figure.suptitle(suptitle)
    return figure


# --------------------------------------------------------------------------- filters


def plot_filters(extractor: "FeatureExtractor", layer: str = "block1_conv1", columns: int = 8,
                 height_in: float = 0.9) -> "Figure":
    """The 3x3 RGB filters of VGG16's first layer as a grid of small colour pictures.

    Args:
        extractor: a :class:`~labhelpers.network.extractor.FeatureExtractor` (its weights are read).
        layer: a convolution whose input is the RGB image; in VGG16 only ``"block1_conv1"``.
        columns: pictures per row (64 filters -> 8 x 8).
        height_in: side of one picture in inches.

    Returns:
        The Figure: one picture of the filters, row by row, ``columns`` per row, each filter
        ``side`` x ``side`` px with 1 px of white between neighbours and 2 px above (where its index
        is written).
    """
    kernel = extractor.base_model.get_layer(layer).get_weights()[0]
    pictures = filter_images(kernel, bgr=extractor.preprocessing == "caffe")
    plt = _pyplot()
    count, side = len(pictures), pictures.shape[1]
    rows = -(-count // columns)
    # One picture of all the filters (white gaps, room above each for its number): one Axes instead
    # of 64 draws in a quarter of the time, and looks the same.
    gap_x, gap_y = 1, 2
    mosaic = np.ones((rows * (side + gap_y), columns * (side + gap_x) - gap_x, 3), np.float32)
    figure, ax = plt.subplots(figsize=(height_in * columns, height_in * rows + 0.5))
    for index, picture in enumerate(pictures):
        top, left = (index // columns) * (side + gap_y) + gap_y, (index % columns) * (side + gap_x)
        mosaic[top:top + side, left:left + side] = picture
        ax.text(left + (side - 1) / 2, top - 0.6, str(index), ha="center", va="bottom", fontsize=7)
    ax.imshow(mosaic, interpolation="nearest")
    ax.set_axis_off()
    figure.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.93)
    figure.suptitle(f"{layer}: {count} filters of {kernel.shape[0]}x{kernel.shape[1]} RGB pixels "
                    "(grey = 0)")
    return figure


# --------------------------------------------------------------------------- activations


def _normalised_channel(array: np.ndarray, channel: int) -> np.ndarray:
    values = array[..., channel]
    top = float(values.max()) if values.size else 0.0
    low = min(float(values.min()), 0.0)
    if top - low <= 0:
        return np.zeros_like(values)
    return (values - low) / (top - low)


def activation_grid(features: Any, channels: int = 16, columns: int = 8, order: str = "strongest",
                    title: str | None = None, height_in: float = 1.4, cmap: str = "viridis") -> "Figure":
    """Several channels of one feature map as a grid of heat maps.

    Args:
        features: one layer's feature map, (1, h, w, C) or (h, w, C).
        channels: how many channels to show.
        columns: pictures per row.
        order: ``"strongest"`` (channels with the largest mean activation first: many channels
            are silent for a given image) or ``"index"`` (channels 0, 1, 2, ...).
        title: a title over the grid.
        height_in: side of one picture in inches.
        cmap: a matplotlib colormap name.

    Returns:
        The Figure; each picture is titled with its channel index, and scaled from 0 to its own
        maximum.
    """
    array = feature_array(features)
    count = max(1, min(channels, array.shape[-1]))
    if order == "strongest":
        picked = strongest_channels(array, count)
    elif order == "index":
        picked = np.arange(count)
    else:
        raise ValueError(f"order must be 'strongest' or 'index', not {order!r}")
    plt = _pyplot()
    columns = max(1, min(columns, count))
    rows = -(-count // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(height_in * columns, height_in * rows + (0.5 if title else 0.2)),
                                squeeze=False, layout="constrained")
    for index, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if index < count:
            ax.imshow(_normalised_channel(array, int(picked[index])), cmap=cmap, vmin=0, vmax=1)
            ax.set_title(f"ch {int(picked[index])}", fontsize=7, pad=1)
    if title:
        figure.suptitle(title)
    return figure


def block_activations(features: Mapping[str, Any], layers: Sequence[str] = BLOCK_FIRST_LAYERS,
                      channels: int = 6, height_in: float = 1.5, cmap: str = "viridis") -> "Figure":
    """One row per layer: the most active channels of each layer's feature map.

    Args:
        features: ``{layer: feature map (1, h, w, C)}``, e.g. ``extractor(image)``.
        layers: which layers, one row each (default: the first convolution of every block).
        channels: channels per row (the most active ones, strongest first).
        height_in: side of one picture in inches.
        cmap: a matplotlib colormap name.

    Returns:
        The Figure; each row is labelled with the layer's name and feature-map shape.
    """
    plt = _pyplot()
    figure, axes = plt.subplots(len(layers), channels, figsize=(height_in * channels + 0.6, height_in * len(layers) + 0.2),
                                squeeze=False, layout="constrained")
    for row, layer in enumerate(layers):
        array = feature_array(features[layer])
        picked = strongest_channels(array, channels)
        for column, ax in enumerate(axes[row]):
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if column < len(picked):
                channel = int(picked[column])
                ax.imshow(_normalised_channel(array, channel), cmap=cmap, vmin=0, vmax=1)
                ax.set_title(f"ch {channel}", fontsize=7, pad=1)
        h, w, c = array.shape
        axes[row, 0].set_ylabel(f"{layer}\n{h}x{w}x{c}", fontsize=8)
    return figure


def activation_image(feature_map: Any, channel: int, cmap: str = "viridis", upscale: int = 1) -> np.ndarray:
    """One channel of a feature map rendered with a colormap, as an RGB picture.

    Args:
        feature_map: one layer's output, (1, h, w, C) or (h, w, C).
        channel: which channel, 0 <= channel < C.
        cmap: a matplotlib colormap name; 0 (or the channel's minimum if negative) gets its lowest
            colour and the channel's maximum its highest.
        upscale: repeat every pixel this many times in each direction (crisp enlargement of
            small deep-layer maps).

    Returns:
        uint8 array (h * upscale, w * upscale, 3). A silent channel (all zeros) is uniformly the
        colormap's lowest colour.
    """
    import matplotlib

    array = feature_array(feature_map)
    if not 0 <= int(channel) < array.shape[-1]:
        raise ValueError(f"channel must be between 0 and {array.shape[-1] - 1}, got {channel}.")
    values = _normalised_channel(array, int(channel))
    rgba = matplotlib.colormaps[cmap](values)
    rgb = np.round(rgba[..., :3] * 255.0).astype(np.uint8)
    if upscale > 1:
        rgb = np.repeat(np.repeat(rgb, upscale, axis=0), upscale, axis=1)
    return rgb


# --------------------------------------------------------------------------- layer table


def layer_table(height: int = 224, width: int = 224) -> str:
    """VGG16's layers for an input of ``height`` x ``width`` pixels, as an HTML table.

    One row per layer (13 convolutions and 5 max pools = 18 rows): name, kind, output shape
    (h x w x C) and receptive field (the side, in input pixels, of the patch one output value
    sees). Show it with ``IPython.display.HTML(layer_table(224, 224))``.

    Returns:
        An HTML string (a ``<table class="lab-layer-table">``) with one ``<tr>`` per layer in
        ``<tbody>``.
    """
    rows = describe_layers(height, width)
    head = ("<thead><tr><th>layer</th><th>kind</th><th>output shape (h &times; w &times; C)</th>"
            "<th>receptive field</th></tr></thead>")
    body = []
    for row in rows:
        h, w, c = row["output_shape"]
        style = ' style="color:#777"' if row["kind"].startswith("max pool") else ""
        body.append(
            f"<tr{style}><td><code>{html.escape(row['name'])}</code></td><td>{html.escape(row['kind'])}</td>"
            f"<td>{h} &times; {w} &times; {c}</td><td>{row['receptive_field']} &times; "
            f"{row['receptive_field']} px</td></tr>"
        )
    caption = f"<caption>VGG16 on a {height} &times; {width} RGB image</caption>"
    return f'<table class="lab-layer-table">{caption}{head}<tbody>{"".join(body)}</tbody></table>'


# --------------------------------------------------------------------------- reconstructions


def plot_reconstructions(target_image: Any, reconstructions: Sequence[Reconstruction],
                         titles: Sequence[str] | None = None, height_in: float = 2.4,
                         suptitle: str | None = None) -> "Figure":
    """The target followed by its reconstructions, side by side in one row.

    Args:
        target_image: the original picture (H, W, 3).
        reconstructions: results of :func:`reconstruct`.
        titles: captions for the reconstructions (default: kind and layers).
        height_in: height of one picture in inches.
        suptitle: a title over the row.
    """
    captions = ["original"] + list(titles if titles is not None else [r.label for r in reconstructions])
    return image_grid([target_image] + [r.image for r in reconstructions], captions, height_in=height_in,
                      suptitle=suptitle)


# --------------------------------------------------------------------------- lesson 2: distances


def plot_distance_comparison(table: Mapping[str, Mapping[str, float]], title: str | None = None) -> "Figure":
    """Bars of :func:`distance_comparison`'s result: one group per measure, one bar per image."""
    plt = _pyplot()
    names = list(table)
    measures = list(next(iter(table.values())))
    figure, ax = plt.subplots(figsize=(1.3 * len(measures) + 2, 3.4), layout="constrained")
    width = 0.8 / max(len(names), 1)
    positions = np.arange(len(measures))
    for index, name in enumerate(names):
        ax.bar(positions + index * width - 0.4 + width / 2, [table[name][m] for m in measures], width, label=name)
    ax.set_xticks(positions, measures, rotation=20)
    ax.set_ylabel("relative squared distance")
    ax.legend()
    if title:
        ax.set_title(title)
    return figure


# --------------------------------------------------------------------------- lesson 3: Gram matrices


def gram_heatmap(gram: Any, title: str | None = None, channels: int | None = 32, ax: Any = None,
                 cmap: str = "magma") -> "Figure":
    """A Gram matrix as a heat map: entry (c, d) says how much channels c and d fire together.

    Args:
        gram: a (C, C) matrix (array or tensor).
        title: the plot's title.
        channels: show only the first ``channels`` rows and columns (a 512 x 512 matrix is too
            fine to read); None shows all.
        ax: an Axes to draw into instead of a new figure.
        cmap: a matplotlib colormap name.
    """
    matrix = np.asarray(gram, dtype=np.float64)
    if matrix.ndim == 3 and matrix.shape[0] == 1:
        matrix = matrix[0]
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"gram_heatmap needs a square (C, C) matrix, got {matrix.shape}.")
    if channels is not None:
        matrix = matrix[:channels, :channels]
    if ax is None:
        plt = _pyplot()
        figure, ax = plt.subplots(figsize=(4.2, 3.6), layout="constrained")
    else:
        figure = ax.figure
    shown = ax.imshow(matrix, cmap=cmap, interpolation="nearest")
    figure.colorbar(shown, ax=ax, shrink=0.8)
    ax.set_xlabel("channel d")
    ax.set_ylabel("channel c")
    if title:
        ax.set_title(title, fontsize=10)
    return figure


def compare_grams(grams: Mapping[str, Any], channels: int | None = 32, cmap: str = "magma") -> "Figure":
    """Several Gram matrices as heat maps side by side, one per entry of ``grams`` (title -> (C, C))."""
    plt = _pyplot()
    figure, axes = plt.subplots(1, len(grams), figsize=(4.2 * len(grams), 3.6), squeeze=False, layout="constrained")
    for ax, (title, gram) in zip(axes[0], grams.items()):
        gram_heatmap(gram, title=title, channels=channels, ax=ax, cmap=cmap)
    return figure


# --------------------------------------------------------------------------- lesson 4: TV


def plot_differences(images: Mapping[str, Any], height_in: float = 2.6, gain: float = 4.0) -> "Figure":
    """For each image: the picture, |horizontal| and |vertical| differences, and its TV.

    Args:
        images: ``{name: picture (H, W, 3)}``, one row each.
        height_in: height of one picture in inches.
        gain: the absolute differences (summed over the colour channels) are multiplied by this
            before display, so that small steps are visible; white means a big step.
    """
    plt = _pyplot()
    figure, axes = plt.subplots(len(images), 3, figsize=(3 * height_in * 1.1, height_in * len(images) + 0.3),
                                squeeze=False, layout="constrained")
    for row, (name, picture) in enumerate(images.items()):
        horizontal, vertical = difference_images(picture)
        tv = float(np.abs(horizontal).sum() + np.abs(vertical).sum())
        pixels = as_float_image(picture)
        axes[row, 0].imshow(np.clip(pixels, 0, 1))
        axes[row, 0].set_title(f"{name}\nTV = {tv:,.0f} ({tv / pixels.size:.3f} per value)", fontsize=9)
        for column, (label, diff) in enumerate((("|horizontal|", horizontal), ("|vertical|", vertical)), start=1):
            magnitude = np.clip(gain * np.abs(diff).mean(axis=-1), 0, 1)
            axes[row, column].imshow(magnitude, cmap="gray", vmin=0, vmax=1)
            axes[row, column].set_title(f"{label} differences", fontsize=9)
        for ax in axes[row]:
            ax.set_axis_off()
    return figure


# --------------------------------------------------------------------------- lesson 7: ratio grid


def plot_ratio_grid(grid: "RatioGrid", height_in: float = 2.4) -> "Figure":
    """The photo, the painting, then one result per style weight of a ratio grid, titled with its ratio.

    Args:
        grid: what :func:`labhelpers.lessons.experiments.ratio_grid_results` returned.
        height_in: height of each picture in inches.
    """
    pictures = [grid.content, grid.style] + [result.image for result in grid.results]
    titles = ["photo (content)", "painting (style)"] + [f"style ÷ content = {format_weight(r)}" for r in grid.ratios]
    return image_grid(pictures, titles=titles, height_in=height_in,
                      suptitle=f"{grid.steps} steps at {grid.size} px: more style weight, more painting")


def format_weight(value: float) -> str:
    """A weight for people: 3 significant digits, plain decimal notation (``316``, ``0.0316``, ``1``)."""
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    return np.format_float_positional(value, precision=3, unique=True, fractional=False, trim="-")
