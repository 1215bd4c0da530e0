"""labhelpers.transfer.settings: every run option named, defaulted and validated in one place.

Every field has a bad value here (the table below must cover every field, so a new field needs a
check and a test), and the messages name the option.
"""

from __future__ import annotations

import dataclasses

import pytest

from labhelpers.network.layers import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS
from labhelpers.transfer.settings import SETUP_FIELDS, TransferSettings, field_names

#: field -> (a bad value, a piece of the message). Every field must appear here or in COERCED.
BAD_VALUES = {
    "size": [
        (0, "size must be a positive whole number"),
        ("big", "size must be"),
        (True, "size must be"),
        (2.5, "size must be"),
    ],
    "content_layers": [
        (["block9_conv9"], "Unknown content layer"),
        ([], "content_layers is empty"),
        ({"block4_conv2": 0}, "add up to 0"),
        (["block4_conv2", "block4_conv2"], "twice"),
    ],
    "style_layers": [
        ({"block1_conv1": -1}, "the weight of style layer"),
        (5, "style_layers must be a list"),
    ],
    "style_blend": [
        ([0, 0], "all 0"),
        (["x", 1], "each style_blend weight"),
        ([-1, 2], "each style_blend weight"),
    ],
    "vgg_weights": [("", "vgg_weights must be"), (3, "vgg_weights must be")],
    "precision": [("half", "precision must be 'float32'")],
    "steps": [
        (0, "steps must be a positive whole number"),
        (-5, "steps must be"),
        (1.5, "steps must be"),
    ],
    "content_weight": [
        (-1.0, "content_weight must be a finite number >= 0"),
        (float("nan"), "content_weight"),
    ],
    "style_weight": [
        (float("inf"), "style_weight must be a finite number"),
        ("x", "style_weight must be a number"),
    ],
    "tv_weight": [(None, "tv_weight must be a number"), (True, "tv_weight must be a number")],
    "optimizer": [("sgd", "optimizer must be 'lbfgs', 'adam' or 'projected_lbfgs'")],
    "init": [("zeros", "init must be 'content', 'recolored', 'style', 'noise'")],
    "seed": [(-1, "seed must be a whole number >= 0"), (1.5, "seed must be")],
    "preserve_color": [("sepia", "preserve_color must be None, 'luminance' or 'histogram'")],
    "coarse_to_fine": [
        ("maybe", "coarse_to_fine must be None"),
        ([0, 128], "each coarse_to_fine size"),
    ],
    "time_budget_s": [
        ("abc", "time_budget_s must be a number of seconds > 0"),
        (0, "time_budget_s"),
        (float("inf"), "time_budget_s"),
        (True, "time_budget_s"),
    ],
    "callback_every": [(0, "callback_every must be a positive whole number")],
    # lesson 08's controls (more cases in tests/transfer/test_controls.py)
    "content_masks": [([[[0.0, 0.0]]], "content_masks[0] is empty"), ("m.png", "one mask per")],
    "style_masks": [([[[2.0]]], "style_masks[0] has values from 2")],
    "style_scale": [(0, "style_scale is the painting's size"), ("x", "style_scale")],
    "layer_paintings": [({"block1_conv1": "a"}, "painting's index")],
    "pooling": [("median", "pooling must be 'max' or 'avg'")],
    "lbfgs_history": [
        (0, "lbfgs_history must be a positive whole number"),
        (2.5, "lbfgs_history"),
    ],
    "lbfgs_first_step": [
        (0, "lbfgs_first_step must be a number > 0"),
        (-0.1, "lbfgs_first_step must be a finite"),
        ("x", "lbfgs_first_step must be a number"),
    ],
}
#: Switches that take any value and keep its truth value (no bad value exists).
COERCED = ("jit_compile", "normalize_losses", "progress")


def test_every_field_has_a_validation_test():
    assert set(BAD_VALUES) | set(COERCED) == set(field_names())


@pytest.mark.parametrize(
    "name, value, says",
    [(name, value, says) for name, cases in BAD_VALUES.items() for value, says in cases],
)
def test_bad_values_are_refused_with_a_message_naming_the_option(name, value, says):
    with pytest.raises(ValueError) as info:
        TransferSettings(**{name: value})
    assert says in str(info.value)
    with pytest.raises(ValueError):  # replace() checks again
        TransferSettings().replace(**{name: value})


