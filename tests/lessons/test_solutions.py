"""Tests of labhelpers.lessons.solutions: each reference solution passes its own checker."""

from __future__ import annotations

import pytest

from labhelpers.lessons import checks, solutions


@pytest.mark.parametrize("name", sorted(solutions.SOLUTIONS))
def test_solutions_pass_their_checks(name, capsys):
    check = getattr(checks, f"check_{name}")
    assert check(solutions.SOLUTIONS[name], seed=0) is True
    assert f"def {name}(" in solutions.source(name)
    with pytest.raises(KeyError):
        solutions.source("nothing")
