"""End-to-end: the lesson widgets in a real JupyterLab, driven in Debian's Chromium by Playwright.

Run with ``pytest -m browser tests/browser``. Needs ``/usr/bin/chromium`` (Debian package
``chromium``; Playwright never downloads a browser here) and the VGG16 weights.

A module fixture starts JupyterLab on 127.0.0.1 with a free port and a random token, serving a
temporary copy of ``notebooks/`` (nothing in the repository is modified), with ``LAB_FAST=1`` so
the kernel runs in fast mode, and always stops it again (the server, then every kernel it
started). Screenshots of every step go to ``artifacts/browser/NN-step.png``. A JavaScript error
in the page (console error or uncaught exception) fails the test unless it is listed in
:data:`IGNORED_CONSOLE_ERRORS`.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
LESSON_PANEL = "07_style_transfer.ipynb"
LESSON_1 = "01_feature_hierarchy.ipynb"

#: Console errors that say nothing about the lesson widgets, as (substring, why it is ignored).
#: Anything else logged as an error, and every uncaught exception, fails the test.
IGNORED_CONSOLE_ERRORS: tuple[tuple[str, str], ...] = (
    ("favicon", "the browser asks for favicons the server may not have (404)"),
    ("fonts.googleapis.com", "web fonts from Google: no internet here"),
    ("fonts.gstatic.com", "web fonts from Google: no internet here"),
    (
        "colab.research.google.com/assets/colab-badge.svg",
        "the 'Open in Colab' badge picture in the notebooks' Markdown is on the internet, which "
        "CI cannot reach",
    ),
)

SERVER_START_TIMEOUT = 120.0  # s: JupyterLab answering /api/status
NOTEBOOK_RUN_TIMEOUT = 240.0  # s: Run All Cells of one lesson in fast mode
UI_TIMEOUT = 30.0  # s: a widget reacting to a click or key press
RUN_TIMEOUT = 120.0  # s: one Run of the panel in fast mode


# ------------------------------------------------------------------------------------- helpers


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(
    condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.1
) -> Any:
    """Poll ``condition`` until it returns something truthy; fail with ``what`` after
    ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = condition()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - a page or server still starting up
            last_error = exc
        if time.monotonic() > deadline:
            detail = f" (last error: {last_error})" if last_error else ""
            raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}{detail}")
        time.sleep(interval)


