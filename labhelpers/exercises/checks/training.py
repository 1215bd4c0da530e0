"""Checker of lesson 09 (09_fast_network): one training step of a style network.

``check_training_step(training_step)`` runs the student's ``step(network, photos, loss_fn,
optimizer)`` for two consecutive steps on random photos, each with a small Keras network (the
one being trained), a ``loss_fn`` built on another small Keras model with trainable weights
(standing in for VGG16, which must not change) and fresh Adam or SGD optimisers, and compares the
network's weights and the returned loss with the model solution's step run alongside on a copy.
It watches what the step does (what ``loss_fn`` was given, which variables the optimiser was asked
to update) so that it can say *why* a step is wrong: the gradient is taken with respect to the
photos (lesson 05's variable) or VGG16's weights instead of the network's, ``loss_fn`` got the
photos instead of the network's pictures, the network ran outside the tape, ``apply_gradients``
was never called or called on another optimiser, only some of the weights are updated, the step
climbs, or it returns the wrong loss. It stands on the scaffold of
:mod:`labhelpers.exercises.checks.core` in the manner of ``check_optimization_step``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from labhelpers.config import import_tensorflow
from labhelpers.feedforward.training import training_step as library_training_step
from labhelpers.exercises.checks.core import (
    NUMPY_HINT,
    CheckFailed,
    Diagnosis,
    NotImplementedYet,
    call_student,
    check_function,
    expect_calls,
    mentions_numpy,
    near,
    on_input,
    register_reference,
    repeat_text,
    short_error,
)

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

__all__ = ["check_training_step"]

_CALL = "training_step(network, photos, loss_fn, optimizer)"
_GRADIENT_HINT = (
    "take the gradient with respect to the network's weights: "
    "tape.gradient(loss, network.trainable_variables), and hand the optimiser the pairs "
    "zip(gradients, network.trainable_variables)"
)


class _NoneGradient(Exception):
    """Raised by the watched optimiser when it is handed a gradient that is None."""


@dataclass
class _Watch:
    """What the student's step did with the things the checker gave it."""

    loss_inputs: list[Any] = field(default_factory=list)  # the pictures loss_fn got
    applied: list[list[Any]] = field(default_factory=list)  # the variables of each apply


def _small_network(rng: np.random.Generator, hidden: int) -> Any:
    """photos (B, H, W, 3) -> pictures (B, H, W, 3): two 3x3 convolutions with random weights."""
    network = tf.keras.Sequential(
        [
            tf.keras.Input((None, None, 3)),
            tf.keras.layers.Conv2D(hidden, 3, padding="same", activation="relu"),
            tf.keras.layers.Conv2D(3, 3, padding="same", activation="sigmoid"),
        ]
    )
    network.set_weights(
        [rng.normal(0.0, 0.3, w.shape).astype(np.float32) for w in network.get_weights()]
    )
    return network


@dataclass
class _Case:
    """One run: a network, photos, a loss on a stand-in VGG16, an optimiser; a copy beside."""

    network: Any
    photos: tf.Tensor
    loss_fn: Callable[[Any, Any], tf.Tensor]
    loss: Callable[[Any, Any], tf.Tensor]
    vgg: Any
    optimizer: Any
    watch: _Watch
    reference: Any
    reference_optimizer: Any
    label: str


def _optimizer(kind: str, rate: float) -> Any:
    return tf.keras.optimizers.Adam(rate) if kind == "adam" else tf.keras.optimizers.SGD(rate)


