"""Tests of labhelpers.lessons.plots, labhelpers.lessons.explorers, colab, device and solutions.

Pure helpers are checked against values worked out by hand; the optimisation-based ones
(reconstructions, texture synthesis, the TV sweep) run on tiny pictures for a few steps with the
real VGG16 (the ``extractor`` fixture), or with random weights where only plumbing is tested.
"""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from labhelpers import device  # noqa: E402
from labhelpers.lessons import explorers as lesson_widgets  # noqa: E402
from labhelpers.lessons import solutions  # noqa: E402
from labhelpers.lessons import plots as viz  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _decode_png(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def _picture(rng: np.random.Generator, height: int = 40, width: int = 48) -> np.ndarray:
    """A smooth picture with some structure (gradients and a bright square), values in [0, 1]."""
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    image = np.stack([x, y, 0.5 * (x + y)], axis=-1)
    image[height // 4: height // 2, width // 4: width // 2] = [0.9, 0.2, 0.1]
    return np.clip(image + 0.02 * rng.standard_normal(image.shape), 0, 1).astype(np.float32)


# ----------------------------------------------------------------------------- layer table


def test_layer_table_has_18_rows_with_the_right_receptive_fields():
    table = viz.layer_table(224, 224)
    body = re.search(r"<tbody>(.*)</tbody>", table, re.S).group(1)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    assert len(rows) == 18
    cells = {re.sub(r"<[^>]+>", "", row.split("</td>")[0]): [re.sub(r"<[^>]+>", "", c) for c in row.split("</td>")]
             for row in rows}
    assert cells["block1_conv1"][3].startswith("3 &times; 3 px")
    assert cells["block5_conv3"][3].startswith("196 &times; 196 px")
    assert cells["block1_conv1"][2] == "224 &times; 224 &times; 64"
    assert cells["block5_conv3"][2] == "14 &times; 14 &times; 512"
    assert cells["block5_pool"][1] == "max pool 2x2"
    assert cells["block5_pool"][2] == "7 &times; 7 &times; 512"


def test_layer_table_follows_the_input_size():
    table = viz.layer_table(64, 96)
    assert "64 &times; 96 &times; 64" in table  # block1
    assert "2 &times; 3 &times; 512" in table   # block5_pool


# ----------------------------------------------------------------------------- activations


def test_activation_image_shape_dtype_and_scaling(rng):
    features = rng.random((1, 5, 7, 4)).astype(np.float32)
    picture = viz.activation_image(features, 2)
    assert picture.shape == (5, 7, 3) and picture.dtype == np.uint8
    cmap = matplotlib.colormaps["viridis"]
    top = np.round(np.array(cmap(1.0)[:3]) * 255).astype(np.uint8)
    where = np.unravel_index(np.argmax(features[0, ..., 2]), (5, 7))
    assert np.array_equal(picture[where], top)  # the channel's maximum gets the top colour
    big = viz.activation_image(features[0], 2, upscale=3)
    assert big.shape == (15, 21, 3)
    assert np.array_equal(big[::3, ::3], picture)


def test_activation_image_of_a_silent_channel_is_uniform():
    features = np.zeros((1, 4, 4, 2), np.float32)
    picture = viz.activation_image(features, 1)
    assert np.all(picture == picture[0, 0])


def test_activation_image_rejects_a_bad_channel(rng):
    with pytest.raises(ValueError, match="channel"):
        viz.activation_image(rng.random((1, 4, 4, 3)), 3)


def test_strongest_channels_orders_by_mean():
    features = np.zeros((1, 2, 2, 4), np.float32)
    features[..., 0], features[..., 2], features[..., 3] = 1.0, 3.0, 2.0
    assert list(viz.strongest_channels(features, 3)) == [2, 3, 0]


def test_activation_grid_and_block_activations(rng):
    features = {name: rng.random((1, 6, 6, 10)).astype(np.float32) for name in viz.BLOCK_FIRST_LAYERS}
    figure = viz.activation_grid(features["block1_conv1"], channels=8, columns=4, title="t")
    assert isinstance(figure, Figure)
    assert sum(1 for ax in figure.axes if ax.images) == 8
    figure = viz.block_activations(features, channels=3)
    assert sum(1 for ax in figure.axes if ax.images) == 15


# ----------------------------------------------------------------------------- filters


def test_filter_images_normalises_each_filter_around_grey():
    kernel = np.zeros((3, 3, 3, 2), np.float32)
    kernel[0, 0, 0, 0] = 2.0    # filter 0: one strong positive red weight
    kernel[1, 1, 2, 0] = -1.0   # and a weaker negative blue one
    kernel[2, 2, 1, 1] = -0.5   # filter 1: one negative green weight
    pictures = viz.filter_images(kernel)
    assert pictures.shape == (2, 3, 3, 3)
    assert pictures[0, 0, 0, 0] == pytest.approx(1.0)
    assert pictures[0, 1, 1, 2] == pytest.approx(0.25)
    assert pictures[0, 2, 2, 1] == pytest.approx(0.5)   # zero weight -> grey
    assert pictures[1, 2, 2, 1] == pytest.approx(0.0)
    flipped = viz.filter_images(kernel, bgr=True)
    assert flipped[0, 0, 0, 2] == pytest.approx(1.0)    # BGR input: the weight belongs to blue


def test_filter_images_needs_an_rgb_layer(rng):
    with pytest.raises(ValueError, match="block1_conv1"):
        viz.filter_images(rng.random((3, 3, 64, 64)))


def test_plot_filters_draws_64_pictures(random_extractor):
    figure = viz.plot_filters(random_extractor)
    assert sum(1 for ax in figure.axes if ax.images) == 64


# ----------------------------------------------------------------------------- TV helpers


def test_difference_images_by_hand():
    image = np.array([[1, 2, 4],
                      [0, 0, 0],
                      [3, 1, 1]], np.float32)[..., None]
    horizontal, vertical = viz.difference_images(image)
    assert horizontal.shape == (3, 2, 1) and vertical.shape == (2, 3, 1)
    np.testing.assert_array_equal(horizontal[..., 0], [[1, 2], [0, 0], [-2, 0]])
    np.testing.assert_array_equal(vertical[..., 0], [[-1, -2, -4], [3, 1, 1]])
    tv = np.abs(horizontal).sum() + np.abs(vertical).sum()
    assert tv == 1 + 2 + 2 + 1 + 2 + 4 + 3 + 1 + 1
    from labhelpers.losses import total_variation_loss

    assert float(total_variation_loss(image[None])) == pytest.approx(tv)


def test_plot_differences_titles_carry_the_tv(rng):
    flat = np.full((8, 8, 3), 0.5, np.float32)
    figure = viz.plot_differences({"flat": flat, "noise": rng.random((8, 8, 3))})
    titles = [ax.get_title() for ax in figure.axes]
    assert any(title.startswith("flat\nTV = 0 ") for title in titles)


def test_tv_denoise_lowers_the_total_variation(rng):
    from labhelpers.losses import total_variation_loss, total_variation_loss_l2

    clean = _picture(rng, 24, 24)
    noisy = viz.add_noise(clean, 0.15, seed=3)
    l1 = viz.tv_denoise(noisy, 0.1, "l1", steps=40)
    l2 = viz.tv_denoise(noisy, 1.0, "l2", steps=40)
    assert l1.shape == noisy.shape and l1.dtype == np.float32
    assert float(total_variation_loss(l1)) < 0.7 * float(total_variation_loss(noisy))
    assert float(total_variation_loss_l2(l2)) < 0.7 * float(total_variation_loss_l2(noisy))
    np.testing.assert_allclose(viz.tv_denoise(noisy, 0.0, "l1", steps=5), noisy, atol=1e-6)
    with pytest.raises(ValueError):
        viz.tv_denoise(noisy, 0.1, "l3", steps=1)


# ----------------------------------------------------------------------------- misc pure helpers


def test_image_to_png_bytes_round_trip(rng):
    floats = rng.random((6, 5, 3)).astype(np.float32)
    decoded = _decode_png(viz.image_to_png_bytes(floats))
    assert decoded.shape == (6, 5, 3)
    np.testing.assert_array_equal(decoded, np.round(floats * 255).astype(np.uint8))
    ints = (rng.random((4, 4, 3)) * 255).astype(np.uint8)
    np.testing.assert_array_equal(_decode_png(viz.image_to_png_bytes(ints[None])), ints)
    grey = _decode_png(viz.image_to_png_bytes(np.array([[0.0, 2.0]])))
    np.testing.assert_array_equal(grey, [[0, 255]])  # clipped
    assert viz.image_to_png_bytes(floats).startswith(b"\x89PNG")


def test_gram_heatmap(rng):
    figure = viz.gram_heatmap(rng.random((40, 40)), title="g", channels=16)
    assert figure.axes[0].images[0].get_array().shape == (16, 16)
    with pytest.raises(ValueError, match="square"):
        viz.gram_heatmap(rng.random((3, 4)))
    figure = viz.compare_grams({"a": np.eye(4), "b": np.ones((4, 4))})
    assert sum(1 for ax in figure.axes if ax.images) == 2


def test_shuffle_positions_keeps_the_gram_matrix(rng):
    from labhelpers.losses import content_loss, gram_matrix

    features = rng.random((1, 6, 5, 7)).astype(np.float32)
    shuffled = viz.shuffle_positions(features, seed=1)
    assert shuffled.shape == features.shape
    np.testing.assert_allclose(gram_matrix(shuffled).numpy(), gram_matrix(features).numpy(), rtol=1e-5, atol=1e-7)
    assert float(content_loss(shuffled, features)) > 0.01
    np.testing.assert_array_equal(np.sort(shuffled.ravel()), np.sort(features.ravel()))


def test_shift_image_moves_the_picture(rng):
    image = rng.random((10, 12, 3)).astype(np.float32)
    moved = viz.shift_image(image, 3, axis=1)
    np.testing.assert_array_equal(moved[:, 3:], image[:, :-3])
    down = viz.shift_image(image, 2, axis=0)
    np.testing.assert_array_equal(down[2:], image[:-2])


def test_distance_comparison(random_extractor, rng):
    image = _picture(rng, 32, 32)
    table = viz.distance_comparison(image, {"same": image, "noisy": viz.add_noise(image, 0.2)}, random_extractor,
                                    ["block1_conv1", "block2_conv1"])
    assert table["same"] == {"pixels": 0.0, "block1_conv1": 0.0, "block2_conv1": 0.0}
    assert all(value > 0 for value in table["noisy"].values())
    calls = []

    def loss_fn(generated, reference):
        calls.append(1)
        return np.mean((np.asarray(generated) - np.asarray(reference)) ** 2)

    again = viz.distance_comparison(image, {"noisy": viz.add_noise(image, 0.2)}, random_extractor,
                                    ["block1_conv1", "block2_conv1"], loss_fn=loss_fn)
    assert len(calls) == 2
    assert again["noisy"]["block1_conv1"] == pytest.approx(table["noisy"]["block1_conv1"], rel=1e-4)
    assert isinstance(viz.plot_distance_comparison(table), Figure)


def test_plot_loss_curves_leaves_out_switched_off_terms():
    history = [{"step": s, "total": 10.0 / s, "content": 4.0 / s, "style": 6.0 / s, "tv": 0.0} for s in range(1, 6)]
    figure = viz.plot_loss_curves(history)
    ax = figure.axes[0]
    assert ax.get_yscale() == "log"
    assert sorted(line.get_label() for line in ax.lines) == ["content", "style", "total"]
    with pytest.raises(ValueError):
        viz.plot_loss_curves([])


def test_noise_image_and_crop_border(rng):
    white = viz.noise_image((20, 30), seed=2)
    assert white.shape == (20, 30, 3) and white.dtype == np.float32
    assert white.min() < 0.05 and white.max() > 0.95
    faint = viz.noise_image((20, 30), seed=2, amplitude=0.2)
    np.testing.assert_allclose(faint, 0.5 + 0.2 * (white - 0.5), atol=1e-6)
    with pytest.raises(ValueError):
        viz.noise_image((4, 4), amplitude=2.0)
    image = rng.random((50, 100, 3)).astype(np.float32)
    cropped = viz.crop_border(image, 0.03)   # 3 px of the longest side, 100
    np.testing.assert_array_equal(cropped, image[3:-3, 3:-3])
    np.testing.assert_array_equal(viz.crop_border(image, 0.0), image)
    with pytest.raises(ValueError):
        viz.crop_border(image, 0.4)


def test_image_grid_and_plot_reconstructions(rng):
    pictures = [rng.random((8, 10, 3)), rng.random((6, 6, 3)), rng.random((5, 9, 3))]
    figure = viz.image_grid(pictures, ["a", "b", "c"], columns=2)
    assert sum(1 for ax in figure.axes if ax.images) == 3
    rec = viz.Reconstruction(image=pictures[1], start=pictures[2], kind="style",
                             layers=("block1_conv1", "block2_conv1"))
    assert "2 layers" in rec.label
    assert sum(1 for ax in viz.plot_reconstructions(pictures[0], [rec]).axes if ax.images) == 2


# ----------------------------------------------------------------------------- reconstructions


@pytest.mark.parametrize("kind, layers", [("content", "block3_conv1"), ("style", ["block1_conv1", "block2_conv1"])])
def test_reconstruct_reduces_the_feature_distance(extractor, rng, kind, layers):
    target = _picture(rng, 32, 32)
    rec = viz.reconstruct(target, extractor, layers, kind=kind, size=32, steps=15, seed=4)
    assert rec.image.shape == (32, 32, 3) and rec.image.dtype == np.float32
    assert rec.start.shape == (32, 32, 3)
    assert 0.0 <= rec.image.min() and rec.image.max() <= 1.0
    assert rec.final_loss < 0.5 * rec.start_loss
    layer_list = [layers] if isinstance(layers, str) else layers
    before = viz.feature_distance(rec.start, target, extractor, layer_list, kind)
    after = viz.feature_distance(rec.image, target, extractor, layer_list, kind)
    assert after < 0.5 * before
    assert len(rec.history) == 15 and rec.history[0]["tv"] == 0.0
    other = "style" if kind == "content" else "content"
    assert all(entry[other] == 0.0 for entry in rec.history)


def test_reconstruct_same_seed_same_start(random_extractor, rng):
    target = _picture(rng, 16, 16)
    a = viz.reconstruct(target, random_extractor, "block1_conv1", size=16, steps=2, seed=7)
    b = viz.reconstruct(target, random_extractor, "block1_conv1", size=16, steps=2, seed=7)
    np.testing.assert_array_equal(a.start, b.start)
    with pytest.raises(ValueError):
        viz.reconstruct(target, random_extractor, "block9_conv1", size=16, steps=1)
    with pytest.raises(ValueError):
        viz.reconstruct(target, random_extractor, "block1_conv1", kind="texture", size=16, steps=1)


# ----------------------------------------------------------------------------- lesson widgets


def test_activation_explorer_slider_and_dropdown_change_the_picture(random_extractor, rng):
    image = _picture(rng, 32, 32)
    panel = lesson_widgets.activation_explorer(image, random_extractor, display_size=64)
    dropdown = lesson_widgets.find_widget(panel, "lab-layer-dropdown")
    slider = lesson_widgets.find_widget(panel, "lab-channel-slider")
    picture = lesson_widgets.find_widget(panel, "lab-activation")
    info = lesson_widgets.find_widget(panel, "lab-activation-info")
    assert slider.max == 63 and dropdown.value == "block1_conv1"
    before = picture.value
    assert _decode_png(before).shape == (64, 64, 3)
    slider.value = 5
    assert picture.value != before
    assert "channel 5" in info.value
    after_slider = picture.value
    assert after_slider == lesson_widgets.activation_png(random_extractor(image), "block1_conv1", 5, 64)
    dropdown.value = "block3_conv1"
    assert slider.max == 255
    assert picture.value != after_slider
    assert _decode_png(picture.value).shape == (64, 64, 3)   # 8x8 map enlarged 8 times
    assert "24 x 24 input pixels" in info.value


def test_activation_png_clips_the_channel(random_extractor, rng):
    features = random_extractor.with_layers(["block1_conv1"])(_picture(rng, 16, 16))
    assert lesson_widgets.activation_png(features, "block1_conv1", 999, 16) == \
        lesson_widgets.activation_png(features, "block1_conv1", 63, 16)
    assert lesson_widgets.upscale_factor(8, 12, 256) == 21
    assert lesson_widgets.upscale_factor(300, 200, 256) == 1


def test_find_widget_raises_for_an_unknown_class(random_extractor, rng):
    panel = lesson_widgets.activation_explorer(_picture(rng, 16, 16), random_extractor, layers=["block1_conv1"])
    with pytest.raises(LookupError):
        lesson_widgets.find_widget(panel, "lab-nothing")


def test_synthesize_texture_uses_the_layer_weights(extractor, rng):
    painting = _picture(rng, 32, 24)
    a = lesson_widgets.synthesize_texture(painting, extractor, {"block1_conv1": 1.0}, size=32, steps=4)
    b = lesson_widgets.synthesize_texture(painting, extractor, {"block1_conv1": 1.0, "block2_conv1": 1.0},
                                          size=32, steps=4)
    assert a.shape == (32, 24, 3) and a.dtype == np.float32
    assert not np.array_equal(a, b)
    with pytest.raises(ValueError, match="weight 0"):
        lesson_widgets.synthesize_texture(painting, extractor, {"block1_conv1": 0.0}, size=32, steps=2)


def test_texture_panel_slider_changes_the_texture(extractor, rng):
    painting = _picture(rng, 32, 32)
    layers = ["block1_conv1", "block2_conv1"]
    panel = lesson_widgets.texture_synthesis_panel(painting, extractor, layers=layers, size=32, steps=3,
                                                   auto_run=True, run_now=True)
    picture = lesson_widgets.find_widget(panel, "lab-texture")
    status = lesson_widgets.find_widget(panel, "lab-texture-status")
    first = picture.value
    assert _decode_png(first).shape == (32, 32, 3)
    slider = lesson_widgets.find_widget(panel, "lab-style-weight-block2_conv1")
    slider.value = 0.0
    assert picture.value != first
    assert "block1_conv1 1" in status.value and "block2_conv1" not in status.value
    lesson_widgets.find_widget(panel, "lab-style-weight-block1_conv1").value = 0.0
    assert "weight 0" in status.value   # all zero: explained, picture kept


def test_texture_panel_button_runs_with_the_slider_values(extractor, rng):
    painting = _picture(rng, 32, 32)
    shown = np.zeros((32, 32, 3), np.float32)
    panel = lesson_widgets.texture_synthesis_panel(painting, extractor, layers=["block1_conv1", "block2_conv1"],
                                                   size=32, steps=3, initial=shown)
    picture = lesson_widgets.find_widget(panel, "lab-texture")
    status = lesson_widgets.find_widget(panel, "lab-texture-status")
    assert picture.value == viz.image_to_png_bytes(shown)
    lesson_widgets.find_widget(panel, "lab-style-weight-block1_conv1").value = 0.5
    assert picture.value == viz.image_to_png_bytes(shown)   # no auto_run: only the status changes
    assert "press the button" in status.value
    lesson_widgets.find_widget(panel, "lab-texture-run").click()
    assert picture.value != viz.image_to_png_bytes(shown)
    assert "block1_conv1 0.5" in status.value


def test_tv_panel_slider_changes_the_picture(extractor):
    sweep = lesson_widgets.TVSweep("chelsea_cat", "van_gogh_starry_night", extractor, size=32, steps=4)
    panel = lesson_widgets.tv_weight_panel(sweep, value=0.01)
    slider = lesson_widgets.find_widget(panel, "lab-tv-slider")
    picture = lesson_widgets.find_widget(panel, "lab-tv-image")
    status = lesson_widgets.find_widget(panel, "lab-tv-status")
    before = picture.value
    slider.value = 10.0
    assert picture.value != before
    assert status.value.startswith("tv_weight 10")
    assert picture.value == viz.image_to_png_bytes(sweep.image(10.0))
    assert len(sweep.results) == 2   # cached: asking again did not run again
    smooth, rough = sweep.image(10.0), sweep.image(0.01)
    from labhelpers.losses import total_variation_loss

    assert float(total_variation_loss(smooth)) < float(total_variation_loss(rough))


# ----------------------------------------------------------------------------- colab, device, solutions


def test_estimate_lesson_times_scales_with_the_step_time():
    slow = device.estimate_lesson_times(seconds_per_evaluation=0.2, size=128)
    fast = device.estimate_lesson_times(seconds_per_evaluation=0.1, size=128)
    assert set(slow) == set(device.LESSON_RUNS)
    assert all(slow[k] > fast[k] > 0 for k in slow)
    run = device.LESSON_RUNS["04_total_variation"][0]
    expected = device.FIXED_SECONDS + run.count * (run.steps * 0.1 * run.depth + device.SETUP_SECONDS)
    assert fast["04_total_variation"] == pytest.approx(expected)
    # the same step time measured at half the size means four times the cost at 128 px
    half = device.estimate_lesson_times(seconds_per_evaluation=0.1, size=64)
    assert half["04_total_variation"] - device.FIXED_SECONDS == pytest.approx(
        run.count * (run.steps * 0.4 * run.depth + device.SETUP_SECONDS))
    text = device.format_estimates({"a": 30.0, "b": 600.0})
    assert "about 30 s" in text and "about 10.0 min" in text


def test_device_summary_and_timing(random_extractor):
    info = device.device_summary()
    assert {"tensorflow", "keras", "python", "cpu_cores", "gpus"} <= set(info)
    assert info["cpu_cores"] >= 1
    timing = device.time_evaluation(32, random_extractor, repeats=2)
    assert timing["seconds_per_evaluation"] > 0 and timing["setup_seconds"] > 0


@pytest.mark.parametrize("name", sorted(solutions.SOLUTIONS))
def test_solutions_pass_their_checks(name, capsys):
    from labhelpers.lessons import checks

    check = getattr(checks, f"check_{name}")
    assert check(solutions.SOLUTIONS[name], seed=0) is True
    assert f"def {name}(" in solutions.source(name)
    with pytest.raises(KeyError):
        solutions.source("nothing")


def test_loss_curves_are_not_squashed_by_a_near_zero_first_value():
    import matplotlib

    matplotlib.use("Agg")
    from labhelpers.lessons.plots import plot_loss_curves

    history = [{"step": i + 1, "total": 10.0 / (i + 1), "content": 1e-13 if i == 0 else 0.5,
                "style": 5.0 / (i + 1), "tv": 0.3} for i in range(20)]
    bottom, top = plot_loss_curves(history).axes[0].get_ylim()
    assert bottom >= 10.0 * 1e-6 * 0.999 and top >= 10.0
