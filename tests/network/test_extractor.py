"""The VGG16 feature extractor: layer arithmetic, preprocessing, shapes, errors."""

from __future__ import annotations

import numpy as np
import pytest

from labhelpers.network.extractor import preprocess
from labhelpers.network.layers import VGG16_LAYERS, describe_layers
from labhelpers.network.model import random_weights


def test_caffe_and_torch_preprocessing_by_hand():
    pixel = np.array([[[[1.0, 0.5, 0.0]]]], np.float32)  # RGB
    caffe = preprocess(pixel, "caffe").numpy().ravel()
    np.testing.assert_allclose(caffe, [0.0 - 103.939, 127.5 - 116.779, 255.0 - 123.68], rtol=1e-6)
    torch = preprocess(pixel, "torch").numpy().ravel()
    np.testing.assert_allclose(
        torch, [(1 - 0.485) / 0.229, (0.5 - 0.456) / 0.224, (0 - 0.406) / 0.225], rtol=1e-6
    )
    with pytest.raises(ValueError, match="'caffe' or 'torch'"):
        preprocess(pixel, "tf")


def test_output_shapes_follow_describe_layers(random_extractor):
    image = np.random.default_rng(0).random((45, 30, 3)).astype(np.float32)
    features = random_extractor(image)
    assert list(features) == list(VGG16_LAYERS)
    expected = {row["name"]: row["output_shape"] for row in describe_layers(45, 30)}
    for name, value in features.items():
        assert tuple(value.shape) == (1, *expected[name])
        assert float(np.min(value)) >= 0.0  # outputs are taken after the ReLU


def test_with_layers_shares_the_network(random_extractor):
    sub = random_extractor.with_layers(["block3_conv1"])
    assert sub.base_model is random_extractor.base_model
    image = np.full((16, 16, 3), 0.3, np.float32)
    np.testing.assert_array_equal(
        sub(image)["block3_conv1"], random_extractor(image)["block3_conv1"]
    )


def test_bad_layer_and_bad_image_messages(random_extractor):
    with pytest.raises(ValueError, match="choose from"):
        random_extractor.with_layers(["conv5_3"])
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        random_extractor(np.zeros((16, 16), np.float32))


def test_random_weights_are_reproducible():
    a, b, c = random_weights(1), random_weights(1), random_weights(2)
    np.testing.assert_array_equal(a[5][0], b[5][0])
    assert not np.array_equal(a[5][0], c[5][0])
