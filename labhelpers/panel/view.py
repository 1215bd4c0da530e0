r"""The style-transfer panel of the last lesson: sliders, image choice, Run/Stop/Save, live
preview, loss curves.

Built from core ipywidgets that exist in both ipywidgets 7.7 (Google Colab) and 8 (JupyterLab 4):
``FloatLogSlider``, ``IntSlider``, ``Dropdown``, ``ToggleButtons``, ``FileUpload``, ``Button``,
``Image``, ``HTML``, ``IntProgress`` and ``VBox``/``HBox``. Every widget carries a CSS class
(``lab-style-weight``, ``lab-run``, ``lab-preview``, ...) that the browser test selects by.

This module is the view: it builds the widgets, reads them into a
:class:`~labhelpers.transfer.settings.TransferSettings` and shows what the
:class:`~labhelpers.panel.runner.TransferRunner` reports. The runner does the work (prepared
targets, the background thread and Stop, foreground mode for Colab, preview throttling); see
:mod:`labhelpers.panel.runner` for how Run and Stop work and why.

Everything a widget does is an ordinary method (:meth:`StyleTransferPanel.set_weights`,
:meth:`~StyleTransferPanel.start`, :meth:`~StyleTransferPanel.stop`,
:meth:`~StyleTransferPanel.wait`, :meth:`~StyleTransferPanel.save`,
:meth:`~StyleTransferPanel.handle_upload`, ...), so the tests drive the panel without a browser.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from labhelpers import config
from labhelpers.cli import safe_file_stem  # the one file-name cleaner
from labhelpers.images import DEFAULT_CONTENT, DEFAULT_STYLE, ImageError, save_image
from labhelpers.images.sources import load_named_picture
from labhelpers.lessons.common.figures import format_weight, loss_curves_png
from labhelpers.lessons.common.pictures import image_to_png_bytes
from labhelpers.network.layers import min_side_px
from labhelpers.panel.controls import PanelControls, default_weight
from labhelpers.panel.runner import RunEvents, RunRequest, TransferRunner, status_line
from labhelpers.panel.sources import PictureSources
from labhelpers.transfer.settings import TransferSettings

#: Evaluations of the panel's default Run (normal, ``LAB_FAST``): at 256 px auto coarse-to-fine
#: runs 14 at 128 px and 7 at 256 px, 10.5 tutorial-step times of work (the target is 15 with
#: the overhead).
PANEL_STEPS, PANEL_FAST_STEPS = 21, 10

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from labhelpers.network.extractor import FeatureExtractor

__all__ = [
    "StyleTransferPanel",
    "describe_ratio",
    "default_save_path",
    "PANEL_STEPS",
    "PANEL_FAST_STEPS",
]


def describe_ratio(content_weight: float, style_weight: float) -> str:
    """One line for students: the style : content ratio (weights >= 0) and what it tends
    to give."""
    if content_weight <= 0:
        return "content weight 0: the photo is ignored, only the painting's texture is made"
    ratio = style_weight / content_weight
    usual = default_weight("style_weight") / default_weight("content_weight")
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
    return f"style ÷ content = {format_weight(ratio)}: {meaning}"


def default_save_path(output_dir: Path, pictures: "PictureSources", request: RunRequest) -> Path:
    """Where Save writes a run's picture: ``<output_dir>/<content>-in-<style>-<size>px.png``."""
    content, style = (
        pictures.display_name(kind, key)
        for kind, key in (("content", request.content_key), ("style", request.style_key))
    )
    return (
        Path(output_dir)
        / f"{safe_file_stem(content)}-in-{safe_file_stem(style)}-{request.settings.size}px.png"
    )


def _default_output_dir() -> Path:
    root = config.REPO_ROOT
    return (
        root / "outputs"
        if (root / "labhelpers").is_dir() and (root / "notebooks").is_dir()
        else Path.cwd() / "outputs"
    )


