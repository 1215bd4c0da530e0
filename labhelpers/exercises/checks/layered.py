"""Checkers of the "several layers, with weights" exercises of lessons 02 and 03.

Used by 02_content_loss, Exercise 2 ("several layers at once": ``check_layered_content_loss``) and
03_style_loss, Exercise 3 ("the style loss of several layers": ``check_layered_style_loss``).
``check_layered_content_loss(fn)`` checks ``fn(features, targets, weights)`` = the sum over the
layers of ``weights`` of ``weights[l] * content_loss(features[l], targets[l])``;
``check_layered_style_loss(fn)`` checks the same with ``style_loss(gram_matrix(features[l]),
targets[l])``, the targets being the painting's Gram matrices.  Like the feature extractor, the
random ``features`` hold one layer more than ``weights`` names, the weights are listed in another
order than the features and do not add up to 1: the student must loop over the weighted layers
and look each one up by name.  The answers are compared with an independent NumPy computation;
the usual mistakes (weights left out, normalised or squared, a mean over the layers, one pooled
mean over all layers, the targets made into Gram matrices again, only one layer, ...) are named
when they explain every random case.  The gradient references and what :func:`use_if_correct`
continues with are :mod:`.fallbacks`'s weighted losses (not the model solutions).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Optional

import numpy as np

from labhelpers.config import import_tensorflow
from labhelpers.exercises.checks import fallbacks
from labhelpers.exercises.checks.core import (
    Diagnosis,
    as_scalar,
    call_compiled,
    call_with_layers,
    check_function,
    check_gradients,
    expect_calls,
    judge_numbers,
    numpy_gram,
    on_input,
    register_reference,
    repeat_text,
)

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

__all__ = ["check_layered_content_loss", "check_layered_style_loss"]

_LAYER_SETS = (
    ("block1_conv1", "block3_conv1"),
    ("block2_conv1", "block4_conv1", "block5_conv1"),
    ("block1_conv2", "block2_conv2", "block4_conv2"),
)
_EXTRA = "block3_conv3"  # a layer the features have and the weights do not name


def _cases(rng: np.random.Generator, kind: str) -> list[dict[str, Any]]:
    """Random features and targets (one layer more than weighted) and weights; float32."""
    cases = []
    dtype = np.float32  # the lesson's: a sum started from tf.constant(0.0) is fine there
    for number, names in enumerate(_LAYER_SETS):
        features, targets = {}, {}
        for index, name in enumerate((*names, _EXTRA)):
            side, channels = 7 - index, 3 + 2 * index + number  # every layer another size
            features[name] = (2 * rng.random((1, side, side + 1, channels))).astype(
                dtype
            )  # ReLU-like, >= 0
            other = (2 * rng.random((1, side, side + 1, channels))).astype(dtype)
            # targets hold the unweighted layer too, as the notebook's hold all 13
            targets[name] = other if kind == "content" else numpy_gram(other).astype(dtype)
        values = rng.uniform(0.3, 3.0, size=len(names))
        weights = {
            name: float(v) for name, v in reversed(list(zip(names, values)))
        }  # another order
        cases.append(
            {"features": features, "targets": targets, "weights": weights, "dtype": dtype}
        )
    return cases


def _per_layer(case: dict[str, Any], kind: str) -> dict[str, dict[str, float]]:
    """Per weighted layer: the NumPy loss ``L``, squared-difference sum ``sq``, count ``n``, and
    variants."""
    rows = {}
    for layer in case["weights"]:
        f, t = (
            case["features"][layer].astype(np.float64),
            case["targets"][layer].astype(np.float64),
        )
        mine = f if kind == "content" else numpy_gram(f)
        diff = mine - t
        row = {"L": float(np.mean(diff**2)), "sq": float(np.sum(diff**2)), "n": float(diff.size)}
        if kind == "style":  # the target made into a Gram matrix again
            row["L_gram_target"] = float(np.mean((mine - t.T @ t / t.size) ** 2))
        rows[layer] = row
    return rows


def _expected(case: dict[str, Any], kind: str) -> float:
    rows = _per_layer(case, kind)
    return sum(w * rows[layer]["L"] for layer, w in case["weights"].items())


def _mistakes(case: dict[str, Any], kind: str) -> list[tuple[float, Diagnosis]]:
    rows, weights = _per_layer(case, kind), case["weights"]
    w = np.array([weights[layer] for layer in rows])
    loss = np.array([rows[layer]["L"] for layer in rows])
    sq, n = (
        np.array([rows[layer]["sq"] for layer in rows]),
        np.array([rows[layer]["n"] for layer in rows]),
    )
    what = "feature maps" if kind == "content" else "Gram matrices"
    per_layer = "content_loss" if kind == "content" else "style_loss"
    found = [
        (
            float(loss.sum()),
            Diagnosis(
                "the weights are not used: every layer counts the same",
                "multiply each layer's loss by weights[layer] before adding",
            ),
        ),
        (
            float(w @ loss / len(w)),
            Diagnosis(
                "you averaged the weighted losses over the layers; the weights "
                "already say how much each layer counts, so the terms are added up",
                "do not divide by the number of layers",
            ),
        ),
        (
            float(w @ loss / w.sum()),
            Diagnosis(
                "you divided by the sum of the weights: the weights are used as given "
                "(they need not add up to 1)",
                "do not normalise the weights",
            ),
        ),
        (
            float((w**2) @ loss),
            Diagnosis(
                "each layer's weight is applied twice (squared)",
                "multiply each layer's loss by its weight once",
            ),
        ),
        (
            float(w @ sq / n.sum()),
            Diagnosis(
                f"you took one mean over the {what} of all layers together, so layers "
                "with many values count more than the weights say",
                f"compute {per_layer} for each layer separately, then weight and add",
            ),
        ),
        (
            float(sq.sum() / n.sum()),
            Diagnosis(
                f"you took one mean over the {what} of all layers together and left "
                "out the weights",
                f"compute {per_layer} for each layer separately, "
                "multiply by weights[layer], then add",
            ),
        ),
        (
            float(w @ sq),
            Diagnosis(
                f"each layer's term is a sum of squared differences, not their mean ({per_layer})",
                f"use {per_layer} for each layer, which averages",
            ),
        ),
        (
            float(w[0] * loss[0]),
            Diagnosis(
                "only the first layer of weights counts in your result",
                "add the weighted losses of all the layers of weights",
            ),
        ),
        (
            float(w[-1] * loss[-1]),
            Diagnosis(
                "only the last layer of weights counts in your result: is the total "
                "overwritten in the loop instead of added to?",
                "start from 0 and add each layer's weighted loss",
            ),
        ),
    ]
    if kind == "style":
        gram_target = np.array([rows[layer]["L_gram_target"] for layer in rows])
        found.append(
            (
                float(w @ gram_target),
                Diagnosis(
                    "you made the targets into Gram matrices again: targets[layer] already is "
                    "the painting's Gram matrix",
                    "take gram_matrix of the generated features only",
                ),
            )
        )
    return found


def _tensors(case: dict[str, Any], tape: Optional[tf.GradientTape] = None) -> list[Any]:
    features = {name: tf.constant(value) for name, value in case["features"].items()}
    if tape is not None:
        tape.watch(list(features.values()))
    return [
        features,
        {name: tf.constant(value) for name, value in case["targets"].items()},
        dict(case["weights"]),
    ]


_SCALAR_HINT = "reduce every layer's term to a scalar before weighting and adding"


def _call(fn: Callable[..., Any], args: list[Any], call: str) -> Any:
    """The student's result; a KeyError is told that features hold more layers than weighted."""
    return call_with_layers(
        fn,
        args,
        call=call,
        hint=(
            "features and targets hold more layers than you weight, as in the notebook; loop "
            "over the layers of weights and look features and targets up by those names"
        ),
    )


