"""The scaffold every exercise checker stands on: call student code safely, compare, report.

Used by every checker of :mod:`labhelpers.exercises.checks` (lessons 01-05).  A checker states only
what it checks: it hands :func:`check_function` a ``body(fn, seed)`` that draws its random inputs
from ``seed``, calls the student's function through :func:`call_student`, and raises
:class:`CheckFailed` with a :class:`Diagnosis` at the first problem (or returns the text of the
✅ line).  The scaffold does the rest, the same way for every exercise:

- a missing function (``None``, or one still raising NotImplementedError) is "⏳ not implemented
  yet"; a value where the function belongs (``check_content_loss(content_loss(a, b))``) is told to
  pass the function itself;
- a seed is drawn when none is given, and failures say how to repeat them (:func:`repeat_text`);
- anything the student's code raises becomes a diagnosis, nothing makes a checker raise (except
  KeyboardInterrupt), and the student sees one verdict line (✅, ❌ with a diagnosis and a hint,
  ⏳, or ⚠️ the checker failed) and gets True or False back;
- what the student's code prints is captured and shown capped to :data:`MAX_PRINTED_LINES` lines,
  followed by ``... (N more lines hidden)``: a checker may call the function a dozen times;
- when the first call took :data:`SLOW_CALL_SECONDS` or more, one line says at once why the check
  will take a while (how many calls, how long each; see :func:`expect_calls`).
- the verdict (pass, fail or missing, and its text) is recorded beside the notebook
  (:mod:`labhelpers.exercises.verdicts`), for ``python -m labhelpers grade``; nothing is shown.

Exercises whose answer is "the same values as a reference function" describe themselves as a
:class:`~labhelpers.exercises.checks.reference.Exercise` instead, which runs on this scaffold too.
:func:`use_if_correct` keeps the student's function if it passes, else continues with the
reference and says plainly that the exercise counts as not passed.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from labhelpers.config import import_tensorflow
from labhelpers.console import console_print  # verdicts readable on a cp1252 console too
from labhelpers.exercises.verdicts import record_verdict

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

__all__ = [
    "Diagnosis",
    "CheckFailed",
    "NotImplementedYet",
    "NUMPY_HINT",
    "MAX_PRINTED_LINES",
    "SLOW_CALL_SECONDS",
    "DTYPES",
    "StudentOutput",
    "short_error",
    "sentence",
    "mentions_numpy",
    "call_student",
    "call_compiled",
    "call_with_layers",
    "expect_calls",
    "returned",
    "as_array",
    "as_scalar",
    "values_close",
    "near",
    "gradients_match",
    "no_gradient",
    "WRONG_GRADIENT",
    "mistake_explaining_all",
    "numpy_gram",
    "numpy_total_variation",
    "judge_numbers",
    "check_gradients",
    "on_input",
    "draw_seed",
    "repeat_text",
    "run_check",
    "check_function",
    "register_reference",
    "registered_reference",
    "use_if_correct",
    "use_reference_text",
]

#: The dtypes every exercise is tried with.
DTYPES = (np.float32, np.float64)
_RTOL = {np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-6}

#: At most this many lines of what the student's code printed are shown per check.
MAX_PRINTED_LINES = 5

#: A first call of the student's function at least this long (s) makes the checker say at once
#: how long the whole check will take.
SLOW_CALL_SECONDS = 0.5

NUMPY_HINT = (
    "use tf.* operations so gradients can flow: NumPy functions, .numpy() and float(...) "
    "cut the link between the loss and the image being optimised"
)


# --------------------------------------------------------------------------- verdict pieces


@dataclass(frozen=True)
class Diagnosis:
    """What went wrong (``message``) and where to look (``hint``); the student sees both."""

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
    """The informative part of an exception message: one line of at most ``limit`` characters."""
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


@contextlib.contextmanager
def on_input(details: str) -> Iterator[None]:
    """Add ``details`` (the input tried, how to repeat it) to a :class:`CheckFailed` raised in
    the block that has none yet."""
    try:
        yield
    except CheckFailed as failure:
        failure.details = failure.details or details
        raise


# --------------------------------------------------------------------------- student output


class StudentOutput:
    """Collects what student code prints during one check; :meth:`show` prints ``max_lines``."""

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


@dataclass
class _Running:
    """The check under way: its name, the student's printed output, the calls made and planned."""

    name: str
    output: StudentOutput
    planned_calls: int = 0
    calls: int = 0