def _case(rng: np.random.Generator, batch: int, side: int, kind: str, rate: float) -> _Case:
    network = _small_network(rng, 4)
    reference = _small_network(rng, 4)
    reference.set_weights(network.get_weights())
    vgg = tf.keras.Sequential(
        [tf.keras.Input((None, None, 3)), tf.keras.layers.Conv2D(5, 3, activation="relu")]
    )
    vgg.set_weights([rng.normal(0.0, 0.5, w.shape).astype(np.float32) for w in vgg.weights])
    photos = tf.constant(rng.random((batch, side, side + 1, 3)).astype(np.float32))
    painting = tf.constant(rng.random((5, 5)).astype(np.float32))

    def loss(pictures: Any, photos: Any) -> tf.Tensor:
        """A content term against the photos' features and a Gram-like style term."""
        maps, reference_maps = vgg(pictures), vgg(photos)
        flat = tf.reshape(maps, (-1, 5))
        gram = tf.matmul(flat, flat, transpose_a=True) / tf.cast(tf.shape(flat)[0], tf.float32)
        return tf.reduce_mean(tf.square(maps - reference_maps)) + 0.1 * tf.reduce_mean(
            tf.square(gram - painting)
        )

    watch = _Watch()

    def loss_fn(pictures: Any, photos: Any) -> tf.Tensor:
        watch.loss_inputs.append(pictures)
        return loss(pictures, photos)

    optimizer = _optimizer(kind, rate)
    original_apply = optimizer.apply

    def watched_apply(grads: Any, variables: Any = None) -> Any:
        grads = list(grads)
        watch.applied.append(list(variables) if variables is not None else [])
        if any(g is None for g in grads):
            raise _NoneGradient
        return original_apply(grads, variables)

    optimizer.apply = watched_apply
    return _Case(
        network,
        photos,
        loss_fn,
        loss,
        vgg,
        optimizer,
        watch,
        reference,
        _optimizer(kind, rate),
        f"photos ({batch}, {side}, {side + 1}, 3), {type(optimizer).__name__}({rate:g})",
    )


def _ids(variables: Any) -> set[int]:
    return {id(v) for v in variables}


def _none_gradient(case: _Case) -> Diagnosis:
    """Why a gradient came out None, from what ``loss_fn`` was given and what was applied."""
    given = case.watch.loss_inputs
    network_ids = _ids(case.network.trainable_variables)
    applied = [v for vs in case.watch.applied for v in vs]
    if not given:
        return Diagnosis(
            "the gradient is None and your step never called loss_fn",
            "inside `with tf.GradientTape() as tape:` compute pictures = network(photos) and "
            "loss = loss_fn(pictures, photos)",
        )
    x = given[-1]
    if x is case.photos:
        return Diagnosis(
            "the gradient is None: loss_fn got the photos themselves, not the network's "
            "pictures, so the loss does not depend on the network's weights",
            "call loss_fn(network(photos), photos): the network's output is what is judged",
        )
    if isinstance(x, np.ndarray):
        return Diagnosis(
            "the gradient is None: loss_fn got a NumPy array (the pictures after .numpy()), "
            "which the tape cannot follow back to the network's weights",
            NUMPY_HINT,
        )
    if applied and not (_ids(applied) & network_ids):
        return Diagnosis(
            "the gradient is None: it was taken with respect to something other than the "
            "network's weights",
            _GRADIENT_HINT,
        )
    return Diagnosis(
        "the gradient is None: the tape did not record the network's pass (was network(photos) "
        "computed before the `with tf.GradientTape() as tape:` block?)",
        "run the network and the loss both inside the tape's block",
    )


def _error(err: BaseException, case: _Case) -> Diagnosis:
    text = str(err)
    if isinstance(err, _NoneGradient) or "NoneType" in text or "No gradients provided" in text:
        return _none_gradient(case)
    if mentions_numpy(err):
        return Diagnosis(
            f"your step uses NumPy values where the tape needs tensors ({short_error(err)})",
            NUMPY_HINT,
        )
    if "EagerTensor" in text and ("assign" in text or "attribute" in text):
        return Diagnosis(
            "your step asked the optimiser to update the photos (a constant tensor), as lesson "
            "05's step updates the picture; here the variable is the network's weights",
            _GRADIENT_HINT,
        )
    return Diagnosis(
        f"your step raised {type(err).__name__}: {short_error(err)}",
        f"the checker called {_CALL} with a small Keras network, a batch of photos, a loss "
        "function and a Keras optimiser; the last line of the error usually names the "
        "operation that failed",
    )


