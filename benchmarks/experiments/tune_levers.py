# Finished study, frozen: last run at commit b74e4e5; rerun it there (git checkout b74e4e5).
# Its figures are in docs/levers.md; the package has moved on since.
"""Optimiser levers side by side against the tutorial's loop (one pair, one size, one process).

Usage::

    .venv/bin/python benchmarks/experiments/tune_levers.py \\
        --pair chelsea_cat van_gogh_starry_night --size 256 \\
        --candidate default '{}' --candidate c2f '{"coarse_to_fine": [64, 128]}'

The tutorial's 300-step loop runs once per pair and size and is cached (its final distances and its
seconds per step) in ``/tmp/lab_tune_cache``; then each candidate (a name and the JSON of its run
settings, any :class:`labhelpers.transfer.settings.TransferSettings` run field) races to a picture
at least as good as the tutorial's in both distances. Cost: evaluations weighted by pixels relative
to the final size (tutorial-step units), and the measured wall time; ``ratio`` = units x seconds
per evaluation / (300 x seconds per tutorial step), both timed in turns in this process. Appends
every figure to ``benchmarks/results/levers.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent  # benchmarks/experiments: the other studies
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parent.parent)]  # then common, labhelpers

import common  # noqa: E402

CACHE = Path("/tmp/lab_tune_cache")


def tutorial_figures(
    features, content_name: str, style_name: str, size: int, content, style, distances
) -> dict:
    """The tutorial loop's final distances and s/step for this pair and size (cached)."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"{content_name}__{style_name}__{size}.json"
    if path.exists():
        return json.loads(path.read_text())
    figures = common.tutorial_loop(features, content, style, distances=distances)
    figures.pop("image")
    common.write_text_atomic(path, json.dumps(figures))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pair", nargs=2, default=list(common.PAIRS[0]), metavar=("CONTENT", "STYLE")
    )
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--max-steps", type=int, default=300)
    parser.add_argument(
        "--candidate", nargs=2, action="append", metavar=("NAME", "JSON"), default=[]
    )
    parser.add_argument(
        "--setup", default="{}", help="JSON of set-up settings for the StyleTransfer"
    )
    parser.add_argument(
        "--save-dir", default=None, help="write each candidate's picture here (PNG)"
    )
    args = parser.parse_args(argv)

    from labhelpers.images import save_image
    from labhelpers.transfer.run import StyleTransfer

    features = common.extractor()
    content, style = common.load_pair(*args.pair, args.size)
    distances = common.Distances(features, content, style)
    tutorial = tutorial_figures(features, *args.pair, args.size, content, style, distances)
    target = tutorial["final"]
    transfer = StyleTransfer(
        args.pair[0], args.pair[1], size=args.size, extractor=features, **json.loads(args.setup)
    )
    turns = common.seconds_per_step_in_turns(
        features, content, style, transfer.objective(), transfer.content, rounds=4
    )
    print(
        f"pair {args.pair} at {args.size} px: tutorial 300 steps -> style {target['style']:.3f}, "
        "content "
        f"{target['content']:.3f}; in turns: tutorial step {turns['tutorial_step']:.3f} s, "
        "evaluation "
        f"{turns['evaluation']:.3f} s; load {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    out = common.RESULTS / "levers.jsonl"
    for name, text in args.candidate:
        settings = json.loads(text)
        t = time.perf_counter()
        race = common.race_to_target(
            transfer,
            distances,
            target,
            max_steps=settings.pop("max_steps", args.max_steps),
            **settings,
        )
        image = race.pop("image")
        ratio = (
            race["units"] * turns["evaluation"] / (common.TUTORIAL_STEPS * turns["tutorial_step"])
        )
        print(
            f"{name:28s} reached={race['reached']!s:5s} units={race['units']:6.1f} "
            f"ratio={ratio:.3f} "
            f"evals={race['evaluations']:3d} wall={race['wall_seconds']:5.1f}s final style "
            f"{race['final']['style']:.3f} content {race['final']['content']:.3f} stages "
            f"{race['stage_steps']} "
            f"first/max total {race['first_total']:.3g}/{race['max_total']:.3g} "
            f"({time.perf_counter() - t:.0f} s)",
            flush=True,
        )
        print(
            "    trajectory (units: style, content): "
            + ", ".join(
                f"{p['units']:.0f}: {p['style']:.3f}, {p['content']:.3f}"
                for p in race["trajectory"][::5]
            ),
            flush=True,
        )
        if args.save_dir:
            Path(args.save_dir).mkdir(parents=True, exist_ok=True)
            save_image(image, Path(args.save_dir) / f"{name}.png", overwrite=True)
        with out.open("a") as f:
            f.write(
                json.dumps(
                    {
                        "pair": args.pair,
                        "size": args.size,
                        "name": name,
                        "settings": settings,
                        "setup": json.loads(args.setup),
                        "tutorial": target,
                        "turns": turns,
                        "ratio": ratio,
                        "load": os.getloadavg()[0],
                        **race,
                    }
                )
                + "\n"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
