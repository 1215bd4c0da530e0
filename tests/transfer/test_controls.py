"""Lesson 08's controls as settings of every run: validation messages, the wiring through
StyleTransfer, average pooling, and the behaviour (each masked half follows its own painting)."""

from __future__ import annotations

import numpy as np
import pytest

from labhelpers.images import load_image, masks
from labhelpers.transfer.run import StyleTransfer
from labhelpers.transfer.settings import TransferSettings

PHOTO, PAINTINGS = "chelsea_cat", ["van_gogh_starry_night", "van_gogh_night_cafe"]


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    "options, message",
    [
        ({"content_masks": np.ones((4, 4))}, "must be a list with one mask per painting"),
        ({"content_masks": []}, "empty list"),
        ({"content_masks": [np.zeros((4, 4))]}, r"content_masks\[0\] is empty"),
        ({"content_masks": [np.ones((4, 4, 2))]}, r"content_masks\[0\] has shape \(4, 4, 2\)"),
        ({"content_masks": [None]}, r"content_masks\[0\] is None"),
        ({"content_masks": ["no_such_mask.png"]}, "no_such_mask.png"),
        ({"style_masks": [np.full((4, 4), 2.0)]}, r"style_masks\[0\] has values from 2"),
        ({"style_scale": 0}, "style_scale is the painting's size relative"),
        ({"style_scale": 10}, "at most 4"),
        ({"pooling": "median"}, "pooling must be 'max' or 'avg', not 'median'"),
        ({"layer_paintings": {"block9_conv1": 0}}, "not a VGG16 layer"),
        ({"layer_paintings": {"block1_conv1": -1}}, "painting's index"),
        (
            {"content_masks": [np.ones((4, 4))], "style_blend": [1.0]},
            "style_blend and content_masks do not go together",
        ),
        (
            {"content_masks": [np.ones((4, 4))], "layer_paintings": {"block1_conv1": 0}},
            "layer_paintings and content_masks do not go together",
        ),
    ],
)
def test_bad_controls_are_refused_with_what_to_do(options, message):
    with pytest.raises(ValueError, match=message):
        TransferSettings(**options)


def test_controls_are_kept_comparable_and_hashable():
    left, right = masks.halves_masks((6, 8))
    a = TransferSettings(content_masks=[left, right], style_scale=2, pooling="avg")
    b = TransferSettings(content_masks=[left.copy(), right.copy()], style_scale=2.0, pooling="avg")
    assert a == b and hash(a.setup_key()) == hash(b.setup_key())
    assert a != a.replace(content_masks=[right, left])
    assert TransferSettings(style_masks=[None, left]).style_masks[0] is None


# --------------------------------------------------------------------------- the transfer


def test_masks_checked_against_the_photo_and_the_paintings(random_extractor):
    shape = load_image(PHOTO, max_size=48).shape[:2]
    left, right = masks.halves_masks(shape)
    cases = [
        ([left, right, right], PAINTINGS, "3 masks but there are only 2 painting"),
        ([np.ones((40, 40))], PAINTINGS[:1], "proportions differ"),
        (
            [left * (left > 0.99), right * (right > 0.99)],
            PAINTINGS,
            "do not cover the photo",
        ),
    ]
    for given, paintings, message in cases:
        with pytest.raises(ValueError, match=message):
            StyleTransfer(
                PHOTO, paintings, size=48, content_masks=given, extractor=random_extractor
            )
    with pytest.raises(ValueError, match="only 2 painting"):
        StyleTransfer(
            PHOTO,
            PAINTINGS,
            size=48,
            layer_paintings={"block1_conv1": 2},
            extractor=random_extractor,
        )
    with pytest.raises(ValueError, match="too small for the deepest layer"):
        StyleTransfer(PHOTO, PAINTINGS[0], size=48, style_scale=0.2, extractor=random_extractor)


