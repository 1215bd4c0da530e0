"""Lesson 01 (``notebooks/01_feature_hierarchy.ipynb``): what VGG16's layers see.

Sections of the notebook and the helpers behind them:

- "The layers": :func:`layer_table` (sizes and receptive fields of every layer).
- "Filters and activations": :func:`plot_filters`, :func:`activation_grid`,
  :func:`block_activations`, :func:`plot_channel_overlays` and the explorer
  :func:`activation_explorer` (CSS classes ``lab-layer-dropdown``, ``lab-channel-slider``,
  ``lab-activation``).
- "Reconstructions": :func:`reconstruct` (result type :class:`Reconstruction`, drawn by
  :func:`plot_reconstructions`); lesson 02 uses them too.
- :data:`RUNS`: the optimisations the notebook runs at full size (time estimates, tests).

Conventions: images are float32 (H, W, 3) with RGB in [0, 1]; feature maps (1, h, w, C) or
(h, w, C); sizes are pixels of the longest side.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from labhelpers.config import import_tensorflow
from labhelpers.images import as_float_image, resize_to
from labhelpers.lessons.common.figures import (
    activation_image,
    bare_axis,
    column_header,
    heat_overlay,
    image_grid,
    normalised_channel,
    pyplot,
)
from labhelpers.lessons.common.noise_runs import from_noise
from labhelpers.lessons.common.pictures import (
    feature_array,
    filter_images,
    image_to_png_bytes,
    strongest_channels,
)
from labhelpers.lessons.common.timing import LessonRun
from labhelpers.lessons.common.widgets import labelled, upscale_factor
from labhelpers.losses import content_loss, gram_matrix, style_loss
from labhelpers.network.extractor import describe_layers
from labhelpers.network.layers import BLOCK_FIRST_LAYERS, VGG16_LAYERS
from labhelpers.transfer.run import StyleTransfer

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    import ipywidgets
    from matplotlib.figure import Figure

    from labhelpers.network.extractor import FeatureExtractor

__all__ = [
    "RUNS",
    "layer_table",
    "plot_filters",
    "activation_grid",
    "block_activations",
    "peaked_channels",
    "upsample_map",
    "plot_channel_overlays",
    "activation_png",
    "activation_explorer",
    "Reconstruction",
    "feature_distance",
    "reconstruct",
    "plot_reconstructions",
]


#: The optimisations the notebook runs at full size (not in fast mode); the time estimates
#: and tests/test_notebooks.py's check of the parameters cell are built from them.
RUNS: tuple[LessonRun, ...] = (
    # depth of 01-03: this module's timing model (a fixed share plus VGG16's multiply-adds up
    # to the runs' deepest layers, averaged over the runs), times its coarse-to-fine share for runs
    # that start small
    LessonRun(
        "content reconstructions, block1..block5", 5, 128, 40, 0.72, "RECON_SIZE", "CONTENT_STEPS"
    ),
    LessonRun(
        "style reconstructions, growing layer sets, coarse to fine",
        5,
        128,
        50,
        0.41,
        "RECON_SIZE",
        "STYLE_STEPS",
    ),
)


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
    head = (
        "<thead><tr><th>layer</th><th>kind</th><th>output shape (h &times; w &times; C)</th>"
        "<th>receptive field</th></tr></thead>"
    )
    body = []
    for row in rows:
        h, w, c = row["output_shape"]
        style = ' style="color:#777"' if row["kind"].startswith("max pool") else ""
        body.append(
            f"<tr{style}><td><code>{html.escape(row['name'])}</code></td>"
            f"<td>{html.escape(row['kind'])}</td>"
            f"<td>{h} &times; {w} &times; {c}</td><td>{row['receptive_field']} &times; "
            f"{row['receptive_field']} px</td></tr>"
        )
    caption = f"<caption>VGG16 on a {height} &times; {width} RGB image</caption>"
    return f'<table class="lab-layer-table">{caption}{head}<tbody>{"".join(body)}</tbody></table>'


def plot_filters(
    extractor: "FeatureExtractor",
    layer: str = "block1_conv1",
    columns: int = 8,
    height_in: float = 0.9,
) -> "Figure":
    """The 3x3 RGB filters of VGG16's first layer as a grid of small colour pictures.

    Args:
        extractor: a :class:`~labhelpers.network.extractor.FeatureExtractor` (its weights are
            read).
        layer: a convolution whose input is the RGB image; in VGG16 only ``"block1_conv1"``.
        columns: pictures per row (64 filters -> 8 x 8).
        height_in: side of one picture in inches.

    Returns:
        The Figure: one picture of the filters, row by row, ``columns`` per row, each filter
        ``side`` x ``side`` px with 1 px of white between neighbours and 2 px above (where its
        index is written).
    """
    kernel = extractor.base_model.get_layer(layer).get_weights()[0]
    pictures = filter_images(kernel, bgr=extractor.preprocessing == "caffe")
    plt = pyplot()
    count, side = len(pictures), pictures.shape[1]
    rows = -(-count // columns)
    # One picture of all the filters (white gaps, room above each for its number): one Axes instead
    # of 64 draws in a quarter of the time, and looks the same.
    gap_x, gap_y = 1, 2
    mosaic = np.ones((rows * (side + gap_y), columns * (side + gap_x) - gap_x, 3), np.float32)
    figure, ax = plt.subplots(figsize=(height_in * columns, height_in * rows + 0.5))
    for index, picture in enumerate(pictures):
        top, left = (index // columns) * (side + gap_y) + gap_y, (index % columns) * (side + gap_x)
        mosaic[top : top + side, left : left + side] = picture
        ax.text(left + (side - 1) / 2, top - 0.6, str(index), ha="center", va="bottom", fontsize=7)
    ax.imshow(mosaic, interpolation="nearest")
    ax.set_axis_off()
    figure.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.93)
    figure.suptitle(
        f"{layer}: {count} filters of {kernel.shape[0]}x{kernel.shape[1]} RGB pixels (grey = 0)"
    )
    return figure


def activation_grid(
    features: Any,
    channels: int = 16,
    columns: int = 8,
    order: str = "strongest",
    title: str | None = None,
    height_in: float = 1.4,
    cmap: str = "viridis",
) -> "Figure":
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
    plt = pyplot()
    columns = max(1, min(columns, count))
    rows = -(-count // columns)
    figure, axes = plt.subplots(
        rows,
        columns,
        figsize=(height_in * columns, height_in * rows + (0.5 if title else 0.2)),
        squeeze=False,
        layout="constrained",
    )
    for index, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if index < count:
            ax.imshow(normalised_channel(array, int(picked[index])), cmap=cmap, vmin=0, vmax=1)
            ax.set_title(f"ch {int(picked[index])}", fontsize=7, pad=1)
    _share_colour_bar(figure, axes, cmap)
    if title:
        figure.suptitle(title)
    return figure


#: The colour bar's label of the activation pictures: each is scaled to its own channel's maximum.
COLOUR_BAR_LABEL = "activation / the channel's maximum (0 = silent)"


def _share_colour_bar(figure: "Figure", axes: Any, cmap: str) -> None:
    """One colour bar for every picture of ``axes``, all drawn from 0 to 1 with ``cmap``."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    scale = ScalarMappable(Normalize(0.0, 1.0), cmap=cmap)
    bar = figure.colorbar(scale, ax=list(np.ravel(axes)), shrink=0.8, aspect=30, pad=0.02)
    bar.set_label(COLOUR_BAR_LABEL, fontsize=8)
    bar.ax.tick_params(labelsize=7)


