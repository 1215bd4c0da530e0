"""The lesson notebooks as a course sees them: found, cleaned for students, run with a limit.

Nothing here lists the lessons: every ``NN_name.ipynb`` in the notebooks folder is a lesson (a
homework notebook and lessons 08, 09, ... included), and the exercises of a notebook are the
checkers its code calls (``check_<exercise>``). Used by :mod:`.edition`, :mod:`.grade` and
:mod:`.present`.
"""

from __future__ import annotations

import copy
import os
import re
import time
from pathlib import Path
from typing import Optional

import nbformat

__all__ = [
    "LESSON_NAME",
    "lesson_notebooks",
    "exercises_in",
    "student_version",
    "StudentVersionError",
    "run_notebook",
    "NotebookRun",
]

#: A lesson notebook's file name: two digits, an underscore, a name (``03_style_loss.ipynb``) or
#: any other notebook of the course folder that is not a checkpoint.
LESSON_NAME = re.compile(r"^[0-9A-Za-z][\w-]*\.ipynb$")

#: ``check_<exercise>`` in a notebook's code, as called or passed (not a ``def``).
_CHECK_CALL = re.compile(r"(?<!def )\bcheck_([a-z][a-z0-9_]*)\b")

#: The cell where a student writes an exercise (nbgrader's own marker, which the lessons use).
_EXERCISE_MARK = "# YOUR CODE HERE"

#: Lines of an instructor's notebook that reach the model solutions or the answer keys, and what a
#: student version has instead; anything else that mentions them stops the build.
_SOLUTION_BLOCK = re.compile(r"^(\s*)if SHOW_SOLUTIONS:\s*(#.*)?$")
_SOLUTIONS_ALIAS = re.compile(r"^\s*\w+\s*=\s*labhelpers\.exercises\.solutions\s*(#.*)?$")
_ANSWERS_CALL = re.compile(r"^\s*labhelpers\.exercises\.print_answers\([^)]*\)\s*(#.*)?$")
_SWITCH_LINE = re.compile(r"^(SHOW_SOLUTIONS\s*=\s*labhelpers\.show_solutions\(\)).*$")
_LEAKS = re.compile(r"exercises\.solutions|\bsolutions\.|print_answers|\banswers\.")


def lesson_notebooks(folder: Path) -> list[Path]:
    """The notebooks of ``folder`` (lessons, homework), sorted by name; checkpoints left out."""
    return sorted(
        path
        for path in Path(folder).glob("*.ipynb")
        if LESSON_NAME.match(path.name) and path.is_file()
    )


def exercises_in(notebook: nbformat.NotebookNode) -> list[str]:
    """The exercises a notebook checks, in order: ``x`` for every ``check_x`` its code cells
    call or pass to ``use_if_correct``."""
    found: list[str] = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for name in _CHECK_CALL.findall(cell.source):
            if name not in found:
                found.append(name)
    return found


class StudentVersionError(ValueError):
    """A notebook still reaches solutions or answer keys in a way the builder does not know."""


def _without_solution_lines(source: str) -> str:
    """``source`` without ``if SHOW_SOLUTIONS:`` blocks, solution aliases and answer-key calls;
    the switch's line says that this edition has none."""
    kept: list[str] = []
    lines = source.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        block = _SOLUTION_BLOCK.match(line)
        if block:
            indent = len(block.group(1))
            index += 1
            while index < len(lines) and (
                not lines[index].strip() or len(lines[index]) - len(lines[index].lstrip()) > indent
            ):
                index += 1
            continue
        if _SOLUTIONS_ALIAS.match(line) or _ANSWERS_CALL.match(line):
            index += 1
            continue
        switch = _SWITCH_LINE.match(line)
        if switch:
            line = f"{switch.group(1)}  # False: the student edition has no solutions"
        kept.append(line)
        index += 1
    return "\n".join(kept).strip("\n")


def _exercise_ids(source: str, index: int) -> str:
    """The nbgrader grade id of an exercise cell: its first function's name, else ``cell-N``."""
    function = re.search(r"^def (\w+)\(", source, re.MULTILINE)
    return function.group(1) if function else f"cell-{index}"


