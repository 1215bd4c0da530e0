"""Model solutions of the notebook exercises, written the way a student would write them.

The notebooks use them only when the instructors' switch is on (``LAB_SOLUTIONS=1``, read by
:func:`labhelpers.config.show_solutions` into each lesson's ``SHOW_SOLUTIONS``): the solution's
source is then printed (:func:`source`) and the function is used in place of the student's, and
:func:`labhelpers.exercises.answers.print_answers` shows the answer key of the lesson's Questions.
They follow the lecture's formulas directly and leave out the argument checking of
:mod:`labhelpers.losses`, which is what the rest of the package uses.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from labhelpers.config import import_tensorflow

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

__all__ = [
    "content_loss",
    "gram_matrix",
    "guided_gram",
    "style_loss",
    "total_variation_loss",
    "total_loss",
    "optimization_step",
    "receptive_field",
    "layered_content_loss",
    "layered_style_loss",
    "checkerboard_tv",
    "first_adam_change",
    "optimization_loop",
    "feature_extractor",
    "lbfgs_objective",
    "style_gradient",
    "ratio_study",
    "training_step",
    "source",
    "SOLUTIONS",
]


def content_loss(generated: tf.Tensor, reference: tf.Tensor) -> tf.Tensor:
    """Mean squared difference of two feature maps of the same shape (a scalar)."""
    return tf.reduce_mean(tf.square(generated - reference))


def gram_matrix(features: tf.Tensor) -> tf.Tensor:
    """F^T F / (H*W*C) for a feature map (1, H, W, C): a (C, C) matrix."""
    channels = tf.shape(features)[-1]
    matrix = tf.reshape(features, (-1, channels))  # (H*W, C): one row per position
    entries = tf.cast(tf.size(features), features.dtype)  # H*W*C
    return tf.matmul(matrix, matrix, transpose_a=True) / entries


def guided_gram(features: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    """(m F)^T (m F) / (C * sum(m^2)) for a feature map (1, H, W, C) and a mask (H, W) on its grid:
    the Gram matrix of the region (C, C)."""
    channels = tf.shape(features)[-1]
    weighted = features[0] * mask[:, :, tf.newaxis]  # (H, W, C): each position times its weight
    matrix = tf.reshape(weighted, (-1, channels))  # (H*W, C)
    area = tf.reduce_sum(tf.square(mask)) * tf.cast(channels, features.dtype)  # C * sum(m^2)
    return tf.matmul(matrix, matrix, transpose_a=True) / area


def style_loss(gram_generated: tf.Tensor, gram_reference: tf.Tensor) -> tf.Tensor:
    """Mean squared difference of two Gram matrices (a scalar)."""
    return tf.reduce_mean(tf.square(gram_generated - gram_reference))


def total_variation_loss(image: tf.Tensor) -> tf.Tensor:
    """Sum of |x[i+1, j] - x[i, j]| + |x[i, j+1] - x[i, j]| over images (B, H, W, C): a scalar."""
    down = image[..., 1:, :, :] - image[..., :-1, :, :]  # neighbour below
    right = image[..., :, 1:, :] - image[..., :, :-1, :]  # neighbour on the right
    return tf.reduce_sum(tf.abs(down)) + tf.reduce_sum(tf.abs(right))


def total_loss(
    image: tf.Tensor,
    features: Mapping[str, tf.Tensor],
    content_targets: Mapping[str, tf.Tensor],
    style_targets: Mapping[str, tf.Tensor],
    alpha: float,
    beta: float,
    gamma: float,
) -> tf.Tensor:
    """alpha * content + beta * (style summed over the layers) + gamma * TV, the lecture's raw
    terms.

    The one model of lesson 05's exercise: the checker compares a student's function with it, and
    lesson 05's tools use it. ``image`` (1, H, W, 3) in [0, 1]; ``features`` layer -> its map
    (1, h, w, C) of the image; ``content_targets`` layer -> the photo's map (1, h, w, C);
    ``style_targets`` layer -> the painting's Gram matrix (C, C). Returns a scalar tensor.
    """
    content = 0.0
    for layer, target in content_targets.items():
        content += content_loss(features[layer], target)
    style = 0.0
    for layer, target in style_targets.items():
        style += style_loss(gram_matrix(features[layer]), target)
    return alpha * content + beta * style + gamma * total_variation_loss(image)


def optimization_step(
    image: tf.Variable, loss_fn: Callable[[tf.Tensor], tf.Tensor], optimizer: Any
) -> tf.Tensor:
    """One step on the picture: gradient of the loss, optimiser update, clip to [0, 1].

    ``image`` is a ``tf.Variable`` (1, H, W, 3) float32 in [0, 1], updated in place; ``optimizer``
    a Keras optimiser. Returns the loss of the picture *before* the update (a scalar tensor).
    """
    with tf.GradientTape() as tape:
        loss = loss_fn(image)  # the tape records how the loss depends on image
    gradient = tape.gradient(loss, image)  # d loss / d pixels, same shape as image
    optimizer.apply_gradients([(gradient, image)])  # the picture only: VGG16 stays as it is
    image.assign(tf.clip_by_value(image, 0.0, 1.0))  # pixel values stay valid
    return loss


def receptive_field(layers):
    """Side (px) of the input patch that one value of the last of ``layers`` sees.

    ``layers`` lists (name, kernel, stride) from the input upward.
    """
    field, spacing = 1, 1  # one pixel sees itself; neighbouring pixels are 1 px apart
    for _name, kernel, stride in layers:
        # k neighbouring values below, each `spacing` px from the next
        field += (kernel - 1) * spacing
        # then this layer's values are `stride` times further apart
        spacing *= stride
    return field


def layered_content_loss(features, targets, weights):
    """Sum over the layers of ``weights`` of weights[layer] * content_loss there (a scalar)."""
    total = 0.0
    for layer, weight in weights.items():  # only the weighted layers; features may hold more
        total += weight * content_loss(features[layer], targets[layer])
    return total


def layered_style_loss(features, targets, weights):
    """Sum over the layers of ``weights`` of weights[layer] * style_loss (targets are Grams)."""
    total = 0.0
    for layer, weight in weights.items():
        total += weight * style_loss(gram_matrix(features[layer]), targets[layer])
    return total


def checkerboard_tv(height, width, cell):
    """TV of an RGB checkerboard of cell x cell squares, counted: every boundary is a jump of 1
    per pixel and channel."""
    # boundaries between columns of squares, each one `height` px long
    between_columns = (width - 1) // cell
    # boundaries between rows of squares, each one `width` px long
    between_rows = (height - 1) // cell
    # 3 colour channels, each with the same jumps
    return 3 * (between_columns * height + between_rows * width)


def first_adam_change(gradient, learning_rate):
    """Adam's first step from m = v = 0: after the bias corrections m_hat = g and v_hat = g^2."""
    beta_1, beta_2, epsilon = 0.9, 0.999, 1e-7
    m = (1 - beta_1) * gradient  # first moment after one step
    v = (1 - beta_2) * gradient**2  # second moment after one step
    # bias corrections for t = 1: m_hat = g, v_hat = g^2
    m_hat, v_hat = m / (1 - beta_1), v / (1 - beta_2)
    # = -learning_rate * sign(g): lr per pixel
    return -learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)