def block_activations(
    features: Mapping[str, Any],
    layers: Sequence[str] = BLOCK_FIRST_LAYERS,
    channels: int = 6,
    height_in: float = 1.5,
    cmap: str = "viridis",
) -> "Figure":
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
    plt = pyplot()
    first = feature_array(features[layers[0]])
    aspect = first.shape[1] / max(1, first.shape[0])  # every layer's map has the photo's shape
    figure, axes = plt.subplots(
        len(layers),
        channels,
        # room for the row labels and the colour bar (width), the headers and title (height)
        figsize=(height_in * aspect * channels + 1.4, (height_in + 0.2) * len(layers) + 0.7),
        squeeze=False,
        layout="constrained",
    )
    for row, layer in enumerate(layers):
        array = feature_array(features[layer])
        picked = strongest_channels(array, channels)
        for column, ax in enumerate(axes[row]):
            bare_axis(ax)
            if column < len(picked):
                channel = int(picked[column])
                ax.imshow(normalised_channel(array, channel), cmap=cmap, vmin=0, vmax=1)
                ax.set_title(f"ch {channel}", fontsize=7, pad=1)
        h, w, c = array.shape
        axes[row, 0].set_ylabel(f"{layer}\n{h}x{w}x{c}", fontsize=8)
    for column, ax in enumerate(axes[0]):
        column_header(ax, rank_header(column + 1), above_pt=12, fontsize=8)
    _share_colour_bar(figure, axes, cmap)
    figure.suptitle("Each row: a layer's most active channels, strongest first", fontsize=10)
    return figure


