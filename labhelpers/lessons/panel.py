r"""The style-transfer panel of lesson 5: sliders, image choice, Run/Stop, live preview, loss curves.

Built from core ipywidgets that exist in both ipywidgets 7.7 (Google Colab) and 8 (JupyterLab 4):
``FloatLogSlider``, ``IntSlider``, ``Dropdown``, ``ToggleButtons``, ``FileUpload``, ``Button``,
``Image``, ``HTML``, ``IntProgress`` and ``VBox``/``HBox``. Every widget carries a CSS class
(``lab-style-weight``, ``lab-run``, ``lab-preview``, ...) that the browser test selects by.

Everything a widget does is an ordinary method (:meth:`StyleTransferPanel.set_weights`,
:meth:`~StyleTransferPanel.start`, :meth:`~StyleTransferPanel.stop`,
:meth:`~StyleTransferPanel.wait`, :meth:`~StyleTransferPanel.save`,
:meth:`~StyleTransferPanel.handle_upload`, ...), so the tests drive the panel without a browser.

How Run and Stop work (and why)
-------------------------------
While a notebook cell runs, the kernel does not process widget events: a Stop click waits until
the cell has finished, which is too late. Polling for events from inside the loop
(``jupyter-ui-poll``) did not deliver the click in JupyterLab 4 / ipykernel 7. So by default
(**background mode**) Run starts the optimisation in a daemon ``threading.Thread`` and returns at
once; the kernel stays idle and free to receive the Stop click, which sets a
``threading.Event``. :meth:`labhelpers.transfer.run.StyleTransfer.run` polls that event
(``should_stop``) after every loss-and-gradient evaluation, so a run stops within one evaluation
(well under a second at lesson sizes) and returns the best picture so far, which stays in the
preview. Run is disabled while a run is going on; only one run at a time.

Google Colab has had trouble with widget updates sent from threads, so there (detected with
:func:`labhelpers.colab.in_colab`, or asked for with ``background=False``) the panel uses
**foreground mode**: Run optimises inside the button's handler, the preview still updates live
(updates from the kernel to the page are shown while it is busy), and the kernel's own *Interrupt*
(the stop button of the notebook, or Ctrl-C in a console) ends the run:
:meth:`~labhelpers.transfer.run.StyleTransfer.run` turns the ``KeyboardInterrupt`` into a normal
result holding the best picture. ``panel.run(wait=True)`` does the same from code in either mode;
the lesson notebook uses it so that it also runs from top to bottom without anyone clicking.

Targets are computed once per (content, style, size)
---------------------------------------------------
The panel keeps the :class:`~labhelpers.transfer.run.StyleTransfer` object of the last few
(content, style, size) choices. Weights, steps, optimiser and colour preservation are arguments of
:meth:`~labhelpers.transfer.run.StyleTransfer.run`, so moving a slider never recomputes the VGG16
features of the photo or the Gram matrices of the painting, and never retraces the compiled loss.
"""

from __future__ import annotations

import hashlib
import html
import io
import math
import threading
import time
import traceback
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from labhelpers import config
from labhelpers.transfer import run as _transfer
from labhelpers.images import DEFAULT_CONTENT, DEFAULT_STYLE, ImageError, list_images, load_image, save_image
from labhelpers.lessons.plots import image_to_png_bytes, plot_loss_curves

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure

    from labhelpers.network.extractor import FeatureExtractor
    from labhelpers.transfer.run import StyleTransfer, StyleTransferResult

__all__ = [
    "StyleTransferPanel",
    "parse_upload",
    "ratio_grid",
    "describe_ratio",
    "WEIGHT_SLIDERS",
    "SIZE_CHOICES",
    "MAX_STEPS",
]

#: The three loss-weight sliders: (key, label, default, smallest and largest power of ten, step
#: in powers of ten, CSS class). The label says what turning the weight up does to the picture.
WEIGHT_SLIDERS: tuple[tuple[str, str, float, float, float, float, str], ...] = (
    ("content_weight", "Content weight — more photo", _transfer.DEFAULT_CONTENT_WEIGHT, -2.0, 2.0, 0.25,
     "lab-content-weight"),
    ("style_weight", "Style weight — more painting", _transfer.DEFAULT_STYLE_WEIGHT, -1.0, 4.0, 0.25,
     "lab-style-weight"),
    ("tv_weight", "Smoothness (TV) weight — fewer speckles", _transfer.DEFAULT_TV_WEIGHT, -3.0, 2.0, 0.25,
     "lab-tv-weight"),
)
#: Longest sides (px) offered by the size menu; the default size is added if missing.
SIZE_CHOICES: tuple[int, ...] = (32, 64, 128, 192, 256, 384, 512)
#: The largest step count of the steps slider.
MAX_STEPS = 500
#: Format of the slider readouts (d3-format, as ipywidgets 7 and 8 use it): 3 significant digits in
#: plain decimal notation (10000, 316, 1.78, 0.0316), never an exponent like 1.00e+3.
READOUT_FORMAT = ".3r"
#: The preview is redrawn at most this often (seconds), and after the last step.
PREVIEW_INTERVAL = 0.2
#: The loss curves are redrawn at most this often during a run (seconds), and at the end.
CURVES_INTERVAL = 2.0
#: VGG16's style layers reach block5 (four 2x2 poolings): a picture's shorter side needs this many px.
MIN_SHORT_SIDE = 16
#: How many prepared (content, style, size) transfers the panel keeps.
CACHE_SIZE = 3
#: Dropdown values of uploaded pictures start with this.
UPLOAD_PREFIX = "upload:"
#: Colour-preservation choices: (label, value passed as ``preserve_color``).
COLOR_CHOICES: tuple[tuple[str, str], ...] = (("none", "none"), ("luminance", "luminance"),
                                              ("histogram", "histogram"))


