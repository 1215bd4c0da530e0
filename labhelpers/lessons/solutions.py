"""Model solutions of the notebook exercises, written the way a student would write them.

The notebooks use them only when the instructor sets ``SHOW_SOLUTIONS = True`` in the
parameters cell: the solution's source is then printed (:func:`source`) and the function is used
in place of the student's. They follow the lecture's formulas directly and leave out the
argument checking of :mod:`labhelpers.losses`, which is what the rest of the package uses.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import tensorflow as tf

__all__ = ["content_loss", "gram_matrix", "style_loss", "total_variation_loss", "total_loss", "optimization_step",
           "source", "SOLUTIONS"]


def content_loss(generated: tf.Tensor, reference: tf.Tensor) -> tf.Tensor:
    """Mean squared difference of two feature maps of the same shape (a scalar)."""
    return tf.reduce_mean(tf.square(generated - reference))


def gram_matrix(features: tf.Tensor) -> tf.Tensor:
    """F^T F / (H*W*C) for a feature map (1, H, W, C): a (C, C) matrix."""
    channels = tf.shape(features)[-1]
    matrix = tf.reshape(features, (-1, channels))            # (H*W, C): one row per position
    entries = tf.cast(tf.size(features), features.dtype)     # H*W*C
    return tf.matmul(matrix, matrix, transpose_a=True) / entries


def style_loss(gram_generated: tf.Tensor, gram_reference: tf.Tensor) -> tf.Tensor:
    """Mean squared difference of two Gram matrices (a scalar)."""
    return tf.reduce_mean(tf.square(gram_generated - gram_reference))


def total_variation_loss(image: tf.Tensor) -> tf.Tensor:
    """Sum of |x[i+1, j] - x[i, j]| + |x[i, j+1] - x[i, j]| over an image (B, H, W, C) (a scalar)."""
    down = image[..., 1:, :, :] - image[..., :-1, :, :]     # neighbour below
    right = image[..., :, 1:, :] - image[..., :, :-1, :]    # neighbour on the right
    return tf.reduce_sum(tf.abs(down)) + tf.reduce_sum(tf.abs(right))


def total_loss(image, features, content_targets, style_targets, alpha, beta, gamma):
    """alpha * content + beta * (style summed over the layers) + gamma * TV, the lecture's raw terms."""
    content = 0.0
    for layer, target in content_targets.items():
        content += content_loss(features[layer], target)
    style = 0.0
    for layer, target in style_targets.items():
        style += style_loss(gram_matrix(features[layer]), target)
    return alpha * content + beta * style + gamma * total_variation_loss(image)


def optimization_step(image, loss_fn, optimizer):
    """One step on the picture (a tf.Variable): gradient of the loss, optimiser update, clip to [0, 1]."""
    with tf.GradientTape() as tape:
        loss = loss_fn(image)                          # the tape records how the loss depends on image
    gradient = tape.gradient(loss, image)              # d loss / d pixels, same shape as image
    optimizer.apply_gradients([(gradient, image)])     # the picture only: VGG16 stays as it is
    image.assign(tf.clip_by_value(image, 0.0, 1.0))    # pixel values stay valid
    return loss


#: Exercise name -> solution function.
SOLUTIONS: dict[str, Callable[..., Any]] = {
    "content_loss": content_loss,
    "gram_matrix": gram_matrix,
    "style_loss": style_loss,
    "total_variation_loss": total_variation_loss,
    "total_loss": total_loss,
    "optimization_step": optimization_step,
}


def source(name: str) -> str:
    """The source code of the solution of exercise ``name`` (e.g. ``"gram_matrix"``), to print.

    Raises:
        KeyError: for an unknown exercise; the message lists the known ones.
    """
    if name not in SOLUTIONS:
        raise KeyError(f"No solution named {name!r}; there are {sorted(SOLUTIONS)}.")
    return inspect.getsource(SOLUTIONS[name])
