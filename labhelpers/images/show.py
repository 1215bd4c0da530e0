"""Showing pictures side by side (matplotlib): the one plotting helper of the pictures layer."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from labhelpers.images.arrays import ImageError, as_float_image, is_array_like, to_numpy
from labhelpers.images.load import load_image

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure


def show_images(
    images: Any,
    titles: str | Sequence[str | None] | None = None,
    height_in: float = 4.0,
    axes: Any = None,
    *,
    size: float | None = None,
) -> "Figure":
    """Show one image or several side by side in one row, without axes.

    Args:
        images: one image or a list of them; each may be anything :func:`load_image` accepts
            (arrays, tensors, paths, bundled names, URLs, PIL images). Float arrays slightly
            outside [0, 1] are clipped, so unfinished optimisation results can be shown. A batch
            array (B, H, W, 3) is shown as B images.
        titles: one title per image (or one string for a single image). By default images given
            by name or path are titled with their name.
        height_in: height of each picture on screen, in inches (not pixels: the pictures keep
            their pixels); widths follow the aspect ratios.
        axes: optional matplotlib Axes (one, or a sequence with one per image) to draw into
            instead of a new figure.
        size: the former name of ``height_in`` (inches), still accepted.

    Returns:
        The matplotlib Figure. In Jupyter it appears below the cell by itself; ending the line
        with ``;`` (or assigning the result) avoids showing it twice when it is the cell's last
        line.
    """
    images = to_numpy(images)  # a TensorFlow tensor, possibly a batch
    if isinstance(images, (list, tuple)):
        items = list(images)
    elif isinstance(images, np.ndarray) and images.ndim == 4 and images.shape[0] > 1:
        items = list(images)
    else:
        items = [images]
    if not items:
        raise ImageError("show_images got an empty list; pass at least one image.")
    if titles is None:
        title_list: list[str | None] = [
            Path(os.fspath(item)).stem if isinstance(item, (str, os.PathLike)) else None
            for item in items
        ]
    elif isinstance(titles, str):
        title_list = [titles]
    else:
        title_list = list(titles)
    if len(title_list) != len(items):
        raise ImageError(
            f"show_images got {len(items)} image(s) but {len(title_list)} title(s); give one "
            "title per image."
        )
    if size is not None:
        height_in = size
    if (
        not isinstance(height_in, (int, float))
        or isinstance(height_in, bool)
        or not 0 < height_in <= 50
    ):
        raise ImageError(
            "height_in is the height of each picture in inches, a number such as 4, not "
            f"{height_in!r}."
        )

    pictures = []
    for index, item in enumerate(items):
        what = (
            f"Image {index + 1} of show_images"
            if len(items) > 1
            else "The image given to show_images"
        )
        if isinstance(item, list) or is_array_like(item):
            pictures.append(as_float_image(item, lenient=True, min_side=0, what=what))
        else:
            pictures.append(load_image(item))

    if axes is None:
        import matplotlib.pyplot as plt

        ratios = [p.shape[1] / p.shape[0] for p in pictures]
        figure, created = plt.subplots(
            1,
            len(pictures),
            figsize=(height_in * sum(ratios) + 0.2 * len(pictures), height_in + 0.4),
            gridspec_kw={"width_ratios": ratios},
            squeeze=False,
            layout="constrained",
        )
        axes_list = list(created[0])
    else:
        axes_list = (
            list(np.ravel(np.asarray(axes, dtype=object)))
            if isinstance(axes, (list, tuple, np.ndarray))
            else [axes]
        )
        if len(axes_list) != len(pictures):
            raise ImageError(
                f"show_images got {len(pictures)} image(s) but {len(axes_list)} axes; give one "
                "Axes per image."
            )
        figure = axes_list[0].figure
    for ax, picture, title in zip(axes_list, pictures, title_list):
        ax.imshow(picture, vmin=0.0, vmax=1.0, interpolation="antialiased")
        ax.set_axis_off()
        if title:
            ax.set_title(title)
    return figure
