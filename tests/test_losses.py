"""Tests for labhelpers.losses against NumPy written here, hand-worked cases and properties."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from labhelpers.losses import (
    content_loss,
    gram_matrix,
    style_loss,
    total_variation_loss,
    total_variation_loss_l2,
    weighted_style_loss,
)

# --------------------------------------------------------------------------- NumPy oracles


def np_content(g: np.ndarray, r: np.ndarray) -> float:
    return float(np.mean((np.asarray(g, np.float64) - r) ** 2))


def np_gram(x: np.ndarray) -> np.ndarray:
    """Loop over channel pairs; a batch (B>1) gives one matrix per image."""
    x = np.asarray(x, np.float64)
    if x.ndim == 3:
        x = x[None]
    b, h, w, c = x.shape
    out = np.zeros((b, c, c))
    for n in range(b):
        for i in range(c):
            for j in range(c):
                out[n, i, j] = np.sum(x[n, :, :, i] * x[n, :, :, j]) / (h * w * c)
    return out[0] if b == 1 else out


def np_style(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean((np.asarray(a, np.float64) - b) ** 2))


def np_tv(x: np.ndarray, power: int = 1) -> float:
    """Loops over pixels: each pixel against the one below and the one to the right."""
    x = np.asarray(x, np.float64)
    if x.ndim == 3:
        x = x[None]
    total = 0.0
    b, h, w, c = x.shape
    for n in range(b):
        for i in range(h):
            for j in range(w):
                if i + 1 < h:
                    total += np.sum(np.abs(x[n, i + 1, j] - x[n, i, j]) ** power)
                if j + 1 < w:
                    total += np.sum(np.abs(x[n, i, j + 1] - x[n, i, j]) ** power)
    return total


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240611)


def numeric_grad(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of the scalar function ``f`` at ``x`` (float64)."""
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += eps
        down[idx] -= eps
        grad[idx] = (float(f(up)) - float(f(down))) / (2 * eps)
    return grad


def tape_grad(f, x: np.ndarray) -> np.ndarray:
    var = tf.Variable(x)
    with tf.GradientTape() as tape:
        y = f(var)
    return tape.gradient(y, var).numpy()


# --------------------------------------------------------------------------- hand-worked cases


def test_content_loss_by_hand():
    # differences 0, 2, 3 -> (0 + 4 + 9) / 3
    assert content_loss([1.0, 2.0, 3.0], [1.0, 0.0, 0.0]).numpy() == pytest.approx(13 / 3)


def test_gram_of_2x2x1_by_hand():
    x = np.array([[[1.0], [2.0]], [[3.0], [4.0]]])  # H=2, W=2, C=1
    # F = [1, 2, 3, 4]^T, F^T F = 30, divided by H*W*C = 4
    np.testing.assert_allclose(gram_matrix(x).numpy(), [[7.5]])


def test_gram_of_1x2x2_by_hand():
    x = np.array([[[1.0, 2.0], [3.0, 4.0]]])  # H=1, W=2, C=2: positions (1, 2) and (3, 4)
    # channel0.channel0 = 1+9, channel0.channel1 = 2+12, channel1.channel1 = 4+16; / (1*2*2)
    np.testing.assert_allclose(gram_matrix(x).numpy(), [[2.5, 3.5], [3.5, 5.0]])


def test_style_loss_by_hand():
    a = np.array([[1.0, 0.0], [0.0, 1.0]])
    b = np.array([[0.0, 0.0], [0.0, 3.0]])
    # differences 1, 0, 0, -2 -> (1 + 4) / 4
    assert style_loss(a, b).numpy() == pytest.approx(1.25)


THREE_BY_THREE = np.array([[1.0, 2.0, 4.0], [0.0, 0.0, 0.0], [3.0, 1.0, 1.0]])[:, :, None]


def test_total_variation_3x3_by_hand():
    # vertical |.|: (1+2+4) + (3+1+1) = 12; horizontal: (1+2) + 0 + (2+0) = 5
    assert total_variation_loss(THREE_BY_THREE).numpy() == pytest.approx(17.0)


def test_total_variation_l2_3x3_by_hand():
    # vertical squares: (1+4+16) + (9+1+1) = 32; horizontal: (1+4) + 0 + (4+0) = 9
    assert total_variation_loss_l2(THREE_BY_THREE).numpy() == pytest.approx(41.0)


# --------------------------------------------------------------------------- against NumPy


