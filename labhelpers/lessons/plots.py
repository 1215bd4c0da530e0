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
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np

from labhelpers.network.extractor import describe_layers
from labhelpers.network.layers import BLOCK_FIRST_LAYERS, VGG16_LAYERS

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure

    from labhelpers.network.extractor import FeatureExtractor

__all__ = [
    "filter_images",
    "plot_filters",
    "feature_array",
    "strongest_channels",
    "activation_grid",
    "block_activations",
    "activation_image",
    "layer_table",
    "Reconstruction",
    "reconstruct",
    "noise_image",
    "crop_border",
    "feature_distance",
    "plot_reconstructions",
    "shift_image",
    "distance_comparison",
    "plot_distance_comparison",
    "shuffle_positions",
    "gram_heatmap",
    "compare_grams",
    "difference_images",
    "plot_differences",
    "tv_denoise",
    "plot_loss_curves",
    "image_to_png_bytes",
    "image_grid",
    "add_noise",
]

#: The first convolution of each of VGG16's five blocks, shallow to deep.


# --------------------------------------------------------------------------- small helpers


def _pyplot() -> Any:
    import matplotlib.pyplot as plt

    return plt


def feature_array(features: Any) -> np.ndarray:
    """One feature map as a float32 numpy array (h, w, C).

    Args:
        features: a tensor or array (1, h, w, C) or (h, w, C), e.g. ``extractor(image)[layer]``.

    Raises:
        ValueError: for any other shape (a batch of several images, a flat vector, ...).
    """
    if hasattr(features, "numpy") and callable(features.numpy):
        features = features.numpy()
    array = np.asarray(features, dtype=np.float32)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 3:
        raise ValueError(
            f"Expected one feature map of shape (1, h, w, C) or (h, w, C), got {array.shape}; "
            "pick one layer, e.g. features['block1_conv1']."
        )
    return array


def _image_array(image: Any) -> np.ndarray:
    """An image as float32 (H, W, C) (a leading batch axis of 1 is dropped)."""
    if hasattr(image, "numpy") and callable(image.numpy):
        image = image.numpy()
    array = np.asarray(image)
    if array.dtype == np.uint8:
        array = array.astype(np.float32) / 255.0
    array = array.astype(np.float32)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3:
        raise ValueError(f"Expected an image of shape (H, W, 3) or (1, H, W, 3), got {array.shape}.")
    return array


def image_to_png_bytes(array: Any) -> bytes:
    """Encode an image as PNG bytes (the ``value`` an ``ipywidgets.Image`` shows).

    Args:
        array: (H, W), (H, W, 1), (H, W, 3) or (1, H, W, 3); uint8 0-255, or floats in [0, 1]
            (values outside are clipped).

    Returns:
        The bytes of a PNG file (8-bit RGB, or greyscale for one channel).
    """
    from PIL import Image

    if hasattr(array, "numpy") and callable(array.numpy):
        array = array.numpy()
    values = np.asarray(array)
    if values.ndim == 4 and values.shape[0] == 1:
        values = values[0]
    if values.ndim == 3 and values.shape[-1] == 1:
        values = values[..., 0]
    if values.ndim not in (2, 3) or (values.ndim == 3 and values.shape[-1] != 3):
        raise ValueError(f"image_to_png_bytes needs (H, W), (H, W, 1) or (H, W, 3), got {values.shape}.")
    if values.dtype != np.uint8:
        values = np.round(np.clip(np.nan_to_num(values.astype(np.float64)), 0.0, 1.0) * 255.0).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(values).save(buffer, format="PNG")
    return buffer.getvalue()


def image_grid(images: Sequence[Any], titles: Sequence[str] | None = None, columns: int | None = None,
               size: float = 2.6, suptitle: str | None = None) -> "Figure":
    """Several images in a grid of small pictures without axes.

    Args:
        images: arrays (H, W, 3) in [0, 1] (or uint8); they may differ in size.
        titles: one title per picture (optional).
        columns: pictures per row; default all in one row.
        size: height of one picture in inches.
        suptitle: a title over the whole grid.
    """
    plt = _pyplot()
    count = len(images)
    if count == 0:
        raise ValueError("image_grid needs at least one image.")
    columns = count if columns is None else max(1, min(columns, count))
    rows = -(-count // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(size * columns, size * rows + (0.4 if suptitle else 0.2)),
                                squeeze=False, layout="constrained")
    for index, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if index >= count:
            continue
        picture = _image_array(images[index])
        ax.imshow(np.clip(picture, 0.0, 1.0) if picture.shape[-1] == 3 else picture[..., 0], cmap=None
                  if picture.shape[-1] == 3 else "gray", interpolation="antialiased")
        if titles is not None and index < len(titles) and titles[index]:
            ax.set_title(titles[index], fontsize=9)
    if suptitle:
        figure.suptitle(suptitle)
    return figure


