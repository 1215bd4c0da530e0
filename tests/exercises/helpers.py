"""What the checker tests of tests/exercises share: running a checker, and student-style code.

The student-style functions are written here on purpose (not imported from labhelpers), in the
way a student would write them, so that the checkers are tested against independent code.
"""

from __future__ import annotations

import tensorflow as tf


def verdict(capsys, checker, fn, **kwargs):
    """``(passed, printed)``: run ``checker(fn, **kwargs)`` and take what it printed."""
    passed = checker(fn, **kwargs)
    return passed, capsys.readouterr().out


def mse(a, b):
    """Mean squared difference, as lessons 02-03 ask for it."""
    return tf.reduce_mean(tf.square(a - b))


def gram(x):
    """Gram matrix F^T F / (H W C) of a feature map (1, H, W, C), a student's way."""
    flat = tf.reshape(x, (-1, tf.shape(x)[-1]))
    return tf.matmul(flat, flat, transpose_a=True) / tf.cast(tf.size(x), x.dtype)