@pytest.mark.parametrize("shape", [(4, 5, 3), (1, 6, 4, 7), (3, 2, 5, 4)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_against_numpy(rng, shape, dtype):
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    g = rng.normal(size=shape).astype(dtype)
    r = rng.normal(size=shape).astype(dtype)
    np.testing.assert_allclose(content_loss(g, r).numpy(), np_content(g, r), rtol=rtol)
    np.testing.assert_allclose(gram_matrix(g).numpy(), np_gram(g), rtol=rtol, atol=rtol)
    np.testing.assert_allclose(
        style_loss(gram_matrix(g), gram_matrix(r)).numpy(),
        np_style(np_gram(g), np_gram(r)),
        rtol=1e-4 if dtype == np.float32 else rtol,
    )
    np.testing.assert_allclose(total_variation_loss(g).numpy(), np_tv(g), rtol=rtol)
    np.testing.assert_allclose(total_variation_loss_l2(g).numpy(), np_tv(g, power=2), rtol=rtol)


def test_gram_matches_einsum(rng):
    x = rng.normal(size=(1, 7, 3, 5))
    expected = np.einsum("hwc,hwd->cd", x[0], x[0]) / (7 * 3 * 5)
    np.testing.assert_allclose(gram_matrix(x).numpy(), expected, rtol=1e-12)


def test_weighted_style_loss_against_numpy(rng):
    gen = {"a": rng.normal(size=(1, 4, 4, 3)), "b": rng.normal(size=(1, 2, 3, 5))}
    style = {"a": rng.normal(size=(1, 4, 4, 3)), "b": rng.normal(size=(1, 2, 3, 5))}
    grams = {k: np_gram(v) for k, v in style.items()}
    per_layer = {k: np_style(np_gram(gen[k]), grams[k]) for k in gen}
    equal = weighted_style_loss(gen, grams).numpy()
    assert equal == pytest.approx((per_layer["a"] + per_layer["b"]) / 2, rel=1e-12)
    weighted = weighted_style_loss(gen, grams, {"a": 0.25, "b": 3.0}).numpy()
    assert weighted == pytest.approx(0.25 * per_layer["a"] + 3.0 * per_layer["b"], rel=1e-12)


# --------------------------------------------------------------------------- gradients


@pytest.mark.parametrize(
    "name, loss, shape",
    [
        ("content", lambda x, r: content_loss(x, r), (1, 3, 2, 2)),
        ("gram", lambda x, w: tf.reduce_sum(gram_matrix(x) * w[0, 0, :3, :3]), (2, 2, 3)),
        ("style", lambda x, r: style_loss(gram_matrix(x), gram_matrix(r)), (1, 2, 3, 2)),
        ("tv", lambda x, _: total_variation_loss(x), (3, 3, 2)),
        ("tv_l2", lambda x, _: total_variation_loss_l2(x), (1, 3, 2, 2)),
    ],
)
def test_gradients_match_finite_differences(rng, name, loss, shape):
    x = rng.normal(size=shape)
    other = rng.normal(size=shape if name != "gram" else (1, 1, 3, 3))
    analytic = tape_grad(lambda v: loss(v, tf.constant(other)), x)
    numeric = numeric_grad(lambda a: loss(tf.constant(a), tf.constant(other)).numpy(), x)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


def test_weighted_style_loss_gradient(rng):
    x = rng.normal(size=(1, 2, 2, 3))
    grams = {"a": np_gram(rng.normal(size=(1, 2, 2, 3))), "b": np_gram(rng.normal(size=(2, 2, 3)))}

    def f(v):
        return weighted_style_loss({"a": v, "b": v[0] * 2.0}, grams, {"a": 0.3, "b": 0.7})

    numeric = numeric_grad(lambda a: f(tf.constant(a)).numpy(), x)
    np.testing.assert_allclose(tape_grad(f, x), numeric, rtol=1e-5, atol=1e-8)


# --------------------------------------------------------------------------- properties


def test_gram_is_symmetric_and_positive_semidefinite(rng):
    for shape in [(5, 4, 6), (1, 3, 3, 8), (2, 2, 3, 16)]:
        g = gram_matrix(rng.normal(size=shape)).numpy()
        np.testing.assert_allclose(g, np.swapaxes(g, -1, -2), atol=1e-12)
        assert np.linalg.eigvalsh(g).min() >= -1e-10


def test_style_loss_ignores_where_features_are(rng):
    gen = rng.normal(size=(1, 4, 5, 6))
    ref_gram = gram_matrix(rng.normal(size=(1, 4, 5, 6)))
    flat = gen.reshape(20, 6)
    shuffled = flat[rng.permutation(20)].reshape(1, 4, 5, 6)
    assert not np.allclose(shuffled, gen)
    before = style_loss(gram_matrix(gen), ref_gram).numpy()
    after = style_loss(gram_matrix(shuffled), ref_gram).numpy()
    assert after == pytest.approx(before, rel=1e-12)


def test_batch_gram_equals_per_image_grams(rng):
    batch = rng.normal(size=(3, 4, 2, 5))
    grams = gram_matrix(batch).numpy()
    assert grams.shape == (3, 5, 5)
    for i in range(3):
        np.testing.assert_allclose(grams[i], gram_matrix(batch[i]).numpy(), rtol=1e-12)
        np.testing.assert_allclose(grams[i], gram_matrix(batch[i : i + 1]).numpy(), rtol=1e-12)


def test_gram_shapes():
    assert gram_matrix(np.ones((4, 5, 3))).shape == (3, 3)
    assert gram_matrix(np.ones((1, 4, 5, 3))).shape == (3, 3)
    assert gram_matrix(np.ones((2, 4, 5, 3))).shape == (2, 3, 3)


def test_total_variation_properties(rng):
    constant = np.full((2, 6, 5, 3), 0.7)
    assert total_variation_loss(constant).numpy() == 0.0
    assert total_variation_loss_l2(constant).numpy() == 0.0
    image = rng.random((2, 6, 5, 3))
    expected = tf.reduce_sum(tf.image.total_variation(tf.constant(image))).numpy()
    assert total_variation_loss(image).numpy() == pytest.approx(expected, rel=1e-12)
    smooth = np.linspace(0, 1, 6 * 5).reshape(1, 6, 5, 1) * np.ones(3)
    noisy = smooth + 0.1 * rng.normal(size=smooth.shape)
    noisier = smooth + 0.3 * rng.normal(size=smooth.shape)
    for tv in (total_variation_loss, total_variation_loss_l2):
        assert tv(smooth).numpy() < tv(noisy).numpy() < tv(noisier).numpy()


def test_content_loss_zero_exactly_when_equal(rng):
    x = rng.normal(size=(1, 3, 4, 5))
    assert content_loss(x, x.copy()).numpy() == 0.0
    y = x.copy()
    y[0, 1, 2, 3] += 1e-3
    assert content_loss(x, y).numpy() > 0.0
    g = gram_matrix(x)
    assert style_loss(g, g).numpy() == 0.0


# --------------------------------------------------------------------------- dtypes


def test_float64_stays_float64_and_float32_stays_float32(rng):
    for dtype, tf_dtype in [(np.float64, tf.float64), (np.float32, tf.float32)]:
        x = rng.normal(size=(1, 3, 3, 2)).astype(dtype)
        assert content_loss(x, x).dtype == tf_dtype
        assert gram_matrix(x).dtype == tf_dtype
        assert style_loss(gram_matrix(x), gram_matrix(x)).dtype == tf_dtype
        assert weighted_style_loss({"l": x}, {"l": gram_matrix(x)}).dtype == tf_dtype
        assert total_variation_loss(tf.constant(x)).dtype == tf_dtype
        assert total_variation_loss_l2(x).dtype == tf_dtype


def test_integers_become_float32():
    image = np.arange(12).reshape(2, 2, 3)
    assert total_variation_loss(image).dtype == tf.float32
    assert gram_matrix(image).dtype == tf.float32
    assert content_loss([1, 2], [3, 5]).numpy() == pytest.approx(6.5)


def test_mixed_float32_and_float64_give_float64():
    assert content_loss(np.float32([1, 2]), np.float64([3, 4])).dtype == tf.float64


# --------------------------------------------------------------------------- errors


def test_gram_matrix_rejects_other_ranks():
    for shape in [(4, 4), (1, 2, 3, 4, 5)]:
        with pytest.raises(ValueError, match=r"expected features of shape \(H, W, C\).*got shape"):
            gram_matrix(np.ones(shape))


def test_total_variation_rejects_other_ranks():
    with pytest.raises(ValueError, match=r"\(H, W, C\) or \(B, H, W, C\).*\(5, 5\)"):
        total_variation_loss(np.ones((5, 5)))
    with pytest.raises(ValueError, match="total_variation_loss_l2"):
        total_variation_loss_l2(np.ones(5))


def test_content_loss_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"\(1, 4, 4, 3\) and \(1, 4, 4, 8\).*same shape"):
        content_loss(np.ones((1, 4, 4, 3)), np.ones((1, 4, 4, 8)))
    with pytest.raises(ValueError, match="same shape"):  # no silent broadcasting of the batch axis
        content_loss(np.ones((1, 4, 4, 3)), np.ones((4, 4, 3)))


def test_style_loss_errors():
    with pytest.raises(
        ValueError, match=r"shapes \(64, 64\) and \(128, 128\): they must come from the same layer"
    ):
        style_loss(np.ones((64, 64)), np.ones((128, 128)))
    with pytest.raises(ValueError, match="(?i)did you pass feature maps.*call gram_matrix first"):
        style_loss(np.ones((1, 8, 8, 3)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="(?i)did you pass feature maps"):
        style_loss(np.ones((3, 3)), np.ones((8, 8, 3)))
    with pytest.raises(ValueError, match="square"):
        style_loss(np.ones((3, 4)), np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"Gram matrix of shape \(C, C\)"):
        style_loss(np.ones(3), np.ones(3))


def test_weighted_style_loss_errors():
    x = np.ones((1, 2, 2, 3))
    g = np.ones((3, 3))
    with pytest.raises(
        ValueError,
        match=r"Missing from reference_grams: \['b'\]; extra in reference_grams: \['c'\]",
    ):
        weighted_style_loss({"a": x, "b": x}, {"a": g, "c": g})
    with pytest.raises(ValueError, match=r"Missing from layer_weights: \['b'\]"):
        weighted_style_loss({"a": x, "b": x}, {"a": g, "b": g}, {"a": 1.0})
    with pytest.raises(ValueError, match="at least one style layer"):
        weighted_style_loss({}, {})


def test_none_and_strings_give_clear_type_errors():
    with pytest.raises(TypeError, match="is None"):
        content_loss(None, np.ones(3))
    with pytest.raises(TypeError, match="expected real numbers"):
        gram_matrix(np.array([[["a"]]]))


# --------------------------------------------------------------------------- tf.function / XLA


@pytest.mark.parametrize("jit", [False, True])
def test_inside_tf_function(rng, jit):
    gen = rng.normal(size=(1, 6, 5, 3)).astype(np.float32)
    ref = rng.normal(size=(1, 6, 5, 3)).astype(np.float32)

    def total(g, r):
        return (
            content_loss(g, r)
            + style_loss(gram_matrix(g), gram_matrix(r))
            + weighted_style_loss({"x": g}, {"x": gram_matrix(r)})
            + 1e-3 * total_variation_loss(g)
            + 1e-3 * total_variation_loss_l2(g)
        )

    eager = total(gen, ref).numpy()
    compiled = tf.function(total, jit_compile=jit)
    np.testing.assert_allclose(
        compiled(tf.constant(gen), tf.constant(ref)).numpy(), eager, rtol=1e-5
    )

    # differentiable inside the compiled function, too
    variable = tf.Variable(gen)

    @tf.function(jit_compile=jit)
    def grad_step():
        with tf.GradientTape() as tape:
            loss = total(variable, tf.constant(ref))
        return tape.gradient(loss, variable)

    assert np.all(np.isfinite(grad_step().numpy()))


@pytest.mark.parametrize("jit", [False, True])
def test_gram_with_unknown_batch_size(rng, jit):
    spec = tf.TensorSpec([None, None, None, 3], tf.float32)
    compiled = tf.function(gram_matrix, input_signature=[spec], jit_compile=jit)
    one = rng.normal(size=(1, 4, 4, 3)).astype(np.float32)
    two = rng.normal(size=(2, 4, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(compiled(one).numpy(), np_gram(one), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(compiled(two).numpy(), np_gram(two), rtol=1e-5, atol=1e-6)
    tv = tf.function(total_variation_loss, input_signature=[spec], jit_compile=jit)
    assert tv(two).numpy() == pytest.approx(np_tv(two), rel=1e-5)


def test_unknown_rank_is_reported():
    compiled = tf.function(gram_matrix, input_signature=[tf.TensorSpec(None, tf.float32)])
    with pytest.raises(ValueError, match="rank of features is unknown"):
        compiled.get_concrete_function()
