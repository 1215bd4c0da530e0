"""check_layered_content_loss / check_layered_style_loss: correct sums pass, each usual mistake is
named, and no false diagnosis over many seeds. The student versions below are written independently
of the
checker's NumPy reference (TensorFlow, as a student would)."""

from __future__ import annotations

import numpy as np
import pytest

from labhelpers.config import import_tensorflow
from labhelpers.exercises.checks import check_layered_content_loss, check_layered_style_loss

from .helpers import gram, mse

tf = import_tensorflow()


def make(term, combine="weighted", over="weights"):
    """A layered loss built from ``term(feature, target)``; ``combine``/``over`` pick a mistake."""

    def fn(features, targets, weights):
        names = list(weights) if over == "weights" else list(features)
        values = [term(features[n], targets[n]) for n in names]
        w = [weights[n] for n in names]
        if combine == "weighted":
            return tf.add_n([wi * v for wi, v in zip(w, values)])
        if combine == "unweighted":
            return tf.add_n(values)
        if combine == "mean":
            return tf.add_n([wi * v for wi, v in zip(w, values)]) / len(values)
        if combine == "normalised":
            return tf.add_n([wi * v for wi, v in zip(w, values)]) / sum(w)
        if combine == "squared":
            return tf.add_n([wi * wi * v for wi, v in zip(w, values)])
        if combine == "first":
            return w[0] * values[0]
        if combine == "last":
            total = 0.0
            for wi, v in zip(w, values):
                total = wi * v  # overwritten, not added
            return total
        raise ValueError(combine)

    return fn


def content_term(f, t):
    return mse(f, t)


def style_term(f, t):
    return mse(gram(f), t)


def pooled(kind, weighted):
    def fn(features, targets, weights):
        sums, counts = [], 0
        for n, w in weights.items():
            mine = features[n] if kind == "content" else gram(features[n])
            sq = tf.reduce_sum(tf.square(mine - targets[n]))
            sums.append(w * sq if weighted else sq)
            counts += int(np.prod(mine.shape))
        return tf.add_n(sums) / counts

    return fn


def summed(kind):
    def fn(features, targets, weights):
        return tf.add_n(
            [
                w
                * tf.reduce_sum(
                    tf.square(
                        (features[n] if kind == "content" else gram(features[n])) - targets[n]
                    )
                )
                for n, w in weights.items()
            ]
        )

    return fn


def gram_of_target(features, targets, weights):
    return tf.add_n(
        [w * mse(gram(features[n]), gram(targets[n][tf.newaxis])) for n, w in weights.items()]
    )


def numpy_version(features, targets, weights):
    return np.float64(
        sum(
            w * np.mean((features[n].numpy() - targets[n].numpy()) ** 2)
            for n, w in weights.items()
        )
    )


def no_gradient(features, targets, weights):
    return tf.stop_gradient(make(content_term)(features, targets, weights))


def test_correct_sums_pass(capsys):
    assert check_layered_content_loss(make(content_term), seed=0)
    assert check_layered_style_loss(make(style_term), seed=0)
    assert capsys.readouterr().out.count("✅") == 2


COMMON = [
    ("unweighted", "weights are not used"),
    ("mean", "averaged the weighted losses"),
    ("normalised", "divided by the sum of the weights"),
    ("squared", "applied twice"),
    ("first", "only the first layer"),
    ("last", "only the last layer"),
]


@pytest.mark.parametrize("combine, words", COMMON)
@pytest.mark.parametrize("kind", ["content", "style"])
def test_each_way_of_combining_wrongly_is_named(kind, combine, words, capsys):
    check = check_layered_content_loss if kind == "content" else check_layered_style_loss
    assert not check(make(content_term if kind == "content" else style_term, combine), seed=5)
    out = capsys.readouterr().out
    assert "❌" in out and words in out and "seed=5" in out, out


@pytest.mark.parametrize("kind", ["content", "style"])
def test_per_layer_mistakes_are_named(kind, capsys):
    check = check_layered_content_loss if kind == "content" else check_layered_style_loss
    for fn, words in [
        (pooled(kind, True), "one mean over the"),
        (pooled(kind, False), "and left out the weights"),
        (summed(kind), "sum of squared differences, not their mean"),
        (make(content_term if kind == "content" else style_term, over="features"), "not there"),
    ]:
        assert not check(fn, seed=2)
        out = capsys.readouterr().out
        assert words in out, (fn, out)


def test_style_specific_and_general_mistakes(capsys):
    assert not check_layered_style_loss(gram_of_target, seed=1)
    assert "Gram matrices again" in capsys.readouterr().out
    assert not check_layered_content_loss(numpy_version, seed=1)
    assert "not a tf.Tensor" in capsys.readouterr().out
    assert not check_layered_content_loss(no_gradient, seed=1)
    assert "no gradient" in capsys.readouterr().out
    assert not check_layered_style_loss(
        make(content_term), seed=1
    )  # features compared with Gram matrices
    assert "❌" in capsys.readouterr().out
    assert not check_layered_content_loss(None)
    assert "⏳" in capsys.readouterr().out


@pytest.mark.parametrize("seed", range(40))
def test_no_false_diagnosis_over_many_seeds(seed, capsys):
    assert check_layered_content_loss(make(content_term), seed=seed)
    assert check_layered_style_loss(make(style_term), seed=seed)
    for kind, check, term in [
        ("content", check_layered_content_loss, content_term),
        ("style", check_layered_style_loss, style_term),
    ]:
        for combine, words in COMMON[:4]:
            assert not check(make(term, combine), seed=seed)
            out = capsys.readouterr().out
            assert words in out, f"seed {seed} {kind} {combine}: {out}"
