"""check_style_gradient: closed forms that are right pass on every seed, each usual mistake gets
its own diagnosis, and the checker's reference (the tape) is the hand-derived gradient.

The student-style functions are written here by hand, as students write them (NumPy or
TensorFlow, in Gatys' (C, H*W) layout or the lecture's (H*W, C)).
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from labhelpers.exercises import solutions
from labhelpers.exercises.checks import check_style_gradient
from labhelpers.exercises.checks.style_gradient import tape_style_gradient

from .helpers import verdict


def _parts(features, target):
    _, height, width, channels = features.shape
    flat = features.reshape(height * width, channels)
    n = height * width * channels
    return flat, n, channels, flat.T @ flat / n - target


# --------------------------------------------------------------------------- right answers


def gradient_gatys_layout(features, gram_target):
    """In the paper's layout: F of shape (C, H*W), G = F F^T / N."""
    _, height, width, channels = features.shape
    f = features.reshape(-1, channels).T  # (C, H*W)
    n = f.size
    gram = f @ f.T / n
    d = (4.0 / (n * channels**2)) * (gram - gram_target) @ f  # (C, H*W)
    return d.T.reshape(features.shape)


def gradient_tensorflow(features, gram_target):
    """Closed form written with tf ops, returns a tensor."""
    f = tf.reshape(tf.constant(features), (-1, features.shape[-1]))
    n = tf.cast(tf.size(f), f.dtype)
    c = tf.cast(tf.shape(f)[1], f.dtype)
    gram = tf.matmul(f, f, transpose_a=True) / n
    return tf.reshape(4.0 * tf.matmul(f, gram - gram_target) / (n * c * c), features.shape)


def gradient_einsum(features, gram_target):
    f = features[0]
    h, w, c = f.shape
    gram = np.einsum("hwi,hwj->ij", f, f) / f.size
    return (4.0 / (f.size * c * c) * np.einsum("hwi,ij->hwj", f, gram - gram_target))[None]


RIGHT = [solutions.style_gradient, gradient_gatys_layout, gradient_tensorflow, gradient_einsum]


@pytest.mark.parametrize("fn", RIGHT, ids=lambda f: f.__name__)
def test_right_closed_forms_pass(capsys, fn):
    passed, out = verdict(capsys, check_style_gradient, fn, seed=0)
    assert passed, out
    assert out.startswith("✅ style_gradient")


def test_no_false_verdict_over_seeds(capsys):
    for fn in RIGHT:
        for seed in range(15):
            passed, out = verdict(capsys, check_style_gradient, fn, seed=seed)
            assert passed and "❌" not in out and "⚠️" not in out, (fn.__name__, seed, out)


# --------------------------------------------------------------------------- the reference


def test_tape_reference_is_the_hand_derivation():
    """One position, one channel: L = (f^2 - a)^2, so dL/df = 4 f (f^2 - a) (by hand)."""
    for f, a in ((1.5, 0.5), (0.3, 2.0), (0.0, 1.0)):
        got = tape_style_gradient(np.array([[[[f]]]]), np.array([[a]]))
        assert got.shape == (1, 1, 1, 1)
        assert got[0, 0, 0, 0] == pytest.approx(4 * f * (f * f - a))
    # two positions, one channel: G = (f1^2 + f2^2) / 2, dL/df1 = 2 (G - a) f1
    f1, f2, a = 0.7, 1.3, 0.4
    g = (f1 * f1 + f2 * f2) / 2
    got = tape_style_gradient(np.array([[[[f1], [f2]]]]), np.array([[a]]))
    assert got[0, 0, :, 0] == pytest.approx([2 * (g - a) * f1, 2 * (g - a) * f2])


# --------------------------------------------------------------------------- mistakes


def wrong_sign(features, gram_target):
    flat, n, c, d = _parts(features, gram_target)
    return (-4.0 / (n * c * c) * flat @ d).reshape(features.shape)


def missing_two(features, gram_target):
    flat, n, c, d = _parts(features, gram_target)
    return (2.0 / (n * c * c) * flat @ d).reshape(features.shape)


def missing_both_twos(features, gram_target):
    flat, n, c, d = _parts(features, gram_target)
    return (flat @ d / (n * c * c)).reshape(features.shape)


def two_too_many(features, gram_target):
    flat, n, c, d = _parts(features, gram_target)
    return (8.0 / (n * c * c) * flat @ d).reshape(features.shape)


def no_mean(features, gram_target):
    flat, n, c, d = _parts(features, gram_target)
    return (4.0 / n * flat @ d).reshape(features.shape)


def no_gram_normalisation(features, gram_target):
    flat, n, c, d = _parts(features, gram_target)
    return (4.0 / (c * c) * flat @ d).reshape(features.shape)


