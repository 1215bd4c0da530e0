"""Checkers of the "think first" exercises, whose answer is worked out by hand, then written as
code.

* :func:`check_checkerboard_tv`, used by 04_total_variation, Exercise 2 ("think first"): the total
  variation of a black-and-white checkerboard, counted without building the picture:
  ``checkerboard_tv(height, width, cell)``.
* :func:`check_first_adam_change`, used by 05_optimization, Exercise 3 ("think first"): how much
  Adam's very first step changes each pixel, from Adam's update rule with its moments starting at
  0: ``first_adam_change(gradient, learning_rate)``.

Like the other checkers (on the scaffold of :mod:`labhelpers.exercises.checks.core`), each runs the
student's function on fresh random inputs, compares it with an independent reference (here: the
real thing, the TV of the checkerboard picture itself and one step of Keras's own Adam), names a
typical mistake only when it explains *every* input, never prints the expected formula, and
returns True or False.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Optional

import numpy as np

from labhelpers.config import import_tensorflow
from labhelpers.exercises.checks.core import (
    CheckFailed,
    Diagnosis,
    call_student,
    check_function,
    expect_calls,
    mistake_explaining_all,
    on_input,
    register_reference,
    repeat_text,
    returned,
)
from labhelpers.lessons.common.pictures import checkerboard
from labhelpers.losses import total_variation_loss

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

__all__ = [
    "checkerboard_tv",
    "checkerboard_tv_reference",
    "first_adam_change",
    "first_adam_change_reference",
    "check_checkerboard_tv",
    "check_first_adam_change",
    "ADAM_BETAS",
]

#: Keras's default Adam moment decay rates (beta_1, beta_2), the ones the lesson's optimiser uses.
ADAM_BETAS = (0.9, 0.999)


# --------------------------------------------------------------------------- references


def checkerboard_tv(height: int, width: int, cell: int) -> float:
    """The TV of :func:`labhelpers.lessons.common.pictures.checkerboard` (height, width, cell),
    computed on the picture itself."""
    board = checkerboard(int(height), int(width), int(cell))
    return float(total_variation_loss(tf.constant(board[None], tf.float64)))


checkerboard_tv_reference = checkerboard_tv


def first_adam_change(gradient: np.ndarray, learning_rate: float) -> np.ndarray:
    """The change of each value in Keras's first Adam step with ``gradient``: run the optimiser
    once.

    Args:
        gradient: any shape, float.
        learning_rate: Adam's learning rate.

    Returns:
        float64 array of ``gradient``'s shape: the variable after one ``apply_gradients`` minus
        before.
    """
    variable = tf.Variable(tf.zeros(np.shape(gradient), tf.float32))
    optimizer = tf.keras.optimizers.Adam(float(learning_rate))
    optimizer.apply_gradients([(tf.constant(np.asarray(gradient, np.float32)), variable)])
    return variable.numpy().astype(np.float64)


first_adam_change_reference = first_adam_change


# --------------------------------------------------------------------------- shared


def _floats(result: Any, what: str, hint: str) -> np.ndarray:
    """The student's result (a number, an array or a tensor) as float64; CheckFailed if it is
    none of them (``what`` it should be and the ``hint`` are shown)."""
    try:
        return np.asarray(
            tf.convert_to_tensor(result).numpy() if tf.is_tensor(returned(result)) else result,
            np.float64,
        )
    except (TypeError, ValueError):
        raise CheckFailed(
            Diagnosis(f"your function returned a {type(result).__name__}, not {what}", hint)
        ) from None


def _number(result: Any) -> float:
    """The student's result as one float; CheckFailed when it is not a single number."""
    array = _floats(result, "a number", "return one number (an int or a float)")
    if array.size != 1:
        raise CheckFailed(
            Diagnosis(
                f"your function returned {array.size} values (shape {array.shape}), not one "
                "number",
                "add everything up into a single count",
            )
        )
    return float(array.reshape(()))


def _agree(rtol: float) -> Callable[[Any, Any], bool]:
    """``same(mine, wrong)``: equal shapes, NaN where the other has NaN, finite values close."""

    def same(mine: Any, wrong: Any) -> bool:
        mine, wrong = np.asarray(mine, np.float64), np.asarray(wrong, np.float64)
        if wrong.shape != mine.shape or np.any(np.isnan(wrong) != np.isnan(mine)):
            return False
        finite = np.isfinite(wrong) & np.isfinite(mine)
        scale = max(1e-12, float(np.max(np.abs(wrong[finite]), initial=0.0)))
        return bool(np.allclose(mine[finite], wrong[finite], rtol=rtol, atol=rtol * scale))

    return same


