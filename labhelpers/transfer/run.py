r"""Gatys-style neural style transfer: :func:`stylize` and the reusable :class:`StyleTransfer`.

The picture being optimised is always an RGB image in [0, 1] of shape (H, W, 3); the VGG16
preprocessing that belongs to the weights happens inside the feature extractor
(:mod:`labhelpers.network.extractor`). The loss is built from the lecture's functions in
:mod:`labhelpers.losses`, unchanged.

Loss and its normalisation
--------------------------
For content layers :math:`l \in C` (feature maps :math:`F_l` of the image, :math:`P_l` of the
content photo) and style layers :math:`l \in S` (Gram matrices :math:`G_l` of the image,
:math:`A_l` of the painting; with several paintings :math:`A_l = \sum_i b_i A_l^{(i)}`, blend
weights :math:`b_i` summing to 1):

.. math::

   L = \alpha \sum_{l \in C} w_l \frac{\mathrm{content\_loss}(F_l, P_l)}{\mathrm{mean}(P_l^2)}
     + \beta  \sum_{l \in S} w_l \frac{\mathrm{style\_loss}(G_l, A_l)}{\mathrm{mean}(A_l^2)}
     + \gamma \frac{\mathrm{total\_variation\_loss}(x)}{H W}

:math:`\alpha, \beta, \gamma` are ``content_weight``, ``style_weight`` and ``tv_weight``; the
layer weights :math:`w_l` sum to 1 within each group. Each layer's term is divided by the size
of its *target* (computed once, before optimising), so it is a relative squared error: 0 when
the layer matches, about 1 when the image's features are as far from the target as the target
is from zero.

**Why:** different VGG16 weights give activations of very different sizes. Caffe-trained
weights (Keras's) give activations 60-240x larger than torchvision's, by a different factor at
each layer, so the same raw ``style_weight`` means a different picture with different weights.
VGG16 is a ReLU network, so rescaling a layer's kernel by :math:`a_k` and its bias by
:math:`a_1 \cdots a_k` multiplies every activation of that layer by :math:`s_l = a_1 \cdots a_k`.
Then the content loss and :math:`\mathrm{mean}(P_l^2)` both grow by :math:`s_l^2`, the style
loss and :math:`\mathrm{mean}(A_l^2)` both by :math:`s_l^4`, and the normalised loss, its
gradient and the optimised picture stay the same (``tests/test_scale_invariance.py`` checks
this). The TV term is measured on the [0, 1] image, per pixel, and does not depend on the
network at all. ``normalise=False`` drops the divisions (the raw lecture losses, for showing
the contrast in class; then weights must be re-tuned for every weight source).

Speed
-----
Targets (content features, Gram matrices, normalisers) are computed once per image size and
colour mode and kept. One ``tf.function`` computes the loss terms and the gradient; it takes
the targets and the loss coefficients as tensor arguments, so changing weights between runs
never retraces it (there is one trace per image size). XLA (``jit_compile=True``) is an
option; on the 2-core CPU this was written on it was slower (0.66 s vs 0.53 s per evaluation
at 256 px, 1.32 s vs 1.09 s at 512 px; ``benchmarks/results/bench.md``), so it is off by
default. ``precision="bfloat16"`` runs the network's convolutions in bfloat16: 0.30 s and
0.62 s there (the CPU has native bfloat16), with features about 1% off; opt-in.

Optimisers: ``"lbfgs"`` (scipy's L-BFGS-B with the box [0, 1] for every pixel; every
loss-and-gradient evaluation, including line-search trials, counts as a step) and ``"adam"``
(Adam with learning rate 0.02 in pixel units, the image clipped to [0, 1] after each step).
Above 512 px the picture is first optimised at half size (or less) and then refined
(coarse-to-fine), which keeps 1024 px practical on a CPU.

Robustness
----------
Ctrl-C (``KeyboardInterrupt``), ``should_stop()`` and ``time_budget`` end the run early and
return the best picture so far (the one with the lowest total loss); a loss or gradient that
becomes NaN/infinite or explodes ends it too, keeping the best good picture. The reason is in
``result.stopped`` and ``result.message``. The same ``seed`` gives the same result.

Colour preservation (Gatys et al. 2017, "Controlling perceptual factors")
------------------------------------------------------------------------
``preserve_color="luminance"``: the transfer runs on luminance only. Content and style
pictures become grey images of their luminance (the style's luminance shifted/scaled to the
content's mean and standard deviation), the grey result's luminance is then combined with the
content photo's chroma (YIQ I and Q channels). Losses in the history refer to the grey run.
``preserve_color="histogram"``: before the run, the style image's colours are mapped so that
their mean and covariance equal the content's (:func:`labhelpers.color.match_color_statistics`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from labhelpers import color
from labhelpers.config import fast_mode
from labhelpers.network.layers import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS, VGG16_LAYERS

__all__ = [
    "StyleTransfer",
    "StyleTransferResult",
    "stylize",
    "default_size",
    "default_steps",
    "stage_sizes",
    "DEFAULT_CONTENT_LAYERS",
    "DEFAULT_STYLE_LAYERS",
    "DEFAULT_CONTENT_WEIGHT",
    "DEFAULT_STYLE_WEIGHT",
    "DEFAULT_TV_WEIGHT",
]

# --- defaults ----------------------------------------------------------------------------------

#: Weights of the normalised loss terms (see the module docstring).
DEFAULT_CONTENT_WEIGHT = 1.0
DEFAULT_STYLE_WEIGHT = 10.0
DEFAULT_TV_WEIGHT = 1.0
#: Longest side in pixels and number of loss-and-gradient evaluations (normal and LAB_FAST).
DEFAULT_SIZE, FAST_SIZE = 256, 64
DEFAULT_STEPS, FAST_STEPS = 60, 10
#: Adam's learning rate: the largest change of a pixel value per step is about this much.
ADAM_LEARNING_RATE = 0.02
ADAM_BETAS = (0.9, 0.999)
ADAM_EPSILON = 1e-8
#: Above this size (longest side, px) coarse-to-fine is switched on by default.
COARSE_TO_FINE_ABOVE = 512
#: The smallest stage that coarse-to-fine creates, px.
SMALLEST_STAGE = 32
#: A total loss this many times the first one counts as exploding.
EXPLODE_FACTOR = 1e4

OPTIMIZERS = ("lbfgs", "adam")
INITS = ("content", "style", "noise")
COLOR_MODES = (None, "luminance", "histogram")
STOP_REASONS = (None, "stop", "interrupt", "time_budget", "nan")


def default_size() -> int:
    """The default longest side in pixels: 256, or 64 in fast mode (``LAB_FAST=1``)."""
    return FAST_SIZE if fast_mode() else DEFAULT_SIZE


def default_steps() -> int:
    """The default number of loss-and-gradient evaluations: 60, or 10 in fast mode."""
    return FAST_STEPS if fast_mode() else DEFAULT_STEPS


# --- the result -----------------------------------------------------------------------------


@dataclass
class StyleTransferResult:
    """What :func:`stylize` and :meth:`StyleTransfer.run` return.

    Attributes:
        image: the stylised picture, float32 (H, W, 3), RGB in [0, 1]: the evaluated image with
            the lowest total loss (at the final scale), colour-preserved if asked for.
        history: one dict per loss-and-gradient evaluation, in order, with keys ``step`` (1, 2,
            ...), ``seconds`` (since the run started), ``total``, ``content``, ``style``, ``tv``
            (the weighted terms; ``total = content + style + tv``), ``style_layers`` (``{layer:
            normalised style loss of that layer, before weighting}``), ``content_layers``
            (likewise) and ``stage_size`` (longest side of the image being optimised, px).
        options: the settings used (sizes, weights, layers, optimiser, weight source, ...).
        stopped: why the run ended early: None (it did all its steps), ``"stop"``
            (``should_stop()`` said so), ``"interrupt"`` (Ctrl-C), ``"time_budget"`` or ``"nan"``
            (the loss became NaN/infinite or exploded).
        message: one or two sentences for people about how the run went.
        best_step: the step whose image is returned (None if no step finished).
    """

    image: np.ndarray
    history: list[dict[str, Any]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    stopped: str | None = None
    message: str = ""
    best_step: int | None = None

    @property
    def final(self) -> dict[str, Any]:
        """The last history record (an empty dict if no evaluation finished)."""
        return self.history[-1] if self.history else {}

    @property
    def seconds(self) -> float:
        """Seconds from the start of the run to its last evaluation."""
        return float(self.history[-1]["seconds"]) if self.history else 0.0

    def __repr__(self) -> str:
        shape = "x".join(str(d) for d in self.image.shape)
        return (f"StyleTransferResult(image={shape}, steps={len(self.history)}, stopped={self.stopped!r}, "
                f"message={self.message!r})")


# --- internal control flow -------------------------------------------------------------------


class _Stop(Exception):
    """Raised inside the objective (also through scipy) to end the run early."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


