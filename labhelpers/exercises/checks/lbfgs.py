"""Checker of the homework's L-BFGS exercise: the objective scipy's L-BFGS-B needs.

``check_lbfgs_objective(lbfgs_objective)`` calls the student's ``lbfgs_objective(loss_fn,
shape)`` with a random differentiable ``loss_fn`` on pictures of a random ``shape`` (1, H, W, 3)
(written in TensorFlow float32, as VGG16 computes, with an independent NumPy float64 value and
gradient beside it), and expects ``(objective, bounds)`` back:

- ``objective(x)``: ``x`` the flat float64 vector of the H*W*3 pixel values; returns
  ``(value, gradient)``: the loss as a number and its gradient as a flat float64 NumPy vector of
  the same length (``scipy.optimize.minimize(objective, x0, jac=True, method="L-BFGS-B")``);
- ``bounds``: every value in [0, 1] (``scipy.optimize.Bounds(0, 1)`` or one ``(0, 1)`` pair per
  value), which is how L-BFGS-B keeps the pixels valid where Adam's loop clips them.

The checker watches what ``loss_fn`` receives, so that it can say why an objective is wrong: a
flat vector not reshaped, a float64 or NumPy picture where a float32 tensor belongs, a float32
or unflattened gradient, value and gradient swapped, a gradient of the wrong sign or size (a
learning rate, a normalisation), a value that does not belong to the gradient, bounds missing or
not [0, 1].  Last it runs L-BFGS-B for a few iterations with the student's objective and bounds
and with the model solution's, on the same start: the pixels must stay in [0, 1] and the loss
must fall as far.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
from scipy.optimize import Bounds, minimize

from labhelpers.config import import_tensorflow
from labhelpers.exercises.checks import fallbacks
from labhelpers.exercises.checks.core import (
    CheckFailed,
    Diagnosis,
    call_student,
    check_function,
    expect_calls,
    near,
    on_input,
    register_reference,
    repeat_text,
)
from labhelpers.exercises.checks.reference import common_ratio, times_text

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

__all__ = ["check_lbfgs_objective", "LossProblem", "random_problem"]

_CALL = "lbfgs_objective(loss_fn, shape)"
_HINT = (
    "reshape x to shape, make it a float32 tensor, compute loss_fn under a GradientTape that "
    "watches it, and return (float(loss), the gradient as a flat float64 NumPy vector)"
)
#: L-BFGS-B iterations of the final run (the student's and the reference's objective).
RUN_ITERATIONS = 12


class _WrongPicture(Exception):
    """Raised by the checker's loss_fn when it is given something the lesson's cannot take."""

    def __init__(self, diagnosis: Diagnosis) -> None:
        super().__init__(diagnosis.message)
        self.diagnosis = diagnosis


def _picture_problem(shape: tuple[int, ...], picture: Any) -> Optional[Diagnosis]:
    """What is wrong with ``picture`` as the input of a VGG16 loss on pictures of ``shape``."""
    if isinstance(picture, np.ndarray):
        return Diagnosis(
            f"loss_fn was given a NumPy array ({picture.dtype}, shape {picture.shape}); a "
            "GradientTape cannot follow NumPy, so there is no gradient to the pixels",
            "make the picture a tensor: tf.constant(np.reshape(x, shape), tf.float32), and "
            "tape.watch(it)",
        )
    if not tf.is_tensor(picture):
        return Diagnosis(
            f"loss_fn was given a {type(picture).__name__}, not a picture tensor", _HINT
        )
    if tuple(picture.shape) != tuple(shape):
        return Diagnosis(
            f"loss_fn was given a tensor of shape {tuple(picture.shape)}, not a picture of "
            f"shape {tuple(shape)}: L-BFGS-B's x is the flat vector of all pixel values",
            "reshape x to shape before calling loss_fn (np.reshape(x, shape))",
        )
    if picture.dtype != tf.float32:
        return Diagnosis(
            f"loss_fn was given a {picture.dtype.name} picture; VGG16 and the lesson's losses "
            "compute in float32 (a float64 picture fails there with a dtype error)",
            "cast the picture to float32 for loss_fn; only what you hand back to scipy is float64",
        )
    return None


@dataclass
class LossProblem:
    """A random loss on pictures of ``shape``: ``sum(w (x - t)^2) + c sum(sin(k x))``.

    ``loss_fn`` is the TensorFlow float32 version the student's objective gets (it refuses
    what a VGG16 loss would refuse); :meth:`value` and :meth:`gradient` are the NumPy float64
    truth. ``t`` lies partly outside [0, 1], so that the bounds matter.
    """

    shape: tuple[int, int, int, int]
    weights: np.ndarray
    target: np.ndarray
    wiggle: float
    frequency: float
    given: list[Any] = field(default_factory=list)
    refused: list[Diagnosis] = field(default_factory=list)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def value(self, x: np.ndarray) -> float:
        """The loss of the flat vector ``x`` (float64)."""
        picture = np.reshape(x, self.shape).astype(np.float32).astype(np.float64)
        return float(
            np.sum(self.weights * (picture - self.target) ** 2)
            + self.wiggle * np.sum(np.sin(self.frequency * picture))
        )

    def gradient(self, x: np.ndarray) -> np.ndarray:
        """d loss / d x as a flat float64 vector."""
        picture = np.reshape(x, self.shape).astype(np.float32).astype(np.float64)
        grad = 2 * self.weights * (picture - self.target) + self.wiggle * self.frequency * np.cos(
            self.frequency * picture
        )
        return grad.ravel()

    def loss_fn(self, picture: Any) -> Any:
        """The loss of a picture, as the lesson's losses take it: a float32 tensor of shape."""
        self.given.append(picture)
        problem = _picture_problem(self.shape, picture)
        if problem is not None:
            self.refused.append(problem)
            raise _WrongPicture(problem)
        weights = tf.constant(self.weights, tf.float32)
        target = tf.constant(self.target, tf.float32)
        return tf.reduce_sum(weights * tf.square(picture - target)) + self.wiggle * tf.reduce_sum(
            tf.sin(self.frequency * picture)
        )


