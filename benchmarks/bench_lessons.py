"""Benchmark: each notebook at full size, in seconds and in tutorial-step times of the same run.

Usage (Linux: the figures read /proc and the load average)::

    .venv/bin/python benchmarks/bench_lessons.py                     # every notebook, ~4 min
    .venv/bin/python benchmarks/bench_lessons.py 02_content_loss 07  # those whose names start so
    .venv/bin/python benchmarks/bench_lessons.py --fast               # LAB_FAST=1, every notebook
    .venv/bin/python benchmarks/bench_lessons.py --quick              # CI's check: 00_setup only

Each notebook is copied to a temporary folder and executed there with nbclient (outputs are never
written into ``notebooks/``), without ``LAB_FAST`` (full size) unless ``--fast``. One tutorial
step (the TensorFlow tutorial's Adam step at 256 px on the default pair, see ``common.py``) is
timed before and after each notebook, so each notebook's time is also given as a multiple of one
step; the target is 150 steps (about 2.5 minutes on two cores).

Quick mode (``--quick`` or ``LAB_BENCH_QUICK=1``): ``00_setup`` in fast mode unless notebooks are
named, one tutorial step per timing; a few seconds beyond the kernel's start.

Writes the section ``Full size on <CPU>`` (or ``--section``) of ``benchmarks/results/lessons.md``
(``--out`` names another folder); ``--json FILE`` also keeps the raw figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import common  # noqa: E402

TARGET_STEPS = 150
HEADING = "Lessons: each notebook top to bottom (benchmarks/bench_lessons.py)"


def tutorial_step_seconds(rounds: int = 8) -> float:
    """Median seconds of one tutorial step at 256 px on the default pair (in this process)."""
    features = common.extractor()
    content, style = common.load_pair(*common.PAIRS[0], 256)
    train_step, image = common.build_tutorial(features, content, style)
    train_step(image).numpy()
    times = []
    for _ in range(rounds + 2):
        t = time.perf_counter()
        train_step(image).numpy()
        times.append(time.perf_counter() - t)
    return float(sorted(times[2:])[len(times[2:]) // 2])


def run_notebook(path: Path, fast: bool, timeout_s: int, keep: Path | None = None) -> dict:
    """Execute a temporary copy of ``path``; seconds and whether it ran to the end.

    With ``keep``, the executed copy (with its outputs, to look at the pictures) is written there.
    """
    import nbformat
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / path.name
        shutil.copy(path, copy)
        notebook = nbformat.read(copy, as_version=4)
        os.environ.pop("LAB_FAST", None)  # the kernel inherits this process's environment
        if fast:
            os.environ["LAB_FAST"] = "1"
        client = NotebookClient(
            notebook,
            timeout=timeout_s,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        start = time.perf_counter()
        error = None
        try:
            client.execute()
        except Exception as exc:  # noqa: BLE001 - a row of the table; the rest still run
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]
        seconds = time.perf_counter() - start
        if keep is not None:
            common.write_text_atomic(keep / path.name, nbformat.writes(notebook))
        return {"notebook": path.stem, "seconds": seconds, "error": error}


def main(argv: list[str] | None = None) -> int:
    """Run the notebooks and write their section of ``lessons.md``; 1 if any notebook failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebook name prefixes (default: all)")
    parser.add_argument("--fast", action="store_true", help="LAB_FAST=1 (tiny pictures)")
    parser.add_argument("--quick", action="store_true", help="CI's check: 00_setup, fast mode")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--out", default=str(common.RESULTS), help="folder for lessons.md")
    parser.add_argument("--section", default=None, help="section title (default: mode and CPU)")
    parser.add_argument("--json", default=None, help="also write the raw figures to this file")
    parser.add_argument("--keep", default=None, help="write the executed notebooks here")
    args = parser.parse_args(argv)
    quick = common.quick_mode(args.quick)
    fast = args.fast or quick
    names = args.names or (["00_setup"] if quick else [])
    rounds = 1 if quick else 8

    notebooks = sorted((common.ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if names:
        notebooks = [p for p in notebooks if any(p.stem.startswith(n) for n in names)]
    if not notebooks:
        parser.error(f"no notebook in notebooks/ starts with {' or '.join(names)}")
    # one tutorial step is timed before the first notebook and after each one; a notebook is
    # counted in the mean of the steps timed just before and just after it (the same load, as
    # near as can be)
    steps = [tutorial_step_seconds(rounds)]
    before = steps[0]
    print(f"one tutorial step (256 px): {before:.3f} s; load {os.getloadavg()[0]:.2f}", flush=True)
    rows = []
    for path in notebooks:
        row = run_notebook(path, fast, args.timeout, Path(args.keep) if args.keep else None)
        row["load"] = os.getloadavg()[0]
        steps.append(tutorial_step_seconds(rounds))
        row["tutorial_step_seconds"] = 0.5 * (steps[-2] + steps[-1])
        row["tutorial_steps"] = row["seconds"] / row["tutorial_step_seconds"]
        rows.append(row)
        error = "ERROR " + row["error"] if row["error"] else ""
        print(
            f"{row['notebook']:24s} {row['seconds']:7.1f} s = {row['tutorial_steps']:5.0f} "
            f"tutorial steps ({row['tutorial_step_seconds']:.3f} s each) {error}",
            flush=True,
        )
    after = steps[-1]
    cpu = common.cpu_flags()
    figures = {
        "cpu": cpu,
        "tutorial_step_seconds": {"before": before, "after": after},
        "fast_mode": fast,
        "quick": quick,
        "target_tutorial_steps": TARGET_STEPS,
        "notebooks": rows,
    }
    if args.json:
        common.write_text_atomic(Path(args.json), json.dumps(figures, indent=1))
    size = "Fast mode (LAB_FAST=1)" if fast else "Full size"
    title = args.section or f"{size}{', quick check,' if quick else ''} on {cpu['model']}"
    lines = [
        f"{common.cpu_line(cpu)} One tutorial step (256 px): {before:.3f} s before, "
        f"{after:.3f} s after the notebooks. {time.strftime('%Y-%m-%d')}.",
        "",
        "| notebook | seconds | tutorial step (s, around it) | tutorial steps | target | load "
        "| error |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        verdict = "met" if row["tutorial_steps"] <= TARGET_STEPS else "not met"
        lines.append(
            f"| {row['notebook']} | {row['seconds']:.1f} | {row['tutorial_step_seconds']:.3f} | "
            f"{row['tutorial_steps']:.0f} | {verdict} | {row['load']:.1f} | {row['error'] or ''} |"
        )
    body = "\n".join(lines)
    common.write_section(Path(args.out) / "lessons.md", title, body, HEADING)
    print(f"## {title}\n\n{body}")
    return 1 if any(row["error"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
