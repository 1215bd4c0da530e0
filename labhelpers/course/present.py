"""The presenter's kit: executed HTML copies of the lessons and every figure at slide size.

- :func:`build_html` (``python -m labhelpers html OUT``): each lesson's student version
  (:func:`~labhelpers.course.notebooks.student_version`: no solution code, no answer key) run top
  to bottom and exported with nbconvert as one self-contained HTML file (pictures embedded), plus
  an ``index.html``: what students read before class, without running anything.
- :func:`export_slides` (``python -m labhelpers slides OUT``): the same run, with every matplotlib
  figure a lesson shows rendered at least :data:`SLIDE_WIDTH_PX` pixels wide (the figure's own
  fonts, headers and colour bars scale with it), saved as ``OUT/<lesson>/<lesson>-cellNN-K.png``,
  and ``OUT/index.md`` listing each with the section it illustrates (and the pictures left out:
  those that are no matplotlib figure, such as the last frame of lesson 05's live display).

Both find the lessons in ``notebooks/`` (lessons 08, 09 and the homework included), run them in a
temporary folder (nothing is written beside the notebooks), at full size unless ``fast``, and
refuse an existing non-empty ``OUT``: the result is built beside it and moved into place whole.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import struct
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Optional

import nbformat

from labhelpers.config import REPO_ROOT
from labhelpers.course.notebooks import lesson_notebooks, run_notebook, student_version
from labhelpers.files import write_file

__all__ = [
    "SLIDE_WIDTH_PX",
    "LessonRunError",
    "png_size",
    "build_html",
    "export_slides",
    "chosen_lessons",
]

#: The least width (px) of an exported figure: a 1024 x 768 projector shows it without scaling up.
SLIDE_WIDTH_PX = 1280

#: The first cell of a slide run: every figure drawn at least SLIDE_WIDTH_PX px wide after the
#: tight crop (a narrow figure at a higher dpi), and at least 150 dpi.
_SLIDE_CELL = f"""\
%matplotlib inline
from IPython import get_ipython as _get_ipython
from IPython.core.pylabtools import print_figure as _print_figure
from matplotlib.figure import Figure as _Figure


def _slide_png(fig):
    inches = max(fig.get_tightbbox(fig.canvas.get_renderer()).width, 0.5)
    return _print_figure(fig, "png", bbox_inches="tight",
                         dpi=max(150, {SLIDE_WIDTH_PX * 1.05:.0f} / inches))


_get_ipython().display_formatter.formatters["image/png"].for_type(_Figure, _slide_png)
"""


class LessonRunError(RuntimeError):
    """A lesson did not run to the end; nothing was written."""


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels of a PNG file's bytes, from its header."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def chosen_lessons(lessons: Optional[Sequence[str]], folder: Path) -> list[Path]:
    """The notebooks of ``folder`` named in ``lessons`` (stems such as ``03_style_loss`` or a
    prefix such as ``03``), or all of them.

    Raises:
        ValueError: a name matches no notebook (the message lists them).
    """
    found = lesson_notebooks(folder)
    if not lessons:
        return found
    chosen = []
    for name in lessons:
        stem = Path(name).stem
        matches = [p for p in found if p.stem == stem or p.stem.startswith(stem + "_")]
        if not matches:
            raise ValueError(f"no lesson {name!r}; there are {[p.stem for p in found]}")
        chosen += [p for p in matches if p not in chosen]
    return chosen


def _new_folder(out: Path) -> None:
    """Refuse an ``out`` that is a file or a non-empty folder."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(
            f"{out} already exists and is not an empty folder; nothing was written. Choose a new "
            "folder (or remove that one yourself)."
        )


def _run_lessons(
    lessons: Sequence[Path], *, fast: bool, time_limit: float, first_cell: str, progress: bool
) -> Iterator[tuple[Path, nbformat.NotebookNode]]:
    """Each lesson's student version, run in a temporary folder (with ``first_cell`` before its
    own cells, removed again afterwards)."""
    for path in lessons:
        notebook = student_version(nbformat.read(path, as_version=4), path.name)
        if first_cell:
            notebook.cells.insert(0, nbformat.v4.new_code_cell(first_cell))
        if progress:
            print(f"running {path.name} ({'fast mode' if fast else 'full size'}) ...", flush=True)
        with tempfile.TemporaryDirectory(prefix="labhelpers-lesson-") as folder:
            run = run_notebook(
                notebook,
                Path(folder),
                fast=fast,
                time_limit=time_limit,
                env={"LAB_SOLUTIONS": "0", "LAB_VERDICTS_DIR": folder},
            )
        if run.error:
            raise LessonRunError(f"{path.name} did not run to the end: {run.error}")
        if first_cell:
            del notebook.cells[0]
        yield path, notebook


