r"""The loss of a style-transfer run and its gradient: the seam tests and benchmarks use.

:class:`Objective` turns a picture (H, W, 3) in [0, 1] into ``(total, terms, gradient)``; the
optimisers (:mod:`labhelpers.transfer.optimizers`) only ever see that. The loss is built from the
lecture's functions in :mod:`labhelpers.losses`, unchanged.

Loss and its normalisation
--------------------------
For content layers :math:`l \in C` (feature maps :math:`F_l` of the picture, :math:`P_l` of the
content photo) and style layers :math:`l \in S` (Gram matrices :math:`G_l` of the picture,
:math:`A_l` of the painting; with several paintings :math:`A_l = \sum_i b_i A_l^{(i)}`, blend
weights :math:`b_i` summing to 1):

.. math::

   L = \alpha \sum_{l \in C} w_l \frac{\mathrm{content\_loss}(F_l, P_l)}{\mathrm{mean}(P_l^2)}
     + \beta  \sum_{l \in S} w_l \frac{\mathrm{style\_loss}(G_l, A_l)}{\mathrm{mean}(A_l^2)}
     + \gamma \frac{\mathrm{total\_variation\_loss}(x)}{H W}

:math:`\alpha, \beta, \gamma` are ``content_weight``, ``style_weight`` and ``tv_weight``; the layer
weights :math:`w_l` sum to 1 within each group. Each layer's term is divided by the size of its
*target* (computed once, before optimising; :mod:`labhelpers.transfer.targets`), so it is a
relative squared error: 0 when the layer matches, about 1 when the picture's features are as far
from the target as the target is from zero. The TV term is measured on the [0, 1] picture, per
pixel (divided by :math:`H W`), and does not depend on the network at all.

**Why:** different VGG16 weights give activations of very different sizes. Caffe-trained weights
(Keras's) give activations 60-240x larger than torchvision's, by a different factor at each layer,
so the same raw ``style_weight`` would mean a different picture with different weights. VGG16 is
a ReLU network, so rescaling a layer's kernel by :math:`a_k` and its bias by :math:`a_1 \cdots
a_k` multiplies every activation of that layer by :math:`s_l = a_1 \cdots a_k`. Then the content
loss and :math:`\mathrm{mean}(P_l^2)` both grow by :math:`s_l^2`, the style loss and
:math:`\mathrm{mean}(A_l^2)` both by :math:`s_l^4`, and the normalised loss, its gradient and the
optimised picture stay the same (``tests/transfer/test_objective.py`` checks this).
With regions (``content_masks``, lesson 08) a style layer's term is the mean over the regions
:math:`r` of :math:`\mathrm{style\_loss}(G^{m_r}_l, A^{(r)}_l) / \mathrm{mean}((A^{(r)}_l)^2)`,
with the guided Gram matrix :math:`G^{m_r}_l` of region :math:`r`
(:func:`labhelpers.losses.guided_gram_matrix`): each region is compared with its own painting.

``normalize_losses=False`` drops the divisions (the raw lecture losses, for showing the contrast
in class; then the weights must be re-tuned for every weight source).

Speed
-----
One ``tf.function`` per network, layer choice, precision and XLA setting computes the loss terms
and the gradient. It is shared by every :class:`Objective` (and so by every ``stylize`` call) on
that network, takes the targets and the loss coefficients as tensor arguments and is traced for
pictures of any height and width, so changing weights, pictures or sizes never retraces it (and
TensorFlow's retracing warning never appears). ``precision="bfloat16"`` runs the network's
convolutions in bfloat16 (targets, Gram matrices and losses stay float32): faster only on CPUs
with native bfloat16 (AVX512_BF16/AMX), much slower on others; features differ by about 1%.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from labhelpers.config import import_tensorflow
from labhelpers.losses import (
    content_loss,
    gram_matrix,
    guided_gram_matrix,
    style_loss,
    total_variation_loss,
)
from labhelpers.network.layers import VGG16_CHANNELS, VGG16_LAYERS
from labhelpers.network.model import vgg16_forward
from labhelpers.transfer.settings import TransferSettings
from labhelpers.transfer.targets import Targets

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

__all__ = [
    "Objective",
    "loss_function",
    "loss_coefficients",
    "resolve_precision",
    "cpu_has_bfloat16",
]

#: How many compiled loss functions are kept (one per network, layer choice, precision, XLA).
FUNCTION_CACHE_SIZE = 8
_FUNCTIONS: "OrderedDict[tuple, tuple[Any, Callable]]" = OrderedDict()


def cpu_has_bfloat16() -> bool:
    """True when /proc/cpuinfo lists native bfloat16 instructions (Linux only)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            text = handle.read(200_000)
    except OSError:
        return False
    return " avx512_bf16" in text or " amx_bf16" in text


def resolve_precision(precision: str) -> str:
    """``"float32"`` or ``"bfloat16"``; ``"auto"`` picks bfloat16 only when the CPU has it
    natively."""
    if precision == "auto":
        return "bfloat16" if cpu_has_bfloat16() else "float32"
    return precision


