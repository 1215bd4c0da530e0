"""The machinery every exercise checker shares: call student code safely, compare, diagnose, report.

A checker writes a ``body`` that calls the student's code through :func:`call_student`, raises
:class:`CheckFailed` with a :class:`Diagnosis` at the first problem, and hands it to
:func:`run_check`.  Exercises whose answer is "the same values as a reference function" describe
themselves as a :class:`~labhelpers.exercises.checks.reference.Exercise` instead (see
:mod:`labhelpers.exercises.checks.reference`).  Either way the
student sees one verdict line (✅, ❌ with a diagnosis and a hint, ⏳ not implemented yet, ⚠️ the
checker failed) and gets True or False back; nothing the student's code does makes a checker raise
(except KeyboardInterrupt).

What the student's code prints while it is being checked is captured and shown capped to
:data:`MAX_PRINTED_LINES` lines, followed by ``... (N more lines hidden)``: a checker may call the
function a dozen times, and the notebook should not be flooded.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from labhelpers.config import import_tensorflow
from labhelpers.console import console_print  # verdicts readable on a cp1252 console too

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

__all__ = [
    "Diagnosis",
    "CheckFailed",
    "NotImplementedYet",
    "NUMPY_HINT",
    "MAX_PRINTED_LINES",
    "DTYPES",
    "StudentOutput",
    "short_error",
    "sentence",
    "mentions_numpy",
    "call_student",
    "as_array",
    "values_close",
    "run_check",
    "register_reference",
    "use_if_correct",
]

#: The dtypes every exercise is tried with.
DTYPES = (np.float32, np.float64)
_RTOL = {np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-6}

#: At most this many lines of what the student's code printed are shown per check.
MAX_PRINTED_LINES = 5

NUMPY_HINT = (
    "use tf.* operations so gradients can flow: NumPy functions, .numpy() and float(...) "
    "cut the link between the loss and the image being optimised"
)


# --------------------------------------------------------------------------- verdict pieces


@dataclass(frozen=True)
class Diagnosis:
    """What went wrong (``message``) and where to look (``hint``); both are shown to the student."""

    message: str
    hint: str = ""


class CheckFailed(Exception):
    """Raised inside a check to stop at the first problem found; ``details`` is an extra line
    (e.g. the input that failed and how to repeat the test)."""

    def __init__(self, diagnosis: Diagnosis, details: str = "") -> None:
        super().__init__(diagnosis.message)
        self.diagnosis = diagnosis
        self.details = details


class NotImplementedYet(Exception):
    """The student's function is missing or still raises NotImplementedError."""


