"""Console-safe printing: the checkers' verdicts on a console that cannot encode emoji."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from labhelpers.console import console_print, plain_text

ROOT = Path(__file__).resolve().parent.parent


def test_plain_text_by_hand():
    # cp1252 has the ellipsis and the multiplication sign, not the emoji or the arrow
    assert (
        plain_text("\u2705 ok \u2026 3\u00d74 \u2192 x", "cp1252")
        == "[ok] ok \u2026 3\u00d74 -> x"
    )
    assert plain_text("\u26a0\ufe0f broke", "ascii") == "[!] broke"
    assert plain_text("na\u00efve \u274c \u4e2d", "ascii") == "na?ve [x] ?"
    assert plain_text("\u2705 unchanged", "utf-8") == "\u2705 unchanged"


def test_console_print_degrades_on_a_strict_cp1252_stream():
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="cp1252", errors="strict", newline="\n")
    console_print("\u23f3 gram_matrix:", "not yet", file=stream)
    stream.flush()
    assert raw.getvalue() == b"[todo] gram_matrix: not yet\n"


def test_console_print_keeps_emoji_where_they_encode():
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
    console_print("\u2705 done", file=stream, end="!\n")
    stream.flush()
    assert raw.getvalue().decode("utf-8") == "\u2705 done!\n"


CHECKER_SCRIPT = textwrap.dedent('''
    import labhelpers
    from labhelpers.losses import gram_matrix

    def unfinished(features):
        raise NotImplementedError

    def doubled(features):
        print("\\u2764 debugging")  # a student's own emoji in the captured output
        return 2 * gram_matrix(features)

    def broken_check(fn):
        raise RuntimeError("\\u2639")

    assert labhelpers.check_gram_matrix(gram_matrix) is True
    assert labhelpers.check_gram_matrix(unfinished) is False
    assert labhelpers.check_gram_matrix(doubled) is False
    labhelpers.use_if_correct(doubled, broken_check, gram_matrix)
    print("DONE")
''')


def test_a_checker_prints_on_a_cp1252_console():
    """Windows' legacy console code page: every verdict prints, with plain-text markers."""
    env = dict(
        os.environ,
        PYTHONIOENCODING="cp1252:strict",
        LAB_FAST="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    result = subprocess.run(
        [sys.executable, "-c", CHECKER_SCRIPT], capture_output=True, env=env, timeout=300
    )
    out = result.stdout.decode("cp1252")
    assert result.returncode == 0, (out + result.stderr.decode("cp1252", "replace"))[-3000:]
    assert "UnicodeEncodeError" not in out and out.rstrip().endswith("DONE")
    for marker in (
        "[ok] gram_matrix:",
        "[todo] gram_matrix:",
        "[x] gram_matrix:",
        "[!] the check",
        "[!] Not passed: this exercise counts as NOT passed",
        "? debugging",
    ):
        assert marker in out, f"{marker!r} missing from:\n{out}"