def _fmt(value: float) -> str:
    """A weight for people: 3 significant digits, plain decimal notation (``316``, ``0.0316``, ``1``)."""
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    return np.format_float_positional(value, precision=3, unique=True, fractional=False, trim="-")


def describe_ratio(content_weight: float, style_weight: float) -> str:
    """One line for students: the style : content ratio and what it tends to give.

    Args:
        content_weight: weight of the (normalised) content term, >= 0.
        style_weight: weight of the (normalised) style term, >= 0.

    Returns:
        Plain text such as ``"style ÷ content = 10: photo and painting balanced"``.
    """
    if content_weight <= 0:
        return "content weight 0: the photo is ignored, only the painting's texture is made"
    ratio = style_weight / content_weight
    usual = _transfer.DEFAULT_STYLE_WEIGHT / _transfer.DEFAULT_CONTENT_WEIGHT
    # calibrated at 128-256 px, L-BFGS: at a thirtieth of the usual ratio the picture stays
    # photo-like, at a third of it brush strokes cover the photo
    if ratio < usual / 30:
        meaning = "mostly the photo, a hint of the painting"
    elif ratio < usual / 3:
        meaning = "photo and painting balanced"
    elif ratio <= usual * 3:
        meaning = "mostly the painting, the photo's layout still visible"
    else:
        meaning = "almost only the painting's texture"
    return f"style ÷ content = {_fmt(ratio)}: {meaning}"


# --------------------------------------------------------------------------------------------
# Uploads
# --------------------------------------------------------------------------------------------


def _as_bytes(content: Any) -> bytes:
    if isinstance(content, (bytes, bytearray, memoryview)):
        return bytes(content)
    if hasattr(content, "tobytes"):
        return bytes(content.tobytes())
    raise ValueError(f"the uploaded file's content is a {type(content).__name__}, not bytes")


def parse_upload(value: Any) -> list[tuple[str, bytes]]:
    """The files in a ``FileUpload.value``, for ipywidgets 7 and 8 alike.

    Args:
        value: ipywidgets 8: a tuple (or list) of dicts with keys ``name``, ``type``, ``size``,
            ``last_modified`` and ``content`` (a memoryview). ipywidgets 7: a dict
            ``{file name: {"metadata": {"name", "type", "size", "lastModified"}, "content": bytes}}``.
            An empty tuple/dict or None means nothing was uploaded.

    Returns:
        ``[(file name, file bytes), ...]`` in upload order (empty if nothing was uploaded).

    Raises:
        ValueError: the value has neither format.
    """
    if value is None:
        return []
    files: list[tuple[str, bytes]] = []
    if isinstance(value, Mapping):  # ipywidgets 7
        for key, item in value.items():
            if not isinstance(item, Mapping) or "content" not in item:
                raise ValueError(f"unexpected FileUpload value for {key!r}: expected a dict with 'content'")
            metadata = item.get("metadata") or {}
            name = str(metadata.get("name") or key)
            files.append((name, _as_bytes(item["content"])))
        return files
    if isinstance(value, (tuple, list)):  # ipywidgets 8
        for index, item in enumerate(value):
            if not isinstance(item, Mapping) or "content" not in item:
                raise ValueError(f"unexpected FileUpload value: item {index} is not a dict with 'content'")
            files.append((str(item.get("name") or f"upload-{index + 1}"), _as_bytes(item["content"])))
        return files
    raise ValueError(f"unexpected FileUpload value of type {type(value).__name__}")


# --------------------------------------------------------------------------------------------
# Loss curves as a picture
# --------------------------------------------------------------------------------------------


