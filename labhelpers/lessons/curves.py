"""The loss curves of an optimisation: a pyplot figure for the lessons, PNG bytes for the panel.

Kept apart from :mod:`labhelpers.lessons.plots` (which re-exports both) because the panel draws them
from a background thread during a run: :func:`loss_curves_png` uses no pyplot state and fixed
margins (with matplotlib's constrained layout a 30-step picture took 0.40 s here, with fixed
margins 0.25 s), so it is safe and cheap to call while an optimisation runs.

``history`` is a list of dicts with ``step`` and the loss terms, as
:func:`labhelpers.transfer.run.stylize` records it.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure

__all__ = ["plot_loss_curves", "loss_curves_png", "PNG_MARGINS"]

#: Margins of :func:`loss_curves_png` as fractions of the picture (left, bottom, right, top), room
#: for the tick labels, the axis labels and a one-line title at the default size.
PNG_MARGINS = (0.16, 0.15, 0.97, 0.9)


def plot_loss_curves(history: Sequence[Mapping[str, Any]], terms: Iterable[str] = ("total", "content", "style", "tv"),
                     title: str | None = None, ax: Any = None,
                     figsize_in: tuple[float, float] = (5.5, 3.4)) -> "Figure":
    """The loss terms of an optimisation against the step, on a logarithmic y axis.

    Args:
        history: a list of dicts with ``step`` and the loss terms, as ``stylize`` records it.
        terms: which keys to draw; terms missing from the history or never positive (switched
            off, weight 0) are left out, since a log axis cannot show 0.
        title: the plot's title.
        ax: an Axes to draw into instead of a new (pyplot) figure; see :func:`loss_curves_png`
            for a picture made without pyplot.
        figsize_in: (width, height) of a new figure in inches.
    """
    if not history:
        raise ValueError("plot_loss_curves got an empty history; run an optimisation first.")
    if ax is None:
        import matplotlib.pyplot as plt

        figure, ax = plt.subplots(figsize=figsize_in, layout="constrained")
    else:
        figure = ax.figure
    steps = np.array([float(entry.get("step", index)) for index, entry in enumerate(history)])
    drawn, largest = 0, 0.0
    for term in terms:
        values = np.array([float(entry.get(term, np.nan)) for entry in history])
        if not np.any(np.isfinite(values) & (values > 0)):
            continue
        ax.plot(steps, np.where(values > 0, values, np.nan), label=term, lw=2 if term == "total" else 1.3)
        largest = max(largest, float(np.nanmax(np.where(np.isfinite(values), values, np.nan))))
        drawn += 1
    ax.set_yscale("log")
    if drawn:
        # A run started from the content photo has a content loss of ~1e-13 at step 1; showing
        # six decades below the largest value keeps that from squashing every curve flat.
        bottom, top = ax.get_ylim()
        ax.set_ylim(max(bottom, largest * 1e-6), top)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (weighted)")
    if drawn:
        ax.legend()
    if title:
        ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    return figure


def loss_curves_png(history: Sequence[Mapping[str, Any]], title: str | None = None,
                    figsize_in: tuple[float, float] = (4.6, 3.0), dpi: int = 80,
                    terms: Iterable[str] = ("total", "content", "style", "tv")) -> bytes:
    """:func:`plot_loss_curves` as PNG bytes, drawn without pyplot (safe in a thread, shows nothing).

    Returns:
        The bytes of a PNG of ``figsize_in`` inches at ``dpi`` dots per inch.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize_in, dpi=dpi)
    left, bottom, right, top = PNG_MARGINS
    figure.subplots_adjust(left=left, bottom=bottom, right=right, top=top if title else 0.97)
    FigureCanvasAgg(figure)
    plot_loss_curves(history, terms=terms, title=title, ax=figure.add_subplot(1, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
