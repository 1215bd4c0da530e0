"""Checkers of the loss exercises of lessons 02-04: content loss, Gram matrix, style loss, TV.

Used by 02_content_loss (Exercise 1, ``check_content_loss``), 03_style_loss (Exercise 1,
``check_gram_matrix``; Exercise 2, ``check_style_loss``), 04_total_variation (Exercise,
``check_total_variation_loss``), again by 05_optimization (section 0, "Your functions from
lessons 2-4"), and by 08_controls (Exercise, ``check_guided_gram``).  Each exercise is stated
here as an :class:`~labhelpers.exercises.checks.reference.Exercise`: its random inputs, its
typical mistakes and the shapes it should return;
:func:`~labhelpers.exercises.checks.reference.run_exercise` compares the student's function
with :mod:`labhelpers.losses` on them (float32 and float64,
gradients through ``tf.GradientTape``, once inside ``tf.function``) on the shared scaffold of
:mod:`labhelpers.exercises.checks.core`, prints one verdict and returns True or False.

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

from collections.abc import Callable
from typing import Any, Optional

import numpy as np

from labhelpers import losses
from labhelpers.exercises.checks.core import DTYPES, Diagnosis, numpy_gram, register_reference
from labhelpers.exercises.checks.reference import Case, Exercise, run_exercise

__all__ = [
    "check_content_loss",
    "check_gram_matrix",
    "check_guided_gram",
    "check_style_loss",
    "check_total_variation_loss",
]


# --------------------------------------------------------------------------- shapes


def _scalar_shape_problem(case: Case, got: tuple, expected: tuple) -> Diagnosis:
    if got == tuple(case.inputs[0].shape):
        return Diagnosis(
            f"your function returns one value per element (shape {got}) instead of a single "
            "number",
            "a loss is a scalar: reduce all the values to one number",
        )
    if int(np.prod(got)) == 1:
        return Diagnosis(
            f"your result has shape {got} instead of being a plain scalar (shape ())",
            "drop the extra axes (look for keepdims=True or a reduction over only some axes)",
        )
    return Diagnosis(
        f"your result has shape {got}, but a loss is a single number (shape ())",
        "reduce over all axes, not just some of them",
    )


def _gram_shape_problem(case: Case, got: tuple, expected: tuple) -> Diagnosis:
    f = case.facts
    hw, c, b = f["hw"], f["c"], f["b"]
    if got[-2:] == (hw, hw):
        return Diagnosis(
            f"your Gram matrix has shape {got} = (H*W, H*W), but it should be (C, C) = "
            f"{expected}: it compares positions with positions instead of channels with channels "
            "(transposed product)",
            "check which of the two factors of the matrix product is transposed",
        )
    if got[-2:] in ((hw, c), (c, hw)):
        return Diagnosis(
            f"your result has shape {got}, the shape of the reshaped feature matrix, not (C, C) "
            f"= {expected}",
            "a Gram matrix is the product of the reshaped features with their own transpose",
        )
    if b == 1 and got == (1, c, c):
        return Diagnosis(
            f"your result has shape {got}, but for one image (1, H, W, C) the Gram matrix is "
            f"(C, C) = {expected}",
            "reshape so that the batch axis disappears",
        )
    if b > 1 and got == (c, c):
        return Diagnosis(
            f"your result has shape {got}: one Gram matrix for the whole batch, which mixes the "
            f"{b} images; expected one per image, shape (B, C, C) = {expected}",
            "keep the batch axis when you reshape, and multiply image by image",
        )
    return Diagnosis(
        f"your result has shape {got}, expected (C, C) = {expected}", "the result is C by C"
    )


def _tv_shape_problem(case: Case, got: tuple, expected: tuple) -> Diagnosis:
    b = case.facts["b"]
    if got == (b,):
        return Diagnosis(
            f"your result has shape {got}, one value per image; the loss is a single number for "
            "the whole batch",
            "add the per-image values up (tf.image.total_variation, for one, returns one value "
            "per image)",
        )
    return _scalar_shape_problem(case, got, expected)


# --------------------------------------------------------------------------- exercises


def _squared_error_mistakes(what: str) -> list[tuple[Callable[..., Any], Diagnosis]]:
    """Typical ways to get "mean of squared differences" wrong; ``what`` names the inputs."""
    return [
        (
            lambda a, b: np.sum((a - b) ** 2),
            Diagnosis(
                "you summed where a mean belongs: your result is {n} times the expected one, and "
                "{n} is the number of elements",
                f"average the squared differences of the {what} instead of adding them up",
            ),
        ),
        (
            lambda a, b: 0.5 * np.sum((a - b) ** 2),
            Diagnosis(
                "you took half the sum of the squared differences where a mean belongs: your "
                "result is {half_n} times the expected one",
                "the course's loss is the mean of the squared differences (not the paper's "
                "1/2 * sum)",
            ),
        ),
        (
            lambda a, b: np.mean(np.abs(a - b)),
            Diagnosis(
                "missing square: you averaged absolute differences",
                "square each difference instead of taking its absolute value",
            ),
        ),
        (
            lambda a, b: np.mean(a - b),
            Diagnosis(
                "missing square: the differences are not squared, so positive and negative ones "
                "cancel out",
                "square each difference before averaging",
            ),
        ),
        (
            lambda a, b: np.mean(a - b) ** 2,
            Diagnosis(
                "square in the wrong place: you squared the average difference",
                "square each difference first, then average",
            ),
        ),
        (
            lambda a, b: np.sqrt(np.mean((a - b) ** 2)),
            Diagnosis(
                "extra square root: your result is the root of the expected one",
                "the loss is the mean of the squared differences itself, without a root",
            ),
        ),
    ]


_HALVES = [("2", 2.0, "a factor 2"), ("1/2", 0.5, "a factor 1/2")]


def _content_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for shape in [(1, 4, 5, 3), (1, 6, 3, 8), (2, 3, 3, 4)]:
        for dtype in DTYPES:
            gen, ref = rng.normal(size=shape).astype(dtype), rng.normal(size=shape).astype(dtype)
            n = int(np.prod(shape))
            cases.append(Case((gen, ref), {"b": shape[0], "n": n, "half_n": f"{n / 2:g}"}))
    return cases


def _batch_factor(case: Case) -> list[tuple[str, float, str]]:
    b = case.facts["b"]
    return (
        [("B", float(b), f"B = {b}, the number of images: the mean runs over all of them")]
        if b > 1
        else []
    )


_CONTENT = Exercise(
    name="content_loss",
    arg_names=("generated", "reference"),
    reference=losses.content_loss,
    make_cases=_content_cases,
    mistakes=_squared_error_mistakes("two feature maps"),
    factors=lambda case: _batch_factor(case) + _HALVES,
    shape_problem=_scalar_shape_problem,
    values_hint="the content loss is the mean of the squared differences of the two feature maps",
)


def _gram_cases(rng: np.random.Generator, batched: bool = False) -> list[Case]:
    shapes = [(1, 4, 5, 3), (1, 3, 7, 5), (1, 6, 2, 4)]
    if batched:
        shapes += [(2, 3, 4, 3), (3, 2, 5, 4)]
    cases = []
    for shape in shapes:
        for dtype in DTYPES:
            b, h, w, c = shape
            features = (2 * rng.random(shape)).astype(dtype)  # >= 0, like ReLU outputs
            cases.append(Case((features,), {"b": b, "hw": h * w, "c": c, "hwc": h * w * c}))
    return cases


def _gram_channels_first(x: np.ndarray) -> np.ndarray:
    """A Gram matrix from a reshape that puts channels first: shape (C, C), wrong values."""
    b, h, w, c = x.shape
    f = x.reshape(c, -1)
    return f @ f.T / (h * w * c)


def _gram_factors(case: Case) -> list[tuple[str, float, str]]:
    f = case.facts
    named = [
        (key, f[key], f"{label} = {f[key]}")
        for key, label in [("hwc", "H*W*C"), ("hw", "H*W"), ("c", "C")]
    ]
    return named + [("1/" + key, 1 / value, f"1/({why})") for key, value, why in named] + _HALVES


def _gram_exercise(batched: bool) -> Exercise:
    return Exercise(
        name="gram_matrix",
        arg_names=("features",),
        reference=losses.gram_matrix,
        make_cases=lambda rng: _gram_cases(rng, batched),
        mistakes=[
            (
                _gram_channels_first,
                Diagnosis(
                    "the channels got mixed up: your matrix has the right shape but wrong "
                    "values, as if the feature map had been reshaped with the channels first",
                    "channels are the last axis of (1, H, W, C); after reshaping, each column of "
                    "the (H*W, C) matrix should hold one channel",
                ),
            )
        ],
        factors=_gram_factors,
        shape_problem=_gram_shape_problem,
        values_hint="compare your normalisation with the lecture: which sizes does it divide by?",
        extra_args=", batched=True" if batched else "",
    )


def _guided_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for shape in [(1, 4, 5, 3), (1, 6, 3, 5), (1, 5, 5, 4)]:
        for dtype in DTYPES:
            _, h, w, c = shape
            features = (2 * rng.random(shape)).astype(dtype)  # >= 0, like ReLU outputs
            mask = rng.random((h, w)).astype(dtype)  # a soft mask ...
            mask[: h // 2, : w // 2] = 0.0  # ... with a part outside the region
            area = float(np.sum(mask.astype(np.float64) ** 2))
            facts = {"b": 1, "hw": h * w, "c": c, "area": f"{area:.4g}"}
            cases.append(Case((features, mask), facts))
    return cases


def _masked(features: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The (H*W, C) matrix of the features weighted by the mask, float64."""
    flat = features.reshape(-1, features.shape[-1]).astype(np.float64)
    return flat * mask.reshape(-1, 1).astype(np.float64)


