"""labhelpers.transfer.run: StyleTransfer and stylize: early stops, reproducibility, targets,
colours, limits.

Small pictures (32-64 px) and few steps keep this quick. ``random_extractor`` is used where any
network does (control flow), the real ``extractor`` where the picture matters.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from labhelpers import color
from labhelpers.images import DEFAULT_CONTENT, DEFAULT_STYLE, load_image
from labhelpers.transfer import run as run_module
from labhelpers.transfer.objective import Objective
from labhelpers.transfer.run import StyleTransfer, StyleTransferResult, stylize
from labhelpers.transfer.settings import TransferSettings

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
    explicit = stylize(
        DEFAULT_CONTENT, DEFAULT_STYLE, extractor=random_extractor, size=40, steps=3
    )
    assert max(explicit.image.shape[:2]) == 40 and len(explicit.history) == 3


# --- early ends return the best picture -------------------------------------------------------


def _assert_best_returned(transfer: StyleTransfer, result: StyleTransferResult) -> None:
    totals = [record["total"] for record in result.history]
    best = int(np.argmin(totals))
    assert result.best_step == best + 1
    assert _total_of(
        transfer,
        result.image,
        **{k: result.options[k] for k in ("content_weight", "style_weight", "tv_weight")},
    ) == pytest.approx(totals[best], rel=1e-4)


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
    result = small.run(steps=100_000, time_budget_s=1.0)
    assert result.stopped == "time_budget"
    seconds = [record["seconds"] for record in result.history]
    assert seconds[-1] >= 1.0 and (len(seconds) == 1 or seconds[-2] < 1.0)
    assert "time budget" in result.message
    _assert_best_returned(small, result)


def _spoil_evaluations(monkeypatch, spoil) -> None:
    """Make the run's objective pass each evaluation through
    ``spoil(call number, total, terms, grad)``."""
    calls = []

    class Spoiled(Objective):
        def evaluate(self, image):
            calls.append(1)
            return spoil(len(calls), *super().evaluate(image))

    monkeypatch.setattr(run_module, "Objective", Spoiled)


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_nan_is_caught_and_the_last_good_image_kept(small, monkeypatch, optimizer):
    # the 4th evaluation goes wrong
    _spoil_evaluations(
        monkeypatch,
        lambda n, total, terms, grad: (
            (float("nan"), terms * np.nan, grad) if n == 4 else (total, terms, grad)
        ),
    )
    result = small.run(steps=20, optimizer=optimizer)
    monkeypatch.undo()
    assert result.stopped == "diverged"
    assert len(result.history) == 3
    assert "NaN" in result.message and "step 4" in result.message
    assert np.all(np.isfinite(result.image))
    _assert_best_returned(small, result)


def test_exploding_loss_is_caught(small, monkeypatch):
    _spoil_evaluations(
        monkeypatch,
        lambda n, total, terms, grad: (
            (total * 1e9, terms * 1e9, grad) if n == 3 else (total, terms, grad)
        ),
    )
    result = small.run(steps=10)
    monkeypatch.undo()
    assert result.stopped == "diverged" and "exploded" in result.message
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
        assert {"step", "seconds", "total", "content", "style", "tv", "style_layers"} <= set(
            record
        )
        assert set(record["style_layers"]) == set(style_w)
        assert record["total"] == pytest.approx(record["content"] + record["style"] + record["tv"])
        assert record["style"] == pytest.approx(
            50.0 * sum(style_w[n] * v for n, v in record["style_layers"].items())
        )
        assert record["content"] == pytest.approx(
            2.0 * sum(content_w[n] * v for n, v in record["content_layers"].items())
        )
        assert min(record["content"], record["style"], record["tv"]) >= 0
    assert result.history[0]["content"] == pytest.approx(
        0.0, abs=1e-6
    )  # starts at the content image
    options = result.options
    assert options["vgg_weights"] == "torchvision" and options["normalize_losses"] is True
    assert options["style_weight"] == 50.0 and options["optimizer"] == "lbfgs"
    assert options["style_layers"] == style_w and options["coarse_to_fine"] == [48]


def test_normalisers_are_the_targets_mean_squares(real):
    import tensorflow as tf

    from labhelpers.losses import gram_matrix

    targets = real.targets_at(real.content.shape[:2])
    maps = real.features(real.content)
    for name, norm in zip(real.content_layers, targets.content_norms):
        assert norm == pytest.approx(float(tf.reduce_mean(maps[name] ** 2)), rel=1e-4)
    style_maps = real.features(targets.styles[0])
    for name, norm in zip(real.style_layers, targets.style_norms):
        assert norm == pytest.approx(
            float(tf.reduce_mean(gram_matrix(style_maps[name]) ** 2)), rel=1e-4
        )


# --- targets are computed once -------------------------------------------------------------------


def test_targets_computed_once(random_extractor, monkeypatch):
    from labhelpers.network.extractor import FeatureExtractor

    calls = []
    original = FeatureExtractor.__call__

    def counting(self, images):
        calls.append(1)
        return original(self, images)

    monkeypatch.setattr(FeatureExtractor, "__call__", counting)
    transfer = StyleTransfer(DEFAULT_CONTENT, DEFAULT_STYLE, size=32, extractor=random_extractor)
    assert len(calls) == 2  # content features + style Grams, once
    transfer.run(steps=3, style_weight=10.0)
    after_first = len(calls)  # (+ 1 if the shared loss function was traced now)
    transfer.run(steps=4, style_weight=1e4, content_weight=0.1, tv_weight=0.0, optimizer="adam")
    transfer.run(steps=2, init="noise", seed=1)
    assert len(calls) == after_first <= 3  # other weights: no new targets, no retrace
    assert transfer.target_computations == 1


# --- coarse to fine ------------------------------------------------------------------------------


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


def _square_transfer(random_extractor, rng) -> StyleTransfer:
    """32 px square random pictures, so the stages are exactly 16x16 and 32x32 px (pixel counts 256
    and 1024)."""
    content, style = rng.uniform(0, 1, (2, 32, 32, 3)).astype(np.float32)
    return StyleTransfer(content, style, size=32, extractor=random_extractor)


def test_a_time_budget_is_split_over_the_stages(random_extractor, rng):
    transfer = _square_transfer(random_extractor, rng)
    budget_s = 1.5
    result = transfer.run(steps=100_000, coarse_to_fine=[16], time_budget_s=budget_s)
    coarse = [r for r in result.history if r["stage_size"] == 16]
    fine = [r for r in result.history if r["stage_size"] == 32]
    assert (
        coarse and fine and result.history == coarse + fine
    )  # the fine stage ran, after the coarse one
    # Steps split 66666:33334; time per evaluation taken as proportional to pixels (256 : 1024), so
    # the coarse stage's share is 66666*256 / (66666*256 + 33334*1024) = 0.33332 of the budget, by
    # hand.
    coarse_deadline_s = budget_s * 66666 * 256 / (66666 * 256 + 33334 * 1024)
    assert (
        coarse[-1]["seconds"] >= coarse_deadline_s
    )  # it ended at the first evaluation past its share ...
    assert len(coarse) == 1 or coarse[-2]["seconds"] < coarse_deadline_s  # ... not later
    assert fine[-1]["seconds"] >= budget_s and (len(fine) == 1 or fine[-2]["seconds"] < budget_s)
    assert result.stopped == "time_budget" and "time budget of 1.5 s" in result.message
    # the picture returned is the fine stage's best, at the final size (not an upsampled coarse
    # one)
    best = min(fine, key=lambda r: r["total"])
    assert result.best_step == best["step"] and result.image.shape == (32, 32, 3)
    assert transfer.losses(result.image)["total"] == pytest.approx(best["total"], rel=1e-4)


def test_the_fine_stage_runs_even_when_a_coarse_stage_overruns_the_budget(
    random_extractor, rng, monkeypatch
):
    transfer = _square_transfer(random_extractor, rng)
    _spoil_evaluations(
        monkeypatch, lambda call, *evaluated: (time.sleep(0.4 if call == 1 else 0), evaluated)[1]
    )
    result = transfer.run(
        steps=100, coarse_to_fine=[16], time_budget_s=0.2
    )  # one coarse evaluation takes 0.4 s
    assert [r["stage_size"] for r in result.history] == [
        16,
        32,
    ] and result.stopped == "time_budget"
    assert result.best_step == 2 and transfer.losses(result.image)["total"] == pytest.approx(
        result.history[1]["total"], rel=1e-4
    )


# --- several styles ------------------------------------------------------------------------------


def test_several_styles_are_blended(random_extractor):
    from labhelpers.losses import gram_matrix

    transfer = StyleTransfer(
        DEFAULT_CONTENT,
        [DEFAULT_STYLE, SECOND_STYLE],
        size=32,
        extractor=random_extractor,
        style_blend=[3, 1],
    )
    np.testing.assert_allclose(transfer.blend, [0.75, 0.25])
    targets = transfer.targets_at(transfer.content.shape[:2])
    first, second = (transfer.features(image) for image in targets.styles)
    for name, gram in zip(transfer.style_layers, targets.style_grams):
        expected = 0.75 * gram_matrix(first[name]) + 0.25 * gram_matrix(second[name])
        np.testing.assert_allclose(gram.numpy(), expected.numpy(), rtol=1e-5, atol=1e-8)
    result = transfer.run(steps=3)
    assert result.options["style_blend"] == [0.75, 0.25]
    with pytest.raises(ValueError, match="one weight per style"):
        StyleTransfer(
            DEFAULT_CONTENT,
            [DEFAULT_STYLE, SECOND_STYLE],
            size=32,
            extractor=random_extractor,
            style_blend=[1.0],
        )


def test_the_recolored_start_is_the_photo_in_the_paintings_colours(random_extractor):
    transfer = StyleTransfer(
        DEFAULT_CONTENT,
        [DEFAULT_STYLE, SECOND_STYLE],
        size=32,
        extractor=random_extractor,
        style_blend=[3, 1],
    )
    targets = transfer.targets_at(transfer.content.shape[:2])
    assert (
        targets.styles[0].shape == targets.styles[1].shape
    )  # so a 3:1 pool of their pixels is the blend
    pooled = np.concatenate(
        [targets.styles[0].reshape(-1, 3)] * 3 + [targets.styles[1].reshape(-1, 3)]
    )
    seen = []
    result = transfer.run(
        steps=1,
        init="recolored",
        coarse_to_fine=False,
        callback=lambda step, picture, record: seen.append(picture),
    )
    start = seen[0]  # one evaluation: the best picture is the start
    np.testing.assert_array_equal(result.image, start)
    # The start has the blended paintings' colour statistics (up to clipping) and the photo's
    # layout.
    mean_first, _ = color.color_statistics(targets.styles[0])
    mean_second, _ = color.color_statistics(targets.styles[1])
    mean_start, _ = color.color_statistics(start)
    np.testing.assert_allclose(mean_start, 0.75 * mean_first + 0.25 * mean_second, atol=0.03)
    assert _color_distance(start, pooled.reshape(-1, 1, 3)) < 0.05
    assert _color_distance(start, transfer.content) > 3 * _color_distance(start, targets.styles[0])
    photo = transfer.content.reshape(-1, 3).mean(axis=1)
    assert np.corrcoef(photo, start.reshape(-1, 3).mean(axis=1))[0, 1] > 0.8


# --- colour preservation -------------------------------------------------------------------------


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


# --- argument checks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"steps": 0}, "steps"),
        ({"style_weight": -1.0}, "style_weight"),
        ({"content_weight": float("nan")}, "content_weight"),
        ({"optimizer": "sgd"}, "lbfgs"),
        ({"init": "zeros"}, "noise"),
        ({"preserve_color": "sepia"}, "luminance"),
        ({"time_budget_s": 0}, "time_budget_s"),
        ({"time_budget_s": "abc"}, "time_budget_s must be a number of seconds"),
        ({"content_weight": 0, "style_weight": 0, "tv_weight": 0}, "make at least one weight > 0"),
        ({"size": 40}, "size can only be set when the transfer is prepared"),
        ({"callback_every": 0}, "callback_every"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_run_arguments_say_what_to_pass(small, kwargs, match):
    with pytest.raises(ValueError, match=match):
        small.run(**kwargs)


def test_bad_layers_say_what_to_pass(random_extractor):
    with pytest.raises(ValueError, match="block1_conv1"):
        StyleTransfer(
            DEFAULT_CONTENT,
            DEFAULT_STYLE,
            size=32,
            extractor=random_extractor,
            style_layers=["block9_conv9"],
        )
    with pytest.raises(ValueError, match="empty"):
        StyleTransfer(
            DEFAULT_CONTENT, DEFAULT_STYLE, size=32, extractor=random_extractor, content_layers=[]
        )
    weighted = StyleTransfer(
        DEFAULT_CONTENT,
        DEFAULT_STYLE,
        size=32,
        extractor=random_extractor,
        style_layers={"block1_conv1": 3, "block3_conv1": 1},
    )
    assert weighted.style_layers == {"block1_conv1": 0.75, "block3_conv1": 0.25}


def test_layer_weights_that_sum_to_one_only_roughly_still_allow_run_overrides(random_extractor):
    # 0.35 + 0.3 + 0.17 + 0.1 + 0.08 is 1.0000000000000002 in floats; dividing by it on every check
    # used to change the weights by an ulp, so a run override was taken for a set-up change.
    weights = {
        "block1_conv1": 0.35,
        "block2_conv1": 0.3,
        "block3_conv1": 0.17,
        "block4_conv1": 0.1,
        "block5_conv1": 0.08,
    }
    transfer = StyleTransfer(
        DEFAULT_CONTENT, DEFAULT_STYLE, size=32, extractor=random_extractor, style_layers=weights
    )
    result = transfer.run(steps=2, style_weight=3.0, progress=False)
    assert result.options["style_weight"] == 3.0
    assert sum(transfer.style_layers.values()) == pytest.approx(1.0)
    assert transfer.style_layers["block1_conv1"] == pytest.approx(0.35)


def test_images_are_taken_in_any_form(random_extractor):
    array = load_image(DEFAULT_CONTENT)
    transfer = StyleTransfer(array, load_image(DEFAULT_STYLE), size=32, extractor=random_extractor)
    assert max(transfer.content.shape[:2]) == 32


# --- precision -----------------------------------------------------------------------------------


def test_bfloat16_precision_is_close_to_float32(extractor, real, rng):
    low = StyleTransfer(
        DEFAULT_CONTENT, DEFAULT_STYLE, size=48, extractor=extractor, precision="bfloat16"
    )
    image = np.clip(real.content + rng.normal(0, 0.05, real.content.shape), 0, 1).astype(
        np.float32
    )
    exact, rough = real.losses(image), low.losses(image)
    for key in ("total", "content", "style"):
        assert rough[key] == pytest.approx(exact[key], rel=0.05), key
    result = low.run(steps=10)
    assert result.options["precision"] == "bfloat16"
    assert result.history[-1]["total"] < 0.6 * result.history[0]["total"]
    with pytest.raises(ValueError, match="precision"):
        StyleTransfer(
            DEFAULT_CONTENT, DEFAULT_STYLE, size=32, extractor=extractor, precision="half"
        )
    with pytest.raises(ValueError, match="shape"):
        real.losses(image[:10])


# --- settings in, and the names that changed -----------------------------------------------------


def test_settings_object_and_overrides_agree(random_extractor):
    settings = TransferSettings(size=32, steps=3, style_weight=100.0, init="noise", seed=2)
    a = stylize(DEFAULT_CONTENT, DEFAULT_STYLE, settings, extractor=random_extractor)
    b = stylize(
        DEFAULT_CONTENT,
        DEFAULT_STYLE,
        extractor=random_extractor,
        size=32,
        steps=3,
        style_weight=100.0,
        init="noise",
        seed=2,
    )
    np.testing.assert_array_equal(a.image, b.image)
    assert a.options["style_weight"] == 100.0 and len(a.history) == 3
    transfer = StyleTransfer(DEFAULT_CONTENT, DEFAULT_STYLE, settings, extractor=random_extractor)
    assert (
        len(transfer.run().history) == 3 and len(transfer.run(steps=2).history) == 2
    )  # its defaults, or overrides


def test_old_keyword_names_say_the_new_one(random_extractor):
    for old, new in (
        ("time_budget", "time_budget_s"),
        ("normalise", "normalize_losses"),
        ("weights", "vgg_weights"),
    ):
        with pytest.raises(TypeError, match=f"'{old}' is now called '{new}'"):
            stylize(
                DEFAULT_CONTENT, DEFAULT_STYLE, extractor=random_extractor, size=32, **{old: 1}
            )


# --- issue 14: every failure says what to do, nothing made is lost -------------------------------


def test_a_raising_callback_returns_the_best_picture(small):
    def callback(step, image, record):
        if step == 4:
            raise ValueError("the student's plotting code broke")

    result = small.run(steps=20, callback=callback, callback_every=1, style_weight=1e3)
    assert result.stopped == "callback_error" and len(result.history) == 4
    assert isinstance(result.error, ValueError)
    assert "the callback raised ValueError: the student's plotting code broke" in result.message
    _assert_best_returned(small, result)

    def should_stop():
        raise OSError("disk full")

    result = small.run(steps=20, should_stop=should_stop)
    assert (
        result.stopped == "callback_error"
        and "should_stop raised OSError: disk full" in result.message
    )
    assert len(result.history) == 1 and np.all(np.isfinite(result.image))


@pytest.mark.parametrize(
    "width, height, size, says",
    [
        (
            6000,
            300,
            256,
            "The content picture is 6000x300 px; at size=256 it becomes 256x13 px, but layer "
            "block5_conv1 needs a shorter side of at least 16 px (VGG16 halves the picture 4 "
            "times before it). Use size=320 or larger",
        ),
        (
            8,
            5000,
            64,
            "The content picture is 8x5000 px; at size=64 it becomes 1x64 px, but layer "
            "block5_conv1 needs a shorter side of at least 16 px (VGG16 halves the picture 4 "
            "times before it). Use size=10000 or larger, or crop the picture",
        ),
        (
            8,
            12000,
            64,
            "The content picture is 8x12000 px; at size=64 it becomes 1x64 px, but layer "
            "block5_conv1 needs a shorter side of at least 16 px (VGG16 halves the picture 4 "
            "times before it). A size of 24000 is more than this computer can take (about "
            "size=20000 at most",
        ),
    ],
)
def test_too_thin_pictures_are_refused_before_optimising(
    random_extractor, rng, monkeypatch, width, height, size, says
):
    from labhelpers.transfer import limits

    monkeypatch.setattr(
        run_module, "available_memory_bytes", lambda: limits.BASE_BYTES + 2 * 10**9
    )
    thin = rng.uniform(0, 1, (height, width, 3)).astype(np.float32)
    with pytest.raises(ValueError) as info:
        StyleTransfer(thin, DEFAULT_STYLE, size=size, extractor=random_extractor)
    assert says in str(info.value)
    with pytest.raises(ValueError, match="The style picture is 6000x300 px"):
        StyleTransfer(
            DEFAULT_CONTENT,
            rng.uniform(0, 1, (300, 6000, 3)),
            size=256,
            extractor=random_extractor,
        )
    # the size it names works; shallower layers need less (block1 layers: 1 px)
    if size == 256:
        assert (
            StyleTransfer(
                thin, DEFAULT_STYLE, size=320, steps=1, extractor=random_extractor
            ).content.shape[0]
            == 16
        )
    shallow = StyleTransfer(
        thin,
        DEFAULT_STYLE,
        size=size,
        extractor=random_extractor,
        content_layers=["block1_conv2"],
        style_layers=["block1_conv1"],
    )
    assert shallow.run(steps=2).stopped is None


def test_a_size_that_does_not_fit_in_memory_is_refused_before_loading_vgg16(monkeypatch):
    from labhelpers.transfer import limits

    monkeypatch.setattr(limits, "available_memory_bytes", lambda: 4 * 2**30)
    with pytest.raises(ValueError) as info:
        StyleTransfer(DEFAULT_CONTENT, DEFAULT_STYLE, size=20000, extractor="never built")
    # (the extractor is checked first; give a real one to reach the memory check)
    assert "extractor must be None" in str(info.value)
    with pytest.raises(ValueError) as info:
        StyleTransfer(
            DEFAULT_CONTENT, DEFAULT_STYLE, size=20000, vgg_weights="no-such-weights-file.h5"
        )
    message = str(info.value)
    assert message.startswith("size=20000 needs about") and "only 4.0 GB is available" in message
    fits = limits.largest_size_that_fits(4 * 2**30, aspect=13304 / 20000)
    assert f"The largest size that fits is about size={fits}" in message and 500 < fits < 2000


def test_a_bad_extractor_says_what_an_extractor_is():
    with pytest.raises(ValueError) as info:
        stylize(DEFAULT_CONTENT, DEFAULT_STYLE, size=32, extractor="x")
    assert "extractor must be None (built from vgg_weights) or a FeatureExtractor" in str(
        info.value
    )
    assert "pass vgg_weights='x' instead" in str(info.value)


def test_bad_options_of_stylize_name_the_option(random_extractor):
    with pytest.raises(
        ValueError, match="time_budget_s must be a number of seconds > 0 such as 30"
    ):
        stylize(
            DEFAULT_CONTENT,
            DEFAULT_STYLE,
            size=32,
            extractor=random_extractor,
            time_budget_s="abc",
        )
    with pytest.raises(ValueError, match="make at least one weight > 0"):
        stylize(
            DEFAULT_CONTENT,
            DEFAULT_STYLE,
            size=32,
            extractor=random_extractor,
            content_weight=0,
            style_weight=0,
            tv_weight=0,
        )


def test_projected_lbfgs_runs_a_transfer_about_as_well_as_scipys(extractor):
    transfer = StyleTransfer(DEFAULT_CONTENT, DEFAULT_STYLE, size=48, extractor=extractor)
    finals = {}
    for name in ("lbfgs", "projected_lbfgs"):
        result = transfer.run(steps=15, optimizer=name, progress=False)
        assert (
            len(result.history) == 15 and result.image.min() >= 0.0 and result.image.max() <= 1.0
        )
        finals[name] = result.final["total"]
        assert finals[name] < 0.5 * result.history[0]["total"], "the loss falls by more than half"
    assert "projected L-BFGS" in result.message
    assert finals["projected_lbfgs"] == pytest.approx(finals["lbfgs"], rel=0.15)


@pytest.mark.parametrize("optimizer", ["lbfgs", "projected_lbfgs", "adam"])
def test_a_run_optimises_with_one_blas_thread_and_gives_the_threads_back(small, optimizer):
    """BLAS's own threads fought TensorFlow's over two cores (a 128 px evaluation 0.092 s in a run,
    0.049 s without them), also when NumPy was imported before labhelpers: during a run BLAS has
    one thread, whatever the user had, and afterwards the user's setting again."""
    import threadpoolctl  # a dependency of labhelpers: its absence is a failure, not a skip

    def blas_threads() -> set[int]:
        return {
            pool["num_threads"]
            for pool in threadpoolctl.threadpool_info()
            if pool["user_api"] == "blas"
        }

    if not blas_threads():
        pytest.skip("NumPy has no BLAS library that threadpoolctl can see")
    seen: list[set[int]] = []
    with threadpoolctl.threadpool_limits(
        limits=2, user_api="blas"
    ):  # as if numpy had loaded with two threads
        assert blas_threads() == {2}
        small.run(
            steps=4,
            optimizer=optimizer,
            callback=lambda step, picture, record: seen.append(blas_threads()),
        )
        assert blas_threads() == {2}
    assert seen and all(threads == {1} for threads in seen)