def _call(step: Callable[..., Any], case: _Case) -> tuple[Any, Optional[BaseException]]:
    def guarded() -> tuple[Any, Optional[BaseException]]:
        try:
            return step(case.network, case.photos, case.loss_fn, case.optimizer), None
        except KeyboardInterrupt:
            raise
        except BaseException as err:  # noqa: BLE001 - student code may raise anything
            return None, err

    return call_student(guarded, [], call=_CALL)


def _run_one_step(step: Callable[..., Any], case: _Case, number: int) -> None:
    """The student's step once beside the reference; CheckFailed at the first problem."""
    case.watch.loss_inputs.clear()
    case.watch.applied.clear()
    before = [w.numpy() for w in case.network.trainable_variables]
    vgg_before = [w.numpy() for w in case.vgg.weights]
    photos_before = case.photos.numpy()
    returned, err = _call(step, case)
    if isinstance(err, NotImplementedError) and not mentions_numpy(err):
        raise NotImplementedYet
    if err is not None:
        raise CheckFailed(_error(err, case))
    # the model solution's step on the copy, with its own optimiser of the same kind
    with tf.GradientTape() as tape:
        expected_loss = case.loss(case.reference(case.photos), case.photos)
    gradients = tape.gradient(expected_loss, case.reference.trainable_variables)
    library_training_step(case.reference, case.photos, case.loss, case.reference_optimizer)
    after = [w.numpy() for w in case.network.trainable_variables]
    expected = [w.numpy() for w in case.reference.trainable_variables]
    applied = [v for vs in case.watch.applied for v in vs]
    vgg_ids = _ids(case.vgg.weights)
    if _ids(applied) & vgg_ids or any(
        not np.array_equal(w.numpy(), b) for w, b in zip(case.vgg.weights, vgg_before)
    ):
        raise CheckFailed(
            Diagnosis(
                "VGG16's weights changed: your step updated the weights inside loss_fn (the "
                "network that measures the losses), which must stay as trained on ImageNet",
                _GRADIENT_HINT,
            )
        )
    if not np.array_equal(case.photos.numpy(), photos_before):
        raise CheckFailed(
            Diagnosis("the photos changed", "the photos are the input; leave them as they are")
        )
    changed = [not np.array_equal(a, b) for a, b in zip(after, before)]
    if not any(changed):
        if not case.watch.loss_inputs:
            raise CheckFailed(
                Diagnosis(
                    "the network's weights did not change and loss_fn was never called",
                    "compute loss_fn(network(photos), photos) under a tf.GradientTape, then "
                    "apply the gradient",
                )
            )
        if not case.watch.applied:
            raise CheckFailed(
                Diagnosis(
                    "the network's weights did not change: your step never called the "
                    "optimiser's apply_gradients, so nothing was updated",
                    "finish the step with optimizer.apply_gradients(zip(gradients, "
                    "network.trainable_variables))",
                )
            )
        raise CheckFailed(
            Diagnosis(
                "the network's weights did not change although the optimiser was called",
                _GRADIENT_HINT,
            )
        )
    if not case.watch.applied:
        raise CheckFailed(
            Diagnosis(
                "your step did not use the optimizer passed in (its apply_gradients was never "
                "called): the weights changed some other way",
                "use `optimizer`, the argument, so that its state (Adam's running averages) "
                "carries over from step to step",
            )
        )
    if not all(changed):
        names = [v.path for v, c in zip(case.network.trainable_variables, changed) if not c]
        raise CheckFailed(
            Diagnosis(
                f"only {sum(changed)} of the network's {len(changed)} weight tensors were "
                f"updated; unchanged: {', '.join(names)}",
                "update all of them: network.trainable_variables (not one layer's)",
            )
        )
    move = sum(float(np.sum((a - b) * g.numpy())) for a, b, g in zip(after, before, gradients))
    if move > 0:
        raise CheckFailed(
            Diagnosis(
                "your step climbs: the weights move along the gradient, so the loss grows",
                "an optimiser subtracts what it is given: hand it the gradients themselves, "
                "not their negatives",
            )
        )
    worst = max(float(np.max(np.abs(a - e))) for a, e in zip(after, expected))
    if not all(np.allclose(a, e, rtol=1e-4, atol=1e-6) for a, e in zip(after, expected)):
        raise CheckFailed(
            Diagnosis(
                f"after step {number} the network's weights differ from one optimiser step by up "
                f"to {worst:.2e}",
                "one step = the network and the loss under the tape, one gradient, one "
                "apply_gradients with the optimizer passed in; no extra scaling or second update",
            )
        )
    _check_returned(returned, float(expected_loss))


