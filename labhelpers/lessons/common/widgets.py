"""Helpers of the lessons' explorers (ipywidgets): finding widgets by CSS class, labels, scales.

Every explorer (lessons 01, 03, 04) is an ``ipywidgets`` box whose callbacks only call a compute
function and put the result into an ``ipywidgets.Image``; each widget has a CSS class
``lab-...`` that :func:`find_widget` and the browser tests select by. Only widgets that both
ipywidgets 7.7 (Colab) and 8 provide are used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    pass

__all__ = [
    "in_notebook",
    "walk_widgets",
    "find_widget",
    "labelled",
    "upscale_factor",
]


def walk_widgets(root: Any) -> Iterator[Any]:
    """``root`` and every widget inside it (depth first, through ``children``)."""
    yield root
    for child in getattr(root, "children", ()) or ():
        yield from walk_widgets(child)


def find_widget(root: Any, css_class: str) -> Any:
    """The first widget inside ``root`` (or ``root`` itself) that has the CSS class ``css_class``.

    Raises:
        LookupError: when no widget has that class.
    """
    for widget in walk_widgets(root):
        if css_class in getattr(widget, "_dom_classes", ()):
            return widget
    raise LookupError(f"No widget with CSS class {css_class!r} in this panel.")


def labelled(widget: Any, css_class: str) -> Any:
    widget.add_class(css_class)
    return widget


def upscale_factor(height: int, width: int, display_size: int) -> int:
    """The whole factor that brings the longest side of an ``height`` x ``width`` map closest to
    ``display_size`` px without exceeding it (at least 1)."""
    return max(1, int(display_size) // max(int(height), int(width), 1))


def in_notebook() -> bool:
    """True inside a Jupyter kernel (a live display can update there), False in a script or a
    plain IPython shell. Used by lessons 05 and 09 for their live pictures."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")