def _guided_factors(case: Case) -> list[tuple[str, float, str]]:
    c = case.facts["c"]
    return [
        ("C", float(c), f"C = {c}, the number of channels"),
        ("1/C", 1.0 / c, f"1/C = 1/{c}"),
    ] + _HALVES


_GUIDED = Exercise(
    name="guided_gram",
    arg_names=("features", "mask"),
    reference=losses.guided_gram_matrix,
    make_cases=_guided_cases,
    mistakes=[
        (
            lambda f, m: numpy_gram(f),
            Diagnosis(
                "your result is the plain Gram matrix: the mask changes nothing",
                "multiply each position's features by the mask's value there before the product",
            ),
        ),
        (
            lambda f, m: _masked(f, m).T @ _masked(f, m) / f.size,
            Diagnosis(
                "you divided by H*W*C, all the positions, but only the region counts: your "
                "matrix shrinks when the region does",
                "divide by C times the mask's area, sum(mask**2) (the number of positions inside "
                "a 0/1 mask), which is {area} here",
            ),
        ),
        (
            lambda f, m: _masked(f, m).T @ _masked(f, m) / (f.shape[-1] * np.sum(m)),
            Diagnosis(
                "you divided by C * sum(mask), but both factors of the product carry the mask, "
                "so each position counts with weight mask**2",
                "divide by C * sum(mask**2): then an all-ones mask gives the plain Gram matrix "
                "and a soft mask a weighted mean",
            ),
        ),
        (
            lambda f, m: _masked(f, m).T @ f.reshape(-1, f.shape[-1]) / (f.shape[-1] * np.sum(m)),
            Diagnosis(
                "only one factor of the product is weighted by the mask",
                "weight the features once, F_m = mask * F, and multiply F_m^T F_m",
            ),
        ),
        (
            lambda f, m: _masked(f, m).T @ _masked(f, m) / np.sum(m.astype(np.float64) ** 2),
            Diagnosis(
                "your matrix is C times too large: the division by the number of channels is "
                "missing",
                "divide by C * sum(mask**2), as the plain Gram matrix divides by C * H * W",
            ),
        ),
    ],
    factors=_guided_factors,
    shape_problem=_gram_shape_problem,
    values_hint="the guided Gram matrix is (mask*F)^T (mask*F) / (C * sum(mask**2))",
)


