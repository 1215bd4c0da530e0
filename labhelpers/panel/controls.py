"""The widgets of the style-transfer panel and their layout: :class:`PanelControls`.

The panel's behaviour is in :mod:`labhelpers.panel.view`, the running in
:mod:`labhelpers.panel.runner`. Only widgets that ipywidgets 7.7 (Colab) and 8 both provide; each
carries the CSS class the browser test selects by (see :data:`CSS_CLASSES`). The optimiser
buttons list :data:`labhelpers.transfer.optimizers.OPTIMIZERS`, starting at the settings' choice.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

from labhelpers.images import ImageError, list_images
from labhelpers.images.sources import needs_name_box
from labhelpers.transfer.optimizers import OPTIMIZERS
from labhelpers.transfer.settings import TransferSettings

__all__ = [
    "WEIGHT_SLIDERS",
    "SIZE_CHOICES",
    "MAX_STEPS",
    "READOUT_FORMAT",
    "COLOR_CHOICES",
    "CSS_CLASSES",
    "default_weight",
    "PanelControls",
]


def default_weight(name: str) -> float:
    """The default of a loss weight of :class:`~labhelpers.transfer.settings.TransferSettings`."""
    return float({f.name: f.default for f in dataclasses.fields(TransferSettings)}[name])


#: The three loss-weight sliders: (key, label, default, smallest and largest power of ten, step
#: in powers of ten, CSS class). The label says what turning the weight up does to the picture.
WEIGHT_SLIDERS: tuple[tuple[str, str, float, float, float, float, str], ...] = (
    (
        "content_weight",
        "Content weight — more photo",
        default_weight("content_weight"),
        -2.0,
        2.0,
        0.25,
        "lab-content-weight",
    ),
    (
        "style_weight",
        "Style weight — more painting",
        default_weight("style_weight"),
        -1.0,
        4.0,
        0.25,
        "lab-style-weight",
    ),
    (
        "tv_weight",
        "Smoothness (TV) weight — fewer speckles",
        default_weight("tv_weight"),
        -3.0,
        2.0,
        0.25,
        "lab-tv-weight",
    ),
)
#: Longest sides (px) offered by the size menu; the default size is added if missing.
SIZE_CHOICES: tuple[int, ...] = (32, 64, 128, 192, 256, 384, 512)
#: The largest step count of the steps slider.
MAX_STEPS = 500
#: Slider readouts (d3-format, as ipywidgets 7 and 8 use it): 3 significant digits, never 1.00e+3.
READOUT_FORMAT = ".3r"
#: Colour-preservation choices: (label, value); "none" means ``preserve_color=None``.
COLOR_CHOICES: tuple[tuple[str, str], ...] = (
    ("none", "none"),
    ("luminance", "luminance"),
    ("histogram", "histogram"),
)


#: Widget attribute -> CSS class.
CSS_CLASSES: dict[str, str] = {
    "run_button": "lab-run",
    "stop_button": "lab-stop",
    "save_button": "lab-save",
    "result_button": "lab-show-result",
    "preview": "lab-preview",
    "loss_html": "lab-loss",
    "status": "lab-status",
    "progress": "lab-progress",
    "curves": "lab-curves",
    "weight_summary": "lab-weight-summary",
    "steps_slider": "lab-steps",
    "size_choice": "lab-size",
    "optimizer_choice": "lab-optimizer",
    "color_choice": "lab-color",
    "content_choice": "lab-content-choice",
    "style_choice": "lab-style-choice",
    "content_upload": "lab-content-upload",
    "style_upload": "lab-style-upload",
}


class PanelControls:
    """The panel's widgets, created and laid out from the settings a panel starts with.

    The widgets are attributes (``content_choice``, ``style_choice``, ``content_upload``,
    ``style_upload``, ``size_choice``, ``steps_slider``, ``optimizer_choice``, ``color_choice``,
    ``weight_sliders`` and the three ``*_weight_slider``, ``weight_summary``, ``run_button``,
    ``stop_button``, ``save_button``, ``progress``, ``status``, ``preview``, ``curves``,
    ``loss_html``; in Colab also ``content_name``, ``content_load``, ``style_name`` and
    ``style_load``); :attr:`widget` is the whole box. :meth:`connect` wires them to the actions.

    Args:
        settings: the settings to start from (size px, steps, optimiser, loss weights).
        content, style: the bundled pictures chosen at first (see :func:`labhelpers.list_images`).

    Raises:
        ImageError: ``content`` or ``style`` is not a bundled picture.
    """

    def __init__(self, settings: TransferSettings, content: str, style: str) -> None:
        import ipywidgets as widgets  # imported here: the rest of the package does not need it

        size, steps = settings.size, settings.steps
        wide = {"description_width": "initial"}
        names = {kind: list(list_images(kind)) for kind in ("content", "style")}
        for name, kind in ((content, "content"), (style, "style")):
            if name not in names[kind]:
                raise ImageError(
                    f"{name!r} is not a bundled {kind} image; choose one of {names[kind]}."
                )
        self.content_choice = widgets.Dropdown(
            options=names["content"],
            value=content,
            description="Content photo",
            style=wide,
            layout=widgets.Layout(width="330px"),
        )
        self.style_choice = widgets.Dropdown(
            options=names["style"],
            value=style,
            description="Style painting",
            style=wide,
            layout=widgets.Layout(width="330px"),
        )
        self.content_upload = widgets.FileUpload(
            accept="image/*", multiple=False, description="Upload photo"
        )
        self.style_upload = widgets.FileUpload(
            accept="image/*", multiple=False, description="Upload painting"
        )
        # In Colab, a box for a picture's file name or address and a Load button beside each
        # upload button: ipywidgets 7.7.1's FileUpload fails for files of 1 MB or more
        # (see labhelpers.images.sources).
        self.named: dict[str, list[Any]] = {"content": [], "style": []}
        if needs_name_box():
            for kind in self.named:
                box = widgets.Text(
                    placeholder="or its file name / https:// address",
                    layout=widgets.Layout(width="260px"),
                )
                load = widgets.Button(
                    description="Load",
                    icon="folder-open",
                    layout=widgets.Layout(width="80px"),
                    tooltip="Use the picture file named in the box (upload it with Colab's "
                    "Files sidebar first)",
                )
                box.add_class(f"lab-{kind}-name")
                load.add_class(f"lab-{kind}-load")
                setattr(self, f"{kind}_name", box)
                setattr(self, f"{kind}_load", load)
                self.named[kind] = [box, load]

        self.size_choice = widgets.Dropdown(
            options=[(f"{s} px", s) for s in sorted(set(SIZE_CHOICES) | {size})],
            value=size,
            description="Size",
            layout=widgets.Layout(width="150px"),
        )
        self.steps_slider = widgets.IntSlider(
            value=min(steps, MAX_STEPS),
            min=1,
            max=max(MAX_STEPS, steps),
            step=1,
            description="Steps",
            continuous_update=False,
        )
        buttons = {"description_width": "initial", "button_width": "90px"}
        # every registered optimiser, starting at the settings' one
        self.optimizer_choice = widgets.ToggleButtons(
            options=[(entry.label, entry.name) for entry in OPTIMIZERS.values()],
            value=settings.optimizer,
            description="Optimiser",
            style=buttons,
        )
        self.color_choice = widgets.ToggleButtons(
            options=list(COLOR_CHOICES),
            value="none",
            description="Keep photo colours",
            style=buttons,
        )

        # loss weights on a log scale: each notch multiplies the weight by 10**0.25 = 1.78
        self.weight_sliders: dict[str, Any] = {}
        for key, label, default, low, high, step, css in WEIGHT_SLIDERS:
            if default > 0:  # keep the default inside the range, whatever the defaults are
                low = min(low, math.floor(math.log10(default)))
                high = max(high, math.ceil(math.log10(default)))
            slider = widgets.FloatLogSlider(
                value=default,
                base=10,
                min=low,
                max=high,
                step=step,
                description=label,
                readout_format=READOUT_FORMAT,
                continuous_update=False,
                style=wide,
                layout=widgets.Layout(width="560px"),
            )
            slider.add_class(css)
            self.weight_sliders[key] = slider
        self.content_weight_slider = self.weight_sliders["content_weight"]
        self.style_weight_slider = self.weight_sliders["style_weight"]
        self.tv_weight_slider = self.weight_sliders["tv_weight"]
        self.weight_summary = widgets.HTML()

        self.run_button = widgets.Button(
            description="Run",
            button_style="success",
            icon="play",
            tooltip="Start the optimisation with the settings above",
        )
        self.stop_button = widgets.Button(
            description="Stop",
            button_style="danger",
            icon="stop",
            disabled=True,
            tooltip="End the run now and keep the best picture so far",
        )
        self.save_button = widgets.Button(
            description="Save",
            icon="save",
            disabled=True,
            tooltip="Save the picture to outputs/ (never overwrites a file)",
        )
        self.result_button = widgets.Button(
            description="Show result",
            icon="image",
            disabled=True,
            tooltip="Show the last run's picture again (after choosing another picture or size)",
        )
        self.progress = widgets.IntProgress(
            value=0, min=0, max=max(steps, 1), description=f"0/{steps}"
        )
        self.status = widgets.HTML()
        self.preview = widgets.Image(format="png", layout=widgets.Layout(width="320px"))
        self.curves = widgets.Image(format="png", layout=widgets.Layout(width="368px"))
        self.loss_html = widgets.HTML(value="<i>No run yet: the losses appear here.</i>")
        for attribute, css in CSS_CLASSES.items():
            getattr(self, attribute).add_class(css)

        self.widget = widgets.VBox(
            [
                widgets.HBox([self.content_choice, self.content_upload, *self.named["content"]]),
                widgets.HBox([self.style_choice, self.style_upload, *self.named["style"]]),
                widgets.HBox([self.size_choice, self.steps_slider]),
                widgets.HBox([self.optimizer_choice, self.color_choice]),
                self.content_weight_slider,
                self.style_weight_slider,
                self.tv_weight_slider,
                self.weight_summary,
                widgets.HBox(
                    [
                        self.run_button,
                        self.stop_button,
                        self.save_button,
                        self.result_button,
                        self.progress,
                    ]
                ),
                self.status,
                widgets.HBox([self.preview, self.curves]),
                self.loss_html,
            ]
        )
        self.widget.add_class("lab-style-transfer-panel")

    def connect(
        self,
        *,
        run: Callable[[], Any],
        stop: Callable[[], Any],
        save: Callable[[], Any],
        show_result: Callable[[], Any],
        upload: Callable[[str, Any], Any],
        weights_changed: Callable[[Any], Any],
        picture_changed: Callable[[Any], Any],
        load: Callable[[str], Any] | None = None,
    ) -> None:
        """Wire the widgets to the panel's actions.

        Args:
            run, stop, save, show_result: what the four buttons do (called without arguments).
            upload: ``upload(kind, value)`` with ``kind`` "content" or "style" and the
                ``FileUpload.value``.
            weights_changed: called with the change when a weight slider moves.
            picture_changed: called with the change when the pictures or the size change.
            load: ``load(kind)``, what a Load button beside a name box does (Colab only).
        """
        for slider in self.weight_sliders.values():
            slider.observe(weights_changed, names="value")
        for choice in (self.content_choice, self.style_choice, self.size_choice):
            choice.observe(picture_changed, names="value")
        self.content_upload.observe(lambda change: upload("content", change["new"]), names="value")
        self.style_upload.observe(lambda change: upload("style", change["new"]), names="value")
        for kind, (_box, button) in ((k, v) for k, v in self.named.items() if v and load):
            button.on_click(lambda _button, kind=kind: load(kind))
        self.run_button.on_click(lambda _button: run())
        self.stop_button.on_click(lambda _button: stop())
        self.save_button.on_click(lambda _button: save())
        self.result_button.on_click(lambda _button: show_result())

    def weights(self) -> dict[str, float]:
        """The loss weights the sliders show: ``{"content_weight": w, "style_weight": w, ...}``."""
        return {key: float(slider.value) for key, slider in self.weight_sliders.items()}
