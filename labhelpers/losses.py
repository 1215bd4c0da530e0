r"""The three losses of Gatys-style neural style transfer, plus total variation.

Every function takes TensorFlow tensors (or NumPy arrays / nested lists), works out its
result in the input's floating dtype (float32 stays float32, float64 stays float64,
integers become float32), is differentiable with ``tf.GradientTape`` and can be called
inside ``tf.function`` -- also with ``jit_compile=True``.  Shapes are checked when they
are known while tracing; nothing depends on tensor *values*.

Notation: a feature map :math:`F` from one VGG layer has height :math:`H`, width
:math:`W` and :math:`C` channels; :math:`F_{p,c}` is channel ``c`` at position ``p``
once the :math:`H \cdot W` positions are laid out in one row each.

**Content loss** -- how far the generated image's features are from the content
image's features, as the mean squared difference of all :math:`N` entries:

.. math:: L_\text{content}(G, R) = \frac{1}{N} \sum_k (G_k - R_k)^2

**Gram matrix** -- which channels fire *together*, wherever in the image that happens.
Each entry is the dot product of two channels over all positions, divided by
:math:`H W C` (the number of entries of the feature map):

.. math:: \mathcal{G}_{c,d} = \frac{1}{H W C} \sum_{p=1}^{H W} F_{p,c} F_{p,d}
          \qquad\text{i.e.}\qquad \mathcal{G} = \frac{F^\top F}{H W C}

Summing over positions throws away *where* things are and keeps only the texture,
which is why it describes style.

**Guided Gram matrix** (a variant beside it; Gatys et al. 2017, "Controlling Perceptual
Factors in Neural Style Transfer") -- the Gram matrix of one *region*.  A mask :math:`m_p \in
[0, 1]`, given on the layer's own :math:`H \times W` grid, weights every position's features,
and the sum is divided by the mask's area :math:`\sum_p m_p^2` instead of :math:`H W`:

.. math:: \mathcal{G}^m_{c,d} = \frac{1}{C \sum_p m_p^2}
          \sum_{p=1}^{H W} (m_p F_{p,c}) (m_p F_{p,d})

so it is the mean of :math:`F_p F_p^\top` over the region, weighted by :math:`m_p^2` (for a 0/1
mask: over the positions inside it).  With an all-ones mask it is the plain Gram matrix; an
all-zero mask gives a zero matrix (nothing to average).

**Style loss** -- the mean squared difference of the :math:`C \times C` entries of two
Gram matrices from the same layer:

.. math:: L_\text{style}(\mathcal{G}, \mathcal{A}) = \frac{1}{C^2}
          \sum_{c,d} (\mathcal{G}_{c,d} - \mathcal{A}_{c,d})^2

``weighted_style_loss`` adds this up over several layers :math:`l` with weights
:math:`w_l` (equal weights :math:`1/L` by default): :math:`\sum_l w_l L_\text{style}^l`.

**Total variation** -- how much neighbouring pixels differ; a small weight on it
smooths away high-frequency noise.  The L1 (anisotropic) form sums absolute
differences to the pixel below and to the pixel on the right, over all channels (and
all images of a batch):

.. math:: TV(x) = \sum_{i,j} |x_{i+1,j} - x_{i,j}| + |x_{i,j+1} - x_{i,j}|

It equals ``tf.image.total_variation`` summed over the batch.
``total_variation_loss_l2`` is the squared variant,
:math:`\sum_{i,j} (x_{i+1,j} - x_{i,j})^2 + (x_{i,j+1} - x_{i,j})^2`, which punishes big
jumps more and small ones less.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Union

import numpy as np

from labhelpers.config import import_tensorflow

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

#: Anything these functions accept: a tensor, a variable, an array or a nested list.
TensorLike = Union[tf.Tensor, tf.Variable, np.ndarray, Any]

__all__ = [
    "content_loss",
    "gram_matrix",
    "guided_gram_matrix",
    "style_loss",
    "weighted_style_loss",
    "total_variation_loss",
    "total_variation_loss_l2",
]


# --------------------------------------------------------------------------- helpers


def _as_float(value: TensorLike, fn: str, arg: str) -> tf.Tensor:
    """Convert ``value`` to a tensor; floats keep their dtype, everything else -> float32."""
    if value is None:
        raise TypeError(
            f"{fn}: {arg} is None; expected a tensor or array (did a function forget to return?)"
        )
    try:
        tensor = tf.convert_to_tensor(value)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{fn}: expected a tensor or array for {arg}, got {type(value).__name__} "
            f"that TensorFlow cannot convert ({err}); pass a tf.Tensor or a NumPy array"
        ) from err
    if tensor.dtype.is_floating:
        return tensor
    if tensor.dtype.is_integer or tensor.dtype == tf.bool:
        return tf.cast(tensor, tf.float32)
    raise TypeError(
        f"{fn}: expected real numbers for {arg}, got dtype {tensor.dtype.name}; pass float32 or "
        "float64 values"
    )


def _same_dtype(a: tf.Tensor, b: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Bring two float tensors to the wider of their dtypes (e.g. float32 + float64 -> float64)."""
    if a.dtype == b.dtype:
        return a, b
    wide = a.dtype if a.dtype.size >= b.dtype.size else b.dtype
    return tf.cast(a, wide), tf.cast(b, wide)