def _check(kind: str, fn: Optional[Callable[..., Any]], seed: Optional[int]) -> bool:
    name = f"layered_{kind}_loss"
    call = f"{name}(features, targets, weights)"
    reference = (
        fallbacks.weighted_content_loss if kind == "content" else fallbacks.weighted_style_loss
    )

    def body(fn: Callable[..., Any], seed: int) -> str:
        cases = _cases(np.random.default_rng(seed), kind)
        expect_calls(2 * len(cases) + 1)
        details = (
            f"Input: features and targets of {len(_LAYER_SETS[0]) + 1}-4 layers, weights for all "
            f"but one of them, float32 ({repeat_text(name, seed)})."
        )
        with on_input(details):
            answers = [as_scalar(_call(fn, _tensors(case), call), _SCALAR_HINT) for case in cases]
            judge_numbers(
                cases,
                answers,
                lambda case: _expected(case, kind),
                lambda case: _mistakes(case, kind),
                "the result is the sum over the layers of weights of weights[layer] times that "
                f"layer's {kind} loss",
            )
            for case in cases:

                def watched(tape: tf.GradientTape, case: dict = case) -> tuple[list, list]:
                    args = _tensors(case, tape)
                    return args, [
                        ("the feature maps", args[0][layer]) for layer in case["weights"]
                    ]

                check_gradients(
                    watched, lambda args: _call(fn, args, call), lambda a: reference(*a)
                )
            weights = dict(cases[0]["weights"])
            compiled = call_compiled(
                lambda f, t: fn(f, t, weights), _tensors(cases[0])[:2], call=call
            )
            as_scalar(compiled, _SCALAR_HINT)
        return f"correct on {len(cases)} random inputs with 2-3 weighted layers, gradients flow"

    return check_function(name, fn, seed, body)


def check_layered_content_loss(
    fn: Optional[Callable[..., Any]], *, seed: Optional[int] = None
) -> bool:
    """Check a student's ``layered_content_loss(features, targets, weights)``; print a verdict.

    Used by 02_content_loss, Exercise 2.

    Args:
        fn: the student's function. It gets ``features`` {layer: (1, h, w, C)} (one layer more than
            weighted), ``targets`` {layer: (1, h, w, C)} (as many; tf tensors, float32) and
            ``weights`` {layer: float}; it should return the scalar tensor
            ``sum over weights' layers of weights[l] * content_loss(features[l], targets[l])``.
        seed: seed for the random inputs; ``None`` draws a fresh one (printed on failure).

    Returns:
        True if ``fn`` matches an independent NumPy computation on every input and gradients flow.
    """
    return _check("content", fn, seed)


def check_layered_style_loss(
    fn: Optional[Callable[..., Any]], *, seed: Optional[int] = None
) -> bool:
    """Check a student's ``layered_style_loss(features, targets, weights)``; print a verdict.

    Used by 03_style_loss, Exercise 3.

    Args:
        fn: the student's function. It gets ``features`` {layer: (1, h, w, C)} (one layer more than
            weighted), ``targets`` {layer: Gram matrix (C, C)} (as many; tf tensors, float32) and
            ``weights`` {layer: float}; it should return the scalar tensor
            ``sum over weights' layers of weights[l] * style_loss(gram_matrix(features[l]),
            targets[l])``.
        seed: seed for the random inputs; ``None`` draws a fresh one (printed on failure).

    Returns:
        True if ``fn`` matches an independent NumPy computation on every input and gradients flow.
    """
    return _check("style", fn, seed)


register_reference(check_layered_content_loss, fallbacks.weighted_content_loss)
register_reference(check_layered_style_loss, fallbacks.weighted_style_loss)
