"""The homework's helpers (labhelpers.lessons.homework): the study's loss is content + ratio x
style by hand, the measured study is sorted and matches it, the figure has its headers, and the
comparisons say 0 for the right answer and more for a wrong one.

A stand-in extractor (each layer's map is a fixed linear function of the picture) keeps VGG16
out: the helpers only need a function pictures -> {layer: map}.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from labhelpers.exercises import solutions
from labhelpers.lessons import homework

LAYERS = homework.CONTENT_LAYERS + homework.STYLE_LAYERS


def fake_extract(images):
    """{layer: (1, H, W, 2) map}: channel 0 the picture's red times (k + 1), channel 1 its blue
    plus k, for the k-th layer."""
    images = tf.convert_to_tensor(images, tf.float32)
    return {
        name: tf.stack([images[..., 0] * (k + 1), images[..., 2] + k], axis=-1)
        for k, name in enumerate(LAYERS)
    }


def numpy_terms(picture, photo, painting):
    """Content and style losses by hand (NumPy, the lecture's formulas)."""

    def maps(x):
        return {n: np.asarray(m, np.float64) for n, m in fake_extract(x[None]).items()}

    def gram(m):
        flat = m.reshape(-1, m.shape[-1])
        return flat.T @ flat / m.size

    mine, p, s = maps(picture), maps(photo), maps(painting)
    content = sum(np.mean((mine[n] - p[n]) ** 2) for n in homework.CONTENT_LAYERS)
    style = sum(np.mean((gram(mine[n]) - gram(s[n])) ** 2) for n in homework.STYLE_LAYERS)
    return content, style


RNG = np.random.default_rng(0)
PHOTO, PAINTING, PICTURE = (RNG.uniform(0, 1, (5, 6, 3)).astype(np.float32) for _ in range(3))


@pytest.mark.parametrize("ratio", [0.0, 10.0, 1e4])
def test_loss_for_ratio_is_content_plus_ratio_times_style(ratio):
    loss = homework.loss_for_ratio(fake_extract, PHOTO, PAINTING)(ratio)
    content, style = numpy_terms(PICTURE, PHOTO, PAINTING)
    assert float(loss(tf.constant(PICTURE[None]))) == pytest.approx(content + ratio * style, 1e-4)


def test_measure_study_sorts_the_ratios_and_measures_each_picture():
    pictures = {100.0: PICTURE[None], 1.0: PHOTO[None], 10.0: PAINTING[None]}
    study = homework.measure_study(pictures, fake_extract, PHOTO, PAINTING)
    assert study.ratios == [1.0, 10.0, 100.0]
    for ratio, picture, content, style in zip(
        study.ratios, study.pictures, study.content, study.style
    ):
        np.testing.assert_array_equal(picture, pictures[ratio][0])
        assert (content, style) == pytest.approx(numpy_terms(picture, PHOTO, PAINTING), 1e-4)
    assert study.content[0] == pytest.approx(0.0, abs=1e-9)  # the photo itself


def test_plot_ratio_study_has_a_header_per_picture_and_both_curves():
    study = homework.RatioStudy(
        [1e3, 1e4, 1e5, 1e6], [PHOTO] * 4, [0.1, 1.0, 7.0, 15.0], [6e-4, 3e-4, 1e-4, 6e-5]
    )
    figure = homework.plot_ratio_study(study, "test")
    titles = [ax.get_title() for ax in figure.axes]
    assert titles[:4] == [f"style/content {r:g}" for r in study.ratios]
    curves = figure.axes[4:]
    assert len(curves) == 2 and all(ax.get_xscale() == "log" for ax in curves)
    # the suptitle is a figure-level text (Figure.get_suptitle only exists from matplotlib 3.8)
    assert any("criterion" in text.get_text() for text in figure.texts)


def test_compare_style_gradient_is_zero_for_the_solution_only(capsys):
    features = np.maximum(RNG.normal(size=(1, 4, 5, 3)), 0.0)
    target = np.cov(RNG.normal(size=(3, 10)))
    assert homework.compare_style_gradient(
        solutions.style_gradient, features, target
    ) == pytest.approx(0.0, abs=1e-12)

    def half(f, a):
        return solutions.style_gradient(f, a) / 2

    assert homework.compare_style_gradient(half, features, target) == pytest.approx(0.5)
    assert "largest difference" in capsys.readouterr().out


def test_compare_with_lab_is_zero_for_the_solution_on_the_labs_weights(capsys):
    layers = ["block1_conv1", "block3_conv1"]
    extract = solutions.feature_extractor(homework.lab_weights_file(), layers, "torch")
    assert homework.compare_with_lab(extract, layers, PHOTO.repeat(4, 0).repeat(4, 1)) < 1e-5
    bgr = solutions.feature_extractor(homework.lab_weights_file(), layers, "caffe")
    assert homework.compare_with_lab(bgr, layers, PHOTO.repeat(4, 0).repeat(4, 1)) > 0.1
    assert "against the lab's" in capsys.readouterr().out