_RUNNING: contextvars.ContextVar[Optional[_Running]] = contextvars.ContextVar(
    "running_check", default=None
)


def expect_calls(count: int) -> None:
    """Say how many times the check under way is about to call the student's function.

    Called by a checker before its first :func:`call_student`; when that first call is slow
    (:data:`SLOW_CALL_SECONDS`), the student is told how long the whole check will take.
    """
    running = _RUNNING.get()
    if running is not None:
        running.planned_calls = int(count)


def _after_call(running: Optional[_Running], seconds: float) -> None:
    """Count one call; after a slow first one, say why the check takes a while."""
    if running is None:
        return
    running.calls += 1
    planned = running.planned_calls
    if running.calls != 1 or seconds < SLOW_CALL_SECONDS or planned < 2:
        return
    console_print(
        f"⏱️ {running.name}: one call of your function took {seconds:.1f} s "
        "and this check calls "
        f"it about {planned} times on different inputs, so it needs about "
        f"{planned * seconds:.0f} s; it is still running."
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
    running = _RUNNING.get()
    # The student's function gets its own dicts: writing into `features` must not change the
    # checker's inputs (or the reference's, called with the same arguments afterwards).
    args = [dict(arg) if isinstance(arg, dict) else arg for arg in args]
    started = time.perf_counter()
    try:
        with running.output.capture() if running is not None else contextlib.nullcontext():
            result = fn(*args)
    except KeyboardInterrupt:
        raise
    except NotImplementedYet:
        raise
    except BaseException as err:  # noqa: BLE001 - student code may raise anything
        if isinstance(err, NotImplementedError) and not mentions_numpy(err):
            raise NotImplementedYet from None
        raise CheckFailed(_raised(err, call, where)) from None
    _after_call(running, time.perf_counter() - started)
    return result


def call_with_layers(fn: Callable, args: Sequence[Any], *, call: str, hint: str) -> Any:
    """:func:`call_student` for functions that look layers up by name in dicts: a KeyError is
    told that the layer is not there, with ``hint`` saying where to take the names from."""
    try:
        return call_student(fn, args, call=call)
    except CheckFailed as failure:
        if "KeyError" not in failure.diagnosis.message:
            raise
        raise CheckFailed(
            Diagnosis(
                f"your function looked up a layer that is not there ({failure.diagnosis.message})",
                hint,
            )
        ) from None


def _raised(err: BaseException, call: str, where: str) -> Diagnosis:
    """What to tell the student whose function raised ``err``."""
    if mentions_numpy(err):
        return Diagnosis(
            f"your function calls NumPy on a TensorFlow tensor{where} ({short_error(err)})",
            NUMPY_HINT,
        )
    if where:
        return Diagnosis(
            f"your function works when called directly but fails{where}, which the "
            f"style-transfer loop uses: {type(err).__name__}: {short_error(err)}",
            "avoid turning tensor values into Python values (int(...), float(...), .numpy(), "
            "if-statements on tensors); take sizes from x.shape or tf.shape(x)",
        )
    return Diagnosis(
        f"your function raised {type(err).__name__}: {short_error(err)}",
        f"the checker called {call} with the input below; the last line of the error usually "
        "names the operation that failed",
    )


def call_compiled(fn: Callable, args: Sequence[Any], *, call: str) -> Any:
    """Call ``fn(*args)`` inside a fresh ``tf.function``, as the style-transfer loop does.

    Like :func:`call_student`, with the diagnosis saying that it fails inside tf.function.
    """
    # Dicts copied inside, too: tf.function refuses a function that writes into its arguments.
    compiled = tf.function(
        lambda *inner: fn(*[dict(arg) if isinstance(arg, dict) else arg for arg in inner])
    )
    # A fresh tf.function per check: silence TF's "frequent retracing" warning about it.
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        return call_student(compiled, args, call=call, where=" inside tf.function")
    finally:
        logger.setLevel(level)


# --------------------------------------------------------------------------- comparing


def returned(result: Any) -> Any:
    """``result`` itself; :class:`CheckFailed` when the student's function returned None."""
    if result is None:
        raise CheckFailed(
            Diagnosis("your function returned None", "did you forget the `return` statement?")
        )
    return result


def as_array(result: Any) -> np.ndarray:
    """The student's result as a NumPy array; :class:`CheckFailed` if it is not a tf tensor."""
    if isinstance(result, (np.ndarray, np.generic, float, int)) and not isinstance(result, bool):
        raise CheckFailed(
            Diagnosis(
                f"your function returned a NumPy/Python value ({type(result).__name__}), "
                "not a tf.Tensor",
                NUMPY_HINT,
            )
        )
    if not (tf.is_tensor(returned(result)) or isinstance(result, tf.Variable)):
        raise CheckFailed(
            Diagnosis(
                f"your function returned a {type(result).__name__}, but a tf.Tensor was expected",
                "return a tensor",
            )
        )
    return np.asarray(tf.convert_to_tensor(result).numpy())


def as_scalar(result: Any, hint: str) -> float:
    """The student's loss as a float: :func:`as_array`, and a shape ``()`` (``hint`` if not)."""
    array = np.asarray(as_array(result), np.float64)
    if array.shape != ():
        raise CheckFailed(
            Diagnosis(
                f"your result has shape {array.shape}, but a loss is a single number (shape ())",
                hint,
            )
        )
    return float(array)


def values_close(got: Any, expected: Any, dtype: Any, rtol: Optional[float] = None) -> bool:
    """Same shape, finite and elementwise close, with an absolute tolerance scaled to ``expected``.

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


def near(got: float, expected: float, rtol: float = 1e-4) -> bool:
    """``got`` is finite and within ``rtol`` (relative) of the number ``expected``."""
    return bool(np.isfinite(got) and abs(got - expected) <= rtol * max(abs(expected), 1e-12))


def gradients_match(got: Sequence[Any], expected: Sequence[Any], rtol: float = 1e-3) -> bool:
    """Every gradient in ``got`` is close to its partner in ``expected`` (tolerance ``rtol`` of
    the largest expected value)."""
    for g, e in zip(got, expected):
        g = np.asarray(tf.convert_to_tensor(g), np.float64)
        e = np.asarray(tf.convert_to_tensor(e), np.float64)
        scale = max(float(np.max(np.abs(e))) if e.size else 0.0, 1e-12)
        if g.shape != e.shape or not np.allclose(g, e, rtol=rtol, atol=rtol * scale):
            return False
    return True


def no_gradient(what: str) -> Diagnosis:
    """The diagnosis for a result with no gradient back to ``what`` (e.g. "the feature maps")."""
    return Diagnosis(
        f"no gradient flows from your result back to {what} (tf.GradientTape gives None)",
        NUMPY_HINT,
    )


WRONG_GRADIENT = Diagnosis(
    "your result is right but its gradient is not",
    "avoid tf.stop_gradient, rounding and casts to integers inside the function",
)


def mistake_explaining_all(
    mistakes: Sequence[tuple[Callable[..., Any], Diagnosis]],
    cases: Sequence[Any],
    answers: Sequence[Any],
    same: Callable[[Any, Any], bool],
) -> Optional[Diagnosis]:
    """The first typical mistake that gives the student's answer on *every* case, if any.

    ``mistakes`` pairs ``wrong(case)`` (the answer the mistake gives) with what to tell the
    student; ``same(answer, wrong_answer)`` compares.  Naming a mistake only when it explains
    every case keeps a chance match on one input from blaming the wrong thing.
    """
    for wrong, diagnosis in mistakes:
        if all(same(answer, wrong(case)) for case, answer in zip(cases, answers)):
            return diagnosis
    return None


def judge_numbers(
    cases: Sequence[Any],
    answers: Sequence[float],
    expected: Callable[[Any], float],
    mistakes: Callable[[Any], Sequence[tuple[float, Diagnosis]]],
    hint: str,
) -> None:
    """Judge the student's number on each case; :class:`CheckFailed` at the first wrong one.

    Args:
        cases: the inputs tried.
        answers: the student's number on each case.
        expected: the right number for a case.
        mistakes: for a case, the numbers the typical mistakes give, each with its diagnosis
            (in the same order for every case).
        hint: the hint of a wrong value no typical mistake explains.
    """
    for case, got in zip(cases, answers):
        wanted = expected(case)
        if near(got, wanted):
            continue
        tables = [mistakes(other) for other in cases]
        named = mistake_explaining_all(
            [
                (lambda number, index=index: tables[number][index][0], diagnosis)
                for index, (_, diagnosis) in enumerate(tables[0])
            ],
            range(len(cases)),
            answers,
            near,
        )
        raise CheckFailed(
            named or Diagnosis(f"wrong value: expected {wanted:.6g}, got {got:.6g}", hint)
        )


def check_gradients(
    make_args: Callable[[tf.GradientTape], tuple[list[Any], list[tuple[str, Any]]]],
    student: Callable[[list[Any]], Any],
    reference: Callable[[list[Any]], Any],
) -> None:
    """The student's result must have the reference's gradients; :class:`CheckFailed` if not.

    Args:
        make_args: given the tape, the arguments and the ``(name, tensor)`` sources the tape
            watches (the name is what the student reads: "the picture", "the feature maps").
        student: the student's result from the arguments (through :func:`call_student`).
        reference: the reference's result from the same arguments.
    """
    with tf.GradientTape(persistent=True) as tape:
        args, sources = make_args(tape)
        value = student(args)
        wanted = reference(args)
    tensors = [tensor for _, tensor in sources]
    got = tape.gradient(value, tensors) if tf.is_tensor(value) else [None] * len(tensors)
    for (what, _), gradient in zip(sources, got):
        if gradient is None:
            raise CheckFailed(no_gradient(what))
    if not gradients_match(got, tape.gradient(wanted, tensors)):
        raise CheckFailed(WRONG_GRADIENT)


def numpy_gram(features: np.ndarray) -> np.ndarray:
    """Independent NumPy Gram matrix ``F^T F / (H W C)`` (C, C), float64, of a map (1, H, W, C)."""
    flat = features.reshape(-1, features.shape[-1]).astype(np.float64)
    return flat.T @ flat / features.size


def numpy_total_variation(image: np.ndarray) -> float:
    """Independent NumPy anisotropic TV of images (B, H, W, C): the sum of the absolute
    differences to the neighbour below and on the right."""
    x = np.asarray(image, np.float64)
    return float(np.sum(np.abs(x[:, 1:] - x[:, :-1])) + np.sum(np.abs(x[:, :, 1:] - x[:, :, :-1])))


# --------------------------------------------------------------------------- one check


def draw_seed(seed: Optional[int]) -> int:
    """``seed`` as an int, or a fresh one (shown on failure so that the run can be repeated)."""
    return int(np.random.default_rng().integers(10**6)) if seed is None else int(seed)


def repeat_text(name: str, seed: int, extra: str = "") -> str:
    """How to repeat a check, e.g. "seed 5: check_gram_matrix(gram_matrix, seed=5) repeats this
    test"; ``extra`` adds arguments such as ``", batched=True"``."""
    return f"seed {seed}: check_{name}({name}, seed={seed}{extra}) repeats this test"


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
    token = _RUNNING.set(_Running(name, output))
    status = "fail"
    try:
        verdict, passed = [f"✅ {name}: {sentence(body())}"], True
        status = "pass"
    except NotImplementedYet:
        status = "missing"
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
            f"⚠️ {name}: the checker itself failed "
            f"({type(err).__name__}: {short_error(err)}); "
            "please tell the course staff."
        ]
        passed = False
    finally:
        _RUNNING.reset(token)
    output.show()
    for line in verdict:
        console_print(line)
    _record(name, status, "\n".join(verdict))
    return passed


