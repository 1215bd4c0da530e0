"""labhelpers.transfer.objective: the normalised loss, its gradient, and one compiled function.

The normalised loss does not depend on how large a network's activations are.

Caffe-trained VGG16 weights give activations 60-240x larger than torchvision's, by a different
factor at each layer. Here the real torchvision network is copied with every convolution
rescaled (kernel_k * a_k, bias_k * a_1 * ... * a_k), which multiplies the activations of layer k
by a_1 * ... * a_k (VGG16 is a ReLU network) -- deep layers by up to ~190x. With the normalised
loss both networks must give the same losses and the same picture; with ``normalize_losses=False``
(the raw lecture losses) the pictures must differ, so the test can fail.
"""

from __future__ import annotations

import numpy as np
import pytest

from labhelpers.images import DEFAULT_CONTENT, DEFAULT_STYLE
from labhelpers.network.extractor import VGG16_LAYERS, FeatureExtractor
from labhelpers.transfer.objective import Objective, loss_function
from labhelpers.transfer.run import StyleTransfer, stylize
from labhelpers.transfer.settings import TransferSettings

#: One factor per convolution, shallow to deep.
FACTORS = (3.0, 0.5, 7.0, 2.0, 0.25, 4.0, 1.5, 3.0, 2.0, 0.5, 2.0, 1.0, 1.0)
#: The resulting scale of each layer's activations: 3, 1.5, 10.5, 21, 5.25, 21, 31.5, 94.5,
#: 189, ...
SCALES = dict(zip(VGG16_LAYERS, np.cumprod(FACTORS)))
SIZE, STEPS = 48, 15


@pytest.fixture(scope="module")
def networks(extractor):
    pairs = extractor.conv_weights()
    scaled = [
        (kernel * a, bias * s) for (kernel, bias), a, s in zip(pairs, FACTORS, np.cumprod(FACTORS))
    ]
    return FeatureExtractor.from_arrays(pairs), FeatureExtractor.from_arrays(scaled)


@pytest.fixture(scope="module")
def transfers(networks):
    base, scaled = networks
    return tuple(
        StyleTransfer(DEFAULT_CONTENT, DEFAULT_STYLE, size=SIZE, extractor=net)
        for net in (base, scaled)
    )


def test_the_rescaled_network_has_much_larger_activations(networks, transfers):
    base, scaled = networks
    image = transfers[0].content
    a, b = base(image), scaled(image)
    for name in ("block1_conv1", "block3_conv1", "block4_conv2", "block5_conv1"):
        np.testing.assert_allclose(
            b[name].numpy(),
            SCALES[name] * a[name].numpy(),
            rtol=1e-3,
            atol=1e-4 * SCALES[name] * float(np.abs(a[name]).max()),
        )
    assert SCALES["block4_conv2"] > 50 and SCALES["block5_conv1"] > 150


def test_normalised_losses_are_equal(transfers, rng):
    base, scaled = transfers
    image = np.clip(base.content + rng.normal(0, 0.1, base.content.shape), 0, 1).astype(np.float32)
    a, b = base.losses(image), scaled.losses(image)
    for key in ("total", "content", "style", "tv"):
        assert b[key] == pytest.approx(a[key], rel=1e-4), key
    for name in a["style_layers"]:
        assert b["style_layers"][name] == pytest.approx(a["style_layers"][name], rel=1e-4), name
    # ... while the raw lecture losses differ by the scale factors (s^2 content, s^4 style)
    raw_a, raw_b = (
        base.losses(image, normalize_losses=False),
        scaled.losses(image, normalize_losses=False),
    )
    assert raw_b["content"] / raw_a["content"] == pytest.approx(
        SCALES["block4_conv2"] ** 2, rel=1e-3
    )
    assert raw_b["style_layers"]["block5_conv1"] / raw_a["style_layers"][
        "block5_conv1"
    ] == pytest.approx(SCALES["block5_conv1"] ** 4, rel=1e-3)


# The two networks round differently (float32). L-BFGS amplifies such differences several-fold
# per step on this small picture (its line search and curvature pairs react to the last digits;
# after 15 steps the pictures differ by up to ~0.08 while their losses agree to <1%), so it is
# compared after 10 steps (6 before L-BFGS's first trial step was capped, lbfgs_first_step), when
# the picture has changed a lot; Adam's sign-like steps are insensitive to rounding and are
# compared after 15.
@pytest.mark.parametrize("optimizer, steps", [("lbfgs", 10), ("adam", STEPS)])
def test_same_picture_from_both_networks(transfers, optimizer, steps):
    base, scaled = transfers
    a = base.run(steps=steps, optimizer=optimizer)
    b = scaled.run(steps=steps, optimizer=optimizer)
    assert np.abs(a.image - base.content).max() > 0.1  # the picture did change
    assert np.abs(a.image - b.image).max() < 0.02


