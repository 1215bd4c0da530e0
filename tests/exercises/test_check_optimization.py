"""check_optimization_step and check_total_loss: right answers pass, each typical wrong one gets
its diagnosis.

The wrong steps below are the mistakes students make in lesson 05, written out by hand; each test
asserts the verdict *and* the words of the diagnosis, so a checker that fails for the wrong
reason fails the test. The sweeps run several correct variants over many seeds: a checker must
never blame a right answer.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from labhelpers import losses
from labhelpers.exercises import solutions
from labhelpers.exercises.checks import fallbacks
from labhelpers.exercises.checks import check_optimization_step, check_total_loss, use_if_correct

from .helpers import verdict


# --------------------------------------------------------------------------- correct steps


def step_apply_gradients(image, loss_fn, optimizer):
    with tf.GradientTape() as tape:
        loss = loss_fn(image)
    optimizer.apply_gradients([(tape.gradient(loss, image), image)])
    image.assign(tf.clip_by_value(image, 0.0, 1.0))
    return loss


def step_apply_and_minmax(image, loss_fn, optimizer):
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(image)
        loss = loss_fn(image)
    (gradient,) = tape.gradient(loss, [image])
    optimizer.apply([gradient], [image])
    image.assign(tf.minimum(tf.maximum(image, 0.0), 1.0))
    return loss


def step_returns_float(image, loss_fn, optimizer):
    with tf.GradientTape(persistent=True) as tape:
        loss = loss_fn(tf.convert_to_tensor(image))
    gradient = tape.gradient(loss, image)
    optimizer.apply_gradients(zip([gradient], [image]))
    image.assign(tf.clip_by_value(image, 0, 1))
    return float(loss)


CORRECT_STEPS = [
    solutions.optimization_step,
    step_apply_gradients,
    step_apply_and_minmax,
    step_returns_float,
]


@pytest.mark.parametrize(
    "step", CORRECT_STEPS, ids=lambda f: f.__module__.split(".")[-1] + "." + f.__name__
)
def test_correct_steps_pass(capsys, step):
    passed, out = verdict(capsys, check_optimization_step, step, seed=0)
    assert passed, out
    assert out.startswith("✅ optimization_step")


def test_no_false_diagnosis_over_seeds(capsys):
    """Correct steps, 12 seeds each (3 picture shapes, Adam and SGD per seed): never a ❌."""
    for step in (solutions.optimization_step, step_apply_and_minmax, step_returns_float):
        for seed in range(12):
            passed, out = verdict(capsys, check_optimization_step, step, seed=seed)
            assert passed and "❌" not in out and "⚠️" not in out, (step.__name__, seed, out)


# --------------------------------------------------------------------------- wrong steps


def _taped(loss_fn, x, variable):
    """The loss of ``x`` under a tape and its gradient with respect to ``variable``."""
    with tf.GradientTape() as tape:
        loss = loss_fn(x)
    return loss, tape.gradient(loss, variable)


def _apply_and_clip(optimizer, gradient, variable):
    optimizer.apply_gradients([(gradient, variable)])
    variable.assign(tf.clip_by_value(variable, 0.0, 1.0))


def climbs(image, loss_fn, optimizer):
    loss, gradient = _taped(loss_fn, image, image)
    _apply_and_clip(optimizer, -gradient, image)
    return loss


def adds_gradient_itself(image, loss_fn, optimizer):
    loss, gradient = _taped(loss_fn, image, image)
    image.assign_add(0.01 * gradient)
    _apply_and_clip(optimizer, tf.zeros_like(image), image)
    return loss


def never_applies(image, loss_fn, optimizer):
    loss, _ = _taped(loss_fn, image, image)
    image.assign(tf.clip_by_value(image, 0.0, 1.0))
    return loss


def updates_a_copy(image, loss_fn, optimizer):
    copy = tf.Variable(image)
    loss, gradient = _taped(loss_fn, copy, copy)
    _apply_and_clip(optimizer, gradient, copy)
    return loss


def no_clip(image, loss_fn, optimizer):
    loss, gradient = _taped(loss_fn, image, image)
    optimizer.apply_gradients([(gradient, image)])
    return loss


def clips_before_update(image, loss_fn, optimizer):
    image.assign(tf.clip_by_value(image, 0.0, 1.0))
    return no_clip(image, loss_fn, optimizer)


def numpy_in_loss(image, loss_fn, optimizer):
    loss, gradient = _taped(loss_fn, image.numpy(), image)
    _apply_and_clip(optimizer, gradient, image)
    return loss


def loss_outside_tape(image, loss_fn, optimizer):
    loss = loss_fn(image)
    with tf.GradientTape() as tape:
        pass
    _apply_and_clip(optimizer, tape.gradient(loss, image), image)
    return loss


def tape_not_watching(image, loss_fn, optimizer):
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        loss = loss_fn(image)
    image.assign_sub(0.02 * tape.gradient(loss, image))
    image.assign(tf.clip_by_value(image, 0.0, 1.0))
    return loss


def constant_copy(image, loss_fn, optimizer):
    loss, gradient = _taped(loss_fn, tf.constant(image.numpy()), image)
    _apply_and_clip(optimizer, gradient, image)
    return loss


def updates_the_network(image, loss_fn, optimizer):
    with tf.GradientTape() as tape:
        loss = loss_fn(image)
    variables = tape.watched_variables()
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    image.assign(tf.clip_by_value(image, 0.0, 1.0))
    return loss


def assigns_wrong_shape(image, loss_fn, optimizer):
    loss, gradient = _taped(loss_fn, image, image)
    optimizer.apply_gradients([(gradient, image)])
    image.assign(tf.clip_by_value(image, 0.0, 1.0)[0])
    return loss


def assigns_float64(image, loss_fn, optimizer):
    loss, gradient = _taped(loss_fn, image, image)
    optimizer.apply_gradients([(gradient, image)])
    image.assign(tf.clip_by_value(tf.cast(image, tf.float64), 0.0, 1.0))
    return loss


def returns_gradient(image, loss_fn, optimizer):
    _, gradient = _taped(loss_fn, image, image)
    _apply_and_clip(optimizer, gradient, image)
    return gradient


def returns_float64(image, loss_fn, optimizer):
    return tf.cast(step_apply_gradients(image, loss_fn, optimizer), tf.float64)


def returns_loss_after(image, loss_fn, optimizer):
    step_apply_gradients(image, loss_fn, optimizer)
    return loss_fn(image)


def returns_nothing(image, loss_fn, optimizer):
    step_apply_gradients(image, loss_fn, optimizer)


def own_optimizer(image, loss_fn, optimizer):
    return step_apply_gradients(image, loss_fn, tf.keras.optimizers.Adam(0.02))


def two_updates(image, loss_fn, optimizer):
    loss = step_apply_gradients(image, loss_fn, optimizer)
    step_apply_gradients(image, loss_fn, optimizer)
    return loss


def not_written(image, loss_fn, optimizer):
    raise NotImplementedError


WRONG_STEPS = [
    (climbs, "climbs"),
    (adds_gradient_itself, "climbs"),
    (never_applies, "picture was not updated (it is exactly as before"),
    (updates_a_copy, "changed a copy of it"),
    (no_clip, "no clipping"),
    (clips_before_update, "no clipping"),
    (numpy_in_loss, "gradient is None: loss_fn got a NumPy array"),
    (loss_outside_tape, "gradient is None: the tape did not record"),
    (tape_not_watching, "gradient is None: the tape did not record"),
    (constant_copy, "gradient is None: loss_fn got a constant copy"),
    (updates_the_network, "VGG16's weights changed"),
    (assigns_wrong_shape, "wrong shape: you assigned"),
    (assigns_float64, "wrong dtype: a value of another type"),
    (returns_gradient, "wrong shape: your step returned a value of shape"),
    (returns_float64, "wrong dtype: your step returned a float64 loss"),
    (returns_loss_after, "returned the loss *after* the update"),
    (returns_nothing, "your step returned None"),
    (own_optimizer, "did not use the optimizer passed in"),
    (two_updates, "differs from one optimiser step"),
]


@pytest.mark.parametrize(
    "step, words", WRONG_STEPS, ids=[step.__name__ for step, _ in WRONG_STEPS]
)
def test_wrong_steps_get_their_diagnosis(capsys, step, words):
    passed, out = verdict(capsys, check_optimization_step, step, seed=3)
    assert not passed
    first = out.splitlines()[0]
    assert first.startswith("❌ optimization_step") and words in first, out
    assert "seed=3" in out  # the failure says how to repeat it
    assert (
        "apply_gradients([(gradient, image)])" not in first
    )  # the diagnosis itself is no solution


def test_not_written_and_none_are_not_implemented(capsys):
    for step in (not_written, None):
        passed, out = verdict(capsys, check_optimization_step, step, seed=0)
        assert not passed and out.startswith("⏳ optimization_step"), out


def test_use_if_correct_falls_back_to_the_reference_step(capsys):
    assert use_if_correct(climbs, check_optimization_step) is fallbacks.one_optimizer_step
    assert use_if_correct(step_apply_gradients, check_optimization_step) is step_apply_gradients
    capsys.readouterr()


@pytest.mark.parametrize(
    "reference", [solutions.optimization_step, fallbacks.one_optimizer_step], ids=["model", "lab"]
)
def test_reference_step_descends_and_clips(reference):
    """Independent of the checker: the model solution and the lab's step (what the checker
    compares with and use_if_correct continues with) lower a quadratic and respect [0, 1]."""
    image = tf.Variable(np.full((1, 4, 5, 3), 0.99, np.float32))
    target = tf.constant(np.full((1, 4, 5, 3), 1.5, np.float32))

    def loss_fn(x):
        return tf.reduce_sum(tf.square(x - target)) + tf.reduce_sum(tf.square(x[..., 0] - 0.2))

    before = float(loss_fn(image))
    returned = reference(image, loss_fn, tf.keras.optimizers.SGD(0.05))
    assert float(returned) == pytest.approx(before)
    assert float(loss_fn(image)) < before
    assert float(tf.reduce_max(image)) == 1.0  # pulled towards 1.5, clipped at 1
    # Channel 0: gradient 2 (0.99 - 1.5) + 2 (0.99 - 0.2) = 0.56 -> 0.99 - 0.05 * 0.56 = 0.962
    np.testing.assert_allclose(image.numpy()[..., 0], 0.962, atol=1e-6)


# --------------------------------------------------------------------------- total loss


def _lecture_total(image, features, content_targets, style_targets, alpha, beta, gamma):
    content = tf.add_n([losses.content_loss(features[k], v) for k, v in content_targets.items()])
    style = tf.add_n(
        [losses.style_loss(losses.gram_matrix(features[k]), v) for k, v in style_targets.items()]
    )
    return alpha * content + beta * style + gamma * losses.total_variation_loss(image)


def _style_terms(features, style_targets):
    return [
        losses.style_loss(losses.gram_matrix(features[k]), v) for k, v in style_targets.items()
    ]


def total_mean_over_layers(image, features, content_targets, style_targets, alpha, beta, gamma):
    style = tf.add_n(_style_terms(features, style_targets)) / len(style_targets)
    content = tf.add_n([losses.content_loss(features[k], v) for k, v in content_targets.items()])
    return alpha * content + beta * style + gamma * losses.total_variation_loss(image)


def total_without_tv(image, features, content_targets, style_targets, alpha, beta, gamma):
    return _lecture_total(image, features, content_targets, style_targets, alpha, beta, 0.0)


def total_last_layer_only(image, features, content_targets, style_targets, alpha, beta, gamma):
    style = _style_terms(features, style_targets)[-1]
    content = tf.add_n([losses.content_loss(features[k], v) for k, v in content_targets.items()])
    return alpha * content + beta * style + gamma * losses.total_variation_loss(image)


def total_swapped(image, features, content_targets, style_targets, alpha, beta, gamma):
    return _lecture_total(image, features, content_targets, style_targets, beta, alpha, gamma)


def total_unweighted(image, features, content_targets, style_targets, alpha, beta, gamma):
    return _lecture_total(image, features, content_targets, style_targets, 1.0, 1.0, 1.0)


def total_through_numpy(image, features, content_targets, style_targets, alpha, beta, gamma):
    value = _lecture_total(image, features, content_targets, style_targets, alpha, beta, gamma)
    return tf.constant(np.float64(value.numpy()), dtype=value.dtype)


def total_vector(image, features, content_targets, style_targets, alpha, beta, gamma):
    return tf.reshape(
        _lecture_total(image, features, content_targets, style_targets, alpha, beta, gamma), (1,)
    )


@pytest.mark.parametrize("fn", [_lecture_total, solutions.total_loss], ids=["test", "solution"])
def test_correct_total_losses_pass(capsys, fn):
    for seed in range(6):
        passed, out = verdict(capsys, check_total_loss, fn, seed=seed)
        assert passed and out.startswith("✅ total_loss"), out


WRONG_TOTALS = [
    (total_mean_over_layers, "averaged the style losses over the layers"),
    (total_without_tv, "the TV term is missing"),
    (total_last_layer_only, "only the last style layer counts"),
    (total_swapped, "alpha and beta are swapped"),
    (total_unweighted, "weights alpha, beta and gamma are not used"),
    (total_through_numpy, "no gradient flows"),
    (total_vector, "has shape (1,)"),
]


@pytest.mark.parametrize("fn, words", WRONG_TOTALS, ids=[fn.__name__ for fn, _ in WRONG_TOTALS])
def test_wrong_total_losses_get_their_diagnosis(capsys, fn, words):
    passed, out = verdict(capsys, check_total_loss, fn, seed=5)
    assert not passed
    assert out.startswith("❌ total_loss") and words in out.splitlines()[0], out
    assert "seed=5" in out


def test_total_loss_reference_matches_hand_computed_value():
    """A 1-layer case small enough to add up by hand."""
    image = tf.constant([[[[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]]])  # (1, 1, 2, 3): TV = 3
    features = {"a": tf.constant([[[[1.0, 2.0]]]]), "b": tf.constant([[[[2.0]]]])}
    content = {"a": tf.constant([[[[0.0, 0.0]]]])}  # mean((1, 2)^2) = 2.5
    style = {"b": tf.constant([[1.0]])}  # Gram of [2] / 1 = 4; (4 - 1)^2 = 9
    assert float(
        solutions.total_loss(image, features, content, style, 2.0, 0.5, 10.0)
    ) == pytest.approx(2 * 2.5 + 0.5 * 9 + 30)