def _record(name: str, status: str, message: str) -> None:
    """Record the verdict beside the notebook (:mod:`labhelpers.exercises.verdicts`), silently:
    the student's screen stays as it was, whatever happens."""
    try:
        record_verdict(name, status, message)
    except Exception:  # noqa: BLE001 - recording must never disturb the lesson
        pass


def _a_value(value: Any) -> str:
    """How a value reads in a message: ``0.5 (a tf.Tensor)``, ``a tf.Tensor of shape (1, 4)``,
    ``42 (an int)``; long ones shortened."""
    if tf.is_tensor(value):
        if value.shape.rank:
            return f"a tf.Tensor of shape {tuple(value.shape)}"
        kind = "tf.Tensor"
        value = value.numpy() if hasattr(value, "numpy") else value
    else:
        kind = type(value).__name__
    shown = " ".join(str(value).split())
    shown = shown if len(shown) <= 40 else shown[:39] + "…"
    return f"{shown} ({'an' if kind[0] in 'aeiou' else 'a'} {kind})"


def need_function(name: str, fn: Any) -> Callable[..., Any]:
    """``fn`` if it is a function; :class:`NotImplementedYet` for ``None``; a diagnosis that
    shows how to pass the function for a value (e.g. the result of calling it)."""
    if fn is None:
        raise NotImplementedYet
    if not callable(fn):
        raise CheckFailed(
            Diagnosis(
                f"the checker got {_a_value(fn)} where it needs your function itself: it calls "
                "the function on inputs of its own",
                f"pass the function's name without parentheses: check_{name}({name}), "
                f"not check_{name}({name}(...))",
            )
        )
    return fn


