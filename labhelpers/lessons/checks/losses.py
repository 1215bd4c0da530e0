"""Checkers for the notebook exercises: run a student's function, explain what is wrong.

Each ``check_*`` function calls the student's function on fresh random inputs (several
shapes, float32 and float64, as ``tf`` tensors), compares the result with the reference
in :mod:`labhelpers.losses`, checks that gradients flow back to the input through
``tf.GradientTape`` and that the function also runs inside ``tf.function``.  It prints a
one-line verdict, and on failure a diagnosis of the usual mistakes with a hint (never
the solution), and returns ``True`` or ``False``.  A checker never raises: whatever the
student's code does, the notebook keeps going.

Typical notebook cells::

    check_gram_matrix(gram_matrix)        # prints ✅ or ❌ with a diagnosis; returns a bool

    # runs the same check, then keeps the student's function or falls back to the reference
    gram_matrix = use_if_correct(gram_matrix, check_gram_matrix)

The inputs have the shapes the notebooks use: feature maps ``(1, H, W, C)`` (``content_loss``
also gets a batch of two), Gram matrices ``(C, C)``, images ``(B, H, W, 3)`` with B = 1 or 2.
``check_gram_matrix(fn, batched=True)`` also asks for one Gram matrix per image of a batch.
Pass ``seed=`` to repeat a run; failures print the seed they used.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
import tensorflow as tf

from labhelpers import losses

__all__ = [
    "check_content_loss",
    "check_gram_matrix",
    "check_style_loss",
    "check_total_variation_loss",
    "use_if_correct",
]

_DTYPES = (np.float32, np.float64)
_RTOL = {np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-6}
_NUMPY_HINT = (
    "use tf.* operations so gradients can flow: NumPy functions, .numpy() and float(...) "
    "cut the link between the loss and the image being optimised"
)


# --------------------------------------------------------------------------- plumbing


@dataclass(frozen=True)
class _Diagnosis:
    """What went wrong (``message``) and where to look (``hint``)."""

    message: str
    hint: str = ""


class _Failed(Exception):
    """Raised inside a checker to stop at the first problem found."""

    def __init__(self, diagnosis: _Diagnosis) -> None:
        super().__init__(diagnosis.message)
        self.diagnosis = diagnosis


class _NotImplementedYet(Exception):
    """The student's function is missing or still raises NotImplementedError."""


@dataclass
class _Case:
    """One set of random inputs, plus named sizes (``facts``) used in the messages."""

    inputs: tuple[np.ndarray, ...]
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def dtype(self) -> np.dtype:
        return self.inputs[0].dtype


@dataclass
class _Exercise:
    """Everything a checker needs to know about one exercise."""

    name: str
    arg_names: tuple[str, ...]
    reference: Callable[..., tf.Tensor]
    make_cases: Callable[[np.random.Generator], list[_Case]]
    # Wrong-but-typical implementations in NumPy, each with what to tell the student.
    mistakes: Sequence[tuple[Callable[..., Any], _Diagnosis]]
    # (key, factor, description): "your result is <factor> times the expected one (<description>)".
    factors: Callable[[_Case], list[tuple[str, float, str]]]
    shape_problem: Callable[[_Case, tuple, tuple], _Diagnosis]
    values_hint: str
    extra_args: str = ""  # shown in the "repeat this test" line, e.g. ", batched=True"

    @property
    def call(self) -> str:
        return f"{self.name}({', '.join(self.arg_names)})"

    def describe(self, case: _Case) -> str:
        shapes = ", ".join(f"{arg} of shape {tuple(x.shape)}" for arg, x in zip(self.arg_names, case.inputs))
        return f"{shapes}, {case.dtype.name}"