def short_error(err: BaseException, limit: int = 300) -> str:
    """The informative part of an exception message, on one line of at most ``limit`` characters."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    text = lines[-1] if lines else ""
    text = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", text)
    prefix = f"{type(err).__name__}: "
    text = text[len(prefix) :] if text.startswith(prefix) else text
    text = re.sub(r"\s*name:\s*$", "", text)  # TF's empty op-name suffix
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sentence(text: str) -> str:
    """End ``text`` with a full stop unless it already ends with punctuation."""
    return text if text.endswith((".", "?", "!", "…")) else text + "."


def mentions_numpy(err: BaseException) -> bool:
    """True for the errors NumPy calls on symbolic tensors produce."""
    return "numpy" in str(err).lower() and isinstance(
        err, (NotImplementedError, AttributeError, TypeError)
    )


# --------------------------------------------------------------------------- student output


class StudentOutput:
    """Collects what student code prints during one check; :meth:`show` prints at most ``max_lines``."""

    def __init__(self, max_lines: int = MAX_PRINTED_LINES) -> None:
        self.max_lines = max_lines
        self._buffer = io.StringIO()

    @contextlib.contextmanager
    def capture(self) -> Iterator[None]:
        """Send ``print`` output to this collector while the block runs."""
        with contextlib.redirect_stdout(self._buffer):
            yield

    @property
    def lines(self) -> list[str]:
        return self._buffer.getvalue().splitlines()

    def show(self) -> None:
        """Print the first ``max_lines`` captured lines and how many more were hidden."""
        lines = self.lines
        if not lines:
            return
        console_print("Your code printed:")
        for line in lines[: self.max_lines]:
            console_print(f"   {line}")
        hidden = len(lines) - self.max_lines
        if hidden > 0:
            console_print(f"   ... ({hidden} more line{'s' if hidden != 1 else ''} hidden)")


_OUTPUT: contextvars.ContextVar[Optional[StudentOutput]] = contextvars.ContextVar(
    "student_output", default=None
)


def call_student(fn: Callable, args: Sequence[Any], *, call: str, where: str = "") -> Any:
    """Call ``fn(*args)`` (student code) and turn anything it raises into a diagnosis.

    Args:
        fn: the student's function.
        args: its arguments.
        call: how the call reads in the lesson, e.g. ``"gram_matrix(features)"`` (shown on errors).
        where: ``""`` or a phrase such as ``" inside tf.function"`` naming how it was called.

    Returns:
        Whatever ``fn`` returned.  Inside :func:`run_check` its printed output is captured.

    Raises:
        NotImplementedYet: ``fn`` raised NotImplementedError (not from a NumPy call).
        CheckFailed: ``fn`` raised anything else.
    """
    output = _OUTPUT.get()
    try:
        with output.capture() if output is not None else contextlib.nullcontext():
            return fn(*args)
    except KeyboardInterrupt:
        raise
    except NotImplementedYet:
        raise
    except BaseException as err:  # noqa: BLE001 - student code may raise anything
        if mentions_numpy(err):
            raise CheckFailed(
                Diagnosis(
                    f"your function calls NumPy on a TensorFlow tensor{where} ({short_error(err)})",
                    NUMPY_HINT,
                )
            ) from None
        if isinstance(err, NotImplementedError):
            raise NotImplementedYet from None
        if where:
            raise CheckFailed(
                Diagnosis(
                    f"your function works when called directly but fails{where}, which the style-transfer "
                    f"loop uses: {type(err).__name__}: {short_error(err)}",
                    "avoid turning tensor values into Python values (int(...), float(...), .numpy(), "
                    "if-statements on tensors); take sizes from x.shape or tf.shape(x)",
                )
            ) from None
        raise CheckFailed(
            Diagnosis(
                f"your function raised {type(err).__name__}: {short_error(err)}",
                f"the checker called {call} with the input below; the last line of the error usually "
                "names the operation that failed",
            )
        ) from None


# --------------------------------------------------------------------------- comparing


def as_array(result: Any) -> np.ndarray:
    """The student's result as a NumPy array; :class:`CheckFailed` if it is not a tf tensor."""
    if result is None:
        raise CheckFailed(
            Diagnosis("your function returned None", "did you forget the `return` statement?")
        )
    if isinstance(result, (np.ndarray, np.generic, float, int)) and not isinstance(result, bool):
        raise CheckFailed(
            Diagnosis(
                f"your function returned a NumPy/Python value ({type(result).__name__}), not a tf.Tensor",
                NUMPY_HINT,
            )
        )
    if not (tf.is_tensor(result) or isinstance(result, tf.Variable)):
        raise CheckFailed(
            Diagnosis(
                f"your function returned a {type(result).__name__}, but a tf.Tensor was expected",
                "return a tensor",
            )
        )
    return np.asarray(tf.convert_to_tensor(result).numpy())


def values_close(got: Any, expected: Any, dtype: Any, rtol: Optional[float] = None) -> bool:
    """Same shape, finite, and elementwise close, with an absolute tolerance scaled to ``expected``.

    ``rtol`` defaults to 1e-4 for float32 and 1e-6 for float64 (``dtype``).
    """
    rtol = _RTOL[np.dtype(dtype)] if rtol is None else rtol
    got, expected = np.asarray(got, np.float64), np.asarray(expected, np.float64)
    if got.shape != expected.shape or not (
        np.all(np.isfinite(got)) and np.all(np.isfinite(expected))
    ):
        return False
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    return bool(np.allclose(got, expected, rtol=rtol, atol=rtol * 1e-2 * max(scale, 1e-30)))


