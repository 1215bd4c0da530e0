"""labhelpers.color: YIQ conversions, luminance transfer and colour-statistics matching."""

from __future__ import annotations

import numpy as np
import pytest

from labhelpers import color


def _stats_distance(a: np.ndarray, b: np.ndarray) -> float:
    mean_a, cov_a = color.color_statistics(a)
    mean_b, cov_b = color.color_statistics(b)
    return float(np.abs(mean_a - mean_b).max() + np.abs(cov_a - cov_b).max())


def test_yiq_of_primaries_by_hand():
    # Each RGB primary gives one column of the NTSC matrix; white has Y = 1 and no chroma.
    np.testing.assert_allclose(color.rgb_to_yiq([1.0, 0.0, 0.0]), [0.299, 0.595716, 0.211456])
    np.testing.assert_allclose(color.rgb_to_yiq([0.0, 1.0, 0.0]), [0.587, -0.274453, -0.522591])
    np.testing.assert_allclose(color.rgb_to_yiq([1.0, 1.0, 1.0]), [1.0, 0.0, 0.0], atol=1e-6)
    assert color.luminance([0.5, 0.5, 0.5]) == pytest.approx(0.5)
    assert color.luminance([0.0, 0.0, 1.0]) == pytest.approx(0.114)


def test_yiq_round_trip(rng):
    image = rng.random((7, 5, 3))
    np.testing.assert_allclose(color.yiq_to_rgb(color.rgb_to_yiq(image)), image, atol=1e-12)
    yiq = np.stack(
        [rng.random((4, 4)), rng.normal(0, 0.1, (4, 4)), rng.normal(0, 0.1, (4, 4))], -1
    )
    np.testing.assert_allclose(color.rgb_to_yiq(color.yiq_to_rgb(yiq)), yiq, atol=1e-12)


def test_gray_to_rgb_keeps_luminance(rng):
    y = rng.random((6, 9))
    grey = color.gray_to_rgb(y)
    assert grey.shape == (6, 9, 3) and grey.dtype == np.float32
    np.testing.assert_allclose(color.luminance(grey), y, atol=1e-6)


def test_match_luminance_mean_and_std(rng):
    source = rng.random((10, 12)) * 0.3
    target = 0.2 + 0.6 * rng.random((8, 8))
    matched = color.match_luminance(source, target)
    assert matched.shape == source.shape
    assert matched.mean() == pytest.approx(target.mean(), abs=1e-12)
    assert matched.std() == pytest.approx(target.std(), abs=1e-12)
    flat = color.match_luminance(np.full((3, 3), 0.7), target)  # std 0: only shifted
    np.testing.assert_allclose(flat, target.mean())


def test_combine_luminance_takes_y_from_one_and_chroma_from_the_other(rng):
    styled = 0.25 + 0.5 * rng.random((5, 6, 3))
    photo = 0.25 + 0.5 * rng.random((5, 6, 3))
    out = color.combine_luminance(styled, photo)
    assert out.shape == (5, 6, 3) and out.dtype == np.float32
    yiq_out, yiq_styled, yiq_photo = (color.rgb_to_yiq(x) for x in (out, styled, photo))
    np.testing.assert_allclose(yiq_out[..., 0], yiq_styled[..., 0], atol=1e-6)
    np.testing.assert_allclose(yiq_out[..., 1:], yiq_photo[..., 1:], atol=1e-6)
    # a luminance map works too
    np.testing.assert_allclose(color.combine_luminance(yiq_styled[..., 0], photo), out, atol=1e-6)
    with pytest.raises(ValueError, match="same size"):
        color.combine_luminance(styled[:4], photo)


def test_color_statistics_by_hand():
    pixels = np.array([[[0.0, 0.0, 0.0], [1.0, 0.5, 0.0]]])  # two pixels
    mean, cov = color.color_statistics(pixels)
    np.testing.assert_allclose(mean, [0.5, 0.25, 0.0])
    # population covariance: deviations are +-(0.5, 0.25, 0)
    np.testing.assert_allclose(cov, [[0.25, 0.125, 0.0], [0.125, 0.0625, 0.0], [0.0, 0.0, 0.0]])


def test_symmetric_matrix_power(rng):
    a = rng.normal(size=(3, 3))
    m = a @ a.T + 0.1 * np.eye(3)
    root = color.symmetric_matrix_power(m, 0.5)
    np.testing.assert_allclose(root, root.T, atol=1e-12)
    np.testing.assert_allclose(root @ root, m, atol=1e-10)
    inv_root = color.symmetric_matrix_power(m, -0.5)
    np.testing.assert_allclose(inv_root @ m @ inv_root, np.eye(3), atol=1e-9)
    with pytest.raises(ValueError, match="square"):
        color.symmetric_matrix_power(np.ones((2, 3)), 0.5)


