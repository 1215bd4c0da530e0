"""labhelpers.transfer.run: the optimisation loop, early stops, reproducibility, targets, colours.

Small pictures (32-64 px) and few steps keep this quick. ``random_extractor`` is used where any
network does (control flow), the real ``extractor`` where the picture matters.
"""

from __future__ import annotations

import numpy as np
import pytest

from labhelpers import color
from labhelpers.images import DEFAULT_CONTENT, DEFAULT_STYLE, load_image
from labhelpers.transfer.run import StyleTransfer, StyleTransferResult, stage_sizes, stylize

SECOND_STYLE = "van_gogh_night_cafe"


@pytest.fixture(scope="module")
def real(extractor):
    """The default pair at 48 px with the real network."""
    return StyleTransfer(DEFAULT_CONTENT, DEFAULT_STYLE, size=48, extractor=extractor)


@pytest.fixture(scope="module")
def small(random_extractor):
    """The default pair at 32 px with the random network: for control flow only."""
    return StyleTransfer(DEFAULT_CONTENT, DEFAULT_STYLE, size=32, extractor=random_extractor)


def _total_of(transfer: StyleTransfer, image: np.ndarray, **weights) -> float:
    return transfer.losses(image, **weights)["total"]


# --- the loss falls ----------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_loss_falls(real, optimizer):
    result = real.run(steps=15, optimizer=optimizer)
    assert isinstance(result, StyleTransferResult)
    assert result.stopped is None and len(result.history) == 15
    totals = [record["total"] for record in result.history]
    assert min(totals[-3:]) < 0.6 * totals[0]
    assert result.image.shape == real.content.shape and result.image.dtype == np.float32
    assert 0.0 <= result.image.min() and result.image.max() <= 1.0
    assert not np.allclose(result.image, real.content, atol=0.02)  # the picture really changed


def test_stylize_one_call_and_fast_mode_defaults(random_extractor, monkeypatch):
    monkeypatch.setenv("LAB_FAST", "1")
    result = stylize(DEFAULT_CONTENT, DEFAULT_STYLE, extractor=random_extractor)
    assert max(result.image.shape[:2]) == 64 and len(result.history) == 10
    assert result.options["size"] == 64 and result.options["steps"] == 10
    explicit = stylize(DEFAULT_CONTENT, DEFAULT_STYLE, extractor=random_extractor, size=40, steps=3)
    assert max(explicit.image.shape[:2]) == 40 and len(explicit.history) == 3


# --- early ends return the best picture -------------------------------------------------------


def _assert_best_returned(transfer: StyleTransfer, result: StyleTransferResult) -> None:
    totals = [record["total"] for record in result.history]
    best = int(np.argmin(totals))
    assert result.best_step == best + 1
    assert _total_of(transfer, result.image, **{k: result.options[k] for k in
                                                ("content_weight", "style_weight", "tv_weight")}) == \
        pytest.approx(totals[best], rel=1e-4)


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_should_stop_returns_the_best_image(small, optimizer):
    polls = []

    def should_stop() -> bool:
        polls.append(1)
        return len(polls) >= 6

    result = small.run(steps=50, optimizer=optimizer, should_stop=should_stop, style_weight=1e3)
    assert result.stopped == "stop"
    assert len(result.history) == 6 == len(polls)  # polled after every evaluation
    assert "should_stop" in result.message
    _assert_best_returned(small, result)


def test_keyboard_interrupt_returns_the_best_image(small):
    seen = []

    def callback(step, image, record):
        seen.append(step)
        assert image.shape == small.content.shape and image.dtype == np.float32
        assert record["step"] == step
        if step == 4:
            raise KeyboardInterrupt

    result = small.run(steps=50, callback=callback, callback_every=1)
    assert result.stopped == "interrupt"
    assert seen == [1, 2, 3, 4] and len(result.history) == 4
    assert "Interrupted" in result.message
    _assert_best_returned(small, result)


def test_callback_every(small):
    seen = []
    small.run(steps=7, callback=lambda step, image, record: seen.append(step), callback_every=3)
    assert seen == [3, 6, 7]  # and after the last step