def rank_header(place: int) -> str:
    """``"strongest"``, ``"2nd"``, ``"3rd"``, ``"4th"``, ...: a column header."""
    if place == 1:
        return "strongest"
    suffix = "th" if 10 <= place % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(place % 10, "th")
    return f"{place}{suffix}"


def peaked_channels(features: Any, count: int) -> np.ndarray:
    """The ``count`` channels whose peak stands out most from their mean (max / (mean + eps)),
    among the channels whose peak is at least a quarter of the layer's highest: local part
    detectors rather than channels that are on everywhere. Strongest first."""
    array = feature_array(features).astype(np.float64)
    flat = array.reshape(-1, array.shape[-1])
    peak, mean = flat.max(axis=0), flat.mean(axis=0)
    score = np.where(peak >= 0.25 * peak.max(), peak / (mean + 1e-6 * peak.max() + 1e-12), -np.inf)
    return np.argsort(-score, kind="stable")[: int(count)]


def upsample_map(feature_map: Any, channel: int, shape: tuple[int, int]) -> np.ndarray:
    """One channel, scaled to [0, 1] by its maximum and enlarged smoothly (bilinear) to ``shape``
    (H, W)."""
    from PIL import Image

    values = feature_array(feature_map)[..., int(channel)].astype(np.float32)
    values = np.maximum(values, 0.0) / max(float(values.max()), 1e-12)
    picture = Image.fromarray(values, mode="F").resize(
        (int(shape[1]), int(shape[0])), Image.BILINEAR
    )
    return np.clip(np.asarray(picture, dtype=np.float32), 0.0, 1.0)


