"""The lessons' computations: reconstructions, textures, TV sweeps and denoising, ratio grids, distances.

Everything here computes and returns arrays, numbers or
:class:`~labhelpers.transfer.run.StyleTransferResult` objects; nothing is drawn (the NumPy-only
picture operations, noise, shifts, shuffles, are in :mod:`labhelpers.lessons.pictures`, the figures in
:mod:`labhelpers.lessons.plots`, the interactive explorers in :mod:`labhelpers.lessons.widgets`).
Every optimisation is the library's own :class:`~labhelpers.transfer.run.StyleTransfer`, run with
some loss terms at weight 0 and started from noise by :func:`from_noise`, so the lessons show the
same machinery the panel and ``stylize`` use.

Conventions: images are float32 arrays (H, W, 3) with RGB values in [0, 1]; feature maps are
(1, h, w, C) or (h, w, C) arrays or tensors, as the feature extractor returns them; sizes are
pixels of the longest side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np

from labhelpers.config import fast_mode, import_tensorflow
from labhelpers.images import DEFAULT_CONTENT, DEFAULT_STYLE, as_float_image, resize_to
from labhelpers.lessons.pictures import noise_image
from labhelpers.lessons.ratios import ScaleComparison, format_weights, weight_scale_comparison
from labhelpers.lessons.timing import print_time_estimate
from labhelpers.losses import content_loss, gram_matrix, style_loss, total_variation_loss, total_variation_loss_l2
from labhelpers.network.layers import BLOCK_FIRST_LAYERS, VGG16_LAYERS
from labhelpers.transfer.optimizers import adam
from labhelpers.transfer.run import StyleTransfer, StyleTransferResult
from labhelpers.transfer.settings import TransferSettings

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from labhelpers.network.extractor import FeatureExtractor

__all__ = [
    "from_noise",
    "Reconstruction",
    "feature_distance",
    "reconstruct",
    "distance_comparison",
    "synthesize_texture",
    "TVSweep",
    "tv_denoise",
    "RatioGrid",
    "ratio_grid_results",
    "ScaleComparison",
    "weight_scale_comparison",
    "format_weights",
    "print_time_estimate",
]


def from_noise(transfer: StyleTransfer, *, steps: int, content_weight: float = 0.0, style_weight: float = 0.0,
               tv_weight: float = 0.0, seed: int = 0, noise_amplitude: float = 1.0,
               **run_options: Any) -> tuple[np.ndarray, StyleTransferResult]:
    """Run a prepared transfer from noise with the chosen loss terms (the others at weight 0).

    Args:
        transfer: a :class:`~labhelpers.transfer.run.StyleTransfer` (targets already computed).
        steps: loss-and-gradient evaluations.
        content_weight, style_weight, tv_weight: the loss weights (>= 0); left out means 0.
        seed: seed of the noise start (same seed, same start).
        noise_amplitude: strength of the start noise, 0 to 1 (see :func:`noise_image`).
        **run_options: more arguments of :meth:`~labhelpers.transfer.run.StyleTransfer.run`
            (``optimizer="adam"``, ``callback=...``, ...).

    Returns:
        ``(start, result)``: the noise start, float32 (H, W, 3) in [0, 1] of the transfer's size,
        and the run's result.
    """
    start = noise_image(transfer.content.shape[:2], seed, noise_amplitude)
    result = transfer.run(steps=steps, content_weight=content_weight, style_weight=style_weight,
                          tv_weight=tv_weight, init=start, seed=seed, **run_options)
    return start, result


@dataclass
class Reconstruction:
    """An image rebuilt from noise so that its features match a target's.

    Attributes:
        image: the result, float32 (H, W, 3) in [0, 1].
        start: the noise image it started from, float32 (H, W, 3).
        kind: ``"content"`` (feature maps matched) or ``"style"`` (Gram matrices matched).
        layers: the layers whose features were matched.
        history: the loss history of the run (list of dicts with ``step``, ``seconds``, ``total``,
            ``content``, ``style``, ``tv``), as :mod:`labhelpers.transfer.run` records it.
        start_loss: the matched loss term (content or style, as ``stylize`` normalises it: about
            1 means "as far from the target as the target is from zero") of the noise start.
        final_loss: the same for ``image``.
    """

    image: np.ndarray
    start: np.ndarray
    kind: str
    layers: tuple[str, ...]
    history: list[dict[str, Any]] = field(default_factory=list)
    start_loss: float = float("nan")
    final_loss: float = float("nan")

    @property
    def label(self) -> str:
        """A short caption: the kind and the layers."""
        if self.kind == "content" or len(self.layers) == 1:
            return f"{self.kind}: {self.layers[-1]}"
        return f"{self.kind}: {len(self.layers)} layers,\n{self.layers[0]} … {self.layers[-1]}"


def feature_distance(image: Any, target_image: Any, extractor: "FeatureExtractor", layers: Sequence[str],
                     kind: str = "content") -> float:
    """How far ``image``'s features are from ``target_image``'s, as the lessons' losses measure it.

    Args:
        image, target_image: (H, W, 3) in [0, 1]. For ``kind="content"`` both must have the same
            size; Gram matrices do not depend on the size.
        extractor: the feature extractor (any layers; the ones needed are selected).
        layers: the layers compared.
        kind: ``"content"``: mean over layers of :func:`labhelpers.losses.content_loss`;
            ``"style"``: mean over layers of :func:`labhelpers.losses.style_loss` of the Gram matrices.
    """
    layers = tuple(layers)
    picked = extractor.with_layers(layers)
    ours, theirs = picked(as_float_image(image)), picked(as_float_image(target_image))
    total = 0.0
    for layer in layers:
        if kind == "content":
            total += float(content_loss(ours[layer], theirs[layer]))
        elif kind == "style":
            total += float(style_loss(gram_matrix(ours[layer]), gram_matrix(theirs[layer])))
        else:
            raise ValueError(f"kind must be 'content' or 'style', not {kind!r}")
    return total / len(layers)


def reconstruct(target_image: Any, extractor: "FeatureExtractor", layers: str | Sequence[str],
                kind: str = "content", size: int = 128, steps: int = 200, seed: int = 0,
                noise_amplitude: float = 1.0, **options: Any) -> Reconstruction:
    """Rebuild an image from noise using only its features at some layers (Gatys et al., Fig. 1).

    ``kind="content"`` matches the feature maps themselves: shallow layers give back the photo
    almost exactly, deep layers keep the objects and their layout but lose the exact pixels.
    ``kind="style"`` matches only the Gram matrices: the layout is lost and a texture remains,
    with larger structures as deeper layers are added.

    Args:
        target_image: the picture (H, W, 3) in [0, 1] whose features are matched.
        extractor: the feature extractor (its weights are used; the layers are chosen here).
        layers: one layer name or several.
        kind: ``"content"`` or ``"style"``.
        size: the longest side, in pixels, of the reconstruction (the target is resized to it).
        steps: optimisation steps.
        seed: seed for the noise start (same seed, same start).
        noise_amplitude: strength of the start noise, 0 to 1 (see :func:`noise_image`); fainter
            noise (e.g. 0.2) leaves less of itself where a deep layer does not constrain the picture.
        **options: passed on to ``StyleTransfer.run`` (for example ``optimizer="adam"``).

    Returns:
        A :class:`Reconstruction` with the image, its noise start, the history and the loss of
        the start and of the result.
    """
    if isinstance(layers, str):
        layers = (layers,)
    layers = tuple(layers)
    if kind not in ("content", "style"):
        raise ValueError(f"kind must be 'content' or 'style', not {kind!r}")
    unknown = [name for name in layers if name not in VGG16_LAYERS]
    if unknown or not layers:
        raise ValueError(f"Unknown VGG16 layer(s) {unknown or list(layers)}; choose from {list(VGG16_LAYERS)}.")
    target = resize_to(as_float_image(target_image)[..., :3], size)
    # The unused term gets weight 0; giving it the same layers means no extra layer is computed.
    transfer = StyleTransfer(target, target, size=size, extractor=extractor, content_layers=list(layers),
                             style_layers=list(layers))
    weights = {"content_weight": 1.0 if kind == "content" else 0.0,
               "style_weight": 1.0 if kind == "style" else 0.0, "tv_weight": 0.0}
    start, result = from_noise(transfer, steps=steps, seed=seed, noise_amplitude=noise_amplitude,
                               **weights, **options)
    image = np.clip(np.asarray(result.image, dtype=np.float32), 0.0, 1.0)
    start_loss, final_loss = (transfer.losses(picture, **weights)[kind] for picture in (start, image))
    return Reconstruction(image=image, start=start, kind=kind, layers=layers, history=list(result.history),
                          start_loss=float(start_loss), final_loss=float(final_loss))


def distance_comparison(image: Any, others: Mapping[str, Any], extractor: "FeatureExtractor",
                        layers: Sequence[str] = BLOCK_FIRST_LAYERS,
                        loss_fn: Any = None) -> dict[str, dict[str, float]]:
    """Pixel distance and per-layer feature distances between ``image`` and other versions of it.

    Each distance is *relative*: the mean squared difference divided by the mean square of
    ``image``'s own values (pixels, or that layer's features), so layers with large activations
    can be compared with layers with small ones. 0 means identical; around 1 or more means as
    different as the signal itself.

    Args:
        image: the reference picture (H, W, 3).
        others: ``{name: picture of the same size}``, e.g. a shifted copy and a noisy copy.
        extractor: the feature extractor.
        layers: the layers compared.
        loss_fn: the feature distance, ``loss_fn(generated, reference) -> scalar``; default
            :func:`labhelpers.losses.content_loss` (a notebook passes the student's own).

    Returns:
        ``{name: {"pixels": d, layer: d, ...}}``.
    """
    loss_fn = content_loss if loss_fn is None else loss_fn

    reference = as_float_image(image)
    picked = extractor.with_layers(tuple(layers))
    ref_features = picked(reference)
    table: dict[str, dict[str, float]] = {}
    for name, other in others.items():
        other_array = as_float_image(other)
        row = {"pixels": float(np.mean((other_array - reference) ** 2) / np.mean(reference ** 2))}
        features = picked(other_array)
        for layer in layers:
            energy = float(np.mean(np.square(ref_features[layer].numpy())))
            row[layer] = float(loss_fn(features[layer], ref_features[layer])) / max(energy, 1e-12)
        table[name] = row
    return table


# --------------------------------------------------------------------------- lesson 3: textures


def synthesize_texture(style_image: Any, extractor: "FeatureExtractor", layer_weights: Mapping[str, float],
                       size: int = 128, steps: int = 200, seed: int = 0, **options: Any) -> np.ndarray:
    """A texture with the painting's Gram matrices, grown from noise (style term only).

    Args:
        style_image: the painting (H, W, 3) in [0, 1].
        extractor: the feature extractor.
        layer_weights: ``{layer: weight >= 0}``; layers with weight 0 are left out. The weights
            are relative (``stylize`` rescales them to sum to 1).
        size: longest side of the texture in pixels (it has the painting's aspect ratio).
        steps: optimisation steps.
        seed: seed of the noise start.
        **options: passed on to ``StyleTransfer.run`` (for example ``progress=True``).

    Returns:
        float32 (h, w, 3) in [0, 1].

    Raises:
        ValueError: when every weight is 0.
    """
    used = {name: float(w) for name, w in layer_weights.items() if float(w) > 0}
    if not used:
        raise ValueError("Every style layer has weight 0: give at least one layer a positive weight.")
    painting = resize_to(np.asarray(style_image, dtype=np.float32), size)
    first = next(name for name in VGG16_LAYERS if name in used)
    transfer = StyleTransfer(painting, painting, size=size, extractor=extractor, content_layers=[first],
                             style_layers=used)
    _start, result = from_noise(transfer, steps=steps, style_weight=1.0, seed=seed, **options)
    return np.asarray(result.image, dtype=np.float32)


# --------------------------------------------------------------------------- lesson 4: total variation


class TVSweep:
    """Style transfer from noise at several TV weights, prepared once and remembered.

    The :class:`labhelpers.transfer.run.StyleTransfer` is built once, so every new weight only costs
    the optimisation itself; results are kept, so returning to a weight is instant.

    Args:
        content, style: the pictures (anything ``load_image`` accepts).
        extractor: the feature extractor.
        size: longest side in pixels.
        steps: optimisation steps per weight (few steps from noise leave visible noise).
        content_weight, style_weight: the other two terms' weights.
        seed: seed of the noise start (the same for every weight, so only the TV weight differs).
    """

    def __init__(self, content: Any, style: Any, extractor: "FeatureExtractor", size: int = 128, steps: int = 100,
                 content_weight: float = 1.0, style_weight: float = 1.0, seed: int = 0):
        self.transfer = StyleTransfer(content, style, size=size, extractor=extractor)
        self.steps = int(steps)
        self.content_weight = float(content_weight)
        self.style_weight = float(style_weight)
        self.seed = int(seed)
        self.start = noise_image(self.transfer.content.shape[:2], self.seed)
        self.results: dict[float, Any] = {}

    def result(self, tv_weight: float, **run_options: Any) -> Any:
        """The :class:`~labhelpers.transfer.run.StyleTransferResult` at ``tv_weight`` (computed once).

        ``run_options`` (e.g. ``progress=True``) are passed on to the run when it is computed; they
        must not change the picture (a cached result is returned without them).
        """
        key = float(round(float(tv_weight), 10))
        if key not in self.results:
            _start, self.results[key] = from_noise(self.transfer, steps=self.steps, seed=self.seed,
                                                   content_weight=self.content_weight,
                                                   style_weight=self.style_weight, tv_weight=key, **run_options)
        return self.results[key]

    def image(self, tv_weight: float, **run_options: Any) -> np.ndarray:
        """The optimised picture at ``tv_weight``, float32 (H, W, 3) in [0, 1]."""
        return np.asarray(self.result(tv_weight, **run_options).image, dtype=np.float32)

    def images(self, tv_weights: Sequence[float], **run_options: Any) -> list[np.ndarray]:
        """:meth:`image` for several weights, in order (``run_options`` as in :meth:`result`)."""
        return [self.image(w, **run_options) for w in tv_weights]


def tv_denoise(noisy: Any, weight: float, kind: str = "l1", steps: int = 200, learning_rate: float = 0.01,
               progress: bool = False) -> np.ndarray:
    """Remove noise by minimising ``sum((x - noisy)**2) / 2 + weight * TV(x)`` over the picture x.

    A small, VGG-free optimisation (the library's Adam on the pixels, kept in [0, 1]) for comparing the two
    forms of total variation in lesson 4: the L1 form (:func:`labhelpers.losses.total_variation_loss`)
    tolerates a few big steps, so edges stay sharp and flat regions become flat; the squared
    L2 form (:func:`labhelpers.losses.total_variation_loss_l2`) punishes big steps most, so
    edges are blurred like the noise.

    Args:
        noisy: the picture to clean, (H, W, 3) in [0, 1].
        weight: the weight of the TV term (>= 0); 0 returns the noisy picture.
        kind: ``"l1"`` or ``"l2"``.
        steps: Adam steps.
        learning_rate: Adam's step size, in pixel values.
        progress: show a progress bar (tqdm) over the steps.

    Returns:
        float32 (H, W, 3) in [0, 1].
    """
    if kind not in ("l1", "l2"):
        raise ValueError(f"kind must be 'l1' or 'l2', not {kind!r}")
    tv = total_variation_loss if kind == "l1" else total_variation_loss_l2
    target = tf.constant(as_float_image(noisy))
    lam = tf.constant(float(weight), tf.float32)

    @tf.function(autograph=False)  # no Python control flow to convert (and no AutoGraph warnings in the lesson)
    def value_and_grad_tf(image: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        with tf.GradientTape() as tape:
            tape.watch(image)
            loss = 0.5 * tf.reduce_sum(tf.square(image - target)) + lam * tv(image)
        return loss, tape.gradient(loss, image)

    bar = None
    if progress:
        from tqdm.auto import tqdm  # lazy: only when a bar is asked for

        bar = tqdm(total=int(steps), unit="step", desc=f"{kind.upper()} denoising, weight {weight:g}", leave=True)

    def value_and_grad(x: np.ndarray) -> tuple[float, np.ndarray]:
        loss, grad = value_and_grad_tf(tf.constant(x))
        if bar is not None:
            bar.update(1)
        return float(loss), grad.numpy()

    try:
        return adam(value_and_grad, target.numpy(), int(steps), learning_rate=learning_rate)
    finally:
        if bar is not None:
            bar.close()


# --------------------------------------------------------------------------- lesson 7: ratio grid


@dataclass
class RatioGrid:
    """Results of :func:`ratio_grid_results`: one run per style weight, the content weight fixed.

    Attributes:
        content, style: the photo and the painting at the transfer's size, float32 (H, W, 3).
        content_weight: the content weight of every run.
        style_weights: the style weights, in order.
        results: one :class:`~labhelpers.transfer.run.StyleTransferResult` per style weight.
        steps: evaluations per run; size: longest side in px.
        transfer: the prepared transfer the runs used (to run more at the same size and targets).
    """

    content: np.ndarray
    style: np.ndarray
    content_weight: float
    style_weights: list[float]
    results: list[StyleTransferResult]
    steps: int
    size: int
    transfer: StyleTransfer | None = None

    @property
    def ratios(self) -> list[float]:
        """style_weight / content_weight of each run (inf when the content weight is 0)."""
        return [w / self.content_weight if self.content_weight > 0 else float("inf") for w in self.style_weights]


def ratio_grid_results(content: Any = DEFAULT_CONTENT, style: Any = DEFAULT_STYLE, style_weights: Iterable[float] | None = None, *,
                       content_weight: float = 1.0, size: int | None = None, steps: int | None = None,
                       extractor: "FeatureExtractor | None" = None, vgg_weights: str = "auto",
                       transfer: StyleTransfer | None = None, **run_options: Any) -> RatioGrid:
    """Style transfer at several style : content ratios, the targets computed once.

    Args:
        content, style: the pictures (anything :func:`labhelpers.load_image` accepts).
        style_weights: the style weights to compare (``content_weight`` fixed); default a hundredth
            of, a tenth of and the usual ratio (``TransferSettings``' defaults): photo-like to painted.
        content_weight: the content weight of every run.
        size: longest side in px (default 128, or 48 with ``LAB_FAST=1``: a grid is for comparing).
        steps: evaluations per run (default 40, or 5 with ``LAB_FAST=1``).
        extractor, vgg_weights: where VGG16 comes from (see :class:`~labhelpers.transfer.run.StyleTransfer`).
        transfer: a prepared transfer to reuse instead (its pictures and size are used).
        **run_options: more arguments of :meth:`~labhelpers.transfer.run.StyleTransfer.run`.
    """
    if style_weights is None:
        defaults = TransferSettings(size=8, steps=1)
        usual = defaults.style_weight / defaults.content_weight * content_weight
        style_weights = (usual / 100, usual / 10, usual)
    weights = [float(w) for w in style_weights]
    if not weights:
        raise ValueError("style_weights is empty; give at least one, e.g. (1, 10, 100).")
    fast = fast_mode()
    if transfer is None:
        size = (48 if fast else 128) if size is None else int(size)
        transfer = StyleTransfer(content, style, size=size, extractor=extractor, vgg_weights=vgg_weights)
    steps = (5 if fast else 40) if steps is None else int(steps)
    results = [transfer.run(steps=steps, content_weight=content_weight, style_weight=w, **run_options)
               for w in weights]
    shape = transfer.content.shape[:2]
    return RatioGrid(content=transfer.content, style=resize_to(transfer.style_sources[0], max(shape)),
                     content_weight=float(content_weight), style_weights=weights, results=results, steps=steps,
                     size=int(transfer.size), transfer=transfer)
