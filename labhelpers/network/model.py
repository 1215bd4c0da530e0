"""Building VGG16 in TensorFlow: the Keras model, its 13 convolutions' parameters, a bfloat16 pass.

Two ways to run the same network:

- :func:`build_vgg16_model`: Keras's ``VGG16`` without classifier (any input size); the feature
  extractor (:mod:`labhelpers.network.extractor`) wraps it.
- :func:`vgg16_forward`: the same 3x3 convolutions, ReLUs and 2x2 max pools written with plain
  TensorFlow ops in a chosen dtype (bfloat16 is about twice as fast on CPUs with native bfloat16).
- :func:`with_pooling`: the same network (the same convolution layers, so the same weights) with
  its four 2x2 pools taken from :data:`POOLINGS`: ``"max"`` (VGG16's own) or ``"avg"`` (Gatys et
  al.'s choice for style transfer: every input pixel gets some gradient, so strokes come out
  smoother).

Parameters are 13 ``(kernel, bias)`` pairs, kernels HWIO ``(3, 3, in, out)`` float32, in the
order of :data:`labhelpers.network.layers.VGG16_LAYERS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol, Sequence

import numpy as np

from labhelpers.config import import_tensorflow
from labhelpers.network.layers import VGG16_CHANNELS, VGG16_LAYERS

ConvPairs = list[tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Pooling:
    """One way to pool 2x2 windows between VGG16's blocks.

    Attributes:
        name: the setting's value (``TransferSettings(pooling=name)``).
        about: one line for help texts.
        keras_layer: the Keras layer class's name in ``keras.layers`` (``"MaxPooling2D"``...).
        op: the TensorFlow op's name in ``tf.nn`` (``"max_pool2d"``...), for :func:`vgg16_forward`.
    """

    name: str
    about: str
    keras_layer: str
    op: str


#: The poolings a network can be built with, by name (the one home of the choices).
POOLINGS: dict[str, Pooling] = {
    p.name: p
    for p in (
        Pooling("max", "VGG16's own 2x2 max pooling", "MaxPooling2D", "max_pool2d"),
        Pooling(
            "avg",
            "2x2 average pooling (Gatys et al.: smoother gradients)",
            "AveragePooling2D",
            "avg_pool2d",
        ),
    )
}
DEFAULT_POOLING = "max"


class HasVGG16Parameters(Protocol):
    """What :func:`vgg16_forward` needs: a feature extractor's preprocessing and parameters."""

    def preprocess(self, images: Any) -> Any: ...

    def conv_weights(self) -> ConvPairs: ...


def build_vgg16_model() -> Any:
    """A Keras VGG16 without classifier, any input size (None, None, 3), untrained parameters.

    The input layer is named explicitly (Keras would number it by how many models the process
    has built), so a weights file saved from this model has the same bytes in every process.
    """
    import_tensorflow()
    import keras

    inputs = keras.Input(shape=(None, None, 3), name="input_layer")
    return keras.applications.VGG16(include_top=False, weights=None, input_tensor=inputs)


def random_weights(seed: int = 0) -> ConvPairs:
    """He-normal random (kernel (3, 3, in, out), bias (out,)) pairs for the 13 convolutions."""
    rng = np.random.default_rng(seed)
    pairs, in_channels = [], 3
    for out_channels in VGG16_CHANNELS:
        scale = np.sqrt(2.0 / (9 * in_channels))
        pairs.append(
            (
                rng.normal(0.0, scale, (3, 3, in_channels, out_channels)).astype(np.float32),
                np.zeros(out_channels, np.float32),
            )
        )
        in_channels = out_channels
    return pairs