def random_problem(rng: np.random.Generator) -> LossProblem:
    """A :class:`LossProblem` on a random small picture shape (1, H, W, 3), H != W."""
    height = int(rng.integers(3, 7))
    width = height + int(rng.integers(1, 4))
    shape = (1, height, width, 3)
    return LossProblem(
        shape=shape,
        weights=rng.uniform(0.5, 2.0, shape),
        target=rng.uniform(-0.5, 1.5, shape),
        wiggle=float(rng.uniform(0.05, 0.2)),
        frequency=float(rng.uniform(2.0, 4.0)),
    )


def _objective_call(problem: LossProblem, objective: Callable[..., Any], x: np.ndarray) -> Any:
    """``objective(x)``, with :class:`_WrongPicture` raised inside it turned into its diagnosis."""
    refused_before = len(problem.refused)
    try:
        return call_student(objective, [x.copy()], call="objective(x)")
    except CheckFailed as failure:
        refused = problem.refused[refused_before:]
        raise CheckFailed(refused[0] if refused else failure.diagnosis) from None


def _number(value: Any) -> float:
    """The objective's value as a float; a diagnosis for what scipy cannot use as the value."""
    if tf.is_tensor(value) or isinstance(value, tf.Variable):
        raise CheckFailed(
            Diagnosis(
                "your objective returns the value as a tf.Tensor; scipy works with NumPy and "
                "Python numbers",
                "return float(loss)",
            )
        )
    array = np.asarray(value)
    if array.dtype.kind not in "fiu" or array.size != 1:
        raise CheckFailed(
            Diagnosis(
                f"the value your objective returns is a {type(value).__name__} of shape "
                f"{array.shape}, not one number",
                "return float(loss) first and the flat gradient second",
            )
        )
    if array.shape != ():
        raise CheckFailed(
            Diagnosis(
                f"the value your objective returns has shape {array.shape}, not () (one number)",
                "return float(loss)",
            )
        )
    return float(array)


