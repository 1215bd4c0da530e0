"""Model solutions of the notebook exercises, written the way a student would write them.

The notebooks use them only when the instructors' switch is on (``LAB_SOLUTIONS=1``, read by
:func:`labhelpers.config.show_solutions` into each lesson's ``SHOW_SOLUTIONS``): the solution's
source is then printed (:func:`source`) and the function is used in place of the student's, and
:func:`print_answers` shows the answer key of the lesson's Questions. They follow the lecture's formulas directly and leave out the
argument checking of :mod:`labhelpers.losses`, which is what the rest of the package uses.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np

from labhelpers.config import import_tensorflow, show_solutions

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

__all__ = ["content_loss", "gram_matrix", "style_loss", "total_variation_loss", "total_loss", "optimization_step",
           "receptive_field", "layered_content_loss", "layered_style_loss", "checkerboard_tv",
           "first_adam_change", "source", "print_answers", "SOLUTIONS",
           "ANSWERS"]


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


def receptive_field(layers):
    """Side (px) of the input patch one value of the last of ``layers`` [(name, kernel, stride), ...] sees."""
    field, spacing = 1, 1                  # one pixel sees itself; neighbouring pixels are 1 px apart
    for _name, kernel, stride in layers:
        field += (kernel - 1) * spacing    # k neighbouring values below, each `spacing` px from the next
        spacing *= stride                  # then this layer's values are `stride` times further apart
    return field


def layered_content_loss(features, targets, weights):
    """Sum over the layers of ``weights`` of weights[layer] * content_loss at that layer (a scalar)."""
    total = 0.0
    for layer, weight in weights.items():  # only the weighted layers; features may hold more
        total += weight * content_loss(features[layer], targets[layer])
    return total


def layered_style_loss(features, targets, weights):
    """Sum over the layers of ``weights`` of weights[layer] * style_loss (targets are Gram matrices)."""
    total = 0.0
    for layer, weight in weights.items():
        total += weight * style_loss(gram_matrix(features[layer]), targets[layer])
    return total


def checkerboard_tv(height, width, cell):
    """TV of an RGB checkerboard of cell x cell squares, counted: every boundary is a jump of 1 per pixel and channel."""
    between_columns = (width - 1) // cell     # boundaries between columns of squares, each one `height` px long
    between_rows = (height - 1) // cell       # boundaries between rows of squares, each one `width` px long
    return 3 * (between_columns * height + between_rows * width)   # 3 colour channels, each with the same jumps


def first_adam_change(gradient, learning_rate):
    """Adam's first step from m = v = 0: after the bias corrections m_hat = g and v_hat = g^2."""
    beta_1, beta_2, epsilon = 0.9, 0.999, 1e-7
    m = (1 - beta_1) * gradient                              # first moment after one step
    v = (1 - beta_2) * gradient**2                           # second moment after one step
    m_hat, v_hat = m / (1 - beta_1), v / (1 - beta_2)        # bias corrections for t = 1: m_hat = g, v_hat = g^2
    return -learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)   # = -learning_rate * sign(g): lr per pixel


#: Exercise name -> solution function.
SOLUTIONS: dict[str, Callable[..., Any]] = {
    "content_loss": content_loss,
    "gram_matrix": gram_matrix,
    "style_loss": style_loss,
    "total_variation_loss": total_variation_loss,
    "total_loss": total_loss,
    "optimization_step": optimization_step,
    "receptive_field": receptive_field,
    "layered_content_loss": layered_content_loss,
    "layered_style_loss": layered_style_loss,
    "checkerboard_tv": checkerboard_tv,
    "first_adam_change": first_adam_change,
}


#: Answer keys of the lessons' Questions, printed by print_answers when LAB_SOLUTIONS is on (lesson notebook name -> text).
ANSWERS: dict[str, str] = {
    "05_optimization": """\
1. The optimiser would also move VGG16's kernels and biases downhill on the same loss: the network
   would learn to call this picture "like the painting" instead of the picture becoming like it.
   The targets (photo features, painting Gram matrices) were computed with the old weights, so
   every later loss compares features of two different networks and means nothing.
2. Pixel values outside [0, 1] are not a picture: they cannot be shown or saved, and VGG16 never saw
   such inputs. The gradient is only a direction; clipping it would not stop the optimiser (Adam
   rescales it) from stepping outside. Clipping the result projects it back onto valid pictures.
3. At 512 px the raw TV term (a sum over pixel pairs) grows about 4x relative to 128 px, so GAMMA
   must shrink; content and style are means and stay roughly the same. Keras's Caffe VGG16 has
   60-240x larger activations (a different factor per layer): the content term grows by the factor
   squared and each style layer by its factor to the fourth, so ALPHA and above all BETA (and the
   balance between style layers) change. Dividing each term by the size of its target, and TV by
   the number of pixels, cancels both effects: the weights then mean "relative error" everywhere.
4. A spike is a line-search trial: L-BFGS tried a step length that overshot, evaluated it (loss
   and gradient, a full forward and backward pass) and then tried a shorter one. Each trial costs
   as much as a whole Adam step, so evaluations, not iterations, are the fair unit of work and of
   time; an L-BFGS iteration may use one evaluation or several.
5. A deeper layer's unit sees a larger patch of the picture (its receptive field grows with every
   convolution and pooling), so its Gram matrix describes which larger patterns occur together.
   Matching it forces the painting's larger structures; conv1 alone sees 3x3 pixels: colour and grain.
6. The loss is not convex: it has many minima (and flat directions) that are all "good" pictures.
   Gradient-based optimisers find one near the start, so the start is part of the method: from the
   photo the layout survives, from the painting its composition leaks in, from noise anything goes.
""",
}


def source(name: str) -> str:
    """The source code of the solution of exercise ``name`` (e.g. ``"gram_matrix"``), to print.

    Raises:
        KeyError: for an unknown exercise; the message lists the known ones.
    """
    if name not in SOLUTIONS:
        raise KeyError(f"No solution named {name!r}; there are {sorted(SOLUTIONS)}.")
    return inspect.getsource(SOLUTIONS[name])


def print_answers(lesson: str) -> None:
    """Print the answer key of ``lesson``'s Questions (e.g. ``"05_optimization"``) for instructors.

    Only with the instructors' switch on (``LAB_SOLUTIONS=1``); otherwise one line says how to turn
    it on, so a student sees no answers.

    Raises:
        KeyError: for a lesson without an answer key; the message lists the lessons that have one.
    """
    if lesson not in ANSWERS:
        raise KeyError(f"No answer key for {lesson!r}; there are keys for {sorted(ANSWERS)}.")
    if show_solutions():
        print(f"Answer key, {lesson}:\n\n{ANSWERS[lesson]}")
    else:
        print("The answer key is for instructors: set LAB_SOLUTIONS=1 before starting Jupyter "
              "(or run %env LAB_SOLUTIONS=1 first in Colab) and run the notebook again.")
