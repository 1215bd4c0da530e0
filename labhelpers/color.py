"""Colour helpers for colour-preserving style transfer (Gatys et al., 2017), pure numpy.

Images are numpy arrays of shape (H, W, 3) (or any shape ending in 3 colour channels), RGB
values in [0, 1]. Nothing here imports TensorFlow.

Two ways to keep the content photo's colours while taking the painting's style:

**Luminance-only transfer** (:func:`luminance`, :func:`match_luminance`,
:func:`combine_luminance`): split colours into luminance Y (brightness) and the two chroma
channels I, Q of the YIQ colour space. Style is transferred on Y alone; the result's Y is then
combined with the content's I and Q, so the hues are the photo's.

**Colour-histogram matching** (:func:`match_color_statistics`): before the transfer, the style
image's pixel colours are moved by an affine map ``x' = A (x - mu_s) + mu_c`` so that their mean
and 3x3 covariance equal the content's. With ``A = Sigma_c^(1/2) Sigma_s^(-1/2)`` (symmetric
square roots from an eigen-decomposition) the new covariance is
``A Sigma_s A^T = Sigma_c`` exactly.

The same map the other way round (:func:`recolor_to`, :func:`blended_color_statistics`) gives
style transfer's ``init="recolored"`` start: the photo in the painting's colours, from which
L-BFGS reaches a given style and content distance in fewer evaluations than from the photo
itself (docs/performance.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "RGB_TO_YIQ",
    "YIQ_TO_RGB",
    "rgb_to_yiq",
    "yiq_to_rgb",
    "luminance",
    "gray_to_rgb",
    "match_luminance",
    "combine_luminance",
    "color_statistics",
    "symmetric_matrix_power",
    "match_color_statistics",
    "blended_color_statistics",
    "recolor_to",
]

#: RGB -> YIQ (NTSC): rows give Y (luminance, 0..1), I (orange-blue) and Q (purple-green).
RGB_TO_YIQ = np.array(
    [
        [0.299, 0.587, 0.114],
        [0.595716, -0.274453, -0.321263],
        [0.211456, -0.522591, 0.311135],
    ],
    dtype=np.float64,
)
#: YIQ -> RGB, the exact inverse of :data:`RGB_TO_YIQ` (so a round trip is lossless).
YIQ_TO_RGB = np.linalg.inv(RGB_TO_YIQ)


def _as_colors(image: Any, name: str = "image") -> np.ndarray:
    """``image`` as a float64 array whose last axis holds 3 colour channels."""
    array = np.asarray(image, dtype=np.float64)
    if array.ndim < 1 or array.shape[-1] != 3:
        raise ValueError(
            f"{name} must have 3 colour channels on its last axis, e.g. shape (H, W, 3); got "
            f"shape {array.shape}. Load pictures with labhelpers.load_image()."
        )
    if array.size == 0:
        raise ValueError(f"{name} has no pixels (shape {array.shape}); pass a real image.")
    return array


def rgb_to_yiq(image: Any) -> np.ndarray:
    """RGB (..., 3) -> YIQ (..., 3), float64. Y is in [0, 1] for RGB in [0, 1]; I, Q are signed."""
    return _as_colors(image) @ RGB_TO_YIQ.T


def yiq_to_rgb(image: Any) -> np.ndarray:
    """YIQ (..., 3) -> RGB (..., 3), float64, not clipped (values may leave [0, 1])."""
    return _as_colors(image) @ YIQ_TO_RGB.T


def luminance(image: Any) -> np.ndarray:
    """The luminance Y = 0.299 R + 0.587 G + 0.114 B of an RGB image: shape (...,) float64."""
    return _as_colors(image) @ RGB_TO_YIQ[0]


def gray_to_rgb(gray: Any) -> np.ndarray:
    """A luminance map (H, W) -> a grey RGB image (H, W, 3), float32, clipped to [0, 1].

    Grey pixels R = G = B = y have luminance y (the Y row of :data:`RGB_TO_YIQ` sums to 1).
    """
    values = np.clip(np.asarray(gray, dtype=np.float64), 0.0, 1.0)
    return np.repeat(values[..., None], 3, axis=-1).astype(np.float32)


def match_luminance(source: Any, target: Any) -> np.ndarray:
    """Shift and scale luminance ``source`` so its mean and standard deviation equal ``target``'s.

    Gatys et al. (2017) do this to the style image's luminance before a luminance-only transfer,
    so that the painting's brightness range matches the photo's.

    Args:
        source: luminance values, any shape (e.g. (H_s, W_s)), in [0, 1].
        target: luminance values, any shape (e.g. (H_c, W_c)).

    Returns:
        ``(source - mean_s) * std_t / std_s + mean_t``, float64, same shape as ``source``, not
        clipped. A flat ``source`` (std 0) is just shifted to the target's mean.
    """
    src = np.asarray(source, dtype=np.float64)
    tgt = np.asarray(target, dtype=np.float64)
    if src.size == 0 or tgt.size == 0:
        raise ValueError(
            "match_luminance needs non-empty arrays; pass luminance maps of real images."
        )
    std_s = float(src.std())
    scale = float(tgt.std()) / std_s if std_s > 1e-12 else 0.0
    return (src - src.mean()) * scale + tgt.mean()


def combine_luminance(luminance_from: Any, color_from: Any, clip: bool = True) -> np.ndarray:
    """An image with the luminance of one image and the chroma (I, Q) of another.

    Args:
        luminance_from: RGB (H, W, 3) whose luminance Y is kept (e.g. the stylised result), or a
            luminance map (H, W).
        color_from: RGB (H, W, 3) whose chroma I, Q is kept (e.g. the content photo); same H, W.
        clip: clip the result to [0, 1] (a few pixels can leave the RGB cube).

    Returns:
        RGB float32 (H, W, 3).
    """
    lum = np.asarray(luminance_from, dtype=np.float64)
    if lum.ndim >= 1 and lum.shape[-1] == 3 and lum.ndim == np.ndim(color_from):
        lum = luminance(lum)
    yiq = rgb_to_yiq(color_from)
    if lum.shape != yiq.shape[:-1]:
        raise ValueError(
            f"combine_luminance needs images of the same size: luminance {lum.shape} vs colour "
            f"{yiq.shape[:-1]}; resize one of them first (labhelpers.images.resize_to)."
        )
    yiq[..., 0] = lum
    rgb = yiq_to_rgb(yiq)
    if clip:
        rgb = np.clip(rgb, 0.0, 1.0)
    return rgb.astype(np.float32)


def color_statistics(image: Any) -> tuple[np.ndarray, np.ndarray]:
    """Mean colour (3,) and 3x3 colour covariance of an image's pixels, float64.

    The covariance is the population one (divided by the number of pixels N):
    ``Sigma = (x - mu)^T (x - mu) / N`` over the N pixels x (rows of shape (3,)).
    """
    pixels = _as_colors(image).reshape(-1, 3)
    mean = pixels.mean(axis=0)
    centred = pixels - mean
    return mean, centred.T @ centred / pixels.shape[0]


def symmetric_matrix_power(matrix: Any, power: float, eps: float = 1e-10) -> np.ndarray:
    """``matrix ** power`` for a symmetric positive semi-definite matrix, via eigen-decomposition.

    ``M = V diag(l) V^T`` gives ``M^p = V diag(l^p) V^T``. Eigenvalues below ``eps`` are raised
    to ``eps`` first, so that a flat (e.g. grey) image's singular covariance can still be
    inverted without producing infinities.
    """
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"symmetric_matrix_power needs a square matrix, got shape {m.shape}.")
    m = (m + m.T) / 2.0
    values, vectors = np.linalg.eigh(m)
    values = np.maximum(values, eps)
    return (vectors * values**power) @ vectors.T


def match_color_statistics(
    source: Any, target: Any, clip: bool = False, eps: float = 1e-10
) -> np.ndarray:
    """Recolour ``source`` so its pixels' mean and covariance equal ``target``'s.

    ``x' = A (x - mu_s) + mu_t`` with ``A = Sigma_t^(1/2) Sigma_s^(-1/2)`` (symmetric square
    roots). Used with ``preserve_color="histogram"``: the style image is recoloured with
    the content photo's colours before its Gram matrices are computed.

    Args:
        source: RGB (H_s, W_s, 3) to recolour (the style image), values in [0, 1].
        target: RGB (H_t, W_t, 3) whose colour statistics are wanted (the content photo).
        clip: clip the result to [0, 1]. Off by default so that the statistics match exactly;
            :mod:`labhelpers.transfer.run` clips before using the image.
        eps: eigenvalue floor for the covariance square roots (see :func:`symmetric_matrix_power`).

    Returns:
        float32 array with ``source``'s shape.
    """
    out = _affine_recolor(_as_colors(source, "source"), *color_statistics(target), eps)
    if clip:
        out = np.clip(out, 0.0, 1.0)
    return out.astype(np.float32)


def blended_color_statistics(images: Any, weights: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean colour (3,) and 3x3 covariance of the mixture of several images' pixels, float64.

    Image ``i`` contributes with weight ``w_i`` (the weights are normalised to sum to 1; default
    equal): ``mu = sum w_i mu_i`` and ``Sigma = sum w_i (Sigma_i + mu_i mu_i^T) - mu mu^T``, i.e.
    the statistics of a pool in which image ``i`` makes up the fraction ``w_i`` of the pixels,
    whatever the images' sizes. One image gives :func:`color_statistics` of it.

    Args:
        images: a list of RGB images, each (H_i, W_i, 3) with values in [0, 1].
        weights: one number >= 0 per image, not all 0, or None.
    """
    images = list(images)
    if not images:
        raise ValueError("blended_color_statistics needs at least one image.")
    w = np.ones(len(images)) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if w.shape != (len(images),) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(
            f"weights must be {len(images)} finite numbers >= 0, not all 0; got {weights!r}."
        )
    w = w / w.sum()
    stats = [color_statistics(image) for image in images]
    mean = sum(wi * mu for wi, (mu, _) in zip(w, stats))
    second = sum(wi * (cov + np.outer(mu, mu)) for wi, (mu, cov) in zip(w, stats))
    return mean, second - np.outer(mean, mean)


def recolor_to(source: Any, mean: Any, covariance: Any, eps: float = 1e-10) -> np.ndarray:
    """Recolour ``source`` so its pixels have the given mean colour (3,) and covariance (3, 3).

    The affine map of :func:`match_color_statistics`, to statistics given as numbers (for example
    :func:`blended_color_statistics` of the paintings), clipped to [0, 1]: pixels the map puts
    outside the range are clipped, so the statistics then match only approximately.

    Returns:
        float32 array with ``source``'s shape, values in [0, 1].
    """
    out = _affine_recolor(
        _as_colors(source, "source"), np.asarray(mean, dtype=np.float64), covariance, eps
    )
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def _affine_recolor(src: np.ndarray, mean: np.ndarray, covariance: Any, eps: float) -> np.ndarray:
    """``A (x - mu_s) + mean`` with ``A = covariance^(1/2) Sigma_s^(-1/2)``, float64, not
    clipped."""
    mu_s, cov_s = color_statistics(src)
    a = symmetric_matrix_power(covariance, 0.5, eps) @ symmetric_matrix_power(cov_s, -0.5, eps)
    return (src - mu_s) @ a.T + mean
