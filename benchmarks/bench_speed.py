"""Benchmark: time to a picture as good as the tutorial's 300-step one, on every bundled pair.

Usage (Linux: the figures read /proc and the load average)::

    .venv/bin/python benchmarks/bench_speed.py                # 256 and 512 px, 4 pairs (~1 h)
    .venv/bin/python benchmarks/bench_speed.py --sizes 256 --pairs 1
    .venv/bin/python benchmarks/bench_speed.py --sizes 512 --only 2 3 4
    .venv/bin/python benchmarks/bench_speed.py --settings QUICK_SETTINGS --section "..."
    .venv/bin/python benchmarks/bench_speed.py --settings '{"style_weight": 0.55}'
    .venv/bin/python benchmarks/bench_speed.py --quick        # CI's check: 64 px, a few steps

For each pair (``common.PAIRS``: each painting with a different photo, plus the default
chelsea_cat x starry_night) and size, in one process each (so the peak memory is that size's):

1. the tutorial's loop (``common.tutorial_loop``) for 300 steps: its final weight-free distances
   (style: mean relative Gram error over five layers; content: relative block4_conv2 error) are
   the target;
2. one tutorial step and one ``stylize`` evaluation timed in turns (load-independent ratio);
3. :class:`labhelpers.transfer.run.StyleTransfer` with its **default** settings (float32), or the
   run settings given as ``--settings`` JSON, races to a picture at least as good in both
   distances (``common.race_to_target``, up to ``--max-steps``).

Reported: the work in tutorial-step units (evaluations weighted by their pixels), the ratio
``units x s/evaluation / (300 x s/tutorial step)`` (target: <= 1/8 at 256 px, <= 1/6 at 512 px),
the wall-time ratio (noisy on a shared machine), and the peak resident memory of the process
(target at 512 px: <= 1.5 GB).

Quick mode (``--quick`` or ``LAB_BENCH_QUICK=1``): 64 px, the first pair, 3 tutorial steps and
at most 3 evaluations, in this process (no worker process: its peak memory means nothing).

Writes the section named by the settings, sizes and CPU (or ``--section``) of
``benchmarks/results/speed.md`` (``--out`` names another folder); ``--json FILE`` also keeps the
raw figures.
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
HEADING = "Time to the tutorial's 300-step quality (benchmarks/bench_speed.py)"


def worker(config: dict) -> dict:
    """One pair at one size: tutorial, turns, the default run's race (in this process)."""
    from labhelpers.transfer import SETUP_FIELDS
    from labhelpers.transfer.run import StyleTransfer

    content_name, style_name, size = config["content"], config["style"], int(config["size"])
    # set-up fields (style_layers, ...) prepare the transfer; the rest run it
    given = config.get("settings", {})
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
        features,
        content,
        style,
        transfer.objective(),
        transfer.content,
        rounds=int(config.get("rounds", 4)),
    )
    race = common.race_to_target(
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


def settings_from(text: str) -> dict:
    """``--settings``: a JSON object of TransferSettings fields, or ``QUICK_SETTINGS``."""
    if text.strip() == "QUICK_SETTINGS":
        from labhelpers import QUICK_SETTINGS

        return dict(QUICK_SETTINGS)
    try:
        settings = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(
            f"--settings takes a JSON object such as '{{\"style_weight\": 3}}' or QUICK_SETTINGS "
            f"({exc})"
        ) from None
    if not isinstance(settings, dict):
        raise argparse.ArgumentTypeError(
            "--settings takes a JSON object, e.g. '{\"tv_weight\": 0}'"
        )
    return settings


def main(argv: list[str] | None = None) -> int:
    """Race every pair and size and write their section of ``speed.md``; 1 if one failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--pairs", type=int, default=len(common.PAIRS), help="how many pairs")
    parser.add_argument(
        "--only", type=int, nargs="+", default=None, help="only these pairs (1-based numbers)"
    )
    parser.add_argument("--tutorial-steps", type=int, default=common.TUTORIAL_STEPS)
    parser.add_argument("--max-steps", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="CI's check: 64 px, a few steps")
    parser.add_argument(
        "--settings",
        default="{}",
        type=settings_from,
        help="run settings (JSON of TransferSettings fields, or QUICK_SETTINGS; default: the "
        "defaults); set-up fields such as style_layers prepare the transfer",
    )
    parser.add_argument("--out", default=str(common.RESULTS), help="folder for speed.md")
    parser.add_argument("--section", default=None, help="section title (default: settings, CPU)")
    parser.add_argument("--json", default=None, help="also write the raw figures to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(worker(json.loads(args.worker))), flush=True)
        return 0
    quick = common.quick_mode(args.quick)
    if quick:
        args.sizes, args.pairs, args.only = [64], 1, None
        args.tutorial_steps, args.max_steps = 3, 3
    if args.only and not all(1 <= number <= len(common.PAIRS) for number in args.only):
        parser.error(f"--only takes pair numbers from 1 to {len(common.PAIRS)}")
    if args.only:
        pairs = [common.PAIRS[number - 1] for number in args.only]
    else:
        pairs = common.PAIRS[: args.pairs]
    rows, failed = [], 0
    for size in args.sizes:
        for content, style in pairs:
            config = {
                "content": content,
                "style": style,
                "size": size,
                "tutorial_steps": args.tutorial_steps,
                "max_steps": args.max_steps,
                "settings": args.settings,
                "rounds": 1 if quick else 4,
            }
            row = run_one(config, in_process=quick)
            if row is None:
                failed += 1
                continue
            rows.append(row)
            r, t = row["race"], row["tutorial"]["final"]
            given = json.dumps(args.settings) if args.settings else "(defaults)"
            print(
                f"{size} px {content} x {style}: tutorial (style {t['style']:.3f}, content "
                f"{t['content']:.3f}); run {given} "
                f"reached={r['reached']} in {r['units']:.1f} units = {row['ratio']:.3f} of the "
                f"tutorial's time (wall {row['wall_ratio']:.3f}); "
                f"peak {row['peak_rss_mb']:.0f} MB",
                flush=True,
            )
    if args.json:
        common.write_text_atomic(Path(args.json), json.dumps({"rows": rows}, indent=1))
    cpu = common.cpu_flags()
    what = (
        "QUICK_SETTINGS"
        if is_quick_settings(args.settings)
        else (json.dumps(args.settings) if args.settings else "Default settings")
    )
    sizes = ", ".join(str(size) for size in args.sizes)
    title = args.section or (
        f"{what}, {sizes} px{' (quick check)' if quick else ''}, on {cpu['model']}"
    )
    body = table(rows, cpu)
    common.write_section(Path(args.out) / "speed.md", title, body, HEADING)
    print(f"## {title}\n\n{body}")
    return 1 if failed or not rows else 0


def is_quick_settings(settings: dict) -> bool:
    """Whether ``settings`` are exactly ``labhelpers.QUICK_SETTINGS``."""
    from labhelpers import QUICK_SETTINGS

    return bool(settings) and json.dumps(settings, sort_keys=True, default=str) == json.dumps(
        dict(QUICK_SETTINGS), sort_keys=True, default=str
    )


def run_one(config: dict, in_process: bool) -> dict | None:
    """One pair at one size, in a worker process (its own peak memory) or in this one."""
    if in_process:
        return {"cpu": common.cpu_flags(), **worker(config)}
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
            f"{config['content']} x {config['style']} at {config['size']} px failed:\n"
            f"{proc.stderr[-2000:]}",
            flush=True,
        )
        return None
    return {"cpu": common.cpu_flags(), **json.loads(lines[-1][len("RESULT ") :])}


def table(rows: list[dict], cpu: dict) -> str:
    """The section's text: the CPU line(s) and one table row per pair and size."""
    cpus = {row["cpu"]["model"]: row["cpu"] for row in rows} or {cpu["model"]: cpu}
    lines = [common.cpu_line(c) for c in cpus.values()] + [time.strftime("%Y-%m-%d") + "."]
    lines += [
        "",
        "| size | pair | run settings | tutorial (style, content) | run's best (style, content) "
        "| reached | units | ratio (evaluations x s/eval in turns) | target | wall ratio "
        "| peak MB | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        t, r = row["tutorial"]["final"], row["race"]
        target = TARGETS.get(row["size"])
        met = r["reached"] and row["ratio"] <= target if target else False
        verdict = "" if target is None else ("met" if met else "not met")
        settings = json.dumps(row["settings"]) if row.get("settings") else "defaults"
        lines.append(
            f"| {row['size']} | {row['content']} x {row['style']} | {settings} | "
            f"({t['style']:.3f}, {t['content']:.3f}) | "
            f"({r['final']['style']:.3f}, {r['final']['content']:.3f}) | {r['reached']} | "
            f"{r['units']:.1f} | {row['ratio']:.3f} | {verdict} | {row['wall_ratio']:.3f} | "
            f"{row['peak_rss_mb']:.0f} | {row['load']:.1f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