def test_warm_up_evaluates_each_stage_once_and_changes_no_run(random_extractor, monkeypatch):
    """warm_up traces the loss ahead of the panel's first Run: one evaluation at each stage's
    picture size (the sizes a run's history reports), nothing optimised, and a run afterwards is
    the same as before."""
    transfer = StyleTransfer(DEFAULT_CONTENT, DEFAULT_STYLE, size=64, extractor=random_extractor)
    before = transfer.run(steps=6, coarse_to_fine=True)
    stage_shapes = []
    for size in before.options["coarse_to_fine"]:
        scale = size / max(transfer.content.shape[:2])
        stage_shapes.append(
            (round(transfer.content.shape[0] * scale), round(transfer.content.shape[1] * scale))
        )
    assert len(stage_shapes) == 2
    seen = []
    evaluate = Objective.evaluate

    def recording(self, image):
        seen.append(tuple(np.asarray(image).shape[:2]))
        return evaluate(self, image)

    monkeypatch.setattr(Objective, "evaluate", recording)
    assert transfer.warm_up(coarse_to_fine=True) >= 0.0
    assert seen == stage_shapes
    monkeypatch.setattr(Objective, "evaluate", evaluate)
    after = transfer.run(steps=6, coarse_to_fine=True)
    np.testing.assert_array_equal(after.image, before.image)
