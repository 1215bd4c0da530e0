"""Checkers of the homework's study (Part D): the ratio sweep and its pass criterion.

``check_ratio_study(ratio_study)`` runs the student's ``ratio_study(ratios, loss_for_ratio,
start, iterations)`` on random quadratic problems whose minimiser is known in closed form
(``|x - p|^2 + r |x - s|^2`` is smallest at ``(p + r s) / (1 + r)``, inside [0, 1]), and names the
usual slips: not a dict by ratio, every ratio given the same loss, the start returned instead of
the result, a flat vector, runs chained from the previous result.

``check_ratio_criterion(study)`` judges the real sweep with the stated criterion
(:func:`ratio_criterion`): as the style/content ratio grows, the picture trades content for
style.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Optional

import numpy as np

from labhelpers.exercises.checks import fallbacks
from labhelpers.exercises.checks.core import (
    CheckFailed,
    Diagnosis,
    NotImplementedYet,
    call_student,
    check_function,
    expect_calls,
    on_input,
    register_reference,
    repeat_text,
    returned,
    run_check,
)

__all__ = [
    "check_ratio_study",
    "check_ratio_criterion",
    "ratio_criterion",
    "MIN_RATIOS",
    "MIN_SPAN",
    "NOISE",
    "MIN_CHANGE",
]

_CALL = "ratio_study(ratios, loss_for_ratio, start, iterations)"
_HINT = (
    "for each ratio: objective, bounds = lbfgs_objective(loss_for_ratio(ratio), start.shape); "
    "run scipy.optimize.minimize from start.ravel() (float64) with jac=True, "
    "method='L-BFGS-B', bounds and maxiter=iterations; keep result.x reshaped to start.shape"
)

#: The criterion: at least this many ratios, the largest at least MIN_SPAN times the smallest;
MIN_RATIOS, MIN_SPAN = 4, 100.0
#: each neighbour may go the wrong way by at most this fraction (the runs are short);
NOISE = 0.10
#: and from the smallest ratio to the largest the content loss grows, the style loss falls, by
#: at least this factor.
MIN_CHANGE = 2.0


def _problem(rng: np.random.Generator) -> tuple[Any, np.ndarray, list[float], Callable]:
    """(start, photo-like p, ratios, loss_for_ratio) of a random quadratic study."""
    from labhelpers.config import import_tensorflow

    tf = import_tensorflow()
    shape = (1, int(rng.integers(3, 6)), int(rng.integers(3, 6)), 3)
    p = rng.uniform(0.1, 0.9, shape).astype(np.float32)
    s = rng.uniform(0.1, 0.9, shape).astype(np.float32)
    start = rng.uniform(0.0, 1.0, shape).astype(np.float32)
    ratios = sorted(float(r) for r in rng.choice([0.1, 0.3, 1.0, 3.0, 10.0], 3, replace=False))

    def loss_for_ratio(ratio: float) -> Callable[[Any], Any]:
        def loss(x: Any) -> Any:
            return tf.reduce_sum(tf.square(x - p)) + ratio * tf.reduce_sum(tf.square(x - s))

        return loss

    loss_for_ratio.p, loss_for_ratio.s = p, s  # type: ignore[attr-defined]
    return start, p, ratios, loss_for_ratio


def _minimiser(loss_for_ratio: Any, ratio: float) -> np.ndarray:
    return (loss_for_ratio.p + ratio * loss_for_ratio.s) / (1.0 + ratio)


def _judge(pictures: Any, ratios: Sequence[float], start: np.ndarray, loss_for_ratio: Any) -> None:
    if not isinstance(pictures, dict):
        raise CheckFailed(
            Diagnosis(
                f"your study returned a {type(pictures).__name__}, not a dict {{ratio: picture}}",
                "pictures[ratio] = ... for each ratio, then return pictures",
            )
        )
    if sorted(pictures) != sorted(ratios):
        raise CheckFailed(
            Diagnosis(
                f"your study's keys are {sorted(pictures)}, the ratios were {sorted(ratios)}",
                "one entry per ratio, keyed by the ratio itself",
            )
        )
    arrays = {r: np.asarray(pictures[r], np.float64) for r in ratios}
    for ratio, picture in arrays.items():
        if picture.shape != start.shape:
            raise CheckFailed(
                Diagnosis(
                    f"the picture for ratio {ratio:g} has shape {picture.shape}, not the start's "
                    f"{start.shape}",
                    "reshape result.x to start.shape",
                )
            )
    if all(np.allclose(arrays[r], start, atol=1e-6) for r in ratios):
        raise CheckFailed(
            Diagnosis(
                "every picture of your study is the start picture: nothing was optimised, or "
                "the start was kept instead of the result",
                "keep result.x, the picture L-BFGS-B ends with",
            )
        )
    first = arrays[ratios[0]]
    if all(np.allclose(arrays[r], first, atol=1e-4) for r in ratios[1:]):
        raise CheckFailed(
            Diagnosis(
                "every ratio gave the same picture: the runs did not use their own ratio's loss",
                "call loss_for_ratio(ratio) inside the loop, for each ratio",
            )
        )
    for ratio in ratios:
        wanted = _minimiser(loss_for_ratio, ratio)
        if not np.allclose(arrays[ratio], wanted, atol=2e-3):
            worst = float(np.max(np.abs(arrays[ratio] - wanted)))
            raise CheckFailed(
                Diagnosis(
                    f"the picture for ratio {ratio:g} is not where L-BFGS-B ends on this loss "
                    f"(off by up to {worst:.3g}; this test's loss has its minimum in the box, "
                    "known in closed form)",
                    _HINT,
                )
            )


def _body(fn: Callable[..., Any], seed: int) -> str:
    rng = np.random.default_rng(seed)
    expect_calls(2)
    for _ in range(2):
        start, _p, ratios, loss_for_ratio = _problem(rng)
        details = (
            f"Input: ratios {ratios}, a quadratic loss on pictures {start.shape}, 30 iterations "
            f"({repeat_text('ratio_study', seed)})."
        )
        with on_input(details):
            pictures = returned(
                call_student(fn, [list(ratios), loss_for_ratio, start.copy(), 30], call=_CALL)
            )
            _judge(pictures, ratios, start, loss_for_ratio)
    return "one L-BFGS-B run per ratio, each on its own loss from the same start, result kept"


def check_ratio_study(fn: Optional[Callable[..., Any]], *, seed: Optional[int] = None) -> bool:
    """Check a student's ``ratio_study(ratios, loss_for_ratio, start, iterations)``; print a
    verdict.

    Used by the homework (``notebooks/homework/homework_style_transfer.ipynb``, Part D).

    Args:
        fn: the student's study. It gets the ratios (a list of floats), ``loss_for_ratio`` (ratio
            -> loss function of a float32 picture), the start picture (1, H, W, 3) float32 and
            the iterations; it should return {ratio: the picture L-BFGS-B ends with, (1, H, W, 3)}.
            ``None`` counts as "not implemented yet".
        seed: seed of the random problems; ``None`` draws a fresh one.

    Returns:
        True if every picture is the minimiser of its ratio's loss.
    """
    return check_function("ratio_study", fn, seed, _body)


def ratio_criterion(
    ratios: Sequence[float], content: Sequence[float], style: Sequence[float]
) -> list[str]:
    """The study's pass criterion; the list of what fails it (empty: passed).

    With the ratios in increasing order: at least :data:`MIN_RATIOS` of them spanning a factor
    :data:`MIN_SPAN`; each step to a larger ratio raises the content loss and lowers the style
    loss, up to :data:`NOISE` (10 %) the wrong way; and from the smallest ratio to the largest
    the content loss grows and the style loss falls by at least :data:`MIN_CHANGE` (2x).

    Args:
        ratios: the style/content weight ratios (beta / alpha), > 0.
        content: the content loss of each ratio's picture (unweighted, the lecture's).
        style: the style loss of each ratio's picture (unweighted, the lecture's).
    """
    order = np.argsort(np.asarray(ratios, np.float64))
    r = np.asarray(ratios, np.float64)[order]
    c = np.asarray(content, np.float64)[order]
    s = np.asarray(style, np.float64)[order]
    problems = []
    if len(r) < MIN_RATIOS or r[0] <= 0 or r[-1] / r[0] < MIN_SPAN:
        problems.append(
            f"the study needs at least {MIN_RATIOS} ratios > 0 spanning a factor {MIN_SPAN:g} "
            f"(it has {len(r)}: {', '.join(f'{v:g}' for v in r)})"
        )
        return problems
    for i in range(len(r) - 1):
        if c[i + 1] < (1 - NOISE) * c[i]:
            problems.append(
                f"the content loss falls from {c[i]:.3g} to {c[i + 1]:.3g} between ratios "
                f"{r[i]:g} and {r[i + 1]:g}"
            )
        if s[i + 1] > (1 + NOISE) * s[i]:
            problems.append(
                f"the style loss rises from {s[i]:.3g} to {s[i + 1]:.3g} between ratios "
                f"{r[i]:g} and {r[i + 1]:g}"
            )
    if not c[-1] >= MIN_CHANGE * c[0]:
        problems.append(
            f"the content loss grows only from {c[0]:.3g} to {c[-1]:.3g} (less than "
            f"{MIN_CHANGE:g}x) across the ratios"
        )
    if not s[-1] * MIN_CHANGE <= s[0]:
        problems.append(
            f"the style loss falls only from {s[0]:.3g} to {s[-1]:.3g} (less than "
            f"{MIN_CHANGE:g}x) across the ratios"
        )
    return problems


def check_ratio_criterion(study: Any) -> bool:
    """Judge the homework's real sweep by :func:`ratio_criterion`; print a verdict.

    Args:
        study: has ``ratios``, ``content`` and ``style`` (equal-length sequences), e.g. the
            :class:`labhelpers.lessons.homework.RatioStudy` of ``measure_study``.

    Returns:
        True if the criterion holds.
    """

    def body() -> str:
        if study is None:
            raise NotImplementedYet
        fields = ("ratios", "content", "style")
        absent = [name for name in fields if not hasattr(study, name)]
        if absent:
            raise CheckFailed(
                Diagnosis(
                    f"the study given ({type(study).__name__}) has no {', '.join(absent)}",
                    "pass what `measure_study(pictures, ...)` returns",
                )
            )
        lengths = {name: len(getattr(study, name)) for name in fields}
        if len(set(lengths.values())) > 1:
            raise CheckFailed(
                Diagnosis(
                    "the study's lists differ in length ("
                    + ", ".join(f"{n} {k}" for n, k in lengths.items())
                    + ")",
                    "one picture per ratio: check that `ratio_study` returns one for each",
                )
            )
        problems = ratio_criterion(study.ratios, study.content, study.style)
        if problems:
            raise CheckFailed(
                Diagnosis(
                    "the sweep does not show the trade: " + "; ".join(problems),
                    "more ratios over a wider range, or more iterations per run (and check "
                    "that each run used its own ratio)",
                )
            )
        return (
            f"over {len(study.ratios)} ratios the content loss grows "
            f"{max(study.content) / max(min(study.content), 1e-30):.3g}x and the style loss "
            f"falls {max(study.style) / max(min(study.style), 1e-30):.3g}x"
        )

    return run_check("ratio_criterion", body)


register_reference(check_ratio_study, fallbacks.lbfgs_runs)