def descendants(pid: int) -> list[int]:
    """All processes below ``pid`` (children, grandchildren, ...), read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found.extend(children)
        frontier.extend(children)
    return found


def write_settings(folder: Path) -> None:
    """JupyterLab user settings for a quiet, deterministic page (a fresh settings folder)."""
    settings = {
        # every cell stays in the DOM, so locators find widgets below the fold
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        # no "would you like news?" toast over the notebook, no update checks (no internet here)
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
    }
    for relative, values in settings.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


class JupyterServer:
    """A JupyterLab process and how to talk to its REST API."""

    def __init__(self, process: subprocess.Popen, port: int, token: str, root: Path, log: Path):
        self.process, self.port, self.token, self.root, self.log = process, port, token, root, log
        self.url = f"http://127.0.0.1:{port}"

    def api(self, path: str) -> Any:
        request = urllib.request.Request(
            f"{self.url}{path}", headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read().decode())

    def lab_url(self, notebook: str) -> str:
        # ?reset: a fresh workspace, so only this notebook is open (not the previous test's)
        return f"{self.url}/lab/tree/{notebook}?reset&token={self.token}"

    def kernel_state(self, notebook: str) -> str | None:
        """The execution state (``idle``, ``busy``, ``starting``) of the notebook's kernel, or
        None."""
        for session in self.api("/api/sessions"):
            if session.get("path", "").endswith(notebook) and session.get("kernel"):
                return self.api(f"/api/kernels/{session['kernel']['id']}").get("execution_state")
        return None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """JupyterLab serving a temporary copy of notebooks/ in fast mode; always shut down
    afterwards."""
    yield from serve_notebooks(tmp_path_factory)


@pytest.fixture
def fresh_jupyter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """A server of its own, for a front end that must not inherit JupyterLab's workspace and
    sessions from the tests before it (Notebook 7 then tries to restore JupyterLab's file browser:
    "Command 'filebrowser:open-path' not registered")."""
    yield from serve_notebooks(tmp_path_factory)


def serve_notebooks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """Start JupyterLab on a copy of notebooks/ (fast mode), yield it, always shut it down."""
    if not CHROMIUM.exists():
        message = (
            "Debian's Chromium is missing: apt-get update && apt-get install -y chromium "
            "(test.sh does this)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "notebooks"
    shutil.copytree(
        REPO / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "outputs")
    )
    settings = base / "lab-settings"
    write_settings(settings)
    port, token = free_port(), secrets.token_hex(24)
    env = dict(os.environ)
    env.update(
        {
            "LAB_FAST": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
            "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    log = base / "jupyterlab.log"
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        "--allow-root",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
    ]
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=root,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = JupyterServer(process, port, token, root, log)
    try:

        def answering() -> bool:
            if process.poll() is not None:
                raise AssertionError(
                    f"JupyterLab exited with code {process.returncode}:\n{server.log_tail()}"
                )
            return "started" in server.api("/api/status")

        try:
            wait_for(answering, SERVER_START_TIMEOUT, f"JupyterLab on port {port}", interval=0.25)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nServer log:\n{server.log_tail()}") from None
        yield server
    finally:
        stop_server(process)


def stop_server(process: subprocess.Popen) -> None:
    """Stop JupyterLab and every kernel it started (kernels run in their own sessions)."""
    children = descendants(process.pid)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is None:
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                pass
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                continue
    for pid in children:  # kernels survive the server only if it could not shut them down
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's, never a downloaded one)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def shots() -> Callable[[Any, str], Path]:
    """``shot(page, "step-name")`` saves ``artifacts/browser/NN-step-name.png`` (NN counts up)."""
    if ARTIFACTS.exists():
        for old in ARTIFACTS.glob("*.png"):
            old.unlink()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def shot(page: Any, name: str) -> Path:
        path = ARTIFACTS / f"{next(counter):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=False)
        return path

    return shot


class PageErrors:
    """JavaScript errors of a page: console messages of type error and uncaught exceptions."""

    def __init__(self, page: Any):
        self.errors: list[str] = []
        self.ignored: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught exception: {error}"))

    def _on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        location = message.location or {}
        text = (
            f"console error: {message.text} (at "
            f"{location.get('url', '?')}:{location.get('lineNumber', '?')})"
        )
        if any(pattern in text for pattern, _why in IGNORED_CONSOLE_ERRORS):
            self.ignored.append(text)
        else:
            self.errors.append(text)

    def check(self, when: str) -> None:
        if self.ignored:
            print(f"Ignored console errors {when}:", *self.ignored, sep="\n  ")
        assert not self.errors, f"JavaScript errors {when}:\n" + "\n".join(self.errors)


def open_notebook(
    browser: Any, jupyter: JupyterServer, notebook: str
) -> tuple[Any, Any, PageErrors]:
    """A new page with ``notebook`` open and its kernel idle."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(UI_TIMEOUT * 1000)
    page = context.new_page()
    errors = PageErrors(page)
    page.goto(jupyter.lab_url(notebook), wait_until="domcontentloaded", timeout=60_000)
    page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell").first.wait_for(
        state="visible", timeout=60_000
    )
    wait_for(
        lambda: jupyter.kernel_state(notebook) == "idle", 90, f"the kernel of {notebook} to start"
    )
    return context, page, errors


def run_all_cells(page: Any, jupyter: JupyterServer, notebook: str) -> None:
    """Run > Run All Cells, then wait until every code cell has an execution count and the kernel
    is idle."""
    page.locator(".jp-NotebookPanel:visible .jp-Notebook").first.click(position={"x": 5, "y": 5})
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    prompts = page.locator(".jp-NotebookPanel:visible .jp-CodeCell .jp-InputArea-prompt")

    def all_done() -> bool:
        texts = prompts.all_inner_texts()
        return bool(texts) and all(re.fullmatch(r"\[\d+\]:", t.strip()) for t in texts)

    wait_for(
        all_done,
        NOTEBOOK_RUN_TIMEOUT,
        f"all cells of {notebook} to finish (prompts [n]:)",
        interval=0.5,
    )
    wait_for(
        lambda: jupyter.kernel_state(notebook) == "idle",
        60,
        f"the kernel of {notebook} to become idle",
    )
    tracebacks = page.locator(
        ".jp-NotebookPanel:visible "
        ".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']"
    )
    assert tracebacks.count() == 0, (
        f"{notebook} raised an error: {tracebacks.first.inner_text()[:2000]}"
    )


