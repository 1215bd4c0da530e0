"""Checker of lesson 01's exercise: the receptive field of a stack of layers.

Used by 01_feature_hierarchy, "Exercise: count it yourself".  ``check_receptive_field(fn)`` calls
the student's ``receptive_field(layers)`` on random stacks of ``(name, kernel, stride)`` layers
(kernels 1-7, strides 1-3, as :func:`labhelpers.network.layers.layer_geometry` lists VGG16's), and
compares the answer with an independent count: one output value's interval of input pixels walked
back through the stack (a layer with kernel k and stride s maps the outputs a..b to the inputs
s*a .. s*b + k - 1).  The usual mistakes of the forward rule ``r += (k - 1) * s; s *= stride`` are
named when they explain every stack (the pooling's own growth left out, the spacing updated before
the growth, the spacing ignored, a count starting at 0, ...).  What
:func:`use_if_correct` continues with is :func:`walked_receptive_field` (the checker's own
backward walk, not the model solution).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any, Optional

import numpy as np

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

__all__ = ["check_receptive_field", "walked_receptive_field"]

Layers = Sequence[tuple[str, int, int]]


def walked_receptive_field(layers: Layers) -> int:
    """Input pixels (side) one value of the last layer depends on, by walking its interval back
    to the input."""
    first, last = 0, 0
    for _name, kernel, stride in reversed(list(layers)):
        first, last = first * stride, last * stride + kernel - 1
    return last - first + 1


def _forward(
    layers: Layers,
    *,
    own_growth_of_strided: bool = True,
    spacing_first: bool = False,
    use_spacing: bool = True,
    start: int = 1,
    add_stride: bool = False,
) -> int:
    """The forward rule with one of the usual mistakes switched on."""
    field, spacing = start, 1
    for _name, kernel, stride in layers:
        if spacing_first:
            spacing = spacing + stride - 1 if add_stride else spacing * stride
        if stride == 1 or own_growth_of_strided:
            field += (kernel - 1) * (spacing if use_spacing else 1)
        if not spacing_first:
            spacing = spacing + stride - 1 if add_stride else spacing * stride
    return field


_MISTAKES: list[tuple[Callable[[Layers], Any], Diagnosis]] = [
    (
        lambda layers: _forward(layers, own_growth_of_strided=False),
        Diagnosis(
            "a layer with a stride (a pooling) only multiplies the spacing in your count; it "
            "also looks at k neighbouring values of the layer below, so it widens the field "
            "first, like a convolution",
            "every layer adds (k - 1) times the current spacing, whatever its stride; the stride "
            "acts afterwards",
        ),
    ),
    (
        lambda layers: _forward(layers, spacing_first=True),
        Diagnosis(
            "you update the spacing before adding the layer's own growth, so a strided layer's "
            "window is counted with the spacing of the layer *above* it",
            "a layer's k values are spaced as the layer below it; change the spacing after the "
            "growth",
        ),
    ),
    (
        lambda layers: _forward(layers, use_spacing=False),
        Diagnosis(
            "your count ignores the spacing: after a stride, neighbouring values of a layer are "
            "several input pixels apart",
            "each layer adds (k - 1) times the distance in input pixels between the values it "
            "looks at",
        ),
    ),
    (
        lambda layers: _forward(layers, start=0),
        Diagnosis(
            "your count is 1 too small: with no layers at all a value sees exactly one pixel",
            "start the field at 1 pixel",
        ),
    ),
    (
        lambda layers: _forward(layers, add_stride=True),
        Diagnosis(
            "your spacing grows by adding the strides; two strides of 2 put values 4 pixels "
            "apart, not 3",
            "multiply the spacing by each layer's stride",
        ),
    ),
    (
        lambda layers: sum(kernel for _n, kernel, _s in layers),
        Diagnosis(
            "you added up the kernel sizes; the layers overlap (a 3-wide window over 3-wide "
            "windows sees 5 pixels, not 6) and strides spread them",
            "start from 1 pixel; each layer adds (k - 1) times the current spacing",
        ),
    ),
    (
        lambda layers: int(np.prod([kernel for _n, kernel, _s in layers])),
        Diagnosis(
            "you multiplied the kernel sizes; fields grow by adding, not by multiplying",
            "start from 1 pixel; each layer adds (k - 1) times the current spacing",
        ),
    ),
    (
        lambda layers: list(layers)[-1][1],
        Diagnosis(
            "you returned the last layer's own kernel size; its values each see a patch of the "
            "layer below, whose values see patches themselves",
            "go through all the layers, from the input up",
        ),
    ),
]


def _stacks(rng: np.random.Generator) -> list[list[tuple[str, int, int]]]:
    """Eight random stacks of 3-9 layers, each with a pooling-like layer (kernel, stride >= 2)."""
    stacks = []
    for number in range(8):
        layers = []
        for index in range(int(rng.integers(3, 10))):
            if rng.random() < 0.35:
                kernel, stride = int(rng.integers(2, 5)), int(rng.integers(2, 4))
                layers.append((f"pool{index}", kernel, stride))
            else:
                layers.append((f"conv{index}", int(rng.choice([1, 3, 3, 5, 7])), 1))
        if not any(stride > 1 for _n, _k, stride in layers[:-1]):
            layers.insert(int(rng.integers(0, len(layers))), (f"pool{number}x", 2, 2))
        stacks.append(layers)
    return stacks


def _describe(layers: Layers) -> str:
    return (
        "[" + ", ".join(f"({name!r}, {kernel}, {stride})" for name, kernel, stride in layers) + "]"
    )


def _answer(value: Any) -> int:
    try:
        number = float(returned(value))
    except (TypeError, ValueError):
        raise CheckFailed(
            Diagnosis(
                f"your function returned a {type(value).__name__}, not a number of pixels",
                "return one whole number: the side of the patch in pixels",
            )
        ) from None
    if not np.isfinite(number) or number != round(number):
        raise CheckFailed(
            Diagnosis(
                f"your function returned {number:g}, not a whole number of pixels",
                "kernels and strides are whole numbers; use * and +, not /",
            )
        )
    return int(round(number))


def check_receptive_field(fn: Optional[Callable[..., Any]], *, seed: Optional[int] = None) -> bool:
    """Check a student's ``receptive_field(layers)``; print a verdict.

    Used by 01_feature_hierarchy, "Exercise: count it yourself".

    Args:
        fn: the student's function, called with a list of ``(name, kernel side px, stride px)``
            from the input upward; it should return the side (px) of the input patch one value of
            the last layer depends on (a whole number). ``None`` counts as "not implemented yet".
        seed: seed for the random stacks; ``None`` draws a fresh one (printed on failure).

    Returns:
        True if ``fn`` gives the walked-back count on every random stack.
    """

    def body(fn: Callable[..., Any], seed: int) -> str:
        stacks = _stacks(np.random.default_rng(seed))
        expect_calls(len(stacks))

        def details(layers: Layers) -> str:
            return f"Input: layers = {_describe(layers)} ({repeat_text('receptive_field', seed)})."

        answers = []
        for layers in stacks:
            with on_input(details(layers)):
                value = call_student(fn, [list(layers)], call="receptive_field(layers)")
                answers.append(_answer(value))
        for layers, got in zip(stacks, answers):
            expected = walked_receptive_field(layers)
            if got != expected:
                diagnosis = mistake_explaining_all(_MISTAKES, stacks, answers, operator.eq)
                raise CheckFailed(
                    diagnosis
                    or Diagnosis(
                        f"wrong field: expected {expected} px, got {got} px",
                        "from r = 1 and a spacing s = 1: each layer adds (k - 1) * s to r, "
                        "then multiplies s by its stride (the two rules of section 1)",
                    ),
                    details(layers),
                )
        return f"correct on {len(stacks)} random stacks of layers"

    return check_function("receptive_field", fn, seed, body)


register_reference(check_receptive_field, walked_receptive_field)