def _short(err: BaseException, limit: int = 300) -> str:
    """The informative part of an exception message, on one line."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    text = lines[-1] if lines else ""
    text = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", text)
    prefix = f"{type(err).__name__}: "
    text = text[len(prefix):] if text.startswith(prefix) else text
    text = re.sub(r"\s*name:\s*$", "", text)  # TF's empty op-name suffix
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sentence(text: str) -> str:
    """End ``text`` with a full stop unless it already ends with punctuation."""
    return text if text.endswith((".", "?", "!", "…")) else text + "."


def _mentions_numpy(err: BaseException) -> bool:
    """True for the errors NumPy calls on symbolic tensors produce."""
    return "numpy" in str(err).lower() and isinstance(err, (NotImplementedError, AttributeError, TypeError))


def _call_student(ex: _Exercise, fn: Callable, args: Sequence[Any], case: _Case, where: str = "") -> Any:
    """Call ``fn(*args)``; turn anything it raises into a diagnosis."""
    try:
        return fn(*args)
    except KeyboardInterrupt:
        raise
    except _NotImplementedYet:
        raise
    except BaseException as err:  # noqa: BLE001 - student code may raise anything
        if _mentions_numpy(err):
            raise _Failed(
                _Diagnosis(f"your function calls NumPy on a TensorFlow tensor{where} ({_short(err)})", _NUMPY_HINT)
            ) from None
        if isinstance(err, NotImplementedError):
            raise _NotImplementedYet from None
        if where:
            raise _Failed(
                _Diagnosis(
                    f"your function works when called directly but fails{where}, which the style-transfer "
                    f"loop uses: {type(err).__name__}: {_short(err)}",
                    "avoid turning tensor values into Python values (int(...), float(...), .numpy(), "
                    "if-statements on tensors); take sizes from x.shape or tf.shape(x)",
                )
            ) from None
        raise _Failed(
            _Diagnosis(
                f"your function raised {type(err).__name__}: {_short(err)}",
                f"the checker called {ex.call} with the input below; the last line of the error usually "
                "names the operation that failed",
            )
        ) from None


def _to_numpy(result: Any) -> np.ndarray:
    """The student's result as an array, or a diagnosis if it is not a tensor."""
    if result is None:
        raise _Failed(_Diagnosis("your function returned None", "did you forget the `return` statement?"))
    if isinstance(result, (np.ndarray, np.generic, float, int)) and not isinstance(result, bool):
        raise _Failed(
            _Diagnosis(
                f"your function returned a NumPy/Python value ({type(result).__name__}), not a tf.Tensor",
                _NUMPY_HINT,
            )
        )
    if not (tf.is_tensor(result) or isinstance(result, tf.Variable)):
        raise _Failed(
            _Diagnosis(
                f"your function returned a {type(result).__name__}, but a tf.Tensor was expected",
                "return a tensor",
            )
        )
    return np.asarray(tf.convert_to_tensor(result).numpy())


def _close(got: np.ndarray, expected: np.ndarray, dtype: np.dtype, rtol: Optional[float] = None) -> bool:
    """Elementwise closeness with an absolute tolerance scaled to the size of ``expected``."""
    rtol = _RTOL[np.dtype(dtype)] if rtol is None else rtol
    got, expected = np.asarray(got, np.float64), np.asarray(expected, np.float64)
    if got.shape != expected.shape or not (np.all(np.isfinite(got)) and np.all(np.isfinite(expected))):
        return False
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    return bool(np.allclose(got, expected, rtol=rtol, atol=rtol * 1e-2 * max(scale, 1e-30)))


def _times(ratio: float) -> str:
    """``20`` -> "20 times", ``0.05`` -> "1/20 of"."""
    if ratio >= 1:
        return f"{ratio:.4g} times"
    return f"1/{1 / ratio:.4g} of"


