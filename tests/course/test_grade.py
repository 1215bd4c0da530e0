"""``python -m labhelpers grade``: three submissions of lesson 03 (one exercise finished, the
lesson untouched, a syntax error), a notebook that runs too long and one that is not a notebook;
what was submitted is never modified and an existing grades file is kept."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import nbformat
import pytest

from labhelpers.__main__ import main
from labhelpers.config import REPO_ROOT
from labhelpers.course.grade import GradeError, grade, write_grades

pytestmark = pytest.mark.notebooks

LESSON = REPO_ROOT / "notebooks" / "03_style_loss.ipynb"

#: A student's Gram matrix, written here (einsum, not the model solution's reshape and matmul).
FINISHED_GRAM = '''import tensorflow as tf


def gram_matrix(features):
    """The student's Gram matrix."""
    count = tf.cast(tf.reduce_prod(tf.shape(features)[1:]), features.dtype)
    return tf.einsum("bijc,bijd->cd", features, features) / count
'''


def _exercise_cell(notebook: nbformat.NotebookNode, function: str) -> nbformat.NotebookNode:
    return next(
        cell
        for cell in notebook.cells
        if cell.cell_type == "code"
        and f"def {function}(" in cell.source
        and "YOUR CODE HERE" in cell.source
    )


def _submissions(folder: Path) -> list[Path]:
    untouched = nbformat.read(LESSON, as_version=4)
    finished = nbformat.read(LESSON, as_version=4)
    _exercise_cell(finished, "gram_matrix").source = FINISHED_GRAM
    broken = nbformat.read(LESSON, as_version=4)
    _exercise_cell(broken, "style_loss").source = "def style_loss(a, b)\n    return a - b\n"
    paths = []
    for name, notebook in [("finished", finished), ("untouched", untouched), ("broken", broken)]:
        path = folder / f"{name}.ipynb"
        nbformat.write(notebook, path)
        paths.append(path)
    return paths


def _digests(paths: list[Path]) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def test_finished_untouched_and_broken_submissions(tmp_path):
    submitted = tmp_path / "submitted"
    submitted.mkdir()
    paths = _submissions(submitted)
    before = _digests(paths)
    out = tmp_path / "grades.csv"
    assert main(["grade", *map(str, paths), "--out", str(out), "--time-limit", "900"]) == 0
    assert _digests(paths) == before  # nothing submitted was modified ...
    assert sorted(p.name for p in submitted.iterdir()) == sorted(p.name for p in paths)  # or added

    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    columns = list(rows[0])
    assert columns == ["submission", "gram_matrix", "style_loss", "layered_style_loss", "error"]
    finished, untouched, broken = rows
    assert [r["submission"] for r in rows] == [str(p) for p in paths]
    assert finished["gram_matrix"] == "pass", finished
    assert finished["style_loss"] == "missing" and finished["error"] == "", finished
    assert untouched["gram_matrix"] != "pass" and untouched["error"] == "", untouched
    assert set(untouched.values()) >= {"missing"}
    assert broken["error"].startswith("SyntaxError in cell"), broken
    assert broken["style_loss"] == "missing" and broken["gram_matrix"] == "missing", broken


def test_a_notebook_that_runs_too_long_or_is_no_notebook_gets_its_row(tmp_path):
    slow = nbformat.v4.new_notebook()
    slow.cells = [
        nbformat.v4.new_code_cell("import labhelpers\nlabhelpers.check_gram_matrix(None)"),
        nbformat.v4.new_code_cell("import time\ntime.sleep(120)"),
    ]
    slow_path = tmp_path / "slow.ipynb"
    nbformat.write(slow, slow_path)
    junk = tmp_path / "junk.ipynb"
    junk.write_text("{ not json")
    columns, rows = grade([slow_path, junk], time_limit=40)
    assert columns == ["submission", "gram_matrix", "error"]
    assert rows[0]["error"].startswith("timeout: not finished after 40 s"), rows[0]
    assert rows[0]["gram_matrix"] == "missing"  # the check before the long cell was recorded
    assert rows[1]["error"].startswith("not a notebook:") and "gram_matrix" not in rows[1]


def test_an_existing_grades_file_is_kept_unless_forced(tmp_path, capsys):
    out = tmp_path / "grades.csv"
    out.write_text("the instructor's own\n")
    assert main(["grade", str(tmp_path / "none.ipynb"), "--out", str(out)]) == 2
    assert "exists; nothing was graded or written" in capsys.readouterr().err
    with pytest.raises(GradeError, match="Give --force"):
        write_grades(out, ["submission", "error"], [])
    assert out.read_text() == "the instructor's own\n"
    write_grades(out, ["submission", "error"], [{"submission": "a", "error": ""}], force=True)
    assert out.read_text() == "submission,error\na,\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grades.csv"]  # no temporary left
