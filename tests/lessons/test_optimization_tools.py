"""labhelpers.lessons.optimization: the lesson-05 references, the scaled network and the race.

Network-dependent properties use VGG16 with seeded random weights (no download, fast); the
expected values come from NumPy or from the mathematics of ReLU networks, not from the code.
"""

from __future__ import annotations

import numpy as np
import pytest
from labhelpers.lessons import l05_optimization as l05  # noqa: E402
from labhelpers.exercises import solutions  # noqa: E402
import tensorflow as tf


CONTENT, STYLE = ["block4_conv2"], ["block1_conv1", "block3_conv1", "block5_conv1"]


@pytest.fixture(scope="module")
def pictures():
    rng = np.random.default_rng(7)
    return (
        rng.random((40, 48, 3)).astype(np.float32),
        rng.random((36, 44, 3)).astype(np.float32),
        rng.random((40, 48, 3)).astype(np.float32),
    )


@pytest.fixture(scope="module")
def network(random_extractor):
    """Random VGG16 with non-zero biases (so that scaling must reach every bias, not only
    the first)."""
    rng = np.random.default_rng(3)
    pairs = [
        (kernel, rng.uniform(0.0, 0.1, bias.shape).astype(np.float32))
        for kernel, bias in random_extractor.conv_weights()
    ]
    return type(random_extractor).from_arrays(
        pairs, layers=CONTENT + STYLE, preprocessing=random_extractor.preprocessing
    )


def test_scaled_extractor_multiplies_every_activation(network, pictures):
    louder = l05.scaled_extractor(network, 10.0)
    plain, scaled = network(pictures[0]), louder(pictures[0])
    for name in CONTENT + STYLE:
        np.testing.assert_allclose(
            scaled[name].numpy(),
            10.0 * plain[name].numpy(),
            rtol=1e-4,
            atol=1e-4 * float(np.abs(plain[name].numpy()).max()),
        )
    with pytest.raises(ValueError, match="factor must be a number > 0"):
        l05.scaled_extractor(network, 0.0)


def test_normalised_loss_ignores_the_scale_the_raw_one_does_not(network, pictures):
    photo, painting, picture = pictures
    louder = l05.scaled_extractor(network, 10.0)
    raw, normalised = {}, {}
    for name, net in {"plain": network, "louder": louder}.items():
        raw[name] = l05.terms_at(
            solutions.total_loss, picture, photo, painting, net, CONTENT, STYLE, 1.0, 1.0, 1.0
        )
        normalised[name] = l05.terms_at(
            l05.normalized_total_loss, picture, photo, painting, net, CONTENT, STYLE, 1.0, 1.0, 1.0
        )
    assert raw["louder"]["content"] == pytest.approx(
        100 * raw["plain"]["content"], rel=1e-3
    )  # s^2
    assert raw["louder"]["style"] == pytest.approx(1e4 * raw["plain"]["style"], rel=1e-3)  # s^4
    assert raw["louder"]["tv"] == pytest.approx(raw["plain"]["tv"])  # no network
    for term in ("content", "style", "tv"):
        assert normalised["louder"][term] == pytest.approx(normalised["plain"][term], rel=1e-3)


def test_normalised_terms_are_relative_errors(network, pictures):
    """Each normalised term equals the raw one divided by the mean square of its target (NumPy)."""
    photo, painting, picture = pictures
    batch = tf.constant(picture[None])
    features = network(batch)
    content_targets, style_targets = l05.content_and_style_targets(
        network, photo, painting, CONTENT, STYLE
    )
    norm = l05.loss_terms(
        l05.normalized_total_loss, batch, features, content_targets, style_targets, 1, 1, 1
    )

    def gram(x):
        flat = x.numpy().reshape(-1, x.shape[-1]).astype(np.float64)
        return flat.T @ flat / x.numpy().size

    f = dict(features)
    expected_style = np.mean(  # averaged over the layers, as the library's layer weights are
        [
            np.mean((gram(f[k]) - style_targets[k].numpy()) ** 2)
            / np.mean(style_targets[k].numpy() ** 2)
            for k in STYLE
        ]
    )
    p = content_targets[CONTENT[0]].numpy()
    expected_content = np.mean((f[CONTENT[0]].numpy() - p) ** 2) / np.mean(p**2)
    x = picture.astype(np.float64)
    expected_tv = (np.abs(np.diff(x, axis=0)).sum() + np.abs(np.diff(x, axis=1)).sum()) / (40 * 48)
    assert norm["style"] == pytest.approx(expected_style, rel=1e-3)
    assert norm["content"] == pytest.approx(expected_content, rel=1e-3)
    assert norm["tv"] == pytest.approx(expected_tv, rel=1e-4)
    assert norm["total"] == pytest.approx(norm["content"] + norm["style"] + norm["tv"])


def test_normalised_weights_are_the_librarys_weights(random_extractor, pictures):
    """normalized_total_loss(alpha, beta, gamma) is the library's loss with content_weight,
    style_weight, tv_weight = alpha, beta, gamma: the same number, five style layers averaged."""
    from labhelpers.transfer.run import StyleTransfer

    photo, painting, picture = pictures
    style = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"]
    weights = {"content_weight": 1.0, "style_weight": 10.0, "tv_weight": 1.0}
    transfer = StyleTransfer(
        photo,
        painting,
        size=48,
        extractor=random_extractor,
        content_layers=CONTENT,
        style_layers=style,
        **weights,
    )
    library_total, _, _ = transfer.objective().evaluate(picture)
    net = random_extractor.with_layers(CONTENT + style)
    painting_seen = transfer.targets_at(picture.shape[:2]).styles[0]  # as the run resizes it
    lesson = l05.terms_at(
        l05.normalized_total_loss, picture, photo, painting_seen, net, CONTENT, style, 1, 10, 1
    )
    assert lesson["total"] == pytest.approx(float(library_total), rel=1e-3)


def test_terms_at_works_at_another_size(network, pictures):
    photo, painting, picture = pictures
    bigger = np.repeat(np.repeat(picture, 2, axis=0), 2, axis=1)
    terms = l05.terms_at(
        solutions.total_loss, bigger, photo, painting, network, CONTENT, STYLE, 1.0, 1.0, 1.0
    )
    assert set(terms) == {"content", "style", "tv", "total"} and all(
        np.isfinite(v) for v in terms.values()
    )


def test_race_gives_each_optimiser_the_same_time(random_extractor, pictures):
    photo, painting, _ = pictures
    results = l05.race_optimizers(photo, painting, random_extractor, size=32, seconds=0.6)
    assert list(results) == ["adam", "lbfgs"]
    for result in results.values():
        seconds = [entry["seconds"] for entry in result.history]
        assert len(seconds) >= 1 and seconds == sorted(seconds)
        # The run stops after the first evaluation that ends past the budget: all but the last are
        # within it.
        assert all(s < 0.6 for s in seconds[:-1])


def test_plot_loss_against_time_draws_each_run_and_its_best_so_far():
    import matplotlib.pyplot as plt

    history = [
        {"seconds": s, "total": t} for s, t in [(0.1, 5.0), (0.2, 9.0), (0.3, 2.0), (0.4, 3.0)]
    ]
    figure = l05.plot_loss_against_time({"lbfgs": history, "adam": history[:2]})
    lines = figure.axes[0].get_lines()
    assert len(lines) == 4
    np.testing.assert_allclose(lines[1].get_ydata(), [5.0, 5.0, 2.0, 2.0])  # best so far
    plt.close(figure)
    with pytest.raises(ValueError, match="non-empty history"):
        l05.plot_loss_against_time({"adam": []})
