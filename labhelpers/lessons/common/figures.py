"""Figures every lesson draws: picture grids, loss curves, activation pictures, weight labels.

Used by every lesson notebook (01-07) and by the panel (``loss_curves_png``, ``format_weight``).
:func:`loss_curves_png` uses no pyplot state, so a background thread may call it during a run.
Pictures are float arrays (H, W, 3) in [0, 1]; sizes of figures are inches.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np

from labhelpers.images import as_float_image
from labhelpers.lessons.common.pictures import feature_array

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure

__all__ = [
    "image_grid",
    "GRID_MAX_WIDTH_IN",
    "plot_loss_curves",
    "loss_curves_png",
    "activation_image",
    "normalised_channel",
    "format_weight",
    "format_weights",
    "heat_overlay",
    "pyplot",
    "tidy_log_axis",
    "bare_axis",
    "column_header",
    "stage_changes",
]


def pyplot() -> Any:
    import matplotlib.pyplot as plt

    return plt


def tidy_log_axis(ax: Any, axis: str = "y") -> None:
    """Plain numbers on a logarithmic axis, and few of them: ``0.3``, ``1``, ``3``, ``10``.

    Matplotlib's default labels every minor tick when an axis spans less than a decade or so, in
    the form ``2 x 10^0, 3 x 10^0, 4 x 10^0 ...``, a clutter that cannot be read when projected.
    Here the major ticks (powers of ten) are written as plain numbers (``0.01``, ``1``, ``100``;
    ``1e4`` and ``1e-4`` beyond, which are no wider than matplotlib's own labels);
    minor ticks are labelled only at 2 and 5 times a power of ten, and only when the axis spans
    less than two decades (otherwise the powers of ten are enough). Call it after plotting.

    Args:
        ax: a matplotlib Axes whose ``axis`` ("y" or "x") has a log scale.
        axis: which axis.
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis
    low, high = sorted(ax.get_ylim() if axis == "y" else ax.get_xlim())
    decades = math.log10(high / low) if low > 0 and high > 0 else float("inf")

    def plain(value: float, _position: Any = None) -> str:
        if value <= 0:
            return ""
        if 1e-3 <= value < 1e4:
            return f"{value:g}"
        mantissa, exponent = f"{value:.0e}".split("e")
        return f"{mantissa}e{int(exponent)}"

    target.set_major_locator(LogLocator(base=10.0))
    target.set_major_formatter(FuncFormatter(plain))
    if decades < 2.0:
        target.set_minor_locator(LogLocator(base=10.0, subs=(2.0, 5.0)))
        target.set_minor_formatter(FuncFormatter(plain))
    else:
        target.set_minor_locator(LogLocator(base=10.0, subs=tuple(range(2, 10))))
        target.set_minor_formatter(NullFormatter())


#: The widest an :func:`image_grid` figure gets (inches); wider grids are scaled down to it.
GRID_MAX_WIDTH_IN = 14.0


def bare_axis(ax: Any) -> None:
    """No ticks and no frame, but the axis kept, so that its y label can head a row of a grid
    (``set_axis_off`` would hide the label too)."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def column_header(ax: Any, text: str, above_pt: float = 6.0, fontsize: float = 10.0) -> None:
    """Write ``text`` in bold centred over ``ax``, ``above_pt`` points above its top edge (over
    the axes' own title when there is one): the header of a grid's column."""
    ax.annotate(
        text,
        xy=(0.5, 1.0),
        xycoords="axes fraction",
        xytext=(0, above_pt),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=fontsize,
        fontweight="bold",
    )


def image_grid(
    images: Sequence[Any],
    titles: Sequence[str] | None = None,
    columns: int | None = None,
    height_in: float = 2.6,
    suptitle: str | None = None,
    row_labels: Sequence[str] | None = None,
    column_labels: Sequence[str] | None = None,
) -> "Figure":
    """Several images in a grid of small pictures without axes.

    Args:
        images: arrays (H, W, 3) in [0, 1] (or uint8); they may differ in size.
        titles: one title per picture (optional).
        columns: pictures per row; default all in one row.
        height_in: height of one picture in inches; each cell is as wide as the widest picture's
            shape asks (so landscape pictures leave no empty bands between rows), and the whole
            figure is scaled down to at most :data:`GRID_MAX_WIDTH_IN` inches wide.
        suptitle: a title over the whole grid.
        row_labels: one header per row, written left of the row (a table's row headers).
        column_labels: one header per column, written in bold over the first row.
    """
    plt = pyplot()
    count = len(images)
    if count == 0:
        raise ValueError("image_grid needs at least one image.")
    columns = count if columns is None else max(1, min(columns, count))
    rows = -(-count // columns)
    aspect = max(np.shape(image)[1] / max(1, np.shape(image)[0]) for image in images)
    scale = min(1.0, GRID_MAX_WIDTH_IN / (height_in * aspect * columns))
    title_in = 0.3 if titles is not None else 0.0
    figsize = (
        height_in * scale * aspect * columns + (0.5 if row_labels else 0.0),
        (height_in * scale + title_in) * rows
        + (0.4 if suptitle else 0.1)
        + (0.3 if column_labels else 0.0),
    )
    figure, axes = plt.subplots(
        rows, columns, figsize=figsize, squeeze=False, layout="constrained"
    )
    for index, ax in enumerate(axes.ravel()):
        row, column = divmod(index, columns)
        if row_labels is None or column != 0:
            ax.set_axis_off()
        else:
            bare_axis(ax)
            if row < len(row_labels):
                ax.set_ylabel(row_labels[row], fontsize=10)
        if column_labels is not None and row == 0 and column < len(column_labels):
            column_header(ax, column_labels[column], above_pt=6 + (14 if titles else 0))
        if index >= count:
            continue
        picture = as_float_image(images[index])
        ax.imshow(
            np.clip(picture, 0.0, 1.0) if picture.shape[-1] == 3 else picture[..., 0],
            cmap=None if picture.shape[-1] == 3 else "gray",
            interpolation="antialiased",
        )
        if titles is not None and index < len(titles) and titles[index]:
            ax.set_title(titles[index], fontsize=9)
    if suptitle:
        figure.suptitle(suptitle)
    return figure


#: Margins of :func:`loss_curves_png` as fractions of the picture (left, bottom, right, top), room
#: for the tick labels, the axis labels and a one-line title at the default size.
PNG_MARGINS = (0.16, 0.15, 0.97, 0.9)


def plot_loss_curves(
    history: Sequence[Mapping[str, Any]],
    terms: Iterable[str] = ("total", "content", "style", "tv"),
    title: str | None = None,
    ax: Any = None,
    figsize_in: tuple[float, float] = (5.5, 3.4),
) -> "Figure":
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
    series = {
        term: np.array([float(entry.get(term, np.nan)) for entry in history]) for term in terms
    }
    finite = [v[np.isfinite(v) & (v > 0)] for v in series.values()]
    largest = max((float(v.max()) for v in finite if v.size), default=0.0)
    drawn = 0
    for term, values in series.items():
        # A run started from the content photo has a content loss of ~1e-13 at step 1 (rounding
        # of 0): values below a millionth of the largest are left out rather than drawn as a
        # plunge to the bottom of the plot (a log axis cannot show 0).
        shown = np.where(np.isfinite(values) & (values > largest * 1e-6), values, np.nan)
        if not np.any(np.isfinite(shown)):
            continue
        ax.plot(steps, shown, label=term, lw=2 if term == "total" else 1.3)
        drawn += 1
    ax.set_yscale("log")
    for step, before, after in stage_changes(history):
        ax.axvline(step - 0.5, color="0.4", lw=1, ls="--")
        ax.annotate(
            f"{before} -> {after} px",
            (step - 0.5, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -3),
            textcoords="offset points",
            va="top",
            fontsize=8,
            color="0.3",
        )
    if drawn:
        tidy_log_axis(ax)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (weighted)")
    if drawn:
        ax.legend()
    if title:
        ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    return figure


def stage_changes(history: Sequence[Mapping[str, Any]]) -> list[tuple[int, int, int]]:
    """Where a coarse-to-fine run moved to a larger size: ``[(first step at the new size, old size
    px, new size px), ...]``, from the records' ``stage_size`` (none if they have no sizes)."""
    changes = []
    for before, after in zip(history, history[1:]):
        old, new = before.get("stage_size"), after.get("stage_size")
        if old and new and old != new:
            changes.append((int(after.get("step", 0)), int(old), int(new)))
    return changes


def loss_curves_png(
    history: Sequence[Mapping[str, Any]],
    title: str | None = None,
    figsize_in: tuple[float, float] = (4.6, 3.0),
    dpi: int = 80,
    terms: Iterable[str] = ("total", "content", "style", "tv"),
) -> bytes:
    """:func:`plot_loss_curves` as PNG bytes, drawn without pyplot (safe in a thread, shows
    nothing).

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


def normalised_channel(array: np.ndarray, channel: int) -> np.ndarray:
    values = array[..., channel]
    top = float(values.max()) if values.size else 0.0
    low = min(float(values.min()), 0.0)
    if top - low <= 0:
        return np.zeros_like(values)
    return (values - low) / (top - low)


def activation_image(
    feature_map: Any, channel: int, cmap: str = "viridis", upscale: int = 1
) -> np.ndarray:
    """One channel of a feature map rendered with a colormap, as an RGB picture.

    Args:
        feature_map: one layer's output, (1, h, w, C) or (h, w, C).
        channel: which channel, 0 <= channel < C.
        cmap: a matplotlib colormap name; 0 (or the channel's minimum if negative) gets its lowest
            colour and the channel's maximum its highest.
        upscale: repeat every pixel this many times in each direction (crisp enlargement of
            small deep-layer maps).

    Returns:
        uint8 array (h * upscale, w * upscale, 3). A silent channel (all zeros) is uniformly the
        colormap's lowest colour.
    """
    import matplotlib

    array = feature_array(feature_map)
    if not 0 <= int(channel) < array.shape[-1]:
        raise ValueError(f"channel must be between 0 and {array.shape[-1] - 1}, got {channel}.")
    values = normalised_channel(array, int(channel))
    rgba = matplotlib.colormaps[cmap](values)
    rgb = np.round(rgba[..., :3] * 255.0).astype(np.uint8)
    if upscale > 1:
        rgb = np.repeat(np.repeat(rgb, upscale, axis=0), upscale, axis=1)
    return rgb


def format_weight(value: float) -> str:
    """A weight for people: 3 significant digits, plain decimal notation (``316``, ``0.0316``,
    ``1``)."""
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    return np.format_float_positional(value, precision=3, unique=True, fractional=False, trim="-")


def format_weights(content_weight: float, style_weight: float, tv_weight: float) -> str:
    """``"content 1, style 10, TV 1"``: three loss weights for a caption."""
    return f"content {content_weight:g}, style {style_weight:g}, TV {tv_weight:g}"


def heat_overlay(photo: np.ndarray, heat: np.ndarray, cmap: str = "inferno") -> np.ndarray:
    import matplotlib

    colours = matplotlib.colormaps[cmap](heat)[..., :3]
    alpha = 0.75 * heat[..., None]
    return np.clip((1 - alpha) * 0.7 * photo + alpha * colours, 0.0, 1.0).astype(np.float32)
