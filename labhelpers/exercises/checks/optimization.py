"""Checkers of lesson 05 (05_optimization): the total loss, and one optimisation step.

``check_total_loss(total_loss)`` (Exercise 1) calls the student's total loss on random feature
maps, targets and pictures, compares it with an independent NumPy computation and names the usual
mistakes (a missing term, the style averaged instead of summed over layers, weights swapped or left
out, no gradient).

``check_optimization_step(optimization_step)`` (Exercise 2) runs the student's
``step(image, loss_fn, optimizer)`` for three consecutive steps on random pictures, each with a
``loss_fn`` built on a small Keras model that has trainable weights (standing in for VGG16) and
with fresh Adam or SGD optimisers, and compares the picture and the returned loss with a reference
step run alongside.  It watches what the step does (what ``loss_fn`` was given, which variables the
optimiser was asked to update) so that it can say *why* a step is wrong: it climbs, it updates
nothing or a copy, it does not clip, the gradient is None (NumPy, a tape that does not watch, a
constant), it changes the network's weights, or shapes and dtypes are off.  Both stand on the
scaffold of :mod:`labhelpers.exercises.checks.core`; the gradients and the optimiser step are
compared with :mod:`.fallbacks` (built on :mod:`labhelpers.losses`, not the model solutions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from labhelpers.config import import_tensorflow
from labhelpers.exercises.checks import fallbacks
from labhelpers.exercises.checks.core import (
    NUMPY_HINT,
    CheckFailed,
    Diagnosis,
    NotImplementedYet,
    as_scalar,
    call_student,
    call_with_layers,
    check_function,
    check_gradients,
    expect_calls,
    judge_numbers,
    mentions_numpy,
    near,
    numpy_gram,
    numpy_total_variation,
    on_input,
    register_reference,
    repeat_text,
    short_error,
)

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

__all__ = ["check_total_loss", "check_optimization_step"]

_STEP_CALL = "step(image, loss_fn, optimizer)"
_TOTAL_CALL = "total_loss(image, features, content_targets, style_targets, alpha, beta, gamma)"


# =========================================================================== the total loss


#: The content layers of the random cases: one named as in lesson 05, and two others (a total
#: that ignores ``content_targets``, or takes only its first layer, or averages, is caught).
_CONTENT_SETS = (("block4_conv2",), ("block5_conv2", "block4_conv1"))


def _total_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    """Random inputs: 1 or 2 content layers, 2 or 3 style layers, distinct weights; float32, as
    in the lesson (a sum started from tf.constant(0.0) is fine there)."""
    cases = []
    layer_sets = [
        (("block1_conv1", "block2_conv1"), 6),
        (("block1_conv1", "block3_conv1", "block5_conv1"), 7),
    ]
    dtype = np.float32
    for style_names, side in layer_sets:
        for content_names in _CONTENT_SETS:

            def fmap(channels: int) -> np.ndarray:
                # ReLU-like values, W != C
                return (2 * rng.random((1, side, side + 1, channels))).astype(dtype)

            features = {name: fmap(3 + 2 * i) for i, name in enumerate(style_names)}
            content = {}
            for number, name in enumerate(content_names):
                features[name] = fmap(5 + number)
                content[name] = fmap(5 + number)
            style = {}
            for name in style_names:
                other = (2 * rng.random(features[name].shape)).astype(dtype)
                style[name] = np.asarray(numpy_gram(other), dtype)
            image = rng.random((1, side + 2, side + 3, 3)).astype(dtype)
            alpha, beta, gamma = (
                float(v) for v in rng.uniform([0.5, 2.0, 0.01], [1.5, 8.0, 0.05])
            )
            cases.append(
                {
                    "image": image,
                    "features": features,
                    "content": content,
                    "style": style,
                    "weights": (alpha, beta, gamma),
                    "dtype": dtype,
                }
            )
    return cases


def _terms(case: dict[str, Any]) -> tuple[list[float], list[float], float]:
    """NumPy per-layer content and style losses and the TV of one case (independent of
    labhelpers.losses)."""
    f = case["features"]
    content = [
        float(np.mean((f[n].astype(np.float64) - t) ** 2)) for n, t in case["content"].items()
    ]
    style = [float(np.mean((numpy_gram(f[n]) - a) ** 2)) for n, a in case["style"].items()]
    return content, style, numpy_total_variation(case["image"])


def _total_mistakes(case: dict[str, Any]) -> list[tuple[float, Diagnosis]]:
    """Values the usual wrong totals take on ``case``, each with what to tell the student."""
    contents, s, t = _terms(case)
    c = sum(contents)
    a, b, g = case["weights"]
    style_sum = sum(s)
    return [
        (
            a * sum(contents) / len(contents) + b * style_sum + g * t,
            Diagnosis(
                "you averaged the content losses over the layers; the lecture adds them up",
                "sum the content loss over the layers of content_targets",
            ),
        ),
        (
            a * contents[0] + b * style_sum + g * t,
            Diagnosis(
                "only the first content layer counts in your content term",
                "loop over every layer of content_targets",
            ),
        ),
        (
            a * c + b * style_sum,
            Diagnosis(
                "the TV term is missing", "add gamma times the total variation of the picture"
            ),
        ),
        (
            b * style_sum + g * t,
            Diagnosis("the content term is missing", "add alpha times the content loss"),
        ),
        (
            a * c + g * t,
            Diagnosis(
                "the style term is missing", "add beta times the style loss of every style layer"
            ),
        ),
        (
            a * c + b * style_sum / len(s) + g * t,
            Diagnosis(
                "you averaged the style losses over the layers; the lecture adds them up",
                "sum the style loss over the layers of style_targets, do not divide by their "
                "number",
            ),
        ),
        (
            a * c + b * s[0] + g * t,
            Diagnosis(
                "only the first style layer counts in your style term",
                "loop over every layer of style_targets",
            ),
        ),
        (
            a * c + b * s[-1] + g * t,
            Diagnosis(
                "only the last style layer counts in your style term",
                "add the style losses of all layers; do not overwrite the sum in the loop",
            ),
        ),
        (
            c + style_sum + t,
            Diagnosis(
                "the weights alpha, beta and gamma are not used",
                "multiply each term by its weight",
            ),
        ),
        (
            b * c + a * style_sum + g * t,
            Diagnosis(
                "alpha and beta are swapped", "alpha weights the content term, beta the style term"
            ),
        ),
        (
            a * c + g * style_sum + b * t,
            Diagnosis(
                "beta and gamma are swapped", "beta weights the style term, gamma the TV term"
            ),
        ),
        (
            g * c + b * style_sum + a * t,
            Diagnosis(
                "alpha and gamma are swapped", "alpha weights the content term, gamma the TV term"
            ),
        ),
    ]


def _total_expected(case: dict[str, Any]) -> float:
    c, s, t = _terms(case)
    a, b, g = case["weights"]
    return a * sum(c) + b * sum(s) + g * t


def _call_total(fn: Callable[..., Any], args: list[Any]) -> Any:
    """The student's total; a KeyError is told to take the layers from the targets."""
    return call_with_layers(
        fn,
        args,
        call=_TOTAL_CALL,
        hint=(
            "take the layers from content_targets and style_targets (loop over their "
            "items); do not write layer names into the function"
        ),
    )


