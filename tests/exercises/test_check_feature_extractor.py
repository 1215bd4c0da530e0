"""check_feature_extractor: right extractors pass, each classic port bug is named, and the
checker's reference forward pass is the lab's network.

The student-style extractors are written here by hand on keras.applications.VGG16 (weights=None,
then the weights file), each with one thing changed.  Every check builds VGG16 twice (about 1 s
each on two cores), so the sweeps are short.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from labhelpers.exercises import solutions
from labhelpers.exercises.checks import check_feature_extractor
from labhelpers.exercises.checks.extractor import (
    PREPROCESSINGS,
    random_vgg16_arrays,
    reference_maps,
)
from labhelpers.network.extractor import FeatureExtractor
from labhelpers.network.layers import VGG16_LAYERS

from .helpers import verdict

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)
BGR_MEAN = np.array([103.939, 116.779, 123.68], np.float32)


def right_torch(x):
    return (x - MEAN) / STD


def right_caffe(x):
    return keras.applications.vgg16.preprocess_input(x * 255.0)  # Keras's own: BGR, mean


def make(*, torch=right_torch, caffe=right_caffe, pick=None, names=None, size=None, load=True):
    """A student's feature_extractor with one thing changed (defaults: right)."""

    def feature_extractor(weights_file, layers, preprocessing):
        shape = (size, size, 3) if size else (None, None, 3)
        vgg = keras.applications.VGG16(include_top=False, weights=None, input_shape=shape)
        if load:
            vgg.load_weights(weights_file)
        chosen = pick(vgg, layers) if pick else [vgg.get_layer(n).output for n in layers]
        model = keras.Model(vgg.input, chosen)
        prepare = torch if preprocessing == "torch" else caffe

        def extract(images):
            outputs = model(prepare(np.asarray(images)))
            return dict(zip(names(layers) if names else layers, outputs))

        return extract

    return feature_extractor


def by_position(vgg, layers):
    # the conv's index in VGG16_LAYERS, as if vgg.layers held only convolutions
    return [vgg.layers[VGG16_LAYERS.index(name) + 1].output for name in layers]


def network_order(vgg, layers):
    return [vgg.get_layer(name).output for name in sorted(layers, key=VGG16_LAYERS.index)]


def as_list(weights_file, layers, preprocessing):
    extract = solutions.feature_extractor(weights_file, layers, preprocessing)
    return lambda images: list(extract(images).values())


RIGHT = [solutions.feature_extractor, make()]


@pytest.mark.parametrize("fn", RIGHT, ids=["solution", "keras_preprocess_input"])
def test_right_extractors_pass(capsys, fn):
    passed, out = verdict(capsys, check_feature_extractor, fn, seed=0)
    assert passed, out
    assert out.startswith("✅ feature_extractor")


def test_no_false_verdict_over_seeds(capsys):
    for seed in range(1, 4):
        passed, out = verdict(
            capsys, check_feature_extractor, solutions.feature_extractor, seed=seed
        )
        assert passed and "❌" not in out and "⚠️" not in out, (seed, out)


WRONG = [
    (make(torch=right_caffe), "prepares the pictures the Caffe way"),
    (
        make(torch=lambda x: keras.applications.vgg16.preprocess_input(np.array(x))),
        "applies Keras's vgg16.preprocess_input",
    ),
    (make(torch=lambda x: right_torch(x[..., ::-1])), "swaps the colour channels (BGR)"),
    (make(torch=lambda x: right_torch(x)[..., ::-1]), "after normalising"),
    (make(torch=lambda x: (255 * x - MEAN) / STD), "pictures in 0-255"),
    (make(torch=lambda x: (x / 255 - MEAN) / STD), "divides the pictures by 255"),
    (make(torch=lambda x: x / STD), "the mean is missing"),
    (make(torch=lambda x: x - MEAN), "the std is missing"),
    (make(torch=lambda x: x), "no preprocessing"),
    (make(caffe=right_torch), "the torchvision way"),
    (make(caffe=lambda x: 255 * x - BGR_MEAN), "does not reverse the colour channels"),
    (make(caffe=lambda x: 255 * x - BGR_MEAN[::-1]), "subtracts the mean in RGB order"),
    (make(caffe=lambda x: x[..., ::-1] - BGR_MEAN), "expect values in 0-255"),
    (make(caffe=lambda x: 255 * x[..., ::-1]), "ImageNet's BGR mean subtracted"),
    (make(pick=by_position), "takes the wrong layers"),
    (make(pick=network_order), "paired with the wrong names"),
    (make(size=224), "any picture size"),
    (make(load=False), "without it the weights stay random"),
    (as_list, "not a dict"),
    (make(names=lambda layers: [*layers, "block9_conv9"][1:]), "were asked for"),
]


@pytest.mark.parametrize("fn, words", WRONG, ids=[words for _, words in WRONG])
def test_each_port_bug_gets_its_diagnosis(capsys, fn, words):
    passed, out = verdict(capsys, check_feature_extractor, fn, seed=2)
    assert not passed
    assert out.startswith("❌ feature_extractor"), out
    assert words in out, out
    assert "check_feature_extractor(feature_extractor, seed=2)" in out


def test_reference_is_the_labs_network():
    """The checker's tf.nn forward pass and preprocessing equal the lab's Keras extractor with
    the same arrays (two independent implementations), for both conventions."""
    pairs = random_vgg16_arrays(np.random.default_rng(1))
    images = np.random.default_rng(2).uniform(0, 1, (2, 32, 40, 3)).astype(np.float32)
    layers = ("block1_conv1", "block3_conv2", "block5_conv3")
    for convention in ("torch", "caffe"):
        lab = FeatureExtractor.from_arrays(pairs, layers, preprocessing=convention)(images)
        ours = reference_maps(pairs, PREPROCESSINGS[convention](images), "block5_conv3")
        for name in layers:
            expected = lab[name].numpy()
            scale = np.max(np.abs(expected))
            np.testing.assert_allclose(ours[name], expected, rtol=1e-3, atol=1e-4 * scale)


def test_solution_on_the_labs_weights_is_the_labs_extractor():
    """The homework's claim: the model solution on the lab's torchvision weights file gives the
    lab's own feature maps."""
    from labhelpers.network.extractor import build_feature_extractor
    from labhelpers.network.weights import torchvision_weights

    layers = ["block4_conv2", "block1_conv1"]
    images = np.random.default_rng(3).uniform(0, 1, (1, 48, 64, 3)).astype(np.float32)
    mine = solutions.feature_extractor(str(torchvision_weights(download=False)), layers, "torch")
    lab = build_feature_extractor("torchvision", layers=layers, verbose=False)
    for name in layers:
        np.testing.assert_allclose(
            np.asarray(mine(tf.constant(images))[name]),
            lab(images)[name].numpy(),
            rtol=1e-4,
            atol=1e-4,
        )


def first_image_only(weights_file, layers, preprocessing):
    extract = solutions.feature_extractor(weights_file, layers, preprocessing)
    return lambda images: {name: value[:1] for name, value in extract(images).items()}


@pytest.mark.parametrize(
    "fn, words",
    [
        (make(caffe=lambda x: x), "caffe: x * 255, channels reversed"),
        (lambda weights_file, layers, preprocessing: {}, "not a function of the pictures"),
        (first_image_only, "return each layer's output for the whole batch"),
    ],
    ids=["caffe_unprepared", "not_a_function", "one_image"],
)
def test_the_other_diagnoses(capsys, fn, words):
    passed, out = verdict(capsys, check_feature_extractor, fn, seed=2)
    assert not passed and out.startswith("❌ feature_extractor"), out
    assert words in out, out