def _style_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for channels, positions in [(3, 20), (5, 12), (8, 30)]:
        for dtype in DTYPES:
            grams = []
            for _ in range(2):
                f = 2 * rng.random((positions, channels))
                grams.append((f.T @ f / (positions * channels)).astype(dtype))
            n = channels * channels
            cases.append(Case(tuple(grams), {"c": channels, "n": n, "half_n": f"{n / 2:g}"}))
    return cases


_STYLE = Exercise(
    name="style_loss",
    arg_names=("gram_generated", "gram_reference"),
    reference=losses.style_loss,
    make_cases=_style_cases,
    mistakes=_squared_error_mistakes("two Gram matrices"),
    factors=lambda case: _HALVES,
    shape_problem=_scalar_shape_problem,
    values_hint="the style loss is the mean of the squared differences of the two Gram matrices",
    symmetric_input=True,
)


def _tv_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for shape in [(1, 5, 4, 3), (1, 6, 7, 3), (2, 4, 5, 3)]:
        for dtype in DTYPES:
            b, h, w, c = shape
            cases.append(Case((rng.random(shape).astype(dtype),), {"b": b, "n": b * h * w * c}))
    return cases


def _down(x: np.ndarray) -> np.ndarray:
    return x[:, 1:] - x[:, :-1]