def _total_body(fn: Callable[..., Any], seed: int) -> str:
    cases = _total_cases(np.random.default_rng(seed))
    expect_calls(2 * len(cases))
    details = (
        "Input: random pictures, feature maps and targets with 1 or 2 content layers and 2 or 3 "
        f"style layers, float32 ({repeat_text('total_loss', seed)})."
    )
    with on_input(details):
        answers = [
            as_scalar(
                _call_total(fn, _total_tensors(case)),
                "reduce every term to a scalar before adding",
            )
            for case in cases
        ]
        judge_numbers(
            cases,
            answers,
            _total_expected,
            _total_mistakes,
            "total = alpha * (sum of content losses) + beta * (sum of the style losses of all "
            "style layers) + gamma * TV(image)",
        )
        for case in cases:

            def watched(tape: tf.GradientTape, case: dict = case) -> tuple[list, list]:
                args = _total_tensors(case, watch=tape)
                maps = [("the feature maps", value) for value in args[1].values()]
                return args, [("the picture", args[0]), *maps]

            check_gradients(
                watched,
                lambda args: _call_total(fn, args),
                lambda args: fallbacks.lecture_total_loss(*args),
            )
    return (
        f"correct on {len(cases)} random inputs, gradients flow to the picture and to its features"
    )


