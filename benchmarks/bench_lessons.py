"""Benchmark: each notebook at full size, in seconds and in tutorial-step times measured in the same run.

Usage::

    .venv/bin/python benchmarks/bench_lessons.py                      # every notebook in notebooks/
    .venv/bin/python benchmarks/bench_lessons.py 02_content_loss 07   # the ones whose names start so
    .venv/bin/python benchmarks/bench_lessons.py --quick              # LAB_FAST=1 (a smoke run, ~2 min)

Each notebook is copied to a temporary folder and executed there with nbclient (outputs are never
written into ``notebooks/``), without ``LAB_FAST`` (full size) unless ``--quick``. One tutorial step
(the TensorFlow tutorial's Adam step at 256 px on the default pair, see ``common.py``) is timed
before and after the notebooks, so each notebook's time is also given as a multiple of one step; the
target is 150 steps (about 2.5 minutes on two cores). Writes ``benchmarks/results/lessons.md`` and
``lessons.json``.
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
        except Exception as exc:  # noqa: BLE001 - reported in the table, the other notebooks still run
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]
        seconds = time.perf_counter() - start
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, keep / path.name)
        return {"notebook": path.stem, "seconds": seconds, "error": error}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebook name prefixes (default: all)")
    parser.add_argument(
        "--quick", action="store_true", help="LAB_FAST=1 (tiny pictures; a smoke run)"
    )
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument(
        "--out", default=str(common.RESULTS), help="folder for lessons.md / lessons.json"
    )
    parser.add_argument(
        "--keep", default=None, help="write the executed notebooks (with outputs) into this folder"
    )
    args = parser.parse_args(argv)

    notebooks = sorted((common.ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.names:
        notebooks = [p for p in notebooks if any(p.stem.startswith(n) for n in args.names)]
    # one tutorial step is timed before the first notebook and after each one; a notebook is counted
    # in the mean of the steps timed just before and just after it (the same load, as near as can be)
    steps = [tutorial_step_seconds()]
    before = steps[0]
    print(f"one tutorial step (256 px): {before:.3f} s; load {os.getloadavg()[0]:.2f}", flush=True)
    rows = []
    for path in notebooks:
        row = run_notebook(path, args.quick, args.timeout, Path(args.keep) if args.keep else None)
        row["load"] = os.getloadavg()[0]
        steps.append(tutorial_step_seconds())
        row["tutorial_step_seconds"] = 0.5 * (steps[-2] + steps[-1])
        row["tutorial_steps"] = row["seconds"] / row["tutorial_step_seconds"]
        rows.append(row)
        print(
            f"{row['notebook']:24s} {row['seconds']:7.1f} s = {row['tutorial_steps']:5.0f} tutorial steps "
            f"({row['tutorial_step_seconds']:.3f} s each) {'ERROR ' + row['error'] if row['error'] else ''}",
            flush=True,
        )
    after = steps[-1]
    step = 0.5 * (before + after)
    figures = {
        "cpu": common.cpu_flags(),
        "tutorial_step_seconds": {"before": before, "after": after, "used": step},
        "fast_mode": args.quick,
        "target_tutorial_steps": TARGET_STEPS,
        "notebooks": rows,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if args.quick else ""
    (out / f"lessons{suffix}.json").write_text(json.dumps(figures, indent=1))
    cpu = figures["cpu"]
    lines = [
        f"# Lessons at {'fast (LAB_FAST=1)' if args.quick else 'full'} size",
        "",
        f"CPU: {cpu['model']}, {cpu['cores']} cores; avx2 {cpu['avx2']}, avx512f {cpu['avx512f']}, "
        f"avx512_bf16 {cpu['avx512_bf16']}, amx_bf16 {cpu['amx_bf16']}. One tutorial step (256 px): "
        f"{before:.3f} s before, {after:.3f} s after the notebooks.",
        "",
        "| notebook | seconds | tutorial step (s, around it) | tutorial steps | target | load | error |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['notebook']} | {row['seconds']:.1f} | {row['tutorial_step_seconds']:.3f} | "
            f"{row['tutorial_steps']:.0f} | "
            f"{'met' if row['tutorial_steps'] <= TARGET_STEPS else 'not met'} | {row['load']:.1f} | "
            f"{row['error'] or ''} |"
        )
    (out / f"lessons{suffix}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 1 if any(row["error"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
