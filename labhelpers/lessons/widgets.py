"""Small interactive explorers for lessons 1-4, each built on a compute function of
:mod:`labhelpers.lessons.experiments` (or a picture of :mod:`labhelpers.lessons.plots`).

Every panel is an ``ipywidgets`` box; its callbacks (``.observe(handler, names="value")`` on
sliders and drop-downs, ``on_click`` on buttons) only call a compute function and put the result
into an ``ipywidgets.Image``. The compute functions take and return plain values (arrays, PNG
bytes), so tests call them directly, and tests can also move a slider by setting ``.value`` and
compare the picture's bytes.

Only widgets that both ipywidgets 7.7 (Colab) and 8 provide are used. Each has a CSS class
``lab-...`` (see :func:`find_widget`) that the browser tests select by:

=============================  ======================================================
lesson 1 activation explorer   ``lab-layer-dropdown``, ``lab-channel-slider``, ``lab-activation``
lesson 3 texture synthesis     ``lab-style-weight`` (one slider per layer, plus
                               ``lab-style-weight-<layer>``), ``lab-texture-run``,
                               ``lab-texture``, ``lab-texture-status``
lesson 4 TV weight             ``lab-tv-slider``, ``lab-tv-image``, ``lab-tv-status``
=============================  ======================================================
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

import numpy as np

from labhelpers.lessons.experiments import TVSweep, synthesize_texture
from labhelpers.lessons.pictures import image_to_png_bytes
from labhelpers.lessons.plots import activation_image
from labhelpers.network.extractor import describe_layers
from labhelpers.network.layers import BLOCK_FIRST_LAYERS, VGG16_LAYERS

if TYPE_CHECKING:  # pragma: no cover
    import ipywidgets

    from labhelpers.network.extractor import FeatureExtractor

__all__ = [
    "find_widget",
    "walk_widgets",
    "upscale_factor",
    "activation_png",
    "activation_explorer",
    "texture_synthesis_panel",
    "tv_weight_panel",
]


# --------------------------------------------------------------------------- helpers


def walk_widgets(root: Any) -> Iterator[Any]:
    """``root`` and every widget inside it (depth first, through ``children``)."""
    yield root
    for child in getattr(root, "children", ()) or ():
        yield from walk_widgets(child)


def find_widget(root: Any, css_class: str) -> Any:
    """The first widget inside ``root`` (or ``root`` itself) that has the CSS class ``css_class``.

    Raises:
        LookupError: when no widget has that class.
    """
    for widget in walk_widgets(root):
        if css_class in getattr(widget, "_dom_classes", ()):
            return widget
    raise LookupError(f"No widget with CSS class {css_class!r} in this panel.")


def _labelled(widget: Any, css_class: str) -> Any:
    widget.add_class(css_class)
    return widget


def upscale_factor(height: int, width: int, display_size: int) -> int:
    """The whole factor that brings the longest side of an ``height`` x ``width`` map closest to ``display_size`` px without exceeding it (at least 1)."""
    return max(1, int(display_size) // max(int(height), int(width), 1))


# --------------------------------------------------------------------------- lesson 1


def activation_png(features: Mapping[str, Any], layer: str, channel: int, display_size: int = 256,
                   cmap: str = "viridis") -> bytes:
    """One channel of one layer's feature map as PNG bytes, enlarged (crisply) towards ``display_size``.

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
    return image_to_png_bytes(activation_image(feature_map, channel, cmap=cmap,
                                               upscale=upscale_factor(h, w, display_size)))


def activation_explorer(image: Any, extractor: "FeatureExtractor", layers: Sequence[str] = VGG16_LAYERS,
                        display_size: int = 256, layer: str = "block1_conv1", channel: int = 0) -> "ipywidgets.VBox":
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
    fields = {row["name"]: row["receptive_field"] for row in describe_layers(*np.asarray(image).shape[:2])}

    def channels_of(name: str) -> int:
        return int(features[name].shape[-1])

    dropdown = _labelled(widgets.Dropdown(options=list(layers), value=layer, description="layer"),
                         "lab-layer-dropdown")
    slider = _labelled(widgets.IntSlider(value=channel, min=0, max=channels_of(layer) - 1, step=1,
                                         description="channel", continuous_update=False), "lab-channel-slider")
    picture = _labelled(widgets.Image(value=activation_png(features, layer, channel, display_size), format="png",
                                      width=display_size), "lab-activation")
    source = _labelled(widgets.Image(value=image_to_png_bytes(image), format="png", width=display_size),
                       "lab-activation-input")
    info = _labelled(widgets.Label(), "lab-activation-info")

    def refresh(_change: Any = None) -> None:
        name = dropdown.value
        feature_map = features[name]
        h, w = int(feature_map.shape[-3]), int(feature_map.shape[-2])
        picture.value = activation_png(features, name, slider.value, display_size)
        mean = float(np.mean(np.asarray(feature_map)[..., min(slider.value, channels_of(name) - 1)]))
        info.value = (f"{name}: {h} x {w} positions x {channels_of(name)} channels; each position sees "
                      f"{fields[name]} x {fields[name]} input pixels; channel {slider.value} mean activation "
                      f"{mean:.3g}")

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


