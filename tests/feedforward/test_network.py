"""The transformation network of lesson 09: shapes, range, the photo at the start, instance
normalisation against NumPy, weight files."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from labhelpers.feedforward.network import (
    InstanceNormalization,
    build_transform_network,
    load_network_weights,
    save_network_weights,
)


@pytest.mark.parametrize(("batch", "height", "width"), [(1, 37, 50), (2, 64, 64), (3, 21, 18)])
def test_any_size_in_same_size_out_in_the_unit_range(batch, height, width):
    network = build_transform_network(seed=1)
    rng = np.random.default_rng(0)
    network.set_weights([rng.normal(0, 0.3, w.shape) for w in network.get_weights()])
    photos = rng.random((batch, height, width, 3)).astype(np.float32)
    pictures = network(photos).numpy()
    assert pictures.shape == photos.shape and pictures.dtype == np.float32
    assert pictures.min() > 0.0 and pictures.max() < 1.0
    assert np.abs(pictures - np.clip(photos, 0.01, 0.99)).max() > 0.05  # it changes the photo


def test_a_new_network_returns_its_photo():
    """The last convolution starts at zero: sigmoid(logit(photo)) is the photo (kept off 0, 1)."""
    photo = np.random.default_rng(2).random((1, 30, 41, 3)).astype(np.float32)
    picture = build_transform_network(seed=3)(photo).numpy()
    np.testing.assert_allclose(picture, np.clip(photo, 0.01, 0.99), atol=1e-5)


def test_instance_normalisation_matches_numpy():
    x = np.random.default_rng(4).normal(2.0, 3.0, (2, 5, 6, 4)).astype(np.float32)
    layer = InstanceNormalization()
    layer.build(x.shape)
    layer.scale.assign([1.0, 2.0, 0.5, -1.0])
    layer.shift.assign([0.0, 1.0, -1.0, 0.5])
    mean = x.mean(axis=(1, 2), keepdims=True)
    std = np.sqrt(x.var(axis=(1, 2), keepdims=True) + 1e-5)
    expected = (x - mean) / std * np.array([1.0, 2.0, 0.5, -1.0]) + np.array([0.0, 1.0, -1, 0.5])
    np.testing.assert_allclose(layer(tf.constant(x)).numpy(), expected, atol=1e-4)


def test_weights_file_is_small_and_gives_the_same_pictures(tmp_path):
    network = build_transform_network(seed=5)
    rng = np.random.default_rng(5)
    network.set_weights([rng.normal(0, 0.2, w.shape) for w in network.get_weights()])
    path = save_network_weights(network, tmp_path / "net.npz")
    assert path.stat().st_size < 500_000
    again = load_network_weights(path)
    assert again.channels == network.channels
    photo = rng.random((1, 40, 48, 3)).astype(np.float32)
    assert np.abs(again(photo).numpy() - network(photo).numpy()).max() < 1 / 255


def test_bad_architecture_and_not_a_network_file(tmp_path):
    with pytest.raises(ValueError, match="three positive numbers"):
        build_transform_network(channels=(16, 32))
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="not a saved transformation network"):
        load_network_weights(tmp_path / "other.npz")
