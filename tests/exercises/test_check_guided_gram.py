"""check_guided_gram (lesson 08's exercise): right answers pass, each typical mistake gets its own
diagnosis. The student-style functions are written here, independently of labhelpers."""

from __future__ import annotations

import pytest
import tensorflow as tf

from labhelpers.exercises.checks import check_guided_gram

from .helpers import gram, verdict


def einsum_guided(features, mask):
    """A right answer written another way: einsum over positions, mask squared once."""
    weights = tf.square(mask)
    total = tf.einsum("hw,hwc,hwd->cd", weights, features[0], features[0])
    channels = tf.cast(tf.shape(features)[-1], features.dtype)
    return total / (channels * tf.reduce_sum(weights))


def _weighted(features, mask):
    flat = tf.reshape(features[0] * mask[..., None], (-1, tf.shape(features)[-1]))
    return flat


def _channels(features):
    return tf.cast(tf.shape(features)[-1], features.dtype)


def by_all_positions(features, mask):
    f = _weighted(features, mask)
    return tf.matmul(f, f, transpose_a=True) / tf.cast(tf.size(features), features.dtype)


def by_mask_sum(features, mask):
    f = _weighted(features, mask)
    return tf.matmul(f, f, transpose_a=True) / (_channels(features) * tf.reduce_sum(mask))


def one_factor_weighted(features, mask):
    f = _weighted(features, mask)
    plain = tf.reshape(features, (-1, tf.shape(features)[-1]))
    return tf.matmul(f, plain, transpose_a=True) / (_channels(features) * tf.reduce_sum(mask))


def without_channels(features, mask):
    f = _weighted(features, mask)
    return tf.matmul(f, f, transpose_a=True) / tf.reduce_sum(tf.square(mask))


def ignores_mask(features, mask):
    return gram(features)


def positions_gram(features, mask):
    f = _weighted(features, mask)
    return tf.matmul(f, f, transpose_b=True)


def test_right_answers_pass(capsys):
    ok, out = verdict(capsys, check_guided_gram, einsum_guided, seed=0)
    assert ok and "✅ guided_gram" in out


@pytest.mark.parametrize(
    "fn, words",
    [
        (ignores_mask, "plain Gram matrix: the mask changes nothing"),
        (by_all_positions, "you divided by H*W*C"),
        (by_mask_sum, "C * sum(mask), but both factors"),
        (one_factor_weighted, "only one factor of the product"),
        (without_channels, "division by the number of channels is missing"),
        (positions_gram, "(H*W, H*W)"),
    ],
)
def test_each_mistake_gets_its_diagnosis(fn, words, capsys):
    ok, out = verdict(capsys, check_guided_gram, fn, seed=1)
    assert not ok and "❌ guided_gram" in out
    assert words in out, out


def test_not_written_yet(capsys):
    def guided_gram(features, mask):
        raise NotImplementedError

    ok, out = verdict(capsys, check_guided_gram, guided_gram, seed=2)
    assert not ok and "⏳ guided_gram: not implemented yet" in out