def set_conv_weights(model: Any, pairs: ConvPairs) -> None:
    """Copy 13 ``(kernel, bias)`` pairs into the convolutions of a Keras VGG16 ``model``.

    Raises:
        ValueError: when ``model`` does not have 13 convolutions or a shape differs.
    """
    convs = [
        model.get_layer(name) for name in VGG16_LAYERS if name in {l.name for l in model.layers}
    ]
    if len(convs) != len(pairs):
        raise ValueError(
            f"The model has {len(convs)} VGG16 convolutions but {len(pairs)} (kernel, bias) "
            "pairs were given; VGG16 needs 13."
        )
    for layer, (kernel, bias) in zip(convs, pairs):
        layer.set_weights([kernel, bias])


def with_pooling(model: Any, pooling: str) -> Any:
    """A copy of ``model`` (a Keras VGG16 from :func:`build_vgg16_model`) with other pools.

    The copy has new layers of the same configuration, named as in VGG16, and the same weights
    (copied from ``model``); only the four ``blockN_pool`` layers are of the new kind.

    Args:
        model: a Keras VGG16 without classifier.
        pooling: a key of :data:`POOLINGS`; ``"max"`` returns ``model`` itself.

    Raises:
        ValueError: an unknown pooling name (the message lists the choices).
    """
    choice = POOLINGS.get(pooling) if isinstance(pooling, str) else None
    if choice is None:
        raise ValueError(f"pooling must be one of {list(POOLINGS)}, not {pooling!r}.")
    if choice.name == DEFAULT_POOLING:
        return model
    import_tensorflow()
    import keras

    inputs = keras.Input(shape=(None, None, 3), name="input_layer")
    x = inputs
    pool_class = getattr(keras.layers, choice.keras_layer)
    for layer in model.layers[1:]:
        if layer.name.endswith("_pool"):
            x = pool_class(pool_size=2, strides=2, name=layer.name)(x)
        else:
            x = layer.__class__.from_config(layer.get_config())(x)
    copy = keras.Model(inputs, x, name=f"vgg16_{choice.name}_pool")
    set_conv_weights(copy, [tuple(model.get_layer(n).get_weights()) for n in VGG16_LAYERS])
    return copy


def vgg16_forward(
    extractor: HasVGG16Parameters, layers: Sequence[str], dtype: Any, pooling: str = "max"
) -> Callable[[Any], dict[str, Any]]:
    """VGG16 written with plain TensorFlow ops in ``dtype``, from ``extractor``'s parameters.

    Same network as the Keras model (3x3 'same' convolutions with ReLU, a 2x2 max pool before
    every block but the first), stopping at the deepest of ``layers``.

    Args:
        extractor: gives the input preprocessing and the 13 (kernel, bias) pairs (a
            :class:`labhelpers.network.extractor.FeatureExtractor`).
        layers: layer names to return (from :data:`VGG16_LAYERS`).
        dtype: the TensorFlow dtype to compute in, e.g. ``tf.bfloat16``.
        pooling: a key of :data:`POOLINGS` (``"max"``: VGG16's own).

    Returns:
        A function from RGB images (B, H, W, 3) float32 in [0, 1] to
        ``{layer: float32 (B, h, w, C)}``.
    """
    tf = import_tensorflow()
    unknown = [name for name in layers if name not in VGG16_LAYERS]
    if unknown or not layers:
        raise ValueError(
            f"Unknown VGG16 layer(s) {unknown or list(layers)}; choose from {list(VGG16_LAYERS)}."
        )
    deepest = max(VGG16_LAYERS.index(name) for name in layers)
    params = [
        (tf.constant(kernel, dtype), tf.constant(bias, dtype))
        for kernel, bias in extractor.conv_weights()[: deepest + 1]
    ]
    wanted = set(layers)
    pool = getattr(tf.nn, POOLINGS[pooling].op)

    def network(images: Any) -> dict[str, Any]:
        x = tf.cast(extractor.preprocess(images), dtype)
        out = {}
        for index, name in enumerate(VGG16_LAYERS[: deepest + 1]):
            if index > 0 and name.endswith("_conv1"):
                x = pool(x, 2, 2, "VALID")
            kernel, bias = params[index]
            x = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, kernel, 1, "SAME"), bias))
            if name in wanted:
                out[name] = tf.cast(x, tf.float32)
        return out

    return network
