"""Issue 28's checker misjudgements, one test per kind: answers that are right in the notebook must
pass (sums started from a float32 zero, Keras's MeanSquaredError object, a style loss over one
triangle of the symmetric Gram matrices, a function that writes into the ``features`` dict), and
mistakes that break the notebook must be named (a layered loss looping over ``targets``, a total
loss that ignores ``content_targets``, takes only its first layer or averages it).

The student versions are written here, a student's way, independently of the checkers.
"""

from __future__ import annotations

import pytest
import tensorflow as tf

from labhelpers.exercises.checks import (
    check_content_loss,
    check_layered_content_loss,
    check_layered_style_loss,
    check_style_loss,
    check_total_loss,
)

from .helpers import gram, mse, verdict

SEEDS = range(8)


def _tv(image):
    return tf.reduce_sum(tf.abs(image[:, 1:] - image[:, :-1])) + tf.reduce_sum(
        tf.abs(image[:, :, 1:] - image[:, :, :-1])
    )


# --------------------------------------------------------------------------- false fails


def layered_content_from_zero(features, targets, weights):
    total = tf.constant(0.0)  # float32, as the notebook's features are
    for layer, weight in weights.items():
        total += weight * mse(features[layer], targets[layer])
    return total


def layered_style_from_zeros(features, targets, weights):
    total = tf.zeros(())
    for layer, weight in weights.items():
        total += weight * mse(gram(features[layer]), targets[layer])
    return total


def total_from_zero(image, features, content_targets, style_targets, alpha, beta, gamma):
    content, style = tf.constant(0.0), tf.zeros(())
    for layer, target in content_targets.items():
        content += mse(features[layer], target)
    for layer, target in style_targets.items():
        style += mse(gram(features[layer]), target)
    return alpha * content + beta * style + gamma * _tv(image)


def layered_style_writing_features(features, targets, weights):
    total = 0.0
    for layer, weight in weights.items():
        features[layer] = gram(features[layer])  # overwrites the caller's entry
        total += weight * mse(features[layer], targets[layer])
    return total


def total_writing_features(image, features, content_targets, style_targets, alpha, beta, gamma):
    for layer in style_targets:
        features[layer] = gram(features[layer])
    content = tf.add_n([mse(features[n], t) for n, t in content_targets.items()])
    style = tf.add_n([mse(features[n], t) for n, t in style_targets.items()])
    return alpha * content + beta * style + gamma * _tv(image)


def style_upper_triangle(gram_generated, gram_reference):
    """Each off-diagonal pair once, counted twice: the same number for symmetric matrices."""
    difference = gram_generated - gram_reference
    upper = tf.linalg.band_part(tf.square(difference), 0, -1)
    diagonal = tf.square(tf.linalg.diag_part(difference))
    total = 2.0 * tf.reduce_sum(upper) - tf.reduce_sum(diagonal)
    return total / tf.cast(tf.size(difference), difference.dtype)


RIGHT_IN_THE_NOTEBOOK = [
    (check_layered_content_loss, layered_content_from_zero),
    (check_layered_style_loss, layered_style_from_zeros),
    (check_total_loss, total_from_zero),
    (check_content_loss, tf.keras.losses.MeanSquaredError()),
    (check_style_loss, tf.keras.losses.MeanSquaredError()),
    (check_style_loss, style_upper_triangle),
    (check_layered_style_loss, layered_style_writing_features),
    (check_total_loss, total_writing_features),
]


@pytest.mark.parametrize(
    "check, fn",
    RIGHT_IN_THE_NOTEBOOK,
    ids=[
        f"{c.__name__}-{getattr(f, '__name__', type(f).__name__)}"
        for c, f in RIGHT_IN_THE_NOTEBOOK
    ],
)
def test_answers_right_in_the_notebook_pass(check, fn, capsys):
    for seed in SEEDS:
        passed, out = verdict(capsys, check, fn, seed=seed)
        assert passed and out.startswith("✅"), (seed, out)


def test_one_triangle_without_the_other_still_fails(capsys):
    def upper_only(gram_generated, gram_reference):
        difference = tf.linalg.band_part(gram_generated - gram_reference, 0, -1)
        return tf.reduce_mean(tf.square(difference))

    passed, out = verdict(capsys, check_style_loss, upper_only, seed=0)
    assert not passed and out.startswith("❌ style_loss"), out


# --------------------------------------------------------------------------- false passes


def layered_over_targets(term):
    def fn(features, targets, weights):
        return tf.add_n([weights[n] * term(features[n], t) for n, t in targets.items()])

    return fn


def _total(how):
    def fn(image, features, content_targets, style_targets, alpha, beta, gamma):
        if how == "named":  # the lesson's layer written into the function
            contents = [mse(features["block4_conv2"], content_targets["block4_conv2"])]
        else:
            contents = [mse(features[n], t) for n, t in content_targets.items()]
        if how == "first":
            content = contents[0]
        elif how == "mean":
            content = tf.add_n(contents) / len(contents)
        else:
            content = tf.add_n(contents)
        style = tf.add_n([mse(gram(features[n]), t) for n, t in style_targets.items()])
        return alpha * content + beta * style + gamma * _tv(image)

    fn.__name__ = f"total_{how}"
    return fn


WRONG_IN_THE_NOTEBOOK = [
    (
        check_layered_content_loss,
        layered_over_targets(mse),
        "looked up a layer that is not there",
    ),
    (
        check_layered_style_loss,
        layered_over_targets(lambda f, t: mse(gram(f), t)),
        "looked up a layer that is not there",
    ),
    (check_total_loss, _total("named"), "take the layers from content_targets"),
    (check_total_loss, _total("first"), "only the first content layer counts"),
    (check_total_loss, _total("mean"), "averaged the content losses over the layers"),
]


@pytest.mark.parametrize(
    "check, fn, words",
    WRONG_IN_THE_NOTEBOOK,
    ids=["content-over-targets", "style-over-targets", "named", "first", "mean"],
)
def test_mistakes_that_break_the_notebook_are_named(check, fn, words, capsys):
    for seed in SEEDS:
        passed, out = verdict(capsys, check, fn, seed=seed)
        assert not passed and out.startswith("❌") and words in out, (seed, out)
        assert f"seed={seed}" in out