def _common_ratio(got: np.ndarray, expected: np.ndarray) -> Optional[float]:
    """The constant ``k`` with ``got == k * expected``, if there is one (else None)."""
    g, e = np.asarray(got, np.float64).ravel(), np.asarray(expected, np.float64).ravel()
    denominator = float(e @ e)
    if denominator == 0.0:
        return None
    k = float(g @ e) / denominator
    if k <= 0 or abs(k - 1) < 1e-2 or not np.allclose(g, k * e, rtol=1e-3, atol=1e-6 * np.max(np.abs(e))):
        return None
    return k


def _outputs(ex: _Exercise, fn: Callable, case: _Case) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """The student's and the reference's results on ``case``; None if the student's call fails."""
    tensors = [tf.constant(x) for x in case.inputs]
    try:
        got = _to_numpy(_call_student(ex, fn, tensors, case))
    except (_Failed, _NotImplementedYet):
        return None
    return got, ex.reference(*tensors).numpy()


def _explain_difference(
    ex: _Exercise, fn: Callable, case: _Case, cases: Sequence[_Case], got: np.ndarray, expected: np.ndarray
) -> _Diagnosis:
    """Name the mistake that produced ``got`` if it is a known one.

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
            if out is None or not _close(out[0], wrong, other.dtype, rtol=1e-3):
                return False
        return True

    def factor_everywhere(key: str) -> bool:
        for other, out in others:
            factor = {k: value for k, value, _ in ex.factors(other)}.get(key)
            if factor is None:
                continue
            ratio = None if out is None or out[0].shape != out[1].shape else _common_ratio(*out)
            if ratio is None or abs(ratio / factor - 1) > 1e-3:
                return False
        return True

    for mistake, diagnosis in ex.mistakes:
        if mistake_everywhere(mistake):
            return _Diagnosis(diagnosis.message.format(**case.facts), diagnosis.hint.format(**case.facts))
    ratio = _common_ratio(got, expected)
    if ratio is not None:
        for key, factor, why in ex.factors(case):
            if abs(ratio / factor - 1) < 1e-3 and factor_everywhere(key):
                return _Diagnosis(
                    f"wrong normalisation: your result is {_times(ratio)} the expected one ({why}); "
                    "check what you divide by",
                    ex.values_hint,
                )
        if got.size > 1:
            return _Diagnosis(
                f"wrong normalisation: your result is {_times(ratio)} the expected one; check what you divide by",
                ex.values_hint,
            )
    if got.size == 1:
        return _Diagnosis(f"wrong value: expected {float(expected):.6g}, got {float(got):.6g}", ex.values_hint)
    where = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape)
    return _Diagnosis(
        f"wrong values: at index {tuple(int(i) for i in where)} expected {float(expected[where]):.6g}, "
        f"got {float(got[where]):.6g}",
        ex.values_hint,
    )


# --------------------------------------------------------------------------- one check


def _check_values(ex: _Exercise, fn: Callable, case: _Case, cases: Sequence[_Case], where: str = "") -> None:
    """Call ``fn`` on the case's tensors and compare with the reference."""
    tensors = [tf.constant(x) for x in case.inputs]
    expected = ex.reference(*tensors).numpy()
    if where:
        # A fresh tf.function per check: silence TF's "frequent retracing" warning about it.
        compiled = tf.function(lambda *args: fn(*args))
        logger, level = tf.get_logger(), tf.get_logger().level
        logger.setLevel("ERROR")
        try:
            result = _call_student(ex, compiled, tensors, case, where)
        finally:
            logger.setLevel(level)
    else:
        result = _call_student(ex, fn, tensors, case)
    got = _to_numpy(result)
    if got.shape != expected.shape:
        raise _Failed(ex.shape_problem(case, tuple(got.shape), tuple(expected.shape)))
    if not np.all(np.isfinite(got)):
        raise _Failed(
            _Diagnosis(
                f"your function returned NaN or inf{where}",
                "look for a division by zero (e.g. a size that is 0) or a square root / log of a negative number",
            )
        )
    if not _close(got, expected, case.dtype):
        raise _Failed(_explain_difference(ex, fn, case, cases, got, expected))
    if got.dtype != case.dtype:
        raise _Failed(
            _Diagnosis(
                f"your function returned {got.dtype.name} for {case.dtype.name} inputs",
                "keep the input's dtype: do not cast to a fixed type such as tf.float32",
            )
        )