def _right(x: np.ndarray) -> np.ndarray:
    return x[:, :, 1:] - x[:, :, :-1]


_MEAN_NOT_SUM = Diagnosis(
    "mean instead of sum: you averaged the absolute differences, but total variation adds them up",
    "sum over rows, columns, channels and images",
)

_TV = Exercise(
    name="total_variation_loss",
    arg_names=("image",),
    reference=losses.total_variation_loss,
    make_cases=_tv_cases,
    mistakes=[
        (
            lambda x: np.sum(_down(x) ** 2) + np.sum(_right(x) ** 2),
            Diagnosis(
                "L2 instead of L1: you squared the differences, but this exercise asks for the "
                "sum of their absolute values (the L1 form)",
                "use the absolute value of each difference",
            ),
        ),
        (
            lambda x: np.sum(np.abs(_down(x))),
            Diagnosis(
                "only one direction: you compare each pixel with its neighbour below "
                "(vertical differences) but not with its neighbour to the right",
                "add the horizontal differences, along the width axis, too",
            ),
        ),
        (
            lambda x: np.sum(np.abs(_right(x))),
            Diagnosis(
                "only one direction: you compare each pixel with its neighbour to the right "
                "(horizontal differences) but not with its neighbour below",
                "add the vertical differences, along the height axis, too",
            ),
        ),
        (lambda x: np.mean(np.abs(_down(x))) + np.mean(np.abs(_right(x))), _MEAN_NOT_SUM),
        (lambda x: (np.sum(np.abs(_down(x))) + np.sum(np.abs(_right(x)))) / x.size, _MEAN_NOT_SUM),
        (
            lambda x: (
                np.sum(np.abs(x - np.roll(x, 1, axis=1)))
                + np.sum(np.abs(x - np.roll(x, 1, axis=2)))
            ),
            Diagnosis(
                "wrap-around: your differences also compare the last row with the first one "
                "(and the last column with the first), as tf.roll does; only pixels with a real "
                "neighbour count",
                "use slices that leave out the first or last row (column) instead of rolling the "
                "image",
            ),
        ),
        (
            lambda x: np.sum(_down(x)) + np.sum(_right(x)),
            Diagnosis(
                "missing absolute value: without it, ups and downs cancel out",
                "take the absolute value of each difference before summing",
            ),
        ),
        (
            lambda x: np.sum(np.sqrt(_down(x)[:, :, :-1] ** 2 + _right(x)[:, :-1] ** 2)),
            Diagnosis(
                "isotropic TV: you combined the two directions under a square root, but this "
                "exercise asks for the anisotropic form, the plain sum of absolute differences "
                "in each direction",
                "add the absolute vertical and horizontal differences separately",
            ),
        ),
        (
            lambda x: (
                (np.sum(np.abs(_down(x[:1]))) + np.sum(np.abs(_right(x[:1]))))
                if len(x) > 1
                else np.nan
            ),
            Diagnosis(
                "only the first image of the batch counts in your result",
                "sum over all the images of the batch",
            ),
        ),
    ],
    factors=lambda case: _HALVES,
    shape_problem=_tv_shape_problem,
    values_hint="add up |difference| to the neighbour below and to the neighbour on the right, "
    "for every pixel that has one",
)