def loss_function(
    features: Any,
    content_layers: Sequence[str],
    style_layers: Sequence[str],
    precision: str = "float32",
    jit_compile: bool = False,
    regions: int = 0,
) -> Callable:
    """The compiled
    ``f(image, content_features, style_grams, coefficients) -> (total, terms, gradient)``.

    With ``regions`` R > 0 (content masks) it is
    ``f(image, content_features, region_grams, layer_masks, region_factors, coefficients)``:
    ``region_grams`` and ``layer_masks`` per style layer (R, C, C) and (R, h, w) (see
    :class:`~labhelpers.transfer.targets.Targets`), ``region_factors`` (n_style, R) multiply each
    region's style loss within its layer's term.

    ``image`` is (1, H, W, 3) float32 in [0, 1] (any H, W); ``content_features`` and
    ``style_grams`` are the targets' tensors (:class:`~labhelpers.transfer.targets.Targets`);
    ``coefficients`` (n,) multiply the raw terms. ``terms`` (n,) holds the raw lecture losses: one
    per content layer, one per style layer, then the TV loss;
    ``total = sum(coefficients * terms)``; the gradient has the image's shape. One function is kept
    per network, layers, precision and XLA setting (see the module docstring), so calling this
    again returns the same, already traced function.
    """
    content_layers, style_layers = tuple(content_layers), tuple(style_layers)
    network = getattr(features, "base_model", features)
    key = (id(network), content_layers, style_layers, precision, bool(jit_compile), regions)
    cached = _FUNCTIONS.get(key)
    if cached is not None and cached[0] is network:
        _FUNCTIONS.move_to_end(key)
        return cached[1]
    needed = [name for name in VGG16_LAYERS if name in content_layers or name in style_layers]
    layer_maps = features.with_layers(needed) if hasattr(features, "with_layers") else features
    if precision == "bfloat16":
        layer_maps = vgg16_forward(
            features, needed, tf.bfloat16, getattr(features, "pooling", "max")
        )

    def terms_and_gradient(
        image: Any, content_targets: list, style_targets: list, coefficients: Any
    ) -> Any:
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(image)
            maps = layer_maps(image)
            terms = [
                content_loss(maps[name], target)
                for name, target in zip(content_layers, content_targets)
            ]
            terms += [
                style_loss(gram_matrix(maps[name]), target)
                for name, target in zip(style_layers, style_targets)
            ]
            terms.append(total_variation_loss(image))
            terms = tf.stack(terms)
            total = tf.reduce_sum(coefficients * terms)
        return total, terms, tape.gradient(total, image)

    def regions_terms_and_gradient(
        image: Any,
        content_targets: list,
        region_targets: list,
        layer_masks: list,
        region_factors: Any,
        coefficients: Any,
    ) -> Any:
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(image)
            maps = layer_maps(image)
            terms = [
                content_loss(maps[name], target)
                for name, target in zip(content_layers, content_targets)
            ]
            for index, name in enumerate(style_layers):
                terms.append(
                    tf.add_n(
                        [
                            region_factors[index, r]
                            * style_loss(
                                guided_gram_matrix(maps[name], layer_masks[index][r]),
                                region_targets[index][r],
                            )
                            for r in range(regions)
                        ]
                    )
                )
            terms.append(total_variation_loss(image))
            terms = tf.stack(terms)
            total = tf.reduce_sum(coefficients * terms)
        return total, terms, tape.gradient(total, image)

    channels = dict(zip(VGG16_LAYERS, VGG16_CHANNELS))
    coefficient_spec = tf.TensorSpec([len(content_layers) + len(style_layers) + 1], tf.float32)
    content_specs = [
        tf.TensorSpec([1, None, None, channels[name]], tf.float32) for name in content_layers
    ]
    if regions:
        function = regions_terms_and_gradient
        signature = [
            tf.TensorSpec([1, None, None, 3], tf.float32),
            content_specs,
            [
                tf.TensorSpec([regions, channels[name], channels[name]], tf.float32)
                for name in style_layers
            ],
            [tf.TensorSpec([regions, None, None], tf.float32) for _ in style_layers],
            tf.TensorSpec([len(style_layers), regions], tf.float32),
            coefficient_spec,
        ]
    else:
        function = terms_and_gradient
        signature = [
            tf.TensorSpec([1, None, None, 3], tf.float32),
            content_specs,
            [tf.TensorSpec([channels[name], channels[name]], tf.float32) for name in style_layers],
            coefficient_spec,
        ]
    compiled = tf.function(function, input_signature=signature, jit_compile=bool(jit_compile))
    _FUNCTIONS[key] = (network, compiled)
    while len(_FUNCTIONS) > FUNCTION_CACHE_SIZE:
        _FUNCTIONS.popitem(last=False)
    return compiled


