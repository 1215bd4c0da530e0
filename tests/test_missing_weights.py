"""Without the prepared VGG16 weights a test run stops with one message saying how to get them
(tests/conftest.py), or skips those tests when LAB_SKIP_WEIGHT_TESTS=1; it never downloads.

Each case runs pytest in a subprocess on two tests of tests/network/test_weights.py that need the
weights, with LAB_CACHE_DIR an empty temporary folder and LAB_WEIGHTS unset.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Two tests that need the converted weights and the archive (``extractor``, ``original_pairs``).
NEEDING_WEIGHTS = "converted_weights_equal_the_original_arrays or pinned_hashes_match"


def run_pytest(cache: Path, **variables: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAB_")}
    env.update(LAB_CACHE_DIR=str(cache), LAB_FAST="1", PYTHONPATH=str(ROOT), **variables)
    command = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"]
    command += ["tests/network/test_weights.py", "-k", NEEDING_WEIGHTS]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_a_run_without_the_weights_fails_saying_how_to_get_them(tmp_path):
    done = run_pytest(tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "2 of the collected tests need the real VGG16 weights" in output
    assert f"not prepared in {tmp_path}" in output
    assert "`python -m labhelpers weights`" in output
    assert "LAB_SKIP_WEIGHT_TESTS=1" in output
    assert " passed" not in output and " skipped" not in output  # stopped before any test ran
    assert list(tmp_path.iterdir()) == []  # nothing was downloaded or written


def test_the_opt_out_skips_those_tests_with_the_same_message(tmp_path):
    done = run_pytest(tmp_path, LAB_SKIP_WEIGHT_TESTS="1")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "2 skipped" in output
    assert "`python -m labhelpers weights`" in output
    assert list(tmp_path.iterdir()) == []
