"""Tests of labhelpers.lessons.experiments: the optimisations run on tiny pictures for a few steps
with the real VGG16 (the ``extractor`` fixture), or with random weights where only plumbing is
tested."""

from __future__ import annotations


import numpy as np
import pytest
from labhelpers.lessons import l01_feature_hierarchy as l01
from labhelpers.lessons import l02_content_loss as l02
from labhelpers.lessons import l03_style_loss as l03
from labhelpers.lessons import l04_total_variation as l04
from labhelpers.lessons.common import noise_runs
from labhelpers.lessons.common import pictures as pics
from matplotlib.figure import Figure

from .helpers import smooth_picture


def test_tv_denoise_lowers_the_total_variation(rng):
    from labhelpers.losses import total_variation_loss, total_variation_loss_l2

    clean = smooth_picture(rng, 24, 24)
    noisy = pics.add_noise(clean, 0.15, seed=3)
    l1 = l04.tv_denoise(noisy, 0.1, "l1", steps=40)
    l2 = l04.tv_denoise(noisy, 1.0, "l2", steps=40)
    assert l1.shape == noisy.shape and l1.dtype == np.float32
    assert float(total_variation_loss(l1)) < 0.7 * float(total_variation_loss(noisy))
    assert float(total_variation_loss_l2(l2)) < 0.7 * float(total_variation_loss_l2(noisy))
    np.testing.assert_allclose(l04.tv_denoise(noisy, 0.0, "l1", steps=5), noisy, atol=1e-6)
    with pytest.raises(ValueError):
        l04.tv_denoise(noisy, 0.1, "l3", steps=1)


def test_distance_comparison(random_extractor, rng):
    image = smooth_picture(rng, 32, 32)
    table = l02.distance_comparison(
        image,
        {"same": image, "noisy": pics.add_noise(image, 0.2)},
        random_extractor,
        ["block1_conv1", "block2_conv1"],
    )
    assert table["same"] == {"pixels": 0.0, "block1_conv1": 0.0, "block2_conv1": 0.0}
    assert all(value > 0 for value in table["noisy"].values())
    calls = []

    def loss_fn(generated, reference):
        calls.append(1)
        return np.mean((np.asarray(generated) - np.asarray(reference)) ** 2)

    again = l02.distance_comparison(
        image,
        {"noisy": pics.add_noise(image, 0.2)},
        random_extractor,
        ["block1_conv1", "block2_conv1"],
        loss_fn=loss_fn,
    )
    assert len(calls) == 2
    assert again["noisy"]["block1_conv1"] == pytest.approx(
        table["noisy"]["block1_conv1"], rel=1e-4
    )
    assert isinstance(l02.plot_distance_comparison(table), Figure)


@pytest.mark.parametrize(
    "kind, layers", [("content", "block3_conv1"), ("style", ["block1_conv1", "block2_conv1"])]
)
def test_reconstruct_reduces_the_feature_distance(extractor, rng, kind, layers):
    target = smooth_picture(rng, 32, 32)
    rec = l01.reconstruct(target, extractor, layers, kind=kind, size=32, steps=15, seed=4)
    assert rec.image.shape == (32, 32, 3) and rec.image.dtype == np.float32
    assert rec.start.shape == (32, 32, 3)
    assert 0.0 <= rec.image.min() and rec.image.max() <= 1.0
    assert rec.final_loss < 0.5 * rec.start_loss
    layer_list = [layers] if isinstance(layers, str) else layers
    before = l01.feature_distance(rec.start, target, extractor, layer_list, kind)
    after = l01.feature_distance(rec.image, target, extractor, layer_list, kind)
    assert after < 0.5 * before
    assert len(rec.history) == 15 and rec.history[0]["tv"] == 0.0
    other = "style" if kind == "content" else "content"
    assert all(entry[other] == 0.0 for entry in rec.history)


def test_reconstruct_same_seed_same_start(random_extractor, rng):
    target = smooth_picture(rng, 16, 16)
    a = l01.reconstruct(target, random_extractor, "block1_conv1", size=16, steps=2, seed=7)
    b = l01.reconstruct(target, random_extractor, "block1_conv1", size=16, steps=2, seed=7)
    np.testing.assert_array_equal(a.start, b.start)
    with pytest.raises(ValueError):
        l01.reconstruct(target, random_extractor, "block9_conv1", size=16, steps=1)
    with pytest.raises(ValueError):
        l01.reconstruct(target, random_extractor, "block1_conv1", kind="texture", size=16, steps=1)


def test_synthesize_texture_uses_the_layer_weights(extractor, rng):
    painting = smooth_picture(rng, 32, 24)
    a = l03.synthesize_texture(painting, extractor, {"block1_conv1": 1.0}, size=32, steps=4)
    b = l03.synthesize_texture(
        painting, extractor, {"block1_conv1": 1.0, "block2_conv1": 1.0}, size=32, steps=4
    )
    assert a.shape == (32, 24, 3) and a.dtype == np.float32
    assert not np.array_equal(a, b)
    with pytest.raises(ValueError, match="weight 0"):
        l03.synthesize_texture(painting, extractor, {"block1_conv1": 0.0}, size=32, steps=2)


def test_from_noise_starts_from_seeded_noise_with_only_the_asked_terms():
    class Transfer:  # records what StyleTransfer.run would be asked
        content = np.zeros((6, 8, 3), np.float32)

        def run(self, **options):
            self.options = options
            return "result"

    transfer = Transfer()
    start, result = noise_runs.from_noise(
        transfer, steps=3, style_weight=2.0, seed=5, noise_amplitude=0.2
    )
    assert result == "result" and start.shape == (6, 8, 3)
    assert np.array_equal(start, pics.noise_image((6, 8), 5, 0.2)) and np.array_equal(
        transfer.options["init"], start
    )
    assert (
        transfer.options["content_weight"],
        transfer.options["style_weight"],
        transfer.options["tv_weight"],
    ) == (0.0, 2.0, 0.0)
    assert transfer.options["steps"] == 3 and transfer.options["seed"] == 5
    assert 0.4 - 1e-6 <= start.min() and start.max() <= 0.6 + 1e-6, (
        "amplitude 0.2 keeps the noise near grey"
    )


def test_tv_sweep_starts_from_faint_noise_when_asked(random_extractor):
    """04's sweep: noise_amplitude 0.2 gives a start within 0.5 +- 0.1 (the lesson's faint noise,
    so the grain left at the end is the optimiser's), the same start for every weight."""
    sweep = l04.TVSweep(
        "chelsea_cat",
        "van_gogh_starry_night",
        random_extractor,
        size=32,
        steps=2,
        noise_amplitude=0.2,
    )
    assert sweep.start.min() >= 0.4 - 1e-6 and sweep.start.max() <= 0.6 + 1e-6
    assert sweep.start.std() > 0.04  # noise, not flat grey (uniform of width 0.2: std 0.058)
    loud = l04.TVSweep("chelsea_cat", "van_gogh_starry_night", random_extractor, size=32, steps=2)
    assert loud.start.max() - loud.start.min() > 0.9  # the default is still full-strength noise