class _StageDone(Exception):
    """Raised inside the objective when a stage has used up its steps."""


@dataclass
class _Targets:
    """Everything computed once for one image size and colour mode."""

    content: np.ndarray                 # (H, W, 3) content picture the run sees
    content_color: np.ndarray           # (H, W, 3) original-colour content at this size
    styles: list[np.ndarray]            # style pictures the run sees, each (h, w, 3)
    content_features: list[Any]         # per content layer: tf tensor (1, h, w, C)
    style_grams: list[Any]              # per style layer: tf tensor (C, C), blended
    content_norms: np.ndarray           # per content layer: mean(P_l**2)
    style_norms: np.ndarray             # per style layer: mean(A_l**2)


# --- argument checks ------------------------------------------------------------------------


def _check_positive_int(value: Any, name: str, example: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive whole number such as {example}, not {value!r}.")
    return int(value)


def _check_weight(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number >= 0, not {value!r}.") from None
    if isinstance(value, bool) or not math.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a finite number >= 0 (e.g. {name}=1.0), not {value!r}.")
    return number


def _layer_weights(layers: Any, default: Sequence[str], kind: str) -> dict[str, float]:
    """None / a name / a list of names / a dict name->weight -> {name: weight}, weights summing to 1."""
    if layers is None:
        layers = list(default)
    if isinstance(layers, str):
        layers = [layers]
    if isinstance(layers, Mapping):
        items = [(str(k), _check_weight(v, f"the weight of {kind} layer {k!r}")) for k, v in layers.items()]
    else:
        try:
            names = list(layers)
        except TypeError:
            raise ValueError(f"{kind}_layers must be a list of VGG16 layer names or a dict name -> weight, "
                             f"not {layers!r}.") from None
        items = [(str(n), 1.0) for n in names]
    if not items:
        raise ValueError(f"{kind}_layers is empty; give at least one layer, e.g. {list(default)}.")
    unknown = [n for n, _ in items if n not in VGG16_LAYERS]
    if unknown:
        raise ValueError(f"Unknown {kind} layer(s) {unknown}; choose from {list(VGG16_LAYERS)}.")
    names = [n for n, _ in items]
    if len(set(names)) != len(names):
        raise ValueError(f"{kind}_layers names a layer twice: {names}; list each layer once.")
    total = sum(w for _, w in items)
    if total <= 0:
        raise ValueError(f"The {kind} layer weights add up to 0; give at least one layer a positive weight.")
    return {n: w / total for n, w in items}


def _blend_weights(style_blend: Any, count: int) -> np.ndarray:
    if style_blend is None:
        return np.full(count, 1.0 / count)
    try:
        weights = [float(w) for w in (style_blend if isinstance(style_blend, (list, tuple, np.ndarray))
                                      else [style_blend])]
    except (TypeError, ValueError):
        raise ValueError(f"style_blend must be a list of numbers, one per style image, not {style_blend!r}.") from None
    if len(weights) != count:
        raise ValueError(f"style_blend has {len(weights)} weight(s) but there are {count} style image(s); "
                         "give one weight per style image.")
    if any(not math.isfinite(w) or w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError(f"style_blend weights must be >= 0 and not all 0, not {weights}.")
    array = np.asarray(weights, dtype=np.float64)
    return array / array.sum()


def _check_color_mode(value: Any) -> str | None:
    if value in (None, False, "none", "None", ""):
        return None
    if value in ("luminance", "histogram"):
        return value
    raise ValueError(f"preserve_color must be None, 'luminance' or 'histogram', not {value!r}.")


def stage_sizes(size: int, coarse_to_fine: Any = None) -> list[int]:
    """The longest sides (px) of the optimisation stages, coarse to fine, ending with ``size``.

    Args:
        size: the final longest side, px.
        coarse_to_fine: None (auto: on when ``size > 512``), True, False, or an explicit list of
            smaller sizes to go through first (e.g. ``[256, 512]`` for ``size=1024``).

    With True (or auto) the size is halved until it is at most 512 px (at least once, and not
    below 32 px): 1024 -> [512, 1024], 2048 -> [512, 1024, 2048], 64 -> [32, 64].
    """
    if coarse_to_fine is None:
        coarse_to_fine = size > COARSE_TO_FINE_ABOVE
    if coarse_to_fine is False:
        return [size]
    if coarse_to_fine is True:
        sizes = [size]
        while sizes[0] > COARSE_TO_FINE_ABOVE or len(sizes) == 1:
            half = (sizes[0] + 1) // 2
            if half < SMALLEST_STAGE:
                break
            sizes.insert(0, half)
        return sizes
    try:
        earlier = [_check_positive_int(s, "each coarse_to_fine size", 256) for s in coarse_to_fine]
    except TypeError:
        raise ValueError(f"coarse_to_fine must be None, True, False or a list of sizes, not {coarse_to_fine!r}.") from None
    if any(b <= a for a, b in zip(earlier + [size], (earlier + [size])[1:])):
        raise ValueError(f"coarse_to_fine sizes must increase and stay below size={size}; got {earlier}.")
    return earlier + [size]


def _split_steps(steps: int, stages: int) -> list[int]:
    """Split ``steps`` evaluations over stages, coarse stages getting more (weights 2^k:...:2:1)."""
    stages = min(stages, steps)
    weights = np.array([2.0 ** (stages - 1 - i) for i in range(stages)])
    counts = np.maximum(1, np.floor(steps * weights / weights.sum())).astype(int)
    counts[-1] += steps - counts.sum()
    while counts[-1] < 1:  # only for tiny step counts: take from the largest
        counts[np.argmax(counts)] -= 1
        counts[-1] += 1
    return [int(c) for c in counts]


def _cpu_has_bfloat16() -> bool:
    """True when /proc/cpuinfo lists native bfloat16 instructions (Linux only)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            text = handle.read(200_000)
    except OSError:
        return False
    return " avx512_bf16" in text or " amx_bf16" in text


def _check_precision(precision: Any) -> str:
    if precision == "auto":
        return "bfloat16" if _cpu_has_bfloat16() else "float32"
    if precision not in ("float32", "bfloat16"):
        raise ValueError(f"precision must be 'float32', 'bfloat16' or 'auto', not {precision!r}.")
    return precision


def _plain_vgg16(extractor: Any, layers: Sequence[str], dtype: Any) -> Callable[[Any], dict[str, Any]]:
    """VGG16 written with plain TensorFlow ops in ``dtype``, from ``extractor``'s weights.

    Same network as the Keras model (3x3 'same' convolutions with ReLU, 2x2 max pooling before
    every block but the first), stopping at the deepest layer asked for. Takes RGB (B, H, W, 3)
    float32 in [0, 1], returns ``{layer: float32 (B, h, w, C)}``.
    """
    import tensorflow as tf

    deepest = max(VGG16_LAYERS.index(name) for name in layers)
    weights = [(tf.constant(kernel, dtype), tf.constant(bias, dtype))
               for kernel, bias in extractor.conv_weights()[:deepest + 1]]
    wanted = set(layers)

    def network(images: Any) -> dict[str, Any]:
        x = tf.cast(extractor.preprocess(images), dtype)
        out = {}
        for index, name in enumerate(VGG16_LAYERS[:deepest + 1]):
            if index > 0 and name.endswith("_conv1"):
                x = tf.nn.max_pool2d(x, 2, 2, "VALID")
            kernel, bias = weights[index]
            x = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, kernel, 1, "SAME"), bias))
            if name in wanted:
                out[name] = tf.cast(x, tf.float32)
        return out

    return network


def _resize_exact(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    from labhelpers.images import resize_to

    if image.shape[:2] == tuple(shape):
        return image.astype(np.float32, copy=True)
    return resize_to(image, tuple(int(s) for s in shape))


# --- the reusable object -----------------------------------------------------------------------


class StyleTransfer:
    """Style transfer prepared once for one content picture, style picture(s), size and layers.

    Construction loads and resizes the pictures and computes the content features, the style
    Gram matrices and the per-layer normalisers (see the module docstring) once.
    :meth:`run` can then be called again and again with other loss weights, optimisers, inits
    or step counts, without recomputing targets or retracing the compiled loss function.

    Args:
        content: the content photo: anything :func:`labhelpers.images.load_image` accepts (a
            path, a bundled name such as ``"chelsea_cat"``, a URL, bytes, PIL image, array).
        style: the style painting, or a list of them (blended by ``style_blend``).
        size: longest side of the result in pixels (default 256; 64 with ``LAB_FAST=1``).
        extractor: a :class:`labhelpers.network.extractor.FeatureExtractor` to use; by default one is
            built from ``weights``.
        weights: weight source when ``extractor`` is None: ``"auto"``, ``"keras"``,
            ``"torchvision"``, ``"random"`` or a weights file (see :mod:`labhelpers.network.weights`).
        content_layers: a layer name, list of names (equal weights) or dict name -> weight;
            default ``["block4_conv2"]``. Weights are rescaled to sum to 1.
        style_layers: likewise; default ``block1_conv1 ... block5_conv1``, equal weights.
        style_blend: one weight per style picture (rescaled to sum to 1); default equal.
        normalise: divide each layer's loss by its target's size (default True; see above).
        jit_compile: compile the loss with XLA (default False: slower on the CPUs measured).
        precision: ``"float32"`` (default) or ``"bfloat16"``: run VGG16's convolutions inside the
            optimisation in bfloat16 (targets, Gram matrices and losses stay float32). About 1.7x
            faster on CPUs with native bfloat16 (AVX512_BF16/AMX), much slower on others;
            features then differ from float32 ones by about 1%. ``"auto"`` picks bfloat16 when
            /proc/cpuinfo lists avx512_bf16 or amx_bf16.
        verbose: print which VGG16 weights were loaded.

    Raises:
        labhelpers.images.ImageError: a picture cannot be loaded.
        labhelpers.network.weights.WeightsError: no VGG16 weights are available.
        ValueError: a bad layer name, size or blend; the message says what to pass instead.
    """

    def __init__(self, content: Any, style: Any, size: int | None = None, extractor: Any = None,
                 weights: str = "auto", content_layers: Any = None, style_layers: Any = None,
                 style_blend: Sequence[float] | None = None, *, normalise: bool = True,
                 jit_compile: bool = False, precision: str = "float32", verbose: bool = False):
        import tensorflow as tf

        from labhelpers.images import load_image, resize_to

        self.size = _check_positive_int(default_size() if size is None else size, "size", 256)
        styles = list(style) if isinstance(style, (list, tuple)) else [style]
        if not styles:
            raise ValueError("style is an empty list; give at least one style image.")
        self.blend = _blend_weights(style_blend, len(styles))
        self.content_layers = _layer_weights(content_layers, DEFAULT_CONTENT_LAYERS, "content")
        self.style_layers = _layer_weights(style_layers, DEFAULT_STYLE_LAYERS, "style")
        self.normalise = bool(normalise)
        self.jit_compile = bool(jit_compile)
        self.precision = _check_precision(precision)

        # Pictures: loaded once at most at the final size; every stage is resized from these.
        self.content_source = load_image(content, max_size=self.size)
        self.style_sources = [load_image(s, max_size=self.size) for s in styles]
        self.content = resize_to(self.content_source, self.size)

        if extractor is None:
            from labhelpers.network.extractor import build_feature_extractor

            extractor = build_feature_extractor(weights, verbose=verbose)
        needed = [name for name in VGG16_LAYERS if name in self.content_layers or name in self.style_layers]
        self.extractor = extractor
        self.features = extractor.with_layers(needed)
        self.weight_source = getattr(extractor, "source", "unknown")
        self.preprocessing = getattr(extractor, "preprocessing", "unknown")
        self._low_precision_net: Callable[[Any], dict[str, Any]] | None = None
        if self.precision == "bfloat16":
            self._low_precision_net = _plain_vgg16(extractor, needed, tf.bfloat16)

        #: how many times targets were computed (one per image size and colour mode).
        self.target_computations = 0
        self._targets: dict[tuple[tuple[int, int], str | None], _Targets] = {}
        self._compiled = tf.function(self._loss_terms_and_grad, jit_compile=self.jit_compile,
                                     reduce_retracing=False)
        self.targets(self.content.shape[:2], None)  # the common case, prepared right away

    # ---- targets --------------------------------------------------------------------------

    def targets(self, shape: tuple[int, int], color_mode: str | None = None) -> _Targets:
        """The targets for an image of ``shape`` (H, W) and a colour mode, computed once and kept."""
        import tensorflow as tf

        from labhelpers.losses import gram_matrix

        key = (tuple(int(s) for s in shape), color_mode)
        cached = self._targets.get(key)
        if cached is not None:
            return cached
        longest = max(key[0])
        content_color = _resize_exact(self.content_source, key[0])
        # style pictures at the same scale as the content (longest side = stage size)
        from labhelpers.images import resize_to

        styles = [resize_to(s, longest) for s in self.style_sources]
        content = content_color
        if color_mode == "histogram":
            styles = [color.match_color_statistics(s, content_color, clip=True) for s in styles]
        elif color_mode == "luminance":
            content_y = color.luminance(content_color)
            content = color.gray_to_rgb(content_y)
            styles = [color.gray_to_rgb(color.match_luminance(color.luminance(s), content_y)) for s in styles]

        content_maps = self.features(content)
        content_features = [tf.identity(content_maps[name]) for name in self.content_layers]
        grams: dict[str, Any] = {}
        for weight, style_image in zip(self.blend, styles):
            maps = self.features(style_image)
            for name in self.style_layers:
                term = gram_matrix(maps[name]) * float(weight)
                grams[name] = term if name not in grams else grams[name] + term
        style_grams = [grams[name] for name in self.style_layers]

        def norm(tensor: Any, what: str) -> float:
            value = float(tf.reduce_mean(tf.square(tf.cast(tensor, tf.float64))).numpy())
            if not math.isfinite(value):
                raise ValueError(f"The feature extractor gave non-finite values for the {what}; its weights "
                                 "are broken. Rebuild it (python -m labhelpers weights) or use weights='auto'.")
            return value if value > 0 else 1.0

        content_norms = np.array([norm(f, f"content layer {n}") for n, f in zip(self.content_layers, content_features)])
        style_norms = np.array([norm(g, f"style layer {n}") for n, g in zip(self.style_layers, style_grams)])
        result = _Targets(content, content_color, styles, content_features, style_grams, content_norms, style_norms)
        self._targets[key] = result
        self.target_computations += 1
        return result

    # ---- the compiled loss ----------------------------------------------------------------

    def _loss_terms_and_grad(self, image: Any, content_features: list, style_grams: list, coefficients: Any):
        """Traced once per image size. image (1, H, W, 3) float32 in [0, 1].

        Returns (total, terms, gradient): ``terms`` holds the raw lecture losses, one per content
        layer, then one per style layer, then the TV loss; ``total = sum(coefficients * terms)``;
        the gradient has the image's shape.
        """
        import tensorflow as tf

        from labhelpers.losses import content_loss, gram_matrix, style_loss, total_variation_loss

        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(image)
            maps = self.features(image) if self._low_precision_net is None else self._low_precision_net(image)
            terms = [content_loss(maps[name], target) for name, target in zip(self.content_layers, content_features)]
            terms += [style_loss(gram_matrix(maps[name]), target) for name, target in zip(self.style_layers, style_grams)]
            terms.append(total_variation_loss(image))
            terms = tf.stack(terms)
            total = tf.reduce_sum(coefficients * terms)
        return total, terms, tape.gradient(total, image)

    def _evaluate(self, image: np.ndarray, targets: _Targets, coefficients: np.ndarray
                  ) -> tuple[float, np.ndarray, np.ndarray]:
        """One loss-and-gradient evaluation: (total, raw terms (n,), gradient (H, W, 3) float32)."""
        import tensorflow as tf

        total, terms, grad = self._compiled(
            tf.constant(image[np.newaxis], tf.float32), targets.content_features, targets.style_grams,
            tf.constant(coefficients, tf.float32))
        return float(total.numpy()), terms.numpy().astype(np.float64), grad.numpy()[0]

    def _coefficients(self, targets: _Targets, shape: tuple[int, int], content_weight: float,
                      style_weight: float, tv_weight: float, normalise: bool) -> tuple[np.ndarray, np.ndarray]:
        """(coefficients of the raw terms in the total, divisors giving the per-layer normalised values)."""
        ones_c, ones_s = np.ones(len(self.content_layers)), np.ones(len(self.style_layers))
        c_norm = targets.content_norms if normalise else ones_c
        s_norm = targets.style_norms if normalise else ones_s
        tv_norm = float(shape[0] * shape[1]) if normalise else 1.0
        divisors = np.concatenate([c_norm, s_norm, [tv_norm]])
        layer_w = np.concatenate([content_weight * np.array(list(self.content_layers.values())),
                                  style_weight * np.array(list(self.style_layers.values())), [tv_weight]])
        return layer_w / divisors, divisors

    def losses(self, image: Any, content_weight: float = DEFAULT_CONTENT_WEIGHT,
               style_weight: float = DEFAULT_STYLE_WEIGHT, tv_weight: float = DEFAULT_TV_WEIGHT,
               normalise: bool | None = None, preserve_color: str | None = None) -> dict[str, Any]:
        """The loss terms of one image (H, W, 3) in [0, 1] of this transfer's size, as a history record.

        Useful for teaching and for checking that two weight sources agree: keys ``total``,
        ``content``, ``style``, ``tv``, ``style_layers``, ``content_layers``; no optimisation.
        """
        normalise = self.normalise if normalise is None else bool(normalise)
        picture = np.asarray(image, dtype=np.float32)
        if picture.shape != self.content.shape:
            raise ValueError(f"losses() needs an image of shape {self.content.shape} (this transfer's size), "
                             f"not {picture.shape}; resize it with labhelpers.images.resize_to.")
        targets = self.targets(picture.shape[:2], _check_color_mode(preserve_color))
        coeffs, divisors = self._coefficients(targets, picture.shape[:2], _check_weight(content_weight, "content_weight"),
                                              _check_weight(style_weight, "style_weight"),
                                              _check_weight(tv_weight, "tv_weight"), normalise)
        _, terms, _ = self._evaluate(picture, targets, coeffs)
        return self._record(terms, coeffs, divisors)

    def _record(self, terms: np.ndarray, coeffs: np.ndarray, divisors: np.ndarray) -> dict[str, Any]:
        nc, ns = len(self.content_layers), len(self.style_layers)
        weighted = terms * coeffs
        normalised = terms / divisors
        content, style, tv = float(weighted[:nc].sum()), float(weighted[nc:nc + ns].sum()), float(weighted[-1])
        return {
            "total": content + style + tv, "content": content, "style": style, "tv": tv,
            "style_layers": {n: float(v) for n, v in zip(self.style_layers, normalised[nc:nc + ns])},
            "content_layers": {n: float(v) for n, v in zip(self.content_layers, normalised[:nc])},
        }

    # ---- running --------------------------------------------------------------------------

    def run(self, steps: int | None = None, content_weight: float = DEFAULT_CONTENT_WEIGHT,
            style_weight: float = DEFAULT_STYLE_WEIGHT, tv_weight: float = DEFAULT_TV_WEIGHT,
            optimizer: str = "lbfgs", init: Any = "content", seed: int = 0,
            callback: Callable[[int, np.ndarray, dict], Any] | None = None, callback_every: int = 10,
            should_stop: Callable[[], bool] | None = None, time_budget: float | None = None,
            preserve_color: str | None = None, *, coarse_to_fine: Any = None,
            normalise: bool | None = None, progress: bool = False) -> StyleTransferResult:
        """Optimise a picture; can be called repeatedly (targets and compiled function are reused).

        Args:
            steps: loss-and-gradient evaluations in total, whatever the optimiser (default 60,
                10 with ``LAB_FAST=1``).
            content_weight, style_weight, tv_weight: weights of the normalised content, style and
                total-variation terms (>= 0).
            optimizer: ``"lbfgs"`` (default; fastest to a good picture) or ``"adam"``.
            init: starting picture: ``"content"``, ``"style"`` (stretched to the content's
                shape), ``"noise"`` (uniform random, from ``seed``), or an image array.
            seed: random seed for ``init="noise"``; the same seed gives the same result.
            callback: called as ``callback(step, image, record)`` every ``callback_every``
                evaluations and after the last one; ``image`` is the best picture so far (float32
                (H, W, 3) in [0, 1], colour-preserved if asked), ``record`` the history record of
                that step. Raising ``KeyboardInterrupt`` in it ends the run like Ctrl-C.
            callback_every: see ``callback``.
            should_stop: polled after every evaluation; returning True ends the run
                (``stopped="stop"``).
            time_budget: seconds; the run ends after the first evaluation that finishes later
                (``stopped="time_budget"``).
            preserve_color: None, ``"luminance"`` or ``"histogram"`` (see the module docstring).
            coarse_to_fine: None (auto: on above 512 px), True, False or a list of smaller sizes.
            normalise: override the constructor's ``normalise`` for this run.
            progress: show a tqdm progress bar.

        Returns:
            A :class:`StyleTransferResult`. Early ends never raise: the best picture so far is
            returned with ``stopped`` and ``message`` saying why.
        """
        steps = _check_positive_int(default_steps() if steps is None else steps, "steps", 100)
        weights = (_check_weight(content_weight, "content_weight"), _check_weight(style_weight, "style_weight"),
                   _check_weight(tv_weight, "tv_weight"))
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be 'lbfgs' or 'adam', not {optimizer!r}.")
        if isinstance(init, str) and init not in INITS:
            raise ValueError(f"init must be 'content', 'style', 'noise' or an image array, not {init!r}.")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a whole number >= 0 such as 0, not {seed!r}.")
        callback_every = _check_positive_int(callback_every, "callback_every", 10)
        if time_budget is not None:
            time_budget = float(time_budget)
            if not time_budget > 0:
                raise ValueError(f"time_budget must be a number of seconds > 0 (or None), not {time_budget!r}.")
        color_mode = _check_color_mode(preserve_color)
        normalise = self.normalise if normalise is None else bool(normalise)
        if callback is not None and not callable(callback):
            raise ValueError("callback must be a function callback(step, image, record), or None.")
        if should_stop is not None and not callable(should_stop):
            raise ValueError("should_stop must be a function returning True/False, or None.")
        sizes = stage_sizes(self.size, coarse_to_fine)
        stage_steps = _split_steps(steps, len(sizes))
        sizes = sizes[len(sizes) - len(stage_steps):]
        final_shape = self.content.shape[:2]
        shapes = [tuple(max(1, round(d * s / self.size)) for d in final_shape) for s in sizes[:-1]] + [final_shape]

        options = {
            "size": self.size, "image_shape": tuple(int(d) for d in self.content.shape[:2]), "steps": steps,
            "content_weight": weights[0], "style_weight": weights[1], "tv_weight": weights[2],
            "content_layers": dict(self.content_layers), "style_layers": dict(self.style_layers),
            "optimizer": optimizer, "init": init if isinstance(init, str) else "array", "seed": int(seed),
            "preserve_color": color_mode, "style_blend": [float(b) for b in self.blend],
            "time_budget": time_budget, "coarse_to_fine": [int(s) for s in sizes],
            "stage_steps": stage_steps, "normalise": normalise, "jit_compile": self.jit_compile,
            "precision": self.precision,
            "weights": self.weight_source, "preprocessing": self.preprocessing,
            "callback_every": callback_every,
        }
        state = _RunState(steps=steps, callback=callback, callback_every=callback_every,
                          should_stop=should_stop, time_budget=time_budget, progress=progress)
        state.color_mode = color_mode
        start: np.ndarray | None = None
        try:
            for index, (shape, count) in enumerate(zip(shapes, stage_steps)):
                targets = self.targets(shape, color_mode)
                if index == 0:
                    start = self._initial_image(init, targets, int(seed), color_mode)
                else:
                    start = _resize_exact(state.best_image if state.best_image is not None else start, shape)
                state.begin_stage(shape, max(sizes[index], 1), targets, color_mode)
                coeffs, divisors = self._coefficients(targets, shape, *weights, normalise)
                objective = state.objective(lambda x: self._evaluate(x, targets, coeffs),
                                            lambda terms: self._record(terms, coeffs, divisors),
                                            until=sum(stage_steps[:index + 1]))
                if optimizer == "lbfgs":
                    _run_lbfgs(objective, start)
                else:
                    _run_adam(objective, start, count)
        except _Stop as stop:
            state.stopped, state.detail = stop.reason, stop.detail
        except KeyboardInterrupt:
            state.stopped = "interrupt"
        finally:
            state.close()
        image = state.best_image
        if image is None:  # nothing finished: the starting picture
            image = start if start is not None else self.targets(final_shape, color_mode).content
        if image.shape[:2] != final_shape:
            image = _resize_exact(image, final_shape)
        image = state.finish_colors(np.clip(image, 0.0, 1.0).astype(np.float32), self._final_content_color(color_mode))
        return StyleTransferResult(image=image, history=state.history, options=options, stopped=state.stopped,
                                   message=state.message(optimizer), best_step=state.best_step)

    def _final_content_color(self, color_mode: str | None) -> np.ndarray:
        return self.targets(self.content.shape[:2], color_mode).content_color

    def _initial_image(self, init: Any, targets: _Targets, seed: int, color_mode: str | None) -> np.ndarray:
        """The starting picture (H, W, 3) float32 in [0, 1] for the first stage."""
        shape = targets.content.shape[:2]
        grey = color_mode == "luminance"  # luminance-only runs start from grey pictures
        if isinstance(init, str):
            if init == "content":
                return targets.content.astype(np.float32, copy=True)
            if init == "style":
                return _resize_exact(targets.styles[0], shape)
            rng = np.random.default_rng(seed)
            noise = rng.uniform(0.0, 1.0, size=(*shape, 3)).astype(np.float32)
            return color.gray_to_rgb(color.luminance(noise)) if grey else noise
        from labhelpers.images import load_image

        picture = load_image(init)
        if grey:
            picture = color.gray_to_rgb(color.luminance(picture))
        return _resize_exact(picture, shape)


# --- one run's bookkeeping ---------------------------------------------------------------------


class _RunState:
    """History, best picture, callbacks and stop conditions of one :meth:`StyleTransfer.run`."""

    def __init__(self, steps: int, callback: Any, callback_every: int, should_stop: Any,
                 time_budget: float | None, progress: bool):
        self.steps = steps
        self.callback = callback
        self.callback_every = callback_every
        self.should_stop = should_stop
        self.time_budget = time_budget
        self.history: list[dict[str, Any]] = []
        self.step = 0
        self.best_total = math.inf
        self.best_image: np.ndarray | None = None
        self.best_step: int | None = None
        self.stopped: str | None = None
        self.detail = ""
        self.first_total: float | None = None
        self.start = time.perf_counter()
        self.bar = None
        if progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=steps, unit="eval", desc="stylize", leave=True)
        self.shape: tuple[int, int] | None = None
        self.stage_size = 0
        self.targets: _Targets | None = None
        self.color_mode: str | None = None

    def begin_stage(self, shape: tuple[int, int], stage_size: int, targets: _Targets, color_mode: str | None) -> None:
        """A new stage: best picture and explosion reference restart at this scale."""
        self.shape, self.stage_size, self.targets, self.color_mode = shape, stage_size, targets, color_mode
        self.best_total, self.first_total = math.inf, None

    def objective(self, evaluate: Callable, record: Callable, until: int) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
        """f(image (H, W, 3) float32) -> (total, gradient (H, W, 3)); records, checks and stops."""

        def objective(image: np.ndarray) -> tuple[float, np.ndarray]:
            if self.step >= until:
                raise _StageDone()
            total, terms, grad = evaluate(image)
            bad = not (math.isfinite(total) and np.all(np.isfinite(terms)) and np.all(np.isfinite(grad)))
            if not bad and self.first_total is not None and total > EXPLODE_FACTOR * max(self.first_total, 1e-30):
                raise _Stop("nan", f"the loss exploded at step {self.step + 1} ({total:.4g}, "
                                   f"{total / self.first_total:.3g} times the first step's)")
            if bad:
                what = "NaN" if (math.isnan(total) or np.isnan(terms).any()) else "infinite"
                if math.isfinite(total) and np.all(np.isfinite(terms)):
                    what += " gradient"
                raise _Stop("nan", f"the loss became {what} at step {self.step + 1}")
            self.step += 1
            entry = {"step": self.step, "seconds": time.perf_counter() - self.start, **record(terms),
                     "stage_size": self.stage_size}
            self.history.append(entry)
            if self.first_total is None:
                self.first_total = total
            if entry["total"] < self.best_total:
                self.best_total, self.best_step = entry["total"], self.step
                self.best_image = np.array(image, dtype=np.float32, copy=True)
            if self.bar is not None:
                self.bar.update(1)
                self.bar.set_postfix(loss=f"{entry['total']:.4g}", refresh=False)
            if self.callback is not None and (self.step % self.callback_every == 0 or self.step == self.steps):
                picture = self.finish_colors(self.best_image, self.targets.content_color)
                self.callback(self.step, picture, entry)
            if self.should_stop is not None and self.should_stop():
                raise _Stop("stop")
            if self.time_budget is not None and entry["seconds"] >= self.time_budget:
                raise _Stop("time_budget")
            return total, grad

        return objective

    def finish_colors(self, image: np.ndarray, content_color: np.ndarray) -> np.ndarray:
        """The picture as shown: luminance mode puts the content's chroma back on."""
        if self.color_mode == "luminance" and image.shape == content_color.shape:
            return color.combine_luminance(image, content_color)
        return np.clip(image, 0.0, 1.0).astype(np.float32)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def message(self, optimizer: str) -> str:
        name = {"lbfgs": "L-BFGS", "adam": "Adam"}[optimizer]
        done = f"{self.step} evaluation(s) ({name}) in {time.perf_counter() - self.start:.1f} s"
        best = (f"best total loss {self.best_total:.4g} at step {self.best_step}" if self.best_step is not None
                else "no step finished, so the starting picture is returned")
        if self.stopped is None:
            return f"Finished {done}; {best}."
        if self.stopped == "time_budget":
            why = f"Stopped: the time budget of {self.time_budget:g} s was used up"
        elif self.stopped == "nan":
            why = f"Stopped: {self.detail}"
        else:
            why = {"stop": "Stopped on request (should_stop)", "interrupt": "Interrupted (Ctrl-C)"}[self.stopped]
        advice = ""
        if self.stopped == "nan":
            advice = (" Lower style_weight/content_weight, or use optimizer='lbfgs'; the last good picture "
                      "was kept.")
        return f"{why} after {done}; {best}; returning the best picture so far.{advice}"


# --- optimisers ----------------------------------------------------------------------------------


def _run_lbfgs(objective: Callable[[np.ndarray], tuple[float, np.ndarray]], start: np.ndarray) -> None:
    """Minimise with scipy's L-BFGS-B inside the box [0, 1] until the stage's steps are used.

    scipy may end early (converged, or a line search that cannot improve); it is then restarted
    from its last point while steps remain and it still makes progress. (Its first trial step,
    of length 1 -- an RMS change of 1/sqrt(n) per pixel value -- often overshoots and is cut
    back by the line search; rescaling the variables to shorten it was tried and gave slightly
    higher losses after 60 steps at 256 px, so scipy's default is kept.)
    """
    from scipy.optimize import Bounds, minimize

    shape = start.shape
    n = int(np.prod(shape))
    bounds = Bounds(np.zeros(n), np.ones(n))
    state = {"x": np.clip(start, 0.0, 1.0).astype(np.float64).ravel(), "calls": 0}

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        state["calls"] += 1
        total, grad = objective(x.reshape(shape).astype(np.float32))
        return total, grad.astype(np.float64).ravel()

    try:
        while True:
            before = state["calls"]
            result = minimize(fun, state["x"], jac=True, method="L-BFGS-B", bounds=bounds,
                              options={"maxfun": 10**9, "maxiter": 10**9, "maxcor": 10, "ftol": 0.0, "gtol": 0.0})
            if state["calls"] - before < 3:
                return  # converged: a restart makes no progress
            state["x"] = result.x
    except _StageDone:
        return


def _run_adam(objective: Callable[[np.ndarray], tuple[float, np.ndarray]], start: np.ndarray, steps: int) -> None:
    """Adam in pixel space (numpy: cheap next to VGG16), clipped to [0, 1] after each step."""
    b1, b2 = ADAM_BETAS
    x = np.clip(start, 0.0, 1.0).astype(np.float32)
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    try:
        for t in range(1, steps + 1):
            _, grad = objective(x)
            m = b1 * m + (1 - b1) * grad
            v = b2 * v + (1 - b2) * grad * grad
            m_hat = m / (1 - b1**t)
            v_hat = v / (1 - b2**t)
            x = np.clip(x - ADAM_LEARNING_RATE * m_hat / (np.sqrt(v_hat) + ADAM_EPSILON), 0.0, 1.0).astype(np.float32)
    except _StageDone:
        return


# --- one call ----------------------------------------------------------------------------------


def stylize(content: Any, style: Any, *, size: int | None = None, steps: int | None = None,
            content_weight: float = DEFAULT_CONTENT_WEIGHT, style_weight: float = DEFAULT_STYLE_WEIGHT,
            tv_weight: float = DEFAULT_TV_WEIGHT, content_layers: Any = None, style_layers: Any = None,
            optimizer: str = "lbfgs", init: Any = "content", seed: int = 0,
            callback: Callable[[int, np.ndarray, dict], Any] | None = None, callback_every: int = 10,
            should_stop: Callable[[], bool] | None = None, time_budget: float | None = None,
            preserve_color: str | None = None, style_blend: Sequence[float] | None = None,
            weights: str = "auto", extractor: Any = None, coarse_to_fine: Any = None,
            normalise: bool = True, jit_compile: bool = False, precision: str = "float32", progress: bool = False,
            verbose: bool = False) -> StyleTransferResult:
    """Paint ``content`` in the style of ``style``: one call that prepares and runs a :class:`StyleTransfer`.

    Args:
        content: the photo; anything :func:`labhelpers.images.load_image` accepts.
        style: a painting, or a list of paintings blended with ``style_blend``.
        size: longest side of the result in px (default 256; 64 with ``LAB_FAST=1``).
        steps: loss-and-gradient evaluations (default 60; 10 with ``LAB_FAST=1``).
        content_weight, style_weight, tv_weight: weights of the normalised loss terms
            (defaults 1, 10, 1; see the module docstring for what they multiply).
        content_layers, style_layers: names or dict name -> weight (see :class:`StyleTransfer`).
        optimizer: ``"lbfgs"`` or ``"adam"``.
        init: ``"content"``, ``"style"``, ``"noise"`` or an image.
        seed: seed for the noise init.
        callback, callback_every, should_stop, time_budget: see :meth:`StyleTransfer.run`.
        preserve_color: None, ``"luminance"`` or ``"histogram"``.
        style_blend: one weight per style image (normalised to sum to 1).
        weights, extractor: where VGG16 comes from (see :class:`StyleTransfer`).
        coarse_to_fine: None (auto: on above 512 px), True, False, or a list of smaller sizes;
            the steps are split over the scales, more of them at the cheap coarse ones.
        normalise: divide each loss term by its target's size (default True).
        jit_compile: XLA-compile the loss function.
        precision: ``"float32"`` (default), ``"bfloat16"`` or ``"auto"`` (see :class:`StyleTransfer`).
        progress: show a tqdm progress bar.
        verbose: print which VGG16 weights were loaded.

    Returns:
        A :class:`StyleTransferResult` (``.image`` float32 (H, W, 3) in [0, 1], ``.history``, ...).
    """
    transfer = StyleTransfer(content, style, size=size, extractor=extractor, weights=weights,
                             content_layers=content_layers, style_layers=style_layers, style_blend=style_blend,
                             normalise=normalise, jit_compile=jit_compile, precision=precision,
                             verbose=verbose)
    return transfer.run(steps=steps, content_weight=content_weight, style_weight=style_weight,
                        tv_weight=tv_weight, optimizer=optimizer, init=init, seed=seed, callback=callback,
                        callback_every=callback_every, should_stop=should_stop, time_budget=time_budget,
                        preserve_color=preserve_color, coarse_to_fine=coarse_to_fine, progress=progress)