def _check_gradient(ex: _Exercise, fn: Callable, case: _Case) -> None:
    """The gradient w.r.t. the first input must exist and match the reference's."""

    def gradient(f: Callable, student: bool) -> Any:
        variable = tf.Variable(case.inputs[0])
        others = [tf.constant(x) for x in case.inputs[1:]]
        with tf.GradientTape() as tape:
            out = _call_student(ex, f, [variable, *others], case) if student else f(variable, *others)
            if student and not tf.is_tensor(out):
                _to_numpy(out)  # raises the right diagnosis
            out = tf.cast(out, variable.dtype)
            weights = tf.constant(np.cos(np.arange(out.shape.num_elements())).reshape(out.shape) + 1.5, out.dtype)
            objective = tf.reduce_sum(out * weights)
        grad = tape.gradient(objective, variable)
        return None if grad is None else tf.convert_to_tensor(grad).numpy()

    got = gradient(fn, student=True)
    if got is None:
        raise _Failed(
            _Diagnosis(
                f"no gradient flows from your result back to {ex.arg_names[0]} (tf.GradientTape gives None)",
                _NUMPY_HINT,
            )
        )
    expected = gradient(ex.reference, student=False)
    if not _close(got, expected, case.dtype, rtol=1e-3):
        raise _Failed(
            _Diagnosis(
                "the values are right but the gradient is not",
                "avoid tf.stop_gradient, rounding and casts to integers inside the function",
            )
        )


def _run(ex: _Exercise, fn: Any, seed: Optional[int]) -> bool:
    """Run every case; print one verdict; never raise (except KeyboardInterrupt)."""
    try:
        if fn is None or not callable(fn):
            raise _NotImplementedYet
        seed = int(np.random.default_rng().integers(10**6)) if seed is None else int(seed)
        cases = ex.make_cases(np.random.default_rng(seed))
        case = cases[0]
        try:
            for case in cases:
                _check_values(ex, fn, case, cases)
                _check_gradient(ex, fn, case)
            case = cases[0]
            _check_values(ex, fn, case, cases, where=" inside tf.function")
        except _Failed as failure:
            d = failure.diagnosis
            print(f"❌ {ex.name}: {_sentence(d.message)}")
            if d.hint:
                print(f"   Hint: {_sentence(d.hint)}")
            repeat = f"check_{ex.name}(fn, seed={seed}{ex.extra_args})"
            print(f"   Input: {ex.describe(case)} (seed {seed}: {repeat} repeats this test).")
            return False
        print(f"✅ {ex.name}: correct on {len(cases)} random inputs, gradients flow.")
        return True
    except _NotImplementedYet:
        print(f"⏳ {ex.name}: not implemented yet. Write your code in the function (replacing any "
              "`raise NotImplementedError`), run its cell, then run this check again.")
        return False
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # noqa: BLE001 - the lesson must go on
        print(f"⚠️ {ex.name}: the checker itself failed ({type(err).__name__}: {_short(err)}); "
              "please tell the course staff.")
        return False


# --------------------------------------------------------------------------- shapes


def _scalar_shape_problem(case: _Case, got: tuple, expected: tuple) -> _Diagnosis:
    if got == tuple(case.inputs[0].shape):
        return _Diagnosis(
            f"your function returns one value per element (shape {got}) instead of a single number",
            "a loss is a scalar: reduce all the values to one number",
        )
    if int(np.prod(got)) == 1:
        return _Diagnosis(
            f"your result has shape {got} instead of being a plain scalar (shape ())",
            "drop the extra axes (look for keepdims=True or a reduction over only some axes)",
        )
    return _Diagnosis(
        f"your result has shape {got}, but a loss is a single number (shape ())",
        "reduce over all axes, not just some of them",
    )