def _gradient(problem: LossProblem, gradient: Any) -> np.ndarray:
    """The objective's gradient as checked for scipy: a flat float64 NumPy vector of n values."""
    n = problem.size
    if gradient is None:
        raise CheckFailed(
            Diagnosis(
                "your objective returns None as the gradient",
                "take tape.gradient(loss, picture) with a tape that watches the picture tensor",
            )
        )
    if tf.is_tensor(gradient) or isinstance(gradient, tf.Variable):
        raise CheckFailed(
            Diagnosis(
                f"your objective returns the gradient as a tf.Tensor ({gradient.dtype.name}, "
                f"shape {tuple(gradient.shape)}); scipy's L-BFGS-B needs a NumPy vector",
                "np.asarray(gradient, np.float64).ravel()",
            )
        )
    array = np.asarray(gradient)
    if array.dtype.kind != "f":
        raise CheckFailed(
            Diagnosis(
                f"the gradient your objective returns is not an array of floats "
                f"({type(gradient).__name__}, dtype {array.dtype})",
                "return the gradient as a flat float64 NumPy vector",
            )
        )
    if array.size != n:
        raise CheckFailed(
            Diagnosis(
                f"the gradient your objective returns has {array.size} values, but x has {n}",
                "one derivative per pixel value: the gradient of the loss with respect to the "
                "whole picture",
            )
        )
    if array.ndim != 1:
        raise CheckFailed(
            Diagnosis(
                f"the gradient your objective returns has shape {array.shape}, not ({n},): it "
                "is not flattened; L-BFGS-B works on flat vectors like x",
                "flatten it: .ravel() or .reshape(-1)",
            )
        )
    if array.dtype != np.float64:
        raise CheckFailed(
            Diagnosis(
                f"the gradient your objective returns is {array.dtype.name}; L-BFGS-B works in "
                "float64 and its line search compares the value with the gradient to many "
                "digits",
                "convert it: np.asarray(gradient, np.float64).ravel()",
            )
        )
    return array


def _judge_gradient(got: np.ndarray, expected: np.ndarray) -> None:
    """:class:`CheckFailed` naming how a wrong gradient is wrong (sign, size, direction)."""
    scale = float(np.max(np.abs(expected)))
    if np.allclose(got, expected, rtol=1e-4, atol=1e-5 * scale):
        return
    if np.allclose(-got, expected, rtol=1e-4, atol=1e-5 * scale):
        raise CheckFailed(
            Diagnosis(
                "your gradient has the wrong sign: L-BFGS-B minimises and goes against the "
                "gradient itself",
                "return the gradient of the loss, not its negative (and not a step)",
            )
        )
    ratio = common_ratio(got, expected)
    if ratio is not None:
        raise CheckFailed(
            Diagnosis(
                f"your gradient is {times_text(ratio)} the gradient of the value you return "
                "(a learning rate or a normalisation?); L-BFGS-B's line search needs the value "
                "and the gradient of the same function",
                "return tape.gradient(loss, picture) itself, unscaled",
            )
        )
    where = int(np.argmax(np.abs(got - expected)))
    raise CheckFailed(
        Diagnosis(
            f"your gradient is not the loss's: at index {where} expected {expected[where]:.6g}, "
            f"got {got[where]:.6g}",
            _HINT,
        )
    )


