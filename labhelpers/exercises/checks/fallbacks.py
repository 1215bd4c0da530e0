"""What a lesson continues with when an exercise is not passed, and the checkers' TensorFlow
references where a gradient or an optimiser step is compared: built on the library's own losses
(:mod:`labhelpers.losses`, validated, the ones every run of the lab uses), never on the model
solutions of :mod:`labhelpers.exercises.solutions`.

Why not the model solutions: the student edition (``python -m labhelpers student-edition``) leaves
the model solutions and the answer keys out, and its checkers must judge exactly as the
instructor's do. The values are judged against independent NumPy computations in each checker
module; the functions here give the gradients to compare with and a working function for
:func:`~labhelpers.exercises.checks.core.use_if_correct` to continue with (a lesson cannot run on
without one, so a working loss stays in the students' package, as the library itself does).

Used by lessons 02-05 and 09 and the homework through their checkers (``register_reference``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from labhelpers import losses
from labhelpers.config import import_tensorflow

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

__all__ = [
    "weighted_content_loss",
    "weighted_style_loss",
    "lecture_total_loss",
    "one_optimizer_step",
    "repeat_steps",
    "keras_vgg16_extractor",
    "flat_objective",
    "lbfgs_runs",
]


def weighted_content_loss(
    features: Mapping[str, tf.Tensor],
    targets: Mapping[str, tf.Tensor],
    weights: Mapping[str, float],
) -> tf.Tensor:
    """sum_l weights[l] * mean squared difference of features[l] (1, h, w, C) and targets[l]
    (same shape), over the layers of ``weights`` only; a scalar tensor."""
    terms = [
        tf.cast(weight, features[layer].dtype)
        * losses.content_loss(features[layer], targets[layer])
        for layer, weight in weights.items()
    ]
    return tf.add_n(terms)


def weighted_style_loss(
    features: Mapping[str, tf.Tensor],
    targets: Mapping[str, tf.Tensor],
    weights: Mapping[str, float],
) -> tf.Tensor:
    """:func:`labhelpers.losses.weighted_style_loss` on the layers of ``weights`` only (features
    may hold more): targets[l] are Gram matrices (C, C); a scalar tensor."""
    chosen = {layer: features[layer] for layer in weights}
    grams = {layer: targets[layer] for layer in weights}
    return losses.weighted_style_loss(chosen, grams, dict(weights))


def lecture_total_loss(
    image: tf.Tensor,
    features: Mapping[str, tf.Tensor],
    content_targets: Mapping[str, tf.Tensor],
    style_targets: Mapping[str, tf.Tensor],
    alpha: float,
    beta: float,
    gamma: float,
) -> tf.Tensor:
    """alpha * (content losses summed) + beta * (style losses summed) + gamma * TV, raw terms.

    ``image`` (1, H, W, 3); ``features`` layer -> (1, h, w, C); ``content_targets`` layer -> the
    photo's map; ``style_targets`` layer -> the painting's Gram matrix (C, C). A scalar tensor.
    """
    ones = {layer: 1.0 for layer in style_targets}
    style = weighted_style_loss(features, style_targets, ones) if ones else 0.0
    content = (
        weighted_content_loss(features, content_targets, {layer: 1.0 for layer in content_targets})
        if content_targets
        else 0.0
    )
    tv = losses.total_variation_loss(image)
    return alpha * content + beta * style + gamma * tv


def one_optimizer_step(
    image: tf.Variable, loss_fn: Callable[[tf.Tensor], tf.Tensor], optimizer: Any
) -> tf.Tensor:
    """One optimiser update of ``image`` (a tf.Variable (1, H, W, 3) in [0, 1]) on ``loss_fn``,
    kept in [0, 1]; returns the loss before the update (a scalar tensor)."""
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(image)
        before = loss_fn(image)
    optimizer.apply([tape.gradient(before, image)], [image])
    image.assign(tf.minimum(tf.maximum(image, 0.0), 1.0))
    return before


def repeat_steps(
    step: Callable[..., Any],
    image: tf.Variable,
    loss_fn: Callable[[tf.Tensor], tf.Tensor],
    optimizer: Any,
    steps: int,
    view: Any,
) -> list[float]:
    """Lesson 05's loop when the student's is not passed: ``steps`` calls of
    ``step(image, loss_fn, optimizer)``, the picture and curves shown every ``view.every`` steps
    and after the last. Returns the losses (floats), one per step."""
    history: list[float] = []
    while len(history) < steps:
        history.append(float(step(image, loss_fn, optimizer)))
        if len(history) % view.every == 0 or len(history) == steps:
            view.show_picture(image, len(history))
            view.show_curves(history, image)
    return history


#: ImageNet statistics: torchvision's on RGB in [0, 1], Caffe's mean on BGR in 0-255.
_TORCH_MEAN, _TORCH_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


def keras_vgg16_extractor(
    weights_file: Any, layers: list[str], preprocessing: str
) -> Callable[[Any], dict[str, tf.Tensor]]:
    """The homework's extractor when the student's is not passed: Keras's VGG16 architecture with
    the weights of ``weights_file`` and the weights' own input convention (``"torch"`` or
    ``"caffe"``); returns pictures (B, H, W, 3) in [0, 1] -> {layer: map (B, h, w, C)}."""
    import keras

    if preprocessing not in ("torch", "caffe"):
        raise ValueError(f"preprocessing must be 'torch' or 'caffe', not {preprocessing!r}")
    base = keras.applications.VGG16(include_top=False, weights=None, input_shape=(None, None, 3))
    base.load_weights(weights_file)
    model = keras.Model(base.input, [base.get_layer(layer).output for layer in layers])

    def convert(pictures: Any) -> tf.Tensor:
        x = tf.convert_to_tensor(pictures, tf.float32)
        if preprocessing == "torch":
            return (x - tf.constant(_TORCH_MEAN)) / tf.constant(_TORCH_STD)
        return tf.reverse(x, axis=[-1]) * 255.0 - tf.constant(_CAFFE_MEAN_BGR)

    def extract(pictures: Any) -> dict[str, tf.Tensor]:
        maps = model(convert(pictures))
        return dict(zip(layers, maps if isinstance(maps, (list, tuple)) else [maps]))

    return extract


def flat_objective(
    loss_fn: Callable[[tf.Tensor], tf.Tensor], shape: tuple[int, ...]
) -> tuple[Callable[[Any], tuple[float, Any]], Any]:
    """The homework's L-BFGS-B objective when the student's is not passed: ``(objective,
    bounds)``; ``objective(x)`` takes the flat float64 pixels of a picture of ``shape`` and gives
    (loss, flat float64 gradient); the bounds keep each pixel in [0, 1]."""
    import numpy as np

    def objective(x: Any) -> tuple[float, Any]:
        picture = tf.Variable(tf.reshape(tf.constant(x, tf.float32), shape))
        with tf.GradientTape() as tape:
            value = loss_fn(picture)
        return float(value), tape.gradient(value, picture).numpy().astype(np.float64).ravel()

    return objective, [(0.0, 1.0)] * int(np.prod(shape))


def lbfgs_runs(
    ratios: Any, loss_for_ratio: Callable[[float], Callable], start: Any, iterations: int
) -> dict[float, Any]:
    """The homework's study when the student's is not passed: one L-BFGS-B run of at most
    ``iterations`` iterations per ratio, each from ``start`` (1, H, W, 3); {ratio: picture}."""
    import numpy as np
    from scipy.optimize import minimize

    start = np.asarray(start, np.float32)
    runs = {}
    for ratio in ratios:
        objective, bounds = flat_objective(loss_for_ratio(ratio), start.shape)
        found = minimize(
            objective,
            start.astype(np.float64).ravel(),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": iterations},
        )
        runs[ratio] = found.x.reshape(start.shape).astype(np.float32)
    return runs