def check_function(
    name: str, fn: Any, seed: Optional[int], body: Callable[[Callable[..., Any], int], str]
) -> bool:
    """The scaffold of every checker: check the student's ``fn`` with ``body(fn, seed)``.

    Args:
        name: the exercise, as the notebook names the student's function (``"gram_matrix"``).
        fn: what the student passed: the function, ``None`` (not written yet) or, by mistake,
            a value.
        seed: the random inputs' seed; ``None`` draws a fresh one.
        body: the checker's own part: calls ``fn`` through :func:`call_student` on inputs drawn
            from the seed, raises :class:`CheckFailed` at the first problem, returns the text of
            the ✅ line.

    Returns:
        True if the check passed; its verdict is printed (see :func:`run_check`).
    """
    return run_check(name, lambda: body(need_function(name, fn), draw_seed(seed)))


# --------------------------------------------------------------------------- use_if_correct

_REFERENCES: dict[Callable[..., bool], Callable[..., Any]] = {}


def register_reference(check_fn: Callable[..., bool], reference_fn: Callable[..., Any]) -> None:
    """Tell :func:`use_if_correct` which reference implementation ``check_fn`` falls back on."""
    _REFERENCES[check_fn] = reference_fn


def registered_reference(check_fn: Callable[..., bool]) -> Optional[Callable[..., Any]]:
    """What :func:`use_if_correct` continues with after ``check_fn`` fails (None if nothing was
    registered for it)."""
    return _REFERENCES.get(check_fn)