def _total_tensors(case: dict[str, Any], watch: Optional[tf.GradientTape] = None) -> list[Any]:
    features = {n: tf.constant(v) for n, v in case["features"].items()}
    image = tf.constant(case["image"])
    if watch is not None:
        watch.watch([image, *features.values()])
    return [
        image,
        features,
        {n: tf.constant(v) for n, v in case["content"].items()},
        {n: tf.constant(v) for n, v in case["style"].items()},
        *case["weights"],
    ]


def check_total_loss(fn: Optional[Callable[..., Any]], *, seed: Optional[int] = None) -> bool:
    """Check a student's ``total_loss(image, features, content_targets, style_targets, alpha,
    beta, gamma)``; print a verdict.

    Used by 05_optimization, Exercise 1.

    Args:
        fn: the student's function. It gets ``image`` (1, H, W, 3), ``features`` {layer: (1, h, w,
            C)}, ``content_targets`` {layer: (1, h, w, C)}, ``style_targets`` {layer: Gram matrix
            (C, C)} (tf tensors, float32) and three floats; it should return the scalar
            ``alpha * sum content_loss + beta * sum style_loss(gram_matrix(features[l]), target_l)
            + gamma * total_variation_loss(image)``. ``None`` counts as "not implemented yet".
        seed: seed for the random inputs; ``None`` draws a fresh one (printed on failure).

    Returns:
        True if ``fn`` matches an independent NumPy computation on every input and gradients flow.
    """
    return check_function("total_loss", fn, seed, _total_body)


# =========================================================================== one step


class _NoneGradient(Exception):
    """Raised by the watched optimiser when it is handed a gradient that is None."""


@dataclass
class _Watch:
    """What the student's step did with the things the checker gave it."""

    loss_inputs: list[Any] = field(default_factory=list)  # what loss_fn was called with
    applied: list[tuple[list[Any], list[Any]]] = field(
        default_factory=list
    )  # (grads, variables) per apply


@dataclass
class _StepCase:
    """One run: a picture, a loss on a small network, an optimiser, and the reference beside."""

    image: tf.Variable
    model: Any
    loss_fn: Callable[[Any], tf.Tensor]
    optimizer: Any
    watch: _Watch
    reference_image: tf.Variable
    reference_loss: Callable[[Any], tf.Tensor]
    reference_optimizer: Any
    label: str


def _make_optimizer(kind: str, rate: float) -> Any:
    return tf.keras.optimizers.Adam(rate) if kind == "adam" else tf.keras.optimizers.SGD(rate)


def _step_case(
    rng: np.random.Generator, shape: tuple[int, int], kind: str, rate: float
) -> _StepCase:
    height, width = shape
    picture = rng.uniform(0.05, 0.95, (1, height, width, 3)).astype(np.float32)
    edge = rng.random(picture.shape) < 0.15  # pixels at the border of [0, 1] ...
    high = rng.random(picture.shape) < 0.5
    picture[edge & high], picture[edge & ~high] = 1.0, 0.0
    pull = np.where(edge, np.where(high, 1.5, -0.5), rng.random(picture.shape)).astype(
        np.float32
    )  # ... pulled out

    kernel = rng.normal(0.0, 0.4, (3, 3, 3, 4)).astype(np.float32)
    model = tf.keras.Sequential(
        [
            tf.keras.Input((None, None, 3)),
            tf.keras.layers.Conv2D(
                4,
                3,
                padding="same",
                activation="relu",
                kernel_initializer=tf.keras.initializers.Constant(kernel),
                bias_initializer=tf.keras.initializers.Constant(0.1),
            ),
        ]
    )
    target = tf.constant(rng.random((1, height, width, 4)).astype(np.float32))
    pull_t = tf.constant(pull)

    def loss(x: Any) -> tf.Tensor:
        return tf.reduce_sum(tf.square(model(x) - target)) * 0.05 + tf.reduce_sum(
            tf.square(x - pull_t)
        )

    watch = _Watch()

    def loss_fn(x: Any) -> tf.Tensor:
        watch.loss_inputs.append(x)
        return loss(x)

    optimizer = _make_optimizer(kind, rate)
    original_apply = optimizer.apply

    def watched_apply(grads: Any, variables: Any = None) -> Any:
        grads = list(grads)
        watch.applied.append((grads, list(variables) if variables is not None else []))
        if any(g is None for g in grads):
            raise _NoneGradient
        return original_apply(grads, variables)

    optimizer.apply = watched_apply
    return _StepCase(
        tf.Variable(picture),
        model,
        loss_fn,
        optimizer,
        watch,
        tf.Variable(picture),
        loss,
        _make_optimizer(kind, rate),
        f"picture (1, {height}, {width}, 3), {type(optimizer).__name__}({rate:g})",
    )


