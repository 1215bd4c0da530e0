"""The style-transfer panel (labhelpers.panel.view and panel_layout) driven through its methods,
without a browser.

Runs are tiny (32 px, a few steps) with the real torchvision VGG16 (the ``extractor`` fixture).
Works with ipywidgets 7.7 (Colab) and 8: upload values are built by hand in both formats.
"""

from __future__ import annotations

import datetime
import io
import time

import numpy as np
import pytest

ipywidgets = pytest.importorskip("ipywidgets")

from labhelpers.cli import safe_file_stem  # noqa: E402
from labhelpers.panel.sources import parse_upload  # noqa: E402
from labhelpers.panel.view import PANEL_STEPS, StyleTransferPanel, describe_ratio  # noqa: E402
from labhelpers.transfer.optimizers import OPTIMIZERS, Optimizer, adam  # noqa: E402
from labhelpers.transfer.stages import split_steps, stage_sizes  # noqa: E402
from labhelpers.transfer import run as transfer_module  # noqa: E402
from labhelpers.transfer.settings import TransferSettings  # noqa: E402
from labhelpers.lessons import l07_style_transfer as l07  # noqa: E402
from labhelpers.panel import controls  # noqa: E402

IPYWIDGETS_MAJOR = int(ipywidgets.__version__.split(".")[0])
SIZE, STEPS = 32, 4