def _curves_png(history: Sequence[Mapping[str, Any]], title: str | None = None) -> bytes:
    """The loss curves of ``history`` as PNG bytes, drawn without pyplot (safe in a thread)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.6, 3.0), dpi=80, layout="constrained")
    FigureCanvasAgg(figure)
    plot_loss_curves(history, title=title, ax=figure.add_subplot(1, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _widgets() -> Any:
    import ipywidgets

    return ipywidgets


# --------------------------------------------------------------------------------------------
# The panel
# --------------------------------------------------------------------------------------------


class StyleTransferPanel:
    """Sliders, image choice, Run/Stop/Save and a live preview for Gatys style transfer.

    Show it by making it the last expression of a cell (or ``display(panel)``). The widgets are
    attributes (``content_weight_slider``, ``style_weight_slider``, ``tv_weight_slider``,
    ``run_button``, ``stop_button``, ``save_button``, ``preview``, ``loss_html``, ``status``,
    ``progress``, ``curves``, ...); :attr:`widget` is the whole panel.

    Args:
        content: the first content photo: a bundled name (see :func:`labhelpers.list_images`).
        style: the first style painting: a bundled name.
        size: longest side of the result in px (default 256, or 64 with ``LAB_FAST=1``).
        steps: loss-and-gradient evaluations per run (default 60, or 10 with ``LAB_FAST=1``).
        extractor: a :class:`~labhelpers.network.extractor.FeatureExtractor` to use; by default one is
            built from ``weights`` when the first run starts.
        weights: the VGG16 weight source when ``extractor`` is None (``"auto"``, ``"keras"``,
            ``"torchvision"``, ...; see :func:`labhelpers.network.extractor.build_feature_extractor`).
        background: True: Run optimises in a background thread, Stop works (the default outside
            Colab). False: Run optimises in the foreground, the kernel's Interrupt stops it (the
            default in Colab). None: choose by :func:`labhelpers.colab.in_colab`.
        output_dir: where Save writes PNG files (default ``outputs/`` in the repository folder,
            or in the current folder when the package is not inside the repository).

    Attributes:
        result: the :class:`~labhelpers.transfer.run.StyleTransferResult` of the last finished run
            (None before the first).
        image: the picture in the preview, float32 (H, W, 3) in [0, 1].
        transfers_built: how many :class:`~labhelpers.transfer.run.StyleTransfer` objects (sets of
            targets) the panel has created; moving a slider never increases it.
        last_error: the message of the last problem shown in the status line, or None.
    """

    def __init__(self, content: str = DEFAULT_CONTENT, style: str = DEFAULT_STYLE, size: int | None = None,
                 steps: int | None = None, extractor: "FeatureExtractor | None" = None, weights: str = "auto",
                 background: bool | None = None, output_dir: str | Path | None = None):
        widgets = _widgets()
        if background is None:
            from labhelpers.colab import in_colab

            background = not in_colab()
        self.background = bool(background)
        self.extractor = extractor
        self.weights = weights
        self.output_dir = Path(output_dir) if output_dir is not None else self._default_output_dir()
        self.result: "StyleTransferResult | None" = None
        self.image: np.ndarray | None = None
        self.transfers_built = 0
        self.last_error: str | None = None
        self._transfers: "OrderedDict[tuple, StyleTransfer]" = OrderedDict()
        self._uploads: dict[str, dict[str, tuple[str, np.ndarray, str]]] = {"content": {}, "style": {}}
        self._result_callbacks: list[Callable[[Any], Any]] = []
        self._stop_event = threading.Event()
        self._done = threading.Event()
        self._done.set()
        self._lock = threading.Lock()
        self._running = False
        self._thread: threading.Thread | None = None
        self._run_info: dict[str, Any] = {}

        size = _transfer.default_size() if size is None else int(size)
        steps = _transfer.default_steps() if steps is None else int(steps)
        wide = {"description_width": "initial"}

        # ---- pictures
        content_names = list(list_images("content"))
        style_names = list(list_images("style"))
        for name, names, kind in ((content, content_names, "content"), (style, style_names, "style")):
            if name not in names:
                raise ImageError(f"{name!r} is not a bundled {kind} image; choose one of {names}.")
        self.content_choice = widgets.Dropdown(options=content_names, value=content, description="Content photo",
                                               style=wide, layout=widgets.Layout(width="330px"))
        self.style_choice = widgets.Dropdown(options=style_names, value=style, description="Style painting",
                                             style=wide, layout=widgets.Layout(width="330px"))
        self.content_upload = widgets.FileUpload(accept="image/*", multiple=False, description="Upload photo")
        self.style_upload = widgets.FileUpload(accept="image/*", multiple=False, description="Upload painting")

        # ---- run settings
        sizes = sorted(set(SIZE_CHOICES) | {size})
        self.size_choice = widgets.Dropdown(options=[(f"{s} px", s) for s in sizes], value=size,
                                            description="Size", layout=widgets.Layout(width="150px"))
        self.steps_slider = widgets.IntSlider(value=min(max(steps, 1), MAX_STEPS), min=1, max=max(MAX_STEPS, steps),
                                              step=1, description="Steps", continuous_update=False)
        buttons = {"description_width": "initial", "button_width": "90px"}
        self.optimizer_choice = widgets.ToggleButtons(options=[("L-BFGS", "lbfgs"), ("Adam", "adam")],
                                                      value="lbfgs", description="Optimiser", style=buttons)
        self.color_choice = widgets.ToggleButtons(options=list(COLOR_CHOICES), value="none",
                                                  description="Keep photo colours", style=buttons)

        # ---- loss weights (log scale: each notch multiplies the weight by 10**0.25 = 1.78)
        self._weights: dict[str, float] = {}
        self.weight_sliders: dict[str, Any] = {}
        for key, label, default, low, high, step, css in WEIGHT_SLIDERS:
            if default > 0:  # keep the default inside the range, whatever transfer.py's defaults are
                low, high = min(low, math.floor(math.log10(default))), max(high, math.ceil(math.log10(default)))
            slider = widgets.FloatLogSlider(value=default, base=10, min=low, max=high, step=step, description=label,
                                            readout_format=READOUT_FORMAT, continuous_update=False, style=wide,
                                            layout=widgets.Layout(width="560px"))
            slider.add_class(css)
            self.weight_sliders[key] = slider
            self._weights[key] = float(slider.value)
        self.content_weight_slider = self.weight_sliders["content_weight"]
        self.style_weight_slider = self.weight_sliders["style_weight"]
        self.tv_weight_slider = self.weight_sliders["tv_weight"]
        self.weight_summary = widgets.HTML()

        # ---- actions and output
        self.run_button = widgets.Button(description="Run", button_style="success", icon="play",
                                         tooltip="Start the optimisation with the settings above")
        self.stop_button = widgets.Button(description="Stop", button_style="danger", icon="stop", disabled=True,
                                          tooltip="End the run now and keep the best picture so far")
        self.save_button = widgets.Button(description="Save", icon="save", disabled=True,
                                          tooltip="Save the picture to outputs/ (never overwrites a file)")
        self.progress = widgets.IntProgress(value=0, min=0, max=max(steps, 1), description=f"0/{steps}")
        self.status = widgets.HTML()
        self.preview = widgets.Image(format="png", layout=widgets.Layout(width="320px"))
        self.curves = widgets.Image(format="png", layout=widgets.Layout(width="368px"))
        self.loss_html = widgets.HTML(value="<i>No run yet: the losses appear here.</i>")

        for widget, css in ((self.run_button, "lab-run"), (self.stop_button, "lab-stop"),
                            (self.save_button, "lab-save"), (self.preview, "lab-preview"),
                            (self.loss_html, "lab-loss"), (self.status, "lab-status"),
                            (self.progress, "lab-progress"), (self.curves, "lab-curves"),
                            (self.weight_summary, "lab-weight-summary"), (self.steps_slider, "lab-steps"),
                            (self.size_choice, "lab-size"), (self.optimizer_choice, "lab-optimizer"),
                            (self.color_choice, "lab-color"), (self.content_choice, "lab-content-choice"),
                            (self.style_choice, "lab-style-choice"), (self.content_upload, "lab-content-upload"),
                            (self.style_upload, "lab-style-upload")):
            widget.add_class(css)

        # ---- wiring: every handler is a plain method
        for slider in self.weight_sliders.values():
            slider.observe(self._on_weight_change, names="value")
        self.content_choice.observe(self._on_picture_change, names="value")
        self.style_choice.observe(self._on_picture_change, names="value")
        self.size_choice.observe(self._on_picture_change, names="value")
        self.content_upload.observe(lambda change: self.handle_upload("content", change["new"]), names="value")
        self.style_upload.observe(lambda change: self.handle_upload("style", change["new"]), names="value")
        self.run_button.on_click(lambda _button: self.start())
        self.stop_button.on_click(lambda _button: self.stop())
        self.save_button.on_click(lambda _button: self.save())

        self.widget = widgets.VBox([
            widgets.HBox([self.content_choice, self.content_upload]),
            widgets.HBox([self.style_choice, self.style_upload]),
            widgets.HBox([self.size_choice, self.steps_slider]),
            widgets.HBox([self.optimizer_choice, self.color_choice]),
            self.content_weight_slider,
            self.style_weight_slider,
            self.tv_weight_slider,
            self.weight_summary,
            widgets.HBox([self.run_button, self.stop_button, self.save_button, self.progress]),
            self.status,
            widgets.HBox([self.preview, self.curves]),
            self.loss_html,
        ])
        self.widget.add_class("lab-style-transfer-panel")
        self._update_summary()
        self._show_content_preview()
        mode = ("Run works in the background: Stop ends a run." if self.background else
                "Run works in the foreground: use the notebook's Interrupt (■) to end a run early.")
        self._set_status(f"Ready. {mode}")

    # ---- display ----------------------------------------------------------------------------

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    @staticmethod
    def _default_output_dir() -> Path:
        root = config.REPO_ROOT
        if (root / "labhelpers").is_dir() and (root / "notebooks").is_dir():
            return root / "outputs"
        return Path.cwd() / "outputs"

    # ---- settings ---------------------------------------------------------------------------

    def set_weights(self, content_weight: float | None = None, style_weight: float | None = None,
                    tv_weight: float | None = None) -> dict[str, float]:
        """Move the weight sliders (as a student would); None leaves a slider where it is.

        Values outside a slider's range are clipped to it by the slider.

        Returns:
            The weights the next run will use, ``{"content_weight", "style_weight", "tv_weight"}``.
        """
        for key, value in (("content_weight", content_weight), ("style_weight", style_weight),
                           ("tv_weight", tv_weight)):
            if value is not None:
                self.weight_sliders[key].value = float(value)
        return dict(self._weights)

    def readouts(self) -> dict[str, str]:
        """The weights as the panel's texts show them, e.g. ``{"style_weight": "31.6", ...}``.

        3 significant digits like the sliders' own readouts (which may add trailing zeros:
        ``1.00``).
        """
        return {key: _fmt(slider.value) for key, slider in self.weight_sliders.items()}

    def options(self) -> dict[str, Any]:
        """The settings the next run will use.

        Returns:
            A dict with ``content`` and ``style`` (bundled names, or ``"upload:<file name>"``),
            ``size`` (px), and the keyword arguments of
            :meth:`labhelpers.transfer.run.StyleTransfer.run`: ``steps``, ``content_weight``,
            ``style_weight``, ``tv_weight``, ``optimizer``, ``preserve_color`` (None,
            ``"luminance"`` or ``"histogram"``).
        """
        color_mode = self.color_choice.value
        return {
            "content": self.content_choice.value,
            "style": self.style_choice.value,
            "size": int(self.size_choice.value),
            "steps": int(self.steps_slider.value),
            **self._weights,
            "optimizer": self.optimizer_choice.value,
            "preserve_color": None if color_mode == "none" else color_mode,
        }

    def _on_weight_change(self, change: Mapping[str, Any]) -> None:
        """A weight slider moved: remember the value for the next run and update the summary."""
        for key, slider in self.weight_sliders.items():
            if slider is change["owner"]:
                self._weights[key] = float(change["new"])
        self._update_summary()

    def _update_summary(self) -> None:
        weights = self._weights
        self.weight_summary.value = (
            f"Next run: content {_fmt(weights['content_weight'])}, style {_fmt(weights['style_weight'])}, "
            f"TV {_fmt(weights['tv_weight'])} &nbsp;·&nbsp; "
            f"{html.escape(describe_ratio(weights['content_weight'], weights['style_weight']))}")

    def _on_picture_change(self, _change: Mapping[str, Any] | None = None) -> None:
        if not self.running:
            self._show_content_preview()

    def _picture(self, kind: str, choice: str, size: int) -> np.ndarray:
        """The chosen content or style picture, longest side at most ``size``."""
        if choice.startswith(UPLOAD_PREFIX):
            _name, picture, _digest = self._uploads[kind][choice]
            return load_image(picture, max_size=size)
        return load_image(choice, max_size=size)

    def _show_content_preview(self) -> None:
        """Before a run, the preview shows the content photo at the chosen size."""
        try:
            picture = self._picture("content", self.content_choice.value, int(self.size_choice.value))
        except ImageError as exc:
            self._set_error(str(exc))
            return
        self._set_preview(picture)

    # ---- uploads ----------------------------------------------------------------------------

    def handle_upload(self, kind: str, value: Any) -> str | None:
        """Use an uploaded picture as the content photo (``kind="content"``) or the style painting.

        Args:
            kind: ``"content"`` or ``"style"``.
            value: a ``FileUpload.value`` in the ipywidgets 7 or 8 format (see :func:`parse_upload`).

        Returns:
            The new menu entry (``"upload:<file name>"``), now selected, or None when nothing was
            uploaded or the file is not a usable picture (the status line then says why; nothing
            is raised).
        """
        if kind not in ("content", "style"):
            raise ValueError(f"kind must be 'content' or 'style', not {kind!r}")
        try:
            files = parse_upload(value)
        except ValueError as exc:
            self._set_error(f"The upload could not be read ({exc}). Try uploading the file again.")
            return None
        if not files:
            return None
        name, data = files[0]
        try:
            picture = load_image(data)
        except ImageError as exc:
            self._set_error(f"The uploaded file {name!r} cannot be used as the {kind} picture: {exc}")
            return None
        key = f"{UPLOAD_PREFIX}{name}"
        self._uploads[kind][key] = (name, picture, hashlib.sha1(data).hexdigest())
        choice = self.content_choice if kind == "content" else self.style_choice
        options = [option for option in self._option_values(choice) if option[1] != key]
        choice.options = options + [(f"uploaded: {name}", key)]
        choice.value = key
        self._set_status(f"Using the uploaded {kind} picture {html.escape(name)!s} "
                         f"({picture.shape[1]}x{picture.shape[0]} px).")
        return key

    @staticmethod
    def _option_values(dropdown: Any) -> list[tuple[str, str]]:
        labels = list(getattr(dropdown, "_options_labels", []) or [])
        values = list(getattr(dropdown, "_options_values", []) or [])
        if len(labels) == len(values) and labels:
            return list(zip(labels, values))
        return [(str(option), str(option)) for option in dropdown.options]

    # ---- the prepared transfers ---------------------------------------------------------------

    def _source_key(self, kind: str, choice: str) -> tuple:
        if choice.startswith(UPLOAD_PREFIX):
            return (kind, "upload", self._uploads[kind][choice][2])
        return (kind, "bundled", choice)

    def transfer_for(self, options: Mapping[str, Any] | None = None) -> "StyleTransfer":
        """The :class:`~labhelpers.transfer.run.StyleTransfer` for the chosen pictures and size.

        It is built (VGG16 targets computed) only the first time a (content, style, size)
        combination is used; later calls, whatever the weights or steps, return the same object.
        """
        options = self.options() if options is None else options
        key = (self._source_key("content", options["content"]), self._source_key("style", options["style"]),
               int(options["size"]))
        cached = self._transfers.get(key)
        if cached is not None:
            self._transfers.move_to_end(key)
            return cached
        if self.extractor is None:
            from labhelpers.network.extractor import build_feature_extractor

            self._set_status("Loading the VGG16 network ...")
            self.extractor = build_feature_extractor(self.weights, verbose=False)
        self._set_status("Computing the targets (VGG16 features of the photo, Gram matrices of the painting) ...")
        size = int(options["size"])
        pictures = {kind: self._picture(kind, options[kind], size) for kind in ("content", "style")}
        for kind, picture in pictures.items():
            height, width = picture.shape[:2]
            short = round(min(height, width) * size / max(height, width))
            if short < MIN_SHORT_SIDE:
                name = self._name_for_file(kind, options[kind], keep_suffix=True)
                raise ValueError(
                    f"At {size} px the {kind} picture {name!r} ({width}x{height}) would be only {short} px on its "
                    f"shorter side; VGG16 needs at least {MIN_SHORT_SIDE}. Choose a bigger size or a less "
                    "elongated picture.")
        built = _transfer.StyleTransfer(pictures["content"], pictures["style"], size=size, extractor=self.extractor)
        self.transfers_built += 1
        self._transfers[key] = built
        while len(self._transfers) > CACHE_SIZE:
            self._transfers.popitem(last=False)
        return built

    # ---- running ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while a run is going on."""
        return self._running

    def on_result(self, callback: Callable[["StyleTransferResult | None"], Any]) -> None:
        """Call ``callback(result)`` whenever a run ends (with None if it failed to start).

        In background mode the callback runs in the optimisation thread.
        """
        self._result_callbacks.append(callback)

    def start(self) -> "StyleTransferResult | None":
        """What the Run button does: start a run in the background (or foreground) mode.

        Never raises: problems (a run already going on, a picture that cannot be used, missing
        weights) are shown in the status line.

        Returns:
            None in background mode (the run goes on; see :meth:`wait`); in foreground mode the
            result when the run has ended (None if it could not run).
        """
        if self.running:
            self._set_status("A run is already going on: press Stop first (or wait for it to end).")
            return None
        try:
            return self.run(wait=not self.background)
        except Exception:  # noqa: BLE001 - already shown in the status line by _execute
            return None

    def run(self, wait: bool = False) -> "StyleTransferResult | None":
        """Run style transfer with the current settings.

        Args:
            wait: False: start a background thread and return at once (Stop / :meth:`stop` ends
                it; :meth:`wait` waits for it). True: optimise here, in the calling thread, and
                return the result; the kernel's Interrupt (Ctrl-C) ends the run early and the
                best picture so far is returned (``result.stopped == "interrupt"``).

        Returns:
            With ``wait=True`` the :class:`~labhelpers.transfer.run.StyleTransferResult` (None if the
            run was interrupted before it began); with ``wait=False`` None.

        Raises:
            RuntimeError: a run is already going on.
            ImageError, ValueError, labhelpers.network.weights.WeightsError: with ``wait=True`` only, when
                the run cannot start (the status line shows the message too).
        """
        with self._lock:
            if self._running:
                raise RuntimeError("A run is already going on; press Stop (or call panel.stop()) first.")
            self._running = True
            self._done.clear()
        self._stop_event.clear()
        options = self.options()
        self.run_button.disabled = True
        self.save_button.disabled = True
        self.stop_button.disabled = not (self.background and not wait)
        self.progress.max = options["steps"]
        self.progress.value = 0
        self.progress.description = f"0/{options['steps']}"
        if wait:
            return self._execute(options, raise_errors=True)
        self._thread = threading.Thread(target=self._execute, args=(options, False), daemon=True,
                                        name="style-transfer-panel")
        self._thread.start()
        return None

    def stop(self) -> None:
        """What the Stop button does: ask the current run to end after its current evaluation.

        The run keeps the best picture so far (``result.stopped == "stop"``). Does nothing when
        no run is going on.
        """
        if self._running:
            self._stop_event.set()
            self._set_status("Stopping after the current step ...")

    def wait(self, timeout: float | None = None) -> "StyleTransferResult | None":
        """Wait until the current run (if any) has ended and return the panel's last result.

        Raises:
            TimeoutError: the run is still going after ``timeout`` seconds.
        """
        if not self._done.wait(timeout):
            raise TimeoutError(f"The run did not end within {timeout} s; call panel.stop() to end it.")
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        return self.result

    def _execute(self, options: dict[str, Any], raise_errors: bool) -> "StyleTransferResult | None":
        """One run from start to end: prepare (or reuse) the transfer, optimise, show the result."""
        result = None
        try:
            transfer = self.transfer_for(options)
            started = time.perf_counter()
            self._run_info = {"steps": options["steps"], "last_preview": -math.inf, "last_curves": -math.inf,
                              "history": [], "options": options}
            where = "in the background" if threading.current_thread() is not threading.main_thread() else "here"
            self._set_status(f"Running {where}: {options['steps']} steps at {options['size']} px "
                             f"({'L-BFGS' if options['optimizer'] == 'lbfgs' else 'Adam'}) ...")
            result = transfer.run(steps=options["steps"], content_weight=options["content_weight"],
                                  style_weight=options["style_weight"], tv_weight=options["tv_weight"],
                                  optimizer=options["optimizer"], preserve_color=options["preserve_color"],
                                  callback=self._on_step, callback_every=1, should_stop=self._stop_event.is_set)
            self._show_result(result, options)
        except KeyboardInterrupt:
            self._set_status("Interrupted before the optimisation began; nothing to show yet.")
        except Exception as exc:  # noqa: BLE001 - shown to the student instead of lost in a thread
            message = str(exc) or type(exc).__name__
            if not isinstance(exc, (ImageError, ValueError)) and type(exc).__name__ != "WeightsError":
                message = f"{type(exc).__name__}: {message}"
                traceback.print_exc()
            self._set_error(f"The run could not finish: {message}")
            if raise_errors:
                raise
        finally:
            self._finish_run()
            for callback in list(self._result_callbacks):
                try:
                    callback(result)
                except Exception:  # noqa: BLE001 - a broken callback must not break the panel
                    traceback.print_exc()
        return result

    def _finish_run(self) -> None:
        with self._lock:
            self._running = False
            self._done.set()
        self.run_button.disabled = False
        self.stop_button.disabled = True
        self.save_button.disabled = self.image is None

    def _on_step(self, step: int, image: np.ndarray, record: Mapping[str, Any]) -> None:
        """Called by the optimiser after every evaluation: progress, losses, preview (throttled)."""
        info = self._run_info
        info["history"].append(dict(record))
        steps = info["steps"]
        self.progress.value = min(step, self.progress.max)
        self.progress.description = f"{step}/{steps}"
        now = time.perf_counter()
        if now - info["last_preview"] >= PREVIEW_INTERVAL or step >= steps:
            info["last_preview"] = now
            self._set_preview(image)
            self._show_losses(record, info["options"], step, steps)
        if now - info["last_curves"] >= CURVES_INTERVAL:
            info["last_curves"] = now
            self._draw_curves(info["history"])

    def _show_result(self, result: "StyleTransferResult", options: Mapping[str, Any]) -> None:
        self.result = result
        self._set_preview(result.image)
        if result.history:
            self._show_losses(result.final, options, len(result.history), options["steps"])
            self._draw_curves(result.history)
        self.progress.value = min(len(result.history), self.progress.max)
        self.progress.description = f"{len(result.history)}/{options['steps']}"
        steps_done = len(result.history)
        best = f"best picture from step {result.best_step}" if result.best_step is not None else "the starting picture"
        if result.stopped is None:
            text = f"Done: {steps_done} steps in {result.seconds:.1f} s; showing the {best}."
        elif result.stopped == "stop":
            text = f"Stopped after {steps_done} steps ({result.seconds:.1f} s); showing the {best}."
        elif result.stopped == "interrupt":
            text = f"Interrupted after {steps_done} steps ({result.seconds:.1f} s); showing the {best}."
        else:
            text = html.escape(result.message)
        self._set_status(text)

    # ---- output widgets -----------------------------------------------------------------------

    def _set_preview(self, image: np.ndarray) -> None:
        self.image = np.asarray(image, dtype=np.float32)
        self.preview.value = image_to_png_bytes(self.image)

    def _show_losses(self, record: Mapping[str, Any], options: Mapping[str, Any], step: int, steps: int) -> None:
        self.loss_html.value = (
            f"<b>step {step}/{steps}</b> &nbsp; total <b>{record['total']:.4g}</b> = "
            f"content {record['content']:.4g} + style {record['style']:.4g} + TV {record['tv']:.4g}"
            f"<br><small>weights used: content {_fmt(options['content_weight'])}, "
            f"style {_fmt(options['style_weight'])}, TV {_fmt(options['tv_weight'])}; "
            f"{options['size']} px, {options['optimizer']}, VGG16 weights: "
            f"{html.escape(str(getattr(self.extractor, 'source', '?')))}</small>")

    def _draw_curves(self, history: Sequence[Mapping[str, Any]]) -> None:
        if history:
            try:
                self.curves.value = _curves_png(history)
            except Exception:  # noqa: BLE001 - a plotting hiccup must not end the run
                traceback.print_exc()

    def _set_status(self, text: str) -> None:
        """Show an HTML-safe message in the status line."""
        self.status.value = text

    def _set_error(self, message: str) -> None:
        self.last_error = message
        self.status.value = f"<span style='color:#b00020'><b>Problem:</b> {html.escape(message)}</span>"

    # ---- saving -------------------------------------------------------------------------------

    def save(self, path: str | Path | None = None) -> Path | None:
        """What the Save button does: write the picture in the preview to a PNG file.

        Args:
            path: the file; default ``<output_dir>/<content>-in-<style>.png``. An existing file is
                never replaced: the picture goes to ``name-1.png``, ``name-2.png``, ... instead.

        Returns:
            The path written (also shown in the status line), or None if there is no result yet
            or the file could not be written (the status line says why).
        """
        if self.result is None or self.image is None:
            self._set_error("Nothing to save yet: press Run first.")
            return None
        if path is None:
            options = self.result.options
            content = self._name_for_file("content", self._run_info.get("options", {}).get("content", "result"))
            style = self._name_for_file("style", self._run_info.get("options", {}).get("style", "style"))
            path = self.output_dir / f"{content}-in-{style}-{options.get('size', 'x')}px.png"
        try:
            written = save_image(self.image, path)
        except ImageError as exc:
            self._set_error(str(exc))
            return None
        self._set_status(f"Saved to <code>{html.escape(str(written))}</code>")
        return written

    def _name_for_file(self, kind: str, choice: str, keep_suffix: bool = False) -> str:
        name = self._uploads[kind][choice][0] if choice in self._uploads[kind] else choice
        if keep_suffix:
            return str(name)
        stem = Path(str(name)).stem
        return "".join(c if c.isalnum() or c in "-_" else "_" for c in stem) or kind