def optimization_loop(step, image, loss_fn, optimizer, steps, view):
    """Lesson 05's loop: ``steps`` calls of ``step(image, loss_fn, optimizer)`` on one picture.

    ``image`` is the tf.Variable (1, H, W, 3) the steps update in place, ``optimizer`` the one
    optimiser whose state (Adam's averages) carries over; ``view`` shows the picture and the
    curves (:class:`labhelpers.lessons.l05_optimization.LoopView`). Returns the list of the
    losses the steps returned (floats), one per step.
    """
    losses = []
    for number in range(1, steps + 1):
        loss = step(image, loss_fn, optimizer)  # the loss of the picture before this step
        losses.append(float(loss))
        if number % view.every == 0 or number == steps:  # now and then, and after the last step
            view.show_picture(image, number)
            view.show_curves(losses, image)
    return losses


def feature_extractor(weights_file, layers, preprocessing):
    """VGG16 feature maps from a bare ``keras.applications.VGG16`` and a weights file.

    ``weights_file``: a Keras weights file of VGG16 without its classifier; ``layers``: layer
    names; ``preprocessing``: ``"torch"`` (weights trained on RGB in [0, 1], ImageNet mean and
    std) or ``"caffe"`` (trained on BGR in 0-255 with the ImageNet mean subtracted). Returns a
    function from RGB pictures (B, H, W, 3) float32 in [0, 1] to {layer: map (B, h, w, C)}.
    """
    import keras

    if preprocessing not in ("torch", "caffe"):
        raise ValueError(f"preprocessing must be 'torch' or 'caffe', not {preprocessing!r}")
    # the architecture only, any picture size; then the weights from the file
    vgg = keras.applications.VGG16(include_top=False, weights=None, input_shape=(None, None, 3))
    vgg.load_weights(weights_file)
    outputs = [vgg.get_layer(name).output for name in layers]  # by name, in the order asked
    model = keras.Model(vgg.input, outputs)
    mean_rgb = tf.constant([0.485, 0.456, 0.406])  # torchvision: ImageNet statistics on [0, 1]
    std_rgb = tf.constant([0.229, 0.224, 0.225])
    mean_bgr = tf.constant([103.939, 116.779, 123.68])  # Caffe: ImageNet mean on 0-255, BGR

    def extract(images):
        if preprocessing == "torch":
            x = (images - mean_rgb) / std_rgb
        else:
            x = images[..., ::-1] * 255.0 - mean_bgr  # RGB -> BGR, then 0-255 minus the mean
        maps = model(x)
        maps = maps if isinstance(maps, (list, tuple)) else [maps]  # one layer: one tensor
        return dict(zip(layers, maps))

    return extract


