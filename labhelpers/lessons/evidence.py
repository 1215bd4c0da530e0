"""Figures that show what the lessons' text claims: deep channels on the photo, a detector that moves
with the picture, and what one entry of a Gram matrix adds up.

- :func:`plot_channel_overlays` (lesson 01): the most sharply peaked channels of a deep layer, each
  map enlarged to the photo and laid over it, so that "this channel fires on the eyes" is seen.
- :func:`plot_shifted_channel` (lesson 02): one deep channel's map for the photo and for the moved
  photo side by side, with the map's centre of mass in input pixels: the detector fires a few pixels
  further on, by the shift.
- :func:`plot_gram_entry` (lesson 03): two channel maps, their product and the Gram entry it gives,
  for a pair with a large entry and a pair with a small one (:func:`gram_pairs` picks them).

The NumPy helpers (:func:`peaked_channels`, :func:`map_centroid`, :func:`upsample_map`,
:func:`gram_pairs`) return arrays and numbers, so tests can reach them; the figures only draw them.
Images are float (H, W, 3) in [0, 1]; feature maps (1, h, w, C) or (h, w, C) arrays or tensors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from labhelpers.images import as_float_image
from labhelpers.lessons.pictures import feature_array

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure

    from labhelpers.network.extractor import FeatureExtractor

__all__ = ["peaked_channels", "central_peaked_channel", "upsample_map", "map_centroid", "gram_pairs", "plot_channel_overlays",
           "plot_shifted_channel", "plot_gram_entry"]


def peaked_channels(features: Any, count: int) -> np.ndarray:
    """The ``count`` channels whose peak stands out most from their mean (max / (mean + eps)),
    among the channels whose peak is at least a quarter of the layer's highest: local part detectors
    rather than channels that are on everywhere. Strongest first."""
    array = feature_array(features).astype(np.float64)
    flat = array.reshape(-1, array.shape[-1])
    peak, mean = flat.max(axis=0), flat.mean(axis=0)
    score = np.where(peak >= 0.25 * peak.max(), peak / (mean + 1e-6 * peak.max() + 1e-12), -np.inf)
    return np.argsort(-score, kind="stable")[: int(count)]


def upsample_map(feature_map: Any, channel: int, shape: tuple[int, int]) -> np.ndarray:
    """One channel, scaled to [0, 1] by its maximum and enlarged smoothly (bilinear) to ``shape`` (H, W)."""
    from PIL import Image

    values = feature_array(feature_map)[..., int(channel)].astype(np.float32)
    values = np.maximum(values, 0.0) / max(float(values.max()), 1e-12)
    picture = Image.fromarray(values, mode="F").resize((int(shape[1]), int(shape[0])), Image.BILINEAR)
    return np.clip(np.asarray(picture, dtype=np.float32), 0.0, 1.0)


def map_centroid(feature_map: Any, channel: int, image_shape: tuple[int, int]) -> tuple[float, float]:
    """Centre of mass (row, column) of one channel's strongest spot (its peak cell and the 8 around it),
    in input pixels of a picture of ``image_shape``.

    Each cell of an (h, w) map stands for (H / h) x (W / w) input pixels; its centre counts.
    """
    values = np.maximum(feature_array(feature_map)[..., int(channel)].astype(np.float64), 0.0)
    peak_row, peak_col = np.unravel_index(int(np.argmax(values)), values.shape)
    window = np.zeros_like(values)  # the strongest spot only: the peak's cell and its 8 neighbours
    rows_kept, cols_kept = slice(max(peak_row - 1, 0), peak_row + 2), slice(max(peak_col - 1, 0), peak_col + 2)
    window[rows_kept, cols_kept] = values[rows_kept, cols_kept]
    values = window
    total = values.sum()
    if total <= 0:
        return float("nan"), float("nan")
    h, w = values.shape
    rows = (np.arange(h) + 0.5) * image_shape[0] / h
    cols = (np.arange(w) + 0.5) * image_shape[1] / w
    return float(rows @ values.sum(axis=1) / total), float(cols @ values.sum(axis=0) / total)


def gram_pairs(features: Any, min_energy: float = 1.0) -> dict[str, tuple[int, int]]:
    """Two pairs of different channels (c, d): ``"large"`` with the largest Gram entry, ``"small"`` with
    the smallest entry among pairs whose channels are both active (their own entries G[c, c] at least
    ``min_energy`` times the median of the active channels'): active channels that rarely fire together."""
    array = feature_array(features).astype(np.float64)
    flat = array.reshape(-1, array.shape[-1])
    gram = flat.T @ flat / flat.size
    np.fill_diagonal(gram, -np.inf)
    large = np.unravel_index(int(np.argmax(gram)), gram.shape)
    energy = (flat ** 2).mean(axis=0)
    active = energy > 0
    floor = min_energy * float(np.median(energy[active])) if active.any() else 0.0
    strong = energy >= floor
    masked = np.where(np.outer(strong, strong), gram, np.inf)
    np.fill_diagonal(masked, np.inf)
    small = np.unravel_index(int(np.argmin(masked)), masked.shape)
    return {"large": (int(large[0]), int(large[1])), "small": (int(small[0]), int(small[1]))}


def _overlay(photo: np.ndarray, heat: np.ndarray, cmap: str = "inferno") -> np.ndarray:
    import matplotlib

    colours = matplotlib.colormaps[cmap](heat)[..., :3]
    alpha = 0.75 * heat[..., None]
    return np.clip((1 - alpha) * 0.7 * photo + alpha * colours, 0.0, 1.0).astype(np.float32)


def plot_channel_overlays(photo: Any, features: Any, layer: str = "", channels: int = 4,
                          height_in: float = 2.6) -> "Figure":
    """The photo, then the :func:`peaked_channels` of one layer's map laid over it (bright = strong).

    Args:
        photo: the picture the features were computed from, (H, W, 3) in [0, 1].
        features: that layer's feature map, (1, h, w, C) or (h, w, C).
        layer: its name, for the titles.
        channels: how many channels to show.
        height_in: height of one picture in inches.
    """
    plt = __import__("matplotlib.pyplot", fromlist=["pyplot"])
    picture = as_float_image(photo)
    chosen = peaked_channels(features, channels)
    overlays = [_overlay(picture, upsample_map(features, int(c), picture.shape[:2])) for c in chosen]
    ratio = picture.shape[1] / picture.shape[0]
    figure, axes = plt.subplots(1, len(chosen) + 1, figsize=(height_in * ratio * (len(chosen) + 1), height_in + 0.3),
                                squeeze=False, layout="constrained")
    for ax, shown, title in zip(axes[0], [picture, *overlays], ["photo"] + [f"{layer} channel {int(c)}" for c in chosen]):
        ax.imshow(shown)
        ax.set_title(title, fontsize=9)
        ax.set_axis_off()
    return figure


def plot_shifted_channel(photo: Any, moved: Any, extractor: "FeatureExtractor", layer: str = "block5_conv1",
                         channel: int | None = None, height_in: float = 2.8) -> "Figure":
    """One channel of ``layer`` for the photo and for the moved photo, laid over each, with its centre.

    Args:
        photo, moved: the picture and its shifted copy, (H, W, 3) in [0, 1], same size.
        extractor: the feature extractor.
        layer: the layer shown.
        channel: the channel; default the photo's most sharply peaked one (:func:`peaked_channels`).
        height_in: height of one picture in inches.

    The titles give the map's centre of mass in input pixels (:func:`map_centroid`): it moves with
    the picture.
    """
    plt = __import__("matplotlib.pyplot", fromlist=["pyplot"])
    pictures = [as_float_image(photo), as_float_image(moved)]
    maps = [extractor.with_layers([layer])(p)[layer] for p in pictures]
    channel = central_peaked_channel(maps[0], pictures[0].shape[:2]) if channel is None else int(channel)
    ratio = pictures[0].shape[1] / pictures[0].shape[0]
    figure, axes = plt.subplots(1, 2, figsize=(2 * height_in * ratio + 0.4, height_in + 0.5), layout="constrained")
    first = map_centroid(maps[0], channel, pictures[0].shape[:2])[1]
    for ax, picture, fmap, name in zip(axes, pictures, maps, ["photo", "moved photo"]):
        row, col = map_centroid(fmap, channel, picture.shape[:2])
        ax.imshow(_overlay(picture, upsample_map(fmap, channel, picture.shape[:2])))
        ax.axvline(first, color="white", linewidth=0.8, linestyle="--")
        ax.plot([col], [row], marker="+", color="cyan", markersize=14, markeredgewidth=2)
        moved_by = "" if name == "photo" else f" ({col - first:+.1f} px)"
        ax.set_title(f"{name}: {layer} channel {channel}\ncentre at column {col:.1f} px{moved_by}", fontsize=9)
        ax.set_axis_off()
    return figure


def central_peaked_channel(feature_map: Any, image_shape: tuple[int, int], candidates: int = 6) -> int:
    """Among the :func:`peaked_channels`, the one whose centre lies furthest from the picture's edges
    (its peak furthest from the edges: a shift moves it freely, a detector at the border is cut off)."""
    def margin(channel: int) -> float:
        values = feature_array(feature_map)[..., channel]
        row, col = np.unravel_index(int(np.argmax(values)), values.shape)
        row, col = (row + 0.5) / values.shape[0], (col + 0.5) / values.shape[1]
        return min(row, col, 1 - row, 1 - col)

    return int(max(peaked_channels(feature_map, candidates), key=lambda c: margin(int(c))))


def plot_gram_entry(features: Any, pairs: dict[str, tuple[int, int]] | None = None, layer: str = "",
                    height_in: float = 2.2) -> "Figure":
    """For each pair (c, d): map c, map d, their product, titled with G[c, d] = sum(product) / (H W C).

    Args:
        features: one layer's feature map (1, h, w, C) or (h, w, C).
        pairs: ``{label: (c, d)}``; default :func:`gram_pairs` (a large and a small entry).
        layer: the layer's name, for the titles.
        height_in: height of one picture in inches.
    """
    plt = __import__("matplotlib.pyplot", fromlist=["pyplot"])
    array = feature_array(features).astype(np.float64)
    h, w, count = array.shape
    pairs = gram_pairs(array) if pairs is None else pairs
    shown = np.stack([array[..., i] for pair in pairs.values() for i in pair])
    top = float(np.percentile(shown, 99.5)) or 1.0  # one scale for all maps, so that sizes compare
    first = next(iter(pairs.values()))
    product_top = float(np.percentile(array[..., first[0]] * array[..., first[1]], 99.5)) or 1.0
    figure, axes = plt.subplots(len(pairs), 3, figsize=(3 * height_in * w / h + 0.6, len(pairs) * (height_in + 0.5)),
                                squeeze=False, layout="constrained")
    for row, (label, (c, d)) in enumerate(pairs.items()):
        product = array[..., c] * array[..., d]
        entry = float(product.sum() / (h * w * count))
        for ax, values, title, scale in zip(
                axes[row], [array[..., c], array[..., d], product],
                [f"channel {c}", f"channel {d}", f"product: {label} G[{c}, {d}] = {entry:.3g}"], [top, top, product_top]):
            ax.imshow(values, cmap="magma", vmin=0.0, vmax=scale, interpolation="nearest")
            ax.set_title(f"{layer} {title}" if layer and title.startswith("channel") else title, fontsize=9)
            ax.set_axis_off()
    figure.suptitle("G[c, d] = (sum of the product map) / (H W C): large where both channels fire at the same places",
                    fontsize=10)
    return figure