def loss_coefficients(
    targets: Targets, settings: TransferSettings
) -> tuple[np.ndarray, np.ndarray]:
    """(coefficients of the raw terms in the total, divisors that normalise each term), both (n,).

    ``coefficient = weight * layer weight / divisor``; the divisors are the targets' mean squares
    and H * W for TV when ``settings.normalize_losses``, else 1 (see the module docstring).
    """
    content_w = np.array(list(settings.content_layers.values()))
    style_w = np.array(list(settings.style_layers.values()))
    if settings.normalize_losses:
        height, width = targets.shape
        divisors = np.concatenate(
            [targets.content_norms, targets.style_norms, [float(height * width)]]
        )
    else:
        divisors = np.ones(len(content_w) + len(style_w) + 1)
    weights = np.concatenate(
        [
            settings.content_weight * content_w,
            settings.style_weight * style_w,
            [settings.tv_weight],
        ]
    )
    return weights / divisors, divisors


class Objective:
    """The loss of one run's targets and weights, and its gradient, for pictures (H, W, 3)
    in [0, 1].

    Args:
        features: the feature extractor (:class:`labhelpers.network.extractor.FeatureExtractor`).
        targets: the :class:`~labhelpers.transfer.targets.Targets` (their size is the picture's).
        settings: the run's settings; used: the layers, the three loss weights,
            ``normalize_losses``, ``precision`` and ``jit_compile``. Default
            ``TransferSettings()``.

    ``Objective(features, targets, settings).evaluate(picture)`` is one loss-and-gradient
    evaluation, what every optimiser step costs; ``.record(terms)`` turns its terms into a history
    record (see :class:`~labhelpers.transfer.run.StyleTransferResult`).
    """

    def __init__(self, features: Any, targets: Targets, settings: TransferSettings | None = None):
        settings = TransferSettings() if settings is None else settings
        self.settings = settings
        self.targets = targets
        self.content_layers: Mapping[str, float] = settings.content_layers
        self.style_layers: Mapping[str, float] = settings.style_layers
        if (len(targets.content_features), len(targets.style_grams)) != (
            len(self.content_layers),
            len(self.style_layers),
        ):
            raise ValueError(
                "These targets were computed for other layers than the settings name; compute "
                "them with the same content_layers and style_layers."
            )
        self.precision = resolve_precision(settings.precision)
        self.coefficients, self.divisors = loss_coefficients(targets, settings)
        regions = 0 if targets.region_grams is None else int(targets.region_norms.shape[1])
        self._function = loss_function(
            features,
            list(self.content_layers),
            list(self.style_layers),
            self.precision,
            settings.jit_compile,
            regions,
        )
        self._coefficient_tensor = tf.constant(self.coefficients, tf.float32)
        self._style_targets: tuple = (targets.style_grams,)
        if regions:
            # each region's loss relative to its own target, averaged over the regions; times the
            # layer's divisor (the regions' mean), which the coefficient divides by again
            factors = (
                targets.style_norms[:, None] / targets.region_norms / regions
                if settings.normalize_losses
                else np.full(targets.region_norms.shape, 1.0 / regions)
            )
            self._style_targets = (
                targets.region_grams,
                targets.layer_masks,
                tf.constant(factors, tf.float32),
            )

    def evaluate(self, image: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """One loss-and-gradient evaluation.

        Args:
            image: the picture, (H, W, 3) float32 in [0, 1], of the targets' size.

        Returns:
            ``(total, terms, gradient)``: the weighted, normalised total loss (float); the raw
            lecture losses (n,) float64 (content layers, style layers, TV); d total / d image,
            (H, W, 3) float32.
        """
        picture = np.asarray(image, dtype=np.float32)
        if picture.shape[:2] != self.targets.shape:
            raise ValueError(
                f"The picture is {picture.shape[:2]} but the targets are for "
                f"{self.targets.shape}; resize it with "
                "labhelpers.images.resize_to(picture, shape)."
            )
        total, terms, grad = self._function(
            tf.constant(picture[np.newaxis]),
            self.targets.content_features,
            *self._style_targets,
            self._coefficient_tensor,
        )
        return float(total.numpy()), terms.numpy().astype(np.float64), grad.numpy()[0]

    def record(self, terms: np.ndarray) -> dict[str, Any]:
        """A history record from raw ``terms`` (n,): ``total``, ``content``, ``style``, ``tv``
        (weighted) and ``content_layers`` / ``style_layers``
        (``{layer: normalised loss, before weighting}``)."""
        nc, ns = len(self.content_layers), len(self.style_layers)
        weighted = terms * self.coefficients
        normalised = terms / self.divisors
        content, style, tv = (
            float(weighted[:nc].sum()),
            float(weighted[nc : nc + ns].sum()),
            float(weighted[-1]),
        )
        return {
            "total": content + style + tv,
            "content": content,
            "style": style,
            "tv": tv,
            "style_layers": {
                n: float(v) for n, v in zip(self.style_layers, normalised[nc : nc + ns])
            },
            "content_layers": {n: float(v) for n, v in zip(self.content_layers, normalised[:nc])},
        }

    def losses(self, image: np.ndarray) -> dict[str, Any]:
        """The history record of one picture (no gradient step): :meth:`evaluate`
        then :meth:`record`."""
        _, terms, _ = self.evaluate(image)
        return self.record(terms)
