"""Lesson 03 (``notebooks/03_style_loss.ipynb``): Gram matrices, style loss, textures.

- "A Gram entry": :func:`plot_gram_entry` with :func:`gram_pairs` (NumPy).
- "Comparing Gram matrices": :func:`gram_heatmap`, :func:`compare_grams`.
- "Textures": :func:`synthesize_texture` and the explorer :func:`texture_synthesis_panel` (CSS
  classes ``lab-style-weight``, ``lab-style-weight-<layer>``, ``lab-texture-run``,
  ``lab-texture``, ``lab-texture-status``).
- :data:`RUNS`: the optimisations the notebook runs at full size.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from labhelpers.images import resize_to
from labhelpers.lessons.common.figures import bare_axis, pyplot
from labhelpers.lessons.common.noise_runs import from_noise
from labhelpers.lessons.common.pictures import feature_array, image_to_png_bytes
from labhelpers.lessons.common.timing import LessonRun
from labhelpers.lessons.common.widgets import labelled
from labhelpers.network.layers import BLOCK_FIRST_LAYERS, VGG16_LAYERS, describe_layers
from labhelpers.transfer.run import StyleTransfer

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    import ipywidgets
    from matplotlib.figure import Figure

    from labhelpers.network.extractor import FeatureExtractor

__all__ = [
    "RUNS",
    "gram_pairs",
    "plot_gram_entry",
    "gram_heatmap",
    "compare_grams",
    "border_positions",
    "synthesize_texture",
    "texture_synthesis_panel",
]


#: The optimisations the notebook runs at full size (not in fast mode); the time estimates
#: and tests/test_notebooks.py's check of the parameters cell are built from them.
RUNS: tuple[LessonRun, ...] = (
    LessonRun(
        "texture synthesis (three layer choices and the mirrored painting), coarse to fine "
        "(each widget click adds one)",
        4,
        128,
        120,
        0.52,
        "TEXTURE_SIZE",
        "STEPS",
    ),
)


def gram_pairs(features: Any, min_energy: float = 1.0) -> dict[str, tuple[int, int]]:
    """Two pairs of different channels (c, d): ``"large"`` with the largest Gram entry, ``"small"``
    with the smallest entry among pairs whose channels are both active (their own entries G[c, c]
    at least ``min_energy`` times the median of the active channels'): active channels that rarely
    fire together."""
    array = feature_array(features).astype(np.float64)
    flat = array.reshape(-1, array.shape[-1])
    gram = flat.T @ flat / flat.size
    np.fill_diagonal(gram, -np.inf)
    large = np.unravel_index(int(np.argmax(gram)), gram.shape)
    energy = (flat**2).mean(axis=0)
    active = energy > 0
    floor = min_energy * float(np.median(energy[active])) if active.any() else 0.0
    strong = energy >= floor
    masked = np.where(np.outer(strong, strong), gram, np.inf)
    np.fill_diagonal(masked, np.inf)
    small = np.unravel_index(int(np.argmin(masked)), masked.shape)
    return {"large": (int(large[0]), int(large[1])), "small": (int(small[0]), int(small[1]))}


def plot_gram_entry(
    features: Any,
    pairs: dict[str, tuple[int, int]] | None = None,
    layer: str = "",
    height_in: float = 2.2,
) -> "Figure":
    """For each pair (c, d): map c, map d, their product, titled with G[c, d] = sum(product) /
    (H W C).

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
    figure, axes = plt.subplots(
        len(pairs),
        3,
        figsize=(3 * height_in * w / h + 0.6, len(pairs) * (height_in + 0.5)),
        squeeze=False,
        layout="constrained",
    )
    for row, (label, (c, d)) in enumerate(pairs.items()):
        product = array[..., c] * array[..., d]
        entry = float(product.sum() / (h * w * count))
        for ax, values, title, scale in zip(
            axes[row],
            [array[..., c], array[..., d], product],
            [f"channel {c}", f"channel {d}", f"product: G[{c}, {d}] = {entry:.3g}"],
            [top, top, product_top],
        ):
            ax.imshow(values, cmap="magma", vmin=0.0, vmax=scale, interpolation="nearest")
            ax.set_title(
                f"{layer} {title}" if layer and title.startswith("channel") else title, fontsize=9
            )
            bare_axis(ax)
        axes[row, 0].set_ylabel(f"{label} entry", fontsize=10)  # the row header
    # two scales: the maps share one (so their sizes compare), the products another
    maps_bar = figure.colorbar(
        axes[0, 0].images[0], ax=list(axes[:, :2].ravel()), shrink=0.8, aspect=25, pad=0.02
    )
    maps_bar.set_label("activation", fontsize=9)
    product_bar = figure.colorbar(
        axes[0, 2].images[0], ax=list(axes[:, 2]), shrink=0.8, aspect=25, pad=0.02
    )
    product_bar.set_label("product of the two activations", fontsize=9)
    figure.suptitle(
        "G[c, d] = (sum of the product map) / (H W C): large where both channels fire at the "
        "same places",
        fontsize=10,
    )
    return figure


def gram_heatmap(
    gram: Any,
    title: str | None = None,
    channels: int | None = 32,
    ax: Any = None,
    cmap: str = "magma",
    vmax: float | None = None,
    colorbar: bool = True,
) -> "Figure":
    """A Gram matrix as a heat map: entry (c, d) says how much channels c and d fire together.

    Args:
        gram: a (C, C) matrix (array or tensor).
        title: the plot's title.
        channels: show only the first ``channels`` rows and columns (a 512 x 512 matrix is too
            fine to read); None shows all.
        ax: an Axes to draw into instead of a new figure.
        cmap: a matplotlib colormap name.
        vmax: the value drawn brightest (0 is darkest); None: the matrix's own largest entry.
        colorbar: draw a colour bar beside it.
    """
    matrix = _square(gram)
    if channels is not None:
        matrix = matrix[:channels, :channels]
    if ax is None:
        plt = pyplot()
        figure, ax = plt.subplots(figsize=(4.2, 3.6), layout="constrained")
    else:
        figure = ax.figure
    shown = ax.imshow(
        matrix,
        cmap=cmap,
        interpolation="nearest",
        vmin=0.0 if vmax is not None else None,
        vmax=vmax,
    )
    if colorbar:
        figure.colorbar(shown, ax=ax, shrink=0.8)
    ax.set_xlabel("channel d")
    ax.set_ylabel("channel c")
    if title:
        ax.set_title(title, fontsize=10)
    return figure


def _square(gram: Any) -> np.ndarray:
    matrix = np.asarray(gram, dtype=np.float64)
    if matrix.ndim == 3 and matrix.shape[0] == 1:
        matrix = matrix[0]
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"gram_heatmap needs a square (C, C) matrix, got {matrix.shape}.")
    return matrix


