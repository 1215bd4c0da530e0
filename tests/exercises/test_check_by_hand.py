"""check_checkerboard_tv (lesson 04) and check_first_adam_change (lesson 05): right answers pass,
each typical wrong one gets its own diagnosis, and no seed blames a right answer.

The references are checked independently first: the TV of small boards added up by hand, and Adam's
first step against the update rule of Kingma & Ba written out here.
"""

from __future__ import annotations

import numpy as np
import pytest

from labhelpers.exercises import solutions
from labhelpers.exercises.checks import (
    check_checkerboard_tv,
    check_first_adam_change,
    use_if_correct,
)
from labhelpers.exercises.checks.by_hand import checkerboard_tv_reference, first_adam_change

from .helpers import verdict


# --------------------------------------------------------------------------- references, by hand


def test_checkerboard_tv_reference_by_hand():
    # 2 x 3 px, 1-px squares: rows 0 1 0 / 1 0 1; right: 2 jumps per row x 2 rows, down: 3 jumps;
    # x 3 channels
    assert checkerboard_tv_reference(2, 3, 1) == 3 * (4 + 3)
    # 3 x 5 px, 2-px squares: columns 0 0 1 1 0 -> 2 jumps per row x 3 rows; rows 0 0 1 -> 1 jump x
    # 5 columns
    assert checkerboard_tv_reference(3, 5, 2) == 3 * (6 + 5)
    assert checkerboard_tv_reference(4, 6, 8) == 0  # one square covers the picture


def test_first_adam_change_is_the_learning_rate_against_the_gradient():
    gradient = np.array([[3.0, -0.02, 0.0, 250.0]], np.float32)
    # Kingma & Ba with m = v = 0: m = 0.1 g, v = 0.001 g^2, m_hat = g, v_hat = g^2
    # -> -lr g / (|g| + eps)
    np.testing.assert_allclose(
        first_adam_change(gradient, 0.05), [[-0.05, 0.05, 0.0, -0.05]], atol=1e-5
    )


# --------------------------------------------------------------------------- checkerboard_tv


