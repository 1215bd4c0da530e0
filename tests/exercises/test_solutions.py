"""Tests of labhelpers.exercises.solutions: each reference solution passes its own checker."""

from __future__ import annotations

import pytest

from labhelpers.exercises import answers, checks, solutions


@pytest.mark.parametrize("name", sorted(solutions.SOLUTIONS))
def test_solutions_pass_their_checks(name, capsys):
    check = getattr(checks, f"check_{name}")
    assert check(solutions.SOLUTIONS[name], seed=0) is True
    assert f"def {name}(" in solutions.source(name)
    with pytest.raises(KeyError):
        solutions.source("nothing")


# --- the instructors' switch (LAB_SOLUTIONS) -----------------------------------------------------

import json  # noqa: E402
import re  # noqa: E402

from labhelpers import config  # noqa: E402
from labhelpers.config import REPO_ROOT  # noqa: E402


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1", True),
        ("TRUE", True),
        (" yes ", True),
        ("on", True),
        ("", False),
        ("0", False),
        ("no", False),
        ("off", False),
    ],
)
def test_show_solutions_reads_lab_solutions(monkeypatch, value, expected):
    monkeypatch.setenv("LAB_SOLUTIONS", value)
    assert config.show_solutions() is expected


def test_print_answers_shows_the_key_only_with_the_switch(monkeypatch, capsys):
    lesson = sorted(answers.ANSWERS)[0]
    first_line = answers.ANSWERS[lesson].strip().splitlines()[0]
    monkeypatch.delenv("LAB_SOLUTIONS", raising=False)
    answers.print_answers(lesson)
    hidden = capsys.readouterr().out
    assert first_line not in hidden and "LAB_SOLUTIONS=1" in hidden
    monkeypatch.setenv("LAB_SOLUTIONS", "1")
    answers.print_answers(lesson)
    assert first_line in capsys.readouterr().out
    with pytest.raises(KeyError, match="answer key"):
        answers.print_answers("99_nothing")


def _code(path) -> str:
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def _has_questions(path) -> bool:
    cells = json.loads(path.read_text())["cells"]
    return any(
        re.search(r"^#+ .*Questions", "".join(c["source"]), re.M)
        for c in cells
        if c["cell_type"] == "markdown"
    )


NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_one_switch_for_the_solutions_in_every_lesson(path):
    code = _code(path)
    assert not re.search(r"^\s*SHOW_SOLUTIONS\s*=\s*(True|False)", code, re.M), (
        f"{path.name} sets SHOW_SOLUTIONS by hand; use SHOW_SOLUTIONS = "
        "labhelpers.show_solutions() (LAB_SOLUTIONS=1)"
    )
    if "SHOW_SOLUTIONS" in code:
        assert "labhelpers.show_solutions()" in code


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if _has_questions(p)], ids=lambda p: p.stem)
def test_every_lesson_with_questions_has_an_answer_key(path):
    assert path.stem in answers.ANSWERS, f"answers.ANSWERS has no key for {path.stem}'s Questions"
    assert f'print_answers("{path.stem}")' in _code(path), (
        f"{path.name} does not call print_answers"
    )
