"""``python -m labhelpers grade SUBMISSION.ipynb ... --out grades.csv``: run each submitted
notebook and tabulate its checkers' verdicts.

Each submission is copied into a fresh temporary folder (the student's file is only read) and run
there top to bottom in fast mode with a time limit (:func:`~labhelpers.course.notebooks.
run_notebook`), with ``LAB_SOLUTIONS=0`` (the model solutions must not stand in for the
student's) and ``LAB_VERDICTS_DIR`` set to that folder, where its checkers record their verdicts
(:mod:`labhelpers.exercises.verdicts`). One row per submission, in the order given:

- ``submission``: the path as given;
- one column per exercise (the checkers the submissions' notebooks call, in order of first
  appearance): ``pass``, ``fail`` (checked and wrong) or ``missing`` (not written, or never
  checked because the notebook stopped before), empty for a notebook without that exercise;
- ``error``: empty when every cell ran, else why not (``SyntaxError in cell 4: ...``,
  ``timeout: ...``, ``crash: ...``, ``not a notebook: ...``). A broken notebook still gets its row,
  with the verdicts of the checks that ran before it stopped.

A submission's code runs with the grader's rights: grade on a machine (or in a container) where
that is acceptable. The CSV is written atomically and an existing one is kept unless ``force``.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import nbformat

from labhelpers.course.notebooks import exercises_in, run_notebook
from labhelpers.exercises.verdicts import read_verdicts
from labhelpers.files import write_file

__all__ = ["GradeError", "grade_submission", "grade", "write_grades", "DEFAULT_TIME_LIMIT"]

#: Seconds a submission may run (fast mode takes well under a minute per lesson).
DEFAULT_TIME_LIMIT = 600.0


class GradeError(ValueError):
    """The grades cannot be written (the CSV exists and ``force`` was not given)."""


def grade_submission(
    submission: Path, *, time_limit: float = DEFAULT_TIME_LIMIT, fast: bool = True
) -> tuple[dict[str, str], list[str]]:
    """Run one submission on a copy; its row (``submission``, exercises, ``error``) and its
    exercises in order."""
    row = {"submission": str(submission), "error": ""}
    try:
        notebook = nbformat.read(Path(submission), as_version=4)
        nbformat.validate(notebook)
    except Exception as exc:  # noqa: BLE001 - unreadable JSON, not a notebook, no file
        row["error"] = f"not a notebook: {type(exc).__name__}: {str(exc).strip()[:200]}"
        return row, []
    exercises = exercises_in(notebook)
    with tempfile.TemporaryDirectory(prefix="labhelpers-grade-") as folder:
        copy = Path(folder) / Path(submission).name
        write_file(copy, nbformat.writes(notebook))
        run = run_notebook(
            notebook,
            Path(folder),
            fast=fast,
            time_limit=time_limit,
            env={"LAB_SOLUTIONS": "0", "LAB_VERDICTS_DIR": folder},
        )
        verdicts = read_verdicts(Path(folder))
    for exercise in [*exercises, *(name for name in verdicts if name not in exercises)]:
        row[exercise] = verdicts.get(exercise, {}).get("status", "missing")
        if exercise not in exercises:
            exercises.append(exercise)
    row["error"] = run.error or ""
    return row, exercises


def grade(
    submissions: Sequence[str | os.PathLike[str]],
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    fast: bool = True,
    progress: bool = False,
) -> tuple[list[str], list[dict[str, str]]]:
    """Grade every submission; the CSV's columns and its rows (one per submission, in order)."""
    rows, columns = [], []
    for number, submission in enumerate(submissions, 1):
        if progress:
            print(f"[{number}/{len(submissions)}] {submission} ...", flush=True)
        row, exercises = grade_submission(Path(submission), time_limit=time_limit, fast=fast)
        rows.append(row)
        columns += [name for name in exercises if name not in columns]
        if progress:
            marks = ", ".join(f"{name} {row[name]}" for name in exercises) or "no exercises"
            print(f"    {marks}" + (f"; error: {row['error']}" if row["error"] else ""))
    return ["submission", *columns, "error"], rows


def write_grades(
    out: str | os.PathLike[str],
    columns: list[str],
    rows: list[dict[str, str]],
    *,
    force: bool = False,
) -> Path:
    """Write the grades to the CSV ``out`` atomically; an existing file only with ``force``.

    Raises:
        GradeError: ``out`` exists and ``force`` is False (the file is kept as it was).
    """
    out = Path(out)
    if out.exists() and not force:
        raise GradeError(f"{out} exists; nothing was written. Give --force to replace it.")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    written = write_file(out, buffer.getvalue(), overwrite=force)
    if written != out:  # someone made the file while we graded: ours is beside it
        print(f"{out} appeared while grading; the grades are in {written}")
    return written


def check_out(out: str | os.PathLike[str], force: bool) -> Optional[str]:
    """Why ``out`` cannot be written (before any grading starts), or None."""
    if Path(out).exists() and not force:
        return f"{out} exists; nothing was graded or written. Give --force to replace it."
    if not Path(out).parent.resolve().is_dir():
        return f"the folder of {out} does not exist; create it first."
    return None