@pytest.mark.parametrize("name", COERCED)
def test_switches_become_booleans(name):
    assert getattr(TransferSettings(**{name: 1}), name) is True
    assert getattr(TransferSettings(**{name: 0}), name) is False


def test_defaults_and_normalised_values(monkeypatch):
    monkeypatch.setenv("LAB_FAST", "0")
    settings = TransferSettings()
    assert (settings.size, settings.steps) == (256, 60)
    assert (settings.content_weight, settings.style_weight, settings.tv_weight) == (1.0, 10.0, 1.0)
    assert list(settings.style_layers) == list(DEFAULT_STYLE_LAYERS)
    assert (settings.lbfgs_first_step, settings.lbfgs_history, settings.coarse_to_fine) == (
        0.5,
        10,
        None,
    )
    assert settings.style_layers["block3_conv1"] == pytest.approx(1 / 5)
    assert list(settings.content_layers) == list(DEFAULT_CONTENT_LAYERS)
    monkeypatch.setenv("LAB_FAST", "1")
    assert (TransferSettings().size, TransferSettings().steps) == (64, 10)
    good = TransferSettings(
        style_layers={"block1_conv1": 3, "block3_conv1": 1},
        preserve_color="none",
        time_budget_s="2.5",
        style_blend=[3, 1],
        coarse_to_fine=[32, 48],
        size=64,
    )
    assert good.style_layers == {"block1_conv1": 0.75, "block3_conv1": 0.25}
    assert good.preserve_color is None and good.time_budget_s == 2.5
    assert good.style_blend == (3.0, 1.0) and good.coarse_to_fine == (32, 48)


def test_all_three_loss_weights_at_zero_are_refused():
    with pytest.raises(ValueError, match="make at least one weight > 0"):
        TransferSettings(content_weight=0, style_weight=0, tv_weight=0)
    assert TransferSettings(content_weight=0, style_weight=1, tv_weight=0).style_weight == 1.0


def test_unknown_and_renamed_names_say_what_to_use():
    with pytest.raises(TypeError, match="'time_budget' is now called 'time_budget_s'"):
        TransferSettings().replace(time_budget=3)
    with pytest.raises(TypeError, match="'normalise' is now called 'normalize_losses'"):
        TransferSettings.from_options(None, normalise=False)
    with pytest.raises(TypeError, match="'weights' is now called 'vgg_weights'"):
        TransferSettings.from_options(TransferSettings(), weights="keras")
    with pytest.raises(TypeError, match="Unknown setting"):
        TransferSettings.from_options(None, styel_weight=3)
    with pytest.raises(TypeError, match="settings must be a TransferSettings"):
        TransferSettings.from_options({"steps": 3})


def test_from_options_and_replace_keep_the_rest():
    base = TransferSettings(style_weight=100, steps=7)
    changed = TransferSettings.from_options(base, steps=3)
    assert (changed.style_weight, changed.steps) == (100.0, 3) and base.steps == 7
    assert TransferSettings.from_options(None, steps=4).steps == 4


def test_setup_fields_and_key():
    assert set(SETUP_FIELDS) == {
        "size",
        "content_layers",
        "style_layers",
        "style_blend",
        "content_masks",
        "style_masks",
        "style_scale",
        "layer_paintings",
        "pooling",
        "vgg_weights",
        "precision",
        "jit_compile",
    }
    a, b = TransferSettings(size=64), TransferSettings(size=64, style_weight=1e4, steps=3)
    assert a.setup_key() == b.setup_key()  # run options do not change what is prepared
    assert a.setup_key() != TransferSettings(size=65).setup_key()
    assert a.setup_key() != TransferSettings(size=64, style_layers=["block1_conv1"]).setup_key()
    hash(a.setup_key())
    assert a.setup_key() != TransferSettings(size=64, pooling="avg").setup_key()
    masked = TransferSettings(size=64, content_masks=[[[1.0, 0.0]]])
    assert masked.setup_key() != a.setup_key() and hash(masked.setup_key())


def test_every_field_has_help_a_check_and_flags_spelled_from_the_name():
    for f in dataclasses.fields(TransferSettings):
        assert f.metadata["help"], f.name
        assert callable(f.metadata["check"]), (
            f.name
        )  # the field's validation sits with its default
        if f.metadata["flag"]:
            assert f.metadata["flag"] == "--" + f.name.replace("_", "-"), f.name
