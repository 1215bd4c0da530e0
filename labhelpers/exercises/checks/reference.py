"""Checking "the same values as a reference function": random cases, typical mistakes, gradients.

Used by the loss checkers of lessons 02-04 (:mod:`labhelpers.exercises.checks.losses`: content
loss in 02, Gram matrix and style loss in 03, total variation in 04).  An :class:`Exercise` names
a reference implementation, how to draw random :class:`Case` inputs, and the typical mistakes with
what to tell the student; :func:`run_exercise` tries the student's function on every case (values,
dtype, gradients, and once inside ``tf.function``) on the scaffold of
:mod:`labhelpers.exercises.checks.core`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from labhelpers.config import import_tensorflow
from labhelpers.exercises.checks.core import (
    WRONG_GRADIENT,
    CheckFailed,
    Diagnosis,
    NotImplementedYet,
    as_array,
    call_compiled,
    call_student,
    check_function,
    expect_calls,
    no_gradient,
    on_input,
    repeat_text,
    values_close,
)

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

__all__ = [
    "Case",
    "Exercise",
    "times_text",
    "common_ratio",
    "explain_difference",
    "check_values",
    "check_gradient",
    "run_exercise",
]


@dataclass
class Case:
    """One set of random inputs, plus named sizes (``facts``) used in the messages."""

    inputs: tuple[np.ndarray, ...]
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def dtype(self) -> np.dtype:
        return self.inputs[0].dtype


@dataclass
class Exercise:
    """Everything :func:`run_exercise` needs to know about one "compare with a reference" exercise.

    ``mistakes`` are wrong-but-typical NumPy implementations, each with what to tell the student
    (``{key}`` placeholders are filled from the case's ``facts``); ``factors(case)`` lists
    ``(key, factor, description)`` for "your result is <factor> times the expected one".
    """

    name: str
    arg_names: tuple[str, ...]
    reference: Callable[..., tf.Tensor]
    make_cases: Callable[[np.random.Generator], list[Case]]
    mistakes: Sequence[tuple[Callable[..., Any], Diagnosis]]
    factors: Callable[[Case], list[tuple[str, float, str]]]
    shape_problem: Callable[[Case, tuple, tuple], Diagnosis]
    values_hint: str
    extra_args: str = ""  # shown in the "repeat this test" line, e.g. ", batched=True"
    #: The first input is a symmetric matrix (a Gram matrix): only the symmetric part of the
    #: gradient counts, so a loss over one triangle (with the other counted twice) is right.
    symmetric_input: bool = False

    @property
    def call(self) -> str:
        return f"{self.name}({', '.join(self.arg_names)})"

    def describe(self, case: Case) -> str:
        shapes = ", ".join(
            f"{arg} of shape {tuple(x.shape)}" for arg, x in zip(self.arg_names, case.inputs)
        )
        return f"{shapes}, {case.dtype.name}"


def times_text(ratio: float) -> str:
    """``20`` -> "20 times", ``0.05`` -> "1/20 of"."""
    if ratio >= 1:
        return f"{ratio:.4g} times"
    return f"1/{1 / ratio:.4g} of"


def common_ratio(got: Any, expected: Any) -> Optional[float]:
    """The constant ``k`` (not 1, > 0) with ``got == k * expected`` if there is one, else None."""
    g, e = np.asarray(got, np.float64).ravel(), np.asarray(expected, np.float64).ravel()
    denominator = float(e @ e)
    if denominator == 0.0:
        return None
    k = float(g @ e) / denominator
    if (
        k <= 0
        or abs(k - 1) < 1e-2
        or not np.allclose(g, k * e, rtol=1e-3, atol=1e-6 * np.max(np.abs(e)))
    ):
        return None
    return k


def _outputs(ex: Exercise, fn: Callable, case: Case) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """The student's and the reference's results on ``case``; None if the student's call fails."""
    tensors = [tf.constant(x) for x in case.inputs]
    try:
        got = as_array(call_student(fn, tensors, call=ex.call))
    except (CheckFailed, NotImplementedYet):
        return None
    return got, ex.reference(*tensors).numpy()


def explain_difference(
    ex: Exercise,
    fn: Callable,
    case: Case,
    cases: Sequence[Case],
    got: np.ndarray,
    expected: np.ndarray,
) -> Diagnosis:
    """Name the mistake that produced ``got`` (the student's result on ``case``) if it is a known
    one.

    A known mistake (or a factor) is only named when it explains the student's results on
    *every* case, so that a scalar landing near a wrong formula by chance is not blamed.
    """
    others = [(other, _outputs(ex, fn, other)) for other in cases if other is not case]

    def mistake_everywhere(mistake: Callable[..., Any]) -> bool:
        for other, out in [(case, (got, expected)), *others]:
            try:
                wrong = np.asarray(mistake(*other.inputs), np.float64)
            except Exception:  # noqa: BLE001 - a mistake that does not apply to this case
                wrong = np.array(np.nan)
            if not np.all(np.isfinite(wrong)):
                if other is case:
                    return False
                continue  # e.g. "only the first image" says nothing about a batch of one
            if out is None or not values_close(out[0], wrong, other.dtype, rtol=1e-3):
                return False
        return True

    def factor_everywhere(key: str) -> bool:
        for other, out in others:
            factor = {k: value for k, value, _ in ex.factors(other)}.get(key)
            if factor is None:
                continue
            ratio = None if out is None or out[0].shape != out[1].shape else common_ratio(*out)
            if ratio is None or abs(ratio / factor - 1) > 1e-3:
                return False
        return True

    for mistake, diagnosis in ex.mistakes:
        if mistake_everywhere(mistake):
            return Diagnosis(
                diagnosis.message.format(**case.facts), diagnosis.hint.format(**case.facts)
            )
    ratio = common_ratio(got, expected)
    if ratio is not None:
        for key, factor, why in ex.factors(case):
            if abs(ratio / factor - 1) < 1e-3 and factor_everywhere(key):
                return Diagnosis(
                    f"wrong normalisation: your result is {times_text(ratio)} the expected one "
                    f"({why}); check what you divide by",
                    ex.values_hint,
                )
        if got.size > 1:
            return Diagnosis(
                f"wrong normalisation: your result is {times_text(ratio)} the expected one; "
                "check what you divide by",
                ex.values_hint,
            )
    if got.size == 1:
        return Diagnosis(
            f"wrong value: expected {float(expected):.6g}, got {float(got):.6g}", ex.values_hint
        )
    where = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape)
    return Diagnosis(
        f"wrong values: at index {tuple(int(i) for i in where)} expected "
        f"{float(expected[where]):.6g}, got {float(got[where]):.6g}",
        ex.values_hint,
    )