def _gram_shape_problem(case: _Case, got: tuple, expected: tuple) -> _Diagnosis:
    f = case.facts
    hw, c, b = f["hw"], f["c"], f["b"]
    if got[-2:] == (hw, hw):
        return _Diagnosis(
            f"your Gram matrix has shape {got} = (H*W, H*W), but it should be (C, C) = {expected}: it compares "
            "positions with positions instead of channels with channels (transposed product)",
            "check which of the two factors of the matrix product is transposed",
        )
    if got[-2:] in ((hw, c), (c, hw)):
        return _Diagnosis(
            f"your result has shape {got}, the shape of the reshaped feature matrix, not (C, C) = {expected}",
            "a Gram matrix is the product of the reshaped features with their own transpose",
        )
    if b == 1 and got == (1, c, c):
        return _Diagnosis(
            f"your result has shape {got}, but for one image (1, H, W, C) the Gram matrix is (C, C) = {expected}",
            "reshape so that the batch axis disappears",
        )
    if b > 1 and got == (c, c):
        return _Diagnosis(
            f"your result has shape {got}: one Gram matrix for the whole batch, which mixes the {b} images; "
            f"expected one per image, shape (B, C, C) = {expected}",
            "keep the batch axis when you reshape, and multiply image by image",
        )
    return _Diagnosis(f"your result has shape {got}, expected (C, C) = {expected}", "the result is C by C")


def _tv_shape_problem(case: _Case, got: tuple, expected: tuple) -> _Diagnosis:
    b = case.facts["b"]
    if got == (b,):
        return _Diagnosis(
            f"your result has shape {got}, one value per image; the loss is a single number for the whole batch",
            "add the per-image values up (tf.image.total_variation, for one, returns one value per image)",
        )
    return _scalar_shape_problem(case, got, expected)


# --------------------------------------------------------------------------- exercises


def _squared_error_mistakes(what: str) -> list[tuple[Callable[..., Any], _Diagnosis]]:
    """Typical ways to get "mean of squared differences" wrong; ``what`` names the inputs."""
    return [
        (
            lambda a, b: np.sum((a - b) ** 2),
            _Diagnosis(
                "you summed where a mean belongs: your result is {n} times the expected one, and {n} is the "
                "number of elements",
                f"average the squared differences of the {what} instead of adding them up",
            ),
        ),
        (
            lambda a, b: 0.5 * np.sum((a - b) ** 2),
            _Diagnosis(
                "you took half the sum of the squared differences where a mean belongs: your result is "
                "{half_n} times the expected one",
                "the course's loss is the mean of the squared differences (not the paper's 1/2 * sum)",
            ),
        ),
        (
            lambda a, b: np.mean(np.abs(a - b)),
            _Diagnosis(
                "missing square: you averaged absolute differences",
                "square each difference instead of taking its absolute value",
            ),
        ),
        (
            lambda a, b: np.mean(a - b),
            _Diagnosis(
                "missing square: the differences are not squared, so positive and negative ones cancel out",
                "square each difference before averaging",
            ),
        ),
        (
            lambda a, b: np.mean(a - b) ** 2,
            _Diagnosis(
                "square in the wrong place: you squared the average difference",
                "square each difference first, then average",
            ),
        ),
        (
            lambda a, b: np.sqrt(np.mean((a - b) ** 2)),
            _Diagnosis(
                "extra square root: your result is the root of the expected one",
                "the loss is the mean of the squared differences itself, without a root",
            ),
        ),
    ]


_HALVES = [("2", 2.0, "a factor 2"), ("1/2", 0.5, "a factor 1/2")]