# --------------------------------------------------------------------------------------------
# The closing grid of lesson 5
# --------------------------------------------------------------------------------------------


def ratio_grid(content: Any = DEFAULT_CONTENT, style: Any = DEFAULT_STYLE,
               style_weights: Iterable[float] | None = None, *, content_weight: float = 1.0,
               size: int | None = None, steps: int | None = None, extractor: "FeatureExtractor | None" = None,
               weights: str = "auto", transfer: "StyleTransfer | None" = None, picture_size: float = 2.4,
               **run_options: Any) -> tuple["Figure", list["StyleTransferResult"]]:
    """Style transfer at several style : content ratios, side by side with the photo and painting.

    The targets are computed once (one :class:`~labhelpers.transfer.run.StyleTransfer`) and the
    optimisation is run once per style weight, each time from the same starting picture.

    Args:
        content, style: the pictures (anything :func:`labhelpers.load_image` accepts).
        style_weights: the style weights to compare (with ``content_weight`` fixed); default a
            hundredth of, a tenth of and the usual ratio (``transfer.DEFAULT_STYLE_WEIGHT``):
            from photo-like to painted.
        content_weight: the content weight of every run.
        size: longest side in px (default 128, or 48 with ``LAB_FAST=1``: a grid is for comparing).
        steps: evaluations per run (default 40, or 5 with ``LAB_FAST=1``).
        extractor, weights: where VGG16 comes from (see :class:`~labhelpers.transfer.run.StyleTransfer`).
        transfer: a prepared transfer to reuse instead (its pictures and size are used;
            ``content``, ``style``, ``size``, ``extractor`` and ``weights`` are then ignored).
        picture_size: height of each picture in inches.
        **run_options: more keyword arguments for :meth:`~labhelpers.transfer.run.StyleTransfer.run`
            (``tv_weight``, ``optimizer``, ``preserve_color``, ...).

    Returns:
        ``(figure, results)``: the matplotlib figure (photo, painting, then one picture per
        style weight, titled with its ratio) and the results in the order of ``style_weights``.
    """
    from labhelpers.lessons.plots import image_grid

    if style_weights is None:
        usual = _transfer.DEFAULT_STYLE_WEIGHT / _transfer.DEFAULT_CONTENT_WEIGHT * content_weight
        style_weights = (usual / 100, usual / 10, usual)
    style_weights = [float(w) for w in style_weights]
    if not style_weights:
        raise ValueError("style_weights is empty; give at least one, e.g. (1, 10, 100).")
    fast = config.fast_mode()
    if transfer is None:
        size = (48 if fast else 128) if size is None else int(size)
        transfer = _transfer.StyleTransfer(content, style, size=size, extractor=extractor, weights=weights)
    steps = (5 if fast else 40) if steps is None else int(steps)
    results = [transfer.run(steps=steps, content_weight=content_weight, style_weight=w, **run_options)
               for w in style_weights]
    from labhelpers.images import resize_to

    shape = transfer.content.shape[:2]
    pictures = [transfer.content, resize_to(transfer.style_sources[0], max(shape))]
    titles = ["photo (content)", "painting (style)"]
    for weight, result in zip(style_weights, results):
        pictures.append(result.image)
        ratio = weight / content_weight if content_weight > 0 else math.inf
        titles.append(f"style ÷ content = {_fmt(ratio)}")
    figure = image_grid(pictures, titles=titles, size=picture_size,
                        suptitle=f"{steps} steps at {transfer.size} px: more style weight, more painting")
    return figure, results