def test_time_budget(small):
    result = small.run(steps=100_000, time_budget=1.0)
    assert result.stopped == "time_budget"
    seconds = [record["seconds"] for record in result.history]
    assert seconds[-1] >= 1.0 and (len(seconds) == 1 or seconds[-2] < 1.0)
    assert "time budget" in result.message
    _assert_best_returned(small, result)


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_nan_is_caught_and_the_last_good_image_kept(small, monkeypatch, optimizer):
    real_evaluate = small._evaluate
    calls = []

    def evaluate(image, targets, coefficients):  # the 4th evaluation goes wrong
        calls.append(1)
        total, terms, grad = real_evaluate(image, targets, coefficients)
        if len(calls) == 4:
            return float("nan"), terms * np.nan, grad
        return total, terms, grad

    monkeypatch.setattr(small, "_evaluate", evaluate)
    result = small.run(steps=20, optimizer=optimizer)
    monkeypatch.undo()
    assert result.stopped == "nan"
    assert len(result.history) == 3
    assert "NaN" in result.message and "step 4" in result.message
    assert np.all(np.isfinite(result.image))
    _assert_best_returned(small, result)


def test_exploding_loss_is_caught(small, monkeypatch):
    real_evaluate = small._evaluate
    calls = []

    def evaluate(image, targets, coefficients):
        calls.append(1)
        total, terms, grad = real_evaluate(image, targets, coefficients)
        return (total * 1e9, terms * 1e9, grad) if len(calls) == 3 else (total, terms, grad)

    monkeypatch.setattr(small, "_evaluate", evaluate)
    result = small.run(steps=10)
    monkeypatch.undo()
    assert result.stopped == "nan" and "exploded" in result.message
    assert len(result.history) == 2


def test_broken_network_is_reported_when_preparing(random_extractor):
    from labhelpers.network.extractor import FeatureExtractor

    pairs = [(k * 1e30, b) for k, b in random_extractor.conv_weights()]
    broken = FeatureExtractor.from_arrays(pairs)
    with pytest.raises(ValueError, match="non-finite"):
        StyleTransfer(DEFAULT_CONTENT, DEFAULT_STYLE, size=32, extractor=broken)


# --- reproducibility ---------------------------------------------------------------------------


def test_same_seed_same_result_and_inits_differ(small):
    first = small.run(steps=6, init="noise", seed=3)
    again = small.run(steps=6, init="noise", seed=3)
    np.testing.assert_array_equal(first.image, again.image)
    assert [r["total"] for r in first.history] == [r["total"] for r in again.history]
    other_seed = small.run(steps=6, init="noise", seed=4)
    assert np.abs(other_seed.image - first.image).max() > 0.1
    from_content = small.run(steps=6, init="content")
    from_style = small.run(steps=6, init="style")
    assert np.abs(from_content.image - from_style.image).mean() > 0.05
    from_array = small.run(steps=2, init=from_style.image)
    assert from_array.options["init"] == "array"


# --- history and options -------------------------------------------------------------------------


def test_history_fields_are_consistent(real):
    weights = {"content_weight": 2.0, "style_weight": 50.0, "tv_weight": 0.5}
    result = real.run(steps=5, **weights)
    assert [r["step"] for r in result.history] == [1, 2, 3, 4, 5]
    seconds = [r["seconds"] for r in result.history]
    assert all(b >= a for a, b in zip(seconds, seconds[1:])) and seconds[0] > 0
    style_w, content_w = real.style_layers, real.content_layers
    assert sum(style_w.values()) == pytest.approx(1.0)
    for record in result.history:
        assert {"step", "seconds", "total", "content", "style", "tv", "style_layers"} <= set(record)
        assert set(record["style_layers"]) == set(style_w)
        assert record["total"] == pytest.approx(record["content"] + record["style"] + record["tv"])
        assert record["style"] == pytest.approx(50.0 * sum(style_w[n] * v for n, v in record["style_layers"].items()))
        assert record["content"] == pytest.approx(2.0 * sum(content_w[n] * v for n, v in record["content_layers"].items()))
        assert min(record["content"], record["style"], record["tv"]) >= 0
    assert result.history[0]["content"] == pytest.approx(0.0, abs=1e-6)  # starts at the content image
    options = result.options
    assert options["weights"] == "torchvision" and options["normalise"] is True
    assert options["style_weight"] == 50.0 and options["optimizer"] == "lbfgs"
    assert options["style_layers"] == style_w and options["coarse_to_fine"] == [48]