def _shape_str(tensor: tf.Tensor) -> str:
    """A static shape as ``(2, None, 3)``, or ``<unknown rank>``."""
    if tensor.shape.rank is None:
        return "<unknown rank>"
    dims = tensor.shape.as_list()
    return "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


def _dim(tensor: tf.Tensor, axis: int) -> Union[int, tf.Tensor]:
    """Size of ``axis``: a Python int when known while tracing, else a scalar int32 tensor."""
    static = tensor.shape[axis]
    return static if static is not None else tf.shape(tensor)[axis]


def _require_rank(tensor: tf.Tensor, fn: str, arg: str, expected: str) -> int:
    """Return the static rank, which must be 3 or 4."""
    rank = tensor.shape.rank
    if rank in (3, 4):
        return rank
    if rank is None:
        raise ValueError(
            f"{fn}: the rank of {arg} is unknown while tracing; expected {expected}. "
            "Give the tf.function an input_signature with the rank, e.g. tf.TensorSpec([None, "
            "None, None, 3])"
        )
    raise ValueError(
        f"{fn}: expected {arg} of shape {expected}, got shape {_shape_str(tensor)} (rank {rank})"
    )


# --------------------------------------------------------------------------- content


def content_loss(generated: TensorLike, reference: TensorLike) -> tf.Tensor:
    """Mean squared difference between two feature maps (the lecture's ``get_loss_content``).

    Args:
        generated: features of the image being optimised, any shape, e.g. ``(1, H, W, C)``.
        reference: features of the content image, the same shape as ``generated``.

    Returns:
        A scalar tensor (shape ``()``) in the inputs' float dtype: ``mean((generated -
        reference)**2)``, in squared feature units.

    Raises:
        ValueError: when the two shapes are known and differ (no broadcasting).
    """
    gen = _as_float(generated, "content_loss", "generated")
    ref = _as_float(reference, "content_loss", "reference")
    if not gen.shape.is_compatible_with(ref.shape):
        raise ValueError(
            f"content_loss got feature maps of shapes {_shape_str(gen)} and {_shape_str(ref)}; "
            "they must have the same shape. Take both from the same layer, and from images of the "
            "same size (resize the content image to the generated image's size)"
        )
    gen, ref = _same_dtype(gen, ref)
    return tf.reduce_mean(tf.square(gen - ref))


# --------------------------------------------------------------------------- style