# --------------------------------------------------------------------------- filters


def filter_images(kernel: Any, bgr: bool = False) -> np.ndarray:
    """First-layer convolution filters as small RGB pictures, each normalised for display.

    Args:
        kernel: the layer's kernel, shape (k, k, 3, N) (Keras's HWIO order).
        bgr: True when the network reads BGR input (Caffe-trained Keras weights): the input
            channels are then put back into RGB order.

    Returns:
        float32 array (N, k, k, 3) in [0, 1]. Each filter is scaled on its own so that 0.5 (grey)
        means a weight of zero and the largest absolute weight reaches 0 or 1: bright colours
        are what the filter responds to, dark ones what it responds against.
    """
    weights = np.asarray(kernel, dtype=np.float32)
    if weights.ndim != 4 or weights.shape[2] != 3:
        raise ValueError(
            f"filter_images needs a kernel of shape (k, k, 3, N) (a layer that reads RGB pixels), got "
            f"{weights.shape}; only block1_conv1 can be drawn as colour pictures."
        )
    if bgr:
        weights = weights[:, :, ::-1, :]
    filters = np.transpose(weights, (3, 0, 1, 2))  # (N, k, k, 3)
    scale = np.max(np.abs(filters), axis=(1, 2, 3), keepdims=True)
    scale[scale == 0] = 1.0
    return (0.5 + 0.5 * filters / scale).astype(np.float32)


def plot_filters(extractor: "FeatureExtractor", layer: str = "block1_conv1", columns: int = 8,
                 size: float = 0.9) -> "Figure":
    """The 3x3 RGB filters of VGG16's first layer as a grid of small colour pictures.

    Args:
        extractor: a :class:`~labhelpers.network.extractor.FeatureExtractor` (its weights are read).
        layer: a convolution whose input is the RGB image; in VGG16 only ``"block1_conv1"``.
        columns: pictures per row (64 filters -> 8 x 8).
        size: side of one picture in inches.

    Returns:
        The Figure; filter ``i`` is titled with its index.
    """
    kernel = extractor.base_model.get_layer(layer).get_weights()[0]
    pictures = filter_images(kernel, bgr=extractor.preprocessing == "caffe")
    plt = _pyplot()
    rows = -(-len(pictures) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(size * columns, size * rows + 0.5), squeeze=False,
                                layout="constrained")
    for index, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if index < len(pictures):
            ax.imshow(pictures[index], interpolation="nearest")
            ax.set_title(str(index), fontsize=7, pad=1)
    figure.suptitle(f"{layer}: {len(pictures)} filters of {kernel.shape[0]}x{kernel.shape[1]} RGB pixels "
                    "(grey = 0)")
    return figure


# --------------------------------------------------------------------------- activations


def strongest_channels(features: Any, count: int) -> np.ndarray:
    """Indices of the ``count`` channels with the largest mean activation, strongest first."""
    array = feature_array(features)
    means = array.reshape(-1, array.shape[-1]).mean(axis=0)
    return np.argsort(-means, kind="stable")[:count]


def _normalised_channel(array: np.ndarray, channel: int) -> np.ndarray:
    values = array[..., channel]
    top = float(values.max()) if values.size else 0.0
    low = min(float(values.min()), 0.0)
    if top - low <= 0:
        return np.zeros_like(values)
    return (values - low) / (top - low)