def _content_cases(rng: np.random.Generator) -> list[_Case]:
    cases = []
    for shape in [(1, 4, 5, 3), (1, 6, 3, 8), (2, 3, 3, 4)]:
        for dtype in _DTYPES:
            gen, ref = rng.normal(size=shape).astype(dtype), rng.normal(size=shape).astype(dtype)
            n = int(np.prod(shape))
            cases.append(_Case((gen, ref), {"b": shape[0], "n": n, "half_n": f"{n / 2:g}"}))
    return cases


def _batch_factor(case: _Case) -> list[tuple[str, float, str]]:
    b = case.facts["b"]
    return [("B", float(b), f"B = {b}, the number of images: the mean runs over all of them")] if b > 1 else []


_CONTENT = _Exercise(
    name="content_loss",
    arg_names=("generated", "reference"),
    reference=losses.content_loss,
    make_cases=_content_cases,
    mistakes=_squared_error_mistakes("two feature maps"),
    factors=lambda case: _batch_factor(case) + _HALVES,
    shape_problem=_scalar_shape_problem,
    values_hint="the content loss is the mean of the squared differences of the two feature maps",
)


def _gram_cases(rng: np.random.Generator, batched: bool = False) -> list[_Case]:
    shapes = [(1, 4, 5, 3), (1, 3, 7, 5), (1, 6, 2, 4)]
    if batched:
        shapes += [(2, 3, 4, 3), (3, 2, 5, 4)]
    cases = []
    for shape in shapes:
        for dtype in _DTYPES:
            b, h, w, c = shape
            features = (2 * rng.random(shape)).astype(dtype)  # >= 0, like ReLU outputs
            cases.append(_Case((features,), {"b": b, "hw": h * w, "c": c, "hwc": h * w * c}))
    return cases


def _gram_channels_first(x: np.ndarray) -> np.ndarray:
    """A Gram matrix from a reshape that puts channels first: shape (C, C), wrong values."""
    b, h, w, c = x.shape
    f = x.reshape(c, -1)
    return f @ f.T / (h * w * c)


def _gram_factors(case: _Case) -> list[tuple[str, float, str]]:
    f = case.facts
    named = [(key, f[key], f"{label} = {f[key]}") for key, label in [("hwc", "H*W*C"), ("hw", "H*W"), ("c", "C")]]
    return named + [("1/" + key, 1 / value, f"1/({why})") for key, value, why in named] + _HALVES


def _gram_exercise(batched: bool) -> _Exercise:
    return _Exercise(
        name="gram_matrix",
        arg_names=("features",),
        reference=losses.gram_matrix,
        make_cases=lambda rng: _gram_cases(rng, batched),
        mistakes=[
            (
                _gram_channels_first,
                _Diagnosis(
                    "the channels got mixed up: your matrix has the right shape but wrong values, as if the "
                    "feature map had been reshaped with the channels first",
                    "channels are the last axis of (1, H, W, C); after reshaping, each column of the "
                    "(H*W, C) matrix should hold one channel",
                ),
            )
        ],
        factors=_gram_factors,
        shape_problem=_gram_shape_problem,
        values_hint="compare your normalisation with the lecture: which sizes does it divide by?",
        extra_args=", batched=True" if batched else "",
    )


def _style_cases(rng: np.random.Generator) -> list[_Case]:
    cases = []
    for channels, positions in [(3, 20), (5, 12), (8, 30)]:
        for dtype in _DTYPES:
            grams = []
            for _ in range(2):
                f = 2 * rng.random((positions, channels))
                grams.append((f.T @ f / (positions * channels)).astype(dtype))
            n = channels * channels
            cases.append(_Case(tuple(grams), {"c": channels, "n": n, "half_n": f"{n / 2:g}"}))
    return cases


_STYLE = _Exercise(
    name="style_loss",
    arg_names=("gram_generated", "gram_reference"),
    reference=losses.style_loss,
    make_cases=_style_cases,
    mistakes=_squared_error_mistakes("two Gram matrices"),
    factors=lambda case: _HALVES,
    shape_problem=_scalar_shape_problem,
    values_hint="the style loss is the mean of the squared differences of the two Gram matrices",
)


