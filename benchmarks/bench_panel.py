"""Benchmark: the lesson panel's default Run at 256 px, in tutorial-step times measured in the same run.

Usage::

    .venv/bin/python benchmarks/bench_panel.py [--runs 3]

How it counts: the panel is built with its defaults (256 px, the default steps and weights) and
prepared before the clock starts, as showing it does in background mode (``panel.runner.prepare``:
VGG16 loaded, the targets of every stage computed, the loss traced by one evaluation per stage);
``--no-warm-up`` prepares the targets only (``panel.transfer_for()``), as a Colab panel is before its
first Run, so that Run 1 also traces the compiled loss. The clock starts when Run is pressed
(``panel.run(wait=True)``) and records the first preview shown and the run's end; runs 2.. are what
a student sees on every later slider move.
One tutorial step (256 px, ``common.build_tutorial``) is timed before and after, and again just before
each run ("in turns": the machine's speed drifts between runs). Targets: first
preview within 2 tutorial-step times, finished within 15. Writes ``benchmarks/results/panel.md|json`` (``--stem`` names other files).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import common  # noqa: E402


def tutorial_stepper(features):
    """A function that times ``rounds`` tutorial steps (256 px, the first pair) and returns the median (s)."""
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--stem", default="panel", help="results file name in benchmarks/results/ (default: panel)"
    )
    parser.add_argument(
        "--no-warm-up",
        action="store_true",
        help="prepare the targets only, not the loss's first trace (Colab's first Run)",
    )
    args = parser.parse_args(argv)
    os.environ.pop("LAB_FAST", None)
    from labhelpers.lessons.panel import StyleTransferPanel

    features = common.extractor()
    before = tutorial_step_seconds(features)
    panel = StyleTransferPanel(extractor=features, background=False, output_dir="/tmp")
    if args.no_warm_up:
        panel.transfer_for()
    else:
        panel.runner.prepare(panel.request(), wait=True)
    events = panel.runner.events
    shown = {"first": None, "start": 0.0, "max_total": 0.0, "first_total": None}
    original = events.preview

    def preview(step, steps, image, record):
        if shown["first"] is None:
            shown["first"] = time.perf_counter() - shown["start"]
        original(step, steps, image, record)

    events.preview = preview
    rows = []
    step_now = tutorial_stepper(features)
    for run in range(1, args.runs + 1):
        turn_step = step_now(
            5
        )  # a tutorial step timed just before this run: the machine's speed drifts
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
    from labhelpers.images import save_image

    save_image(result.image, "/tmp/panel_default_run.png", overwrite=True)  # to look at
    after = tutorial_step_seconds(features)
    step = 0.5 * (before + after)
    for row in rows:
        row["first_preview_steps"] = row["first_preview_s"] / step
        row["finished_steps"] = row["finished_s"] / step
        row["finished_steps_in_turns"] = row["finished_s"] / row["turn_step_s"]
    cpu = common.cpu_flags()
    figures = {
        "cpu": cpu,
        "tutorial_step_seconds": {"before": before, "after": after},
        "rows": rows,
        "settings": {
            k: (v if isinstance(v, (int, float, str, type(None), list, tuple)) else str(v))
            for k, v in panel.settings().as_dict().items()
        },
        "load": os.getloadavg()[0],
        "prepared": "targets only" if args.no_warm_up else "targets and warm-up (as when shown)",
    }
    (common.RESULTS / f"{args.stem}.json").write_text(json.dumps(figures, indent=1, default=str))
    lines = [
        "# The panel's default Run at 256 px",
        "",
        f"CPU: {cpu['model']}, {cpu['cores']} cores; load {figures['load']:.1f}. One tutorial step: "
        f"{before:.3f} s before, {after:.3f} s after. Settings: steps {panel.settings().steps}, stages "
        f"{rows[0]['stages']} ({rows[0]['stage_steps']} evaluations). Prepared before Run 1: {figures['prepared']}.",
        "",
        "| run | first preview (s) | in tutorial steps (target 2) | finished (s) | in tutorial steps (target 15) "
        "| in turns (a tutorial step timed just before the run) | first total | largest total | final total |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['run']} | {row['first_preview_s']:.2f} | {row['first_preview_steps']:.1f} | "
            f"{row['finished_s']:.1f} | {row['finished_steps']:.1f} | {row['finished_steps_in_turns']:.1f} "
            f"({row['turn_step_s']:.3f} s) | {row['first_total']:.3g} | "
            f"{row['max_total']:.3g} | {row['final_total']:.3g} |"
        )
    (common.RESULTS / f"{args.stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