def _same(a: Any, b: Any) -> bool:
    return a is b or (
        isinstance(a, tf.Variable) and isinstance(b, tf.Variable) and a.handle is b.handle
    )


def _none_gradient_diagnosis(case: _StepCase) -> Diagnosis:
    """Why the gradient came out None, from what ``loss_fn`` was given."""
    given = case.watch.loss_inputs
    if not given:
        return Diagnosis(
            "the gradient is None and your step never called loss_fn",
            "compute the loss with loss_fn(image) inside `with tf.GradientTape() as tape:`",
        )
    x = given[-1]
    if isinstance(x, np.ndarray):
        return Diagnosis(
            "the gradient is None: loss_fn got a NumPy array (image.numpy()), which the tape "
            "cannot follow back to the picture",
            NUMPY_HINT,
        )
    if isinstance(x, tf.Variable) and not _same(x, case.image):
        return Diagnosis(
            "the gradient is None: loss_fn got a new tf.Variable (a copy of the picture), and the "
            "gradient was taken with respect to the picture itself",
            "pass the picture Variable itself to loss_fn; do not copy it",
        )
    if tf.is_tensor(x) and not isinstance(x, tf.Variable):
        return Diagnosis(
            "the gradient is None: loss_fn got a constant copy of the picture "
            "(e.g. tf.constant(...) or a tensor made from image.numpy()), which is not connected "
            "to the Variable",
            "pass the tf.Variable `image` to loss_fn",
        )
    return Diagnosis(
        "the gradient is None: the tape did not record the loss being computed from the picture",
        "compute the loss inside the `with tf.GradientTape() as tape:` block, and let the tape "
        "watch the picture (it does by itself for a trainable tf.Variable)",
    )


def _error_diagnosis(err: BaseException, case: _StepCase) -> Diagnosis:
    text = str(err)
    if isinstance(err, _NoneGradient) or "NoneType" in text or "No gradients provided" in text:
        return _none_gradient_diagnosis(case)
    if mentions_numpy(err) or "'_id'" in text:
        return Diagnosis(
            f"your step uses NumPy values where the tape needs tensors ({short_error(err)})",
            NUMPY_HINT,
        )
    if "Shape mismatch" in text or "shape" in text.lower() and "assign" in text.lower():
        return Diagnosis(
            f"wrong shape: you assigned a value of another shape to the picture "
            f"({short_error(err)})",
            "the picture keeps its shape (1, H, W, 3); assign a tensor of exactly that shape",
        )
    if "dtype" in text and ("float64" in text or "int" in text or "conversion" in text):
        first = text.splitlines()[0].split(": <tf.Tensor")[0] if text else ""
        return Diagnosis(
            f"wrong dtype: a value of another type meets the float32 picture ({first})",
            "keep everything float32 (write 0.0 and 1.0, do not cast to float64 or integers)",
        )
    return Diagnosis(
        f"your step raised {type(err).__name__}: {short_error(err)}",
        f"the checker called {_STEP_CALL} with a tf.Variable picture, a loss function and a Keras "
        "optimiser; the last line of the error usually names the operation that failed",
    )


