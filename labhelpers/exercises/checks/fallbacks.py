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

Used by lessons 02-05 through their checkers (``register_reference``).
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