# --------------------------------------------------------------------------- lesson 3


def texture_synthesis_panel(style_image: Any, extractor: "FeatureExtractor",
                            layers: Sequence[str] = BLOCK_FIRST_LAYERS, layer_weights: Mapping[str, float] | None = None,
                            size: int = 128, steps: int = 200, seed: int = 0, auto_run: bool = False,
                            run_now: bool = True, initial: Any = None, display_size: int = 256) -> "ipywidgets.VBox":
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
        slider = widgets.FloatSlider(value=float(start.get(name, 1.0)), min=0.0, max=1.0, step=0.05,
                                     description=name, continuous_update=False,
                                     style={"description_width": "initial"})
        slider.add_class("lab-style-weight")
        slider.add_class(f"lab-style-weight-{name}")
        sliders[name] = slider
    button = _labelled(widgets.Button(description="Synthesize texture", button_style="primary",
                                      icon="refresh"), "lab-texture-run")
    first = np.full((8, 8, 3), 0.5, np.float32) if initial is None else initial
    picture = _labelled(widgets.Image(value=image_to_png_bytes(first), format="png", width=display_size),
                        "lab-texture")
    status = _labelled(widgets.Label(value="Set the layer weights and press the button."), "lab-texture-status")

    def run(_event: Any = None) -> None:
        chosen = {name: slider.value for name, slider in sliders.items()}
        status.value = "Synthesizing ..."
        began = time.perf_counter()
        try:
            texture = synthesize_texture(style_image, extractor, chosen, size=size, steps=steps, seed=seed)
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
    return widgets.VBox([widgets.HBox([widgets.VBox(list(sliders.values())), picture]),
                         widgets.HBox([button, status])])


# --------------------------------------------------------------------------- lesson 4


def tv_weight_panel(sweep: TVSweep, tv_weights: Sequence[float], value: float | None = None,
                    display_size: int = 256) -> "ipywidgets.VBox":
    """A slider over exactly ``tv_weights`` above the picture the optimisation gives at that weight.

    The slider offers only the given weights (an ``ipywidgets.SelectionSlider``), so a notebook
    passes the weights its sweep computed: every position is then shown at once, and 0 (no TV) is
    one of them when the sweep has it.

    Args:
        sweep: a :class:`TVSweep` (results already computed are shown at once; a new weight is
            optimised when chosen).
        tv_weights: the weights the slider offers (>= 0), shown in increasing order.
        value: the starting weight, one of ``tv_weights`` (default: the largest).
        display_size: width of the picture in pixels.

    Returns:
        A ``VBox`` with the slider (``lab-tv-slider``), the picture (``lab-tv-image``) and a status
        line (``lab-tv-status``) giving the loss terms.

    Raises:
        ValueError: when ``tv_weights`` is empty or negative, or ``value`` is not one of them.
    """
    import ipywidgets as widgets

    options = sorted({float(w) for w in tv_weights})
    if not options or options[0] < 0:
        raise ValueError(f"tv_weights must be one or more weights >= 0, not {list(tv_weights)!r}; "
                         "pass the weights of the sweep, e.g. [0.0, 0.3, 1.0, 3.0].")
    value = options[-1] if value is None else float(value)
    if value not in options:
        raise ValueError(f"value {value:g} is not one of the slider's weights {options}; pick one of them.")
    slider = _labelled(widgets.SelectionSlider(options=[(f"{w:g}", w) for w in options], value=value,
                                               description="tv_weight", continuous_update=False),
                       "lab-tv-slider")
    picture = _labelled(widgets.Image(value=image_to_png_bytes(sweep.image(value)), format="png",
                                      width=display_size), "lab-tv-image")
    status = _labelled(widgets.Label(), "lab-tv-status")

    def describe(weight: float) -> None:
        final = sweep.result(weight).final
        status.value = (f"tv_weight {weight:.3g}: content {final.get('content', float('nan')):.3g}, "
                        f"style {final.get('style', float('nan')):.3g}, tv {final.get('tv', float('nan')):.3g}")

    def moved(change: Any) -> None:
        status.value = f"Optimising with tv_weight {change['new']:.3g} ..."
        picture.value = image_to_png_bytes(sweep.image(change["new"]))
        describe(change["new"])

    slider.observe(moved, names="value")
    describe(value)
    return widgets.VBox([slider, picture, status])