def _call_step(step: Callable[..., Any], case: _StepCase) -> tuple[Any, Optional[BaseException]]:
    """``(returned, None)`` or ``(None, error)``; what the step prints is captured by
    :func:`call_student`."""

    def guarded() -> tuple[Any, Optional[BaseException]]:
        try:
            return step(case.image, case.loss_fn, case.optimizer), None
        except KeyboardInterrupt:
            raise
        except BaseException as err:  # noqa: BLE001 - student code may raise anything
            return None, err

    return call_student(guarded, [], call=_STEP_CALL)


def _run_one_step(step: Callable[..., Any], case: _StepCase, number: int) -> None:
    """Run the student's step once beside the reference; raise CheckFailed at the first problem."""
    case.watch.loss_inputs.clear()
    case.watch.applied.clear()
    before = case.image.numpy()
    weights_before = [w.numpy() for w in case.model.weights]
    returned, err = _call_step(step, case)
    if isinstance(err, NotImplementedError) and not mentions_numpy(err):
        raise NotImplementedYet
    if err is not None:
        raise CheckFailed(_error_diagnosis(err, case))
    after = case.image.numpy()
    # The reference step on its own copy of the picture, with its own optimiser of the same kind.
    with tf.GradientTape() as tape:
        tape.watch(case.reference_image)
        expected_loss = case.reference_loss(case.reference_image)
    gradient = tape.gradient(expected_loss, case.reference_image).numpy()
    fallbacks.one_optimizer_step(
        case.reference_image, case.reference_loss, case.reference_optimizer
    )
    expected = case.reference_image.numpy()

    updated = {id(v) for _, vs in case.watch.applied for v in vs}
    if any(
        not np.array_equal(w.numpy(), b) for w, b in zip(case.model.weights, weights_before)
    ) or any(id(v) in updated for v in case.model.weights):
        raise CheckFailed(
            Diagnosis(
                "VGG16's weights changed: your step also updated the network's own weights "
                "(loss_fn's model), not only the picture",
                "take the gradient with respect to the picture only, and give the optimiser "
                "only the pair (gradient, image)",
            )
        )
    if after.shape != before.shape or after.dtype != np.float32:
        raise CheckFailed(
            Diagnosis(
                f"the picture's shape or dtype changed to {after.shape}, {after.dtype}",
                "keep the picture (1, H, W, 3) float32",
            )
        )
    applied_vars = [v for _, vs in case.watch.applied for v in vs]
    if np.array_equal(after, before):
        if applied_vars and not any(_same(v, case.image) for v in applied_vars):
            raise CheckFailed(
                Diagnosis(
                    "the picture was not updated: the optimiser changed a copy of it (another "
                    "tf.Variable), not the Variable passed in",
                    "update `image` itself; tf.Variable(image) or image * 1 make copies",
                )
            )
        if not case.watch.loss_inputs:
            raise CheckFailed(
                Diagnosis(
                    "the picture was not updated and loss_fn was never called",
                    "compute loss_fn(image) under a tf.GradientTape, then apply the gradient",
                )
            )
        raise CheckFailed(
            Diagnosis(
                "the picture was not updated (it is exactly as before the step)",
                "apply the gradient to the picture with optimizer.apply_gradients([(gradient, "
                "image)]) and assign the clipped result to image",
            )
        )
    if np.any(after < -1e-6) or np.any(after > 1 + 1e-6):
        raise CheckFailed(
            Diagnosis(
                f"no clipping: after your step pixel values range from {after.min():.3f} to "
                f"{after.max():.3f}, outside [0, 1]",
                "after applying the gradient, clip the picture to [0, 1] and assign it back",
            )
        )
    free = (before > 0.0) & (before < 1.0)
    move = (after - before)[free]
    if float(np.sum(move * gradient[free])) > 0:
        raise CheckFailed(
            Diagnosis(
                "your step climbs: the picture moves along the gradient, so the loss grows",
                "an optimiser subtracts what it is given: hand it the gradient itself, not "
                "its negative (and do not add it to the picture yourself)",
            )
        )
    if not case.watch.applied:
        raise CheckFailed(
            Diagnosis(
                "your step did not use the optimizer passed in (its apply_gradients was never "
                "called)",
                "use `optimizer`, the argument, so that its state (Adam's running "
                "averages) carries over from step to step",
            )
        )
    if not np.allclose(after, expected, rtol=1e-4, atol=1e-5):
        where = np.unravel_index(np.argmax(np.abs(after - expected)), after.shape)
        raise CheckFailed(
            Diagnosis(
                f"after step {number} the picture differs from one optimiser step: at index "
                f"{tuple(int(i) for i in where)} expected {expected[where]:.5f}, got "
                f"{after[where]:.5f}",
                "one step = one loss under the tape, one gradient, one apply_gradients with the "
                "optimizer passed in, then the clip; no extra scaling or second update",
            )
        )
    _check_returned(
        returned, float(expected_loss), float(case.reference_loss(case.reference_image))
    )


