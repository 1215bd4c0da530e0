"""VGG16's layer table: names, channel counts, default layer choices and receptive fields.

Pure data (no TensorFlow), so that settings, plots and tests can name layers without loading the
network. The feature extractor (:mod:`labhelpers.network.extractor`) builds exactly these layers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: The 13 convolution layers of VGG16, shallow to deep.
VGG16_LAYERS: tuple[str, ...] = (
    "block1_conv1",
    "block1_conv2",
    "block2_conv1",
    "block2_conv2",
    "block3_conv1",
    "block3_conv2",
    "block3_conv3",
    "block4_conv1",
    "block4_conv2",
    "block4_conv3",
    "block5_conv1",
    "block5_conv2",
    "block5_conv3",
)

#: Every layer of VGG16 without its classifier, in order: conv layers and the 2x2 max pools.
VGG16_SEQUENCE: tuple[str, ...] = (
    "block1_conv1",
    "block1_conv2",
    "block1_pool",
    "block2_conv1",
    "block2_conv2",
    "block2_pool",
    "block3_conv1",
    "block3_conv2",
    "block3_conv3",
    "block3_pool",
    "block4_conv1",
    "block4_conv2",
    "block4_conv3",
    "block4_pool",
    "block5_conv1",
    "block5_conv2",
    "block5_conv3",
    "block5_pool",
)

#: Output channels of VGG16's 13 convolutions, in the order of :data:`VGG16_LAYERS`.
VGG16_CHANNELS: tuple[int, ...] = (64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512)

#: The first convolution of each of the five blocks, shallow to deep.
BLOCK_FIRST_LAYERS: tuple[str, ...] = tuple(f"block{b}_conv1" for b in range(1, 6))

#: Content layer: deep enough that only the arrangement of objects counts, not exact pixels.
DEFAULT_CONTENT_LAYERS: tuple[str, ...] = ("block4_conv2",)
#: Style layers: the first conv of every block, equal weights (fine strokes to large patterns).
DEFAULT_STYLE_LAYERS: tuple[str, ...] = BLOCK_FIRST_LAYERS
#: A variant beside the lecture's equal weights: the same five layers, each block weighted half the
#: block before it (16/31, 8/31, 4/31, 2/31, 1/31; pass as ``style_layers=``). The shallow layers'
#: relative Gram errors fall fastest per evaluation, while block4/block5 stay near 0.75-0.85
#: whatever the weight; with this split (and a higher ``style_weight``, about 1.4) a run reaches
#: the TensorFlow tutorial's 300-step picture in both weight-free distances in about 3/4 of the
#: evaluations of equal weights (``docs/levers.md``, fourth round).
SHALLOW_STYLE_LAYERS: dict[str, float] = {
    name: 2.0 ** (4 - b) / 31.0 for b, name in enumerate(BLOCK_FIRST_LAYERS)
}


def pools_before(layer: str) -> int:
    """How many 2x2 max-poolings come before ``layer`` (block1: 0 ... block5: 4)."""
    if layer not in VGG16_LAYERS:
        raise ValueError(f"Unknown VGG16 layer {layer!r}; choose from {list(VGG16_LAYERS)}.")
    return int(layer[len("block")]) - 1


def min_side_px(layers: Iterable[str]) -> int:
    """The shortest image side (px) for which every one of ``layers`` still has at least 1x1
    output.

    Each pooling halves the size (rounding down), so ``block5_*`` needs 2**4 = 16 px.
    """
    return max((2 ** pools_before(name) for name in layers), default=1)


def describe_layers(height: int = 224, width: int = 224) -> list[dict[str, Any]]:
    """VGG16's layers for an input of ``height`` x ``width`` px: output shape and receptive field.

    Returns:
        One dict per layer of :data:`VGG16_SEQUENCE`: ``name``, ``kind`` (``"conv 3x3"`` or
        ``"max pool 2x2"``), ``output_shape`` (h, w, C), ``receptive_field`` (side in input
        pixels) and ``stride`` (input pixels between neighbouring outputs). Pure arithmetic.
    """
    rows, field_size, stride, channels = [], 1, 1, 3
    h, w = height, width
    conv_channels = iter(VGG16_CHANNELS)
    for name in VGG16_SEQUENCE:
        if name.endswith("pool"):
            field_size += stride  # a 2-wide window adds one step of the current stride
            stride *= 2
            h, w = h // 2, w // 2
            kind = "max pool 2x2"
        else:
            field_size += 2 * stride  # a 3-wide window adds two steps
            channels = next(conv_channels)
            kind = "conv 3x3"
        rows.append(
            {
                "name": name,
                "kind": kind,
                "output_shape": (h, w, channels),
                "receptive_field": field_size,
                "stride": stride,
            }
        )
    return rows


def layer_geometry(upto: str | None = None) -> list[tuple[str, int, int]]:
    """VGG16's layers as ``(name, kernel side px, stride px)``, from the input up to ``upto``
    (included).

    A 3x3 convolution is ``(name, 3, 1)``, a 2x2 max pool ``(name, 2, 2)``: all a receptive-field
    count needs to know (lesson 01's exercise takes this list). ``upto=None`` gives all 18 layers.
    """
    if upto is not None and upto not in VGG16_SEQUENCE:
        raise ValueError(f"Unknown VGG16 layer {upto!r}; choose from {list(VGG16_SEQUENCE)}.")
    names = VGG16_SEQUENCE if upto is None else VGG16_SEQUENCE[: VGG16_SEQUENCE.index(upto) + 1]
    return [(name, 2, 2) if name.endswith("pool") else (name, 3, 1) for name in names]


def forward_cost(layer: str, height: int = 224, width: int = 224) -> float:
    """Multiply-adds (count) of VGG16's convolutions from the input up to ``layer`` for a
    ``height`` x ``width`` px picture: sum over the convolutions of h * w * 9 * C_in * C_out
    (pools are free).

    Ratios of these say how much cheaper a run is that stops at a shallow layer (a backward pass
    costs about twice its forward pass, for every layer alike).
    """
    if layer not in VGG16_LAYERS:
        raise ValueError(f"Unknown VGG16 layer {layer!r}; choose from {list(VGG16_LAYERS)}.")
    total, in_channels, h, w = 0.0, 3, int(height), int(width)
    conv_channels = iter(VGG16_CHANNELS)
    for name in VGG16_SEQUENCE:
        if name.endswith("pool"):
            h, w = h // 2, w // 2
            continue
        out_channels = next(conv_channels)
        total += h * w * 9.0 * in_channels * out_channels
        in_channels = out_channels
        if name == layer:
            break
    return total
