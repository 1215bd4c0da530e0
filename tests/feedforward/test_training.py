"""Training a style network: the loss against NumPy, a step lowers it, the loop keeps the weights
when interrupted, the crops."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from labhelpers.feedforward.network import build_transform_network
from labhelpers.feedforward.photos import HELD_OUT, TrainingPhotos
from labhelpers.feedforward.training import NetworkLoss, train_network, training_step

STYLE = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")


def numpy_gram(f):
    flat = f.reshape(-1, f.shape[-1]).astype(np.float64)
    return flat.T @ flat / f.size


@pytest.fixture(scope="module")
def painting():
    return np.random.default_rng(9).random((40, 48, 3)).astype(np.float32)


def test_the_loss_matches_numpy_on_keras_features(extractor, painting):
    """The terms, recomputed from the Keras VGG16 (not the plain-ops copy the loss runs) with
    NumPy formulas: relative content error, relative Gram errors, TV per pixel."""
    loss = NetworkLoss(painting, extractor, precision="float32", painting_size=48)
    rng = np.random.default_rng(1)
    photos = rng.random((2, 32, 36, 3)).astype(np.float32)
    pictures = rng.random((2, 32, 36, 3)).astype(np.float32)
    got = {k: float(v) for k, v in loss.terms(pictures, photos).items()}
    maps = {k: v.numpy() for k, v in extractor(pictures).items()}
    refs = {k: v.numpy() for k, v in extractor(photos).items()}
    style_maps = {k: v.numpy() for k, v in extractor(painting).items()}
    p = refs["block4_conv2"]
    content = np.mean((maps["block4_conv2"] - p) ** 2) / np.mean(p**2)
    style = 0.0
    for name in STYLE:
        a = numpy_gram(style_maps[name])
        errors = [np.mean((numpy_gram(maps[name][b]) - a) ** 2) for b in range(2)]
        style += np.mean(errors) / np.mean(a**2) / len(STYLE)
    tv = (np.abs(np.diff(pictures, axis=1)).sum() + np.abs(np.diff(pictures, axis=2)).sum()) / (
        2 * 32 * 36
    )
    assert got["content"] == pytest.approx(content, rel=1e-3)
    assert got["style"] == pytest.approx(10 * style, rel=1e-3)
    assert got["tv"] == pytest.approx(tv, rel=1e-4)


def test_training_steps_lower_the_loss_on_a_fixed_batch(extractor, painting):
    loss = NetworkLoss(painting, extractor, precision="float32", painting_size=48)
    network = build_transform_network(seed=0)
    photos = tf.constant(np.random.default_rng(2).random((2, 32, 32, 3)).astype(np.float32))
    optimizer = tf.keras.optimizers.Adam(1e-2)
    losses = [float(training_step(network, photos, loss, optimizer)) for _ in range(12)]
    assert float(loss(network(photos), photos)) < 0.8 * losses[0], losses


def test_an_interrupt_keeps_the_latest_weights(extractor, painting):
    loss = NetworkLoss(painting, extractor, precision="float32", painting_size=48)
    network = build_transform_network(seed=0)
    start = [w.copy() for w in network.get_weights()]
    calls = []

    def step(network, photos, loss_fn, optimizer):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return training_step(network, photos, loss_fn, optimizer)

    photos = TrainingPhotos(["astronaut"], crop=32, scale_range=(40, 60))
    result = train_network(
        photos, loss, network=network, steps=10, step_fn=step, compile_step=False, batch_size=1
    )
    assert result.stopped == "interrupt" and result.steps == 2
    assert result.network is network
    assert any(not np.array_equal(a, b) for a, b in zip(start, network.get_weights()))


def test_crops_flips_and_scales():
    photos = TrainingPhotos(["astronaut", "raccoon"], crop=48, scale_range=(64, 96), seed=3)
    batch = photos.batch(5)
    assert batch.shape == (5, 48, 48, 3) and batch.dtype == np.float32
    assert 0.0 <= batch.min() and batch.max() <= 1.0
    again = TrainingPhotos(["astronaut", "raccoon"], crop=48, scale_range=(64, 96), seed=3)
    np.testing.assert_array_equal(again.batch(5), batch)
    assert len({b.tobytes() for b in batch}) == 5


def test_held_out_photos_are_refused():
    with pytest.raises(ValueError, match="held out"):
        TrainingPhotos(["astronaut", HELD_OUT[0]])
    with pytest.raises(ValueError, match="crop"):
        TrainingPhotos(["astronaut"], crop=300)