def _tv_cases(rng: np.random.Generator) -> list[_Case]:
    cases = []
    for shape in [(1, 5, 4, 3), (1, 6, 7, 3), (2, 4, 5, 3)]:
        for dtype in _DTYPES:
            b, h, w, c = shape
            cases.append(_Case((rng.random(shape).astype(dtype),), {"b": b, "n": b * h * w * c}))
    return cases


def _down(x: np.ndarray) -> np.ndarray:
    return x[:, 1:] - x[:, :-1]


def _right(x: np.ndarray) -> np.ndarray:
    return x[:, :, 1:] - x[:, :, :-1]


_MEAN_NOT_SUM = _Diagnosis(
    "mean instead of sum: you averaged the absolute differences, but total variation adds them up",
    "sum over rows, columns, channels and images",
)

_TV = _Exercise(
    name="total_variation_loss",
    arg_names=("image",),
    reference=losses.total_variation_loss,
    make_cases=_tv_cases,
    mistakes=[
        (
            lambda x: np.sum(_down(x) ** 2) + np.sum(_right(x) ** 2),
            _Diagnosis(
                "L2 instead of L1: you squared the differences, but this exercise asks for the sum of their "
                "absolute values (the L1 form)",
                "use the absolute value of each difference",
            ),
        ),
        (
            lambda x: np.sum(np.abs(_down(x))),
            _Diagnosis(
                "only one direction: you compare each pixel with its neighbour below (vertical differences) "
                "but not with its neighbour to the right",
                "add the horizontal differences, along the width axis, too",
            ),
        ),
        (
            lambda x: np.sum(np.abs(_right(x))),
            _Diagnosis(
                "only one direction: you compare each pixel with its neighbour to the right (horizontal "
                "differences) but not with its neighbour below",
                "add the vertical differences, along the height axis, too",
            ),
        ),
        (lambda x: np.mean(np.abs(_down(x))) + np.mean(np.abs(_right(x))), _MEAN_NOT_SUM),
        (lambda x: (np.sum(np.abs(_down(x))) + np.sum(np.abs(_right(x)))) / x.size, _MEAN_NOT_SUM),
        (
            lambda x: np.sum(np.abs(x - np.roll(x, 1, axis=1))) + np.sum(np.abs(x - np.roll(x, 1, axis=2))),
            _Diagnosis(
                "wrap-around: your differences also compare the last row with the first one (and the last "
                "column with the first), as tf.roll does; only pixels with a real neighbour count",
                "use slices that leave out the first or last row (column) instead of rolling the image",
            ),
        ),
        (
            lambda x: np.sum(_down(x)) + np.sum(_right(x)),
            _Diagnosis(
                "missing absolute value: without it, ups and downs cancel out",
                "take the absolute value of each difference before summing",
            ),
        ),
        (
            lambda x: np.sum(np.sqrt(_down(x)[:, :, :-1] ** 2 + _right(x)[:, :-1] ** 2)),
            _Diagnosis(
                "isotropic TV: you combined the two directions under a square root, but this exercise asks "
                "for the anisotropic form, the plain sum of absolute differences in each direction",
                "add the absolute vertical and horizontal differences separately",
            ),
        ),
        (
            lambda x: (np.sum(np.abs(_down(x[:1]))) + np.sum(np.abs(_right(x[:1])))) if len(x) > 1 else np.nan,
            _Diagnosis(
                "only the first image of the batch counts in your result",
                "sum over all the images of the batch",
            ),
        ),
    ],
    factors=lambda case: _HALVES,
    shape_problem=_tv_shape_problem,
    values_hint="add up |difference| to the neighbour below and to the neighbour on the right, for every "
    "pixel that has one",
)


# --------------------------------------------------------------------------- public