def image_src(page: Any, css: str) -> str:
    """The ``src`` of an Image widget (ipywidgets 8: a ``blob:`` URL that is new for every
    picture)."""
    return page.locator(f"img.{css}, .{css} img").first.get_attribute("src") or ""


def text_of(page: Any, css: str) -> str:
    return page.locator(f".{css}").first.inner_text()


def summary_style_weight(page: Any) -> float | None:
    """The style weight the kernel will use, as the panel's summary line (``lab-weight-summary``)
    says."""
    match = re.search(r"style ([0-9.,]+)", text_of(page, "lab-weight-summary"))
    return float(match.group(1).replace(",", "")) if match else None


def readout(page: Any, css: str) -> float:
    """The number a slider's readout shows."""
    return float(
        page.locator(f".{css} .widget-readout").first.inner_text().strip().replace(",", "")
    )


def next_notch(value: float, key: str) -> float:
    """Where ArrowRight takes a log slider of the panel: one step up in the exponent, rounded to
    the nearest notch ``10 ** (low + k * step)`` (notches as
    :data:`labhelpers.panel.controls.WEIGHT_SLIDERS` defines them; a default such as 30 lies
    between notches)."""
    from labhelpers.panel.controls import WEIGHT_SLIDERS

    _key, _label, _default, low, _high, step, _css = next(
        row for row in WEIGHT_SLIDERS if row[0] == key
    )
    notch = round((math.log10(value) + step - low) / step)
    return 10 ** (low + notch * step)


def close(value: float, expected: float, rel: float = 0.01) -> bool:
    return abs(value - expected) <= rel * abs(expected)


# --------------------------------------------------------------------------------------- tests


