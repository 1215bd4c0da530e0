"""A small image transformation network (lesson 09): a photo in, a painted picture out.

The network of Johnson, Alahi and Fei-Fei (2016), shrunk to train on a CPU in minutes:

============================  ===================================  =====================
stage                         layers                               output (B, H, W, C)
============================  ===================================  =====================
in                            photo, RGB in [0, 1]                 (B, H, W, 3)
down 1                        9x9 conv, stride 1, IN, ReLU         (B, H, W, c1)
down 2                        3x3 conv, stride 2, IN, ReLU         (B, H/2, W/2, c2)
down 3                        3x3 conv, stride 2, IN, ReLU         (B, H/4, W/4, c3)
residual blocks (n)           [3x3 conv, IN, ReLU, 3x3 conv, IN]   (B, H/4, W/4, c3)
                              + the block's input
up 1, up 2                    2x nearest upsampling, 3x3 conv,     (B, H/2, ...), (B, H, W, c1)
                              IN, ReLU
out                           5x5 conv to 3 channels: a change     (B, H, W, 3)
                              ``delta``; picture = sigmoid(logit
                              (photo) + delta)
============================  ===================================  =====================

IN is instance normalisation (Ulyanov, Vedaldi and Lempitsky, 2016): each picture's channels are
normalised over its own positions, then scaled and shifted by learned per-channel values. Every
convolution pads by reflection, so the borders carry no dark frame. The upsampling is
nearest-neighbour followed by a convolution (no transposed convolution: no checkerboard). The
last convolution is 5x5, not Johnson's 9x9: a 9x9 convolution to 3 channels took 70 ms of a 90 ms
pass at 256 px on two Xeon cores (oneDNN is slow with 3 output channels), 5x5 takes 10 ms.

The last convolution starts at zero, so the untrained network returns the photo itself (the
sigmoid of the photo's logit); training learns a *change* of the photo. Johnson et al. start from
noise and need tens of thousands of steps; starting at the photo, a few hundred CPU steps already
give a painted picture, because the content is there from the first step. Heights and widths that
are not multiples of 4 are padded by reflection and cropped back, so any photo size works.

Parameters (the default ``channels=(16, 32, 48)``, 3 residual blocks): about 170 000, saved as
float16 in about 340 KB (:func:`save_network_weights`).
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from labhelpers.config import import_tensorflow
from labhelpers.files import write_file

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)
import keras  # noqa: E402  (after TensorFlow's quiet import)

__all__ = [
    "InstanceNormalization",
    "ReflectConv",
    "ConvNormRelu",
    "ResidualBlock",
    "TransformNetwork",
    "build_transform_network",
    "network_weights_arrays",
    "save_network_weights",
    "load_network_weights",
    "DEFAULT_CHANNELS",
    "DEFAULT_RESIDUAL_BLOCKS",
]

#: Channels of the three downsampling convolutions (c1, c2, c3); the residual blocks use c3.
DEFAULT_CHANNELS: tuple[int, int, int] = (16, 32, 48)
#: Residual blocks at a quarter of the picture's height and width.
DEFAULT_RESIDUAL_BLOCKS = 3
#: The photo's values are kept this far from 0 and 1 before its logit is taken.
_EDGE = 0.01


class InstanceNormalization(keras.layers.Layer):
    """Normalise each picture's channels over its own positions; learned scale and shift.

    ``y[b, i, j, c] = scale[c] * (x[b, i, j, c] - mean[b, c]) / sqrt(var[b, c] + eps) + shift[c]``,
    with ``mean`` and ``var`` over the positions ``(i, j)`` of picture ``b`` only (Ulyanov et
    al., 2016). Input and output (B, H, W, C).
    """

    def __init__(self, epsilon: float = 1e-5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape: Any) -> None:
        channels = int(input_shape[-1])
        self.scale = self.add_weight(name="scale", shape=(channels,), initializer="ones")
        self.shift = self.add_weight(name="shift", shape=(channels,), initializer="zeros")

    def call(self, x: Any) -> Any:
        mean, variance = tf.nn.moments(x, axes=[1, 2], keepdims=True)
        return self.scale * (x - mean) * tf.math.rsqrt(variance + self.epsilon) + self.shift


class ReflectConv(keras.layers.Layer):
    """A convolution padded by reflection (``kernel // 2`` pixels on every side)."""

    def __init__(self, filters: int, kernel: int, stride: int = 1, zero: bool = False, **kw: Any):
        super().__init__(**kw)
        self.pad = kernel // 2
        self.conv = keras.layers.Conv2D(
            filters,
            kernel,
            strides=stride,
            padding="valid",
            kernel_initializer="zeros" if zero else "he_normal",
        )

    def call(self, x: Any) -> Any:
        p = self.pad
        return self.conv(tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT"))


class ConvNormRelu(keras.layers.Layer):
    """Reflect-padded convolution, instance normalisation, optional ReLU (and 2x upsampling
    before, for the upsampling stages)."""

    def __init__(
        self,
        filters: int,
        kernel: int,
        stride: int = 1,
        relu: bool = True,
        up: bool = False,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.up, self.relu = up, relu
        self.conv = ReflectConv(filters, kernel, stride)
        self.norm = InstanceNormalization()

    def call(self, x: Any) -> Any:
        if self.up:
            x = tf.repeat(tf.repeat(x, 2, axis=1), 2, axis=2)  # nearest-neighbour, 2x
        x = self.norm(self.conv(x))
        return tf.nn.relu(x) if self.relu else x


class ResidualBlock(keras.layers.Layer):
    """``x + IN(conv(ReLU(IN(conv(x)))))``: the block learns a change of its input."""

    def __init__(self, filters: int, **kw: Any) -> None:
        super().__init__(**kw)
        self.first = ConvNormRelu(filters, 3)
        self.second = ConvNormRelu(filters, 3, relu=False)

    def call(self, x: Any) -> Any:
        return x + self.second(self.first(x))


class TransformNetwork(keras.Model):
    """The image transformation network: photos (B, H, W, 3) in [0, 1] -> pictures, same shape,
    float32 in (0, 1). See the module docstring for the layers.

    Attributes:
        channels: (c1, c2, c3).
        residual_blocks: how many residual blocks.
    """

    def __init__(
        self,
        channels: Sequence[int] = DEFAULT_CHANNELS,
        residual_blocks: int = DEFAULT_RESIDUAL_BLOCKS,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        if len(channels) != 3 or any(int(c) < 1 for c in channels):
            raise ValueError(
                f"channels must be three positive numbers (c1, c2, c3), e.g. {DEFAULT_CHANNELS}; "
                f"got {tuple(channels)}"
            )
        if int(residual_blocks) < 0:
            raise ValueError(f"residual_blocks must be 0 or more, e.g. 3; got {residual_blocks}")
        c1, c2, c3 = (int(c) for c in channels)
        self.channels = (c1, c2, c3)
        self.residual_blocks = int(residual_blocks)
        self.down = [ConvNormRelu(c1, 9), ConvNormRelu(c2, 3, 2), ConvNormRelu(c3, 3, 2)]
        self.blocks = [ResidualBlock(c3) for _ in range(self.residual_blocks)]
        self.up = [ConvNormRelu(c2, 3, up=True), ConvNormRelu(c1, 3, up=True)]
        self.out = ReflectConv(3, 5, zero=True)

    def call(self, photos: Any, training: bool = False) -> Any:
        """Pictures for ``photos`` (B, H, W, 3) float32 in [0, 1]; any H, W >= 8."""
        x = tf.convert_to_tensor(photos, tf.float32)
        height, width = tf.shape(x)[1], tf.shape(x)[2]
        pad_h, pad_w = (-height) % 4, (-width) % 4
        padded = tf.pad(x, [[0, 0], [0, pad_h], [0, pad_w], [0, 0]], mode="REFLECT")
        h = padded
        for layer in self.down:
            h = layer(h)
        for block in self.blocks:
            h = block(h)
        for layer in self.up:
            h = layer(h)
        delta = self.out(h)[:, :height, :width, :]
        photo = tf.clip_by_value(x, _EDGE, 1.0 - _EDGE)
        return tf.sigmoid(tf.math.log(photo / (1.0 - photo)) + delta)


def build_transform_network(
    channels: Sequence[int] = DEFAULT_CHANNELS,
    residual_blocks: int = DEFAULT_RESIDUAL_BLOCKS,
    seed: int = 0,
) -> TransformNetwork:
    """A new, built :class:`TransformNetwork` (weights drawn from ``seed``; it returns its input
    photo until trained).

    Args:
        channels: (c1, c2, c3) channels of the three downsampling stages.
        residual_blocks: residual blocks at a quarter of the size.
        seed: seed of the He-normal initial weights (the same seed gives the same network).

    Returns:
        The network, its variables created (called once on a 16x16 picture).
    """
    keras.utils.set_random_seed(int(seed))
    network = TransformNetwork(channels, residual_blocks)
    network(tf.zeros((1, 16, 16, 3)))
    return network


def network_weights_arrays(network: TransformNetwork) -> list[np.ndarray]:
    """The network's weights as float32 arrays, in the network's own (stable) order."""
    return [np.asarray(w, np.float32) for w in network.get_weights()]


def save_network_weights(
    network: TransformNetwork, path: str | os.PathLike[str], dtype: Any = np.float16
) -> Path:
    """Save the weights (and the architecture) to an ``.npz`` file, replacing it atomically.

    Args:
        network: a built :class:`TransformNetwork`.
        path: the ``.npz`` file (the network's own file: it is replaced when it exists).
        dtype: the stored float type; float16 halves the file (about 340 KB by default) and
            changes the pictures by less than 1/255.

    Returns:
        The path written.
    """
    path = Path(path)
    arrays = {f"w{i:03d}": w.astype(dtype) for i, w in enumerate(network_weights_arrays(network))}
    arrays["channels"] = np.asarray(network.channels, np.int32)
    arrays["residual_blocks"] = np.asarray(network.residual_blocks, np.int32)
    packed = io.BytesIO()  # the archive in memory, then one atomic write (labhelpers.files)
    np.savez_compressed(packed, **arrays)
    return write_file(path, packed.getvalue(), overwrite=True)


def load_network_weights(path: str | os.PathLike[str]) -> TransformNetwork:
    """A :class:`TransformNetwork` with the architecture and weights saved in ``path`` (.npz).

    Raises:
        ValueError: the file is not a saved transformation network.
    """
    with np.load(Path(path)) as data:
        names = sorted(k for k in data.files if k.startswith("w"))
        if "channels" not in data.files or not names:
            raise ValueError(
                f"{path} is not a saved transformation network (.npz from save_network_weights)"
            )
        network = build_transform_network(
            tuple(int(c) for c in data["channels"]), int(data["residual_blocks"])
        )
        network.set_weights([data[name].astype(np.float32) for name in names])
    return network
