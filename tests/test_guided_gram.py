"""The guided Gram matrix (lesson 08): against a NumPy loop written from the definition, the plain
Gram matrix for an all-ones mask, hand-computed values, and its refusals."""

from __future__ import annotations

import numpy as np
import pytest

from labhelpers.losses import gram_matrix, guided_gram_matrix


def loop_reference(features: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sum_p (m_p F_pc)(m_p F_pd) / (C * sum_p m_p^2), one position at a time (float64)."""
    _, height, width, channels = features.shape
    out = np.zeros((channels, channels))
    area = 0.0
    for i in range(height):
        for j in range(width):
            weighted = mask[i, j] * features[0, i, j].astype(np.float64)
            out += np.outer(weighted, weighted)
            area += float(mask[i, j]) ** 2
    return out / (channels * area)


@pytest.mark.parametrize("shape", [(1, 4, 5, 3), (1, 7, 3, 6)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_guided_gram_matches_a_loop_over_positions(shape, dtype):
    rng = np.random.default_rng(3)
    features = (2 * rng.random(shape)).astype(dtype)
    mask = rng.random(shape[1:3]).astype(dtype)
    got = guided_gram_matrix(features, mask).numpy()
    assert got.dtype == dtype
    np.testing.assert_allclose(got, loop_reference(features, mask), rtol=1e-5)


def test_an_all_ones_mask_gives_the_plain_gram_matrix():
    features = np.random.default_rng(0).random((1, 6, 5, 4)).astype(np.float32)
    np.testing.assert_allclose(
        guided_gram_matrix(features, np.ones((6, 5), np.float32)).numpy(),
        gram_matrix(features).numpy(),
        rtol=1e-6,
    )


def test_a_hard_mask_is_the_gram_matrix_of_the_positions_inside():
    """Hand-computed: one channel, values 1, 2, 3, 4 in a 2x2 map, mask on the first row only:
    (1*1 + 2*2) / (1 channel * 2 positions) = 2.5."""
    features = np.array([[[[1.0], [2.0]], [[3.0], [4.0]]]])
    mask = np.array([[1.0, 1.0], [0.0, 0.0]])
    assert float(guided_gram_matrix(features, mask).numpy()[0, 0]) == pytest.approx(2.5)
    # the same positions cut out and put through the plain Gram matrix
    inside = features[:, :1]
    np.testing.assert_allclose(
        guided_gram_matrix(features, mask).numpy(), gram_matrix(inside).numpy()
    )


def test_scaling_the_mask_changes_nothing():
    """Normalised by the area sum(m^2): a mask of 0.5 everywhere is the all-ones mask."""
    features = np.random.default_rng(1).random((1, 3, 4, 2)).astype(np.float32)
    np.testing.assert_allclose(
        guided_gram_matrix(features, np.full((3, 4), 0.5, np.float32)).numpy(),
        gram_matrix(features).numpy(),
        rtol=1e-6,
    )


def test_mask_shapes_accepted_and_an_empty_mask_gives_zeros():
    features = np.random.default_rng(2).random((1, 3, 4, 2)).astype(np.float32)
    mask = np.random.default_rng(3).random((3, 4)).astype(np.float32)
    expected = guided_gram_matrix(features, mask).numpy()
    for variant in (mask[..., None], mask[None, ..., None]):
        np.testing.assert_allclose(guided_gram_matrix(features, variant).numpy(), expected)
    np.testing.assert_allclose(guided_gram_matrix(features[0], mask).numpy(), expected)
    assert not np.any(guided_gram_matrix(features, np.zeros((3, 4))).numpy())


def test_wrong_mask_grids_and_batches_are_refused():
    features = np.zeros((1, 3, 4, 2), np.float32)
    with pytest.raises(ValueError, match="not the features' grid"):
        guided_gram_matrix(features, np.ones((6, 8)))
    with pytest.raises(ValueError, match=r"\(H, W\), \(H, W, 1\)"):
        guided_gram_matrix(features, np.ones((3, 4, 3)))
    with pytest.raises(ValueError, match="one image"):
        guided_gram_matrix(np.zeros((2, 3, 4, 2)), np.ones((3, 4)))


def test_gradient_flows_to_the_features_only_inside_the_mask():
    import tensorflow as tf

    features = tf.Variable(np.random.default_rng(4).random((1, 2, 3, 2)).astype(np.float32))
    mask = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]], np.float32)
    with tf.GradientTape() as tape:
        value = tf.reduce_sum(guided_gram_matrix(features, mask))
    grad = tape.gradient(value, features).numpy()[0]
    assert np.all(grad[mask == 0] == 0) and np.all(np.abs(grad[mask == 1]) > 0)