def test_style_transfer_panel_in_jupyterlab(
    jupyter: JupyterServer, browser: Any, shots: Callable
) -> None:
    context, page, errors = open_notebook(browser, jupyter, LESSON_PANEL)
    try:
        shots(page, "lesson5-opened")
        run_all_cells(page, jupyter, LESSON_PANEL)
        panel = page.locator(".lab-style-transfer-panel")
        panel.wait_for(state="visible")
        page.locator(".lab-style-weight").scroll_into_view_if_needed()
        wait_for(
            lambda: image_src(page, "lab-preview"), UI_TIMEOUT, "the preview image after Run All"
        )
        wait_for(
            lambda: "Done" in text_of(page, "lab-status"),
            UI_TIMEOUT,
            "the status to report the foreground run of the notebook as done",
        )
        shots(page, "lesson5-ran-all-cells")
        errors.check("while running the panel lesson")

        # ---- the style-weight slider with the keyboard: ArrowRight moves to the next notch
        start = readout(page, "lab-style-weight")
        assert close(summary_style_weight(page) or -1, start), (
            "summary and slider disagree before any move"
        )
        handle = page.locator(".lab-style-weight .noUi-handle").first
        handle.focus()
        handle.press("ArrowRight")
        expected = next_notch(start, "style_weight")
        wait_for(
            lambda: close(readout(page, "lab-style-weight"), expected),
            UI_TIMEOUT,
            f"the style-weight readout to show {expected:.3g} after ArrowRight (it shows "
            f"{page.locator('.lab-style-weight .widget-readout').first.inner_text()})",
        )
        wait_for(
            lambda: close(summary_style_weight(page) or -1, expected),
            UI_TIMEOUT,
            f"the kernel to take the new style weight {expected:.3g} (summary line: "
            f"{text_of(page, 'lab-weight-summary')!r}); is the slider still observed?",
        )
        handle.press("End")
        wait_for(
            lambda: close(readout(page, "lab-style-weight"), 1e4),
            UI_TIMEOUT,
            "the style-weight readout to show the maximum 10000 after End",
        )
        wait_for(
            lambda: close(summary_style_weight(page) or -1, 1e4),
            UI_TIMEOUT,
            "the kernel to take the style weight 10000 after End",
        )
        shots(page, "style-slider-keyboard")

        # ---- and by dragging the handle to the left
        box = handle.bounding_box()
        assert box, "the style-weight slider handle is not visible"
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x - 150, y, steps=12)
        page.mouse.up()
        wait_for(
            lambda: readout(page, "lab-style-weight") < 1e4 * 0.99,
            UI_TIMEOUT,
            "the style-weight readout to go down after dragging the handle left",
        )
        dragged = readout(page, "lab-style-weight")
        wait_for(
            lambda: close(summary_style_weight(page) or -1, dragged),
            UI_TIMEOUT,
            f"the kernel to take the dragged style weight {dragged:g} (summary line: "
            f"{text_of(page, 'lab-weight-summary')!r})",
        )
        shots(page, "style-slider-dragged")
        errors.check("after moving the style-weight slider")

        # ---- Run: the preview and the loss readout change, with the weight from the slider
        before_src, before_loss = image_src(page, "lab-preview"), text_of(page, "lab-loss")
        page.locator("button.lab-run, .lab-run button").first.click()
        wait_for(
            lambda: image_src(page, "lab-preview") not in ("", before_src),
            RUN_TIMEOUT,
            "the preview image to change after Run",
        )
        wait_for(
            lambda: "Done" in text_of(page, "lab-status"),
            RUN_TIMEOUT,
            "the run to finish ('Done' in status)",
        )
        loss = text_of(page, "lab-loss")
        assert loss != before_loss, "the loss readout did not change after Run"
        used = re.search(r"style ([0-9.]+)[;,]", loss.split("weights used:")[-1])
        assert used and close(float(used.group(1)), dragged), (
            f"the run did not use the slider's style weight {dragged:g}; loss readout: {loss!r}"
        )
        page.locator(".lab-loss").scroll_into_view_if_needed()
        shots(page, "run-finished")

        # ---- Stop during a long run
        steps_handle = page.locator(".lab-steps .noUi-handle").first
        steps_handle.focus()
        steps_handle.press("End")
        wait_for(
            lambda: int(page.locator(".lab-steps .widget-readout").first.inner_text()) >= 100,
            UI_TIMEOUT,
            "the steps slider to go to its maximum",
        )
        steps = int(page.locator(".lab-steps .widget-readout").first.inner_text())
        page.locator("button.lab-run, .lab-run button").first.click()

        def long_run_progress() -> bool:
            match = re.search(r"(\d+)/(\d+)", text_of(page, "lab-progress"))
            return bool(match) and int(match.group(2)) == steps and int(match.group(1)) >= 2

        wait_for(
            long_run_progress,
            RUN_TIMEOUT,
            f"the {steps}-step run to make progress (progress bar "
            f"label: {text_of(page, 'lab-progress')!r})",
        )
        assert "Running" in text_of(page, "lab-status"), (
            f"status during the run: {text_of(page, 'lab-status')!r}"
        )
        assert page.locator("button.lab-run, .lab-run button").first.is_disabled(), (
            "Run is enabled while running"
        )
        shots(page, "long-run-in-progress")
        page.locator("button.lab-stop, .lab-stop button").first.click()
        stopped_at = time.monotonic()
        wait_for(
            lambda: "Stopped" in text_of(page, "lab-status"),
            UI_TIMEOUT,
            f"the status to say Stopped (it says {text_of(page, 'lab-status')!r})",
        )
        assert time.monotonic() - stopped_at < 10, "Stop took more than 10 s"
        wait_for(
            lambda: jupyter.kernel_state(LESSON_PANEL) == "idle",
            UI_TIMEOUT,
            "the kernel to be idle after Stop",
        )
        assert image_src(page, "lab-preview"), "the preview is empty after Stop"
        progress = re.search(r"(\d+)/(\d+)", text_of(page, "lab-progress"))
        assert progress and int(progress.group(1)) < int(progress.group(2)), (
            "the run was not cut short"
        )
        assert not page.locator("button.lab-run, .lab-run button").first.is_disabled(), (
            "Run stays disabled"
        )
        shots(page, "stopped")
        errors.check("while using the style-transfer panel")
    finally:
        context.close()


