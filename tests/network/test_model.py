"""network.model: the plain-TensorFlow VGG16 pass agrees with Keras's model; parameters by
layer."""

from __future__ import annotations

import numpy as np
import pytest

from labhelpers.network.model import (
    build_vgg16_model,
    random_weights,
    set_conv_weights,
    vgg16_forward,
)


def test_plain_forward_in_float32_equals_the_keras_model(random_extractor):
    """Two independent writings of VGG16 (Keras's layers, tf.nn ops) give the same feature maps."""
    from labhelpers.config import import_tensorflow

    tf = import_tensorflow()
    layers = ["block1_conv2", "block3_conv1", "block5_conv3"]
    image = np.random.default_rng(3).random((1, 37, 50, 3)).astype(np.float32)
    plain = vgg16_forward(random_extractor, layers, tf.float32)(tf.constant(image))
    keras_maps = random_extractor.with_layers(layers)(image)
    assert list(plain) == layers
    for name in layers:
        np.testing.assert_allclose(
            plain[name].numpy(), keras_maps[name].numpy(), rtol=1e-4, atol=1e-4
        )


def test_bfloat16_forward_is_close(random_extractor):
    from labhelpers.config import import_tensorflow

    tf = import_tensorflow()
    image = np.random.default_rng(4).random((1, 32, 32, 3)).astype(np.float32)
    low = vgg16_forward(random_extractor, ["block2_conv1"], tf.bfloat16)(tf.constant(image))[
        "block2_conv1"
    ]
    full = random_extractor.with_layers(["block2_conv1"])(image)["block2_conv1"]
    assert low.dtype == tf.float32  # cast back for the losses
    scale = float(np.abs(full.numpy()).max())
    assert (
        float(np.abs(low.numpy() - full.numpy()).max()) < 0.05 * scale
    )  # bfloat16: 8 bits of mantissa


def test_unknown_layers_are_refused(random_extractor):
    from labhelpers.config import import_tensorflow

    with pytest.raises(ValueError, match="choose from"):
        vgg16_forward(random_extractor, ["conv5_3"], import_tensorflow().float32)


def test_set_conv_weights_puts_each_pair_in_its_layer():
    model = build_vgg16_model()
    pairs = random_weights(7)
    set_conv_weights(model, pairs)
    kernel, bias = model.get_layer("block4_conv2").get_weights()
    np.testing.assert_array_equal(kernel, pairs[8][0])  # block4_conv2 is the 9th convolution
    assert kernel.shape == (3, 3, 512, 512) and bias.shape == (512,)
    with pytest.raises(ValueError, match="needs 13"):
        set_conv_weights(model, pairs[:12])