def test_raw_losses_give_different_pictures(transfers):
    base, scaled = transfers
    # weights that give a balanced raw loss for the unscaled network
    weights = {"content_weight": 1.0, "style_weight": 1e3, "tv_weight": 0.0}
    a = base.run(steps=STEPS, normalize_losses=False, **weights)
    b = scaled.run(steps=STEPS, normalize_losses=False, **weights)
    assert a.options["normalize_losses"] is False
    assert np.abs(a.image - b.image).max() > 0.2
    assert np.abs(a.image - b.image).mean() > 0.02


# --- the seam itself -----------------------------------------------------------------------------


def test_objective_terms_weights_and_gradient(transfers, rng):
    base = transfers[0]
    settings = TransferSettings(size=SIZE, content_weight=2.0, style_weight=30.0, tv_weight=0.5)
    targets = base.targets_at(base.content.shape[:2])
    objective = Objective(base.features, targets, settings)
    image = np.clip(base.content + rng.normal(0, 0.1, base.content.shape), 0, 1).astype(np.float32)
    total, terms, grad = objective.evaluate(image)
    # the total is the weighted sum of the raw terms divided by the targets' mean squares
    # (and H*W for TV)
    h, w = targets.shape
    divisors = np.concatenate([targets.content_norms, targets.style_norms, [h * w]])
    layer_weights = np.concatenate([[2.0], 30.0 * np.full(5, 0.2), [0.5]])
    assert total == pytest.approx(float(np.sum(layer_weights * terms / divisors)), rel=1e-5)
    record = objective.record(terms)
    assert record["total"] == pytest.approx(total, rel=1e-5)
    assert record["tv"] == pytest.approx(0.5 * terms[-1] / (h * w), rel=1e-6)
    # the gradient agrees with a finite difference along a random direction
    direction = rng.normal(0, 1, image.shape).astype(np.float32)
    direction /= np.linalg.norm(direction)
    eps = 1e-2
    plus, _, _ = objective.evaluate(image + eps * direction)
    minus, _, _ = objective.evaluate(image - eps * direction)
    assert float(np.sum(grad * direction)) == pytest.approx((plus - minus) / (2 * eps), rel=0.05)
    with pytest.raises(ValueError, match="resize it"):
        objective.evaluate(image[:10])


def test_one_trace_for_every_size_and_transfer_and_no_retracing_warning(random_extractor):
    import logging

    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("tensorflow")
    logger.addHandler(handler)
    try:
        # every call a new StyleTransfer, most with a new size (TensorFlow warns from the 5th
        # retrace on)
        for size in (32, 40, 48, 36, 32, 44, 32):
            stylize(
                DEFAULT_CONTENT,
                DEFAULT_STYLE,
                size=size,
                steps=1,
                extractor=random_extractor,
                style_layers=["block1_conv1", "block2_conv1"],
            )
    finally:
        logger.removeHandler(handler)
    assert not [r for r in records if "retracing" in r.getMessage()]
    function = loss_function(random_extractor, ["block4_conv2"], ["block1_conv1", "block2_conv1"])
    assert function.experimental_get_tracing_count() == 1


def test_quick_settings_weight_each_block_half_the_one_before(extractor, rng):
    """QUICK_SETTINGS' loss, recomputed from the lecture's losses with the weights 16/31 ... 1/31
    by hand."""
    import tensorflow as tf

    from labhelpers.losses import content_loss, gram_matrix, style_loss
    from labhelpers.transfer.settings import QUICK_SETTINGS

    transfer = StyleTransfer(
        DEFAULT_CONTENT, DEFAULT_STYLE, size=SIZE, extractor=extractor, **QUICK_SETTINGS
    )
    objective = transfer.objective()
    picture = rng.uniform(0, 1, transfer.content.shape).astype(np.float32)
    total, _, _ = objective.evaluate(picture)
    style_names = [f"block{b}_conv1" for b in range(1, 6)]
    features = extractor.with_layers(style_names + ["block4_conv2"])
    mine, photo = features(picture[None]), features(transfer.content[None])
    painting = features(
        transfer.targets_at(transfer.content.shape[:2]).styles[0][None]
    )  # the painting as the run sees it
    content = float(content_loss(mine["block4_conv2"], photo["block4_conv2"]))
    content /= float(tf.reduce_mean(photo["block4_conv2"] ** 2))
    style = 0.0
    for b, name in enumerate(style_names, start=1):
        target = gram_matrix(painting[name])
        raw = float(style_loss(gram_matrix(mine[name]), target))
        style += (2.0 ** (5 - b) / 31.0) * raw / float(tf.reduce_mean(target**2))
    assert total == pytest.approx(content + 1.4 * style, rel=1e-4)
    # and the run starts from the photo in the painting's colours, in one stage
    result = transfer.run(steps=2, progress=False)
    assert result.options["coarse_to_fine"] == [SIZE] and result.options["init"] == "recolored"
