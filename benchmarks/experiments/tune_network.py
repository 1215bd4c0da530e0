# Finished study: last run at the commit that added it (issue 31); its figures are in
# docs/performance.md ("Lesson 09's networks"). Rerun it there.
"""Lesson 09's network: which size, learning rate and style weight get closest to ``stylize``.

Usage::

    .venv/bin/python benchmarks/experiments/tune_network.py                 # the four candidates
    .venv/bin/python benchmarks/experiments/tune_network.py --steps 300 --only small_lr3e-3

Each candidate trains a new network for Starry Night from seed 0 on the shipped training photos
(the bundled four and the ten of scikit-image's ``skimage/data``, unpacked into ``--photos-dir``
as ``labhelpers/feedforward/networks/README.md`` says), two 128 px crops a step, and every
``--every`` steps prints the weight-free distances (``common.Distances``: mean relative Gram error
over the five style layers, relative ``block4_conv2`` error) of its pictures of the two held-out
photos at 256 px, with the seconds so far. The last lines: the same distances of the default
``stylize`` on the same pairs (the baseline, run in the same process) and each network's time for
one 256 px picture (compiled, best of five).
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import common  # noqa: E402

#: name -> (channels, residual blocks, learning rate, style weight)
CANDIDATES = {
    "small_lr3e-3": ((16, 32, 48), 3, 3e-3, 10.0),
    "small_lr1e-3": ((16, 32, 48), 3, 1e-3, 10.0),
    "mid_lr1e-3": ((32, 64, 96), 4, 1e-3, 10.0),
    "large_lr1e-3": ((32, 64, 128), 5, 1e-3, 10.0),
    "large_lr1e-3_style30": ((32, 64, 128), 5, 1e-3, 30.0),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--painting", default="van_gogh_starry_night")
    parser.add_argument("--steps", type=int, default=900)
    parser.add_argument("--every", type=int, default=300)
    parser.add_argument("--photos-dir", default="/tmp/l09data/photos")
    parser.add_argument("--only", nargs="*", default=None, help="candidate names")
    args = parser.parse_args()

    import tensorflow as tf

    from labhelpers import stylize
    from labhelpers.feedforward.network import build_transform_network
    from labhelpers.feedforward.photos import BUNDLED_TRAINING, HELD_OUT, TrainingPhotos
    from labhelpers.feedforward.training import NetworkLoss, stylize_with, train_network

    photos = list(BUNDLED_TRAINING) + sorted(glob.glob(str(Path(args.photos_dir) / "*")))
    features = common.extractor()
    pairs = []
    for name in HELD_OUT:
        photo, art = common.load_pair(name, args.painting, 256)
        pairs.append((name, photo, art, common.Distances(features, photo, art)))

    def distances(network) -> dict:
        found = [measure(stylize_with(network, photo)) for _, photo, _, measure in pairs]
        return {k: [round(d[k], 3) for d in found] for k in ("style", "content")}

    timings = {}
    for name, (channels, blocks, rate, style) in CANDIDATES.items():
        if args.only and name not in args.only:
            continue
        network = build_transform_network(channels, blocks, seed=0)
        loss = NetworkLoss(args.painting, extractor=features, style_weight=style)
        start = time.perf_counter()

        def report(step: int, result, name=name, start=start) -> None:
            if step % args.every == 0 or step == args.steps:
                row = {"candidate": name, "step": step, **distances(result.network)}
                row["seconds"] = round(time.perf_counter() - start)
                print(json.dumps(row), flush=True)

        train_network(
            TrainingPhotos(photos, crop=128, seed=0),
            loss,
            network=network,
            steps=args.steps,
            batch_size=2,
            learning_rate=rate,
            seed=0,
            callback=report,
            callback_every=10,
        )
        run = tf.function(network, reduce_retracing=True)
        picture = tf.constant(pairs[0][1][None])
        run(picture)
        times = []
        for _ in range(5):
            begin = time.perf_counter()
            run(picture).numpy()
            times.append(time.perf_counter() - begin)
        timings[name] = (min(times) * 1000, network.count_params())
    for name, photo, art, measure in pairs:
        picture = stylize(photo, art, extractor=features).image
        found = measure(np.asarray(picture, np.float32))
        print(json.dumps({"baseline": "stylize", "photo": name, **found}), flush=True)
    for name, (ms, count) in timings.items():
        print(f"{name}: {count} parameters, {ms:.0f} ms per 256 px picture", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
