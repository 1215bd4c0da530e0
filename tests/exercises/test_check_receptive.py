"""check_receptive_field: a correct count passes, each usual mistake is named, no false alarms over
seeds.

The reference is a backward walk of one output's input interval (independent of the forward rule
the lesson teaches); the VGG16 figures are the published ones (block5_conv3: 196 px).
"""

from __future__ import annotations

import numpy as np
import pytest

from labhelpers.exercises.checks import check_receptive_field
from labhelpers.exercises.checks.receptive import walked_receptive_field
from labhelpers.network.layers import describe_layers, layer_geometry


def forward_rule(layers):
    field, spacing = 1, 1
    for _name, kernel, stride in layers:
        field += (kernel - 1) * spacing
        spacing *= stride
    return field


def by_enumeration(layers):
    """Input pixels that reach output 0, by propagating the set of inputs layer by layer (1-D)."""
    reach = {0: {0}}  # output index -> set of input pixels, built from the input upward
    positions = {i: {i} for i in range(400)}
    for _name, kernel, stride in layers:
        count = (max(positions) - kernel + 1) // stride + 1
        positions = {
            o: set().union(*(positions[o * stride + j] for j in range(kernel)))
            for o in range(count)
        }
    reach = positions[0]
    return max(reach) - min(reach) + 1


def test_walk_and_enumeration_agree_with_the_vgg16_table():
    table = {row["name"]: row["receptive_field"] for row in describe_layers()}
    for name in table:
        layers = layer_geometry(name)
        assert walked_receptive_field(layers) == by_enumeration(layers) == table[name]
    assert walked_receptive_field(layer_geometry("block5_conv3")) == 196


def test_correct_count_passes(capsys):
    assert check_receptive_field(forward_rule, seed=0)
    assert "✅" in capsys.readouterr().out


def no_pool_growth(layers):
    field, spacing = 1, 1
    for _name, kernel, stride in layers:
        if stride == 1:
            field += (kernel - 1) * spacing
        spacing *= stride
    return field


def spacing_first(layers):
    field, spacing = 1, 1
    for _name, kernel, stride in layers:
        spacing *= stride
        field += (kernel - 1) * spacing
    return field


def no_spacing(layers):
    return 1 + sum(kernel - 1 for _n, kernel, _s in layers)


def from_zero(layers):
    return forward_rule(layers) - 1


def added_strides(layers):
    field, spacing = 1, 1
    for _name, kernel, stride in layers:
        field += (kernel - 1) * spacing
        spacing += stride - 1
    return field


def kernel_sum(layers):
    return sum(kernel for _n, kernel, _s in layers)


def kernel_product(layers):
    return int(np.prod([kernel for _n, kernel, _s in layers]))


def last_kernel(layers):
    return layers[-1][1]


def off_by_two(layers):
    return forward_rule(layers) + 2


@pytest.mark.parametrize(
    "fn, words",
    [
        (no_pool_growth, "only multiplies the spacing"),
        (spacing_first, "before adding the layer's own growth"),
        (no_spacing, "ignores the spacing"),
        (from_zero, "1 too small"),
        (added_strides, "adding the strides"),
        (kernel_sum, "added up the kernel sizes"),
        (kernel_product, "multiplied the kernel sizes"),
        (last_kernel, "last layer's own kernel"),
        (off_by_two, "wrong field: expected"),
        (lambda layers: float(forward_rule(layers)) + 0.5, "not a whole number"),
        (lambda layers: None, "returned None"),
        (lambda layers: "196", None),
    ],
)
def test_each_mistake_is_named(fn, words, capsys):
    assert not check_receptive_field(fn, seed=3)
    out = capsys.readouterr().out
    assert "❌" in out and "seed=3" in out
    if words:
        assert words in out, out


def test_an_error_is_reported_not_raised(capsys):
    def broken(layers):
        return layers[99]

    assert not check_receptive_field(broken, seed=1)
    assert "IndexError" in capsys.readouterr().out
    assert not check_receptive_field(None)
    assert "⏳" in capsys.readouterr().out


@pytest.mark.parametrize("seed", range(40))
def test_no_false_diagnosis_over_many_seeds(seed, capsys):
    assert check_receptive_field(forward_rule, seed=seed)
    for fn, words in [
        (no_pool_growth, "only multiplies"),
        (spacing_first, "before adding"),
        (no_spacing, "ignores the spacing"),
        (from_zero, "1 too small"),
    ]:
        assert not check_receptive_field(fn, seed=seed)
        out = capsys.readouterr().out
        assert words in out, f"seed {seed}: {out}"
