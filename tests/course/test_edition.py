"""``python -m labhelpers student-edition``: every file of the edition is compared with the
instructor's model solutions and answer keys (none of either may be in it), the edition cannot
reach them, its notebooks run in fast mode in its own package, and nothing is overwritten."""

from __future__ import annotations

import ast
import inspect
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from labhelpers.config import REPO_ROOT
from labhelpers.course.edition import COURSE, EditionError, build_student_edition
from labhelpers.course.notebooks import exercises_in, lesson_notebooks, run_notebook
from labhelpers.exercises import answers, solutions

LESSONS = lesson_notebooks(REPO_ROOT / "notebooks")


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    return build_student_edition(tmp_path_factory.mktemp("course") / "out")


def _code_lines(text: str) -> list[str]:
    """Lines without indentation, comments or blank lines: how a copied body is compared."""
    lines = []
    for line in text.splitlines():
        line = re.sub(r"\s+#.*$", "", line).strip()
        if line and not line.startswith("#"):
            lines.append(re.sub(r"\s+", " ", line))
    return lines


def _solution_bodies() -> dict[str, list[str]]:
    """Each model solution's body (docstring left out) as normalised lines."""
    bodies = {}
    for name, function in solutions.SOLUTIONS.items():
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        statements = tree.body[0].body
        if isinstance(statements[0], ast.Expr) and isinstance(statements[0].value, ast.Constant):
            statements = statements[1:]  # the docstring
        bodies[name] = _code_lines("\n".join(ast.unparse(s) for s in statements))
    return bodies


def _only_in_solutions() -> set[str]:
    """Body lines of the model solutions that no other file of the instructor's package holds:
    the lines that would betray a copied solution."""
    elsewhere = set()
    for path in (REPO_ROOT / "labhelpers").rglob("*.py"):
        if path.name != "solutions.py":
            elsewhere.update(_code_lines(ast.unparse(ast.parse(path.read_text("utf-8")))))
    return {
        line
        for body in _solution_bodies().values()
        for line in body
        if line not in elsewhere and len(line) >= 20
    }


def _edition_texts(root: Path) -> dict[str, str]:
    """Every file of the edition as text; a notebook as its cells' sources and outputs."""
    texts = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        raw = path.read_bytes()
        if path.suffix == ".ipynb":
            notebook = json.loads(raw)
            parts = []
            for cell in notebook["cells"]:
                parts.append("".join(cell["source"]))
                for output in cell.get("outputs", []):
                    parts.append(json.dumps(output))
            texts[str(path.relative_to(root))] = "\n".join(parts)
        else:
            texts[str(path.relative_to(root))] = raw.decode("utf-8", errors="ignore")
    return texts


def test_the_edition_has_the_lab_without_the_instructors_files(edition):
    assert edition.parent.name == "release" and edition.name == COURSE
    assert (edition / "setup.sh").is_file() and (edition / "pyproject.toml").is_file()
    assert (edition / "README.md").read_text().startswith("> **Student edition.**")
    assert sorted(p.name for p in (edition / "notebooks").glob("*.ipynb")) == [
        p.name for p in LESSONS
    ]
    assert len(list((edition / "images").rglob("*.jpg"))) >= 3
    # the graded homework goes along, with its rubric, in the same student form
    homework = sorted(p.name for p in (REPO_ROOT / "notebooks/homework").glob("*.ipynb"))
    assert (
        homework
        and sorted(p.name for p in (edition / "notebooks/homework").glob("*.ipynb")) == homework
    )
    assert (edition / "notebooks/homework/RUBRIC.md").is_file()
    assert not (edition / "labhelpers/exercises/solutions.py").exists()
    assert not (edition / "labhelpers/exercises/answers.py").exists()
    assert not (edition / "tests").exists() and not (edition / "notebooks/INSTRUCTORS.md").exists()


def test_no_file_holds_a_model_solution(edition):
    bodies = _solution_bodies()
    telling = _only_in_solutions()
    assert len(telling) >= 15  # the comparison has something to find
    for name, text in _edition_texts(edition).items():
        lines = _code_lines(text)
        joined = "\n".join(lines)
        for exercise, body in bodies.items():
            assert "\n".join(body) not in joined, f"{name} holds the body of {exercise}"
        copied = telling & set(lines)
        assert not copied, f"{name} holds lines of the model solutions: {sorted(copied)}"


def test_no_file_holds_an_answer_key(edition):
    key_lines = {
        re.sub(r"\s+", " ", line.strip())
        for key in answers.ANSWERS.values()
        for line in key.splitlines()
        if len(line.strip()) >= 30
    }
    assert len(key_lines) > 50
    for name, text in _edition_texts(edition).items():
        flat = re.sub(r"\s+", " ", text)
        found = [line for line in key_lines if line in flat]
        assert not found, f"{name} holds answer-key text: {found[:2]}"


def _in_edition(edition: Path, code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(edition), **env}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=edition,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_edition_cannot_reach_solutions_and_says_so(edition):
    done = _in_edition(
        edition,
        "import labhelpers, sys\n"
        "assert labhelpers.__file__.startswith(sys.argv[0] or '.') or True\n"
        "print(labhelpers.__file__)\n"
        "print('switch', labhelpers.show_solutions())\n"
        "labhelpers.exercises.print_answers('03_style_loss')\n"
        "try:\n    import labhelpers.exercises.solutions\nexcept ImportError:\n"
        "    print('not importable')\n"
        "try:\n    labhelpers.solutions\nexcept AttributeError as e:\n    print('attr', e)\n",
        LAB_SOLUTIONS="1",
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.splitlines()[0] == str(edition / "labhelpers" / "__init__.py")
    assert "switch False" in out and "not importable" in out
    assert out.count("This is the student edition of the lab: it holds no model solutions") == 3


@pytest.mark.notebooks
@pytest.mark.parametrize("name", [p.name for p in LESSONS], ids=[p.stem for p in LESSONS])
def test_edition_notebook_runs_in_fast_mode(edition, name):
    path = edition / "notebooks" / name
    notebook = nbformat.read(path, as_version=4)
    run = run_notebook(
        notebook,
        path.parent,
        fast=True,
        time_limit=900,
        env={"PYTHONPATH": str(edition), "LAB_SOLUTIONS": "1"},
    )
    assert run.error is None, run.error
    shown = "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    if "show_solutions()" in "".join(c.source for c in notebook.cells):
        assert "This is the student edition of the lab" in shown  # its own package ran
    assert "Answer key" not in shown and "def " not in shown
    exercises = exercises_in(notebook)
    if not exercises:
        return
    verdicts = json.loads((path.parent / "lab_verdicts.json").read_text())["exercises"]
    for exercise in exercises:
        assert verdicts[exercise]["status"] == "missing", (exercise, verdicts[exercise])


def test_a_non_empty_folder_is_refused_and_kept(tmp_path):
    out = tmp_path / "course"
    out.mkdir()
    (out / "mine.txt").write_text("my notes")
    with pytest.raises(EditionError, match="not an empty folder; nothing was written"):
        build_student_edition(out)
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    assert (out / "mine.txt").read_text() == "my notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["course"]  # no half-built folder


def test_an_empty_folder_is_filled(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    made = build_student_edition(out)
    assert (made / "notebooks").is_dir() and sorted(p.name for p in tmp_path.iterdir()) == [
        "empty"
    ]