def _explaining(
    mistakes: list[tuple[Callable[..., Any], Diagnosis]],
    cases: list[tuple],
    answers: list[Any],
    rtol: float,
) -> Optional[Diagnosis]:
    """The typical mistake ``mistake(*case)`` that gives the student's answer on every case."""

    def wrong(mistake: Callable[..., Any]) -> Callable[[tuple], Any]:
        def on(case: tuple) -> Any:
            with np.errstate(all="ignore"):
                return mistake(*case)

        return on

    table = [(wrong(mistake), diagnosis) for mistake, diagnosis in mistakes]
    return mistake_explaining_all(table, cases, answers, _agree(rtol))


# ----------------------------------------------------------------- lesson 04: TV of a checkerboard


def _boundaries(side: int, cell: int) -> int:
    return (side - 1) // cell


_TV_MISTAKES: list[tuple[Callable[[int, int, int], float], Diagnosis]] = [
    (
        lambda h, w, k: h * _boundaries(w, k) + w * _boundaries(h, k),
        Diagnosis(
            "your count is 1/3 of the right one: the picture is RGB, and each of its 3 channels "
            "has the same jumps",
            "every boundary is counted once per colour channel",
        ),
    ),
    (
        lambda h, w, k: 3 * (h * (w - 1) + w * (h - 1)),
        Diagnosis(
            "you counted every pair of neighbours as a jump of 1, but inside a square neighbours "
            "are equal",
            "only pairs that lie on the two sides of a boundary between squares differ",
        ),
    ),
    (
        lambda h, w, k: 3 * (w * _boundaries(w, k) + h * _boundaries(h, k)),
        Diagnosis(
            "height and width are mixed up: a boundary between two columns of squares is as long "
            "as the picture is high, not as wide",
            "a vertical boundary line crosses all the rows; a horizontal one all the columns",
        ),
    ),
    (
        lambda h, w, k: 3 * (h * max(w // k - 1, 0) + w * max(h // k - 1, 0)),
        Diagnosis(
            "you missed the boundary before a last square that is cut off: when the cell size "
            "does not divide the side, the last, narrower square still has a boundary",
            "count the squares along a side, rounding up, and the boundaries between them",
        ),
    ),
    (
        lambda h, w, k: 3 * (h * (w // k) + w * (h // k)),
        Diagnosis(
            "you counted one boundary too many along a side in some pictures, as if the "
            "picture's own edge were a jump (or it wrapped around)",
            "only pixels with a neighbour inside the picture count",
        ),
    ),
    (
        lambda h, w, k: 3 * (h * (w - 1) / k + w * (h - 1) / k),
        Diagnosis(
            "your count is not a whole number: a number of boundaries has to be one",
            "how many whole boundaries fit along a side?",
        ),
    ),
    (
        lambda h, w, k: 3 * h * _boundaries(w, k),
        Diagnosis(
            "only one direction: you counted the jumps between columns (to the right) but not "
            "between rows (downwards)",
            "total variation adds both directions",
        ),
    ),
    (
        lambda h, w, k: 3 * w * _boundaries(h, k),
        Diagnosis(
            "only one direction: you counted the jumps between rows (downwards) but not between "
            "columns (to the right)",
            "total variation adds both directions",
        ),
    ),
    (
        lambda h, w, k: 6 * (h * _boundaries(w, k) + w * _boundaries(h, k)),
        Diagnosis(
            "your count is twice the right one: each pair of neighbours is counted once, not "
            "once from each side",
            "TV compares each pixel with the one below and the one on the right only",
        ),
    ),
]


def _checkerboard_cases(rng: np.random.Generator) -> list[tuple[int, int, int]]:
    """(height, width, cell) with height != width: 1-px cells, cells that divide the sides, ones
    that do
    not, and a cell larger than the picture."""
    cases = []
    for kind in ("one", "divides", "cut", "cut", "random", "huge"):
        cell = {
            "one": 1,
            "divides": int(rng.integers(2, 6)),
            "huge": int(rng.integers(9, 20)),
        }.get(kind)
        cell = int(rng.integers(2, 8)) if cell is None else cell
        while True:
            if kind == "divides":
                height, width = cell * int(rng.integers(2, 7)), cell * int(rng.integers(2, 7))
            elif kind == "huge":
                height, width = int(rng.integers(2, cell + 1)), int(rng.integers(2, cell + 1))
            else:
                height, width = int(rng.integers(2, 41)), int(rng.integers(2, 41))
            cut = height % cell != 0 and width % cell != 0
            if height != width and (kind != "cut" or cut):
                break
        cases.append((height, width, cell))
    return cases


def check_checkerboard_tv(
    fn: Optional[Callable[[int, int, int], Any]], *, seed: Optional[int] = None
) -> bool:
    """Check a student's ``checkerboard_tv(height, width, cell)``; print a verdict.

    Used by 04_total_variation, Exercise 2 (think first).

    Args:
        fn: the student's function: the anisotropic (L1) total variation of an RGB checkerboard of
            ``height`` x ``width`` px with black (0) and white (1) squares of ``cell`` x ``cell``
            px (:func:`labhelpers.lessons.common.pictures.checkerboard`), as a number. ``None``
            counts as "not implemented yet".
        seed: seed for the random sizes; ``None`` draws a fresh one (printed on failure).

    Returns:
        True if ``fn`` gives the TV of the real checkerboard for every size tried.
    """

    def body(fn: Callable[..., Any], seed: int) -> str:
        cases = _checkerboard_cases(np.random.default_rng(seed))
        expect_calls(len(cases))
        repeat = repeat_text("checkerboard_tv", seed)
        got: list[float] = []
        for height, width, cell in cases:
            with on_input(f"Input: height={height}, width={width}, cell={cell} ({repeat})."):
                value = call_student(
                    fn, [height, width, cell], call="checkerboard_tv(height, width, cell)"
                )
                got.append(_number(value))
        wrong = [
            (case, value)
            for case, value in zip(cases, got)
            if abs(value - checkerboard_tv_reference(*case)) > 1e-6
        ]
        if not wrong:
            return (
                f"right for {len(cases)} random sizes (squares of 1 px, ones that fit and ones "
                "cut off at the edge)"
            )
        (height, width, cell), value = wrong[0]
        raise CheckFailed(
            _explaining(_TV_MISTAKES, cases, got, rtol=1e-9)
            or Diagnosis(
                f"wrong count for {len(wrong)} of the {len(cases)} sizes",
                "draw a small board on paper (say 5 x 7 px with 2-px squares), mark the pairs of "
                "neighbours that differ, and find the rule; then count per channel",
            ),
            f"Input: height={height}, width={width}, cell={cell}, your answer {value:g} "
            f"({repeat}).",
        )

    return check_function("checkerboard_tv", fn, seed, body)


# -------------------------------------------------------------------- lesson 05: Adam's first step


def _adam_mistakes() -> list[tuple[Callable[[np.ndarray, float], np.ndarray], Diagnosis]]:
    b1, b2 = ADAM_BETAS
    eps = 1e-7
    sign = np.sign
    return [
        (
            lambda g, lr: lr * sign(g),
            Diagnosis(
                "your change goes uphill: the optimiser moves each pixel *against* its gradient",
                "a positive gradient means the loss grows when the pixel grows",
            ),
        ),
        (
            lambda g, lr: -lr * g,
            Diagnosis(
                "that is plain gradient descent (SGD), the change proportional to the gradient; "
                "Adam divides by the running size of each pixel's gradient",
                "work out m and v after one step from 0, then m / sqrt(v)",
            ),
        ),
        (
            lambda g, lr: lr * g,
            Diagnosis(
                "that is gradient *ascent* with plain gradient descent's step: Adam moves "
                "against the gradient and divides by the running size of each pixel's gradient",
                "work out m and v after one step from 0",
            ),
        ),
        (
            lambda g, lr: -sign(g),
            Diagnosis(
                "the learning rate is missing: your change has the right direction but is 1 "
                "pixel value long",
                "the learning rate multiplies every step",
            ),
        ),
        (
            lambda g, lr: -lr * (1 - b1) * g / (np.sqrt((1 - b2) * g * g) + eps),
            Diagnosis(
                "no bias correction: with m and v starting at 0, both are far too small after "
                "one step, by different factors, and your change is about 3.16 times too long",
                "divide m by (1 - beta_1^t) and v by (1 - beta_2^t), here with t = 1",
            ),
        ),
        (
            lambda g, lr: -lr * g / (np.sqrt((1 - b2) * g * g) + eps),
            Diagnosis(
                "only m is bias-corrected: v after one step is still (1 - beta_2) g^2, so your "
                "change is about 31.6 times too long",
                "correct v as well: divide it by (1 - beta_2^t)",
            ),
        ),
        (
            lambda g, lr: -lr * (1 - b1) * g / (np.abs(g) + eps),
            Diagnosis(
                "only v is bias-corrected: m after one step is still (1 - beta_1) g, so your "
                "change is 10 times too short",
                "correct m as well: divide it by (1 - beta_1^t)",
            ),
        ),
        (
            lambda g, lr: -lr * g / np.sqrt(np.sum(g * g)),
            Diagnosis(
                "you divided by the size of the whole gradient (its norm); Adam divides each "
                "pixel's value by that pixel's own running size",
                "m and v are kept per pixel value, element by element",
            ),
        ),
        (
            lambda g, lr: -lr * g / np.max(np.abs(g)),
            Diagnosis(
                "you divided by the largest gradient of all; Adam divides each pixel's value by "
                "that pixel's own running size",
                "m and v are kept per pixel value, element by element",
            ),
        ),
    ]


def _adam_cases(rng: np.random.Generator) -> list[tuple[np.ndarray, float]]:
    cases = []
    for shape in [(1, 4, 5, 3), (1, 3, 7, 3), (2, 6)]:
        size = 10.0 ** rng.uniform(-2, 1, size=shape)
        gradient = rng.choice([-1.0, 1.0], size=shape) * size
        gradient.flat[rng.choice(gradient.size, 2, replace=False)] = (
            0.0  # pixels the loss does not care about
        )
        cases.append(
            (gradient.astype(np.float32), float(rng.choice([0.001, 0.005, 0.02, 0.05, 0.1])))
        )
    return cases


def check_first_adam_change(
    fn: Optional[Callable[[np.ndarray, float], Any]], *, seed: Optional[int] = None
) -> bool:
    """Check a student's ``first_adam_change(gradient, learning_rate)``; print a verdict.

    Used by 05_optimization, Exercise 3 (think first).

    Args:
        fn: the student's function: for a NumPy ``gradient`` (any shape, float32, some values
            exactly 0) and a ``learning_rate``, the change of each value in Adam's first step
            (moments starting at 0, Keras's beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-7), an array
            of ``gradient``'s shape (NumPy or a tf tensor). ``None`` counts as "not implemented
            yet".
        seed: seed for the random gradients; ``None`` draws a fresh one (printed on failure).

    Returns:
        True if ``fn`` agrees with one step of ``tf.keras.optimizers.Adam`` on every input (within
        1e-3 of the learning rate).
    """

    def body(fn: Callable[..., Any], seed: int) -> str:
        cases = _adam_cases(np.random.default_rng(seed))
        expect_calls(len(cases))
        repeat = repeat_text("first_adam_change", seed)

        def details(gradient: np.ndarray, rate: float) -> str:
            return f"Input: gradient of shape {gradient.shape}, learning_rate={rate:g} ({repeat})."

        got: list[np.ndarray] = []
        for gradient, rate in cases:
            with on_input(details(gradient, rate)):
                result = call_student(
                    fn, [gradient.copy(), rate], call="first_adam_change(gradient, learning_rate)"
                )
                got.append(_changes(result, gradient.shape))
        for (gradient, rate), array in zip(cases, got):
            with on_input(details(gradient, rate)):
                _no_nan(gradient, array)
        nonzero = [(gradient[gradient != 0], rate) for gradient, rate in cases]
        for (gradient, rate), array in zip(cases, got):
            expected = first_adam_change(gradient, rate)
            if not np.allclose(array, expected, rtol=1e-3, atol=1e-3 * rate):
                mine = [result[g != 0] for result, (g, _) in zip(got, cases)]
                where = int(np.argmax(np.abs(array - expected).ravel()))
                raise CheckFailed(
                    _explaining(_adam_mistakes(), nonzero, mine, rtol=2e-3)
                    or Diagnosis(
                        "wrong change for some values, e.g. for a gradient of "
                        f"{gradient.flat[where]:.4g} your change is {array.flat[where]:.4g}",
                        "write out m, v and their bias corrections for t = 1 with m = v = 0 "
                        "before the step, then simplify",
                    ),
                    details(gradient, rate),
                )
        return (
            f"right on {len(cases)} random gradients: you know what Adam's first step does to "
            "every pixel"
        )

    return check_function("first_adam_change", fn, seed, body)


def _changes(result: Any, shape: tuple) -> np.ndarray:
    """The student's changes as a float64 array of the gradient's ``shape``; CheckFailed if not."""
    array = _floats(result, "an array of changes", "return one change per value of the gradient")
    if array.shape != shape:
        raise CheckFailed(
            Diagnosis(
                f"your result has shape {array.shape}, but every value of the gradient "
                f"(shape {shape}) gets its own change",
                "work element by element and keep the gradient's shape",
            )
        )
    return array


def _no_nan(gradient: np.ndarray, changes: np.ndarray) -> None:
    """CheckFailed when a change is NaN or infinite (saying so when it is a 0 / 0)."""
    bad = ~np.isfinite(changes)
    if np.any(bad) and np.all(gradient[bad] == 0):
        raise CheckFailed(
            Diagnosis(
                "your change is NaN where the gradient is exactly 0: a division 0 / 0",
                "Adam adds a small epsilon to the denominator; what does a pixel with a zero "
                "gradient do?",
            )
        )
    if np.any(bad):
        raise CheckFailed(
            Diagnosis(
                "your change is NaN or infinite for some values",
                "look for a division by something that can be 0",
            )
        )


register_reference(check_checkerboard_tv, checkerboard_tv_reference)
register_reference(check_first_adam_change, first_adam_change_reference)