class _PanelEvents(RunEvents):
    """Shows what the runner reports in the panel's widgets (called from the run's thread)."""

    def __init__(self, panel: "StyleTransferPanel"):
        self.panel = panel

    def started(self, request: RunRequest, background: bool) -> None:
        p, steps = self.panel, request.settings.steps
        p.controls.run_button.disabled = p.controls.save_button.disabled = True
        p.controls.result_button.disabled = True
        p.controls.stop_button.disabled = not background
        p.controls.progress.max, p.controls.progress.value, p.controls.progress.description = (
            steps,
            0,
            f"0/{steps}",
        )

    def status(self, text: str) -> None:
        self.panel.controls.status.value = html.escape(text)

    def error(self, message: str) -> None:
        self.panel.show_error(message)

    def progress(self, step: int, steps: int) -> None:
        self.panel.controls.progress.value = min(step, self.panel.controls.progress.max)
        self.panel.controls.progress.description = f"{step}/{steps}"

    def preview(self, step: int, steps: int, image: np.ndarray, record: Mapping[str, Any]) -> None:
        self.panel.show_picture(image)
        running = self.panel.runner.current_request  # the run's own settings, not the sliders'
        self.panel.controls.loss_html.value = self.panel.loss_text(
            record, step, steps, running.settings if running is not None else None
        )

    def curves(self, history: Sequence[Mapping[str, Any]]) -> None:
        try:
            self.panel.controls.curves.value = loss_curves_png(history)
        except Exception:  # noqa: BLE001 - a plotting hiccup must not end the run
            import traceback

            traceback.print_exc()

    def finished(self, result: Any, request: RunRequest) -> None:
        self.panel.show_picture(result.image)
        steps = len(result.history)
        if result.history:
            self.panel.controls.loss_html.value = self.panel.loss_text(
                result.final, steps, request.settings.steps, request.settings
            )
        self.progress(steps, request.settings.steps)
        self.panel.controls.status.value = html.escape(status_line(result))

    def ended(self) -> None:
        p = self.panel
        p.controls.run_button.disabled, p.controls.stop_button.disabled = False, True
        p.controls.save_button.disabled = p.controls.result_button.disabled = p.result is None