def _check_returned(returned: Any, loss_before: float) -> None:
    if returned is None:
        raise CheckFailed(
            Diagnosis("your step returned None", "return the loss computed under the tape")
        )
    if tf.is_tensor(returned) or isinstance(returned, (np.ndarray, np.generic)):
        if tuple(np.shape(returned)) != ():
            raise CheckFailed(
                Diagnosis(
                    f"your step returned a value of shape {tuple(np.shape(returned))}, not the "
                    "scalar loss",
                    "return the loss itself (not the gradients or the pictures)",
                )
            )
    elif not isinstance(returned, float):
        raise CheckFailed(
            Diagnosis(
                f"your step returned a {type(returned).__name__}, not the loss",
                "return the loss computed under the tape",
            )
        )
    value = float(returned)
    if not near(value, loss_before, 1e-4):
        raise CheckFailed(
            Diagnosis(
                f"your step returned {value:.6g}, but the loss before the update was "
                f"{loss_before:.6g}",
                "return the value loss_fn gave under the tape (the loss before the update)",
            )
        )


_SETTINGS = [(2, 6, "adam", 0.01), (3, 5, "sgd", 0.05), (1, 7, "adam", 0.03)]


def _body(step: Callable[..., Any], seed: int) -> str:
    rng = np.random.default_rng(seed)
    expect_calls(2 * len(_SETTINGS))
    for batch, side, kind, rate in _SETTINGS:
        case = _case(rng, batch, side, kind, rate)
        for number in (1, 2):
            details = f"Input: {case.label}, step {number} ({repeat_text('training_step', seed)})."
            with on_input(details):
                _run_one_step(step, case, number)
    return (
        f"{len(_SETTINGS)} random networks and batches, 2 steps each with Adam and SGD: every "
        "weight of the network descends as one optimiser step, VGG16 and the photos are "
        "untouched and the loss before each update is returned"
    )


def check_training_step(fn: Optional[Callable[..., Any]], *, seed: Optional[int] = None) -> bool:
    """Check a student's ``training_step(network, photos, loss_fn, optimizer)``; print a verdict.

    Used by 09_fast_network, Exercise 1.

    Args:
        fn: the student's step. It gets a Keras ``network`` (photos (B, H, W, 3) -> pictures of
            the same shape), ``photos`` (a float32 tensor (B, H, W, 3) in [0, 1]), ``loss_fn``
            (``loss_fn(pictures, photos) -> scalar``, built on a stand-in VGG16 with trainable
            weights that must not change) and a fresh Keras optimiser (Adam or SGD). It should
            update the network's weights by one optimiser step on the gradient of
            ``loss_fn(network(photos), photos)`` with respect to
            ``network.trainable_variables``, and return that loss (before the update). ``None``
            counts as "not implemented yet".
        seed: seed of the random networks and photos; ``None`` draws a fresh one (printed on
            failure).

    Returns:
        True if two consecutive steps match the model solution's on every network.
    """
    return check_function("training_step", fn, seed, _body)


register_reference(check_training_step, library_training_step)