def gram_matrix(features: TensorLike) -> tf.Tensor:
    """Channel-by-channel correlations of a feature map (the lecture's ``get_gram_matrix``).

    The ``H * W`` positions are laid out as the rows of a ``(H*W, C)`` matrix ``F`` and the
    result is ``F^T F / (H*W*C)``.

    Args:
        features: a feature map of shape ``(H, W, C)`` or ``(1, H, W, C)``, or a batch
            ``(B, H, W, C)``.

    Returns:
        Shape ``(C, C)`` for ``(H, W, C)`` and ``(1, H, W, C)`` inputs; shape ``(B, C, C)``,
        one Gram matrix per image, for a batch with ``B > 1``.  Units: feature units
        squared.  If ``B`` is not known while tracing, the batch axis is dropped at run
        time exactly when ``B == 1``, so the static rank of the result is then unknown.

    Note:
        The lecture reshapes with ``tf.reshape(conv_layer, (-1, C))``.  For one image that
        is the same thing, but on a batch it would stack the positions of *all* images
        into one matrix and return a single Gram matrix that mixes their styles.  Here
        each image of a batch gets its own.

    Raises:
        ValueError: when ``features`` does not have rank 3 or 4.
    """
    x = _as_float(features, "gram_matrix", "features")
    expected = "(H, W, C), (1, H, W, C) or (B, H, W, C)"
    if _require_rank(x, "gram_matrix", "features", expected) == 3:
        x = x[tf.newaxis]
    batch, height, width, channels = (_dim(x, axis) for axis in range(4))
    positions = height * width
    f = tf.reshape(x, [-1, positions, channels])  # (B, H*W, C)
    gram = tf.matmul(f, f, transpose_a=True)  # (B, C, C): F^T F for every image
    gram = gram / tf.cast(positions * channels, gram.dtype)
    if isinstance(batch, int):
        return gram[0] if batch == 1 else gram
    # Batch size only known at run time: drop the batch axis when it is 1.
    keep_from = tf.cast(tf.equal(batch, 1), tf.int32)
    return tf.reshape(gram, tf.shape(gram)[keep_from:])


def guided_gram_matrix(features: TensorLike, mask: TensorLike) -> tf.Tensor:
    """The Gram matrix of one region: features weighted by ``mask``, divided by the mask's area.

    ``G = (m F)^T (m F) / (C * sum(m**2))`` with the ``(H*W, C)`` feature matrix ``F`` and the
    mask ``m`` as one weight per position (see the module docstring). With an all-ones mask this
    is :func:`gram_matrix` exactly; the area ``sum(m**2)`` is the number of positions inside a 0/1
    mask. An all-zero mask gives zeros (``tf.math.divide_no_nan``), not NaN.

    Args:
        features: one feature map ``(1, H, W, C)`` or ``(H, W, C)``.
        mask: the region on the *layer's* grid, values in [0, 1]: shape ``(H, W)``, ``(H, W, 1)``
            or ``(1, H, W, 1)`` (resize a picture-sized mask to the layer's grid first:
            :func:`labhelpers.images.masks.mask_on_grid`).

    Returns:
        Shape ``(C, C)``, in feature units squared (like :func:`gram_matrix`).

    Raises:
        ValueError: when a rank is wrong or, while tracing, the mask's grid is known to differ
            from the features' ``(H, W)``.
    """
    x = _as_float(features, "guided_gram_matrix", "features")
    m = _as_float(mask, "guided_gram_matrix", "mask")
    if _require_rank(x, "guided_gram_matrix", "features", "(1, H, W, C) or (H, W, C)") == 4:
        if x.shape[0] not in (None, 1):
            raise ValueError(
                f"guided_gram_matrix takes the features of one image, (1, H, W, C); got shape "
                f"{_shape_str(x)}. Call it once per image"
            )
        x = tf.reshape(x, tf.shape(x)[1:])
    if m.shape.rank not in (2, 3, 4) or (m.shape.rank > 2 and m.shape[-1] not in (None, 1)):
        raise ValueError(
            f"guided_gram_matrix: mask must have shape (H, W), (H, W, 1) or (1, H, W, 1), got "
            f"{_shape_str(m)}"
        )
    if m.shape.rank == 4:
        m = m[0, :, :, 0]
    elif m.shape.rank == 3:
        m = m[:, :, 0]
    if not m.shape.is_compatible_with(x.shape[:2]):
        raise ValueError(
            f"guided_gram_matrix: the mask's grid {_shape_str(m)} is not the features' grid "
            f"{_shape_str(x)[:-1]}); resize the mask to the layer's height and width first"
        )
    x, m = _same_dtype(x, m)
    channels = _dim(x, 2)
    weighted = tf.reshape(x * m[:, :, tf.newaxis], [-1, channels])  # (H*W, C): m_p F_p
    gram = tf.matmul(weighted, weighted, transpose_a=True)  # (C, C)
    area = tf.reduce_sum(tf.square(m)) * tf.cast(channels, gram.dtype)
    return tf.math.divide_no_nan(gram, area)