def tv_loop(height, width, cell):  # a different, correct way: walk the boundaries one by one
    jumps = 0
    for j in range(width - 1):
        jumps += height if (j // cell) != ((j + 1) // cell) else 0
    for i in range(height - 1):
        jumps += width if (i // cell) != ((i + 1) // cell) else 0
    return 3.0 * jumps


def tv_numpy(height, width, cell):  # builds the board: allowed, if slow; the answer is still right
    rows, cols = np.arange(height)[:, None] // cell, np.arange(width)[None, :] // cell
    board = (rows + cols) % 2
    return np.int64(
        3 * (np.abs(np.diff(board, axis=0)).sum() + np.abs(np.diff(board, axis=1)).sum())
    )


CORRECT_TV = [solutions.checkerboard_tv, tv_loop, tv_numpy]


def _b(side, cell):
    return (side - 1) // cell


WRONG_TV = [
    (lambda h, w, k: h * _b(w, k) + w * _b(h, k), "1/3 of the right one"),
    (lambda h, w, k: 3 * (h * (w - 1) + w * (h - 1)), "every pair of neighbours"),
    (lambda h, w, k: 3 * (w * _b(w, k) + h * _b(h, k)), "height and width are mixed up"),
    (
        lambda h, w, k: 3 * (h * max(w // k - 1, 0) + w * max(h // k - 1, 0)),
        "last, narrower square",
    ),
    (lambda h, w, k: 3 * (h * (w // k) + w * (h // k)), "one boundary too many"),
    (lambda h, w, k: 3 * (h * (w - 1) / k + w * (h - 1) / k), "not a whole number"),
    (lambda h, w, k: 3 * h * _b(w, k), "between columns (to the right) but not between rows"),
    (lambda h, w, k: 3 * w * _b(h, k), "between rows (downwards) but not between columns"),
    (lambda h, w, k: 6 * (h * _b(w, k) + w * _b(h, k)), "twice the right one"),
    (lambda h, w, k: h * w, "wrong count for"),
    (lambda h, w, k: None, "returned None"),
    (lambda h, w, k: np.ones(3), "returned 3 values"),
]


def test_checkerboard_not_written_and_fallback(capsys):
    def not_written(height, width, cell):
        raise NotImplementedError

    for fn in (not_written, None):
        passed, out = verdict(capsys, check_checkerboard_tv, fn, seed=0)
        assert not passed and out.startswith("⏳ checkerboard_tv"), out
    assert use_if_correct(not_written, check_checkerboard_tv) is checkerboard_tv_reference
    capsys.readouterr()


# --------------------------------------------------------------------------- first_adam_change


def adam_sign(gradient, learning_rate):
    return -learning_rate * np.sign(gradient)


def adam_tf(gradient, learning_rate):  # returns a tf tensor, with the paper's epsilon placement
    import tensorflow as tf

    g = tf.constant(gradient)
    m_hat, v_hat = g, tf.square(g)
    return -learning_rate * m_hat / (tf.sqrt(v_hat) + 1e-8)


CORRECT_ADAM = [solutions.first_adam_change, adam_sign, adam_tf]


EPS = 1e-7
WRONG_ADAM = [
    (lambda g, lr: lr * np.sign(g), "goes uphill"),
    (lambda g, lr: -lr * g, "plain gradient descent (SGD)"),
    (lambda g, lr: lr * g, "gradient *ascent*"),
    (lambda g, lr: -np.sign(g), "learning rate is missing"),
    (lambda g, lr: -lr * 0.1 * g / (np.sqrt(0.001 * g * g) + EPS), "no bias correction"),
    (lambda g, lr: -lr * g / (np.sqrt(0.001 * g * g) + EPS), "only m is bias-corrected"),
    (lambda g, lr: -lr * 0.1 * g / (np.abs(g) + EPS), "only v is bias-corrected"),
    (lambda g, lr: -lr * g / np.abs(g), "NaN where the gradient is exactly 0"),
    (lambda g, lr: -lr * g / np.sqrt(np.sum(g * g)), "size of the whole gradient"),
    (lambda g, lr: -lr * g / np.max(np.abs(g)), "largest gradient of all"),
    (lambda g, lr: -lr * np.sign(g) * 0.5, "wrong change for some values"),
    (lambda g, lr: float(-lr), "has shape ()"),
    (lambda g, lr: None, "returned None"),
]


def test_adam_not_written_and_fallback(capsys):
    def not_written(gradient, learning_rate):
        raise NotImplementedError

    passed, out = verdict(capsys, check_first_adam_change, not_written, seed=0)
    assert not passed and out.startswith("⏳ first_adam_change"), out
    assert use_if_correct(not_written, check_first_adam_change) is first_adam_change
    capsys.readouterr()


# --------------------------------------------------------------------------- both, over seeds

CORRECT = [(check_checkerboard_tv, fn) for fn in CORRECT_TV]
CORRECT += [(check_first_adam_change, fn) for fn in CORRECT_ADAM]


@pytest.mark.parametrize("checker, fn", CORRECT, ids=lambda x: x.__name__)
def test_correct_answers_pass_over_seeds(capsys, checker, fn):
    name = checker.__name__.removeprefix("check_")
    for seed in range(40):
        passed, out = verdict(capsys, checker, fn, seed=seed)
        assert passed and out.startswith(f"✅ {name}"), (fn.__name__, seed, out)


WRONG = [(check_checkerboard_tv, fn, words, "(w - 1) // ") for fn, words in WRONG_TV]
WRONG += [(check_first_adam_change, fn, words, "sign(") for fn, words in WRONG_ADAM]


@pytest.mark.parametrize(
    "checker, fn, words, formula", WRONG, ids=[words for _, _, words, _ in WRONG]
)
def test_wrong_answers_get_their_diagnosis(capsys, checker, fn, words, formula):
    name = checker.__name__.removeprefix("check_")
    for seed in (3, 11, 29):
        passed, out = verdict(capsys, checker, fn, seed=seed)
        first = out.splitlines()[0]
        assert not passed and first.startswith(f"❌ {name}") and words in first, (seed, out)
        assert f"seed={seed}" in out and formula not in out  # how to repeat it; no solution