def _bounds_arrays(bounds: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper), n values each, from ``bounds``; :class:`CheckFailed` for what L-BFGS-B
    would refuse or what does not keep the pixels in [0, 1]."""
    if bounds is None:
        raise CheckFailed(
            Diagnosis(
                "your bounds are None: L-BFGS-B would move the pixel values out of [0, 1] "
                "(Adam's loop clips after each step; L-BFGS-B needs the box itself)",
                "return scipy.optimize.Bounds(0, 1) (or [(0, 1)] * x.size) as the bounds",
            )
        )
    if isinstance(bounds, Bounds):
        lower = np.broadcast_to(np.asarray(bounds.lb, np.float64), (n,))
        upper = np.broadcast_to(np.asarray(bounds.ub, np.float64), (n,))
    else:
        if isinstance(bounds, Sequence) and len(bounds) == 2 and np.ndim(bounds[0]) == 0:
            raise CheckFailed(
                Diagnosis(
                    f"your bounds are one pair {tuple(bounds)} for all {n} values; as a list, "
                    "L-BFGS-B wants one (low, high) pair per value",
                    "[(0, 1)] * x.size, or scipy.optimize.Bounds(0, 1)",
                )
            )
        try:
            pairs = [tuple(pair) for pair in bounds]
        except TypeError:
            pairs = []
        if len(pairs) != n or any(len(pair) != 2 for pair in pairs):
            raise CheckFailed(
                Diagnosis(
                    f"your bounds hold {len(pairs)} entries for {n} pixel values",
                    "one (0, 1) pair per value: [(0, 1)] * x.size, or scipy.optimize.Bounds(0, 1)",
                )
            )
        lower = np.array([np.nan if p[0] is None else p[0] for p in pairs], np.float64)
        upper = np.array([np.nan if p[1] is None else p[1] for p in pairs], np.float64)
    if not (np.all(lower == 0.0) and np.all(upper == 1.0)):
        shown = sorted({(float(lo), float(hi)) for lo, hi in zip(lower, upper)})[:3]
        raise CheckFailed(
            Diagnosis(
                f"your bounds are {shown}{' ...' if len(shown) == 3 else ''}, not (0, 1) for "
                "every value (None means unbounded): the pictures are RGB in [0, 1]",
                "scipy.optimize.Bounds(0, 1), or [(0, 1)] * x.size",
            )
        )
    return lower, upper


def _run(problem: LossProblem, objective: Callable, bounds: Any, x0: np.ndarray) -> Any:
    return minimize(
        objective,
        x0.copy(),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": RUN_ITERATIONS},
    )


def _unpack(result: Any) -> tuple[Callable[..., Any], Any]:
    """``(objective, bounds)`` from what ``lbfgs_objective`` returned."""
    if callable(result):
        raise CheckFailed(
            Diagnosis(
                "lbfgs_objective returned only a function; it should return the pair "
                "(objective, bounds)",
                "return objective, scipy.optimize.Bounds(0, 1)",
            )
        )
    if not isinstance(result, Sequence) or len(result) != 2 or not callable(result[0]):
        raise CheckFailed(
            Diagnosis(
                f"lbfgs_objective returned {type(result).__name__}, not the pair (objective, "
                "bounds)",
                "return objective, scipy.optimize.Bounds(0, 1)",
            )
        )
    return result[0], result[1]


def _pair(result: Any, n: int) -> tuple[Any, Any]:
    """(value, gradient) from what the objective returned."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        what = type(result).__name__
        shape = np.shape(result) if not isinstance(result, (tuple, list)) else len(result)
        raise CheckFailed(
            Diagnosis(
                f"your objective returned a {what} ({shape}), not the pair (value, gradient) "
                "that minimize(..., jac=True) expects",
                "return float(loss), gradient",
            )
        )
    value, gradient = result
    if np.size(value) == n and n > 1 and np.size(gradient) == 1:
        raise CheckFailed(
            Diagnosis(
                "your objective returns (gradient, value): the other way round",
                "return the value first, then the gradient: return float(loss), gradient",
            )
        )
    return value, gradient


