# Finished study, frozen: last run at commit b74e4e5; rerun it there (git checkout b74e4e5).
# Its figures are in docs/levers.md; the package has moved on since.
"""Sixth round of levers: coarse-to-fine at 512 px, and what the coarse picture hands on.

Usage::

    .venv/bin/python benchmarks/experiments/tune_handover.py \\
        --pair cincinnati_bridge van_gogh_cafe_terrace_at_night \\
        --coarse-evaluations 24 --fine-style-weights 1.4 1.0

A coarse stage at half the size (``--size`` / 2) runs scipy's L-BFGS-B for ``--coarse-evaluations``
evaluations of the package's objective from ``init="recolored"`` with the shallow-first style
layers (``SHALLOW_STYLE_LAYERS``, TV 0, ``--coarse-style-weight``). Its best picture is handed to
the fine stage in two ways: ``plain`` (upsampled, what ``coarse_to_fine`` does) and ``detail``
(upsampled, plus the recoloured photo's own high frequencies: ``up(coarse) + recoloured -
up(down(recoloured))``). The fine stage then races the tutorial's 300-step picture
(``tune_starts.race``, distances every three evaluations). Units: a coarse evaluation counts as its
cost relative to a fine one, timed in turns here; a fine evaluation as one tutorial-step unit. Rows
go to ``results/levers.jsonl`` (round 6).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent  # benchmarks/experiments: the other studies
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parent.parent)]  # then common, labhelpers

import common  # noqa: E402
from tune_levers import tutorial_figures  # noqa: E402
from tune_starts import race  # noqa: E402

#: A target no picture reaches: the coarse stage runs all its evaluations.
NEVER = {"style": -1.0, "content": -1.0}


def no_distances(picture: np.ndarray) -> dict[str, float]:
    """The coarse stage is not measured (its picture is not at the final size)."""
    return {"style": float("inf"), "content": float("inf")}


def cost_ratio(
    coarse, fine, coarse_picture: np.ndarray, fine_picture: np.ndarray, rounds: int = 5
) -> float:
    """Median seconds of a coarse evaluation over a fine one, timed in turns."""
    times: dict[str, list[float]] = {"coarse": [], "fine": []}
    for _ in range(2):
        coarse.evaluate(coarse_picture)
        fine.evaluate(fine_picture)
    for _ in range(rounds):
        for name, objective, picture in (
            ("coarse", coarse, coarse_picture),
            ("fine", fine, fine_picture),
        ):
            start = time.perf_counter()
            objective.evaluate(picture)
            times[name].append(time.perf_counter() - start)
    return float(np.median(times["coarse"]) / np.median(times["fine"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pair", nargs=2, default=list(common.PAIRS[0]), metavar=("CONTENT", "STYLE")
    )
    parser.add_argument(
        "--size", type=int, default=512, help="the fine stage's size (px); the coarse one is half"
    )
    parser.add_argument("--coarse-evaluations", type=int, nargs="+", default=[24])
    parser.add_argument("--coarse-style-weight", type=float, default=1.4)
    parser.add_argument("--fine-style-weights", type=float, nargs="+", default=[1.4])
    parser.add_argument("--evaluations", type=int, default=48, help="fine-stage evaluations")
    args = parser.parse_args(argv)

    from labhelpers import SHALLOW_STYLE_LAYERS
    from labhelpers.color import blended_color_statistics, recolor_to
    from labhelpers.transfer.run import StyleTransfer
    from labhelpers.transfer.targets import resize_exact

    features = common.extractor()
    content, style = common.load_pair(*args.pair, args.size)
    distances = common.Distances(features, content, style)
    target = tutorial_figures(features, *args.pair, args.size, content, style, distances)["final"]
    layers = dict(SHALLOW_STYLE_LAYERS)
    fine = StyleTransfer(
        args.pair[0], args.pair[1], size=args.size, extractor=features, style_layers=layers
    )
    coarse = StyleTransfer(
        args.pair[0], args.pair[1], size=args.size // 2, extractor=features, style_layers=layers
    )
    colours = blended_color_statistics([fine.style_sources[0]])
    recolored_fine, recolored_coarse = (
        recolor_to(fine.content, *colours),
        recolor_to(coarse.content, *colours),
    )
    coarse_objective = coarse.objective(style_weight=args.coarse_style_weight, tv_weight=0.0)
    ratio = cost_ratio(
        coarse_objective, fine.objective(tv_weight=0.0), recolored_coarse, recolored_fine
    )
    print(
        f"{args.pair} at {args.size} px: tutorial's 300 steps (style {target['style']:.3f}, "
        "content "
        f"{target['content']:.3f}); a {args.size // 2} px evaluation costs {ratio:.3f} of a "
        f"{args.size} px one",
        flush=True,
    )
    for count in args.coarse_evaluations:
        coarse_best = race(coarse_objective, no_distances, recolored_coarse, count, None, NEVER)[
            "best"
        ][1]
        upsampled = resize_exact(coarse_best, recolored_fine.shape[:2])
        low_pass = resize_exact(
            resize_exact(recolored_fine, coarse_best.shape[:2]), recolored_fine.shape[:2]
        )
        for handover, start in (
            ("plain", upsampled),
            (
                "detail",
                np.clip(upsampled + recolored_fine - low_pass, 0.0, 1.0).astype(np.float32),
            ),
        ):
            at_start = distances(start)
            for weight in args.fine_style_weights:
                state = race(
                    fine.objective(style_weight=weight, tv_weight=0.0),
                    distances,
                    start,
                    args.evaluations,
                    None,
                    target,
                )
                reached = state["reached"]
                units = None if reached is None else count * ratio + reached
                print(
                    f"coarse {count} evaluations, {handover} hand-over, start "
                    f"({at_start['style']:.3f}, "
                    f"{at_start['content']:.3f}), fine style {weight:g}: reached after {reached} "
                    "fine evaluations "
                    f"({units if units is None else round(units, 1)} units); "
                    + " ".join(
                        f"{n}:({s:.3f},{c:.3f})"
                        for n, s, c in state["trajectory"]
                        if n in (18, 27, 36, 45)
                    ),
                    flush=True,
                )
                with (common.RESULTS / "levers.jsonl").open("a") as f:
                    f.write(
                        json.dumps(
                            {
                                "round": 6,
                                "pair": args.pair,
                                "size": args.size,
                                "style_layers": layers,
                                "init": "recolored",
                                "tv_weight": 0.0,
                                "coarse_size": args.size // 2,
                                "coarse_evaluations": count,
                                "coarse_style_weight": args.coarse_style_weight,
                                "handover": handover,
                                "style_weight": weight,
                                "coarse_cost_ratio": ratio,
                                "start": at_start,
                                "tutorial": target,
                                "reached_at_fine": reached,
                                "units": units,
                                "trajectory": state["trajectory"],
                            }
                        )
                        + "\n"
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
