"""Lesson 02 (``notebooks/02_content_loss.ipynb``): the content loss and what it keeps.

- "Distances": :func:`distance_comparison` (a table) drawn by :func:`plot_distance_comparison`.
- "A moved photo": :func:`plot_shifted_channel`, with :func:`map_centroid` and
  :func:`central_peaked_channel` (NumPy, so tests can reach them).
- The reconstructions are lesson
  01's :func:`~labhelpers.lessons.l01_feature_hierarchy.reconstruct`.
- :data:`RUNS`: the optimisations the notebook runs at full size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from labhelpers.images import as_float_image
from labhelpers.lessons.common.figures import heat_overlay, pyplot
from labhelpers.lessons.common.pictures import feature_array
from labhelpers.lessons.common.timing import LessonRun
from labhelpers.lessons.l01_feature_hierarchy import peaked_channels, upsample_map
from labhelpers.losses import content_loss
from labhelpers.network.layers import BLOCK_FIRST_LAYERS

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure

    from labhelpers.network.extractor import FeatureExtractor

__all__ = [
    "RUNS",
    "distance_comparison",
    "plot_distance_comparison",
    "map_centroid",
    "central_peaked_channel",
    "plot_shifted_channel",
]


#: The optimisations the notebook runs at full size (not in fast mode); the time estimates
#: and tests/test_notebooks.py's check of the parameters cell are built from them.
RUNS: tuple[LessonRun, ...] = (
    LessonRun("content reconstructions from four layers", 4, 160, 75, 0.76, "RECON_SIZE", "STEPS"),
)


def distance_comparison(
    image: Any,
    others: Mapping[str, Any],
    extractor: "FeatureExtractor",
    layers: Sequence[str] = BLOCK_FIRST_LAYERS,
    loss_fn: Any = None,
) -> dict[str, dict[str, float]]:
    """Pixel distance and per-layer feature distances between ``image`` and other versions of it.

    Each distance is *relative*: the mean squared difference divided by the mean square of
    ``image``'s own values (pixels, or that layer's features), so layers with large activations
    can be compared with layers with small ones. 0 means identical; around 1 or more means as
    different as the signal itself.

    Args:
        image: the reference picture (H, W, 3).
        others: ``{name: picture of the same size}``, e.g. a shifted copy and a noisy copy.
        extractor: the feature extractor.
        layers: the layers compared.
        loss_fn: the feature distance, ``loss_fn(generated, reference) -> scalar``; default
            :func:`labhelpers.losses.content_loss` (a notebook passes the student's own).

    Returns:
        ``{name: {"pixels": d, layer: d, ...}}``.
    """
    loss_fn = content_loss if loss_fn is None else loss_fn

    reference = as_float_image(image)
    picked = extractor.with_layers(tuple(layers))
    ref_features = picked(reference)
    table: dict[str, dict[str, float]] = {}
    for name, other in others.items():
        other_array = as_float_image(other)
        row = {"pixels": float(np.mean((other_array - reference) ** 2) / np.mean(reference**2))}
        features = picked(other_array)
        for layer in layers:
            energy = float(np.mean(np.square(ref_features[layer].numpy())))
            row[layer] = float(loss_fn(features[layer], ref_features[layer])) / max(energy, 1e-12)
        table[name] = row
    return table


def plot_distance_comparison(
    table: Mapping[str, Mapping[str, float]], title: str | None = None
) -> "Figure":
    """Bars of :func:`distance_comparison`'s result: one group per measure, one bar per image."""
    plt = pyplot()
    names = list(table)
    measures = list(next(iter(table.values())))
    figure, ax = plt.subplots(figsize=(1.3 * len(measures) + 2, 3.4), layout="constrained")
    width = 0.8 / max(len(names), 1)
    positions = np.arange(len(measures))
    for index, name in enumerate(names):
        ax.bar(
            positions + index * width - 0.4 + width / 2,
            [table[name][m] for m in measures],
            width,
            label=name,
        )
    ax.set_xticks(positions, measures, rotation=20)
    ax.set_ylabel("relative squared distance")
    ax.legend()
    if title:
        ax.set_title(title)
    return figure


def map_centroid(
    feature_map: Any, channel: int, image_shape: tuple[int, int]
) -> tuple[float, float]:
    """Centre of mass (row, column) of one channel's strongest spot (its peak cell and the 8 around
    it), in input pixels of a picture of ``image_shape``.

    Each cell of an (h, w) map stands for (H / h) x (W / w) input pixels; its centre counts.
    """
    values = np.maximum(feature_array(feature_map)[..., int(channel)].astype(np.float64), 0.0)
    peak_row, peak_col = np.unravel_index(int(np.argmax(values)), values.shape)
    window = np.zeros_like(values)  # the strongest spot only: the peak's cell and its 8 neighbours
    rows_kept, cols_kept = (
        slice(max(peak_row - 1, 0), peak_row + 2),
        slice(max(peak_col - 1, 0), peak_col + 2),
    )
    window[rows_kept, cols_kept] = values[rows_kept, cols_kept]
    values = window
    total = values.sum()
    if total <= 0:
        return float("nan"), float("nan")
    h, w = values.shape
    rows = (np.arange(h) + 0.5) * image_shape[0] / h
    cols = (np.arange(w) + 0.5) * image_shape[1] / w
    return float(rows @ values.sum(axis=1) / total), float(cols @ values.sum(axis=0) / total)


def central_peaked_channel(
    feature_map: Any, image_shape: tuple[int, int], candidates: int = 6
) -> int:
    """Among the :func:`peaked_channels`, the one whose centre lies furthest from the picture's
    edges (its peak furthest from the edges: a shift moves it freely, a detector at the border is
    cut off)."""

    def margin(channel: int) -> float:
        values = feature_array(feature_map)[..., channel]
        row, col = np.unravel_index(int(np.argmax(values)), values.shape)
        row, col = (row + 0.5) / values.shape[0], (col + 0.5) / values.shape[1]
        return min(row, col, 1 - row, 1 - col)

    return int(max(peaked_channels(feature_map, candidates), key=lambda c: margin(int(c))))


def plot_shifted_channel(
    photo: Any,
    moved: Any,
    extractor: "FeatureExtractor",
    layer: str = "block5_conv1",
    channel: int | None = None,
    height_in: float = 2.8,
) -> "Figure":
    """One channel of ``layer`` for the photo and for the moved photo, laid over each, with its
    centre.

    Args:
        photo, moved: the picture and its shifted copy, (H, W, 3) in [0, 1], same size.
        extractor: the feature extractor.
        layer: the layer shown.
        channel: the channel; default the photo's most sharply peaked one
            (:func:`peaked_channels`).
        height_in: height of one picture in inches.

    The titles give the map's centre of mass in input pixels (:func:`map_centroid`): it moves with
    the picture.
    """
    plt = __import__("matplotlib.pyplot", fromlist=["pyplot"])
    pictures = [as_float_image(photo), as_float_image(moved)]
    maps = [extractor.with_layers([layer])(p)[layer] for p in pictures]
    channel = (
        central_peaked_channel(maps[0], pictures[0].shape[:2]) if channel is None else int(channel)
    )
    ratio = pictures[0].shape[1] / pictures[0].shape[0]
    figure, axes = plt.subplots(
        1, 2, figsize=(2 * height_in * ratio + 0.4, height_in + 0.5), layout="constrained"
    )
    first = map_centroid(maps[0], channel, pictures[0].shape[:2])[1]
    for ax, picture, fmap, name in zip(axes, pictures, maps, ["photo", "moved photo"]):
        row, col = map_centroid(fmap, channel, picture.shape[:2])
        ax.imshow(heat_overlay(picture, upsample_map(fmap, channel, picture.shape[:2])))
        ax.axvline(first, color="white", linewidth=0.8, linestyle="--")
        ax.plot([col], [row], marker="+", color="cyan", markersize=14, markeredgewidth=2)
        moved_by = "" if name == "photo" else f" ({col - first:+.1f} px)"
        ax.set_title(
            f"{name}: {layer} channel {channel}\ncentre at column {col:.1f} px{moved_by}",
            fontsize=9,
        )
        ax.set_axis_off()
    return figure
