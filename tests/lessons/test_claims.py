"""The lessons' texts against the real network: what a figure's text says must hold for
torchvision's VGG16 (issue 28, "figures that do not show their claim").

Each test checks a property the text states (which of two distances is larger, by how much, which
start scores lowest), on the lesson's own pictures, small enough to run in seconds; none compares
with a pasted output.
"""

from __future__ import annotations

import pytest

from labhelpers.images import load_image
from labhelpers.lessons import common
from labhelpers.lessons import l02_content_loss as l02


@pytest.fixture(scope="module")
def cat():
    return load_image("chelsea_cat", max_size=224)


def test_02_only_block5_forgives_the_8px_shift(extractor, cat):
    """02 section 2: at block4_conv1/block4_conv2 (values 8 px apart) an 8-px shift is about as
    far as noise (at least 0.8 of it); at block5_conv1 (16 px apart, 132-px field) far closer."""
    versions = {
        "moved": common.pictures.shift_image(cat, 8),
        "noise": common.pictures.add_noise(cat, 0.1, seed=0),
    }
    layers = ["block4_conv1", "block4_conv2", "block5_conv1"]
    table = l02.distance_comparison(cat, versions, extractor, layers)
    ratio = {layer: table["moved"][layer] / table["noise"][layer] for layer in layers}
    assert ratio["block4_conv1"] > 1.0  # the text: "at block4_conv1 even further"
    assert ratio["block4_conv2"] > 0.8  # "about as far"
    assert ratio["block5_conv1"] < 0.5  # "about a third of the noise's distance"
    assert table["moved"]["pixels"] > table["noise"]["pixels"]  # in pixels the moved is further