def plot_channel_overlays(
    photo: Any,
    features: Any,
    layer: str = "",
    channels: int = 4,
    height_in: float = 2.6,
    columns: int = 3,
) -> "Figure":
    """The photo, then the :func:`peaked_channels` of one layer's map laid over it
    (bright = strong), ``columns`` pictures per row.

    Args:
        photo: the picture the features were computed from, (H, W, 3) in [0, 1].
        features: that layer's feature map, (1, h, w, C) or (h, w, C).
        layer: its name, for the titles.
        channels: how many channels to show.
        height_in: height of one picture in inches.
        columns: pictures per row (3: the photo and five channels in two rows, large enough to
            read when projected; one long strip of six is not).
    """
    plt = __import__("matplotlib.pyplot", fromlist=["pyplot"])
    picture = as_float_image(photo)
    chosen = peaked_channels(features, channels)
    overlays = [
        heat_overlay(picture, upsample_map(features, int(c), picture.shape[:2])) for c in chosen
    ]
    ratio = picture.shape[1] / picture.shape[0]
    count = len(chosen) + 1
    columns = max(1, min(int(columns), count))
    rows = -(-count // columns)
    figure, axes = plt.subplots(
        rows,
        columns,
        figsize=(height_in * ratio * columns, (height_in + 0.3) * rows),
        squeeze=False,
        layout="constrained",
    )
    for ax in axes.ravel():
        ax.set_axis_off()
    for ax, shown, title in zip(
        axes.ravel(),
        [picture, *overlays],
        ["photo"] + [f"{layer} channel {int(c)}" for c in chosen],
    ):
        ax.imshow(shown)
        ax.set_title(title, fontsize=11)
    return figure


def activation_png(
    features: Mapping[str, Any],
    layer: str,
    channel: int,
    display_size: int = 256,
    cmap: str = "viridis",
) -> bytes:
    """One channel of one layer's feature map as PNG bytes, enlarged (crisply) towards
    ``display_size``.

    Args:
        features: ``{layer: feature map (1, h, w, C)}``, e.g. ``extractor(image)``.
        layer: which layer.
        channel: which channel of it (clipped to the layer's channel range).
        display_size: the longest side to aim for, in pixels.
        cmap: a matplotlib colormap name.
    """
    feature_map = features[layer]
    shape = tuple(int(d) for d in feature_map.shape)
    h, w, c = shape[-3:]
    channel = int(min(max(int(channel), 0), c - 1))
    return image_to_png_bytes(
        activation_image(
            feature_map, channel, cmap=cmap, upscale=upscale_factor(h, w, display_size)
        )
    )


def activation_explorer(
    image: Any,
    extractor: "FeatureExtractor",
    layers: Sequence[str] = VGG16_LAYERS,
    display_size: int = 256,
    layer: str = "block1_conv1",
    channel: int = 0,
) -> "ipywidgets.VBox":
    """A layer drop-down and a channel slider showing one activation map of ``image``.

    The features of all ``layers`` are computed once; moving the controls only renders.

    Args:
        image: the picture (H, W, 3) in [0, 1].
        extractor: the feature extractor.
        layers: the layers offered in the drop-down.
        display_size: about how many pixels wide the pictures are shown.
        layer, channel: what is shown first.

    Returns:
        A ``VBox``: drop-down (``lab-layer-dropdown``) and slider (``lab-channel-slider``) above
        the input picture and the activation (``lab-activation``), and a line of text
        (``lab-activation-info``) with the map's size and the receptive field.
    """
    import ipywidgets as widgets

    layers = tuple(layers)
    features = {name: value for name, value in extractor.with_layers(layers)(image).items()}
    fields = {
        row["name"]: row["receptive_field"]
        for row in describe_layers(*np.asarray(image).shape[:2])
    }

    def channels_of(name: str) -> int:
        return int(features[name].shape[-1])

    dropdown = labelled(
        widgets.Dropdown(options=list(layers), value=layer, description="layer"),
        "lab-layer-dropdown",
    )
    slider = labelled(
        widgets.IntSlider(
            value=channel,
            min=0,
            max=channels_of(layer) - 1,
            step=1,
            description="channel",
            continuous_update=False,
        ),
        "lab-channel-slider",
    )
    picture = labelled(
        widgets.Image(
            value=activation_png(features, layer, channel, display_size),
            format="png",
            width=display_size,
        ),
        "lab-activation",
    )
    source = labelled(
        widgets.Image(value=image_to_png_bytes(image), format="png", width=display_size),
        "lab-activation-input",
    )
    info = labelled(widgets.Label(), "lab-activation-info")

    def refresh(_change: Any = None) -> None:
        name = dropdown.value
        feature_map = features[name]
        h, w = int(feature_map.shape[-3]), int(feature_map.shape[-2])
        picture.value = activation_png(features, name, slider.value, display_size)
        mean = float(
            np.mean(np.asarray(feature_map)[..., min(slider.value, channels_of(name) - 1)])
        )
        info.value = (
            f"{name}: {h} x {w} positions x {channels_of(name)} channels; each position sees "
            f"{fields[name]} x {fields[name]} input pixels; channel {slider.value} mean "
            f"activation {mean:.3g}"
        )

    def layer_changed(change: Any) -> None:
        top = channels_of(change["new"]) - 1
        if slider.value > top:
            slider.value = top  # fires refresh through the slider's observer
        slider.max = top
        refresh()

    dropdown.observe(layer_changed, names="value")
    slider.observe(refresh, names="value")
    refresh()
    return widgets.VBox([widgets.HBox([dropdown, slider]), widgets.HBox([source, picture]), info])


@dataclass
class Reconstruction:
    """An image rebuilt from noise so that its features match a target's.

    Attributes:
        image: the result, float32 (H, W, 3) in [0, 1].
        start: the noise image it started from, float32 (H, W, 3).
        kind: ``"content"`` (feature maps matched) or ``"style"`` (Gram matrices matched).
        layers: the layers whose features were matched.
        history: the loss history of the run (list of dicts with ``step``, ``seconds``, ``total``,
            ``content``, ``style``, ``tv``), as :mod:`labhelpers.transfer.run` records it.
        start_loss: the matched loss term (content or style, as ``stylize`` normalises it: about
            1 means "as far from the target as the target is from zero") of the noise start.
        final_loss: the same for ``image``.
    """

    image: np.ndarray
    start: np.ndarray
    kind: str
    layers: tuple[str, ...]
    history: list[dict[str, Any]] = field(default_factory=list)
    start_loss: float = float("nan")
    final_loss: float = float("nan")

    @property
    def label(self) -> str:
        """A short caption: the kind and the layers."""
        if self.kind == "content" or len(self.layers) == 1:
            return f"{self.kind}: {self.layers[-1]}"
        return f"{self.kind}: {len(self.layers)} layers,\n{self.layers[0]} … {self.layers[-1]}"


def feature_distance(
    image: Any,
    target_image: Any,
    extractor: "FeatureExtractor",
    layers: Sequence[str],
    kind: str = "content",
) -> float:
    """How far ``image``'s features are from ``target_image``'s, as the lessons' losses measure it.

    Args:
        image, target_image: (H, W, 3) in [0, 1]. For ``kind="content"`` both must have the same
            size; Gram matrices do not depend on the size.
        extractor: the feature extractor (any layers; the ones needed are selected).
        layers: the layers compared.
        kind: ``"content"``: mean over layers of :func:`labhelpers.losses.content_loss`;
            ``"style"``: mean over layers of :func:`labhelpers.losses.style_loss` of the Gram
            matrices.
    """
    layers = tuple(layers)
    picked = extractor.with_layers(layers)
    ours, theirs = picked(as_float_image(image)), picked(as_float_image(target_image))
    total = 0.0
    for layer in layers:
        if kind == "content":
            total += float(content_loss(ours[layer], theirs[layer]))
        elif kind == "style":
            total += float(style_loss(gram_matrix(ours[layer]), gram_matrix(theirs[layer])))
        else:
            raise ValueError(f"kind must be 'content' or 'style', not {kind!r}")
    return total / len(layers)


def reconstruct(
    target_image: Any,
    extractor: "FeatureExtractor",
    layers: str | Sequence[str],
    kind: str = "content",
    size: int = 128,
    steps: int = 200,
    seed: int = 0,
    noise_amplitude: float = 1.0,
    **options: Any,
) -> Reconstruction:
    """Rebuild an image from noise using only its features at some layers (Gatys et al., Fig. 1).

    ``kind="content"`` matches the feature maps themselves: shallow layers give back the photo
    almost exactly, deep layers keep the objects and their layout but lose the exact pixels.
    ``kind="style"`` matches only the Gram matrices: the layout is lost and a texture remains,
    with larger structures as deeper layers are added.

    Args:
        target_image: the picture (H, W, 3) in [0, 1] whose features are matched.
        extractor: the feature extractor (its weights are used; the layers are chosen here).
        layers: one layer name or several.
        kind: ``"content"`` or ``"style"``.
        size: the longest side, in pixels, of the reconstruction (the target is resized to it).
        steps: optimisation steps.
        seed: seed for the noise start (same seed, same start).
        noise_amplitude: strength of the start noise, 0 to 1 (see :func:`noise_image`); fainter
            noise (e.g. 0.2) leaves less of itself where a deep layer does not constrain
            the picture.
        **options: passed on to ``StyleTransfer.run`` (for example ``optimizer="adam"``).

    Returns:
        A :class:`Reconstruction` with the image, its noise start, the history and the loss of
        the start and of the result.
    """
    if isinstance(layers, str):
        layers = (layers,)
    layers = tuple(layers)
    if kind not in ("content", "style"):
        raise ValueError(f"kind must be 'content' or 'style', not {kind!r}")
    unknown = [name for name in layers if name not in VGG16_LAYERS]
    if unknown or not layers:
        raise ValueError(
            f"Unknown VGG16 layer(s) {unknown or list(layers)}; choose from {list(VGG16_LAYERS)}."
        )
    target = resize_to(as_float_image(target_image)[..., :3], size)
    # The unused term gets weight 0; giving it the same layers means no extra layer is computed.
    transfer = StyleTransfer(
        target,
        target,
        size=size,
        extractor=extractor,
        content_layers=list(layers),
        style_layers=list(layers),
    )
    weights = {
        "content_weight": 1.0 if kind == "content" else 0.0,
        "style_weight": 1.0 if kind == "style" else 0.0,
        "tv_weight": 0.0,
    }
    start, result = from_noise(
        transfer, steps=steps, seed=seed, noise_amplitude=noise_amplitude, **weights, **options
    )
    image = np.clip(np.asarray(result.image, dtype=np.float32), 0.0, 1.0)
    start_loss, final_loss = (
        transfer.losses(picture, **weights)[kind] for picture in (start, image)
    )
    return Reconstruction(
        image=image,
        start=start,
        kind=kind,
        layers=layers,
        history=list(result.history),
        start_loss=float(start_loss),
        final_loss=float(final_loss),
    )


def plot_reconstructions(
    target_image: Any,
    reconstructions: Sequence[Reconstruction],
    titles: Sequence[str] | None = None,
    height_in: float = 2.4,
    suptitle: str | None = None,
) -> "Figure":
    """The target followed by its reconstructions, side by side in one row.

    Args:
        target_image: the original picture (H, W, 3).
        reconstructions: results of :func:`reconstruct`.
        titles: captions for the reconstructions (default: kind and layers).
        height_in: height of one picture in inches.
        suptitle: a title over the row.
    """
    captions = ["original"] + list(
        titles if titles is not None else [r.label for r in reconstructions]
    )
    return image_grid(
        [target_image] + [r.image for r in reconstructions],
        captions,
        height_in=height_in,
        suptitle=suptitle,
    )