# --------------------------------------------------------------------------- one check


def run_check(
    name: str, body: Callable[[], str], *, max_printed_lines: int = MAX_PRINTED_LINES
) -> bool:
    """Run one check and print its verdict; never raises (except KeyboardInterrupt).

    Args:
        name: the exercise's name, e.g. ``"gram_matrix"`` (starts the verdict line).
        body: does the checking; returns the text after "✅ name: " on success, raises
            :class:`CheckFailed` (the diagnosis) or :class:`NotImplementedYet` otherwise.  Student
            code called through :func:`call_student` inside it has its printed output captured.
        max_printed_lines: how many lines of the student's printed output to show.

    Returns:
        True if ``body`` returned, False otherwise.
    """
    output = StudentOutput(max_printed_lines)
    token = _OUTPUT.set(output)
    try:
        verdict, passed = [f"✅ {name}: {sentence(body())}"], True
    except NotImplementedYet:
        verdict, passed = (
            [
                f"⏳ {name}: not implemented yet. Write your code in the function (replacing any "
                "`raise NotImplementedError`), run its cell, then run this check again."
            ],
            False,
        )
    except CheckFailed as failure:
        d = failure.diagnosis
        verdict = [f"❌ {name}: {sentence(d.message)}"]
        verdict += [f"   Hint: {sentence(d.hint)}"] if d.hint else []
        verdict += [f"   {failure.details}"] if failure.details else []
        passed = False
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # noqa: BLE001 - the lesson must go on
        verdict = [
            f"⚠️ {name}: the checker itself failed ({type(err).__name__}: {short_error(err)}); "
            "please tell the course staff."
        ]
        passed = False
    finally:
        _OUTPUT.reset(token)
    output.show()
    for line in verdict:
        console_print(line)
    return passed


# --------------------------------------------------------------------------- use_if_correct

_REFERENCES: dict[Callable[..., bool], Callable[..., Any]] = {}


def register_reference(check_fn: Callable[..., bool], reference_fn: Callable[..., Any]) -> None:
    """Tell :func:`use_if_correct` which reference implementation ``check_fn`` falls back on."""
    _REFERENCES[check_fn] = reference_fn


def use_if_correct(
    student_fn: Optional[Callable[..., Any]],
    check_fn: Callable[[Any], bool],
    reference_fn: Optional[Callable[..., Any]] = None,
) -> Callable[..., Any]:
    """Run ``check_fn(student_fn)``; return the student's function if it passed, else the reference.

    Notebooks use this so that the lesson always runs to the end, even when an exercise
    is not solved yet.

    Args:
        student_fn: the student's implementation (may be ``None``).
        check_fn: a checker (any callable that takes the function and returns a bool).
        reference_fn: the implementation to fall back on; may be left out for checkers whose
            reference was registered with :func:`register_reference` (all of ``labhelpers.checks``).

    Returns:
        ``student_fn`` if the check passed, else ``reference_fn``.

    Raises:
        TypeError: when ``reference_fn`` is left out and ``check_fn`` has no registered
            reference (a mistake in the notebook, not in the student's code).
    """
    reference = reference_fn if reference_fn is not None else _REFERENCES.get(check_fn)
    if reference is None:
        raise TypeError(
            f"use_if_correct: no reference implementation known for {getattr(check_fn, '__name__', check_fn)!r}; "
            "pass reference_fn=... (e.g. labhelpers.losses.gram_matrix)"
        )
    try:
        passed = bool(check_fn(student_fn))
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # noqa: BLE001 - a custom checker may raise
        console_print(f"⚠️ the check raised {type(err).__name__}: {short_error(err)}")
        passed = False
    if passed:
        return student_fn  # type: ignore[return-value]
    name = getattr(reference, "__name__", "this function")
    console_print(
        f"ℹ️ The notebook continues with the reference implementation of {name}, so "
        "the rest of the lesson still runs; fix yours and run its check again to use it."
    )
    return reference