def activation_grid(features: Any, channels: int = 16, columns: int = 8, order: str = "strongest",
                    title: str | None = None, size: float = 1.4, cmap: str = "viridis") -> "Figure":
    """Several channels of one feature map as a grid of heat maps.

    Args:
        features: one layer's feature map, (1, h, w, C) or (h, w, C).
        channels: how many channels to show.
        columns: pictures per row.
        order: ``"strongest"`` (channels with the largest mean activation first: many channels
            are silent for a given image) or ``"index"`` (channels 0, 1, 2, ...).
        title: a title over the grid.
        size: side of one picture in inches.
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
    figure, axes = plt.subplots(rows, columns, figsize=(size * columns, size * rows + (0.5 if title else 0.2)),
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
                      channels: int = 6, size: float = 1.5, cmap: str = "viridis") -> "Figure":
    """One row per layer: the most active channels of each layer's feature map.

    Args:
        features: ``{layer: feature map (1, h, w, C)}``, e.g. ``extractor(image)``.
        layers: which layers, one row each (default: the first convolution of every block).
        channels: channels per row (the most active ones, strongest first).
        size: side of one picture in inches.
        cmap: a matplotlib colormap name.

    Returns:
        The Figure; each row is labelled with the layer's name and feature-map shape.
    """
    plt = _pyplot()
    figure, axes = plt.subplots(len(layers), channels, figsize=(size * channels + 0.6, size * len(layers) + 0.2),
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


def feature_distance(image: Any, target_image: Any, extractor: "FeatureExtractor", layers: Sequence[str],
                     kind: str = "content") -> float:
    """How far ``image``'s features are from ``target_image``'s, as the lessons' losses measure it.

    Args:
        image, target_image: (H, W, 3) in [0, 1]. For ``kind="content"`` both must have the same
            size; Gram matrices do not depend on the size.
        extractor: the feature extractor (any layers; the ones needed are selected).
        layers: the layers compared.
        kind: ``"content"``: mean over layers of :func:`labhelpers.losses.content_loss`;
            ``"style"``: mean over layers of :func:`labhelpers.losses.style_loss` of the Gram matrices.
    """
    from labhelpers.losses import content_loss, gram_matrix, style_loss

    layers = tuple(layers)
    picked = extractor.with_layers(layers)
    ours, theirs = picked(_image_array(image)), picked(_image_array(target_image))
    total = 0.0
    for layer in layers:
        if kind == "content":
            total += float(content_loss(ours[layer], theirs[layer]))
        elif kind == "style":
            total += float(style_loss(gram_matrix(ours[layer]), gram_matrix(theirs[layer])))
        else:
            raise ValueError(f"kind must be 'content' or 'style', not {kind!r}")
    return total / len(layers)


def reconstruct(target_image: Any, extractor: "FeatureExtractor", layers: str | Sequence[str],
                kind: str = "content", size: int = 128, steps: int = 200, seed: int = 0,
                noise_amplitude: float = 1.0, **options: Any) -> Reconstruction:
    """Rebuild an image from noise using only its features at some layers (Gatys et al., Fig. 1).

    ``kind="content"`` matches the feature maps themselves: shallow layers give back the photo
    almost exactly, deep layers keep the objects and their layout but lose the exact pixels.
    ``kind="style"`` matches only the Gram matrices: the layout is lost and a texture remains,
    with larger structures as deeper layers are added.

    The optimisation is :class:`labhelpers.transfer.run.StyleTransfer` (what ``stylize`` runs),
    started from noise with the other loss terms switched off (weight 0), so the lesson shows
    the same machinery the final notebook uses.

    Args:
        target_image: the picture (H, W, 3) in [0, 1] whose features are matched.
        extractor: the feature extractor (its weights are used; the layers are chosen here).
        layers: one layer name or several.
        kind: ``"content"`` or ``"style"``.
        size: the longest side, in pixels, of the reconstruction (the target is resized to it).
        steps: optimisation steps.
        seed: seed for the noise start (same seed, same start).
        noise_amplitude: how strong the starting noise is (see :func:`noise_image`): 1.0 is white
            noise over all of [0, 1]; fainter noise (e.g. 0.2) leaves less of itself in the
            parts of the picture a deep layer does not constrain.
        **options: passed on to ``StyleTransfer.run`` (for example ``optimizer="adam"``).

    Returns:
        A :class:`Reconstruction` with the image, its noise start, the history and the loss of
        the start and of the result.
    """
    from labhelpers.images import resize_to
    from labhelpers.transfer.run import StyleTransfer

    if isinstance(layers, str):
        layers = (layers,)
    layers = tuple(layers)
    if kind not in ("content", "style"):
        raise ValueError(f"kind must be 'content' or 'style', not {kind!r}")
    unknown = [name for name in layers if name not in VGG16_LAYERS]
    if unknown or not layers:
        raise ValueError(f"Unknown VGG16 layer(s) {unknown or list(layers)}; choose from {list(VGG16_LAYERS)}.")
    target = resize_to(_image_array(target_image)[..., :3], size)
    # The unused term gets weight 0; giving it the same layers means no extra layer is computed.
    transfer = StyleTransfer(target, target, size=size, extractor=extractor, content_layers=list(layers),
                             style_layers=list(layers))
    weights = {"content_weight": 1.0 if kind == "content" else 0.0,
               "style_weight": 1.0 if kind == "style" else 0.0, "tv_weight": 0.0}
    start = noise_image(transfer.content.shape[:2], seed, noise_amplitude)
    start_loss = transfer.losses(start, **weights)[kind]
    result = transfer.run(steps=steps, init=start, seed=seed, **weights, **options)
    image = np.clip(np.asarray(result.image, dtype=np.float32), 0.0, 1.0)
    final_loss = transfer.losses(image, **weights)[kind]
    return Reconstruction(image=image, start=start, kind=kind, layers=layers, history=list(result.history),
                          start_loss=float(start_loss), final_loss=float(final_loss))


def noise_image(shape: tuple[int, int], seed: int = 0, amplitude: float = 1.0) -> np.ndarray:
    """Uniform random noise around mid-grey, float32 (H, W, 3): the start of a reconstruction.

    Args:
        shape: (H, W) in pixels.
        seed: the random seed (same seed, same noise).
        amplitude: the width of the interval: values are uniform in ``0.5 +- amplitude / 2``;
            1.0 covers all of [0, 1] (white noise as in Gatys et al.), smaller values give
            fainter noise.
    """
    if not 0.0 <= amplitude <= 1.0:
        raise ValueError(f"amplitude must be between 0 and 1, not {amplitude!r}")
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(int(shape[0]), int(shape[1]), 3))
    return (0.5 + amplitude * (values - 0.5)).astype(np.float32)


def crop_border(image: Any, fraction: float = 0.03) -> np.ndarray:
    """The image without a strip of ``fraction`` x its longest side on every edge.

    Scans of paintings often include a frame (the bundled *Starry Night* has a black and white
    one); cropping it keeps the frame's straight lines out of the style's Gram matrices.
    """
    array = _image_array(image)
    border = int(round(fraction * max(array.shape[:2])))
    if border <= 0:
        return array.copy()
    if 2 * border >= min(array.shape[:2]):
        raise ValueError(f"crop_border: a border of {border} px leaves nothing of a {array.shape[:2]} image.")
    return np.ascontiguousarray(array[border:-border, border:-border])


def plot_reconstructions(target_image: Any, reconstructions: Sequence[Reconstruction],
                         titles: Sequence[str] | None = None, size: float = 2.4,
                         suptitle: str | None = None) -> "Figure":
    """The target followed by its reconstructions, side by side in one row.

    Args:
        target_image: the original picture (H, W, 3).
        reconstructions: results of :func:`reconstruct`.
        titles: captions for the reconstructions (default: kind and layers).
        size: height of one picture in inches.
        suptitle: a title over the row.
    """
    captions = ["original"] + list(titles if titles is not None else [r.label for r in reconstructions])
    return image_grid([target_image] + [r.image for r in reconstructions], captions, size=size,
                      suptitle=suptitle)


# --------------------------------------------------------------------------- lesson 2: distances


def shift_image(image: Any, pixels: int = 8, axis: int = 1) -> np.ndarray:
    """The image moved by ``pixels`` along ``axis`` (1 = to the right), edges filled by reflection.

    Returns:
        float32 array of the same shape: the same picture, just moved, which a pixel distance
        punishes hard and a deep-feature distance hardly notices.
    """
    array = _image_array(image)
    if axis not in (0, 1):
        raise ValueError(f"axis must be 0 (down) or 1 (right), not {axis}")
    pad = [(0, 0)] * array.ndim
    pad[axis] = (pixels, 0)
    padded = np.pad(array, pad, mode="reflect")
    index = [slice(None)] * array.ndim
    index[axis] = slice(0, array.shape[axis])
    return np.ascontiguousarray(padded[tuple(index)])


def add_noise(image: Any, amount: float, seed: int = 0) -> np.ndarray:
    """The image with Gaussian noise of standard deviation ``amount`` added, clipped to [0, 1]."""
    array = _image_array(image)
    rng = np.random.default_rng(seed)
    return np.clip(array + rng.normal(0.0, amount, array.shape), 0.0, 1.0).astype(np.float32)


def distance_comparison(image: Any, others: Mapping[str, Any], extractor: "FeatureExtractor",
                        layers: Sequence[str] = BLOCK_FIRST_LAYERS,
                        loss_fn: Any = None) -> dict[str, dict[str, float]]:
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
    from labhelpers.losses import content_loss

    loss_fn = content_loss if loss_fn is None else loss_fn

    reference = _image_array(image)
    picked = extractor.with_layers(tuple(layers))
    ref_features = picked(reference)
    table: dict[str, dict[str, float]] = {}
    for name, other in others.items():
        other_array = _image_array(other)
        row = {"pixels": float(np.mean((other_array - reference) ** 2) / np.mean(reference ** 2))}
        features = picked(other_array)
        for layer in layers:
            energy = float(np.mean(np.square(ref_features[layer].numpy())))
            row[layer] = float(loss_fn(features[layer], ref_features[layer])) / max(energy, 1e-12)
        table[name] = row
    return table


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


def shuffle_positions(features: Any, seed: int = 0) -> np.ndarray:
    """The feature map with its positions shuffled: every (row, column) gets another one's vector.

    Each position keeps its whole channel vector, so the picture of one channel turns into
    scattered dots while the Gram matrix, which sums over positions, stays exactly the same.

    Returns:
        float32 array (1, h, w, C) (or (h, w, C) if that is what came in).
    """
    if hasattr(features, "numpy") and callable(features.numpy):
        features = features.numpy()
    array = np.asarray(features, dtype=np.float32)
    single = feature_array(array)
    h, w, c = single.shape
    order = np.random.default_rng(seed).permutation(h * w)
    shuffled = single.reshape(h * w, c)[order].reshape(h, w, c)
    return shuffled[None] if array.ndim == 4 else shuffled


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
    if hasattr(gram, "numpy") and callable(gram.numpy):
        gram = gram.numpy()
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


def difference_images(image: Any) -> tuple[np.ndarray, np.ndarray]:
    """Differences between neighbouring pixels, the two terms of total variation.

    Args:
        image: (H, W, C) or (1, H, W, C).

    Returns:
        ``(horizontal, vertical)``: ``horizontal[i, j] = x[i, j+1] - x[i, j]``, shape (H, W-1, C),
        and ``vertical[i, j] = x[i+1, j] - x[i, j]``, shape (H-1, W, C), float32, signed. The
        anisotropic TV loss is ``abs(horizontal).sum() + abs(vertical).sum()``.
    """
    array = _image_array(image)
    horizontal = array[:, 1:, :] - array[:, :-1, :]
    vertical = array[1:, :, :] - array[:-1, :, :]
    return horizontal.astype(np.float32), vertical.astype(np.float32)


def plot_differences(images: Mapping[str, Any], size: float = 2.6, gain: float = 4.0) -> "Figure":
    """For each image: the picture, |horizontal| and |vertical| differences, and its TV.

    Args:
        images: ``{name: picture (H, W, 3)}``, one row each.
        size: height of one picture in inches.
        gain: the absolute differences (summed over the colour channels) are multiplied by this
            before display, so that small steps are visible; white means a big step.
    """
    plt = _pyplot()
    figure, axes = plt.subplots(len(images), 3, figsize=(3 * size * 1.1, size * len(images) + 0.3),
                                squeeze=False, layout="constrained")
    for row, (name, picture) in enumerate(images.items()):
        horizontal, vertical = difference_images(picture)
        tv = float(np.abs(horizontal).sum() + np.abs(vertical).sum())
        pixels = _image_array(picture)
        axes[row, 0].imshow(np.clip(pixels, 0, 1))
        axes[row, 0].set_title(f"{name}\nTV = {tv:,.0f} ({tv / pixels.size:.3f} per value)", fontsize=9)
        for column, (label, diff) in enumerate((("|horizontal|", horizontal), ("|vertical|", vertical)), start=1):
            magnitude = np.clip(gain * np.abs(diff).mean(axis=-1), 0, 1)
            axes[row, column].imshow(magnitude, cmap="gray", vmin=0, vmax=1)
            axes[row, column].set_title(f"{label} differences", fontsize=9)
        for ax in axes[row]:
            ax.set_axis_off()
    return figure


def tv_denoise(noisy: Any, weight: float, kind: str = "l1", steps: int = 200, learning_rate: float = 0.01) -> np.ndarray:
    """Remove noise by minimising ``sum((x - noisy)**2) / 2 + weight * TV(x)`` over the picture x.

    A small, VGG-free optimisation (Adam on the pixels, kept in [0, 1]) for comparing the two
    forms of total variation in lesson 4: the L1 form (:func:`labhelpers.losses.total_variation_loss`)
    tolerates a few big steps, so edges stay sharp and flat regions become flat; the squared
    L2 form (:func:`labhelpers.losses.total_variation_loss_l2`) punishes big steps most, so
    edges are blurred like the noise.

    Args:
        noisy: the picture to clean, (H, W, 3) in [0, 1].
        weight: the weight of the TV term (>= 0); 0 returns the noisy picture.
        kind: ``"l1"`` or ``"l2"``.
        steps: Adam steps.
        learning_rate: Adam's step size, in pixel values.

    Returns:
        float32 (H, W, 3) in [0, 1].
    """
    import tensorflow as tf

    from labhelpers.losses import total_variation_loss, total_variation_loss_l2

    if kind not in ("l1", "l2"):
        raise ValueError(f"kind must be 'l1' or 'l2', not {kind!r}")
    tv = total_variation_loss if kind == "l1" else total_variation_loss_l2
    target = tf.constant(_image_array(noisy))
    image = tf.Variable(target)
    lam = tf.constant(float(weight), tf.float32)
    b1, b2, eps = 0.9, 0.999, 1e-8
    m = tf.zeros_like(target)
    v = tf.zeros_like(target)

    @tf.function
    def gradient() -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = 0.5 * tf.reduce_sum(tf.square(image - target)) + lam * tv(image)
        return tape.gradient(loss, image)

    for t in range(1, steps + 1):
        g = gradient()
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        step = learning_rate * (m / (1 - b1**t)) / (tf.sqrt(v / (1 - b2**t)) + eps)
        image.assign(tf.clip_by_value(image - step, 0.0, 1.0))
    return image.numpy()


# --------------------------------------------------------------------------- loss curves


def plot_loss_curves(history: Sequence[Mapping[str, Any]], terms: Iterable[str] = ("total", "content", "style", "tv"),
                     title: str | None = None, ax: Any = None) -> "Figure":
    """The loss terms of an optimisation against the step, on a logarithmic y axis.

    Args:
        history: a list of dicts with ``step`` and the loss terms, as ``stylize`` records it.
        terms: which keys to draw; terms missing from the history or never positive (switched
            off, weight 0) are left out, since a log axis cannot show 0.
        title: the plot's title.
        ax: an Axes to draw into instead of a new figure.
    """
    if not history:
        raise ValueError("plot_loss_curves got an empty history; run an optimisation first.")
    if ax is None:
        plt = _pyplot()
        figure, ax = plt.subplots(figsize=(5.5, 3.4), layout="constrained")
    else:
        figure = ax.figure
    steps = np.array([float(entry.get("step", index)) for index, entry in enumerate(history)])
    drawn, largest = 0, 0.0
    for term in terms:
        values = np.array([float(entry.get(term, np.nan)) for entry in history])
        if not np.any(np.isfinite(values) & (values > 0)):
            continue
        ax.plot(steps, np.where(values > 0, values, np.nan), label=term, lw=2 if term == "total" else 1.3)
        largest = max(largest, float(np.nanmax(np.where(np.isfinite(values), values, np.nan))))
        drawn += 1
    ax.set_yscale("log")
    if drawn:
        # A run started from the content photo has a content loss of ~1e-13 at step 1; showing
        # six decades below the largest value keeps that from squashing every curve flat.
        bottom, top = ax.get_ylim()
        ax.set_ylim(max(bottom, largest * 1e-6), top)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (weighted)")
    if drawn:
        ax.legend()
    if title:
        ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    return figure