class StyleTransferPanel:
    """Sliders, image choice, Run/Stop/Save and a live preview for Gatys style transfer.

    Show it by making it the last expression of a cell (or ``display(panel)``). The widgets are
    attributes (``content_weight_slider``, ``style_weight_slider``, ``tv_weight_slider``,
    ``run_button``, ``stop_button``, ``save_button``, ``result_button``, ``preview``,
    ``loss_html``, ``status``, ``progress``, ``curves``, ...); :attr:`widget` is the whole panel.

    Args:
        content, style: the first content photo and style painting: bundled names
            (see :func:`labhelpers.list_images`).
        size: longest side of the result in px (default 256, or 64 with ``LAB_FAST=1``).
        steps: loss-and-gradient evaluations per run (default :data:`PANEL_STEPS` = 21, or 10 with
            ``LAB_FAST=1``: a finished picture in a few seconds; the slider offers more).
        extractor: a FeatureExtractor to use; by default one is built from ``vgg_weights`` when the
            panel is shown (background mode) or the first run starts.
        vgg_weights: where VGG16's parameters come from when ``extractor`` is None (``"auto"``,
            ``"keras"``, ``"torchvision"``, ...).
        background: True: Run optimises in a background thread and Stop works (default outside
            Colab); False: in the foreground, the kernel's Interrupt stops it (default in Colab).
        output_dir: where Save writes PNG files (default ``outputs/`` of the repository).

    Attributes:
        runner: the :class:`~labhelpers.panel.runner.TransferRunner` doing the work.
        image: the picture in the preview, float32 (H, W, 3) in [0, 1] (not necessarily the
            result: Save writes :attr:`result`, see :meth:`save`).
        last_error: the last problem shown in the status line, or None.
    """

    def __init__(
        self,
        content: str = DEFAULT_CONTENT,
        style: str = DEFAULT_STYLE,
        size: int | None = None,
        steps: int | None = None,
        extractor: "FeatureExtractor | None" = None,
        vgg_weights: str = "auto",
        background: bool | None = None,
        output_dir: str | Path | None = None,
    ):
        if background is None:
            from labhelpers.colab import in_colab  # only asked when not told

            background = not in_colab()
        self.background = bool(background)
        steps = (
            (PANEL_FAST_STEPS if config.fast_mode() else PANEL_STEPS) if steps is None else steps
        )
        self.base_settings = TransferSettings(
            vgg_weights=vgg_weights, steps=steps, **({} if size is None else {"size": size})
        )
        self.output_dir = Path(output_dir) if output_dir is not None else _default_output_dir()
        self.runner = TransferRunner(_PanelEvents(self), extractor)
        self.image: np.ndarray | None = None
        self.last_error: str | None = None
        self.controls = PanelControls(self.base_settings, content, style)
        self.pictures = PictureSources(
            min_side_px([*self.base_settings.content_layers, *self.base_settings.style_layers]),
            max_side_px=self.largest_size(),
        )
        self.controls.connect(
            run=self.start,
            stop=self.stop,
            save=self.save,
            show_result=self.show_result,
            upload=self.handle_upload,
            weights_changed=self.update_summary,
            picture_changed=self.show_content_preview,
            load=lambda kind: load_named_picture(self, kind),
        )
        self.update_summary()
        self.show_content_preview()
        mode = (
            "Run works in the background: Stop ends a run."
            if self.background
            else "Run works in the foreground: use the notebook's Interrupt (■) to end a "
            "run early."
        )
        self.controls.status.value = f"Ready. {mode}"

    def __getattr__(self, name: str) -> Any:
        """The widgets are the panel's attributes too: ``panel.run_button`` is
        ``panel.controls.run_button``."""
        controls = self.__dict__.get("controls")
        if controls is not None and name in vars(controls):
            return getattr(controls, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def widget(self) -> Any:
        """The whole panel, an ipywidgets VBox."""
        return self.controls.widget

    def _ipython_display_(self) -> None:
        self.show()

    def show(self) -> Any:
        """Display the panel (a cell ending in ``panel`` does this) and, in background mode,
        prepare the first Run (VGG16, targets, the loss's first trace) in a thread, returned; not
        in Colab's foreground mode."""
        from IPython.display import display

        display(self.controls.widget)
        return (
            self.runner.prepare(self.request()) if self.background and not self.running else None
        )

    # ---- what the runner needs and reports ------------------------------------------------------

    @property
    def extractor(self) -> "FeatureExtractor | None":
        """The VGG16 feature extractor (None until the first run built it)."""
        return self.runner.extractor

    @property
    def result(self) -> Any:
        """The StyleTransferResult of the last finished run (None before the first)."""
        return self.runner.result

    @property
    def transfers_built(self) -> int:
        """How many sets of targets were computed; moving a slider never increases it."""
        return self.runner.transfers_built

    @property
    def running(self) -> bool:
        """True while a run is going on."""
        return self.runner.running

    def largest_size(self) -> int:
        """The largest size (longest side, px) the size menu offers: no run uses more."""
        return max(int(value) for _label, value in self.controls.size_choice.options)

    def settings(self) -> TransferSettings:
        """The settings the next run will use, read from the widgets."""
        color = self.controls.color_choice.value
        return self.base_settings.replace(
            size=int(self.controls.size_choice.value),
            steps=int(self.controls.steps_slider.value),
            optimizer=self.controls.optimizer_choice.value,
            preserve_color=None if color == "none" else color,
            **self.controls.weights(),
        )

    def request(self) -> RunRequest:
        """The next run: the chosen pictures (by name or upload digest) and :meth:`settings`."""
        content, style = self.controls.content_choice.value, self.controls.style_choice.value

        def load(size_px: int) -> tuple[np.ndarray, np.ndarray]:
            return self.pictures.load("content", content, size_px), self.pictures.load(
                "style", style, size_px
            )

        sources = self.pictures.source_key
        return RunRequest(
            sources("content", content), sources("style", style), load, self.settings()
        )

    def transfer_for(self) -> Any:
        """The prepared StyleTransfer for the current pictures and set-up (built once, then
        reused)."""
        return self.runner.transfer_for(self.request())

    def loss_text(
        self,
        record: Mapping[str, Any],
        step: int,
        steps: int,
        settings: TransferSettings | None = None,
    ) -> str:
        """HTML: the loss terms of ``record`` and the settings they came from.

        ``settings``: the run's own (default: the run going on, else the last run, else the
        widgets'); never the sliders moved since the run started.
        """
        request = self.runner.current_request or self.runner.last_request
        s = settings or (request.settings if request is not None else self.settings())
        source = html.escape(str(getattr(self.extractor, "source", "?")))
        return (
            f"<b>step {step}/{steps}</b> &nbsp; total <b>{record['total']:.4g}</b> = "
            f"content {record['content']:.4g} + style {record['style']:.4g} + TV "
            f"{record['tv']:.4g}<br><small>weights used: content "
            f"{format_weight(s.content_weight)}, style {format_weight(s.style_weight)}, TV "
            f"{format_weight(s.tv_weight)}; {s.size} px, {s.optimizer}, VGG16 weights: "
            f"{source}</small>"
        )

    def show_picture(self, image: np.ndarray) -> None:
        """Put ``image`` (H, W, 3) in [0, 1] into the preview."""
        self.image = np.asarray(image, dtype=np.float32)
        self.controls.preview.value = image_to_png_bytes(self.image)

    def show_error(self, message: str) -> None:
        """Show ``message`` as a problem in the status line."""
        self.last_error = message
        self.controls.status.value = (
            f"<span style='color:#b00020'><b>Problem:</b> {html.escape(message)}</span>"
        )

    # ---- the buttons ----------------------------------------------------------------------------

    def on_result(self, callback: Callable[[Any], Any]) -> None:
        """Call ``callback(result)`` whenever a run ends (None if it failed); in the run's
        thread."""
        self.runner.on_result(callback)

    def start(self) -> Any:
        """What the Run button does; never raises (problems go to the status line); the result in
        foreground mode, else None."""
        if self.running:
            self.controls.status.value = (
                "A run is already going on: press Stop first (or wait for it to end)."
            )
            return None
        try:
            return self.run(wait=not self.background)
        except Exception:  # noqa: BLE001 - already shown in the status line
            return None

    def run(self, wait: bool = False) -> Any:
        """Run style transfer with the current settings.

        Args:
            wait: False: start a background thread and return None at once (:meth:`stop` ends it,
                :meth:`wait` waits). True: optimise here and return the result; the kernel's
                Interrupt (Ctrl-C) ends the run early keeping the best picture
                (``stopped="interrupt"``).

        Raises:
            RuntimeError: a run is already going on.
            ImageError, ValueError, WeightsError: with ``wait=True``, when the run cannot start.
        """
        return self.runner.run(self.request(), wait=wait)

    def stop(self) -> None:
        """What the Stop button does: end the run after its current evaluation, keeping the best
        picture."""
        if self.runner.stop():
            self.controls.status.value = "Stopping after the current step ..."

    def wait(self, timeout: float | None = None) -> Any:
        """Wait until the current run (if any) has ended (TimeoutError after ``timeout`` s); the
        last result."""
        return self.runner.wait(timeout)

    def save(self, path: str | Path | None = None) -> Path | None:
        """What the Save button does: write the last run's result to a PNG (never over a file).

        Always the result (:attr:`result` ``.image``), whatever the preview shows now (after a
        run, choosing another photo, painting or size shows that photo in the preview).

        Args:
            path: the file; default ``<output_dir>/<content>-in-<style>-<size>px.png`` (the run's
                pictures and size); an existing file is kept and ``name-1.png``, ... is written.

        Returns:
            The path written, or None (no result yet, or the file could not be written: see
            status).
        """
        request, result = self.runner.last_request, self.result
        if result is None or request is None:
            self.show_error("Nothing to save yet: press Run first.")
            return None
        if not result.history:
            self.show_error(
                "Nothing to save: the last run ended before its first step, so its picture is "
                "the unchanged photo. Press Run again."
            )
            return None
        path = default_save_path(self.output_dir, self.pictures, request) if path is None else path
        try:
            written = save_image(result.image, path)
        except ImageError as exc:
            self.show_error(str(exc))
            return None
        self.controls.status.value = f"Saved to <code>{html.escape(str(written))}</code>"
        return written

    def show_result(self) -> bool:
        """Put the last run's result back into the preview (after another picture was chosen);
        False when there is none."""
        if self.result is None or self.running:
            return False
        self.show_picture(self.result.image)
        return True

    # ---- pictures and uploads -------------------------------------------------------------------

    def set_weights(
        self,
        content_weight: float | None = None,
        style_weight: float | None = None,
        tv_weight: float | None = None,
    ) -> dict[str, float]:
        """Move the weight sliders (None: leave one); returns the weights the next run will use."""
        for key, value in (
            ("content_weight", content_weight),
            ("style_weight", style_weight),
            ("tv_weight", tv_weight),
        ):
            if value is not None:
                self.controls.weight_sliders[key].value = float(value)
        return self.controls.weights()

    def readouts(self) -> dict[str, str]:
        """The weights as the panel's texts show them, e.g. ``{"style_weight": "31.6", ...}``."""
        return {
            key: format_weight(slider.value)
            for key, slider in self.controls.weight_sliders.items()
        }

    def update_summary(self, _change: Any = None) -> None:
        """Refresh the "Next run: ..." line under the weight sliders."""
        w = self.controls.weights()
        self.controls.weight_summary.value = (
            f"Next run: content {format_weight(w['content_weight'])}, style "
            f"{format_weight(w['style_weight'])}, TV {format_weight(w['tv_weight'])} "
            f"&nbsp;·&nbsp; {html.escape(describe_ratio(w['content_weight'], w['style_weight']))}"
        )

    def show_content_preview(self, _change: Any = None) -> None:
        """Before a run (not during one), the preview shows the content photo at the chosen
        size."""
        if self.running:
            return
        try:
            self.show_picture(
                self.pictures.load(
                    "content",
                    self.controls.content_choice.value,
                    int(self.controls.size_choice.value),
                    for_vgg=False,
                )
            )
        except ImageError as exc:
            self.show_error(str(exc))

    def handle_upload(self, kind: str, value: Any) -> str | None:
        """Use an uploaded picture as the content photo (``kind="content"``) or the style painting.

        Args:
            kind: ``"content"`` or ``"style"``.
            value: a ``FileUpload.value`` in the ipywidgets 7 or 8 format
                (see :func:`parse_upload`).

        Returns:
            The new, selected menu entry (``"upload:<file name>"``), or None when nothing usable
            was uploaded (the status line says why; nothing is raised).
        """
        if kind not in ("content", "style"):
            raise ValueError(f"kind must be 'content' or 'style', not {kind!r}")
        try:
            key, name, picture = self.pictures.add_upload(kind, value)
        except ValueError as exc:
            self.show_error(str(exc))
            return None
        if key is None:
            return None
        choice = self.controls.content_choice if kind == "content" else self.controls.style_choice
        options = [
            (option, option) if isinstance(option, str) else tuple(option)
            for option in choice.options
        ]
        choice.options = [option for option in options if option[1] != key] + [
            (f"uploaded: {name}", key)
        ]
        unchanged = choice.value == key  # the same file name again: no change event follows
        choice.value = key
        if unchanged and kind == "content":
            self.show_content_preview()  # an edited photo under the same name: show the new one
        width, height = self.pictures.uploaded_sizes.get(key, picture.shape[1::-1])
        kept = f"{picture.shape[1]}x{picture.shape[0]}"
        reduced = "" if kept == f"{width}x{height}" else f", kept at {kept} px: no run uses more"
        self.controls.status.value = (
            f"Using the uploaded {kind} picture {html.escape(name)} "
            f"({width}x{height} px{reduced})."
        )
        return key