def test_normalisers_are_the_targets_mean_squares(real):
    import tensorflow as tf

    from labhelpers.losses import gram_matrix

    targets = real.targets(real.content.shape[:2])
    maps = real.features(real.content)
    for name, norm in zip(real.content_layers, targets.content_norms):
        assert norm == pytest.approx(float(tf.reduce_mean(maps[name] ** 2)), rel=1e-4)
    style_maps = real.features(targets.styles[0])
    for name, norm in zip(real.style_layers, targets.style_norms):
        assert norm == pytest.approx(float(tf.reduce_mean(gram_matrix(style_maps[name]) ** 2)), rel=1e-4)


# --- targets are computed once, the loss is traced once ---------------------------------------


def test_targets_computed_once_and_no_retrace(random_extractor, monkeypatch):
    from labhelpers.network.extractor import FeatureExtractor

    calls = []
    original = FeatureExtractor.__call__

    def counting(self, images):
        calls.append(1)
        return original(self, images)

    monkeypatch.setattr(FeatureExtractor, "__call__", counting)
    transfer = StyleTransfer(DEFAULT_CONTENT, DEFAULT_STYLE, size=32, extractor=random_extractor)
    assert len(calls) == 2  # content features + style Grams, once
    assert transfer.target_computations == 1
    transfer.run(steps=3, style_weight=10.0)
    after_first = len(calls)
    assert after_first == 3  # + the single trace of the compiled loss
    transfer.run(steps=4, style_weight=1e4, content_weight=0.1, tv_weight=0.0, optimizer="adam")
    transfer.run(steps=2, init="noise", seed=1)
    assert len(calls) == after_first  # other weights: no new targets, no retrace
    assert transfer.target_computations == 1
    assert transfer._compiled.experimental_get_tracing_count() == 1


# --- coarse to fine -------------------------------------------------------------------------------


def test_stage_sizes():
    assert stage_sizes(256) == [256]
    assert stage_sizes(1024) == [512, 1024]
    assert stage_sizes(2048) == [512, 1024, 2048]
    assert stage_sizes(64, True) == [32, 64]
    assert stage_sizes(1024, False) == [1024]
    assert stage_sizes(1024, [256, 512]) == [256, 512, 1024]
    with pytest.raises(ValueError, match="increase"):
        stage_sizes(256, [300])


def test_coarse_to_fine_gives_the_requested_size(random_extractor):
    transfer = StyleTransfer(DEFAULT_CONTENT, DEFAULT_STYLE, size=64, extractor=random_extractor)
    result = transfer.run(steps=6, coarse_to_fine=True)
    assert result.image.shape == transfer.content.shape and max(result.image.shape[:2]) == 64
    assert result.options["coarse_to_fine"] == [32, 64]
    stages = [record["stage_size"] for record in result.history]
    assert stages == [32] * 4 + [64] * 2  # steps split 2:1, coarse first
    assert transfer.target_computations == 2
    # interrupted in the coarse stage: still the requested size
    stopped = transfer.run(steps=6, coarse_to_fine=True, should_stop=lambda: True)
    assert stopped.stopped == "stop" and stopped.image.shape == transfer.content.shape


# --- several styles ---------------------------------------------------------------------------------


def test_several_styles_are_blended(random_extractor):
    from labhelpers.losses import gram_matrix

    transfer = StyleTransfer(DEFAULT_CONTENT, [DEFAULT_STYLE, SECOND_STYLE], size=32,
                             extractor=random_extractor, style_blend=[3, 1])
    np.testing.assert_allclose(transfer.blend, [0.75, 0.25])
    targets = transfer.targets(transfer.content.shape[:2])
    first, second = (transfer.features(image) for image in targets.styles)
    for name, gram in zip(transfer.style_layers, targets.style_grams):
        expected = 0.75 * gram_matrix(first[name]) + 0.25 * gram_matrix(second[name])
        np.testing.assert_allclose(gram.numpy(), expected.numpy(), rtol=1e-5, atol=1e-8)
    result = transfer.run(steps=3)
    assert result.options["style_blend"] == [0.75, 0.25]
    with pytest.raises(ValueError, match="one weight per style"):
        StyleTransfer(DEFAULT_CONTENT, [DEFAULT_STYLE, SECOND_STYLE], size=32, extractor=random_extractor,
                      style_blend=[1.0])


# --- colour preservation -----------------------------------------------------------------------------


