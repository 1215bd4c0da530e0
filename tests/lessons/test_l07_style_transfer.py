"""Tests of labhelpers.lessons.ratios (lesson 07): the same ratio at two scales gives the same
picture, another ratio does not; reused runs are not computed again; the figure has one picture per
run."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from labhelpers.transfer.run import StyleTransfer  # noqa: E402
from labhelpers.lessons.common import figures  # noqa: E402
from labhelpers.lessons import l07_style_transfer as l07  # noqa: E402


def _pictures(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:40, 0:48] / 48.0
    photo = np.stack([x, y, 0.5 * (x + y)], axis=-1).astype(np.float32)
    painting = rng.random((40, 48, 3)).astype(np.float32)
    return photo, painting


@pytest.fixture(scope="module")
def comparison(extractor):
    photo, painting = _pictures(np.random.default_rng(0))
    transfer = StyleTransfer(photo, painting, size=48, extractor=extractor)
    reused = transfer.run(steps=12, content_weight=1.0, style_weight=1.0, tv_weight=1.0)
    calls = []
    original = transfer.run

    def counting_run(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)

    transfer.run = counting_run
    result = l07.weight_scale_comparison(
        transfer, steps=12, weights=(1.0, 1.0, 1.0), scale=10.0, reuse=[reused]
    )
    return result, reused, calls


def test_the_first_run_is_reused_and_the_others_computed(comparison):
    result, reused, calls = comparison
    labels = list(result.results)
    assert result.results[labels[0]] is reused
    assert [(c["content_weight"], c["style_weight"], c["tv_weight"]) for c in calls] == [
        (10.0, 10.0, 10.0),
        (1.0, 10.0, 1.0),
    ]
    assert list(result.weights.values()) == [(1.0, 1.0, 1.0), (10.0, 10.0, 10.0), (1.0, 10.0, 1.0)]


def test_same_ratio_same_picture_other_ratio_other_picture(comparison):
    result, _, _ = comparison
    first, scaled, other = result.results
    assert result.differences[first] == 0.0
    # by hand: the differences are the mean |pixel difference| x 255
    pictures = [np.asarray(r.image, np.float64) for r in result.results.values()]
    assert result.differences[other] == pytest.approx(
        np.mean(np.abs(pictures[2] - pictures[0])) * 255.0
    )
    assert result.differences[scaled] < 0.5 * result.differences[other]
    # the errors are those of the pictures at weight 1: equal for the same ratio, not for another
    # one
    assert result.errors[scaled]["style"] == pytest.approx(result.errors[first]["style"], rel=0.1)
    assert result.errors[other]["style"] < 0.8 * result.errors[first]["style"]
    assert result.errors[other]["content"] > 1.2 * result.errors[first]["content"]


def test_plot_and_bad_scale(comparison):
    result, _, _ = comparison
    figure = l07.plot_scale_comparison(result)
    titles = [ax.get_title() for ax in figure.axes if ax.get_title()]
    assert (
        len(titles) == 3
        and "grey levels from the first" in titles[1]
        and "style error" in titles[2]
    )
    plt.close(figure)
    for bad in (1.0, 0.0, -2.0):
        with pytest.raises(ValueError, match="scale must be"):
            l07.weight_scale_comparison(None, steps=1, scale=bad)
    assert figures.format_weights(1, 10, 0.5) == "content 1, style 10, TV 0.5"