def compare_grams(
    grams: Mapping[str, Any], channels: int | None = 32, cmap: str = "magma"
) -> "Figure":
    """Several Gram matrices as heat maps side by side, one per entry of ``grams`` (title ->
    (C, C)), on one colour scale (0 to the largest shown entry of any of them) with one colour
    bar, so that equal colours mean equal values."""
    plt = pyplot()
    shown = [_square(g)[:channels, :channels] if channels else _square(g) for g in grams.values()]
    vmax = max(float(m.max()) for m in shown) if shown else 1.0
    figure, axes = plt.subplots(
        1, len(grams), figsize=(3.8 * len(grams) + 0.8, 3.6), squeeze=False, layout="constrained"
    )
    for ax, (title, gram) in zip(axes[0], grams.items()):
        gram_heatmap(
            gram, title=title, channels=channels, ax=ax, cmap=cmap, vmax=vmax, colorbar=False
        )
    figure.colorbar(axes[0][0].images[0], ax=list(axes[0]), shrink=0.8, label="Gram entry")
    return figure


def border_positions(
    height: int, width: int, layers: Sequence[str] = BLOCK_FIRST_LAYERS
) -> list[dict[str, Any]]:
    """How many positions each layer's Gram matrix averages over, and how many of them see the
    picture's border (the zero padding around it).

    A value at row i of a layer whose values are ``s`` px apart sees the input patch of side ``r``
    (its receptive field) centred on row ``i s + (s - 1) / 2``; it sees the padding when that patch
    reaches past the first or the last row or column. Such a value "knows" which border is near,
    so its channels can tell the corners from the middle: a Gram matrix over few positions, most
    of them at the border, keeps some of *where* things are.

    Args:
        height, width: the picture's size in pixels.
        layers: VGG16 layer names.

    Returns:
        One dict per layer, in the given order: ``layer``, ``map`` (h, w), ``positions`` (h * w),
        ``spacing`` (px between neighbouring values), ``receptive_field`` (px) and ``at_border``
        (the share of the positions whose patch reaches the padding, 0-1).
    """
    rows = {row["name"]: row for row in describe_layers(height, width)}
    table = []
    for layer in layers:
        if layer not in rows:
            raise ValueError(f"Unknown VGG16 layer {layer!r}; choose from {list(VGG16_LAYERS)}.")
        h, w, _ = rows[layer]["output_shape"]
        spacing, field = rows[layer]["stride"], rows[layer]["receptive_field"]

        def inside(count: int, side: int) -> np.ndarray:
            centres = np.arange(count) * spacing + (spacing - 1) / 2
            return (centres - (field - 1) / 2 >= 0) & (centres + (field - 1) / 2 <= side - 1)

        clear = np.outer(inside(h, height), inside(w, width))
        table.append(
            {
                "layer": layer,
                "map": (h, w),
                "positions": h * w,
                "spacing": spacing,
                "receptive_field": field,
                "at_border": float(1.0 - clear.mean()) if clear.size else 1.0,
            }
        )
    return table


