"""The homework's study: check_ratio_study names the usual slips of the sweep, the criterion
judges hand-made sweeps as stated, and check_ratio_criterion prints its verdict.

The student-style sweeps are written here by hand.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy.optimize import minimize

from labhelpers.exercises import solutions
from labhelpers.exercises.checks import check_ratio_criterion, check_ratio_study
from labhelpers.exercises.checks.study import ratio_criterion

from .helpers import verdict


def make(*, fixed_ratio=None, keep="x", chain=False, as_list=False, flat=False):
    """A student's ratio_study with one thing changed (defaults: right)."""

    def ratio_study(ratios, loss_for_ratio, start, iterations):
        pictures, x0 = {}, np.asarray(start, np.float64).ravel()
        for ratio in ratios:
            loss = loss_for_ratio(fixed_ratio if fixed_ratio is not None else ratio)
            objective, bounds = solutions.lbfgs_objective(loss, start.shape)
            result = minimize(
                objective,
                x0,
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": iterations},
            )
            x0 = result.x if chain else x0
            picture = result.x if keep == "x" else np.asarray(start, np.float64).ravel()
            pictures[ratio] = picture if flat else picture.reshape(start.shape).astype(np.float32)
        return list(pictures.values()) if as_list else pictures

    return ratio_study


RIGHT = [solutions.ratio_study, make(chain=True)]  # chained starts reach the same minima here


@pytest.mark.parametrize("fn", RIGHT, ids=["solution", "chained"])
def test_right_studies_pass_over_seeds(capsys, fn):
    for seed in range(6):
        passed, out = verdict(capsys, check_ratio_study, fn, seed=seed)
        assert passed and out.startswith("✅ ratio_study"), (seed, out)


WRONG = [
    (make(fixed_ratio=1.0), "every ratio gave the same picture"),
    (make(keep="start"), "every picture of your study is the start picture"),
    (make(as_list=True), "not a dict"),
    (make(flat=True), "reshape result.x to start.shape"),
    (make(fixed_ratio=0.0), "every ratio gave the same picture"),
]


@pytest.mark.parametrize("fn, words", WRONG, ids=[f"{i}" for i in range(len(WRONG))])
def test_each_slip_gets_its_diagnosis(capsys, fn, words):
    for seed in (0, 1, 2):
        passed, out = verdict(capsys, check_ratio_study, fn, seed=seed)
        assert not passed and out.startswith("❌ ratio_study") and words in out, (seed, out)
        assert f"check_ratio_study(ratio_study, seed={seed})" in out


def test_a_wrong_minimum_is_named(capsys):
    def too_short(ratios, loss_for_ratio, start, iterations):
        return solutions.ratio_study(ratios, loss_for_ratio, start, 1)  # one iteration only

    passed, out = verdict(capsys, check_ratio_study, too_short, seed=0)
    assert not passed and "is not where L-BFGS-B ends on this loss" in out, out


# --------------------------------------------------------------------------- the criterion


RATIOS = [1e3, 1e4, 1e5, 1e6]


@pytest.mark.parametrize(
    "ratios, content, style, problem",
    [
        (RATIOS, [0.2, 2.5, 18.0, 20.0], [3.2, 2.5, 1.3, 1.3], None),
        (RATIOS, [0.2, 2.5, 18.0, 17.0], [3.2, 2.5, 1.3, 1.4], None),  # within 10 %
        (RATIOS, [0.2, 2.5, 15.0, 20.0], [3.2, 2.5, 1.3, 1.5], "style loss rises"),
        (RATIOS, [0.2, 2.5, 18.0, 15.0], [3.2, 2.5, 1.3, 1.3], "content loss falls"),
        (RATIOS, [1.0, 1.2, 1.4, 1.6], [3.2, 2.5, 1.3, 1.3], "grows only"),
        (RATIOS, [0.2, 2.5, 18.0, 20.0], [3.2, 3.0, 2.0, 1.7], "falls only"),
        ([1e3, 1e4, 1e5], [0.2, 2.5, 18.0], [3.2, 2.5, 1.3], "at least 4 ratios"),
        ([1, 2, 4, 8], [0.2, 2.5, 18.0, 20.0], [3.2, 2.5, 1.3, 1.3], "spanning a factor 100"),
        (RATIOS[::-1], [20.0, 18.0, 2.5, 0.2], [1.3, 1.3, 2.5, 3.2], None),  # any order given
    ],
)
def test_criterion_by_hand(ratios, content, style, problem):
    problems = ratio_criterion(ratios, content, style)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in text for text in problems), problems


def test_check_ratio_criterion_prints_its_verdict(capsys):
    good = SimpleNamespace(ratios=RATIOS, content=[0.2, 2.5, 18.0, 20.0], style=[4, 2.5, 1.3, 1])
    assert check_ratio_criterion(good) is True
    out = capsys.readouterr().out
    assert out.startswith("✅ ratio_criterion") and "grows 100x" in out and "falls 4x" in out
    bad = SimpleNamespace(ratios=RATIOS, content=[1, 1, 1, 1], style=[1, 1, 1, 1])
    assert check_ratio_criterion(bad) is False
    assert capsys.readouterr().out.startswith("❌ ratio_criterion: the sweep does not show")


def test_check_ratio_criterion_names_what_is_wrong_with_what_it_was_given(capsys):
    """No study yet is "not done yet" (missing), not a failure of the checker; a wrong object or
    lists of different lengths are named."""
    assert check_ratio_criterion(None) is False
    assert capsys.readouterr().out.startswith("⏳ ratio_criterion: not implemented yet")
    assert check_ratio_criterion([1, 2, 3]) is False
    out = capsys.readouterr().out
    assert out.startswith("❌ ratio_criterion: the study given (list) has no ratios, content")
    short = SimpleNamespace(ratios=RATIOS, content=[0.2, 2.5, 18.0], style=[4, 2.5, 1.3, 1])
    assert check_ratio_criterion(short) is False
    out = capsys.readouterr().out
    assert "the study's lists differ in length (ratios 4, content 3, style 4)" in out, out
    assert "checker itself failed" not in out


def keyed_by_text(ratios, loss_for_ratio, start, iterations):
    pictures = solutions.ratio_study(ratios, loss_for_ratio, start, iterations)
    return {f"{ratio:g}": picture for ratio, picture in pictures.items()}


def test_keys_that_are_not_the_ratios(capsys):
    passed, out = verdict(capsys, check_ratio_study, keyed_by_text, seed=0)
    assert not passed and out.startswith("❌ ratio_study") and "the ratios were" in out, out