def test_lesson1_layer_dropdown_changes_the_activation(
    jupyter: JupyterServer, browser: Any, shots: Callable
) -> None:
    if not (jupyter.root / LESSON_1).exists():
        pytest.fail(f"notebooks/{LESSON_1} is missing")
    context, page, errors = open_notebook(browser, jupyter, LESSON_1)
    try:
        run_all_cells(page, jupyter, LESSON_1)
        dropdown = page.locator(".lab-layer-dropdown select").first
        dropdown.scroll_into_view_if_needed()
        wait_for(
            lambda: image_src(page, "lab-activation"),
            UI_TIMEOUT,
            "the activation picture of lesson 1",
        )
        shots(page, "lesson1-ran-all-cells")
        before = image_src(page, "lab-activation")
        options = dropdown.locator("option").all_inner_texts()
        current = dropdown.evaluate("select => select.options[select.selectedIndex].text")
        # a layer in the middle of the network (deep layers may show an all-dark channel 0)
        choice = next((o for o in options[len(options) // 2 :] + options if o != current), None)
        assert choice, f"the layer dropdown offers only {options}"
        dropdown.select_option(label=choice)
        wait_for(
            lambda: image_src(page, "lab-activation") not in ("", before),
            UI_TIMEOUT,
            f"the activation picture to change after choosing layer {choice}",
        )
        shots(page, "lesson1-layer-changed")
        errors.check("while using lesson 1's layer dropdown")
    finally:
        context.close()


def test_lesson1_in_notebook_7(
    fresh_jupyter: JupyterServer, browser: Any, shots: Callable
) -> None:
    """Notebook 7 (installed by the `lab` extra; the same server serves /notebooks/): lesson 1
    runs there and its layer dropdown still changes the picture."""
    try:
        import notebook
    except ImportError:
        pytest.fail("Notebook 7 is missing: python -m pip install -e \".[lab,test]\" installs it")
    assert int(notebook.__version__.split(".")[0]) >= 7, f"notebook {notebook.__version__} < 7"
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(UI_TIMEOUT * 1000)
    page = context.new_page()
    errors = PageErrors(page)
    try:
        page.goto(
            f"{fresh_jupyter.url}/notebooks/{LESSON_1}?token={fresh_jupyter.token}",
            wait_until="domcontentloaded",
            timeout=60_000,
        )
        page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(
            state="visible", timeout=60_000
        )
        # Notebook 7's own page, not JupyterLab's: one notebook, no launcher or side bars
        assert page.locator(".jp-LabShell").count() == 0 and "/notebooks/" in page.url
        wait_for(
            lambda: fresh_jupyter.kernel_state(LESSON_1) == "idle", 90, "the kernel of lesson 1"
        )
        run_all_cells(page, fresh_jupyter, LESSON_1)
        dropdown = page.locator(".lab-layer-dropdown select").first
        dropdown.scroll_into_view_if_needed()
        wait_for(
            lambda: image_src(page, "lab-activation"),
            UI_TIMEOUT,
            "the activation picture of lesson 1 in Notebook 7",
        )
        shots(page, "notebook7-lesson1-ran-all-cells")
        before = image_src(page, "lab-activation")
        options = dropdown.locator("option").all_inner_texts()
        current = dropdown.evaluate("select => select.options[select.selectedIndex].text")
        choice = next(o for o in options[len(options) // 2 :] + options if o != current)
        dropdown.select_option(label=choice)
        wait_for(
            lambda: image_src(page, "lab-activation") not in ("", before),
            UI_TIMEOUT,
            f"Notebook 7: the activation picture to change after choosing layer {choice}",
        )
        # Notebook 7.6's own front end throws this once on load, whatever the notebook (not the
        # lesson's widgets, which work above); any other error still fails the test
        errors.errors = [
            e
            for e in errors.errors
            if "Cannot read properties of undefined (reading 'schema')" not in e
        ]
        errors.check("in Notebook 7")
    finally:
        context.close()