def _move_into_place(building: Path, out: Path) -> None:
    if out.exists():
        out.rmdir()  # empty (checked before)
    os.rename(building, out)


def build_html(
    out: str | os.PathLike[str],
    *,
    fast: bool = False,
    lessons: Optional[Sequence[str]] = None,
    time_limit: float = 1800.0,
    progress: bool = False,
    lab: Path = REPO_ROOT,
) -> list[Path]:
    """Executed HTML copies of the lessons in the new folder ``out``; the files written.

    Args:
        out: a new or empty folder.
        fast: True: fast mode (tiny pictures; CI); False: full size, as in class.
        lessons: only these notebooks (stems or number prefixes); default every lesson.
        time_limit: seconds per notebook.
        progress: print a line per lesson.
        lab: the lab's folder (its ``notebooks/``).

    Raises:
        ValueError: ``out`` is not new or empty; an unknown lesson.
        LessonRunError: a lesson stopped with an error (nothing is written).
    """
    from nbconvert import HTMLExporter

    out = Path(os.path.abspath(out))
    _new_folder(out)
    chosen = chosen_lessons(lessons, Path(lab) / "notebooks")
    out.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        exporter = HTMLExporter(template_name="lab")
        links = []
        for path, notebook in _run_lessons(
            chosen, fast=fast, time_limit=time_limit, first_cell="", progress=progress
        ):
            body, _ = exporter.from_notebook_node(
                notebook, resources={"metadata": {"name": path.stem}}
            )
            write_file(building / f"{path.stem}.html", body)
            links.append(f'<li><a href="{path.stem}.html">{path.stem}</a></li>')
        size = "fast mode (tiny pictures)" if fast else "full size"
        write_file(
            building / "index.html",
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Style Transfer Lab"
            f"</title></head><body><h1>Style Transfer Lab: the lessons, run ({size})</h1>\n"
            f"<ul>\n{chr(10).join(links)}\n</ul></body></html>\n",
        )
        _move_into_place(building, out)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return [out / "index.html", *(out / f"{p.stem}.html" for p in chosen)]


def _section(cells: Sequence[nbformat.NotebookNode], index: int) -> str:
    """The last markdown heading at or before cell ``index`` (what a figure illustrates)."""
    for cell in reversed(cells[: index + 1]):
        if cell.cell_type == "markdown":
            headings = re.findall(r"^#+\s*(.+)$", cell.source, re.MULTILINE)
            if headings:
                return headings[-1].strip()
    return ""


def export_slides(
    out: str | os.PathLike[str],
    *,
    fast: bool = False,
    lessons: Optional[Sequence[str]] = None,
    time_limit: float = 1800.0,
    progress: bool = False,
    lab: Path = REPO_ROOT,
) -> list[Path]:
    """Every figure of the lessons as a PNG at least :data:`SLIDE_WIDTH_PX` wide, in the new
    folder ``out`` (one folder per lesson, and ``index.md``); the PNG files written.

    Arguments as :func:`build_html`.
    """
    out = Path(os.path.abspath(out))
    _new_folder(out)
    chosen = chosen_lessons(lessons, Path(lab) / "notebooks")
    out.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    written: list[Path] = []
    skipped: list[str] = []
    index = [
        "# Lesson figures at slide size",
        "",
        f"Made by `python -m labhelpers slides` ({'fast mode' if fast else 'full size'}).",
        "",
        "| file | pixels | section |",
        "|---|---|---|",
    ]
    try:
        for path, notebook in _run_lessons(
            chosen, fast=fast, time_limit=time_limit, first_cell=_SLIDE_CELL, progress=progress
        ):
            (building / path.stem).mkdir()
            for number, cell in enumerate(notebook.cells):
                pictures = [
                    o["data"]["image/png"]
                    for o in cell.get("outputs", [])
                    if "image/png" in o.get("data", {})
                ]
                for k, picture in enumerate(pictures, 1):
                    data = base64.b64decode(picture)
                    name = f"{path.stem}/{path.stem}-cell{number:02d}-{k}.png"
                    width, height = png_size(data)
                    row = f"{width} x {height} | {_section(notebook.cells, number)} |"
                    if width < SLIDE_WIDTH_PX:  # a live display's last frame, not a figure
                        skipped.append(f"| cell {number} of {path.stem} | {row}")
                        continue
                    write_file(building / name, data)
                    written.append(out / name)
                    index.append(f"| `{name}` | {row}")
        if skipped:
            index += [
                "",
                "Not exported: pictures that are no matplotlib figure (the last frame of a live "
                "display, a picture shown at its own size); the figure after each shows the "
                "result.",
                "",
                "| where | pixels | section |",
                "|---|---|---|",
                *skipped,
            ]
        write_file(building / "index.md", "\n".join(index) + "\n")
        _move_into_place(building, out)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return written
