"""The layer table (pure data): names, channels, pools, minimum sizes and receptive fields.

The receptive fields of :func:`describe_layers` (a forward recurrence) are compared with two
independent counts: a backward walk of one output unit's input interval through the layer
sequence, and the real Keras VGG16 lit by one-pixel impulses.
"""

from __future__ import annotations

import numpy as np
import pytest

from labhelpers.network.layers import (
    BLOCK_FIRST_LAYERS,
    DEFAULT_STYLE_LAYERS,
    VGG16_CHANNELS,
    VGG16_LAYERS,
    VGG16_SEQUENCE,
    describe_layers,
    min_side_px,
    pools_before,
)


def test_receptive_fields_by_hand():
    # conv 3x3 adds 2 strides, a 2x2 pool adds 1 stride and doubles it
    expected = [3, 5, 6, 10, 14, 16, 24, 32, 40, 44, 60, 76, 92, 100, 132, 164, 196, 212]
    rows = describe_layers(224, 224)
    assert [row["receptive_field"] for row in rows] == expected
    assert [row["stride"] for row in rows if row["name"].endswith("conv1")] == [1, 2, 4, 8, 16]
    assert rows[-1]["output_shape"] == (7, 7, 512)
    assert rows[0]["output_shape"] == (224, 224, 64)


def test_describe_layers_floors_odd_sizes():
    rows = {row["name"]: row for row in describe_layers(45, 30)}
    assert rows["block1_pool"]["output_shape"] == (22, 15, 64)
    assert rows["block2_pool"]["output_shape"] == (11, 7, 128)


def _backward_interval_width(layer: str) -> int:
    """Input pixels one unit of ``layer`` sees, by walking its interval back to the input.

    A 3x3 'same' convolution needs one more pixel on each side of the interval below it; a 2x2
    pool with stride 2 maps outputs a..b to inputs 2a..2b+1.
    """
    first, last = 0, 0
    upto = VGG16_SEQUENCE[: VGG16_SEQUENCE.index(layer) + 1]
    for name in reversed(upto):
        if "pool" in name:
            first, last = 2 * first, 2 * last + 1
        else:
            first, last = first - 1, last + 1
    return last - first + 1


def test_receptive_fields_match_a_backward_walk():
    table = {row["name"]: row["receptive_field"] for row in describe_layers()}
    assert {name: _backward_interval_width(name) for name in VGG16_SEQUENCE} == table
    assert table["block5_conv3"] == 196  # the published value for VGG16


def test_receptive_field_of_block5_conv3_in_the_real_network():
    """Light columns of the input; find the first and last column that reach one block5_conv3 unit.

    With positive averaging kernels, zero biases and a non-negative input every ReLU passes
    its input and a max pool is positive exactly when some input in its window is, so the unit
    responds exactly when a lit pixel lies in its receptive field. Lighting the first k columns
    is monotone in k, so two bisections find the field's edges in a few small passes.
    """
    from labhelpers.config import import_tensorflow

    tf = import_tensorflow()
    import keras

    from labhelpers.network.model import build_vgg16_model, set_conv_weights

    pairs, in_channels = [], 3
    for out_channels in VGG16_CHANNELS:
        pairs.append(
            (
                np.full((3, 3, in_channels, out_channels), 1.0 / (9 * in_channels), np.float32),
                np.zeros(out_channels, np.float32),
            )
        )
        in_channels = out_channels
    base = build_vgg16_model()
    set_conv_weights(base, pairs)
    deepest = keras.Model(base.input, base.get_layer("block5_conv3").output)
    height, width = 16, 256
    unit = width // 16 // 2  # a unit in the middle, whose field is not cut by the border

    def responds(first: int, stop: int) -> bool:
        image = np.zeros((1, height, width, 3), np.float32)
        image[:, height // 2, first:stop, :] = 1.0
        return bool(deepest(tf.constant(image), training=False).numpy()[0, 0, unit, 0] > 0)

    def bisect(lo: int, hi: int, ok) -> int:  # smallest k in (lo, hi] with ok(k), ok monotone
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if ok(mid) else (mid, hi)
        return hi

    assert not responds(0, 0) and responds(0, width)
    first_seen = bisect(0, width, lambda k: responds(0, k)) - 1  # lit [0, k) reaches the unit
    last_seen = width - bisect(
        0, width, lambda k: responds(width - k, width)
    )  # lit [W-k, W) reaches it
    assert responds(first_seen, first_seen + 1) and responds(last_seen, last_seen + 1)
    table = {row["name"]: row for row in describe_layers(height, width)}
    assert last_seen - first_seen + 1 == table["block5_conv3"]["receptive_field"] == 196


def test_pools_and_minimum_sides():
    assert [pools_before(name) for name in BLOCK_FIRST_LAYERS] == [0, 1, 2, 3, 4]
    assert min_side_px(["block1_conv2"]) == 1 and min_side_px(DEFAULT_STYLE_LAYERS) == 16
    with pytest.raises(ValueError, match="choose from"):
        pools_before("conv5_3")


def test_table_is_consistent():
    assert len(VGG16_LAYERS) == len(VGG16_CHANNELS) == 13
    assert [name for name in VGG16_SEQUENCE if "conv" in name] == list(VGG16_LAYERS)
    assert sum("pool" in name for name in VGG16_SEQUENCE) == 5


def test_layer_geometry_lists_kernels_and_strides():
    from labhelpers.network.layers import layer_geometry

    full = layer_geometry()
    assert [name for name, _, _ in full] == list(VGG16_SEQUENCE)
    assert all((k, s) == ((2, 2) if name.endswith("pool") else (3, 1)) for name, k, s in full)
    assert layer_geometry("block2_conv1") == full[:4]
    with pytest.raises(ValueError, match="choose from"):
        layer_geometry("fc6")


def test_forward_cost_by_hand():
    from labhelpers.network.layers import forward_cost

    first = 224 * 224 * 9 * 3 * 64  # block1_conv1: every position, 3x3x3 inputs, 64 outputs
    assert forward_cost("block1_conv1") == first
    assert forward_cost("block1_conv2") == first + 224 * 224 * 9 * 64 * 64
    assert (
        forward_cost("block2_conv1", 224, 224) - forward_cost("block1_conv2")
        == 112 * 112 * 9 * 64 * 128
    )  # after a pool
    assert forward_cost("block5_conv3") / 1e9 == pytest.approx(
        15.35, abs=0.01
    )  # VGG16's published 15.3 G multiply-adds
    assert forward_cost("block3_conv1", 112, 112) == pytest.approx(
        forward_cost("block3_conv1") / 4, rel=0.01
    )
    with pytest.raises(ValueError, match="choose from"):
        forward_cost("block1_pool")
