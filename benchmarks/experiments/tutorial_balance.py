# Finished study, frozen: last run at commit b74e4e5; rerun it there (git checkout b74e4e5).
# Its figures are in docs/levers.md; the package has moved on since.
"""The style weight the TensorFlow tutorial's raw losses imply, in this package's normalised units.

Usage::

    .venv/bin/python benchmarks/experiments/tutorial_balance.py [--sizes 256 512]

The tutorial (``common.build_tutorial``) weights raw losses: ``1e-2 / 5`` per style layer on
``mean((G_t - A_t)^2)`` with its Gram matrix divided by locations only (``G_t = s^2 C_l G``, ``G``
the lecture's Gram matrix, ``s`` the benchmarks' feature scale), and ``1e4`` on the content
features' mean squared difference (``s^2`` times the lecture's). Dividing its loss by ``1e4 s^2
mean(P^2)`` gives this package's form (content weight 1, each term relative to its target's size),
with a style weight per layer of

    1e-2 / 5 * s^2 * C_l^2 * mean(A_l^2) / (1e4 * mean(P^2))

which depends on the pictures: the tutorial paints some pairs harder than others. Printed per pair
and size: that weight per style layer, its sum (the tutorial's total style weight in these units)
and each layer's share. No optimisation; a few seconds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent  # benchmarks/experiments: the other studies
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parent.parent)]  # then common, labhelpers

import common  # noqa: E402


def implied_style_weights(features, content: np.ndarray, style: np.ndarray) -> np.ndarray:
    """The tutorial's style weight per layer (block1_conv1 .. block5_conv1), normalised, (5,)."""
    import tensorflow as tf

    from labhelpers.losses import gram_matrix

    maps_of = features.with_layers(list(common.STYLE_LAYERS) + [common.CONTENT_LAYER])
    style_maps, content_maps = maps_of(style), maps_of(content)
    content_size = float(tf.reduce_mean(tf.square(content_maps[common.CONTENT_LAYER])))
    weights = []
    for name in common.STYLE_LAYERS:
        gram = gram_matrix(style_maps[name])
        channels = int(gram.shape[-1])
        weights.append(
            common.TUTORIAL_STYLE_WEIGHT
            / len(common.STYLE_LAYERS)
            * common.FEATURE_SCALE**2
            * channels**2
            * float(tf.reduce_mean(tf.square(gram)))
            / (common.TUTORIAL_CONTENT_WEIGHT * content_size)
        )
    return np.array(weights)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    args = parser.parse_args(argv)
    features = common.extractor()
    print("| size | pair | style weight per layer, block1 .. block5 | sum | share per layer |")
    print("|---|---|---|---|---|")
    for size in args.sizes:
        for content_name, style_name in common.PAIRS:
            weights = implied_style_weights(
                features, *common.load_pair(content_name, style_name, size)
            )
            print(
                f"| {size} | {content_name} x {style_name} | "
                f"{', '.join(f'{w:.3f}' for w in weights)} | "
                f"{weights.sum():.2f} | {', '.join(f'{w:.2f}' for w in weights / weights.sum())} "
                "|",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
