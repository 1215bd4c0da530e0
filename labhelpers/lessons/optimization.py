"""Tools of lesson 05 (``notebooks/05_optimization.ipynb``): the picture is the only variable.

* The reference pieces the exercises are checked against and fall back on: the lecture's total
  loss (:func:`total_loss`, raw terms), the form ``labhelpers`` optimises (:func:`normalized_total_loss`,
  each term divided by the size of its target) and one optimisation step (:func:`optimization_step`).
* :func:`loss_terms`: the weighted terms of any total-loss function with that signature, for the
  live loss curves.
* The experiment after the exercises, run with :mod:`labhelpers.transfer`: Adam against L-BFGS in
  the same wall-clock time (:func:`race`), and the one plot the lesson needs beyond
  :mod:`labhelpers.lessons.plots`: loss against seconds (:func:`plot_loss_against_time`).
  Gatys et al.'s figures, run the same way, are lesson 06's (:mod:`labhelpers.lessons.paper_figures`).

Conventions: pictures are float32 RGB in [0, 1], ``(H, W, 3)`` or with a batch axis
``(1, H, W, 3)``; feature maps are ``(1, h, w, C)``; Gram matrices ``(C, C)``; sizes are pixels of
the longest side; times are seconds.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from labhelpers import losses
from labhelpers.config import import_tensorflow
from labhelpers.images import resize_to
from labhelpers.transfer.run import StyleTransfer, StyleTransferResult

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure

__all__ = [
    "total_loss",
    "normalized_total_loss",
    "optimization_step",
    "loss_terms",
    "scaled_extractor",
    "targets",
    "terms_at",
    "race",
    "plot_loss_against_time",
]

# --------------------------------------------------------------------------- the exercises' references


def total_loss(image: tf.Tensor, features: Mapping[str, tf.Tensor], content_targets: Mapping[str, tf.Tensor],
               style_targets: Mapping[str, tf.Tensor], alpha: float, beta: float, gamma: float) -> tf.Tensor:
    """The lecture's total loss: ``alpha * content + beta * style + gamma * TV`` (raw terms, a scalar).

    Args:
        image: the picture being optimised, (1, H, W, 3) in [0, 1].
        features: layer name -> its feature map (1, h, w, C) of ``image`` (every layer named in
            the targets).
        content_targets: layer name -> the photo's feature map at that layer (1, h, w, C).
        style_targets: layer name -> the painting's Gram matrix at that layer (C, C).
        alpha, beta, gamma: the content, style and TV weights.

    Returns:
        ``alpha * sum_l content_loss(F_l, P_l) + beta * sum_l style_loss(G(F_l), A_l)
        + gamma * total_variation_loss(image)``: a scalar tensor.
    """
    content = tf.add_n([losses.content_loss(features[name], target) for name, target in content_targets.items()])
    style = tf.add_n([losses.style_loss(losses.gram_matrix(features[name]), target)
                      for name, target in style_targets.items()])
    return alpha * content + beta * style + gamma * losses.total_variation_loss(image)


def normalized_total_loss(image: tf.Tensor, features: Mapping[str, tf.Tensor],
                          content_targets: Mapping[str, tf.Tensor], style_targets: Mapping[str, tf.Tensor],
                          alpha: float, beta: float, gamma: float) -> tf.Tensor:
    """:func:`total_loss` as ``labhelpers`` optimises it: each term divided by the size of its target.

    Every layer's term is divided by the mean square of its target (the photo's feature map, the
    painting's Gram matrix), the TV by the number of pixels H*W; the sums then run over relative
    errors, and the same weights give the same kind of picture for any VGG16 weights and picture
    size. Arguments and result as in :func:`total_loss`.
    """
    content = tf.add_n([losses.content_loss(features[name], target) / tf.reduce_mean(tf.square(target))
                        for name, target in content_targets.items()])
    style = tf.add_n([losses.style_loss(losses.gram_matrix(features[name]), target) / tf.reduce_mean(tf.square(target))
                      for name, target in style_targets.items()])
    pixels = tf.cast(tf.shape(image)[1] * tf.shape(image)[2], image.dtype)
    return alpha * content + beta * style + gamma * losses.total_variation_loss(image) / pixels


def optimization_step(image: tf.Variable, loss_fn: Callable[[tf.Tensor], tf.Tensor],
                      optimizer: Any) -> tf.Tensor:
    """One step of gradient descent on the picture only; the reference of the lesson's exercise.

    Args:
        image: the picture, a ``tf.Variable`` (1, H, W, 3) float32 in [0, 1]; updated in place.
        loss_fn: picture -> a differentiable scalar loss.
        optimizer: a Keras optimiser, e.g. ``tf.keras.optimizers.Adam(0.02)``.

    Returns:
        The loss of the picture *before* the update (a scalar tensor).
    """
    with tf.GradientTape() as tape:
        loss = loss_fn(image)
    gradient = tape.gradient(loss, image)
    optimizer.apply_gradients([(gradient, image)])
    image.assign(tf.clip_by_value(image, 0.0, 1.0))
    return loss


def loss_terms(total_loss_fn: Callable[..., tf.Tensor], image: tf.Tensor, features: Mapping[str, tf.Tensor],
               content_targets: Mapping[str, tf.Tensor], style_targets: Mapping[str, tf.Tensor],
               alpha: float, beta: float, gamma: float) -> dict[str, float]:
    """The weighted terms of ``total_loss_fn``, found by switching the other two weights off.

    Works for any function with :func:`total_loss`'s signature (a student's too), so the curves show
    exactly what that function adds up.

    Returns:
        ``{"content": ..., "style": ..., "tv": ..., "total": ...}`` as Python floats.
    """
    args = (image, features, content_targets, style_targets)
    terms = {"content": float(total_loss_fn(*args, alpha, 0.0, 0.0)),
             "style": float(total_loss_fn(*args, 0.0, beta, 0.0)),
             "tv": float(total_loss_fn(*args, 0.0, 0.0, gamma))}
    terms["total"] = terms["content"] + terms["style"] + terms["tv"]
    return terms


def targets(extractor: Any, photo: Any, painting: Any, content_layers: Sequence[str],
            style_layers: Sequence[str], gram_fn: Callable[[tf.Tensor], tf.Tensor] = losses.gram_matrix
            ) -> tuple[dict[str, tf.Tensor], dict[str, tf.Tensor]]:
    """The photo's feature maps and the painting's Gram matrices: what the total loss compares with.

    Args:
        extractor: a feature extractor returning at least the named layers.
        photo, painting: pictures (H, W, 3) in [0, 1] (their sizes may differ).
        content_layers, style_layers: layer names.
        gram_fn: the Gram-matrix function (the student's, in the lesson).

    Returns:
        ``(content_targets {layer: (1, h, w, C)}, style_targets {layer: (C, C)})``.
    """
    photo_features, painting_features = extractor(photo), extractor(painting)
    return ({name: photo_features[name] for name in content_layers},
            {name: gram_fn(painting_features[name]) for name in style_layers})


def terms_at(total_loss_fn: Callable[..., tf.Tensor], picture: Any, photo: Any, painting: Any, extractor: Any,
             content_layers: Sequence[str], style_layers: Sequence[str], alpha: float, beta: float,
             gamma: float) -> dict[str, float]:
    """:func:`loss_terms` of ``picture`` with targets made at the picture's own size.

    The photo is resized to the picture's height and width, so that the content loss compares
    feature maps of the same shape; the painting keeps its size (a Gram matrix does not depend on it).

    Returns:
        ``{"content", "style", "tv", "total"}`` as floats.
    """
    picture = np.asarray(picture, np.float32)
    content_targets, style_targets = targets(extractor, resize_to(photo, picture.shape[:2]), painting,
                                             content_layers, style_layers)
    batch = tf.constant(picture[None])
    return loss_terms(total_loss_fn, batch, extractor(batch), content_targets, style_targets, alpha, beta, gamma)


def scaled_extractor(extractor: Any, factor: float) -> Any:
    """The same VGG16 with every activation multiplied by ``factor`` (> 0): a stand-in for other weights.

    The first convolution's kernel and bias and every later bias are multiplied by ``factor``;
    since ReLU and max-pooling commute with a positive factor, each layer's feature map is then
    exactly ``factor`` times the original one. Keras's Caffe-trained VGG16 differs from
    torchvision's by such factors (60-240x, a different one per layer), which is why raw loss
    weights do not carry over from one to the other.

    Args:
        extractor: a :class:`labhelpers.network.extractor.FeatureExtractor`.
        factor: the scale of the activations.

    Returns:
        A new FeatureExtractor with the same layers and preprocessing.
    """
    if not factor > 0:
        raise ValueError(f"factor must be a number > 0 such as 10, not {factor!r}.")
    pairs = [(np.array(kernel), np.array(bias)) for kernel, bias in extractor.conv_weights()]
    pairs[0] = (pairs[0][0] * factor, pairs[0][1])
    pairs = [(kernel, bias * factor) for kernel, bias in pairs]
    return type(extractor).from_arrays(pairs, layers=extractor.layers, preprocessing=extractor.preprocessing,
                                       source=f"{extractor.source} x{factor:g}")


# --------------------------------------------------------------------------- runs with labhelpers.transfer

# The transfer options are being renamed (time_budget -> time_budget_s, normalise ->
# normalize_losses, weights -> vgg_weights); pass the new names and fall back on the old ones while
# a function still has them.
_OLD_NAMES = {"time_budget_s": "time_budget", "normalize_losses": "normalise", "vgg_weights": "weights"}


def _call(fn: Callable[..., Any], *args: Any, **options: Any) -> Any:
    accepted = inspect.signature(fn).parameters
    renamed = {(_OLD_NAMES[k] if k not in accepted and _OLD_NAMES.get(k) in accepted else k): v
               for k, v in options.items()}
    return fn(*args, **renamed)


def race(photo: Any, painting: Any, extractor: Any, *, size: int, seconds: float,
         optimizers: Sequence[str] = ("adam", "lbfgs"), **weights: float) -> dict[str, StyleTransferResult]:
    """Each optimiser on the same picture for the same wall-clock time.

    Args:
        photo, painting: the pictures (anything :func:`labhelpers.load_image` accepts).
        extractor: the feature extractor (shared, so VGG16 is loaded once).
        size: longest side in pixels.
        seconds: the time each optimiser gets (the run stops after the first evaluation that ends later).
        optimizers: which ones, in order; ``"adam"`` and/or ``"lbfgs"``.
        **weights: ``content_weight``, ``style_weight``, ``tv_weight`` (else the defaults).

    Returns:
        ``{optimizer: result}``; ``result.history`` has one record per evaluation with ``seconds``
        and ``total``.
    """
    transfer = StyleTransfer(photo, painting, size=size, extractor=extractor)
    transfer.run(steps=1, optimizer="adam")  # trace the compiled loss once, outside the timed runs
    return {name: _call(transfer.run, steps=100_000, optimizer=name, time_budget_s=float(seconds), **weights)
            for name in optimizers}


def plot_loss_against_time(histories: Mapping[str, Sequence[Mapping[str, Any]]], title: str | None = None,
                           ax: Any = None) -> "Figure":
    """Total loss against seconds, one line per run, with each run's best-so-far as a dashed line.

    Args:
        histories: run name -> history (records with ``seconds`` and ``total``, as ``stylize`` keeps).
        title: the plot's title.
        ax: an Axes to draw into instead of a new figure.
    """
    import matplotlib.pyplot as plt

    if not histories or not all(histories.values()):
        raise ValueError("plot_loss_against_time needs at least one non-empty history; run an optimisation first.")
    if ax is None:
        figure, ax = plt.subplots(figsize=(6.5, 3.6), layout="constrained")
    else:
        figure = ax.figure
    for index, (name, history) in enumerate(histories.items()):
        seconds = np.array([float(entry["seconds"]) for entry in history])
        total = np.array([float(entry["total"]) for entry in history])
        colour = f"C{index}"
        ax.plot(seconds, total, color=colour, lw=1.0, marker=".", ms=3, label=f"{name}: every evaluation")
        ax.plot(seconds, np.minimum.accumulate(total), color=colour, lw=2, ls="--", label=f"{name}: best so far")
    ax.set_yscale("log")
    ax.set_xlabel("seconds")
    ax.set_ylabel("total loss")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return figure