# --------------------------------------------------------------------------- one check


def check_values(
    ex: Exercise, fn: Callable, case: Case, cases: Sequence[Case], where: str = ""
) -> None:
    """Call ``fn`` on the case's tensors (inside ``tf.function`` when ``where`` is given) and
    compare with the reference; :class:`CheckFailed` with the diagnosis otherwise."""
    tensors = [tf.constant(x) for x in case.inputs]
    expected = ex.reference(*tensors).numpy()
    if where:
        result = call_compiled(fn, tensors, call=ex.call)
    else:
        result = call_student(fn, tensors, call=ex.call)
    got = as_array(result)
    if got.shape != expected.shape:
        raise CheckFailed(ex.shape_problem(case, tuple(got.shape), tuple(expected.shape)))
    if not np.all(np.isfinite(got)):
        raise CheckFailed(
            Diagnosis(
                f"your function returned NaN or inf{where}",
                "look for a division by zero (e.g. a size that is 0) or a square root / log of a "
                "negative number",
            )
        )
    if not values_close(got, expected, case.dtype):
        raise CheckFailed(explain_difference(ex, fn, case, cases, got, expected))
    # Keras's loss objects (tf.keras.losses.MeanSquaredError()) compute in Keras's float type
    # by design: not the student's cast.
    if got.dtype != case.dtype and not isinstance(fn, tf.keras.losses.Loss):
        raise CheckFailed(
            Diagnosis(
                f"your function returned {got.dtype.name} for {case.dtype.name} inputs",
                "keep the input's dtype: do not cast to a fixed type such as tf.float32",
            )
        )


def check_gradient(ex: Exercise, fn: Callable, case: Case) -> None:
    """The gradient w.r.t. the first input must exist and match the reference's (rtol 1e-3)."""

    def gradient(f: Callable, student: bool) -> Any:
        variable = tf.Variable(case.inputs[0])
        others = [tf.constant(x) for x in case.inputs[1:]]
        with tf.GradientTape() as tape:
            out = (
                call_student(f, [variable, *others], call=ex.call)
                if student
                else f(variable, *others)
            )
            if student and not tf.is_tensor(out):
                as_array(out)  # raises the right diagnosis
            out = tf.cast(out, variable.dtype)
            weights = tf.constant(
                np.cos(np.arange(out.shape.num_elements())).reshape(out.shape) + 1.5, out.dtype
            )
            objective = tf.reduce_sum(out * weights)
        grad = tape.gradient(objective, variable)
        return None if grad is None else tf.convert_to_tensor(grad).numpy()

    got = gradient(fn, student=True)
    if got is None:
        raise CheckFailed(no_gradient(ex.arg_names[0]))
    expected = gradient(ex.reference, student=False)
    if ex.symmetric_input:
        got = (got + np.swapaxes(got, -1, -2)) / 2
        expected = (expected + np.swapaxes(expected, -1, -2)) / 2
    if not values_close(got, expected, case.dtype, rtol=1e-3):
        raise CheckFailed(WRONG_GRADIENT)


def run_exercise(ex: Exercise, fn: Any, seed: Optional[int]) -> bool:
    """Check ``fn`` against ``ex.reference`` on every case (values, gradients, then inside
    ``tf.function``); print one verdict (with the seed that repeats a failure) and return it."""

    def body(fn: Callable[..., Any], seed: int) -> str:
        cases = ex.make_cases(np.random.default_rng(seed))
        expect_calls(2 * len(cases) + 1)

        def details(case: Case) -> str:
            return f"Input: {ex.describe(case)} ({repeat_text(ex.name, seed, ex.extra_args)})."

        for case in cases:
            with on_input(details(case)):
                check_values(ex, fn, case, cases)
                check_gradient(ex, fn, case)
        with on_input(details(cases[0])):
            check_values(ex, fn, cases[0], cases, where=" inside tf.function")
        return f"correct on {len(cases)} random inputs, gradients flow"

    return check_function(ex.name, fn, seed, body)