def _color_distance(image: np.ndarray, reference: np.ndarray) -> float:
    """Distance of colour statistics: largest mean difference + largest covariance difference."""
    mean_i, cov_i = color.color_statistics(image)
    mean_r, cov_r = color.color_statistics(reference)
    return float(np.abs(mean_i - mean_r).max() + np.abs(cov_i - cov_r).max())


def test_preserve_color_keeps_the_content_colours(extractor):
    transfer = StyleTransfer(DEFAULT_CONTENT, DEFAULT_STYLE, size=64, extractor=extractor)
    content = transfer.content
    plain = transfer.run(steps=20, style_weight=100.0)
    luminance = transfer.run(steps=20, style_weight=100.0, preserve_color="luminance")
    histogram = transfer.run(steps=20, style_weight=100.0, preserve_color="histogram")
    d_plain = _color_distance(plain.image, content)
    d_lum = _color_distance(luminance.image, content)
    d_hist = _color_distance(histogram.image, content)
    assert d_lum < 0.03 and d_hist < 0.03
    assert d_lum < 0.5 * d_plain and d_hist < 0.5 * d_plain
    # luminance mode: the chroma (YIQ I, Q) is exactly the content's wherever nothing was clipped
    inside = np.all((luminance.image > 0.01) & (luminance.image < 0.99), axis=-1)
    chroma_out = color.rgb_to_yiq(luminance.image)[..., 1:][inside]
    chroma_in = color.rgb_to_yiq(content)[..., 1:][inside]
    np.testing.assert_allclose(chroma_out, chroma_in, atol=0.01)
    assert luminance.options["preserve_color"] == "luminance"


# --- argument checks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, match", [
    ({"steps": 0}, "steps"),
    ({"style_weight": -1.0}, "style_weight"),
    ({"content_weight": float("nan")}, "content_weight"),
    ({"optimizer": "sgd"}, "lbfgs"),
    ({"init": "zeros"}, "noise"),
    ({"preserve_color": "sepia"}, "luminance"),
    ({"time_budget": 0}, "time_budget"),
    ({"callback_every": 0}, "callback_every"),
    ({"seed": -1}, "seed"),
])
def test_bad_run_arguments_say_what_to_pass(small, kwargs, match):
    with pytest.raises(ValueError, match=match):
        small.run(**kwargs)


def test_bad_layers_say_what_to_pass(random_extractor):
    with pytest.raises(ValueError, match="block1_conv1"):
        StyleTransfer(DEFAULT_CONTENT, DEFAULT_STYLE, size=32, extractor=random_extractor,
                      style_layers=["block9_conv9"])
    with pytest.raises(ValueError, match="empty"):
        StyleTransfer(DEFAULT_CONTENT, DEFAULT_STYLE, size=32, extractor=random_extractor, content_layers=[])
    weighted = StyleTransfer(DEFAULT_CONTENT, DEFAULT_STYLE, size=32, extractor=random_extractor,
                             style_layers={"block1_conv1": 3, "block3_conv1": 1})
    assert weighted.style_layers == {"block1_conv1": 0.75, "block3_conv1": 0.25}


def test_images_are_taken_in_any_form(random_extractor):
    array = load_image(DEFAULT_CONTENT)
    transfer = StyleTransfer(array, load_image(DEFAULT_STYLE), size=32, extractor=random_extractor)
    assert max(transfer.content.shape[:2]) == 32


# --- precision -------------------------------------------------------------------------------------------


def test_bfloat16_precision_is_close_to_float32(extractor, real, rng):
    low = StyleTransfer(DEFAULT_CONTENT, DEFAULT_STYLE, size=48, extractor=extractor, precision="bfloat16")
    image = np.clip(real.content + rng.normal(0, 0.05, real.content.shape), 0, 1).astype(np.float32)
    exact, rough = real.losses(image), low.losses(image)
    for key in ("total", "content", "style"):
        assert rough[key] == pytest.approx(exact[key], rel=0.05), key
    result = low.run(steps=10)
    assert result.options["precision"] == "bfloat16"
    assert result.history[-1]["total"] < 0.6 * result.history[0]["total"]
    with pytest.raises(ValueError, match="precision"):
        StyleTransfer(DEFAULT_CONTENT, DEFAULT_STYLE, size=32, extractor=extractor, precision="half")
    with pytest.raises(ValueError, match="shape"):
        real.losses(image[:10])