def use_if_correct(
    student_fn: Optional[Callable[..., Any]],
    check_fn: Callable[[Any], bool],
    reference_fn: Optional[Callable[..., Any]] = None,
) -> Callable[..., Any]:
    """Run ``check_fn(student_fn)``; the student's function if it passed, else the reference.

    Notebooks use this so that the lesson always runs to the end, even when an exercise
    is not solved yet; it then says plainly (:func:`use_reference_text`) that the reference is
    used and that the exercise counts as not passed (the checker has recorded it so).

    Args:
        student_fn: the student's implementation (may be ``None``).
        check_fn: a checker (any callable that takes the function and returns a bool).
        reference_fn: the implementation to fall back on; may be left out for checkers whose
            reference was registered with :func:`register_reference` (all of
            ``labhelpers.exercises.checks``).

    Returns:
        ``student_fn`` if the check passed, else ``reference_fn``.

    Raises:
        TypeError: when ``reference_fn`` is left out and ``check_fn`` has no registered
            reference (a mistake in the notebook, not in the student's code).
    """
    reference = reference_fn if reference_fn is not None else _REFERENCES.get(check_fn)
    if reference is None:
        raise TypeError(
            "use_if_correct: no reference implementation known for "
            f"{getattr(check_fn, '__name__', check_fn)!r}; "
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
    console_print(use_reference_text(check_fn, reference))
    return reference


def use_reference_text(check_fn: Callable[..., Any], reference: Callable[..., Any]) -> str:
    """What :func:`use_if_correct` says when it continues with ``reference``: that the lab's
    reference is used from here on and that the exercise counts as not passed."""
    checker = getattr(check_fn, "__name__", "")
    exercise = checker[len("check_") :] if checker.startswith("check_") else ""
    which = f"`{exercise}`" if exercise else "this exercise"
    return (
        f"⚠️ Not passed: {which} counts as NOT passed (recorded so). "
        "From here on the notebook "
        f"uses the lab's reference implementation ({getattr(reference, '__name__', 'reference')}) "
        "instead of yours, only so that the rest of the lesson still runs. Fix your function, "
        "run its cell and this cell again: it is used once its check passes."
    )
