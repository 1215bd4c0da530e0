"""Benchmark: time to a picture at least as good as the tutorial's 300-step one, on every bundled pair.

Usage::

    .venv/bin/python benchmarks/bench_speed.py                    # 256 and 512 px, the 4 pairs (long: ~1 h)
    .venv/bin/python benchmarks/bench_speed.py --sizes 256 --pairs 1
    .venv/bin/python benchmarks/bench_speed.py --quick            # 128 px, one pair, 100 tutorial steps (~3 min)
    .venv/bin/python benchmarks/bench_speed.py --sizes 512 --only 2 3 4 --append --stem speed_512
                                                                  # pairs 2-4 added to an earlier file's rows
    .venv/bin/python benchmarks/bench_speed.py --settings '{"init": "recolored", "style_weight": 0.55, "tv_weight": 0}' \
        --stem speed_recolored                                    # other run settings than the defaults

For each pair (``common.PAIRS``: each painting with a different photo, plus the default
chelsea_cat x starry_night) and size, in one process each (so the peak memory is that size's):

1. the tutorial's loop (``common.tutorial_loop``) for 300 steps: its final weight-free distances
   (style: mean relative Gram error over five layers; content: relative block4_conv2 error) are
   the target;
2. one tutorial step and one ``stylize`` evaluation timed in turns (load-independent ratio);
3. :class:`labhelpers.transfer.run.StyleTransfer` with its **default** settings (float32), or the
   run settings given as ``--settings`` JSON, races to a picture at least as good in both
   distances (``common.race``, up to ``--max-steps``).

Reported: the work in tutorial-step units (evaluations weighted by their pixels), the ratio
``units x s/evaluation / (300 x s/tutorial step)`` (target: <= 1/8 at 256 px, <= 1/6 at 512 px),
the wall-time ratio (noisy on a shared machine), and the peak resident memory of the process
(target at 512 px: <= 1.5 GB). Writes ``benchmarks/results/speed.md`` and ``speed.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import common  # noqa: E402

TARGETS = {256: 1 / 8, 512: 1 / 6}


def worker(config: dict) -> dict:
    """One pair at one size: tutorial, turns, the default run's race (in this process)."""
    from labhelpers.transfer import SETUP_FIELDS
    from labhelpers.transfer.run import StyleTransfer

    content_name, style_name, size = config["content"], config["style"], int(config["size"])
    given = config.get(
        "settings", {}
    )  # set-up fields (style_layers, ...) prepare the transfer; the rest run it
    setup = {k: v for k, v in given.items() if k in SETUP_FIELDS}
    run_settings = {k: v for k, v in given.items() if k not in SETUP_FIELDS}
    features = common.extractor()
    content, style = common.load_pair(content_name, style_name, size)
    distances = common.Distances(features, content, style)
    tutorial = common.tutorial_loop(
        features, content, style, steps=int(config["tutorial_steps"]), distances=distances
    )
    tutorial.pop("image")
    start = time.perf_counter()
    transfer = StyleTransfer(content_name, style_name, size=size, extractor=features, **setup)
    prepare_s = time.perf_counter() - start
    turns = common.seconds_per_step_in_turns(
        features, content, style, transfer.objective(), transfer.content, rounds=4
    )
    race = common.race(
        transfer, distances, tutorial["final"], max_steps=int(config["max_steps"]), **run_settings
    )
    race.pop("image")
    ratio = race["units"] * turns["evaluation"] / (tutorial["steps"] * turns["tutorial_step"])
    return {
        "content": content_name,
        "style": style_name,
        "size": size,
        "settings": config.get("settings", {}),
        "tutorial": tutorial,
        "turns": turns,
        "race": race,
        "ratio": ratio,
        "wall_ratio": (prepare_s + race["wall_seconds"]) / tutorial["wall_seconds"],
        "prepare_seconds": prepare_s,
        "peak_rss_mb": common.peak_rss_mb(),
        "load": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument(
        "--pairs", type=int, default=len(common.PAIRS), help="how many of common.PAIRS"
    )
    parser.add_argument(
        "--only",
        type=int,
        nargs="+",
        default=None,
        help="run only these pairs (1-based numbers in common.PAIRS) instead of the first --pairs",
    )
    parser.add_argument(
        "--append",
        action="store_true",
        help="keep the rows already in the results file (other sizes or pairs) and add these",
    )
    parser.add_argument("--tutorial-steps", type=int, default=common.TUTORIAL_STEPS)
    parser.add_argument("--max-steps", type=int, default=300)
    parser.add_argument(
        "--stem",
        default=None,
        help="results file name in benchmarks/results/ (default: speed, or speed_quick with --quick)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="128 px, one pair, 100 tutorial steps"
    )
    parser.add_argument(
        "--settings",
        default="{}",
        type=json.loads,
        help="JSON of the settings to race with (TransferSettings fields; set-up fields such as style_layers prepare the transfer; default: the defaults)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(worker(json.loads(args.worker))), flush=True)
        return 0
    if args.quick:
        args.sizes, args.pairs, args.tutorial_steps, args.max_steps = [128], 1, 100, 100
    if args.only and not all(1 <= number <= len(common.PAIRS) for number in args.only):
        parser.error(f"--only takes pair numbers from 1 to {len(common.PAIRS)}")
    pairs = (
        [common.PAIRS[number - 1] for number in args.only]
        if args.only
        else common.PAIRS[: args.pairs]
    )
    stem = args.stem or ("speed_quick" if args.quick else "speed")
    earlier = common.RESULTS / f"{stem}.json"
    rows = []
    if args.append and earlier.exists():
        before = json.loads(earlier.read_text())
        # each row names its CPU; the rows of older files took it from the file's "cpu"
        rows = [
            {"cpu": before.get("cpu", before.get("written_on")), **row} for row in before["rows"]
        ]
    for size in args.sizes:
        for content, style in pairs:
            config = {
                "content": content,
                "style": style,
                "size": size,
                "tutorial_steps": args.tutorial_steps,
                "max_steps": args.max_steps,
                "settings": args.settings,
            }
            env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
            env.pop("LAB_FAST", None)
            proc = subprocess.run(
                [sys.executable, __file__, "--worker", json.dumps(config)],
                capture_output=True,
                text=True,
                env=env,
            )
            lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
            if not lines:
                print(
                    f"{content} x {style} at {size} px failed:\n{proc.stderr[-2000:]}", flush=True
                )
                continue
            row = {"cpu": common.cpu_flags(), **json.loads(lines[-1][len("RESULT ") :])}
            rows.append(row)
            r, t = row["race"], row["tutorial"]["final"]
            print(
                f"{size} px {content} x {style}: tutorial (style {t['style']:.3f}, content {t['content']:.3f}); "
                f"run {json.dumps(args.settings) if args.settings else '(defaults)'} reached={r['reached']} in {r['units']:.1f} units = {row['ratio']:.3f} of the "
                f"tutorial's time (wall {row['wall_ratio']:.3f}); peak {row['peak_rss_mb']:.0f} MB",
                flush=True,
            )
    write(rows, stem)
    return 0


def write(rows: list[dict], stem: str) -> None:
    """``benchmarks/results/<stem>.json`` and ``.md``."""
    cpu = common.cpu_flags()
    common.RESULTS.mkdir(parents=True, exist_ok=True)
    (common.RESULTS / f"{stem}.json").write_text(
        json.dumps({"written_on": cpu, "rows": rows}, indent=1)
    )
    cpus = {row.get("cpu", cpu)["model"]: row.get("cpu", cpu) for row in rows} or {
        cpu["model"]: cpu
    }
    lines = ["# Time to the tutorial's 300-step quality (float32)", ""]
    lines += [
        f"CPU: {c['model']}, {c['cores']} cores; avx2 {c['avx2']}, avx512f {c['avx512f']}, "
        f"avx512_bf16 {c['avx512_bf16']}, amx_bf16 {c['amx_bf16']}."
        for c in cpus.values()
    ]
    lines += [
        "",
        "| size | pair | CPU | run settings | tutorial (style, content) | run's best (style, content) | "
        "reached | units | ratio (evaluations x s/eval in turns) | target | wall ratio | peak MB | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        t, r = row["tutorial"]["final"], row["race"]
        target = TARGETS.get(row["size"])
        verdict = (
            ""
            if target is None
            else ("met" if r["reached"] and row["ratio"] <= target else "not met")
        )
        lines.append(
            f"| {row['size']} | {row['content']} x {row['style']} | {row.get('cpu', cpu)['model']} | "
            f"{json.dumps(row['settings']) if row.get('settings') else 'defaults'} | ({t['style']:.3f}, {t['content']:.3f}) | "
            f"({r['final']['style']:.3f}, {r['final']['content']:.3f}) | {r['reached']} | {r['units']:.1f} | "
            f"{row['ratio']:.3f} | {verdict} | {row['wall_ratio']:.3f} | {row['peak_rss_mb']:.0f} | "
            f"{row['load']:.1f} |"
        )
    (common.RESULTS / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