def _body(fn: Callable[..., Any], seed: int) -> str:
    rng = np.random.default_rng(seed)
    problems = [random_problem(rng) for _ in range(2)]
    expect_calls(len(problems))
    for problem in problems:
        details = (
            f"Input: pictures of shape {problem.shape} (x has {problem.size} values) "
            f"({repeat_text('lbfgs_objective', seed)})."
        )
        with on_input(details):
            objective, bounds = _unpack(
                call_student(fn, [problem.loss_fn, problem.shape], call=_CALL)
            )
            _bounds_arrays(bounds, problem.size)
            for x in (rng.uniform(0.0, 1.0, problem.size), rng.uniform(0.0, 1.0, problem.size)):
                value, gradient = _pair(_objective_call(problem, objective, x), problem.size)
                if not problem.given:
                    raise CheckFailed(
                        Diagnosis(
                            "your objective never called loss_fn",
                            "compute the loss with loss_fn(picture) under a GradientTape",
                        )
                    )
                gradient = _gradient(problem, gradient)
                number = _number(value)
                expected = problem.value(x)
                _judge_gradient(gradient, problem.gradient(x))
                if not near(number, expected, 1e-5):
                    raise CheckFailed(
                        Diagnosis(
                            f"your objective's value is {number:.6g}, but the loss of x is "
                            f"{expected:.6g}, while your gradient is right: the value and the "
                            "gradient must belong to the same function",
                            "return float(loss) of the loss you took the gradient of",
                        )
                    )
            start = rng.uniform(0.2, 0.8, problem.size)
            try:
                mine = _run(problem, objective, bounds, start)
            except CheckFailed:
                raise
            except Exception as err:  # noqa: BLE001 - scipy's complaint about the objective
                raise CheckFailed(
                    Diagnosis(
                        f"scipy.optimize.minimize failed with your objective and bounds: "
                        f"{type(err).__name__}: {err}",
                        _HINT,
                    )
                ) from None
            reference = _run(
                problem, *fallbacks.flat_objective(problem.loss_fn, problem.shape), start
            )
            if not problem.value(mine.x) <= reference.fun + 1e-4 * abs(reference.fun) + 1e-9:
                raise CheckFailed(
                    Diagnosis(
                        f"L-BFGS-B with your objective ended at loss {problem.value(mine.x):.6g}"
                        f" after {mine.nit} iterations, the model objective at "
                        f"{reference.fun:.6g} ({mine.message})",
                        _HINT,
                    )
                )
    return (
        f"value and flat float64 gradient right on {2 * len(problems)} random pictures, bounds "
        f"[0, 1], and L-BFGS-B with them lowers the loss as far as the model objective in "
        f"{RUN_ITERATIONS} iterations"
    )


def check_lbfgs_objective(fn: Optional[Callable[..., Any]], *, seed: Optional[int] = None) -> bool:
    """Check a student's ``lbfgs_objective(loss_fn, shape)``; print a verdict.

    Used by the homework (``notebooks/homework/homework_style_transfer.ipynb``, Part B).

    Args:
        fn: the student's function. It gets ``loss_fn`` (a float32 picture tensor of ``shape``
            -> a scalar tensor) and ``shape`` (1, H, W, 3); it should return ``(objective,
            bounds)`` for ``scipy.optimize.minimize(objective, x0, jac=True,
            method="L-BFGS-B", bounds=bounds)``: ``objective(x)`` takes the flat float64 vector
            of the H*W*3 values and returns (the loss as a float, its gradient as a flat
            float64 vector); ``bounds`` keep every value in [0, 1]. ``None`` counts as "not
            implemented yet".
        seed: seed of the random losses and pictures; ``None`` draws a fresh one.

    Returns:
        True if value, gradient and bounds are right and L-BFGS-B runs with them as far as
        with the model solution.
    """
    return check_function("lbfgs_objective", fn, seed, _body)


register_reference(check_lbfgs_objective, fallbacks.flat_objective)
