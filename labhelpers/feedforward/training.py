r"""Training a style network (lesson 09): the lecture's losses, the network's weights as variable.

In lessons 05-07 the picture is the variable: ``tape.gradient(loss, image)``. Here the same
losses judge the network's *outputs*, and the gradient goes to the network's weights:
``tape.gradient(loss, network.trainable_variables)``. After training, one forward pass paints any
photo.

The loss of a batch of photos :math:`x_b` and the network's pictures :math:`y_b = f(x_b)` is
:mod:`labhelpers.transfer.objective`'s normalised loss, averaged over the batch:

.. math::

   L = \alpha \frac{\mathrm{content\_loss}(F(y), F(x))}{\mathrm{mean}(F(x)^2)}
     + \beta \sum_{l} w_l \frac{\mathrm{style\_loss}(G_l(y_b), A_l)}{\mathrm{mean}(A_l^2)}
     + \gamma \frac{\mathrm{total\_variation\_loss}(y)}{B H W}

with the content layer ``block4_conv2``, the five style layers ``block1_conv1`` ...
``block5_conv1`` weighted equally, :math:`A_l` the painting's Gram matrices (the painting at 256
px, as ``stylize`` sees it at its default size), and ``stylize``'s default weights
(:math:`\alpha, \beta, \gamma` = 1, 10, 1): the network is trained for the same picture
``stylize`` optimises. The functions are the lecture's (:mod:`labhelpers.losses`), unchanged.
VGG16 runs in bfloat16 where the CPU has it natively (``precision="auto"``; 1.8x faster, features
within about 1%), else float32.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from labhelpers.config import import_tensorflow
from labhelpers.feedforward.network import TransformNetwork, build_transform_network
from labhelpers.feedforward.photos import TrainingPhotos
from labhelpers.images import load_image, resize_to
from labhelpers.losses import content_loss, gram_matrix, style_loss, total_variation_loss
from labhelpers.network.extractor import build_feature_extractor
from labhelpers.network.layers import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS
from labhelpers.network.model import vgg16_forward
from labhelpers.transfer.objective import resolve_precision

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

__all__ = [
    "NetworkLoss",
    "make_network_loss",
    "training_step",
    "TrainingResult",
    "train_network",
    "PAINTING_SIZE",
    "DEFAULT_WEIGHTS",
    "stylize_with",
]

#: The painting's longest side (px) for its Gram matrices: ``stylize``'s default size.
PAINTING_SIZE = 256
#: content_weight, style_weight, tv_weight: ``stylize``'s defaults.
DEFAULT_WEIGHTS = {"content": 1.0, "style": 10.0, "tv": 1.0}

StepFunction = Callable[[Any, Any, Callable, Any], Any]


class NetworkLoss:
    """``loss(pictures, photos) -> scalar``: how far a batch of the network's pictures is from
    its photos' content and the painting's style (see the module docstring).

    Args:
        painting: the painting: a bundled name, a file or an array (H, W, 3) in [0, 1].
        extractor: a :class:`~labhelpers.network.extractor.FeatureExtractor`; default VGG16
            from ``vgg_weights``.
        content_weight, style_weight, tv_weight: the loss weights (``stylize``'s defaults).
        painting_size: the painting's longest side in pixels for its Gram matrices.
        precision: ``"auto"``, ``"float32"`` or ``"bfloat16"`` (VGG16's convolutions).
        vgg_weights: where VGG16's parameters come from (when no ``extractor`` is given).

    Attributes:
        style_grams: ``{layer: (C, C)}`` the painting's Gram matrices.
        precision: the precision in use.
    """

    def __init__(
        self,
        painting: Any,
        extractor: Any = None,
        *,
        content_weight: float = DEFAULT_WEIGHTS["content"],
        style_weight: float = DEFAULT_WEIGHTS["style"],
        tv_weight: float = DEFAULT_WEIGHTS["tv"],
        painting_size: int = PAINTING_SIZE,
        precision: str = "auto",
        vgg_weights: str = "auto",
    ) -> None:
        if extractor is None:
            extractor = build_feature_extractor(vgg_weights, verbose=False)
        self.extractor = extractor
        self.precision = resolve_precision(precision)
        self.content_layer = DEFAULT_CONTENT_LAYERS[0]
        self.style_layers = tuple(DEFAULT_STYLE_LAYERS)
        dtype = tf.bfloat16 if self.precision == "bfloat16" else tf.float32
        self.vgg = vgg16_forward(extractor, (self.content_layer, *self.style_layers), dtype)
        self.weights = {
            "content": float(content_weight),
            "style": float(style_weight),
            "tv": float(tv_weight),
        }
        image = painting if isinstance(painting, np.ndarray) else load_image(painting)
        image = resize_to(image, painting_size)
        maps = self.vgg(tf.constant(image[None], tf.float32))
        self.style_grams = {name: gram_matrix(maps[name]) for name in self.style_layers}
        self.style_norms = {
            name: tf.reduce_mean(tf.square(g)) for name, g in self.style_grams.items()
        }

    def terms(self, pictures: Any, photos: Any) -> dict[str, Any]:
        """The three weighted terms ``{"content", "style", "tv"}`` (scalar tensors) of the loss of
        ``pictures`` (B, H, W, 3) against ``photos`` (B, H, W, 3), both float32 in [0, 1]."""
        pictures = tf.convert_to_tensor(pictures, tf.float32)
        maps = self.vgg(pictures)
        photo_maps = self.vgg(tf.stop_gradient(tf.convert_to_tensor(photos, tf.float32)))
        reference = tf.stop_gradient(photo_maps[self.content_layer])
        content = content_loss(maps[self.content_layer], reference) / tf.reduce_mean(
            tf.square(reference)
        )
        style = 0.0
        for name in self.style_layers:
            grams = gram_matrix(maps[name])  # (C, C) for one picture, (B, C, C) for a batch
            target = tf.broadcast_to(self.style_grams[name], tf.shape(grams))
            style += style_loss(grams, target) / self.style_norms[name] / len(self.style_layers)
        shape = tf.shape(pictures)
        pixels = tf.cast(shape[0] * shape[1] * shape[2], tf.float32)
        tv = total_variation_loss(pictures) / pixels
        return {
            "content": self.weights["content"] * content,
            "style": self.weights["style"] * style,
            "tv": self.weights["tv"] * tv,
        }

    def __call__(self, pictures: Any, photos: Any) -> Any:
        """The total loss (a float32 scalar tensor) of ``pictures`` against ``photos``."""
        return tf.add_n(list(self.terms(pictures, photos).values()))


def make_network_loss(painting: Any, **options: Any) -> NetworkLoss:
    """A :class:`NetworkLoss` for ``painting`` (options: see the class)."""
    return NetworkLoss(painting, **options)


def training_step(network: Any, photos: Any, loss_fn: Callable, optimizer: Any) -> Any:
    """One training step: the loss of the network's pictures, its gradient with respect to the
    network's weights, one optimiser update of those weights (the library's step, which
    lesson 09's checker compares with; the students write their own, and the short model
    solution is in the instructor's ``labhelpers.exercises.solutions``).

    Args:
        network: a Keras model from photos (B, H, W, 3) to pictures of the same shape.
        photos: float32 (B, H, W, 3) in [0, 1].
        loss_fn: ``loss_fn(pictures, photos) -> scalar``.
        optimizer: a Keras optimiser.

    Returns:
        The loss before the update (a scalar tensor).
    """
    with tf.GradientTape() as tape:
        loss = loss_fn(network(photos, training=True), photos)
    gradients = tape.gradient(loss, network.trainable_variables)
    optimizer.apply_gradients(zip(gradients, network.trainable_variables))
    return loss


@dataclass
class TrainingResult:
    """What :func:`train_network` did.

    Attributes:
        network: the trained network (its latest weights, also after an interruption).
        history: one dict per step: ``step``, ``loss`` (the batch's total), ``seconds`` (since
            the start).
        seconds: wall time of the training steps (s).
        stopped: why it stopped: ``"steps"``, ``"time"``, ``"stop"`` (``should_stop``) or
            ``"interrupt"`` (the kernel's interrupt or Ctrl-C).
        settings: the training settings (for the JSON beside the weights).
    """

    network: TransformNetwork
    history: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    stopped: str = "steps"
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        """Steps completed."""
        return len(self.history)


def train_network(
    photos: TrainingPhotos,
    loss_fn: Callable[[Any, Any], Any],
    *,
    network: Optional[TransformNetwork] = None,
    steps: Optional[int] = None,
    seconds: Optional[float] = None,
    batch_size: int = 4,
    learning_rate: float = 2e-3,
    seed: int = 0,
    step_fn: Optional[StepFunction] = None,
    compile_step: bool = True,
    callback: Optional[Callable[[int, TrainingResult], None]] = None,
    callback_every: int = 10,
    should_stop: Optional[Callable[[], bool]] = None,
) -> TrainingResult:
    """Train a style network with Adam until ``steps`` or ``seconds`` run out.

    Args:
        photos: the training crops (:class:`~labhelpers.feedforward.photos.TrainingPhotos`).
        loss_fn: ``loss_fn(pictures, photos) -> scalar`` (a :class:`NetworkLoss`).
        network: the network to train further; default a new one from ``seed``.
        steps: at most this many steps (None: no limit).
        seconds: stop after this many seconds of training (None: no limit); one of the two
            must be given.
        batch_size: photos per step.
        learning_rate: Adam's learning rate.
        seed: seed of a new network's weights.
        step_fn: ``step_fn(network, photos, loss_fn, optimizer) -> loss`` (a student's step);
            default :func:`training_step`.
        compile_step: run the step as a ``tf.function`` (about 2x faster).
        callback: ``callback(step, result)`` every ``callback_every`` steps and at the end
            (the live picture and curves of lesson 09).
        callback_every: see ``callback``.
        should_stop: checked before every step; True stops (a Stop button).

    Returns:
        A :class:`TrainingResult`; an interrupt (Ctrl-C, the kernel's stop) ends the training
        and keeps the latest weights instead of raising.
    """
    if steps is None and seconds is None:
        raise ValueError("give steps or seconds (or both), e.g. steps=300 or seconds=180")
    network = network if network is not None else build_transform_network(seed=seed)
    optimizer = tf.keras.optimizers.Adam(learning_rate)
    step = step_fn or training_step
    run = tf.function(step) if compile_step else step
    settings = {
        "batch_size": int(batch_size),
        "crop": photos.crop,
        "scale_range": list(photos.scale_range),
        "learning_rate": float(learning_rate),
        "optimizer": "Adam",
        "seed": int(seed),
    }
    result = TrainingResult(network, settings=settings)
    start = time.perf_counter()
    try:
        while True:
            if steps is not None and result.steps >= steps:
                result.stopped = "steps"
                break
            if seconds is not None and time.perf_counter() - start >= seconds:
                result.stopped = "time"
                break
            if should_stop is not None and should_stop():
                result.stopped = "stop"
                break
            batch = tf.constant(photos.batch(batch_size))
            loss = float(run(network, batch, loss_fn, optimizer))
            result.history.append(
                {
                    "step": result.steps + 1,
                    "loss": loss,
                    "seconds": time.perf_counter() - start,
                }
            )
            if callback is not None and result.steps % callback_every == 0:
                callback(result.steps, result)
    except KeyboardInterrupt:
        result.stopped = "interrupt"
    result.seconds = time.perf_counter() - start
    if callback is not None and result.steps % callback_every:
        callback(result.steps, result)
    return result


def stylize_with(network: Any, photo: Any) -> np.ndarray:
    """The network's picture of one photo (H, W, 3) in [0, 1]: float32 (H, W, 3) in [0, 1]."""
    picture = network(tf.constant(np.asarray(photo, np.float32)[None]))[0]
    return np.clip(picture.numpy(), 0.0, 1.0).astype(np.float32)
