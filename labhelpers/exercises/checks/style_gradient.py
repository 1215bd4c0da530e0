"""Checker of the homework's style-gradient exercise: dL_style/dF in closed form.

``check_style_gradient(style_gradient)`` calls the student's ``style_gradient(features,
gram_target)`` on random post-ReLU feature maps (1, H, W, C) with exact zeros and random Gram
targets (C, C), and compares the result with what ``tf.GradientTape`` gives for the lecture's
style loss (the reference: :func:`labhelpers.losses.style_loss` of
:func:`labhelpers.losses.gram_matrix`).  The lecture's conventions differ from the paper's:

- Gram matrix ``G = F^T F / (H W C)`` with F the (H*W, C) matrix (the paper: ``F F^T``, F of shape
  (N_l, M_l) = (C, H*W), unnormalised);
- style loss ``mean((G - A)^2)`` over the C*C entries (the paper: ``1 / (4 N_l^2 M_l^2)`` times
  the sum);

so Gatys et al.'s eq. 6 becomes ``dL/dF = 4 F (G - A) / (H W C * C^2)``, shape (H*W, C) and then
(1, H, W, C).  Eq. 6's second line (0 where F < 0) is the ReLU's derivative: the paper's F are
the ReLU's outputs, so its mask turns dL/dF into the gradient of the convolution *before* the
ReLU, which back-propagation needs next.  The lesson's maps are the ReLU's outputs too, but the
exercise asks for dL/dF itself, which is not 0 where F == 0: a masked answer is told so.

The usual mistakes are named when they explain the student's answer on every input (a factor 2,
both factors 2, the sign, the mean's 1/C^2, the Gram's 1/(H W C), the paper's constant, the mask,
a (C, H*W) reshape, a result left transposed); an answer taken from a tape is told that the
exercise asks for the closed form.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from typing import Any, Optional

import numpy as np

from labhelpers import losses
from labhelpers.config import import_tensorflow
from labhelpers.exercises.checks.core import (
    CheckFailed,
    Diagnosis,
    call_student,
    check_function,
    expect_calls,
    mistake_explaining_all,
    numpy_gram,
    on_input,
    register_reference,
    repeat_text,
    returned,
    values_close,
)
from labhelpers.exercises.checks.reference import common_ratio, times_text

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

__all__ = ["check_style_gradient", "tape_style_gradient"]

_CALL = "style_gradient(features, gram_target)"
_HINT = (
    "with F the (H*W, C) matrix of the map, N = H*W*C and G = F^T F / N: dL/dG = 2 (G - A) / C^2, "
    "and G holds F twice, so dL/dF = 4 F (G - A) / (N * C^2), reshaped to (1, H, W, C)"
)
#: Shapes (1, H, W, C) of the random maps: H != W, H*W != C, C != H, W (a transpose shows).
_SHAPES = ((1, 4, 5, 3), (1, 6, 3, 7), (1, 3, 4, 8))


def tape_style_gradient(features: np.ndarray, gram_target: np.ndarray) -> np.ndarray:
    """The reference: dL/dF of the lecture's style loss by ``tf.GradientTape``, float64.

    Args:
        features: F, (1, H, W, C).
        gram_target: A, (C, C).

    Returns:
        dL/dF, (1, H, W, C), float64 (loss units per unit of activation).
    """
    variable = tf.Variable(np.asarray(features, np.float64))
    with tf.GradientTape() as tape:
        loss = losses.style_loss(
            losses.gram_matrix(variable), tf.constant(gram_target, tf.float64)
        )
    return tape.gradient(loss, variable).numpy()


def _cases(rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """(features, gram_target) pairs: post-ReLU maps (about half exactly 0), a painting's Gram."""
    cases = []
    for shape in _SHAPES:
        features = np.maximum(rng.normal(size=shape), 0.0)
        other = np.maximum(rng.normal(0.3, 1.0, size=shape), 0.0)
        cases.append((features, numpy_gram(other)))
    return cases


def _flat(features: np.ndarray) -> np.ndarray:
    return features.reshape(-1, features.shape[-1])


def _scaled(factor: Callable[[np.ndarray], float]) -> Callable[[np.ndarray, np.ndarray], Any]:
    """A wrong answer: the right gradient times ``factor(features)``."""
    return lambda f, a: factor(f) * tape_style_gradient(f, a)


