"""Benchmark: the lesson panel's default Run at 256 px, in tutorial-step times of the same run.

Usage (Linux: the figures read /proc and the load average)::

    .venv/bin/python benchmarks/bench_panel.py [--runs 3]    # about a minute
    .venv/bin/python benchmarks/bench_panel.py --no-warm-up  # Colab's first Run
    .venv/bin/python benchmarks/bench_panel.py --quick       # CI's check: one Run

How it counts: the panel is built with its defaults (256 px, the default steps and weights) and
prepared before the clock starts, as showing it does in background mode
(``panel.runner.prepare``: VGG16 loaded, the targets of every stage computed, the loss traced by
one evaluation per stage); ``--no-warm-up`` prepares the targets only (``panel.transfer_for()``),
as a Colab panel is before its first Run, so that Run 1 also traces the compiled loss. The clock
starts when Run is pressed (``panel.run(wait=True)``) and records the first preview shown and the
run's end; runs 2.. are what a student sees on every later slider move. One tutorial step (256 px,
``common.build_tutorial``) is timed before and after, and again just before each run ("in turns":
the machine's speed drifts between runs). Targets: first preview within 2 tutorial-step times,
finished within 15.

Quick mode (``--quick`` or ``LAB_BENCH_QUICK=1``): one Run, one tutorial step per timing.

Writes the section ``Default Run ... on <CPU>`` (or ``--section``) of
``benchmarks/results/panel.md`` (``--out`` names another folder); ``--json FILE`` also keeps the
raw figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import common  # noqa: E402

HEADING = "The panel's default Run at 256 px (benchmarks/bench_panel.py)"


def tutorial_stepper(features):
    """A function ``f(rounds)``: the median seconds of ``rounds`` tutorial steps (256 px)."""
    content, style = common.load_pair(*common.PAIRS[0], 256)
    train_step, image = common.build_tutorial(features, content, style)
    train_step(image).numpy()

    def median_seconds(rounds: int = 6) -> float:
        times = []
        for _ in range(rounds):
            t = time.perf_counter()
            train_step(image).numpy()
            times.append(time.perf_counter() - t)
        return float(sorted(times)[len(times) // 2])

    return median_seconds


def tutorial_step_seconds(features, rounds: int = 6) -> float:
    """The median of ``rounds`` tutorial steps (s), with a freshly built tutorial."""
    return tutorial_stepper(features)(rounds)


def main(argv: list[str] | None = None) -> int:
    """Time the panel's Runs and write their section of ``panel.md``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--no-warm-up",
        action="store_true",
        help="prepare the targets only, not the loss's first trace (Colab's first Run)",
    )
    parser.add_argument("--quick", action="store_true", help="CI's check: one Run")
    parser.add_argument("--out", default=str(common.RESULTS), help="folder for panel.md")
    parser.add_argument("--section", default=None, help="section title (default: mode and CPU)")
    parser.add_argument("--json", default=None, help="also write the raw figures to this file")
    args = parser.parse_args(argv)
    quick = common.quick_mode(args.quick)
    runs, rounds = (1, 1) if quick else (args.runs, 6)
    os.environ.pop("LAB_FAST", None)
    from labhelpers import StyleTransferPanel
    from labhelpers.images import save_image

    scratch = Path(tempfile.mkdtemp(prefix="bench_panel_"))  # the panel's saved pictures
    features = common.extractor()
    before = tutorial_step_seconds(features, rounds)
    panel = StyleTransferPanel(extractor=features, background=False, output_dir=str(scratch))
    if args.no_warm_up:
        panel.transfer_for()
    else:
        panel.runner.prepare(panel.request(), wait=True)
    events = panel.runner.events
    shown = {"first": None, "start": 0.0}
    original = events.preview

    def preview(step, steps, image, record):
        if shown["first"] is None:
            shown["first"] = time.perf_counter() - shown["start"]
        original(step, steps, image, record)

    events.preview = preview
    rows = []
    step_now = tutorial_stepper(features)
    for run in range(1, runs + 1):
        # a tutorial step timed just before this run: the machine's speed drifts
        turn_step = step_now(min(5, rounds))
        shown["first"], shown["start"] = None, time.perf_counter()
        result = panel.run(wait=True)
        total = time.perf_counter() - shown["start"]
        totals = [r["total"] for r in result.history]
        rows.append(
            {
                "run": run,
                "turn_step_s": turn_step,
                "first_preview_s": shown["first"],
                "finished_s": total,
                "evaluations": len(result.history),
                "stages": result.options["coarse_to_fine"],
                "stage_steps": result.options["stage_steps"],
                "first_total": totals[0],
                "max_total": max(totals),
                "final_total": result.final["total"],
            }
        )
    save_image(result.image, str(scratch / "panel_default_run.png"), overwrite=True)  # to look at
    print(f"the last Run's picture: {scratch / 'panel_default_run.png'}")
    after = tutorial_step_seconds(features, rounds)
    step = 0.5 * (before + after)
    for row in rows:
        row["first_preview_steps"] = row["first_preview_s"] / step
        row["finished_steps"] = row["finished_s"] / step
        row["finished_steps_in_turns"] = row["finished_s"] / row["turn_step_s"]
    cpu = common.cpu_flags()
    prepared = "targets only" if args.no_warm_up else "targets and warm-up (as when shown)"
    figures = {
        "cpu": cpu,
        "tutorial_step_seconds": {"before": before, "after": after},
        "rows": rows,
        "settings": {
            k: (v if isinstance(v, (int, float, str, type(None), list, tuple)) else str(v))
            for k, v in panel.settings().as_dict().items()
        },
        "load": os.getloadavg()[0],
        "prepared": prepared,
        "quick": quick,
    }
    if args.json:
        common.write_text_atomic(Path(args.json), json.dumps(figures, indent=1, default=str))
    mode = "no warm-up (Colab's first Run)" if args.no_warm_up else "prepared when shown"
    title = args.section or (
        f"Default Run, {mode}{' (quick check)' if quick else ''}, on {cpu['model']}"
    )
    lines = [
        f"{common.cpu_line(cpu)} Load {figures['load']:.1f}. {time.strftime('%Y-%m-%d')}.",
        f"One tutorial step: {before:.3f} s before, {after:.3f} s after. Settings: steps "
        f"{panel.settings().steps}, stages {rows[0]['stages']} ({rows[0]['stage_steps']} "
        f"evaluations). Prepared before Run 1: {prepared}.",
        "",
        "| run | first preview (s) | in tutorial steps (target 2) | finished (s) "
        "| in tutorial steps (target 15) | in turns (a tutorial step timed just before the run) "
        "| first total | largest total | final total |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['run']} | {row['first_preview_s']:.2f} | {row['first_preview_steps']:.1f} | "
            f"{row['finished_s']:.1f} | {row['finished_steps']:.1f} | "
            f"{row['finished_steps_in_turns']:.1f} ({row['turn_step_s']:.3f} s) | "
            f"{row['first_total']:.3g} | {row['max_total']:.3g} | {row['final_total']:.3g} |"
        )
    body = "\n".join(lines)
    common.write_section(Path(args.out) / "panel.md", title, body, HEADING)
    print(f"## {title}\n\n{body}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