def lbfgs_objective(loss_fn, shape):
    """What scipy.optimize.minimize(..., jac=True, method="L-BFGS-B") needs for a picture.

    ``loss_fn`` maps a float32 tensor of ``shape`` (1, H, W, 3) to a scalar tensor. Returns
    ``(objective, bounds)``: ``objective(x)`` takes the flat float64 vector of the H*W*3 pixel
    values and returns (loss as a float, gradient as a flat float64 vector); ``bounds`` keeps
    every value in [0, 1].
    """
    from scipy.optimize import Bounds

    def objective(x):
        image = tf.constant(np.reshape(x, shape), tf.float32)  # the vector back into a picture
        with tf.GradientTape() as tape:
            tape.watch(image)
            loss = loss_fn(image)
        gradient = tape.gradient(loss, image)
        # scipy works in float64 on flat vectors
        return float(loss), np.asarray(gradient, np.float64).ravel()

    return objective, Bounds(0.0, 1.0)


def style_gradient(features, gram_target):
    """dL/dF of L = mean((G - A)^2), G = F^T F / (H*W*C), in closed form (no GradientTape).

    ``features`` (1, H, W, C) and ``gram_target`` A (C, C), NumPy arrays. Returns dL/dF, shape
    (1, H, W, C): with F the (H*W, C) matrix, dL/dG = 2 (G - A) / C^2 and, G being F^T F / N
    (N = H*W*C) and G - A symmetric, dL/dF = F (dL/dG + dL/dG^T) / N = 4 F (G - A) / (N C^2).
    """
    _, height, width, channels = features.shape
    flat = np.reshape(features, (height * width, channels))  # F: one row per position
    entries = height * width * channels  # N
    gram = flat.T @ flat / entries
    d_gram = 2 * (gram - gram_target) / channels**2  # the mean runs over C*C entries
    d_flat = flat @ (d_gram + d_gram.T) / entries  # G = F^T F / N: F appears twice
    return np.reshape(d_flat, features.shape)


def ratio_study(ratios, loss_for_ratio, start, iterations):
    """The homework's study: one L-BFGS-B run per style/content ratio, all from ``start``.

    ``loss_for_ratio(ratio)`` gives the loss function (float32 picture (1, H, W, 3) -> scalar)
    of that ratio; ``start`` is the first picture (1, H, W, 3) float32 in [0, 1]; each run takes
    at most ``iterations`` L-BFGS-B iterations with :func:`lbfgs_objective`. Returns {ratio: the
    run's picture (1, H, W, 3) float32}.
    """
    from scipy.optimize import minimize

    pictures = {}
    for ratio in ratios:
        objective, bounds = lbfgs_objective(loss_for_ratio(ratio), start.shape)
        result = minimize(
            objective,
            np.asarray(start, np.float64).ravel(),  # every ratio from the same start
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": iterations},
        )
        pictures[ratio] = np.reshape(result.x, start.shape).astype(np.float32)
    return pictures


def training_step(network, photos, loss_fn, optimizer):
    """Lesson 09's exercise: one training step of the style network on a batch of photos.

    ``network`` maps photos (B, H, W, 3) float32 in [0, 1] to pictures of the same shape;
    ``loss_fn(pictures, photos)`` is the scalar loss; ``optimizer`` a Keras optimiser. The
    variable is the network's weights, not the pixels. Returns the loss before the update.
    """
    with tf.GradientTape() as tape:
        pictures = network(photos, training=True)  # the network's paintings of the photos
        loss = loss_fn(pictures, photos)
    weights = network.trainable_variables  # what the training changes
    optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
    return loss


#: Exercise name -> solution function.
SOLUTIONS: dict[str, Callable[..., Any]] = {
    "content_loss": content_loss,
    "gram_matrix": gram_matrix,
    "guided_gram": guided_gram,
    "style_loss": style_loss,
    "total_variation_loss": total_variation_loss,
    "total_loss": total_loss,
    "optimization_step": optimization_step,
    "receptive_field": receptive_field,
    "layered_content_loss": layered_content_loss,
    "layered_style_loss": layered_style_loss,
    "checkerboard_tv": checkerboard_tv,
    "first_adam_change": first_adam_change,
    "optimization_loop": optimization_loop,
    "feature_extractor": feature_extractor,
    "lbfgs_objective": lbfgs_objective,
    "style_gradient": style_gradient,
    "ratio_study": ratio_study,
    "training_step": training_step,
}


def source(name: str) -> str:
    """The source code of the solution of exercise ``name`` (e.g. ``"gram_matrix"``), to print.

    Raises:
        KeyError: for an unknown exercise; the message lists the known ones.
    """
    if name not in SOLUTIONS:
        raise KeyError(f"No solution named {name!r}; there are {sorted(SOLUTIONS)}.")
    return inspect.getsource(SOLUTIONS[name])