def png_bytes(height: int = 40, width: int = 56, seed: int = 0) -> bytes:
    """A small random-ish PNG file, made here."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    gradient = np.linspace(0, 255, width, dtype=np.float32)[None, :, None]
    pixels = np.clip(gradient + rng.normal(0, 40, (height, width, 3)), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def upload_v7(name: str, data: bytes) -> dict:
    """A FileUpload.value as ipywidgets 7 makes it."""
    metadata = {
        "name": name,
        "type": "image/png",
        "size": len(data),
        "lastModified": 1700000000000,
    }
    return {name: {"metadata": metadata, "content": data}}


def upload_v8(name: str, data: bytes) -> tuple:
    """A FileUpload.value as ipywidgets 8 makes it (content is a memoryview)."""
    modified = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    return (
        {
            "name": name,
            "type": "image/png",
            "size": len(data),
            "last_modified": modified,
            "content": memoryview(data),
        },
    )


def upload_for_installed(name: str, data: bytes):
    return upload_v8(name, data) if IPYWIDGETS_MAJOR >= 8 else upload_v7(name, data)


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


# ------------------------------------------------------------------------------------ settings


def test_widgets_carry_the_css_classes_the_browser_test_uses(idle_panel):
    expected = {
        "lab-content-weight": idle_panel.content_weight_slider,
        "lab-style-weight": idle_panel.style_weight_slider,
        "lab-tv-weight": idle_panel.tv_weight_slider,
        "lab-run": idle_panel.run_button,
        "lab-stop": idle_panel.stop_button,
        "lab-save": idle_panel.save_button,
        "lab-show-result": idle_panel.result_button,
        "lab-preview": idle_panel.preview,
        "lab-loss": idle_panel.loss_html,
        "lab-status": idle_panel.status,
        "lab-progress": idle_panel.progress,
    }
    for css, widget in expected.items():
        assert css in widget._dom_classes, f"{css} missing on {type(widget).__name__}"
    assert isinstance(idle_panel.widget, ipywidgets.VBox)
    assert idle_panel.preview.value, "the preview shows the content photo before any run"


def test_weight_sliders_are_log_scale_and_map_to_the_run_options(idle_panel):
    for key, slider in idle_panel.weight_sliders.items():
        assert isinstance(slider, ipywidgets.FloatLogSlider) and slider.base == 10
        assert slider.min < np.log10(slider.value) < slider.max or slider.value in (
            10**slider.min,
            10**slider.max,
        )
        assert getattr(idle_panel.settings(), key) == pytest.approx(slider.value)
    assert "more painting" in idle_panel.style_weight_slider.description
    assert "more photo" in idle_panel.content_weight_slider.description

    idle_panel.style_weight_slider.value = 10**2.5  # what dragging the handle does
    idle_panel.content_weight_slider.value = 10**-0.5
    idle_panel.tv_weight_slider.value = 10**-1.5
    settings = idle_panel.settings()
    assert isinstance(settings, TransferSettings)
    assert settings.style_weight == pytest.approx(316.2278, rel=1e-4)
    assert settings.content_weight == pytest.approx(0.316228, rel=1e-4)
    assert settings.tv_weight == pytest.approx(0.0316228, rel=1e-4)
    assert idle_panel.readouts() == {
        "content_weight": "0.316",
        "style_weight": "316",
        "tv_weight": "0.0316",
    }
    summary = idle_panel.weight_summary.value
    assert "style 316" in summary and "content 0.316" in summary and "TV 0.0316" in summary
    assert "1000" in summary, "the ratio 316 / 0.316 = 1000 is shown"

    assert idle_panel.set_weights(style_weight=3.0)["style_weight"] == pytest.approx(3.0)
    assert idle_panel.style_weight_slider.value == pytest.approx(3.0)
    assert "style 3," in idle_panel.weight_summary.value


def test_other_settings_map_to_the_run_options(idle_panel):
    idle_panel.steps_slider.value = 7
    idle_panel.optimizer_choice.value = "adam"
    idle_panel.color_choice.value = "luminance"
    idle_panel.size_choice.value = 64
    s = idle_panel.settings()
    assert (s.steps, s.optimizer, s.preserve_color, s.size) == (7, "adam", "luminance", 64)
    idle_panel.color_choice.value = "none"
    assert idle_panel.settings().preserve_color is None
    # the set-up key changes with the size (new targets) and not with the weights or steps
    before = idle_panel.request().cache_key
    idle_panel.set_weights(style_weight=1000.0)
    idle_panel.steps_slider.value = 3
    assert idle_panel.request().cache_key == before
    idle_panel.size_choice.value = 128
    assert idle_panel.request().cache_key != before


def test_describe_ratio_explains_the_balance():
    assert "mostly the photo" in describe_ratio(1.0, 0.1)
    assert "balanced" in describe_ratio(1.0, 3.0)
    assert "almost only the painting" in describe_ratio(1.0, 1e6)
    assert "photo is ignored" in describe_ratio(0.0, 10.0)


# ------------------------------------------------------------------------------------ runs


def test_the_default_run_at_256_px_is_a_coarse_stage_then_about_10_tutorial_steps_of_work(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("LAB_FAST", "0")
    settings = StyleTransferPanel(background=True, output_dir=tmp_path).settings()
    assert (settings.size, settings.steps, settings.coarse_to_fine) == (256, PANEL_STEPS, None)
    sizes = stage_sizes(settings.size, settings.coarse_to_fine)
    counts = split_steps(settings.steps, len(sizes))
    assert (sizes, counts) == ([128, 256], [14, 7])  # a 128 px stage first: an early preview
    # one evaluation costs about its pixels: 14 x (128/256)^2 + 7 = 10.5 tutorial-step times
    # (target 15 with previews, curves and the optimiser's bookkeeping; benchmarks/bench_panel.py
    # measures it)
    assert sum(n * (size / 256) ** 2 for size, n in zip(sizes, counts)) == pytest.approx(10.5)


def test_the_preview_never_shows_a_picture_worse_than_the_start(panel):
    """With the first-step cap off (the first trial is the whole gradient, which overshoots), every
    preview is the best so far."""
    panel.base_settings = panel.base_settings.replace(lbfgs_first_step=None)
    panel.style_weight_slider.value = 10**3
    shown = []
    original = panel.runner.events.preview
    panel.runner.events.preview = lambda step, steps, image, record: (
        shown.append(image),
        original(step, steps, image, record),
    )
    panel.runner.preview_interval_s = 0.0
    result = panel.run(wait=True)
    start_total = result.history[0]["total"]
    assert (
        max(r["total"] for r in result.history) > start_total
    )  # a trial point was worse than the start ...
    transfer = panel.transfer_for()
    totals = [transfer.losses(image, panel.settings())["total"] for image in shown]
    assert len(shown) == STEPS and max(totals) <= start_total * (1 + 1e-4)  # ... but never shown


def test_moving_the_style_slider_changes_the_next_result(panel):
    # 10 steps: L-BFGS's first trial step changes no pixel value by more than 0.05
    # (lbfgs_first_step), so 4 steps move a 32 px picture too little to tell the two weights apart
    # reliably
    panel.steps_slider.value = 10
    first = panel.run(wait=True)
    assert first is not None and first.stopped is None and len(first.history) == 10
    assert (
        first.image.dtype == np.float32
        and first.image.shape[2] == 3
        and max(first.image.shape[:2]) == SIZE
    )
    loss_text = panel.loss_html.value

    panel.style_weight_slider.value = 10**4
    second = panel.run(wait=True)
    assert second.options["style_weight"] == pytest.approx(10**4)
    assert first.options["style_weight"] != second.options["style_weight"]
    difference = float(np.abs(first.image - second.image).mean())
    assert difference > 0.005, (
        f"the picture hardly changed ({difference:.4f}) when the style weight went up"
    )
    assert second.final["style"] > first.final["style"], (
        "the weighted style term grows with its weight"
    )
    assert panel.loss_html.value != loss_text and "style 10000" in panel.loss_html.value
    assert panel.result is second
    assert panel.curves.value, "the loss curves are drawn at the end of a run"
    assert panel.progress.value == 10
    assert (
        not panel.run_button.disabled
        and panel.stop_button.disabled
        and not panel.save_button.disabled
    )


def test_slider_moves_never_recompute_the_targets(panel, monkeypatch):
    built = []

    class CountingTransfer(transfer_module.StyleTransfer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            built.append(self.size)

    monkeypatch.setattr(transfer_module, "StyleTransfer", CountingTransfer)
    panel.run(wait=True)
    prepared = panel.transfer_for()
    assert built == [SIZE] and prepared.target_computations == 1

    for weight in (0.5, 2.0, 50.0):
        panel.set_weights(content_weight=weight, style_weight=weight * 10, tv_weight=weight / 10)
        panel.steps_slider.value = 3
        panel.optimizer_choice.value = (
            "adam" if panel.optimizer_choice.value == "projected_lbfgs" else "projected_lbfgs"
        )
        panel.run(wait=True)
    assert built == [SIZE], "a slider move rebuilt the StyleTransfer (recomputed the targets)"
    assert panel.transfers_built == 1
    assert panel.transfer_for() is prepared and prepared.target_computations == 1

    panel.size_choice.value = 64  # a new size does need new targets: the counter works
    panel.run(wait=True)
    assert built == [SIZE, 64] and panel.transfers_built == 2


def test_run_button_starts_a_background_run_and_stop_ends_it_quickly(panel):
    panel.steps_slider.value = panel.steps_slider.max
    finished = []
    panel.on_result(finished.append)
    panel.run_button.click()
    assert panel.running and panel.run_button.disabled and not panel.stop_button.disabled
    assert panel.start() is None and "already" in panel.status.value
    with pytest.raises(RuntimeError, match="already"):
        panel.run(wait=True)
    wait_until(lambda: panel.progress.value >= 2, 60, "the first steps of the background run")

    started = time.monotonic()
    panel.stop_button.click()
    result = panel.wait(timeout=5)
    elapsed = time.monotonic() - started
    assert elapsed < 5, f"Stop took {elapsed:.1f} s"
    assert result is not None and result.stopped == "stop"
    assert 2 <= len(result.history) < panel.steps_slider.max
    assert finished == [result]
    assert "Stopped" in panel.status.value
    assert panel.preview.value, "the best picture so far stays in the preview"
    assert panel.image is not None and np.array_equal(panel.image, result.image)
    assert not panel.running and not panel.run_button.disabled and panel.stop_button.disabled


def test_foreground_interrupt_keeps_the_best_picture(panel, monkeypatch):
    events = panel.runner.events
    original = events.progress

    def interrupt_at_step_3(step, steps):
        original(step, steps)
        if step == 3:
            raise KeyboardInterrupt  # what the kernel's Interrupt does to a foreground run

    monkeypatch.setattr(events, "progress", interrupt_at_step_3)
    panel.steps_slider.value = 50
    result = panel.run(wait=True)
    assert result.stopped == "interrupt" and len(result.history) == 3
    assert "Interrupted" in panel.status.value and panel.preview.value
    assert not panel.running and not panel.run_button.disabled


def test_a_failing_background_run_reports_the_problem_and_recovers(tmp_path):
    broken = StyleTransferPanel(
        size=SIZE,
        steps=STEPS,
        vgg_weights=str(tmp_path / "missing.weights.h5"),
        output_dir=tmp_path,
    )
    broken.start()
    assert broken.wait(timeout=60) is None
    assert "Problem" in broken.status.value and broken.last_error
    assert not broken.running and not broken.run_button.disabled

    broken.background = False  # foreground (Colab): the Run button's handler must not raise either
    broken.last_error = None
    broken.run_button.click()
    assert broken.last_error and not broken.running and not broken.run_button.disabled


# ------------------------------------------------------------------------------------ uploads


def test_parse_upload_reads_both_ipywidgets_formats():
    data = png_bytes()
    assert parse_upload(upload_v7("cat.png", data)) == [("cat.png", data)]
    assert parse_upload(upload_v8("cat.png", data)) == [("cat.png", data)]
    assert parse_upload(()) == [] and parse_upload({}) == [] and parse_upload(None) == []
    two = upload_v8("a.png", b"1") + upload_v8("b.png", b"2")
    assert parse_upload(two) == [("a.png", b"1"), ("b.png", b"2")]
    with pytest.raises(ValueError):
        parse_upload("cat.png")
    with pytest.raises(ValueError):
        parse_upload(({"name": "no content"},))


@pytest.mark.parametrize("make_value", [upload_v7, upload_v8], ids=["ipywidgets7", "ipywidgets8"])
def test_an_uploaded_picture_becomes_the_content_choice(idle_panel, make_value):
    before = idle_panel.preview.value
    key = idle_panel.handle_upload("content", make_value("my photo.png", png_bytes(seed=1)))
    assert key == "upload:my photo.png"
    assert idle_panel.content_choice.value == key and idle_panel.request().content_key[-1] == key
    assert "chelsea_cat" in idle_panel.content_choice.options or any(
        "chelsea_cat" in str(option) for option in idle_panel.content_choice.options
    )
    assert idle_panel.preview.value != before, "the preview shows the uploaded photo"
    assert "my photo.png" in idle_panel.status.value
    key = idle_panel.handle_upload("style", make_value("brush.png", png_bytes(seed=2)))
    assert idle_panel.style_choice.value == key == "upload:brush.png"


def test_the_upload_widget_is_wired_to_the_panel(idle_panel):
    idle_panel.content_upload.set_trait(
        "value", upload_for_installed("wired.png", png_bytes(seed=3))
    )
    assert idle_panel.content_choice.value == "upload:wired.png"


def test_an_upload_that_is_not_an_image_shows_a_clear_message(idle_panel):
    choice = idle_panel.content_choice.value
    for value in (
        upload_v7("notes.txt", b"this is not a picture"),
        upload_v8("notes.txt", b"\x00\x01garbage"),
    ):
        assert idle_panel.handle_upload("content", value) is None
        status = idle_panel.status.value
        assert "Problem" in status and "notes.txt" in status and "content picture" in status
        assert idle_panel.content_choice.value == choice
    assert idle_panel.handle_upload("style", "not an upload value") is None
    assert "could not be read" in idle_panel.status.value
    idle_panel.content_upload.set_trait("value", upload_for_installed("empty.png", b""))
    assert "empty.png" in idle_panel.status.value and idle_panel.content_choice.value == choice


def test_a_run_uses_the_uploaded_photo(panel):
    panel.handle_upload("content", upload_v8("wide.png", png_bytes(height=40, width=60, seed=4)))
    result = panel.run(wait=True)
    assert result.image.shape == (21, 32, 3), "the upload's aspect ratio (2:3) at 32 px"


def test_a_picture_too_thin_for_vgg16_gets_a_clear_message(panel):
    panel.handle_upload("content", upload_v8("strip.png", png_bytes(height=20, width=80, seed=5)))
    with pytest.raises(ValueError, match="at least 16"):
        panel.run(wait=True)
    assert "strip.png" in panel.status.value and "bigger size" in panel.status.value
    assert not panel.running


# ------------------------------------------------------------------------------------ saving


def test_save_never_overwrites(panel, tmp_path):
    assert panel.save() is None and "Run first" in panel.status.value
    panel.run(wait=True)
    first = panel.save()
    second = panel.save()
    assert first is not None and second is not None and first != second
    assert first.parent == tmp_path and first.exists() and second.exists()
    assert first.read_bytes() == second.read_bytes()
    assert str(second) in panel.status.value
    named = tmp_path / "mine.png"
    named.write_bytes(b"keep me")
    written = panel.save(named)
    assert written != named and named.read_bytes() == b"keep me"
    panel.save_button.click()
    assert len(list(tmp_path.glob("*.png"))) == 5


# ------------------------------------------------------------------------------------ grid


def test_ratio_grid_runs_once_per_style_weight(extractor):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = l07.ratio_grid_results(
        "chelsea_cat",
        "van_gogh_starry_night",
        style_weights=(1.0, 1000.0),
        size=SIZE,
        steps=STEPS,
        extractor=extractor,
    )
    results = grid.results
    figure = l07.plot_ratio_grid(grid)
    try:
        assert [r.options["style_weight"] for r in results] == [1.0, 1000.0]
        titles = [ax.get_title() for ax in figure.axes if ax.get_title()]
        assert titles[:2] == ["photo (content)", "painting (style)"]
        assert titles[2:] == ["style ÷ content = 1", "style ÷ content = 1000"]
        assert float(np.abs(results[0].image - results[1].image).mean()) > 0.002
    finally:
        plt.close(figure)


def test_panel_module_uses_only_core_widgets():
    source = open(controls.__file__, encoding="utf-8").read()
    used = set()
    for name in dir(ipywidgets):
        if f"widgets.{name}(" in source:
            used.add(name)
    allowed = {
        "FloatLogSlider",
        "FloatSlider",
        "IntSlider",
        "Dropdown",
        "Button",
        "Image",
        "HTML",
        "Label",
        "Output",
        "Checkbox",
        "ToggleButtons",
        "FileUpload",
        "IntProgress",
        "VBox",
        "HBox",
        "Layout",
        "Text",
    }  # Text: the Colab file-name box (issue 26), in ipywidgets 7 and 8
    assert used and used <= allowed, (
        f"widgets outside the ipywidgets 7/8 core set: {used - allowed}"
    )


def test_safe_file_stem_keeps_only_safe_characters():
    assert safe_file_stem("my photo (1).png") == "my_photo__1_"
    assert safe_file_stem("https://example.org/pics/cat.jpg?size=2") == "cat"
    assert safe_file_stem("a+b.png") == "a_b"
    assert safe_file_stem("???.png", fallback="content") == "content"  # "?" starts a URL's query
    assert safe_file_stem("", fallback="content") == "content"
    assert len(safe_file_stem("x" * 100 + ".png")) == 60


def test_showing_the_panel_prepares_the_first_run_in_background_mode_only(
    extractor, tmp_path, monkeypatch
):
    """Shown in background mode, the panel builds VGG16's targets and warms the loss up in a
    thread, so the first Run is as fast as later ones and reuses them; in foreground mode (Colab)
    nothing starts by itself."""
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objects: shown.extend(objects))
    warmed = []
    warm_up = transfer_module.StyleTransfer.warm_up
    monkeypatch.setattr(
        transfer_module.StyleTransfer,
        "warm_up",
        lambda self, *args, **kwargs: warmed.append(self) or warm_up(self, *args, **kwargs),
    )
    background = StyleTransferPanel(
        size=SIZE, steps=STEPS, extractor=extractor, background=True, output_dir=tmp_path
    )
    thread = background.show()
    assert shown == [background.widget]
    thread.join(60)
    assert not thread.is_alive() and background.transfers_built == 1 and len(warmed) == 1
    assert "prepared" in background.status.value
    result = background.run(wait=True)
    assert (
        result.history
        and background.transfers_built == 1
        and background.transfer_for() is warmed[0]
    )

    foreground = StyleTransferPanel(
        size=SIZE, steps=STEPS, extractor=extractor, background=False, output_dir=tmp_path
    )
    assert foreground.show() is None and foreground.transfers_built == 0


def test_the_panel_offers_the_registry_and_starts_at_the_settings_optimizer(monkeypatch):
    """The optimiser buttons list labhelpers.transfer.optimizers.OPTIMIZERS (an added entry too)
    and start at TransferSettings' default; a run uses the chosen one."""
    monkeypatch.setitem(
        OPTIMIZERS,
        "plain_adam",
        Optimizer(
            "plain_adam", "plain Adam", "Adam for the test", lambda f, x, n, _h, _s: adam(f, x, n)
        ),
    )
    panel = StyleTransferPanel(size=SIZE, steps=STEPS, background=False)
    assert [value for _label, value in panel.optimizer_choice.options] == list(OPTIMIZERS)
    assert dict(panel.optimizer_choice.options)["plain Adam"] == "plain_adam"
    assert panel.optimizer_choice.value == TransferSettings(size=64, steps=1).optimizer
    panel.optimizer_choice.value = "plain_adam"
    assert panel.settings().optimizer == "plain_adam"