def _check_gram_shape(gram: tf.Tensor, arg: str) -> None:
    """A Gram matrix is ``(C, C)`` or a batch ``(B, C, C)``; explain anything else."""
    shape = gram.shape
    if shape.rank is None:
        return
    if shape.rank == 4 or (shape.rank == 3 and not _square(shape)):
        raise ValueError(
            f"style_loss: {arg} has shape {_shape_str(gram)}, which looks like feature maps, not "
            "a Gram matrix (C, C). Did you pass feature maps? Call gram_matrix first: "
            "style_loss(gram_matrix(f), gram_ref)"
        )
    if shape.rank not in (2, 3):
        raise ValueError(
            f"style_loss: expected {arg} to be a Gram matrix of shape (C, C) (or a batch "
            f"(B, C, C)), got shape {_shape_str(gram)}; compute it with gram_matrix(features)"
        )
    if not _square(shape):
        raise ValueError(
            f"style_loss: {arg} has shape {_shape_str(gram)}, but a Gram matrix is square (C, C); "
            "compute it with gram_matrix(features)"
        )


def _square(shape: tf.TensorShape) -> bool:
    """True unless the last two dimensions are both known and differ."""
    rows, cols = shape[-2], shape[-1]
    return rows is None or cols is None or rows == cols


def style_loss(gram_generated: TensorLike, gram_reference: TensorLike) -> tf.Tensor:
    """Mean squared difference of two Gram matrices (the lecture's ``get_loss_style``).

    Args:
        gram_generated: ``gram_matrix`` of the generated image's features, shape ``(C, C)``
            (or ``(B, C, C)`` for a batch).
        gram_reference: ``gram_matrix`` of the style image's features at the same layer,
            the same shape.

    Returns:
        A scalar tensor (shape ``()``): ``mean((gram_generated - gram_reference)**2)``.

    Raises:
        ValueError: when a shape is known and is not a (batch of) square matrix, or when
            the two shapes differ (they come from different layers).
    """
    gen = _as_float(gram_generated, "style_loss", "gram_generated")
    ref = _as_float(gram_reference, "style_loss", "gram_reference")
    _check_gram_shape(gen, "gram_generated")
    _check_gram_shape(ref, "gram_reference")
    if not gen.shape.is_compatible_with(ref.shape):
        raise ValueError(
            f"style_loss got Gram matrices of shapes {_shape_str(gen)} and {_shape_str(ref)}: "
            "they must come from the same layer (same number of channels C) and the same number "
            "of images. Compute both with gram_matrix on features of the same layer"
        )
    gen, ref = _same_dtype(gen, ref)
    return tf.reduce_mean(tf.square(gen - ref))


