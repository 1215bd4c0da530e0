"""Tests for labhelpers.exercises.checks: right answers pass, typical mistakes get the matching
diagnosis."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from labhelpers import losses
from labhelpers.exercises.checks import (
    check_content_loss,
    check_gram_matrix,
    check_style_loss,
    check_total_variation_loss,
    use_if_correct,
)

from .helpers import verdict

# --------------------------------------------------------------------------- student solutions
# Written here on purpose (not imported from labhelpers.losses), in a different style.


def good_content(gen, ref):
    return tf.reduce_sum(tf.math.squared_difference(gen, ref)) / tf.cast(tf.size(gen), gen.dtype)


def good_gram_einsum(x):
    return tf.einsum("bhwc,bhwd->cd", x, x) / tf.cast(tf.size(x), x.dtype)


def lecture_gram(conv_layer):
    channels = conv_layer.get_shape().as_list()[3]
    conv_layer = tf.reshape(conv_layer, (-1, channels))
    gram = tf.matmul(tf.transpose(conv_layer), conv_layer)
    return gram / ((conv_layer.get_shape().as_list()[0]) * channels)


def good_style(a, b):
    return tf.reduce_mean((a - b) * (a - b))


def good_tv_slices(x):
    return tf.reduce_sum(tf.abs(x[:, 1:] - x[:, :-1])) + tf.reduce_sum(
        tf.abs(x[:, :, 1:] - x[:, :, :-1])
    )


def good_tv_builtin(x):
    return tf.reduce_sum(tf.image.total_variation(x))


# -------------------------------------------------------------------------- helpers for wrong ones


def _flat(x):
    return tf.reshape(x, (-1, x.shape[-1]))


def _size(x):
    return tf.cast(tf.size(x), x.dtype)


def _down(x):
    return x[:, 1:] - x[:, :-1]


def _right(x):
    return x[:, :, 1:] - x[:, :, :-1]


def lecture_content_without_return(gen_layer, ref_layer):
    loss = tf.reduce_mean(tf.square(gen_layer - ref_layer))  # noqa: F841 - the classic slip


def not_yet(*args):
    raise NotImplementedError("TODO: your code here")


def raises_value_error(*args):
    raise ValueError("boom")


def returns_nan(*args):
    return tf.constant(float("nan"), args[0].dtype)


class Weird(BaseException):
    pass


def raises_base_exception(*args):
    raise Weird("not even an Exception")


def returns_string(*args):
    return "0.5"


def graph_only_numpy_gram(x):
    channels = int(np.array(tf.shape(x))[3])  # fine eagerly, breaks inside tf.function
    return good_gram_einsum(tf.reshape(x, (1, -1, 1, channels)))


def graph_only_python_branch_tv(x):
    if bool(tf.reduce_max(x) > -1.0):  # a Python bool of a tensor value
        return good_tv_slices(x)
    return tf.constant(0.0, x.dtype)


# --------------------------------------------------------------------------- correct ones pass


@pytest.mark.parametrize(
    "check, fn, name",
    [
        (check_content_loss, good_content, "content_loss"),
        (check_gram_matrix, good_gram_einsum, "gram_matrix"),
        (check_gram_matrix, lecture_gram, "gram_matrix"),
        (check_style_loss, good_style, "style_loss"),
        (check_total_variation_loss, good_tv_slices, "total_variation_loss"),
        (check_total_variation_loss, good_tv_builtin, "total_variation_loss"),
    ],
)
def test_correct_implementation_passes(check, fn, name, capsys):
    ok, out = verdict(capsys, check, fn)
    assert ok is True
    assert out.strip() == f"✅ {name}: correct on 6 random inputs, gradients flow."


def test_batched_gram_check_accepts_per_image_grams(capsys):
    ok, out = verdict(capsys, check_gram_matrix, losses.gram_matrix, batched=True)
    assert ok and "✅ gram_matrix: correct on 10 random inputs" in out


# --------------------------------------------------------------------------- typical mistakes


CONTENT_MISTAKES = [
    (lambda g, r: tf.reduce_sum(tf.square(g - r)), ["summed where a mean belongs", "60 times"]),
    (lambda g, r: 0.5 * tf.reduce_sum(tf.square(g - r)), ["half the sum"]),
    (lambda g, r: tf.reduce_mean(tf.abs(g - r)), ["missing square", "absolute"]),
    (lambda g, r: tf.reduce_mean(g - r), ["missing square", "cancel"]),
    (lambda g, r: tf.square(tf.reduce_mean(g - r)), ["square in the wrong place"]),
    (lambda g, r: tf.sqrt(tf.reduce_mean(tf.square(g - r))), ["square root"]),
    (lambda g, r: tf.square(g - r), ["one value per element"]),
    (lambda g, r: tf.reduce_mean(tf.square(g - r), keepdims=True), ["plain scalar"]),
    (lambda g, r: np.mean(np.square(g - r)), ["NumPy", "tf.* operations"]),
    (lambda g, r: tf.constant(np.mean(np.square(g - r))), ["no gradient", "tf.* operations"]),
    (lambda g, r: tf.cast(tf.reduce_mean(tf.square(g - r)), tf.float32), ["float32 for float64"]),
    (lambda g, r: tf.reduce_sum(tf.square(g - r)) / tf.cast(tf.size(g[0]), g.dtype), ["B = 2"]),
    (lecture_content_without_return, ["returned None", "return"]),
]

GRAM_MISTAKES = [
    (
        lambda x: tf.matmul(_flat(x), _flat(x), transpose_b=True) / _size(x),
        ["(H*W, H*W)", "transposed"],
    ),
    (
        lambda x: tf.matmul(_flat(x), _flat(x), transpose_a=True),
        ["wrong normalisation", "H*W*C = 60"],
    ),
    (
        lambda x: tf.matmul(_flat(x), _flat(x), transpose_a=True) / x.shape[-1],
        ["wrong normalisation", "H*W = 20"],
    ),
    (
        lambda x: tf.matmul(_flat(x), _flat(x), transpose_a=True) / _size(x) ** 2,
        ["wrong normalisation", "1/60"],
    ),
    (
        lambda x: (lambda f: tf.matmul(f, f, transpose_b=True) / _size(x))(
            tf.reshape(x, (x.shape[-1], -1))
        ),
        ["channels got mixed up"],
    ),
    (lambda x: lecture_gram(x)[tf.newaxis], ["batch axis"]),
    (lambda x: _flat(x) / _size(x), ["reshaped feature matrix"]),
    (lambda x: tf.constant(lecture_gram(x).numpy()), ["no gradient", "tf.* operations"]),
    (graph_only_numpy_gram, ["inside tf.function", "tf.* operations"]),
]

STYLE_MISTAKES = [
    (lambda a, b: tf.reduce_sum(tf.square(a - b)), ["summed where a mean belongs", "9 times"]),
    (lambda a, b: tf.reduce_mean(tf.abs(a - b)), ["missing square"]),
    (lambda a, b: tf.reduce_mean(a - b), ["missing square"]),
    (lambda a, b: tf.sqrt(tf.reduce_mean(tf.square(a - b))), ["square root"]),
    (lambda a, b: 2.0 * tf.reduce_mean(tf.square(a - b)), ["wrong normalisation", "factor 2"]),
    (
        lambda a, b: tf.reduce_mean(tf.square(lecture_gram(a) - lecture_gram(b))),
        ["raised IndexError", "(3, 3)"],
    ),
    (lambda a, b: tf.square(a - b), ["one value per element"]),
]

TV_MISTAKES = [
    (
        lambda x: tf.reduce_sum(tf.square(_down(x))) + tf.reduce_sum(tf.square(_right(x))),
        ["L2 instead of L1"],
    ),
    (lambda x: tf.reduce_sum(tf.abs(_down(x))), ["only one direction", "below"]),
    (lambda x: tf.reduce_sum(tf.abs(_right(x))), ["only one direction", "to the right"]),
    (
        lambda x: tf.reduce_mean(tf.abs(_down(x))) + tf.reduce_mean(tf.abs(_right(x))),
        ["mean instead of sum"],
    ),
    (lambda x: good_tv_slices(x) / _size(x), ["mean instead of sum"]),
    (
        lambda x: (
            tf.reduce_sum(tf.abs(x - tf.roll(x, 1, axis=1)))
            + tf.reduce_sum(tf.abs(x - tf.roll(x, -1, axis=2)))
        ),
        ["wrap-around"],
    ),
    (lambda x: tf.image.total_variation(x), ["one value per image"]),
    (lambda x: tf.reduce_sum(_down(x)) + tf.reduce_sum(_right(x)), ["missing absolute value"]),
    (
        lambda x: tf.reduce_sum(tf.sqrt(_down(x)[:, :, :-1] ** 2 + _right(x)[:, :-1] ** 2)),
        ["isotropic"],
    ),
    (lambda x: good_tv_slices(x[:1]), ["only the first image"]),
    (graph_only_python_branch_tv, ["fails inside tf.function"]),
]


def _assert_diagnosis(check, fn, keywords, capsys):
    ok, out = verdict(capsys, check, fn)
    assert ok is False, out
    assert out.startswith("❌"), out
    for keyword in keywords:
        assert keyword in out, f"{keyword!r} not in:\n{out}"
    assert "seed" in out  # the run can be repeated


@pytest.mark.parametrize("fn, keywords", CONTENT_MISTAKES)
def test_content_loss_mistakes(fn, keywords, capsys):
    _assert_diagnosis(check_content_loss, fn, keywords, capsys)


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
@pytest.mark.parametrize("fn, keywords", GRAM_MISTAKES)
def test_gram_matrix_mistakes(fn, keywords, capsys):
    _assert_diagnosis(check_gram_matrix, fn, keywords, capsys)


@pytest.mark.parametrize("fn, keywords", STYLE_MISTAKES)
def test_style_loss_mistakes(fn, keywords, capsys):
    _assert_diagnosis(check_style_loss, fn, keywords, capsys)


@pytest.mark.parametrize("fn, keywords", TV_MISTAKES)
def test_total_variation_mistakes(fn, keywords, capsys):
    _assert_diagnosis(check_total_variation_loss, fn, keywords, capsys)


def test_lecture_gram_mixes_a_batch(capsys):
    ok, out = verdict(capsys, check_gram_matrix, lecture_gram, batched=True)
    assert not ok and "mixes the 2 images" in out


# --------------------------------------------------------------------- broken or missing functions

CHECKS = [check_content_loss, check_gram_matrix, check_style_loss, check_total_variation_loss]


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("fn", [None, not_yet])
def test_not_implemented_yet(check, fn, capsys):
    ok, out = verdict(capsys, check, fn)
    assert ok is False
    assert "not implemented yet" in out and "❌" not in out


@pytest.mark.parametrize("check", CHECKS)
def test_exceptions_are_reported_not_raised(check, capsys):
    ok, out = verdict(capsys, check, raises_value_error)
    assert ok is False
    assert "raised ValueError: boom" in out and "of shape (" in out
    ok, out = verdict(capsys, check, raises_base_exception)
    assert ok is False and "raised Weird: not even an Exception" in out


@pytest.mark.parametrize("check", CHECKS)
def test_nan_and_non_tensors(check, capsys):
    if check is check_gram_matrix:
        nan_fn = lambda x: lecture_gram(x) * np.nan  # noqa: E731 - right shape, NaN values
    else:
        nan_fn = returns_nan
    ok, out = verdict(capsys, check, nan_fn)
    assert ok is False and "NaN" in out
    ok, out = verdict(capsys, check, returns_string)
    assert ok is False and "returned a str" in out


def test_same_seed_same_report(capsys):
    wrong = TV_MISTAKES[0][0]
    _, first = verdict(capsys, check_total_variation_loss, wrong, seed=1234)
    _, second = verdict(capsys, check_total_variation_loss, wrong, seed=1234)
    assert first == second and "seed=1234" in first


# --------------------------------------------------------------------------- use_if_correct


def test_use_if_correct_keeps_a_correct_student_function(capsys):
    assert use_if_correct(good_style, check_style_loss) is good_style
    assert "reference implementation" not in capsys.readouterr().out


def test_use_if_correct_says_the_reference_is_used_and_the_exercise_is_not_passed(capsys):
    use_if_correct(lecture_content_without_return, check_content_loss)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert "`content_loss` counts as NOT passed" in last, last
    assert "uses the lab's reference implementation (content_loss) instead of yours" in last


def test_use_if_correct_falls_back_to_the_reference(capsys):
    chosen = use_if_correct(lecture_content_without_return, check_content_loss)
    out = capsys.readouterr().out
    assert chosen is losses.content_loss
    assert "the notebook uses the lab's reference implementation" in out.lower()
    assert use_if_correct(None, check_gram_matrix) is losses.gram_matrix
    assert use_if_correct(not_yet, check_total_variation_loss) is losses.total_variation_loss


def test_use_if_correct_with_a_custom_check(capsys):
    def reference(x):
        return x

    def failing_check(fn):
        raise RuntimeError("checker broke")

    assert use_if_correct(abs, lambda fn: True, reference) is abs
    assert use_if_correct(abs, failing_check, reference) is reference
    assert "checker broke" in capsys.readouterr().out
    with pytest.raises(TypeError, match="reference_fn"):
        use_if_correct(abs, lambda fn: True)


# --------------------------------------------------------------------------- printing student code


def chatty_gram(x):
    print("shape of x:", x.shape)
    print("second line")
    return good_gram_einsum(x)


def test_a_printing_function_does_not_flood_the_notebook(capsys):
    ok, out = verdict(capsys, check_gram_matrix, chatty_gram)
    assert ok is True
    lines = out.strip().splitlines()
    # The checker calls the function well over 10 times (6 cases x values and gradients, plus
    # the error analysis and tf.function): 2 lines per call, far more than shown.
    shown = [line for line in lines if "shape of x:" in line or "second line" in line]
    assert len(shown) == 5, out
    hidden = int(lines[-2].split("(")[1].split()[0])
    assert len(shown) + hidden >= 2 * 12, out
    assert lines[-2].strip().endswith("more lines hidden)") and lines[-1].startswith("✅"), out


def test_printed_output_is_shown_before_a_failure(capsys):
    def chatty_wrong(a, b):
        print("debug")
        return tf.reduce_sum((a - b) ** 2)

    ok, out = verdict(capsys, check_style_loss, chatty_wrong)
    assert ok is False
    assert out.startswith("Your code printed:\n   debug"), out
    assert "❌ style_loss: you summed where a mean belongs" in out


# --------------------------------------------------------------------------- no false diagnoses


# (checker, wrong function, what the diagnosis must say): mistakes from every part of the lists
SWEEP = [
    (check_content_loss, CONTENT_MISTAKES[0][0], "summed where a mean belongs"),
    (check_content_loss, CONTENT_MISTAKES[5][0], "extra square root"),
    (check_style_loss, STYLE_MISTAKES[4][0], "factor 2"),
    (check_total_variation_loss, TV_MISTAKES[0][0], "L2 instead of L1"),
    (check_total_variation_loss, TV_MISTAKES[7][0], "missing absolute value"),
    (check_gram_matrix, GRAM_MISTAKES[2][0], "H*W ="),
]


@pytest.mark.parametrize("seed", range(40))
def test_no_false_diagnosis_over_many_seeds(seed, capsys):
    """Right answers always pass and typical mistakes are always named, whatever the inputs."""
    assert check_content_loss(good_content, seed=seed)
    assert check_style_loss(good_style, seed=seed)
    assert check_total_variation_loss(good_tv_slices, seed=seed)
    assert check_gram_matrix(lecture_gram, seed=seed)
    assert capsys.readouterr().out.count("✅") == 4
    for check, wrong, expected in SWEEP:
        assert not check(wrong, seed=seed)
        out = capsys.readouterr().out
        assert expected in out, f"seed {seed}: {out}"