def _paper_constant(f: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Eq. 6 copied with the paper's constant 1/(N_l^2 M_l^2) onto the lecture's G and A."""
    flat, channels = _flat(f), f.shape[-1]
    positions = flat.shape[0]
    return (flat @ (numpy_gram(f) - a) / (channels**2 * positions**2)).reshape(f.shape)


def _straight_reshape(f: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The map reshaped straight to (C, H*W) (channels and positions mixed), the rest right."""
    channels = f.shape[-1]
    mixed = f.reshape(channels, -1)
    gram = mixed @ mixed.T / f.size
    return (4 * (gram - a) @ mixed / (f.size * channels**2)).reshape(f.shape)


def _left_transposed(f: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The right (C, H*W) gradient reshaped to (1, H, W, C) without transposing it first."""
    right = tape_style_gradient(f, a)
    return _flat(right).T.reshape(f.shape)


_MISTAKES: list[tuple[Callable[[np.ndarray, np.ndarray], Any], Diagnosis]] = [
    (
        _scaled(lambda f: -1.0),
        Diagnosis(
            "your gradient has the wrong sign: it points to where the style loss *falls*",
            "the difference is G - A (the picture's Gram minus the painting's), as in the loss",
        ),
    ),
    (
        _scaled(lambda f: 0.5),
        Diagnosis(
            "a factor 2 is missing: your gradient is half the right one. There are two: the "
            "square's (d(G - A)^2/dG = 2 (G - A)) and F appearing twice in F^T F (dG/dF gives "
            "F (D + D^T) for dL/dG = D, i.e. 2 F D for a symmetric D)",
            _HINT,
        ),
    ),
    (
        _scaled(lambda f: 0.25),
        Diagnosis(
            "both factors 2 are missing: your gradient is 1/4 of the right one (one from the "
            "square, one from F appearing twice in F^T F)",
            _HINT,
        ),
    ),
    (
        _scaled(lambda f: 2.0),
        Diagnosis("a factor 2 too many: your gradient is twice the right one", _HINT),
    ),
    (
        _scaled(lambda f: float(f.shape[-1] ** 2)),
        Diagnosis(
            "the mean's normalisation is missing: your gradient is C^2 times the right one; the "
            "style loss is the *mean* over the C*C entries of the Gram difference",
            "divide dL/dG by C^2",
        ),
    ),
    (
        _scaled(lambda f: float(f.size)),
        Diagnosis(
            "the Gram matrix's normalisation is missing in the chain rule: your gradient is "
            "H*W*C times the right one; G = F^T F / (H*W*C), so dG/dF carries 1/(H*W*C) too",
            "divide by N = H*W*C once more (the G inside G - A is normalised already)",
        ),
    ),
    (
        _scaled(lambda f: float(f.size * f.shape[-1] ** 2)),
        Diagnosis(
            "both normalisations are missing: your gradient is (H*W*C) * C^2 times the right "
            "one (the Gram's 1/(H*W*C) in dG/dF and the mean's 1/C^2)",
            _HINT,
        ),
    ),
    (
        _paper_constant,
        Diagnosis(
            "you copied the paper's constant 1/(N_l^2 M_l^2) of eq. 6; it belongs to the paper's "
            "loss (1/(4 N_l^2 M_l^2) times the sum, unnormalised G), not to this lecture's "
            "(mean of the squared differences, G = F^T F / (H*W*C))",
            "derive it again for this lecture's G and loss: " + _HINT,
        ),
    ),
    (
        lambda f, a: tape_style_gradient(f, a) * (f > 0),
        Diagnosis(
            "you applied the ReLU mask of eq. 6 (0 where F = 0): that turns dL/dF into the "
            "gradient of the convolution's output *before* the ReLU, the next step of "
            "back-propagation. The exercise asks for dL/dF of the map itself (the ReLU's "
            "output, as the lesson's features are), which is not 0 where F = 0",
            "leave out the mask: dL/dF = 4 F (G - A) / (N * C^2) everywhere",
        ),
    ),
    (
        _straight_reshape,
        Diagnosis(
            "you reshaped the map (1, H, W, C) straight to (C, H*W): that mixes channels and "
            "positions (NumPy reads the values in memory order, channel last)",
            "reshape to (H*W, C) (one row per position); transpose it if you want the paper's "
            "(C, H*W) layout, and transpose back before reshaping to (1, H, W, C)",
        ),
    ),
    (
        _left_transposed,
        Diagnosis(
            "your gradient is right in the paper's (C, H*W) layout but was reshaped to "
            "(1, H, W, C) without transposing it back, so the values land on the wrong "
            "positions and channels",
            "transpose (C, H*W) to (H*W, C) before reshaping to (1, H, W, C)",
        ),
    ),
]


def _as_numbers(result: Any) -> np.ndarray:
    """The student's gradient as a float64 NumPy array (tensors and arrays both count)."""
    result = returned(result)
    if tf.is_tensor(result) or isinstance(result, tf.Variable):
        result = tf.convert_to_tensor(result).numpy()
    try:
        array = np.asarray(result, np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(
            Diagnosis(
                f"your function returned a {type(result).__name__}, not an array of numbers",
                "return dL/dF as a NumPy array (or a tensor) of the map's shape (1, H, W, C)",
            )
        ) from None
    return array


def _shape_problem(got: tuple, features: np.ndarray) -> Diagnosis:
    _, height, width, channels = features.shape
    positions = height * width
    if got == (channels, channels):
        return Diagnosis(
            f"your result has shape {got}, that of G: it is dL/dG, not dL/dF",
            "carry on with the chain rule through G = F^T F / (H*W*C) to the map",
        )
    if got == (positions, channels):
        return Diagnosis(
            f"your result has shape {got} = (H*W, C): right layout, not yet the map's shape",
            f"reshape it to the shape of features, {features.shape}",
        )
    if got == (channels, positions):
        return Diagnosis(
            f"your result has shape {got} = (C, H*W), the paper's layout",
            f"transpose it to (H*W, C), then reshape to the map's shape {features.shape}",
        )
    return Diagnosis(
        f"your result has shape {got}, but dL/dF has the shape of features, {features.shape}",
        _HINT,
    )


def _uses_a_tape(fn: Callable[..., Any]) -> bool:
    """True when ``fn``'s code (not its docstring or comments) asks TensorFlow for a gradient:
    ``GradientTape``, ``tf.gradients`` or ``.gradient(...)``; the exercise wants the algebra."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return False
    names = {"GradientTape", "gradients", "gradient"}
    return any(
        (isinstance(node, ast.Attribute) and node.attr in names)
        or (isinstance(node, ast.Name) and node.id == "GradientTape")
        for node in ast.walk(tree)
    )


def _body(fn: Callable[..., Any], seed: int) -> str:
    cases = _cases(np.random.default_rng(seed))
    expect_calls(len(cases))

    def answer(case: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        return _as_numbers(call_student(fn, [case[0].copy(), case[1].copy()], call=_CALL))

    for features, target in cases:
        details = (
            f"Input: features of shape {features.shape} (ReLU outputs, "
            f"{np.mean(features == 0):.0%} exactly 0), gram_target of shape {target.shape}, "
            "float64 "
            f"({repeat_text('style_gradient', seed)})."
        )
        with on_input(details):
            got = answer((features, target))
            if got.shape != features.shape:
                raise CheckFailed(_shape_problem(tuple(got.shape), features))
            expected = tape_style_gradient(features, target)
            if values_close(got, expected, np.float32):
                continue
            answers = [got] + [answer(other) for other in cases if other[0] is not features]
            ordered = [(features, target)] + [c for c in cases if c[0] is not features]
            named = mistake_explaining_all(
                [
                    (lambda case, wrong=wrong: wrong(*case), diagnosis)
                    for wrong, diagnosis in _MISTAKES
                ],
                ordered,
                answers,
                lambda mine, wrong: values_close(mine, wrong, np.float32, rtol=1e-3),
            )
            if named is not None:
                raise CheckFailed(named)
            ratio = common_ratio(got, expected)
            if ratio is not None:
                raise CheckFailed(
                    Diagnosis(
                        f"your gradient is {times_text(ratio)} the right one: a constant factor "
                        "is off",
                        _HINT,
                    )
                )
            where = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape)
            raise CheckFailed(
                Diagnosis(
                    f"your gradient differs from GradientTape's: at index "
                    f"{tuple(int(i) for i in where)} expected {expected[where]:.6g}, got "
                    f"{got[where]:.6g}",
                    _HINT,
                )
            )
    if _uses_a_tape(fn):
        raise CheckFailed(
            Diagnosis(
                "your values are right, but your function asks TensorFlow for the gradient; the "
                "exercise is to derive it by hand and write the closed form",
                _HINT,
            )
        )
    return (
        f"your closed form equals GradientTape's gradient on {len(cases)} random maps (with "
        "exact zeros, where no ReLU mask belongs)"
    )


def check_style_gradient(fn: Optional[Callable[..., Any]], *, seed: Optional[int] = None) -> bool:
    """Check a student's ``style_gradient(features, gram_target)``; print a verdict.

    Used by the homework (``notebooks/homework/homework_style_transfer.ipynb``, Part C).

    Args:
        fn: the student's function. It gets ``features`` F, a NumPy float64 map (1, H, W, C) of
            ReLU outputs, and ``gram_target`` A, (C, C); it should return dL/dF, shape
            (1, H, W, C), of L = mean((G - A)^2) with G = F^T F / (H*W*C), in closed form (NumPy
            or TensorFlow, no tape). ``None`` counts as "not implemented yet".
        seed: seed of the random inputs; ``None`` draws a fresh one (printed on failure).

    Returns:
        True if the result matches ``tf.GradientTape`` on every input (rtol 1e-4).
    """
    return check_function("style_gradient", fn, seed, _body)


register_reference(check_style_gradient, tape_style_gradient)
