"""Checker of the homework's feature-extractor exercise: VGG16 from a bare Keras model.

``check_feature_extractor(feature_extractor)`` writes a VGG16 weights file of *random* weights
(He-normal kernels, small random biases; a fresh set per seed, in a temporary folder), asks the
student's ``feature_extractor(weights_file, layers, preprocessing)`` for an extractor with random
layers in a random order, once for each input convention:

- ``"torch"``: torchvision's weights (the lab's): RGB in [0, 1], ``(x - mean) / std`` per channel
  with ImageNet's mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225);
- ``"caffe"``: Keras's and Caffe's weights: BGR, 0-255, ImageNet's mean (103.939, 116.779,
  123.68 in BGR order) subtracted, no std;

and compares its maps for random pictures with an independent forward pass (``tf.nn`` ops on the
same arrays, preprocessing written out in NumPy).  Random weights mean that a function that
ignores ``weights_file`` cannot pass.  The classic bugs of every port are named when they explain
every map: the channels not swapped (or swapped for torch), the wrong scale (0-255 for torch,
[0, 1] for Caffe), a missing mean or std, the other convention, Keras's ``preprocess_input`` on
[0, 1] pictures; layers picked by position (a pooling layer, the neighbour), maps paired with the
wrong names (an order mix-up), a model fixed to 224 x 224 pictures, and weights never loaded.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

import numpy as np

from labhelpers.config import import_tensorflow
from labhelpers.exercises.checks import fallbacks
from labhelpers.exercises.checks.core import (
    CheckFailed,
    Diagnosis,
    call_student,
    check_function,
    expect_calls,
    on_input,
    register_reference,
    repeat_text,
    returned,
)
from labhelpers.files import replacing
from labhelpers.network.layers import VGG16_LAYERS

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

__all__ = ["check_feature_extractor", "reference_maps", "random_vgg16_arrays", "PREPROCESSINGS"]

_CALL = "feature_extractor(weights_file, layers, preprocessing)"

# The two conventions, written out here on their own (the lab's are in network/extractor.py).
_MEAN_RGB = np.array([0.485, 0.456, 0.406])
_STD_RGB = np.array([0.229, 0.224, 0.225])
_CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68])


def _torch(x: np.ndarray) -> np.ndarray:
    return (x - _MEAN_RGB) / _STD_RGB


def _caffe(x: np.ndarray) -> np.ndarray:
    return 255.0 * x[..., ::-1] - _CAFFE_MEAN_BGR


#: The right preprocessing of each convention, RGB [0, 1] (B, H, W, 3) -> the network's input.
PREPROCESSINGS: dict[str, Callable[[np.ndarray], np.ndarray]] = {"torch": _torch, "caffe": _caffe}

_TORCH_HINT = "torch: (x - mean) / std per channel, RGB, on x in [0, 1]"
_CAFFE_HINT = "caffe: x * 255, channels reversed to BGR, ImageNet's BGR mean subtracted"

#: Per convention: wrong preprocessings the usual port bugs give, with what to tell the student.
_WRONG_INPUTS: dict[str, list[tuple[Callable[[np.ndarray], np.ndarray], Diagnosis]]] = {
    "torch": [
        (
            _caffe,
            Diagnosis(
                "for 'torch' weights your extractor prepares the pictures the Caffe way (BGR, "
                "0-255, mean subtracted): the convention of Keras's own weights, not of these",
                _TORCH_HINT,
            ),
        ),
        (
            lambda x: x[..., ::-1] - _CAFFE_MEAN_BGR,
            Diagnosis(
                "your extractor applies Keras's vgg16.preprocess_input (BGR, Caffe's mean) to "
                "pictures in [0, 1]: Caffe's convention, and without the x 255 it assumes",
                _TORCH_HINT,
            ),
        ),
        (
            lambda x: (x[..., ::-1] - _MEAN_RGB) / _STD_RGB,
            Diagnosis(
                "your extractor swaps the colour channels (BGR) for 'torch' weights, which "
                "were trained on RGB",
                "keep RGB for torchvision's weights; only Caffe's want BGR",
            ),
        ),
        (
            lambda x: _torch(x)[..., ::-1],
            Diagnosis(
                "your extractor reverses the colour channels (RGB -> BGR) after normalising, "
                "for 'torch' weights that were trained on RGB",
                "keep RGB for torchvision's weights; only Caffe's want BGR",
            ),
        ),
        (
            lambda x: (255.0 * x - _MEAN_RGB) / _STD_RGB,
            Diagnosis(
                "wrong scale: your extractor gives the 'torch' network pictures in 0-255; "
                "torchvision's mean and std are for values in [0, 1]",
                _TORCH_HINT,
            ),
        ),
        (
            lambda x: (x / 255.0 - _MEAN_RGB) / _STD_RGB,
            Diagnosis(
                "wrong scale: your extractor divides the pictures by 255, but they are in "
                "[0, 1] already",
                _TORCH_HINT,
            ),
        ),
        (
            lambda x: x / _STD_RGB,
            Diagnosis(
                "the mean is missing: your extractor divides by the std but does not subtract "
                "ImageNet's mean first",
                _TORCH_HINT,
            ),
        ),
        (
            lambda x: x - _MEAN_RGB,
            Diagnosis(
                "the std is missing: your extractor subtracts the mean but does not divide by "
                "ImageNet's std",
                _TORCH_HINT,
            ),
        ),
        (
            lambda x: x,
            Diagnosis(
                "no preprocessing: your extractor gives the pictures to VGG16 as they are",
                _TORCH_HINT,
            ),
        ),
    ],
    "caffe": [
        (
            _torch,
            Diagnosis(
                "for 'caffe' weights your extractor prepares the pictures the torchvision way "
                "(RGB, [0, 1], mean/std)",
                _CAFFE_HINT,
            ),
        ),
        (
            lambda x: 255.0 * x - _CAFFE_MEAN_BGR,
            Diagnosis(
                "your extractor does not reverse the colour channels: Caffe's weights were "
                "trained on BGR pictures (and its mean is in BGR order)",
                _CAFFE_HINT,
            ),
        ),
        (
            lambda x: 255.0 * x - _CAFFE_MEAN_BGR[::-1],
            Diagnosis(
                "your extractor keeps RGB and subtracts the mean in RGB order: Caffe's weights "
                "were trained on BGR pictures",
                _CAFFE_HINT,
            ),
        ),
        (
            lambda x: x[..., ::-1] - _CAFFE_MEAN_BGR,
            Diagnosis(
                "wrong scale: Caffe's weights expect values in 0-255, your extractor gives them "
                "pictures in [0, 1] (Keras's preprocess_input assumes 0-255 too)",
                _CAFFE_HINT,
            ),
        ),
        (
            lambda x: 255.0 * x[..., ::-1],
            Diagnosis(
                "the mean is missing: Caffe's weights expect ImageNet's BGR mean subtracted",
                _CAFFE_HINT,
            ),
        ),
        (
            lambda x: x,
            Diagnosis(
                "no preprocessing: your extractor gives the pictures to VGG16 as they are",
                _CAFFE_HINT,
            ),
        ),
    ],
}

#: VGG16's layers in network order, pooling layers included (what a model's .layers list holds
#: after its input layer).
_ALL_LAYERS: tuple[str, ...] = tuple(
    name
    for conv in VGG16_LAYERS
    for name in (
        [conv, conv.split("_")[0] + "_pool"]
        if conv in ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3")
        else [conv]
    )
)


def random_vgg16_arrays(rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """13 random (kernel (3, 3, in, out), bias (out,)) float32 pairs: He-normal kernels and
    biases of about 0.05, so that a forgotten mean shifts every map."""
    pairs, channels = [], 3
    for name in VGG16_LAYERS:
        out = {"block1": 64, "block2": 128, "block3": 256}.get(name.split("_")[0], 512)
        kernel = rng.standard_normal((3, 3, channels, out), dtype=np.float32)
        pairs.append(
            (
                kernel * np.float32(np.sqrt(2.0 / (9 * channels))),
                rng.normal(0.0, 0.05, out).astype(np.float32),
            )
        )
        channels = out
    return pairs


def reference_maps(
    pairs: Sequence[tuple[np.ndarray, np.ndarray]], network_input: np.ndarray, deepest: str
) -> dict[str, np.ndarray]:
    """Every layer's map (convolutions after their ReLU, and pools) down to ``deepest``.

    An independent forward pass with ``tf.nn`` ops (not Keras's model).

    Args:
        pairs: the 13 (kernel, bias) pairs.
        network_input: the preprocessed pictures (B, H, W, 3).
        deepest: the last layer needed (from :data:`_ALL_LAYERS`).

    Returns:
        ``{layer: float32 (B, h, w, C)}`` for every layer down to ``deepest``.
    """
    x = tf.constant(network_input, tf.float32)
    maps: dict[str, np.ndarray] = {}
    convs = iter(pairs)
    for name in _ALL_LAYERS[: _ALL_LAYERS.index(deepest) + 1]:
        if name.endswith("_pool"):
            x = tf.nn.max_pool2d(x, 2, 2, "VALID")
        else:
            kernel, bias = next(convs)
            x = tf.nn.relu(tf.nn.conv2d(x, kernel, 1, "SAME") + bias)
        maps[name] = x.numpy()
    return maps


_WEIGHTS_FILES: dict[int, tuple[Path, list]] = {}
_FOLDER: Optional[tempfile.TemporaryDirectory] = None


def _weights_file(seed: int) -> tuple[Path, list[tuple[np.ndarray, np.ndarray]]]:
    """A Keras weights file of random VGG16 weights for ``seed`` (kept for this process)."""
    global _FOLDER
    if seed not in _WEIGHTS_FILES:
        from labhelpers.network.model import build_vgg16_model, set_conv_weights

        if _FOLDER is None:
            _FOLDER = tempfile.TemporaryDirectory(prefix="labhelpers-check-")
        if len(_WEIGHTS_FILES) >= 3:  # 59 MB each: keep the last few
            old_seed = next(iter(_WEIGHTS_FILES))
            _WEIGHTS_FILES.pop(old_seed)[0].unlink(missing_ok=True)
        pairs = random_vgg16_arrays(np.random.default_rng([seed, 16]))
        model = build_vgg16_model()
        set_conv_weights(model, pairs)
        target = Path(_FOLDER.name) / f"random_vgg16_seed{seed}.weights.h5"
        with replacing(target) as partial:
            model.save_weights(str(partial))
        _WEIGHTS_FILES[seed] = (target, pairs)
    return _WEIGHTS_FILES[seed]


def _close(got: np.ndarray, expected: np.ndarray) -> bool:
    scale = max(float(np.max(np.abs(expected))), 1e-12)
    return got.shape == expected.shape and bool(
        np.allclose(got, expected, rtol=1e-3, atol=1e-4 * scale)
    )


def _student_maps(extract: Callable[..., Any], images: np.ndarray) -> Any:
    """What the student's extractor returns for ``images``; a fixed input size is named."""
    try:
        return returned(call_student(extract, [images.copy()], call="extract(images)"))
    except CheckFailed as failure:
        text = failure.diagnosis.message
        if "224" in text or "incompatible" in text.lower() or "expected shape" in text.lower():
            raise CheckFailed(
                Diagnosis(
                    f"your extractor fails on pictures of shape {images.shape} ({text})",
                    "build VGG16 for any picture size: input_shape=(None, None, 3); the style "
                    "transfer uses pictures of every size",
                )
            ) from None
        raise


def _as_dict(maps: Any, layers: Sequence[str]) -> dict[str, np.ndarray]:
    """The student's maps as {layer: array}; a diagnosis when they are not such a dict."""
    if not isinstance(maps, Mapping):
        raise CheckFailed(
            Diagnosis(
                f"your extractor returned a {type(maps).__name__}, not a dict {{layer name: "
                "feature map}",
                "return dict(zip(layers, outputs)): the lessons look the maps up by name",
            )
        )
    missing = [name for name in layers if name not in maps]
    extra = [name for name in maps if name not in layers]
    if missing or extra:
        raise CheckFailed(
            Diagnosis(
                f"your extractor's dict has the layers {list(maps)}, but {list(layers)} were "
                "asked for",
                "key the maps by the names in `layers`, exactly those",
            )
        )
    arrays = {}
    for name in layers:
        value = maps[name]
        arrays[name] = np.asarray(
            tf.convert_to_tensor(value).numpy() if tf.is_tensor(value) else value, np.float32
        )
    return arrays


def _layer_mix_up(
    got: Mapping[str, np.ndarray], maps: Mapping[str, np.ndarray], layers: Sequence[str]
) -> Optional[Diagnosis]:
    """Maps that are other layers' (by position, or paired with the wrong names)."""
    wrong = [name for name in layers if not _close(got[name], maps[name])]
    if not wrong:
        return None
    found = {
        name: next((other for other in maps if _close(got[name], maps[other])), None)
        for name in wrong
    }
    if all(found[name] in layers for name in wrong):
        pairs = ", ".join(f"under {name!r} the map of {found[name]!r}" for name in wrong)
        return Diagnosis(
            f"your maps are paired with the wrong names: {pairs}",
            "build the model's outputs in the order of `layers` and zip them with `layers` "
            "itself (not a sorted or network-ordered copy)",
        )
    if all(found[name] is not None for name in wrong):
        pairs = ", ".join(f"under {name!r} the output of {found[name]!r}" for name in wrong)
        return Diagnosis(
            f"your extractor takes the wrong layers: {pairs}",
            "pick layers by name with vgg.get_layer(name).output; counting positions in "
            "vgg.layers trips over the input layer and the pooling layers",
        )
    return None


def _judge(
    got: dict[str, np.ndarray],
    images: np.ndarray,
    pairs: list,
    layers: Sequence[str],
    preprocessing: str,
) -> None:
    """:class:`CheckFailed` naming the mistake when the maps are not VGG16's with ``pairs``."""
    deepest = max(layers, key=_ALL_LAYERS.index)
    maps = reference_maps(pairs, PREPROCESSINGS[preprocessing](images), deepest)
    misshapen = [name for name in layers if got[name].shape != maps[name].shape]
    if not misshapen:
        if all(_close(got[name], maps[name]) for name in layers):
            return
        for wrong_input, diagnosis in _WRONG_INPUTS[preprocessing]:
            wrong_maps = reference_maps(pairs, wrong_input(images), deepest)
            if all(_close(got[name], wrong_maps[name]) for name in layers):
                raise CheckFailed(diagnosis)
    every = reference_maps(pairs, PREPROCESSINGS[preprocessing](images), _ALL_LAYERS[-1])
    mix_up = _layer_mix_up(got, every, layers)
    if mix_up is not None:
        raise CheckFailed(mix_up)
    if misshapen:
        name = misshapen[0]
        raise CheckFailed(
            Diagnosis(
                f"the map under {name!r} has shape {got[name].shape}, but VGG16's {name} gives "
                f"{maps[name].shape} for pictures {images.shape}",
                "return each layer's output for the whole batch, as the model gives it",
            )
        )
    raise CheckFailed(
        Diagnosis(
            f"your maps are not VGG16's with the weights of weights_file under any usual input "
            f"convention (e.g. {layers[0]!r} differs by up to "
            f"{float(np.max(np.abs(got[layers[0]] - maps[layers[0]]))):.3g})",
            "build keras.applications.VGG16(include_top=False, weights=None, input_shape=(None, "
            "None, 3)), then vgg.load_weights(weights_file): without it the weights stay random",
        )
    )


def _layer_lists(rng: np.random.Generator) -> list[list[str]]:
    """Two random lists of 2-3 convolution layers, neither in network order."""
    lists = []
    for count in (3, 2):
        while True:
            chosen = [str(name) for name in rng.choice(VGG16_LAYERS, count, replace=False)]
            if chosen != sorted(chosen, key=VGG16_LAYERS.index):
                break
        lists.append(chosen)
    return lists


def _body(fn: Callable[..., Any], seed: int) -> str:
    rng = np.random.default_rng(seed)
    weights_file, pairs = _weights_file(seed)
    expect_calls(2)
    for layers, preprocessing in zip(_layer_lists(rng), ("torch", "caffe")):
        extract = None
        for batch, height, width in ((1, 32, 48), (2, 40, 32)):
            images = rng.uniform(0.0, 1.0, (batch, height, width, 3)).astype(np.float32)
            details = (
                f"Input: random VGG16 weights, layers={layers}, preprocessing="
                f"{preprocessing!r}, pictures {images.shape} "
                f"({repeat_text('feature_extractor', seed)})."
            )
            with on_input(details):
                if extract is None:
                    extract = returned(
                        call_student(
                            fn, [str(weights_file), list(layers), preprocessing], call=_CALL
                        )
                    )
                    if not callable(extract):
                        raise CheckFailed(
                            Diagnosis(
                                f"feature_extractor returned a {type(extract).__name__}, not a "
                                "function of the pictures",
                                "return the function extract(images) -> {layer: map}",
                            )
                        )
                got = _as_dict(_student_maps(extract, images), layers)
                _judge(got, images, pairs, layers, preprocessing)
    return (
        "VGG16 with random weights from the file: the maps of layers chosen by name, in any "
        "order, on pictures of any size, for torchvision's and Caffe's input conventions"
    )


def check_feature_extractor(
    fn: Optional[Callable[..., Any]], *, seed: Optional[int] = None
) -> bool:
    """Check a student's ``feature_extractor(weights_file, layers, preprocessing)``; print a
    verdict.

    Used by the homework (``notebooks/homework/homework_style_transfer.ipynb``, Part A).

    Args:
        fn: the student's function. It gets the path of a Keras weights file of VGG16 without
            its classifier (random weights here, torchvision's in the homework), a list of
            layer names, and ``"torch"`` or ``"caffe"``; it should return a function from RGB
            pictures (B, H, W, 3) float32 in [0, 1] to ``{layer: map (B, h, w, C)}``, built on
            ``keras.applications.VGG16(weights=None)`` with the file's weights and the
            convention's preprocessing. ``None`` counts as "not implemented yet".
        seed: seed of the random weights, layers and pictures; ``None`` draws a fresh one.

    Returns:
        True if every map matches an independent forward pass, for both conventions.
    """
    return check_function("feature_extractor", fn, seed, _body)


register_reference(check_feature_extractor, fallbacks.keras_vgg16_extractor)