def synthesize_texture(
    style_image: Any,
    extractor: "FeatureExtractor",
    layer_weights: Mapping[str, float],
    size: int = 128,
    steps: int = 200,
    seed: int = 0,
    **options: Any,
) -> np.ndarray:
    """A texture with the painting's Gram matrices, grown from noise (style term only).

    Args:
        style_image: the painting (H, W, 3) in [0, 1].
        extractor: the feature extractor.
        layer_weights: ``{layer: weight >= 0}``; layers with weight 0 are left out. The weights
            are relative (``stylize`` rescales them to sum to 1).
        size: longest side of the texture in pixels (it has the painting's aspect ratio).
        steps: optimisation steps.
        seed: seed of the noise start.
        **options: passed on to ``StyleTransfer.run`` (for example ``progress=True``).

    Returns:
        float32 (h, w, 3) in [0, 1].

    Raises:
        ValueError: when every weight is 0.
    """
    used = {name: float(w) for name, w in layer_weights.items() if float(w) > 0}
    if not used:
        raise ValueError(
            "Every style layer has weight 0: give at least one layer a positive weight."
        )
    painting = resize_to(np.asarray(style_image, dtype=np.float32), size)
    first = next(name for name in VGG16_LAYERS if name in used)
    transfer = StyleTransfer(
        painting,
        painting,
        size=size,
        extractor=extractor,
        content_layers=[first],
        style_layers=used,
    )
    _start, result = from_noise(transfer, steps=steps, style_weight=1.0, seed=seed, **options)
    return np.asarray(result.image, dtype=np.float32)


def texture_synthesis_panel(
    style_image: Any,
    extractor: "FeatureExtractor",
    layers: Sequence[str] = BLOCK_FIRST_LAYERS,
    layer_weights: Mapping[str, float] | None = None,
    size: int = 128,
    steps: int = 200,
    seed: int = 0,
    auto_run: bool = False,
    run_now: bool = True,
    initial: Any = None,
    display_size: int = 256,
) -> "ipywidgets.VBox":
    """One slider per style layer and a button that grows a texture with those layer weights.

    Args:
        style_image: the painting (H, W, 3) in [0, 1].
        extractor: the feature extractor.
        layers: the style layers that get a slider (0 to 1 each).
        layer_weights: the sliders' starting values (default 1 for every layer).
        size, steps, seed: passed to :func:`synthesize_texture`.
        auto_run: re-run as soon as a slider moves (off by default: a run takes a while).
        run_now: compute the first texture while building the panel (ignored when ``initial`` is
            given).
        initial: a texture already computed with the starting weights, shown first.
        display_size: width of the picture in pixels.

    Returns:
        A ``VBox`` with the sliders (class ``lab-style-weight`` and ``lab-style-weight-<layer>``),
        the button (``lab-texture-run``), the texture (``lab-texture``) and a status line
        (``lab-texture-status``).
    """
    import ipywidgets as widgets

    start = dict(layer_weights or {})
    sliders = {}
    for name in layers:
        slider = widgets.FloatSlider(
            value=float(start.get(name, 1.0)),
            min=0.0,
            max=1.0,
            step=0.05,
            description=name,
            continuous_update=False,
            style={"description_width": "initial"},
        )
        slider.add_class("lab-style-weight")
        slider.add_class(f"lab-style-weight-{name}")
        sliders[name] = slider
    button = labelled(
        widgets.Button(description="Synthesize texture", button_style="primary", icon="refresh"),
        "lab-texture-run",
    )
    first = np.full((8, 8, 3), 0.5, np.float32) if initial is None else initial
    picture = labelled(
        widgets.Image(value=image_to_png_bytes(first), format="png", width=display_size),
        "lab-texture",
    )
    status = labelled(
        widgets.Label(value="Set the layer weights and press the button."), "lab-texture-status"
    )

    def run(_event: Any = None) -> None:
        chosen = {name: slider.value for name, slider in sliders.items()}
        status.value = "Synthesizing ..."
        began = time.perf_counter()
        try:
            texture = synthesize_texture(
                style_image, extractor, chosen, size=size, steps=steps, seed=seed
            )
        except ValueError as err:
            status.value = str(err)
            return
        picture.value = image_to_png_bytes(texture)
        used = ", ".join(f"{name} {w:g}" for name, w in chosen.items() if w > 0)
        status.value = f"Done in {time.perf_counter() - began:.1f} s with weights: {used}."

    def slider_moved(_change: Any) -> None:
        if auto_run:
            run()
        else:
            status.value = "Weights changed: press the button to synthesize again."

    for slider in sliders.values():
        slider.observe(slider_moved, names="value")
    button.on_click(run)
    if initial is not None:
        status.value = "Showing the texture computed above; move the sliders and press the button."
    elif run_now:
        run()
    return widgets.VBox(
        [
            widgets.HBox([widgets.VBox(list(sliders.values())), picture]),
            widgets.HBox([button, status]),
        ]
    )