# --------------------------------------------------------------------------- public


def check_content_loss(fn: Optional[Callable[..., Any]], *, seed: Optional[int] = None) -> bool:
    """Check a student's ``content_loss(generated, reference)``; print a verdict.

    Used by 02_content_loss, Exercise 1 (and 05_optimization, section 0).

    Args:
        fn: the student's function, called with two tf tensors of the same shape
            ``(B, H, W, C)``, float32 or float64; it should return their mean squared
            difference as a scalar tensor.  ``None`` counts as "not implemented yet".
        seed: seed for the random inputs; ``None`` draws a fresh one (printed on failure).

    Returns:
        True if ``fn`` matches the reference on every input and gradients flow.
    """
    return run_exercise(_CONTENT, fn, seed)


def check_gram_matrix(
    fn: Optional[Callable[..., Any]], *, seed: Optional[int] = None, batched: bool = False
) -> bool:
    """Check a student's ``gram_matrix(features)``; print a verdict.

    Used by 03_style_loss, Exercise 1 (and 05_optimization, section 0).

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
    return run_exercise(_gram_exercise(batched), fn, seed)


def check_guided_gram(fn: Optional[Callable[..., Any]], *, seed: Optional[int] = None) -> bool:
    """Check a student's ``guided_gram(features, mask)``; print a verdict.

    Used by 08_controls, Exercise.

    Args:
        fn: the student's function, called with a feature map ``(1, H, W, C)`` and a mask
            ``(H, W)`` on the same grid (values in [0, 1], part of it 0), as tf tensors of one
            dtype (float32 or float64); it should return the ``(C, C)`` matrix
            ``(m F)^T (m F) / (C * sum(m**2))``.  ``None`` counts as "not implemented yet".
        seed: seed for the random inputs; ``None`` draws a fresh one (printed on failure).

    Returns:
        True if ``fn`` matches the reference on every input and gradients flow.
    """
    return run_exercise(_GUIDED, fn, seed)


def check_style_loss(fn: Optional[Callable[..., Any]], *, seed: Optional[int] = None) -> bool:
    """Check a student's ``style_loss(gram_generated, gram_reference)``; print a verdict.

    Used by 03_style_loss, Exercise 2 (and 05_optimization, section 0).

    Args:
        fn: the student's function, called with two ``(C, C)`` Gram matrices as tf tensors,
            float32 or float64; it should return their mean squared difference as a scalar
            tensor.  ``None`` counts as "not implemented yet".
        seed: seed for the random inputs; ``None`` draws a fresh one (printed on failure).

    Returns:
        True if ``fn`` matches the reference on every input and gradients flow.
    """
    return run_exercise(_STYLE, fn, seed)


def check_total_variation_loss(
    fn: Optional[Callable[..., Any]], *, seed: Optional[int] = None
) -> bool:
    """Check a student's ``total_variation_loss(image)``; print a verdict.

    Used by 04_total_variation, Exercise (and 05_optimization, section 0).

    Args:
        fn: the student's function, called with a tf tensor of shape ``(B, H, W, 3)``,
            float32 or float64; it should return the anisotropic (L1) total variation,
            summed over the batch, as a scalar tensor.  ``None`` counts as "not
            implemented yet".
        seed: seed for the random inputs; ``None`` draws a fresh one (printed on failure).

    Returns:
        True if ``fn`` matches the reference on every input and gradients flow.
    """
    return run_exercise(_TV, fn, seed)


for _check, _reference in [
    (check_content_loss, losses.content_loss),
    (check_gram_matrix, losses.gram_matrix),
    (check_guided_gram, losses.guided_gram_matrix),
    (check_style_loss, losses.style_loss),
    (check_total_variation_loss, losses.total_variation_loss),
]:
    register_reference(_check, _reference)