def _check_returned(returned: Any, loss_before: float, loss_after: float) -> None:
    if returned is None:
        raise CheckFailed(
            Diagnosis("your step returned None", "return the loss computed before the update")
        )
    if tf.is_tensor(returned) or isinstance(returned, (np.ndarray, np.generic)):
        shape, dtype = tuple(np.shape(returned)), tf.as_dtype(returned.dtype)
        if shape != ():
            raise CheckFailed(
                Diagnosis(
                    f"wrong shape: your step returned a value of shape {shape}, not the scalar "
                    "loss",
                    "return the loss itself (not the gradient or the picture)",
                )
            )
        if dtype != tf.float32:
            raise CheckFailed(
                Diagnosis(
                    f"wrong dtype: your step returned a {dtype.name} loss, not float32",
                    "return the loss as loss_fn gave it, without casting",
                )
            )
    elif not isinstance(returned, float):
        raise CheckFailed(
            Diagnosis(
                f"your step returned a {type(returned).__name__}, not the loss",
                "return the loss computed before the update",
            )
        )
    value = float(returned)
    if near(value, loss_before, 1e-4):
        return
    if near(value, loss_after, 1e-4):
        raise CheckFailed(
            Diagnosis(
                "your step returned the loss *after* the update; the lesson's loop expects the "
                "loss of the picture it was given",
                "return the loss computed under the tape",
            )
        )
    raise CheckFailed(
        Diagnosis(
            f"your step returned {value:.6g}, but the loss before the update was "
            f"{loss_before:.6g}",
            "return the value loss_fn gave under the tape",
        )
    )


_STEP_SETTINGS = [((6, 7), "adam", 0.02), ((5, 9), "sgd", 0.01), ((8, 4), "adam", 0.05)]


def _step_body(step: Callable[..., Any], seed: int) -> str:
    rng = np.random.default_rng(seed)
    expect_calls(3 * len(_STEP_SETTINGS))
    for shape, kind, rate in _STEP_SETTINGS:
        case = _step_case(rng, shape, kind, rate)
        for number in (1, 2, 3):
            details = (
                f"Input: {case.label}, step {number} ({repeat_text('optimization_step', seed)})."
            )
            with on_input(details):
                _run_one_step(step, case, number)
    return (
        f"{len(_STEP_SETTINGS)} random pictures, 3 steps each with Adam and SGD: the picture "
        "descends, stays in [0, 1], the network is untouched and the loss before each update is "
        "returned"
    )


def check_optimization_step(
    fn: Optional[Callable[..., Any]], *, seed: Optional[int] = None
) -> bool:
    """Check a student's ``step(image, loss_fn, optimizer)``; print a verdict.

    Used by 05_optimization, Exercise 2.

    Args:
        fn: the student's step. It gets ``image``, a ``tf.Variable`` (1, H, W, 3) float32 in [0,
            1]; ``loss_fn``, picture -> differentiable scalar (built on a small Keras model with
            trainable weights); and a fresh Keras optimiser (Adam or SGD). It should update
            ``image`` in place by one optimiser step on the gradient of the loss with respect to
            the picture only, clip it to [0, 1], and return the loss computed before the update.
            ``None`` counts as "not implemented yet".
        seed: seed for the random pictures and networks; ``None`` draws a fresh one (printed on
        failure).

    Returns:
        True if three consecutive steps match a reference step on every picture.
    """
    return check_function("optimization_step", fn, seed, _step_body)


register_reference(check_total_loss, fallbacks.lecture_total_loss)
register_reference(check_optimization_step, fallbacks.one_optimizer_step)
