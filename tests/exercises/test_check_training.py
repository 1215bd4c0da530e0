"""check_training_step (lesson 09): right steps pass, each typical wrong one gets its diagnosis.

The steps below are written out by hand, the way students write them (not imported from
labhelpers): a right one in three spellings, and the mistakes lesson 09 invites, above all lesson
05's habit of taking the gradient with respect to the picture. Each test asserts the verdict and
the words of the diagnosis, so a checker that fails for the wrong reason fails the test.
"""

from __future__ import annotations

import pytest
import tensorflow as tf

from labhelpers.exercises.checks import check_training_step, use_if_correct
from labhelpers.exercises.solutions import training_step as model_solution

from .helpers import verdict


def step_right(network, photos, loss_fn, optimizer):
    with tf.GradientTape() as tape:
        pictures = network(photos, training=True)
        loss = loss_fn(pictures, photos)
    gradients = tape.gradient(loss, network.trainable_variables)
    optimizer.apply_gradients(zip(gradients, network.trainable_variables))
    return loss


def step_right_apply(network, photos, loss_fn, optimizer):
    weights = network.trainable_weights
    with tf.GradientTape() as tape:
        loss = loss_fn(network(photos), photos)
    optimizer.apply(tape.gradient(loss, weights), weights)
    return float(loss)


def step_wrong_variable_photos(network, photos, loss_fn, optimizer):
    """Lesson 05's step: the gradient with respect to the photos (the picture)."""
    with tf.GradientTape() as tape:
        tape.watch(photos)
        loss = loss_fn(network(photos), photos)
    gradient = tape.gradient(loss, photos)
    optimizer.apply_gradients([(gradient, photos)])
    return loss


def step_no_apply(network, photos, loss_fn, optimizer):
    with tf.GradientTape() as tape:
        loss = loss_fn(network(photos), photos)
    tape.gradient(loss, network.trainable_variables)
    return loss


def step_photos_to_loss(network, photos, loss_fn, optimizer):
    with tf.GradientTape() as tape:
        network(photos)
        loss = loss_fn(photos, photos)
    gradients = tape.gradient(loss, network.trainable_variables)
    optimizer.apply_gradients(zip(gradients, network.trainable_variables))
    return loss


def step_network_outside_tape(network, photos, loss_fn, optimizer):
    pictures = network(photos)
    with tf.GradientTape() as tape:
        loss = loss_fn(pictures, photos)
    gradients = tape.gradient(loss, network.trainable_variables)
    optimizer.apply_gradients(zip(gradients, network.trainable_variables))
    return loss


def step_first_layer_only(network, photos, loss_fn, optimizer):
    weights = network.layers[0].trainable_variables
    with tf.GradientTape() as tape:
        loss = loss_fn(network(photos), photos)
    optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
    return loss


def step_climbs(network, photos, loss_fn, optimizer):
    with tf.GradientTape() as tape:
        loss = loss_fn(network(photos), photos)
    gradients = tape.gradient(loss, network.trainable_variables)
    optimizer.apply_gradients(zip([-g for g in gradients], network.trainable_variables))
    return loss


def step_own_optimizer(network, photos, loss_fn, optimizer):
    own = tf.keras.optimizers.SGD(0.01)
    with tf.GradientTape() as tape:
        loss = loss_fn(network(photos), photos)
    gradients = tape.gradient(loss, network.trainable_variables)
    own.apply_gradients(zip(gradients, network.trainable_variables))
    return loss


def step_returns_nothing(network, photos, loss_fn, optimizer):
    step_right(network, photos, loss_fn, optimizer)


def step_returns_loss_after(network, photos, loss_fn, optimizer):
    step_right(network, photos, loss_fn, optimizer)
    return loss_fn(network(photos), photos)


def step_not_written(network, photos, loss_fn, optimizer):
    raise NotImplementedError


@pytest.mark.parametrize("step", [model_solution, step_right, step_right_apply])
@pytest.mark.parametrize("seed", [0, 7])
def test_right_steps_pass(capsys, step, seed):
    passed, out = verdict(capsys, check_training_step, step, seed=seed)
    assert passed, out
    assert out.startswith("✅ training_step")


@pytest.mark.parametrize(
    ("step", "words"),
    [
        (step_wrong_variable_photos, "asked the optimiser to update the photos"),
        (step_no_apply, "never called the optimiser's apply_gradients"),
        (step_photos_to_loss, "loss_fn got the photos themselves"),
        (step_network_outside_tape, "the tape did not record the network's pass"),
        (step_first_layer_only, "only 2 of the network's 4 weight tensors were updated"),
        (step_climbs, "your step climbs"),
        (step_own_optimizer, "did not use the optimizer passed in"),
        (step_returns_nothing, "your step returned None"),
        (step_returns_loss_after, "but the loss before the update was"),
    ],
)
def test_each_mistake_gets_its_diagnosis(capsys, step, words):
    passed, out = verdict(capsys, check_training_step, step, seed=3)
    assert not passed
    assert out.startswith("❌ training_step"), out
    assert words in out, out
    assert "check_training_step(training_step, seed=3) repeats this test" in out


def step_updates_vgg(network, photos, loss_fn, optimizer):
    """Takes every variable the tape saw: VGG16's (inside loss_fn) too."""
    with tf.GradientTape() as tape:
        loss = loss_fn(network(photos), photos)
    seen = tape.watched_variables()
    optimizer.apply_gradients(zip(tape.gradient(loss, seen), seen))
    return loss


def test_updating_vgg16_is_named(capsys):
    passed, out = verdict(capsys, check_training_step, step_updates_vgg, seed=1)
    assert not passed
    assert "VGG16's weights changed" in out, out


def test_not_written_yet_and_a_value_instead_of_the_function(capsys):
    passed, out = verdict(capsys, check_training_step, step_not_written)
    assert not passed and out.startswith("⏳ training_step: not implemented yet")
    passed, out = verdict(capsys, check_training_step, 3.0)
    assert not passed and "needs your function itself" in out


def test_use_if_correct_falls_back_to_the_librarys_step_not_the_model_solution(capsys):
    from labhelpers.feedforward.training import training_step as library_step

    assert use_if_correct(step_right, check_training_step) is step_right
    fallback = use_if_correct(step_no_apply, check_training_step)
    assert fallback is library_step and fallback is not model_solution  # no solutions.py there
    capsys.readouterr()