def weighted_style_loss(
    generated_features: Mapping[str, TensorLike],
    reference_grams: Mapping[str, TensorLike],
    layer_weights: Mapping[str, float] | None = None,
) -> tf.Tensor:
    """Style loss added up over several layers:
    ``sum_l w_l * style_loss(gram_matrix(gen[l]), ref[l])``.

    Args:
        generated_features: layer name -> feature map of the generated image,
            ``(1, H_l, W_l, C_l)`` or ``(H_l, W_l, C_l)``.
        reference_grams: layer name -> ``gram_matrix`` of the style image at that layer,
            ``(C_l, C_l)``; computed once, before optimisation.
        layer_weights: layer name -> weight (used as given, not normalised).  ``None`` gives
            every layer ``1 / number_of_layers``.

    Returns:
        A scalar tensor (shape ``()``).

    Raises:
        ValueError: when the mappings are empty, or do not name exactly the same layers
            (the message lists the missing and the extra ones).
    """
    names = list(generated_features)
    if not names:
        raise ValueError(
            "weighted_style_loss: generated_features is empty; pass at least one style layer"
        )
    _same_layers(names, reference_grams, "reference_grams")
    if layer_weights is None:
        layer_weights = {name: 1.0 / len(names) for name in names}
    else:
        _same_layers(names, layer_weights, "layer_weights")
    terms = []
    for name in names:
        loss = style_loss(gram_matrix(generated_features[name]), reference_grams[name])
        terms.append(tf.cast(layer_weights[name], loss.dtype) * loss)
    return tf.add_n(terms)


def _same_layers(names: list[str], other: Mapping[str, Any], arg: str) -> None:
    """Raise a ValueError listing layers that ``other`` lacks or has in excess."""
    missing = [name for name in names if name not in other]
    extra = [name for name in other if name not in set(names)]
    if missing or extra:
        raise ValueError(
            f"weighted_style_loss: generated_features and {arg} must name the same layers. "
            f"Missing from {arg}: {missing}; extra in {arg}: {extra}. "
            f"Build both from the same list of style layers"
        )


# --------------------------------------------------------------------------- total variation


def _neighbour_differences(image: TensorLike, fn: str) -> tuple[tf.Tensor, tf.Tensor]:
    """Differences to the pixel below (shape ``(..., H-1, W, C)``) and to the right
    (``(..., H, W-1, C)``)."""
    x = _as_float(image, fn, "image")
    _require_rank(x, fn, "image", "(H, W, C) or (B, H, W, C)")
    down = x[..., 1:, :, :] - x[..., :-1, :, :]
    right = x[..., :, 1:, :] - x[..., :, :-1, :]
    return down, right


def total_variation_loss(image: TensorLike) -> tf.Tensor:
    """Anisotropic (L1) total variation: ``sum |x[i+1, j] - x[i, j]| + |x[i, j+1] - x[i, j]|``.

    Args:
        image: shape ``(H, W, C)`` or ``(B, H, W, C)``, in any pixel units.

    Returns:
        A scalar tensor (shape ``()``) in pixel units: the sum over rows, columns,
        channels and images.  Equals ``tf.reduce_sum(tf.image.total_variation(image))``.

    Raises:
        ValueError: when ``image`` does not have rank 3 or 4.
    """
    down, right = _neighbour_differences(image, "total_variation_loss")
    return tf.reduce_sum(tf.abs(down)) + tf.reduce_sum(tf.abs(right))


def total_variation_loss_l2(image: TensorLike) -> tf.Tensor:
    """Squared total variation: ``sum (x[i+1, j] - x[i, j])**2 + (x[i, j+1] - x[i, j])**2``.

    Args:
        image: shape ``(H, W, C)`` or ``(B, H, W, C)``, in any pixel units.

    Returns:
        A scalar tensor (shape ``()``) in squared pixel units, summed over rows, columns,
        channels and images.

    Raises:
        ValueError: when ``image`` does not have rank 3 or 4.
    """
    down, right = _neighbour_differences(image, "total_variation_loss_l2")
    return tf.reduce_sum(tf.square(down)) + tf.reduce_sum(tf.square(right))
