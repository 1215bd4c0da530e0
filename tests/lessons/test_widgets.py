"""Tests of labhelpers.lessons.widgets: the explorers of lessons 1-4, driven by setting widget
values."""

from __future__ import annotations


import numpy as np
import pytest
from labhelpers.lessons import l01_feature_hierarchy as l01
from labhelpers.lessons import l03_style_loss as l03
from labhelpers.lessons import l04_total_variation as l04
from labhelpers.lessons.common import pictures as pics
from labhelpers.lessons.common import widgets as widget_helpers

from .helpers import decode_png, smooth_picture


def test_activation_explorer_slider_and_dropdown_change_the_picture(random_extractor, rng):
    image = smooth_picture(rng, 32, 32)
    panel = l01.activation_explorer(image, random_extractor, display_size=64)
    dropdown = widget_helpers.find_widget(panel, "lab-layer-dropdown")
    slider = widget_helpers.find_widget(panel, "lab-channel-slider")
    picture = widget_helpers.find_widget(panel, "lab-activation")
    info = widget_helpers.find_widget(panel, "lab-activation-info")
    assert slider.max == 63 and dropdown.value == "block1_conv1"
    before = picture.value
    assert decode_png(before).shape == (64, 64, 3)
    slider.value = 5
    assert picture.value != before
    assert "channel 5" in info.value
    after_slider = picture.value
    assert after_slider == l01.activation_png(random_extractor(image), "block1_conv1", 5, 64)
    dropdown.value = "block3_conv1"
    assert slider.max == 255
    assert picture.value != after_slider
    assert decode_png(picture.value).shape == (64, 64, 3)  # 8x8 map enlarged 8 times
    assert "24 x 24 input pixels" in info.value


def test_activation_png_clips_the_channel(random_extractor, rng):
    features = random_extractor.with_layers(["block1_conv1"])(smooth_picture(rng, 16, 16))
    assert l01.activation_png(features, "block1_conv1", 999, 16) == l01.activation_png(
        features, "block1_conv1", 63, 16
    )
    assert widget_helpers.upscale_factor(8, 12, 256) == 21
    assert widget_helpers.upscale_factor(300, 200, 256) == 1


def test_find_widget_raises_for_an_unknown_class(random_extractor, rng):
    panel = l01.activation_explorer(
        smooth_picture(rng, 16, 16), random_extractor, layers=["block1_conv1"]
    )
    with pytest.raises(LookupError):
        widget_helpers.find_widget(panel, "lab-nothing")


def test_texture_panel_slider_changes_the_texture(extractor, rng):
    painting = smooth_picture(rng, 32, 32)
    layers = ["block1_conv1", "block2_conv1"]
    panel = l03.texture_synthesis_panel(
        painting, extractor, layers=layers, size=32, steps=3, auto_run=True, run_now=True
    )
    picture = widget_helpers.find_widget(panel, "lab-texture")
    status = widget_helpers.find_widget(panel, "lab-texture-status")
    first = picture.value
    assert decode_png(first).shape == (32, 32, 3)
    slider = widget_helpers.find_widget(panel, "lab-style-weight-block2_conv1")
    slider.value = 0.0
    assert picture.value != first
    assert "block1_conv1 1" in status.value and "block2_conv1" not in status.value
    widget_helpers.find_widget(panel, "lab-style-weight-block1_conv1").value = 0.0
    assert "weight 0" in status.value  # all zero: explained, picture kept


def test_texture_panel_button_runs_with_the_slider_values(extractor, rng):
    painting = smooth_picture(rng, 32, 32)
    shown = np.zeros((32, 32, 3), np.float32)
    panel = l03.texture_synthesis_panel(
        painting,
        extractor,
        layers=["block1_conv1", "block2_conv1"],
        size=32,
        steps=3,
        initial=shown,
    )
    picture = widget_helpers.find_widget(panel, "lab-texture")
    status = widget_helpers.find_widget(panel, "lab-texture-status")
    assert picture.value == pics.image_to_png_bytes(shown)
    widget_helpers.find_widget(panel, "lab-style-weight-block1_conv1").value = 0.5
    assert picture.value == pics.image_to_png_bytes(shown)  # no auto_run: only the status changes
    assert "press the button" in status.value
    widget_helpers.find_widget(panel, "lab-texture-run").click()
    assert picture.value != pics.image_to_png_bytes(shown)
    assert "block1_conv1 0.5" in status.value


def test_tv_panel_slider_changes_the_picture(extractor):
    sweep = l04.TVSweep("chelsea_cat", "van_gogh_starry_night", extractor, size=32, steps=4)
    panel = l04.tv_weight_panel(sweep, [10.0, 0.0, 0.01], value=0.01)
    slider = widget_helpers.find_widget(panel, "lab-tv-slider")
    assert list(slider.options) == [
        ("0", 0.0),
        ("0.01", 0.01),
        ("10", 10.0),
    ]  # exactly the swept weights, sorted
    picture = widget_helpers.find_widget(panel, "lab-tv-image")
    status = widget_helpers.find_widget(panel, "lab-tv-status")
    before = picture.value
    slider.value = 10.0
    assert picture.value != before
    assert status.value.startswith("tv_weight 10")
    assert picture.value == pics.image_to_png_bytes(sweep.image(10.0))
    assert len(sweep.results) == 2  # cached: asking again did not run again
    smooth, rough = sweep.image(10.0), sweep.image(0.01)
    from labhelpers.losses import total_variation_loss

    assert float(total_variation_loss(smooth)) < float(total_variation_loss(rough))
    slider.value = 0.0  # 0 (no TV) is reachable
    assert status.value.startswith("tv_weight 0:")
    assert len(sweep.results) == 3


def test_tv_panel_rejects_a_value_it_does_not_offer(extractor):
    sweep = l04.TVSweep("chelsea_cat", "van_gogh_starry_night", extractor, size=32, steps=2)
    with pytest.raises(ValueError, match="not one of the slider's weights"):
        l04.tv_weight_panel(sweep, [0.0, 1.0], value=0.5)
    with pytest.raises(ValueError, match=">= 0"):
        l04.tv_weight_panel(sweep, [])


def test_in_notebook_only_where_a_kernel_runs(monkeypatch):
    """Lessons 05 and 09 show live pictures only inside a Jupyter kernel."""
    import IPython

    from labhelpers.lessons.common.widgets import in_notebook

    assert in_notebook() is False  # pytest: no IPython shell at all
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())  # a plain IPython shell
    assert in_notebook() is False
    monkeypatch.setattr(IPython, "get_ipython", lambda: type("Kernel", (), {"kernel": 1})())
    assert in_notebook() is True
