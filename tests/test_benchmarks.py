"""The product benchmarks still run: each one in its quick mode, into a temporary folder.

``benchmarks/bench_{lessons,panel,speed,stylize,fast}.py`` are rerun by hand to measure (see
``benchmarks/README.md``); nothing else imports them, so a change in ``labhelpers`` could break
them unnoticed. Here each runs in a subprocess with ``LAB_BENCH_QUICK=1`` (or ``--quick``), which
caps its sizes, steps and notebooks to seconds, and must print its table and write its section
into ``--out`` (never into ``benchmarks/results/``). The figures of a quick run measure nothing;
only that the script works is checked. They need the VGG16 weights that
``python -m labhelpers weights`` prepares, and fail (with that advice) without them.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"

#: product -> (the first cells of its table's header row, the words its section title has)
PRODUCTS = {
    "lessons": ("| notebook | seconds |", "Fast mode (LAB_FAST=1), quick check, on "),
    "panel": (
        "| run | first preview (s) |",
        "Default Run, prepared when shown (quick check), on ",
    ),
    "speed": ("| size | pair | run settings |", "Default settings, 64 px (quick check), on "),
    "stylize": (
        "| size (px) | function | s/eval |",
        "stylize against the tutorial (quick check) on ",
    ),
    "fast": (
        "| painting | photo (held out) | stylize (s) |",
        "fast_stylize against stylize (quick check) on ",
    ),
}


def load_common():
    """``benchmarks/common.py`` as a module (the benchmarks are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("bench_common", BENCHMARKS / "common.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_product(name: str, out: Path, how: str) -> subprocess.CompletedProcess:
    """Run ``bench_<name>.py`` in quick mode (``how``: "env" or "flag") with results in ``out``."""
    env = {key: value for key, value in os.environ.items() if key != "LAB_FAST"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    args = [sys.executable, str(BENCHMARKS / f"bench_{name}.py"), "--out", str(out)]
    if how == "env":
        env["LAB_BENCH_QUICK"] = "1"
    else:
        env.pop("LAB_BENCH_QUICK", None)
        args.append("--quick")
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)


@pytest.mark.parametrize(
    ("name", "how"),
    [
        ("lessons", "env"),
        ("panel", "flag"),
        ("speed", "env"),
        ("stylize", "env"),
        ("fast", "flag"),
    ],
)
def test_each_product_runs_in_quick_mode(name, how, tmp_path):
    """The product exits 0, prints its table and writes one section into ``--out`` only."""
    results = BENCHMARKS / "results" / f"{name}.md"
    before = results.read_bytes()
    proc = run_product(name, tmp_path, how)
    advice = (
        f"bench_{name}.py --quick failed (exit {proc.returncode}); if the VGG16 weights are "
        "missing, run `python -m labhelpers weights` first.\n" + proc.stderr[-3000:]
    )
    assert proc.returncode == 0, advice
    header, title = PRODUCTS[name]
    assert header in proc.stdout, proc.stdout[-3000:]
    written = (tmp_path / f"{name}.md").read_text(encoding="utf-8")
    sections = [line for line in written.splitlines() if line.startswith("## ")]
    assert len(sections) == 1 and sections[0].startswith(f"## {title}"), sections
    assert "CPU: " in written and "avx2" in written, "every figure names its CPU and flags"
    rows = [line for line in written.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) >= 2, f"a header and at least one measured row:\n{written}"
    assert results.read_bytes() == before, f"quick mode wrote into {results}"
    assert not list(tmp_path.glob(".*.tmp")), "a temporary file was left behind"


def test_write_section_replaces_only_its_own_section(tmp_path):
    """A rerun replaces its section; another title is appended; the rest is kept verbatim."""
    common = load_common()
    path = tmp_path / "product.md"
    common.write_section(path, "On CPU A", "table A1", "Product")
    common.write_section(path, "On CPU B", "\ntable B\n\n", "ignored once the file exists")
    common.write_section(path, "On CPU A", "table A2", "ignored")
    assert path.read_text(encoding="utf-8") == (
        "# Product\n\n## On CPU A\n\ntable A2\n\n## On CPU B\n\ntable B\n"
    )


def test_write_section_keeps_a_files_preamble(tmp_path):
    """Text between the title and the first section (the file's introduction) survives."""
    common = load_common()
    path = tmp_path / "product.md"
    path.write_text("# Product\n\nIntro line.\n\n## Old\n\nold table\n", encoding="utf-8")
    common.write_section(path, "New", "new table", "unused")
    assert path.read_text(encoding="utf-8") == (
        "# Product\n\nIntro line.\n\n## Old\n\nold table\n\n## New\n\nnew table\n"
    )


@pytest.mark.parametrize(
    ("flag", "value", "expected"),
    [
        (False, None, False),
        (False, "", False),
        (False, "0", False),
        (False, "1", True),
        (True, None, True),
        (True, "0", True),
    ],
)
def test_quick_mode_follows_the_flag_or_the_variable(monkeypatch, flag, value, expected):
    """``--quick`` always wins; otherwise ``LAB_BENCH_QUICK`` set to anything but 0 or empty."""
    common = load_common()
    if value is None:
        monkeypatch.delenv("LAB_BENCH_QUICK", raising=False)
    else:
        monkeypatch.setenv("LAB_BENCH_QUICK", value)
    assert common.quick_mode(flag) is expected


def test_every_product_benchmark_is_run_here():
    """A new ``bench_*.py`` must join ``PRODUCTS`` (and the README's table), or it can rot."""
    scripts = sorted(path.stem.removeprefix("bench_") for path in BENCHMARKS.glob("bench_*.py"))
    assert scripts == sorted(PRODUCTS)
    readme = (BENCHMARKS / "README.md").read_text(encoding="utf-8")
    assert all(f"bench_{name}.py" in readme for name in PRODUCTS)


def lesson_rows(text: str, column: int) -> dict[str, str]:
    """``{notebook: cell}`` of the Markdown table rows whose first cell names a notebook."""
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        name = cells[0].strip("`")
        if line.startswith("| ") and name[:2].isdigit() and "_" in name:
            rows[name] = cells[column]
    return rows


def test_lesson_times_in_readme_and_instructors_are_the_measured_ones():
    """The README and INSTRUCTORS.md quote the same run: the EPYC section of lessons.md."""
    results = (BENCHMARKS / "results" / "lessons.md").read_text(encoding="utf-8")
    epyc = results.split("## Full size on AMD EPYC", 1)[1].split("\n## ", 1)[0]
    assert "avx512_bf16 True, amx_bf16 False" in epyc, "the CPU the docs name"
    seconds = {name: float(cell) for name, cell in lesson_rows(epyc, 1).items()}
    steps = {name: int(cell) for name, cell in lesson_rows(epyc, 3).items()}
    # A notebook measured only on another CPU is quoted as its time relative to 07_style_transfer
    # measured in the same run (the baseline beside it) times 07's EPYC figures.
    for section in results.split("\n## ")[1:]:
        rows = lesson_rows(section, 1)
        if "07_style_transfer" not in rows:
            continue
        for name in sorted(set(rows) - set(seconds)):
            ratio = float(rows[name]) / float(rows["07_style_transfer"])
            seconds[name] = ratio * seconds["07_style_transfer"]
            steps[name] = round(ratio * steps["07_style_transfer"])
    notebooks = sorted(path.stem for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(seconds) == notebooks, "every notebook measured, and no other"

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quoted = lesson_rows(readme, 2)
    assert quoted == {name: f"{round(value)} s" for name, value in seconds.items()}
    assert "AMD EPYC" in readme and "avx512_bf16" in readme and "no AMX" in readme

    guide = (ROOT / "notebooks" / "INSTRUCTORS.md").read_text(encoding="utf-8")
    guide_times = lesson_rows(guide.split("## How long each lesson takes", 1)[1], 1)
    for name, cell in guide_times.items():
        assert cell.startswith(f"{round(seconds[name])} s = {steps[name]}"), (name, cell)
    assert sorted(guide_times) == notebooks