def check_content_loss(fn: Optional[Callable[..., Any]], *, seed: Optional[int] = None) -> bool:
    """Check a student's ``content_loss(generated, reference)``; print a verdict.

    Args:
        fn: the student's function, called with two tf tensors of the same shape
            ``(B, H, W, C)``, float32 or float64; it should return their mean squared
            difference as a scalar tensor.  ``None`` counts as "not implemented yet".
        seed: seed for the random inputs; ``None`` draws a fresh one (printed on failure).

    Returns:
        True if ``fn`` matches the reference on every input and gradients flow.
    """
    return _run(_CONTENT, fn, seed)


def check_gram_matrix(
    fn: Optional[Callable[..., Any]], *, seed: Optional[int] = None, batched: bool = False
) -> bool:
    """Check a student's ``gram_matrix(features)``; print a verdict.

    Args:
        fn: the student's function, called with a tf tensor of shape ``(1, H, W, C)``,
            float32 or float64; it should return the ``(C, C)`` Gram matrix
            ``F^T F / (H*W*C)``.  ``None`` counts as "not implemented yet".
        seed: seed for the random inputs; ``None`` draws a fresh one (printed on failure).
        batched: also require one Gram matrix per image, ``(B, C, C)``, for batches with
            ``B > 1`` (the lecture's version does not do this; off by default).

    Returns:
        True if ``fn`` matches the reference on every input and gradients flow.
    """
    return _run(_gram_exercise(batched), fn, seed)


def check_style_loss(fn: Optional[Callable[..., Any]], *, seed: Optional[int] = None) -> bool:
    """Check a student's ``style_loss(gram_generated, gram_reference)``; print a verdict.

    Args:
        fn: the student's function, called with two ``(C, C)`` Gram matrices as tf tensors,
            float32 or float64; it should return their mean squared difference as a scalar
            tensor.  ``None`` counts as "not implemented yet".
        seed: seed for the random inputs; ``None`` draws a fresh one (printed on failure).

    Returns:
        True if ``fn`` matches the reference on every input and gradients flow.
    """
    return _run(_STYLE, fn, seed)


def check_total_variation_loss(fn: Optional[Callable[..., Any]], *, seed: Optional[int] = None) -> bool:
    """Check a student's ``total_variation_loss(image)``; print a verdict.

    Args:
        fn: the student's function, called with a tf tensor of shape ``(B, H, W, 3)``,
            float32 or float64; it should return the anisotropic (L1) total variation,
            summed over the batch, as a scalar tensor.  ``None`` counts as "not
            implemented yet".
        seed: seed for the random inputs; ``None`` draws a fresh one (printed on failure).

    Returns:
        True if ``fn`` matches the reference on every input and gradients flow.
    """
    return _run(_TV, fn, seed)


_REFERENCES: dict[Callable[..., bool], Callable[..., Any]] = {
    check_content_loss: losses.content_loss,
    check_gram_matrix: losses.gram_matrix,
    check_style_loss: losses.style_loss,
    check_total_variation_loss: losses.total_variation_loss,
}


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
        check_fn: one of the ``check_*`` functions of this module (or any callable that
            takes the function and returns a bool).
        reference_fn: the implementation to fall back on; may be left out for the
            ``check_*`` functions of this module, whose reference is known.

    Returns:
        ``student_fn`` if the check passed, else ``reference_fn``.

    Raises:
        TypeError: when ``reference_fn`` is left out and ``check_fn`` is not one of this
            module's checkers (a mistake in the notebook, not in the student's code).
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
        print(f"⚠️ the check raised {type(err).__name__}: {_short(err)}")
        passed = False
    if passed:
        return student_fn  # type: ignore[return-value]
    name = getattr(reference, "__name__", "this function")
    print(f"ℹ️ The notebook continues with the reference implementation of {name}, so the rest of the "
          "lesson still runs; fix yours and run its check again to use it.")
    return reference