def student_version(notebook: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """A copy of an instructor's notebook for students: no outputs, no solution blocks, no call
    of the answer keys (a cell left empty goes), and nbgrader metadata on every exercise cell.

    Exercise cells (those holding ``# YOUR CODE HERE``) get nbgrader's metadata of an
    autograded answer cell (``solution: true``, ``grade: false``, a unique ``grade_id``, schema 3),
    so that ``nbgrader`` recognises them; the checkers do the grading (:mod:`.grade`).

    Raises:
        StudentVersionError: a code cell still mentions the solutions or the answer keys after
            cleaning (a new pattern in a lesson): the message names ``name`` and the cell, so
            that nothing leaks silently.
    """
    result = copy.deepcopy(notebook)
    cells = []
    used_ids: set[str] = set()
    for index, cell in enumerate(result.cells):
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cleaned = _without_solution_lines(cell.source)
            if not cleaned.strip() and cell.source.strip():
                continue  # it only reached the solutions or the answer keys
            if _LEAKS.search(cleaned):
                raise StudentVersionError(
                    f"{name}, cell {index}: still reaches the model solutions or the answer keys "
                    f"after cleaning:\n{cleaned}\nUse the lessons' pattern (`if SHOW_SOLUTIONS:` "
                    "blocks, `labhelpers.exercises.print_answers(...)` on a line of its own)."
                )
            cell.source = cleaned
            if _EXERCISE_MARK in cleaned:
                grade_id = _exercise_ids(cleaned, index)
                while grade_id in used_ids:
                    grade_id += "-again"
                used_ids.add(grade_id)
                cell.metadata["nbgrader"] = {
                    "grade": False,
                    "solution": True,
                    "locked": False,
                    "grade_id": grade_id,
                    "schema_version": 3,
                }
        cells.append(cell)
    result.cells = cells
    return result


class NotebookRun:
    """The outcome of :func:`run_notebook`: ``error`` is None when every cell ran, else one line
    (``timeout: ...``, ``SyntaxError in cell 4: ...``, ``crash: ...``)."""

    def __init__(self, notebook: nbformat.NotebookNode, error: Optional[str]) -> None:
        self.notebook = notebook
        self.error = error


def _failed_cell(notebook: nbformat.NotebookNode) -> tuple[Optional[int], str, str]:
    """The first cell with an error output: its index, the error's name and value."""
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "error":
                return index, output.get("ename", "Error"), output.get("evalue", "")
    return None, "", ""


def run_notebook(
    notebook: nbformat.NotebookNode,
    folder: Path,
    *,
    fast: bool = True,
    time_limit: float = 600.0,
    env: Optional[dict[str, str]] = None,
    kernel_name: str = "python3",
) -> NotebookRun:
    """Run ``notebook`` (changed in place: outputs) in a fresh kernel whose working folder is
    ``folder``; never raises for the notebook's own failures.

    Args:
        notebook: the notebook to run.
        folder: the kernel's working folder (verdicts and the lesson's files go there).
        fast: True: ``LAB_FAST=1`` (tiny pictures, few steps); False: full size.
        time_limit: seconds for the whole notebook; the kernel is stopped after that.
        env: more environment variables for the kernel (on top of this process's).
        kernel_name: the Jupyter kernel (``python3``: this interpreter in a venv).

    Returns:
        The run: ``error`` None when every cell ran, else why it stopped (one line).
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    kernel_env = dict(os.environ)
    kernel_env.update({"LAB_FAST": "1" if fast else "0", "TF_CPP_MIN_LOG_LEVEL": "2"})
    kernel_env.update(env or {})
    deadline = time.monotonic() + time_limit
    client = NotebookClient(
        notebook,
        timeout=max(1, int(time_limit)),
        # each cell may take what is left of the notebook's time
        timeout_func=lambda cell: max(1, int(deadline - time.monotonic())),
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(folder)}},
    )
    error: Optional[str] = None
    try:
        client.execute(env=kernel_env)
    except CellTimeoutError:
        error = f"timeout: not finished after {time_limit:g} s"
    except DeadKernelError as exc:
        error = f"crash: the kernel died ({str(exc).strip().splitlines()[-1][:200]})"
    except CellExecutionError as exc:
        index, ename, evalue = _failed_cell(notebook)
        where = f" in cell {index}" if index is not None else ""
        error = f"{ename or type(exc).__name__}{where}: {evalue}".strip()[:300]
    except Exception as exc:  # noqa: BLE001 - a kernel that cannot start, a broken notebook
        error = f"crash: {type(exc).__name__}: {str(exc).strip()[:200]}"
    return NotebookRun(notebook, error)
