"""The widgets of the style-transfer panel and their layout (the panel's behaviour is in
:mod:`labhelpers.lessons.panel`, the running in :mod:`labhelpers.lessons.runner`).

Only widgets that ipywidgets 7.7 (Colab) and 8 both provide; each carries the CSS class the
browser test selects by (see :data:`CSS_CLASSES`).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from labhelpers.images import ImageError, list_images
from labhelpers.images.sources import load_named_picture, needs_name_box  # issue 26
from labhelpers.transfer.settings import TransferSettings

__all__ = ["WEIGHT_SLIDERS", "SIZE_CHOICES", "MAX_STEPS", "READOUT_FORMAT", "UPLOAD_PREFIX", "COLOR_CHOICES",
           "CSS_CLASSES", "default_weight", "build_controls"]


def default_weight(name: str) -> float:
    """The default of a loss weight of :class:`~labhelpers.transfer.settings.TransferSettings`."""
    return float({f.name: f.default for f in dataclasses.fields(TransferSettings)}[name])


#: The three loss-weight sliders: (key, label, default, smallest and largest power of ten, step
#: in powers of ten, CSS class). The label says what turning the weight up does to the picture.
WEIGHT_SLIDERS: tuple[tuple[str, str, float, float, float, float, str], ...] = (
    ("content_weight", "Content weight — more photo", default_weight("content_weight"), -2.0, 2.0, 0.25,
     "lab-content-weight"),
    ("style_weight", "Style weight — more painting", default_weight("style_weight"), -1.0, 4.0, 0.25, "lab-style-weight"),
    ("tv_weight", "Smoothness (TV) weight — fewer speckles", default_weight("tv_weight"), -3.0, 2.0, 0.25,
     "lab-tv-weight"),
)
#: Longest sides (px) offered by the size menu; the default size is added if missing.
SIZE_CHOICES: tuple[int, ...] = (32, 64, 128, 192, 256, 384, 512)
#: The largest step count of the steps slider.
MAX_STEPS = 500
#: Slider readouts (d3-format, as ipywidgets 7 and 8 use it): 3 significant digits, never 1.00e+3.
READOUT_FORMAT = ".3r"
#: Dropdown values of uploaded pictures start with this.
UPLOAD_PREFIX = "upload:"
#: Colour-preservation choices: (label, value); "none" means ``preserve_color=None``.
COLOR_CHOICES: tuple[tuple[str, str], ...] = (("none", "none"), ("luminance", "luminance"), ("histogram", "histogram"))


#: Widget attribute -> CSS class.
CSS_CLASSES: dict[str, str] = {
    "run_button": "lab-run", "stop_button": "lab-stop", "save_button": "lab-save", "preview": "lab-preview",
    "loss_html": "lab-loss", "status": "lab-status", "progress": "lab-progress", "curves": "lab-curves",
    "weight_summary": "lab-weight-summary", "steps_slider": "lab-steps", "size_choice": "lab-size",
    "optimizer_choice": "lab-optimizer", "color_choice": "lab-color", "content_choice": "lab-content-choice",
    "style_choice": "lab-style-choice", "content_upload": "lab-content-upload", "style_upload": "lab-style-upload",
}


def build_controls(panel: Any, content: str, style: str) -> None:
    """Create the panel's widgets as attributes of ``panel``, wire them to its methods, lay them out.

    ``panel`` needs ``base_settings`` (size and steps to start from) and the methods
    ``update_summary``, ``show_content_preview``, ``handle_upload``, ``start``, ``stop`` and ``save``
    (and ``show_error``, for the Colab name boxes of :mod:`labhelpers.images.sources`).

    Raises:
        ImageError: ``content`` or ``style`` is not a bundled picture.
    """
    import ipywidgets as widgets  # imported here: the rest of the package does not need ipywidgets

    size, steps = panel.base_settings.size, panel.base_settings.steps
    wide = {"description_width": "initial"}
    names = {kind: list(list_images(kind)) for kind in ("content", "style")}
    for name, kind in ((content, "content"), (style, "style")):
        if name not in names[kind]:
            raise ImageError(f"{name!r} is not a bundled {kind} image; choose one of {names[kind]}.")
    panel.content_choice = widgets.Dropdown(options=names["content"], value=content, description="Content photo",
                                            style=wide, layout=widgets.Layout(width="330px"))
    panel.style_choice = widgets.Dropdown(options=names["style"], value=style, description="Style painting",
                                          style=wide, layout=widgets.Layout(width="330px"))
    panel.content_upload = widgets.FileUpload(accept="image/*", multiple=False, description="Upload photo")
    panel.style_upload = widgets.FileUpload(accept="image/*", multiple=False, description="Upload painting")
    # -- issue 26: in Colab a box for a picture's file name or address beside each upload button
    #    (ipywidgets 7.7.1's FileUpload fails for files of 1 MB or more; images/sources.py)
    named: dict[str, list] = {"content": [], "style": []}
    if needs_name_box():
        for kind in named:
            box = widgets.Text(placeholder="or its file name / https:// address",
                               layout=widgets.Layout(width="260px"))
            load = widgets.Button(description="Load", icon="folder-open",
                                  layout=widgets.Layout(width="80px"),
                                  tooltip="Use the picture file named in the box (upload it "
                                          "with Colab's Files sidebar first)")
            load.on_click(lambda _button, kind=kind: load_named_picture(panel, kind))
            box.add_class(f"lab-{kind}-name")
            load.add_class(f"lab-{kind}-load")
            setattr(panel, f"{kind}_name", box)
            setattr(panel, f"{kind}_load", load)
            named[kind] = [box, load]
    # -- end issue 26

    panel.size_choice = widgets.Dropdown(options=[(f"{s} px", s) for s in sorted(set(SIZE_CHOICES) | {size})],
                                         value=size, description="Size", layout=widgets.Layout(width="150px"))
    panel.steps_slider = widgets.IntSlider(value=min(steps, MAX_STEPS), min=1, max=max(MAX_STEPS, steps), step=1,
                                           description="Steps", continuous_update=False)
    buttons = {"description_width": "initial", "button_width": "90px"}
    # the panel's L-BFGS is the numpy one (optimizers.projected_lbfgs): the same losses per evaluation as
    # scipy's within about 1.5 %, without scipy's 0.4 s of bounds set-up in every Run
    # (docs/performance.md)
    panel.optimizer_choice = widgets.ToggleButtons(options=[("L-BFGS", "projected_lbfgs"), ("Adam", "adam")],
                                                   value="projected_lbfgs", description="Optimiser", style=buttons)
    panel.color_choice = widgets.ToggleButtons(options=list(COLOR_CHOICES), value="none",
                                               description="Keep photo colours", style=buttons)

    # loss weights on a log scale: each notch multiplies the weight by 10**0.25 = 1.78
    panel.weight_sliders = {}
    for key, label, default, low, high, step, css in WEIGHT_SLIDERS:
        if default > 0:  # keep the default inside the range, whatever the settings' defaults are
            low, high = min(low, math.floor(math.log10(default))), max(high, math.ceil(math.log10(default)))
        slider = widgets.FloatLogSlider(value=default, base=10, min=low, max=high, step=step, description=label,
                                        readout_format=READOUT_FORMAT, continuous_update=False, style=wide,
                                        layout=widgets.Layout(width="560px"))
        slider.add_class(css)
        slider.observe(panel.update_summary, names="value")
        panel.weight_sliders[key] = slider
    panel.content_weight_slider = panel.weight_sliders["content_weight"]
    panel.style_weight_slider = panel.weight_sliders["style_weight"]
    panel.tv_weight_slider = panel.weight_sliders["tv_weight"]
    panel.weight_summary = widgets.HTML()

    panel.run_button = widgets.Button(description="Run", button_style="success", icon="play",
                                      tooltip="Start the optimisation with the settings above")
    panel.stop_button = widgets.Button(description="Stop", button_style="danger", icon="stop", disabled=True,
                                       tooltip="End the run now and keep the best picture so far")
    panel.save_button = widgets.Button(description="Save", icon="save", disabled=True,
                                       tooltip="Save the picture to outputs/ (never overwrites a file)")
    panel.progress = widgets.IntProgress(value=0, min=0, max=max(steps, 1), description=f"0/{steps}")
    panel.status = widgets.HTML()
    panel.preview = widgets.Image(format="png", layout=widgets.Layout(width="320px"))
    panel.curves = widgets.Image(format="png", layout=widgets.Layout(width="368px"))
    panel.loss_html = widgets.HTML(value="<i>No run yet: the losses appear here.</i>")
    for attribute, css in CSS_CLASSES.items():
        getattr(panel, attribute).add_class(css)

    for choice in (panel.content_choice, panel.style_choice, panel.size_choice):
        choice.observe(panel.show_content_preview, names="value")
    panel.content_upload.observe(lambda change: panel.handle_upload("content", change["new"]), names="value")
    panel.style_upload.observe(lambda change: panel.handle_upload("style", change["new"]), names="value")
    panel.run_button.on_click(lambda _button: panel.start())
    panel.stop_button.on_click(lambda _button: panel.stop())
    panel.save_button.on_click(lambda _button: panel.save())

    panel.widget = widgets.VBox([
        widgets.HBox([panel.content_choice, panel.content_upload, *named["content"]]),
        widgets.HBox([panel.style_choice, panel.style_upload, *named["style"]]),
        widgets.HBox([panel.size_choice, panel.steps_slider]),
        widgets.HBox([panel.optimizer_choice, panel.color_choice]),
        panel.content_weight_slider, panel.style_weight_slider, panel.tv_weight_slider, panel.weight_summary,
        widgets.HBox([panel.run_button, panel.stop_button, panel.save_button, panel.progress]),
        panel.status,
        widgets.HBox([panel.preview, panel.curves]),
        panel.loss_html,
    ])
    panel.widget.add_class("lab-style-transfer-panel")
