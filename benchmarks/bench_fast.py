"""Benchmark: lesson 09's trained networks (``fast_stylize``) against the default ``stylize``.

Usage (Linux: the figures read /proc and the load average)::

    .venv/bin/python benchmarks/bench_fast.py              # about 10 minutes on two cores
    .venv/bin/python benchmarks/bench_fast.py --no-1024    # without stylize's 1024 px run
    .venv/bin/python benchmarks/bench_fast.py --quick      # CI's check: 64 px, one pair

What it measures, on the photos no network trains on (``HELD_OUT``: grace_hopper, honey_bee)
and each bundled painting with a shipped network:

- **time**: ``stylize(photo, painting, size=256)`` with its defaults (one call, VGG16 already
  loaded: targets, tracing and the optimisation), and ``fast_stylize(photo, painting, 256)`` (the
  best of ``--repeats`` calls after one that traces the network for the size; loading the photo
  and scaling it included), timed in turns in the same process. Target: the network at least 100x
  faster at 256 px. The same at 512 px (one pair) and 1024 px (one pair; ``--no-1024`` skips
  ``stylize`` there, the network is always timed).
- **quality**: both pictures' weight-free distances (``common.Distances``: the mean relative Gram
  error over the five style layers and the relative block4_conv2 error, the painting and the photo
  at 256 px). Targets: the network's distance at most 1.3x ``stylize``'s on average over the
  pairs, and never above 1.5x, for each of the two distances; where not, by how much.

Quick mode (``--quick`` or ``LAB_BENCH_QUICK=1``): 64 and 128 px, the first painting and photo,
``stylize`` with 3 evaluations, no 512/1024 px ``stylize``. Its figures measure nothing.

Writes the section ``fast_stylize against stylize on <CPU>`` (or ``--section``) of
``benchmarks/results/fast.md`` (``--out`` names another folder); ``--json FILE`` also keeps the
raw figures; ``--pictures FOLDER`` saves each pair's two pictures as PNG files to look at.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import common  # noqa: E402

HEADING = "Lesson 09's networks against stylize (benchmarks/bench_fast.py)"
SPEED_TARGET, MEAN_TARGET, WORST_TARGET = 100.0, 1.3, 1.5


def fast_seconds(photo: np.ndarray, painting: str, size: int, repeats: int) -> float:
    """The best of ``repeats`` ``fast_stylize`` calls (after one that traces for the size)."""
    from labhelpers import fast_stylize

    fast_stylize(photo, painting, size=size)
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fast_stylize(photo, painting, size=size)
        best = min(best, time.perf_counter() - start)
    return float(best)


def stylize_run(features, photo: np.ndarray, painting: str, size: int, steps: int | None):
    """``(seconds, picture)`` of one default ``stylize`` call (``steps`` only in quick mode)."""
    from labhelpers import stylize

    options = {"size": size, "extractor": features}
    if steps is not None:
        options["steps"] = steps
    start = time.perf_counter()
    result = stylize(photo, painting, **options)
    return time.perf_counter() - start, result.image


def main(argv: list[str] | None = None) -> int:
    """Time and compare, and write the section of ``fast.md``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI's check: 64 px, one pair")
    parser.add_argument("--repeats", type=int, default=5, help="fast_stylize calls per timing")
    parser.add_argument("--no-1024", action="store_true", help="no stylize run at 1024 px")
    parser.add_argument("--out", default=str(common.RESULTS), help="folder for fast.md")
    parser.add_argument("--section", default=None, help="section title (default: the CPU)")
    parser.add_argument("--json", default=None, help="also write the raw figures to this file")
    parser.add_argument("--pictures", default=None, help="save the pictures into this folder")
    args = parser.parse_args(argv)
    quick = common.quick_mode(args.quick)
    os.environ.pop("LAB_FAST", None)
    from labhelpers import available_networks, load_image, resize_to
    from labhelpers.feedforward.library import training_record
    from labhelpers.feedforward.photos import HELD_OUT
    from labhelpers.images import list_images, save_image

    paintings = [p for p in list_images("style") if p in available_networks()]
    photos = list(HELD_OUT)
    size, sizes, steps = (64, (128,), 3) if quick else (256, (512, 1024), None)
    if quick:
        paintings, photos = paintings[:1], photos[:1]
    repeats = 1 if quick else args.repeats
    features = common.extractor()
    rows = []
    for painting in paintings:
        for name in photos:
            photo, art = common.load_pair(name, painting, size)
            distances = common.Distances(features, photo, art)
            fast = fast_seconds(photo, painting, size, repeats)
            slow, slow_picture = stylize_run(features, photo, painting, size, steps)
            from labhelpers import fast_stylize

            fast_picture = fast_stylize(photo, painting, size=size)
            row = {
                "painting": painting,
                "photo": name,
                "fast_s": fast,
                "stylize_s": slow,
                "fast": distances(fast_picture),
                "stylize": distances(slow_picture),
            }
            rows.append(row)
            print(
                f"{painting} x {name}: stylize {slow:.1f} s, network {fast * 1000:.1f} ms; "
                f"distances {row['stylize']} vs {row['fast']}",
                flush=True,
            )
            if args.pictures:
                folder = Path(args.pictures)
                folder.mkdir(parents=True, exist_ok=True)
                for kind, picture in (("stylize", slow_picture), ("network", fast_picture)):
                    save_image(picture, folder / f"{name}_x_{painting}_{kind}.png", overwrite=True)
    larger = []
    for big in sizes:
        photo = load_image(photos[0])
        fast = fast_seconds(resize_to(photo, big), paintings[0], big, repeats)
        slow = None
        if not quick and not (big == 1024 and args.no_1024):
            slow, _ = stylize_run(features, resize_to(photo, big), paintings[0], big, None)
        larger.append({"size": big, "fast_s": fast, "stylize_s": slow})
        print(
            f"{big} px: network {fast * 1000:.0f} ms, stylize "
            f"{'-' if slow is None else f'{slow:.1f} s'}",
            flush=True,
        )

    cpu = common.cpu_flags()
    ratios = {
        kind: [r["fast"][kind] / r["stylize"][kind] for r in rows] for kind in ("style", "content")
    }
    speedups = [r["stylize_s"] / r["fast_s"] for r in rows]
    lines = [
        f"{common.cpu_line(cpu)} Load {os.getloadavg()[0]:.1f}. {time.strftime('%Y-%m-%d %H:%M')}."
        f" Quick mode: {quick}. VGG16: torchvision. stylize: its defaults"
        f"{f' but {steps} evaluations' if steps else ''} (size {size} px, coarse-to-fine, "
        "L-BFGS, style weight 10), VGG16 loaded beforehand; network: best of "
        f"{repeats} calls after one tracing call. Photos never trained on: {', '.join(photos)}.",
        "",
        "| painting | photo (held out) | stylize (s) | network (ms) | faster | style: stylize "
        "| network | ratio | content: stylize | network | ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row, speed, rs, rc in zip(rows, speedups, ratios["style"], ratios["content"]):
        lines.append(
            f"| {row['painting']} | {row['photo']} | {row['stylize_s']:.1f} | "
            f"{row['fast_s'] * 1000:.1f} | {speed:.0f}x | {row['stylize']['style']:.3f} | "
            f"{row['fast']['style']:.3f} | {rs:.2f} | {row['stylize']['content']:.3f} | "
            f"{row['fast']['content']:.3f} | {rc:.2f} |"
        )
    lines += ["", "| size (px) | network (ms) | stylize (s) | faster |", "|---|---|---|---|"]
    lines.append(
        f"| {size} (the pairs above, median) | {np.median([r['fast_s'] for r in rows]) * 1000:.1f}"
        f" | {np.median([r['stylize_s'] for r in rows]):.1f} | {np.median(speedups):.0f}x |"
    )
    for big in larger:
        slow = "-" if big["stylize_s"] is None else f"{big['stylize_s']:.1f}"
        times = "-" if big["stylize_s"] is None else f"{big['stylize_s'] / big['fast_s']:.0f}x"
        lines.append(
            f"| {big['size']} ({photos[0]} x {paintings[0]}) | {big['fast_s'] * 1000:.0f} | "
            f"{slow} | {times} |"
        )
    verdicts = []
    worst_speed = min(speedups)
    verdicts.append(
        f"{'PASS' if worst_speed >= SPEED_TARGET else 'FAIL'}: at {size} px the network is "
        f"{worst_speed:.0f}x to {max(speedups):.0f}x faster than stylize (target >= "
        f"{SPEED_TARGET:.0f}x)"
    )
    for kind in ("style", "content"):
        mean, worst = float(np.mean(ratios[kind])), float(np.max(ratios[kind]))
        verdicts.append(
            f"{'PASS' if mean <= MEAN_TARGET else 'FAIL'}: {kind} distance, network / stylize "
            f"on average {mean:.2f}x (target <= {MEAN_TARGET}x"
            + ("" if mean <= MEAN_TARGET else f"; {mean / MEAN_TARGET:.2f}x over it")
            + ")"
        )
        verdicts.append(
            f"{'PASS' if worst <= WORST_TARGET else 'FAIL'}: {kind} distance, network / stylize "
            f"at worst {worst:.2f}x (target <= {WORST_TARGET}x"
            + ("" if worst <= WORST_TARGET else f"; {worst / WORST_TARGET:.2f}x over it")
            + ")"
        )
    records = {p: training_record(p) for p in paintings}
    lines += ["", "Targets:", ""] + [f"- {v}" for v in verdicts]
    lines += ["", "The networks (labhelpers/feedforward/networks/*.json):", ""]
    for painting, record in records.items():
        lines.append(
            f"- {painting}: {record.get('steps')} steps in {record.get('seconds')} s, seed "
            f"{record.get('seed')}, {len(record.get('photos', []))} training photos, "
            f"{record.get('network', {}).get('file_bytes', 0) / 1e3:.0f} KB"
        )
    body = "\n".join(lines)
    figures = {"cpu": cpu, "rows": rows, "larger": larger, "quick": quick, "records": records}
    if args.json:
        common.write_text_atomic(Path(args.json), json.dumps(figures, indent=1, default=str))
    title = args.section or (
        f"fast_stylize against stylize{' (quick check)' if quick else ''} on {cpu['model']}"
    )
    common.write_section(Path(args.out) / "fast.md", title, body, HEADING)
    print(f"## {title}\n\n{body}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