def test_one_mask_keeps_the_rest_of_the_photo(random_extractor):
    shape = load_image(PHOTO, max_size=48).shape[:2]
    top = masks.rectangle_mask(shape, 0, 0, 0.5, 1)
    transfer = StyleTransfer(
        PHOTO, PAINTINGS[0], size=48, content_masks=[top], extractor=random_extractor
    )
    result = transfer.run(steps=3, init="noise")
    below = slice(shape[0] // 2 + 1, None)
    np.testing.assert_allclose(result.image[below], transfer.content[below], atol=1e-6)
    assert np.abs(result.image[: shape[0] // 2] - transfer.content[: shape[0] // 2]).mean() > 0.05


def test_style_scale_resizes_the_paintings(random_extractor):
    for scale in (0.5, 2.0):
        transfer = StyleTransfer(
            PHOTO,
            PAINTINGS[0],
            size=48,
            style_scale=scale,
            extractor=random_extractor,
            coarse_to_fine=False,
        )
        targets = transfer.targets_at(transfer.content.shape[:2])
        assert max(targets.styles[0].shape[:2]) == round(48 * scale)


def test_layer_paintings_take_those_layers_from_one_painting(random_extractor):
    both = StyleTransfer(PHOTO, PAINTINGS, size=48, extractor=random_extractor)
    alone = [StyleTransfer(PHOTO, p, size=48, extractor=random_extractor) for p in PAINTINGS]
    mixed = StyleTransfer(
        PHOTO,
        PAINTINGS,
        size=48,
        layer_paintings={"block1_conv1": 1, "block5_conv1": 0},
        extractor=random_extractor,
    )
    shape = both.content.shape[:2]
    grams = {
        name: [t.targets_at(shape).style_grams[i].numpy() for t in (both, *alone, mixed)]
        for i, name in enumerate(both.style_layers)
    }
    blend, first, second, got = grams["block1_conv1"]
    np.testing.assert_allclose(got, second, rtol=1e-5)
    np.testing.assert_allclose(grams["block5_conv1"][3], grams["block5_conv1"][1], rtol=1e-5)
    np.testing.assert_allclose(grams["block3_conv1"][3], grams["block3_conv1"][0], rtol=1e-5)


def test_average_pooling_is_the_same_network_with_other_pools(extractor):
    picture = load_image(PHOTO, max_size=48)
    avg = extractor.with_pooling("avg")
    assert avg.pooling == "avg" and extractor.with_pooling("avg").base_model is avg.base_model
    for (k1, b1), (k2, b2) in zip(extractor.conv_weights(), avg.conv_weights()):
        np.testing.assert_array_equal(k1, k2)
        np.testing.assert_array_equal(b1, b2)
    by_max, by_avg = extractor(picture), avg(picture)
    np.testing.assert_allclose(by_max["block1_conv2"], by_avg["block1_conv2"], rtol=1e-6)
    assert by_max["block2_conv1"].shape == by_avg["block2_conv1"].shape
    assert not np.allclose(by_max["block2_conv1"], by_avg["block2_conv1"], rtol=1e-2)
    # by hand: average pooling of block1_conv2, then block2_conv1's convolution and ReLU
    import tensorflow as tf

    pooled = tf.nn.avg_pool2d(by_max["block1_conv2"], 2, 2, "VALID")
    kernel, bias = extractor.conv_weights()[2]
    by_hand = tf.nn.relu(tf.nn.conv2d(pooled, kernel, 1, "SAME") + bias)
    np.testing.assert_allclose(by_avg["block2_conv1"], by_hand, rtol=1e-4, atol=1e-4)
    transfer = StyleTransfer(PHOTO, PAINTINGS[0], size=48, pooling="avg", extractor=extractor)
    assert transfer.features.pooling == "avg"


# --------------------------------------------------------------------------- behaviour


def _halves_run(extractor, paintings, **options):
    shape = load_image(PHOTO, max_size=64).shape[:2]
    halves = masks.halves_masks(shape, soft=0.1)
    transfer = StyleTransfer(
        PHOTO,
        paintings,
        size=64,
        content_masks=halves,
        extractor=extractor,
        coarse_to_fine=False,
    )
    return transfer, halves, transfer.run(**options)


def test_each_masked_half_follows_its_own_painting(extractor):
    """From the photo itself (no recolouring): after a short run each half's style (shallow Gram
    matrices of that half) is nearer its own painting than the same half's is when the masks'
    paintings are swapped, and each half's colours move towards its painting's."""
    from labhelpers.lessons.l08_controls import region_distances

    transfer, halves, result = _halves_run(extractor, PAINTINGS, steps=30, style_weight=100)
    _, _, swapped = _halves_run(extractor, PAINTINGS[::-1], steps=30, style_weight=100)
    paintings = [load_image(p, max_size=64) for p in PAINTINGS]
    own = region_distances(extractor, result.image, halves, paintings)
    other = region_distances(extractor, swapped.image, halves, paintings)
    assert own[0, 0] < other[0, 0] and own[1, 1] < other[1, 1], (own, other)

    def blueness(image, mask):  # blue minus red, averaged over the mask
        return float(np.sum(mask * (image[..., 2] - image[..., 0])) / np.sum(mask))

    left, right = halves
    assert blueness(result.image, left) > blueness(transfer.content, left)  # Starry Night: blue
    assert blueness(result.image, right) < blueness(swapped.image, right)  # Night Café: red


def test_recoloured_halves_start_and_stay_nearest_their_own_paintings(extractor):
    from labhelpers.lessons.l08_controls import region_distances

    _, halves, result = _halves_run(extractor, PAINTINGS, steps=10, init="recolored")
    paintings = [load_image(p, max_size=64) for p in PAINTINGS]
    distances = region_distances(extractor, result.image, halves, paintings)
    assert distances[0, 0] < distances[0, 1] and distances[1, 1] < distances[1, 0], distances
