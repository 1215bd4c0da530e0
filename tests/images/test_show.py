"""show_images: rows of pictures with titles, into given axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from labhelpers import images as li
from labhelpers.images import ImageError


# ----------------------------------------------------------------------------------------------
# show_images
# ----------------------------------------------------------------------------------------------


@pytest.fixture
def close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def test_show_images_row_with_titles(close_figures):
    from matplotlib.figure import Figure

    optimised = np.full((20, 40, 3), 0.5, dtype=np.float32)
    optimised[0, 0] = (1.3, -0.2, 0.5)  # an unfinished result may overshoot; it is clipped
    figure = li.show_images(["astronaut", optimised], titles=["content", "result"], height_in=2)
    assert isinstance(figure, Figure)
    shown = [ax for ax in figure.axes if ax.images]
    assert len(shown) == 2
    assert [ax.get_title() for ax in shown] == ["content", "result"]
    assert all(not ax.axison for ax in shown)
    assert shown[0].images[0].get_array().shape == (512, 512, 3)
    np.testing.assert_allclose(shown[1].images[0].get_array()[0, 0], [1.0, 0.0, 0.5])


def test_show_images_single_and_default_titles(close_figures):
    figure = li.show_images("style/van_gogh_night_cafe")
    (ax,) = figure.axes
    assert ax.get_title() == "van_gogh_night_cafe"
    figure = li.show_images(np.zeros((3, 10, 12, 3)))
    assert len(figure.axes) == 3


def test_show_images_into_given_axes(close_figures):
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2)
    returned = li.show_images([np.zeros((8, 8)), np.ones((8, 8))], axes=axes)
    assert returned is figure
    assert all(ax.images for ax in axes)
    with pytest.raises(ImageError, match="one Axes per image"):
        li.show_images([np.zeros((8, 8))], axes=axes)


def test_show_images_title_count_mismatch(close_figures):
    with pytest.raises(ImageError, match="one title per image"):
        li.show_images([np.zeros((8, 8)), np.zeros((8, 8))], titles=["only one"])
    with pytest.raises(ImageError, match="empty"):
        li.show_images([])
