"""Printing that never fails on a console that cannot show every character.

Jupyter, Colab, macOS and Linux terminals take UTF-8, so the checkers' verdicts can start with
emoji. A Windows console in a legacy code page (cp1252 with ``PYTHONIOENCODING`` set, output
redirected to a file, an older IDE) cannot encode them, and a plain ``print`` raises
``UnicodeEncodeError`` in the middle of a lesson. :func:`console_print` prints the text unchanged
where it can be encoded and otherwise swaps each symbol it cannot encode for a plain-text stand-in
(:data:`PLAIN_TEXT`; ``?`` for anything else).
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

__all__ = ["PLAIN_TEXT", "plain_text", "console_print"]

#: Plain-text stand-ins for the symbols labhelpers prints (used only where the console cannot
#: encode the symbol). U+FE0F (the variation selector after some emoji) is dropped.
PLAIN_TEXT = {
    "\u2705": "[ok]",  # white heavy check mark: a check passed
    "\u274c": "[x]",  # cross mark: a check failed
    "\u23f3": "[todo]",  # hourglass: not implemented yet
    "\u26a0": "[!]",  # warning sign: the checker itself failed
    "\u2139": "[i]",  # information source: what the notebook does next
    "\ufe0f": "",
    "\u2026": "...",
    "\u2192": "->",
    "\u2190": "<-",
    "\u00d7": "x",
    "\u2212": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u00b2": "^2",
    "\u2248": "~",
    "\u2264": "<=",
    "\u2265": ">=",
}


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def plain_text(text: str, encoding: str) -> str:
    """``text`` with every character that ``encoding`` cannot encode replaced.

    Args:
        text: any string.
        encoding: a codec name such as ``"cp1252"`` or ``"ascii"``.

    Returns:
        A string that encodes with ``encoding`` (strictly): characters it can encode are kept, the
        symbols of :data:`PLAIN_TEXT` become their stand-ins, anything else becomes ``?``.
    """
    out = []
    for char in text:
        if _encodable(char, encoding):
            out.append(char)
            continue
        stand_in = PLAIN_TEXT.get(char, "?")
        out.append(stand_in if _encodable(stand_in, encoding) else "?")
    return "".join(out)


def console_print(
    *parts: Any, sep: str = " ", end: str = "\n", file: TextIO | None = None
) -> None:
    """Like :func:`print`, but degrades to plain text where the stream cannot encode the text.

    Args:
        parts: the objects to print (``str()`` of each), joined by ``sep``.
        sep, end: as for :func:`print`.
        file: the stream; default the current ``sys.stdout`` (so ``redirect_stdout`` works).
    """
    stream = sys.stdout if file is None else file
    if stream is None:  # pythonw.exe on Windows has no console at all
        return
    text = sep.join(str(part) for part in parts) + end
    encoding = getattr(stream, "encoding", None)
    if encoding:
        try:
            if not _encodable(text, encoding):
                text = plain_text(text, encoding)
        except LookupError:  # a codec Python does not know: fall back to ASCII
            text = plain_text(text, "ascii")
    stream.write(text)


def remove_variable_advice(name: str) -> str:
    """How to remove environment variable ``name`` in each shell a student may use, and in Python.

    Returns:
        One sentence fragment naming bash (macOS/Linux), PowerShell and cmd (Windows) and Python.
    """
    return (
        f"macOS/Linux bash: `unset {name}`; Windows PowerShell: `Remove-Item Env:{name}`; "
        f"Windows cmd: `set {name}=`; in Python: del os.environ['{name}']"
    )