def test_histogram_matching_gives_the_targets_mean_and_covariance(rng):
    # a bluish "painting" and a brownish "photo" with correlated channels
    source = np.clip(rng.normal([0.2, 0.3, 0.6], 0.1, (40, 30, 3)), 0, 1)
    mix = np.array([[1.0, 0.6, 0.2], [0.0, 0.8, 0.3], [0.0, 0.0, 0.5]])
    target = np.clip(0.15 * rng.normal(size=(25, 35, 3)) @ mix + [0.55, 0.4, 0.25], 0, 1)
    matched = color.match_color_statistics(source, target)
    assert matched.shape == source.shape and matched.dtype == np.float32
    mean_m, cov_m = color.color_statistics(matched)
    mean_t, cov_t = color.color_statistics(target)
    np.testing.assert_allclose(mean_m, mean_t, atol=1e-4)
    np.testing.assert_allclose(cov_m, cov_t, atol=1e-4)
    assert _stats_distance(matched, target) < 1e-4 < _stats_distance(source, target)


def test_histogram_matching_is_affine_and_identity_on_itself(rng):
    image = rng.random((12, 10, 3))
    np.testing.assert_allclose(color.match_color_statistics(image, image), image, atol=1e-5)
    # clip keeps values in range
    clipped = color.match_color_statistics(image, image * 3 - 1, clip=True)
    assert clipped.min() >= 0 and clipped.max() <= 1


def test_histogram_matching_survives_a_grey_source(rng):
    grey = np.repeat(rng.random((8, 8, 1)), 3, axis=-1)  # covariance of rank 1
    out = color.match_color_statistics(grey, rng.random((8, 8, 3)))
    assert np.all(np.isfinite(out))


def test_wrong_shapes_say_what_to_pass():
    with pytest.raises(ValueError, match="3 colour channels"):
        color.rgb_to_yiq(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="3 colour channels"):
        color.match_color_statistics(np.zeros((4, 4, 4)), np.zeros((4, 4, 3)))


def test_blended_statistics_are_those_of_the_pooled_pixels(rng):
    # Reference: pool the pixels themselves, each image repeated in proportion to its weight.
    a = rng.random((4, 6, 3)) * [1.0, 0.5, 0.2]
    b = rng.random((3, 8, 3)) * 0.3 + 0.6  # also 24 pixels
    pooled = np.concatenate([a.reshape(-1, 3)] * 3 + [b.reshape(-1, 3)])  # weights 3 : 1
    mean, cov = color.blended_color_statistics([a, b], [3, 1])
    np.testing.assert_allclose(mean, pooled.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(cov, np.cov(pooled.T, bias=True), atol=1e-12)
    one_mean, one_cov = color.blended_color_statistics([a])
    np.testing.assert_allclose(one_cov, np.cov(a.reshape(-1, 3).T, bias=True), atol=1e-12)
    np.testing.assert_allclose(one_mean, a.reshape(-1, 3).mean(axis=0), atol=1e-12)
    for bad in ([1], [1, -1], [0, 0], [1, float("nan")]):
        with pytest.raises(ValueError, match="finite numbers >= 0"):
            color.blended_color_statistics([a, b], bad)
    with pytest.raises(ValueError, match="at least one image"):
        color.blended_color_statistics([])


def test_recolor_to_gives_the_asked_mean_and_covariance(rng):
    photo = rng.random((20, 30, 3))
    # A target well inside [0, 1], so that no pixel is clipped and the statistics match exactly.
    mean = np.array([0.55, 0.45, 0.4])
    root = np.array([[0.08, 0.02, 0.0], [0.0, 0.06, 0.01], [0.0, 0.0, 0.05]])
    covariance = root @ root.T
    out = color.recolor_to(photo, mean, covariance)
    assert out.shape == photo.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    got_mean, got_cov = color.color_statistics(out)
    np.testing.assert_allclose(got_mean, mean, atol=1e-6)
    np.testing.assert_allclose(got_cov, covariance, atol=1e-6)
    # An affine map of the colours: the pixels keep their order along every channel's blend.
    flat, source = out.reshape(-1, 3).astype(np.float64), photo.reshape(-1, 3)
    design = np.hstack([source, np.ones((len(source), 1))])
    fit, *_ = np.linalg.lstsq(design, flat, rcond=None)
    np.testing.assert_allclose(design @ fit, flat, atol=1e-5)
