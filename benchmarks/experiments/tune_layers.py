# Finished study, frozen: last run at commit b74e4e5; rerun it there (git checkout b74e4e5).
# Its figures are in docs/levers.md; the package has moved on since.
"""Fourth round of levers: how the five style layers are weighted, from the recoloured start.

Usage::

    .venv/bin/python benchmarks/experiments/tune_layers.py \\
        --pair honey_bee van_gogh_starry_night \\
        --layers '[[0.2, 0.2, 0.2, 0.2, 0.2], [16, 8, 4, 2, 1]]' --style-weights 1.2 1.4

Each candidate (a weight per style layer, block1_conv1 .. block5_conv1, normalised to sum 1, times
each ``--style-weights``) runs scipy's L-BFGS-B for ``--evaluations`` evaluations of the package's
objective from ``init="recolored"`` (TV 0, one stage, float32; ``tune_starts.race``) and prints
when its best picture first beats the tutorial's 300-step picture in both weight-free distances
(checked every three evaluations), the distances at 24/30/36/45 evaluations and the relative Gram
error of each layer at the end. The tutorial's picture is run once per pair and size and cached
like ``tune_levers.py``. One evaluation is one tutorial-step unit. Rows go to
``results/levers.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent  # benchmarks/experiments: the other studies
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parent.parent)]  # then common, labhelpers

import common  # noqa: E402
from tune_levers import tutorial_figures  # noqa: E402
from tune_starts import race  # noqa: E402


def layer_errors(distances: common.Distances, picture) -> list[float]:
    """Relative Gram error ||G - G_painting|| / ||G_painting|| per style layer, shallow first."""
    import numpy as np
    import tensorflow as tf

    maps = distances.features(np.asarray(picture, dtype=np.float32))
    return [
        float(tf.norm(distances.gram(maps[n]) - g) / tf.norm(g))
        for n, g in distances.style_grams.items()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pair", nargs=2, default=list(common.PAIRS[0]), metavar=("CONTENT", "STYLE")
    )
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--evaluations", type=int, default=45)
    parser.add_argument(
        "--layers",
        type=json.loads,
        default=[[1, 1, 1, 1, 1], [16, 8, 4, 2, 1]],
        help="JSON list of five-number lists: style-layer weights, block1 .. block5",
    )
    parser.add_argument("--style-weights", type=float, nargs="+", default=[0.55, 1.4])
    args = parser.parse_args(argv)

    from labhelpers.color import blended_color_statistics, recolor_to
    from labhelpers.transfer.run import StyleTransfer

    features = common.extractor()
    content, style = common.load_pair(*args.pair, args.size)
    distances = common.Distances(features, content, style)
    target = tutorial_figures(features, *args.pair, args.size, content, style, distances)["final"]
    print(
        f"{args.pair} at {args.size} px: tutorial's 300 steps (style {target['style']:.3f}, "
        f"content {target['content']:.3f})",
        flush=True,
    )
    for raw in args.layers:
        if len(raw) != len(common.STYLE_LAYERS):
            parser.error(
                f"each --layers entry needs {len(common.STYLE_LAYERS)} weights, got {raw}"
            )
        layers = dict(zip(common.STYLE_LAYERS, (float(w) / sum(raw) for w in raw)))
        transfer = StyleTransfer(
            args.pair[0], args.pair[1], size=args.size, extractor=features, style_layers=layers
        )
        start = recolor_to(
            transfer.content, *blended_color_statistics([transfer.style_sources[0]])
        )
        for weight in args.style_weights:
            state = race(
                transfer.objective(style_weight=weight, tv_weight=0.0),
                distances,
                start,
                args.evaluations,
                None,
                target,
            )
            errors = layer_errors(distances, state["best"][1])
            print(
                f"layers {[round(w, 3) for w in layers.values()]} style {weight:g}: reached at "
                f"{state['reached']}; "
                + " ".join(
                    f"{n}:({s:.3f},{c:.3f})"
                    for n, s, c in state["trajectory"]
                    if n in (24, 30, 36, 45)
                )
                + f"; per-layer Gram errors at the end {[round(e, 3) for e in errors]}",
                flush=True,
            )
            with (common.RESULTS / "levers.jsonl").open("a") as f:
                f.write(
                    json.dumps(
                        {
                            "round": 4,
                            "pair": args.pair,
                            "size": args.size,
                            "style_layers": layers,
                            "style_weight": weight,
                            "tv_weight": 0.0,
                            "init": "recolored",
                            "tutorial": target,
                            "reached_at": state["reached"],
                            "trajectory": state["trajectory"],
                            "layer_errors": errors,
                        }
                    )
                    + "\n"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