def no_normalisation(features, gram_target):
    flat, n, c, d = _parts(features, gram_target)
    return (4.0 * flat @ d).reshape(features.shape)


def paper_constant(features, gram_target):
    flat, n, c, d = _parts(features, gram_target)
    m = flat.shape[0]
    return (flat @ d / (c**2 * m**2)).reshape(features.shape)


def relu_mask(features, gram_target):
    flat, n, c, d = _parts(features, gram_target)
    grad = (4.0 / (n * c * c) * flat @ d).reshape(features.shape)
    return np.where(features > 0, grad, 0.0)


def straight_reshape(features, gram_target):
    c = features.shape[-1]
    f = features.reshape(c, -1)  # (C, H*W) straight from (1, H, W, C)
    n = f.size
    return (4.0 / (n * c * c) * (f @ f.T / n - gram_target) @ f).reshape(features.shape)


def left_transposed(features, gram_target):
    flat, n, c, d = _parts(features, gram_target)
    return (4.0 / (n * c * c) * d @ flat.T).reshape(features.shape)


def returns_d_gram(features, gram_target):
    flat, n, c, d = _parts(features, gram_target)
    return 2 * d / (c * c)


def flat_result(features, gram_target):
    flat, n, c, d = _parts(features, gram_target)
    return 4.0 / (n * c * c) * flat @ d


def gatys_layout_result(features, gram_target):
    return flat_result(features, gram_target).T


def by_tape(features, gram_target):
    variable = tf.Variable(features)
    with tf.GradientTape() as tape:
        f = tf.reshape(variable, (-1, features.shape[-1]))
        gram = tf.matmul(f, f, transpose_a=True) / tf.cast(tf.size(f), f.dtype)
        loss = tf.reduce_mean(tf.square(gram - gram_target))
    return tape.gradient(loss, variable)


def other_factor(features, gram_target):
    flat, n, c, d = _parts(features, gram_target)
    return (5.0 / (n * c * c) * flat @ d).reshape(features.shape)


def no_return(features, gram_target):
    _parts(features, gram_target)


def not_written(features, gram_target):
    raise NotImplementedError


WRONG = [
    (wrong_sign, "wrong sign"),
    (missing_two, "a factor 2 is missing"),
    (missing_both_twos, "both factors 2 are missing"),
    (two_too_many, "a factor 2 too many"),
    (no_mean, "the mean's normalisation is missing"),
    (no_gram_normalisation, "the Gram matrix's normalisation is missing"),
    (no_normalisation, "both normalisations are missing"),
    (paper_constant, "the paper's constant"),
    (relu_mask, "ReLU mask of eq. 6"),
    (straight_reshape, "straight to (C, H*W)"),
    (left_transposed, "without transposing it back"),
    (returns_d_gram, "it is dL/dG, not dL/dF"),
    (flat_result, "right layout, not yet the map's shape"),
    (gatys_layout_result, "the paper's layout"),
    (by_tape, "asks TensorFlow for the gradient"),
    (other_factor, "1.25 times the right one"),
    (no_return, "returned None"),
]


@pytest.mark.parametrize("fn, words", WRONG, ids=[fn.__name__ for fn, _ in WRONG])
def test_each_mistake_gets_its_diagnosis(capsys, fn, words):
    passed, out = verdict(capsys, check_style_gradient, fn, seed=3)
    assert not passed
    assert out.startswith("❌ style_gradient"), out
    assert words in out, out
    if fn is not by_tape:  # (the tape is judged once, after the values: no input to repeat)
        assert "check_style_gradient(style_gradient, seed=3)" in out


def test_mistakes_are_named_on_every_seed(capsys):
    """The named mistakes stay named whatever the random maps (no chance match elsewhere)."""
    for seed in range(8):
        for fn, words in WRONG[:11]:
            passed, out = verdict(capsys, check_style_gradient, fn, seed=seed)
            assert not passed and words in out, (fn.__name__, seed, out)


def test_not_written_yet(capsys):
    passed, out = verdict(capsys, check_style_gradient, not_written, seed=0)
    assert not passed and out.startswith("⏳ style_gradient")


@pytest.mark.parametrize(
    "fn, words",
    [
        (lambda f, a: "dL/dF", "not an array of numbers"),
        (lambda f, a: np.zeros((2, 2)), "but dL/dF has the shape of features"),
        (lambda f, a: np.ones(f.shape), "differs from GradientTape's: at index"),
    ],
    ids=["text", "shape", "values"],
)
def test_the_other_diagnoses(capsys, fn, words):
    passed, out = verdict(capsys, check_style_gradient, fn, seed=3)
    assert not passed and out.startswith("❌ style_gradient"), out
    assert words in out, out
