"""Lesson 08 (``notebooks/08_controls.ipynb``): controlling the picture (Gatys et al. 2017).

The controls themselves are settings of every run (:class:`~labhelpers.transfer.settings.
TransferSettings`: ``content_masks``, ``style_masks``, ``style_scale``, ``layer_paintings``,
``pooling``, ``preserve_color``); the masks are made with :mod:`labhelpers.images.masks`. This
module holds the lesson's experiments and figures:

- "Two paintings, two halves": :func:`two_paintings` (result type :class:`RegionRun`), drawn by
  :func:`plot_regions`; :func:`region_distances` measures which painting each region follows.
- "Only the sky": :func:`paint_region` (a :class:`RegionRun` with one mask), drawn by
  :func:`plot_regions` (with the change from the photo).
- "Brush strokes": :func:`stroke_scales` and the paper's coarse-and-fine combination
  (:class:`ScaleRuns`, drawn by :func:`plot_scales`; :func:`coarse_and_fine_layers`).
- "Max or average pooling": :func:`pooling_comparison` (:class:`PoolingRuns`,
  :func:`plot_pooling`).
- "Colours, region by region": :func:`color_modes` (on the two-halves transfer), drawn by
  :func:`plot_color_modes`.
- :data:`RUNS`: the optimisations the notebook runs at full size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from labhelpers.config import fast_mode, import_tensorflow
from labhelpers.images import masks as mask_tools
from labhelpers.images import resize_to
from labhelpers.lessons.common.figures import image_grid, pyplot
from labhelpers.lessons.common.timing import LessonRun
from labhelpers.losses import gram_matrix, guided_gram_matrix, style_loss
from labhelpers.network.layers import BLOCK_FIRST_LAYERS
from labhelpers.transfer.run import StyleTransfer, StyleTransferResult

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure

__all__ = [
    "RUNS",
    "PHOTO",
    "PAINTINGS",
    "SKY_PHOTO",
    "STROKE_OPTIONS",
    "plot_masks",
    "RegionRun",
    "two_paintings",
    "paint_region",
    "region_distances",
    "plot_regions",
    "ScaleRuns",
    "coarse_and_fine_layers",
    "stroke_scales",
    "plot_scales",
    "PoolingRuns",
    "pooling_comparison",
    "plot_pooling",
    "color_modes",
    "plot_color_modes",
]

#: The lesson's photo and its two paintings (blue-yellow swirls; red walls and a green table).
PHOTO = "chelsea_cat"
PAINTINGS = ("van_gogh_starry_night", "van_gogh_night_cafe")
#: The photo with a sky.
SKY_PHOTO = "cincinnati_bridge"
#: The run settings of the stroke and pooling pictures: from the photo in the painting's colours,
#: with ten times the usual style weight, so that 40 evaluations show the strokes clearly.
STROKE_OPTIONS: dict[str, Any] = {"init": "recolored", "style_weight": 100.0}

#: The optimisations the notebook runs at full size (not in fast mode); the time estimates and
#: tests/test_notebooks.py's check of the parameters cell are built from them.
RUNS: tuple[LessonRun, ...] = (
    LessonRun(
        "two paintings in two halves, then the two colour modes on the same halves",
        3,
        160,
        40,
        1.0,
        "SIZE",
        "STEPS",
    ),
    LessonRun("only the sky painted", 1, 160, 40, 1.0, "SIZE", "STEPS"),
    LessonRun(
        "strokes at three scales, coarse and fine from two paintings, average pooling",
        5,
        128,
        40,
        1.0,
        "SCALE_SIZE",
        "STEPS",
    ),
)


def _fast_default(value: int | None, fast: int, full: int) -> int:
    if value is not None:
        return int(value)
    return fast if fast_mode() else full


def _grey(mask: np.ndarray) -> np.ndarray:
    """A mask (H, W) as a grey picture (H, W, 3)."""
    return np.repeat(np.asarray(mask, np.float32)[..., None], 3, axis=-1)


# --------------------------------------------------------------------------- regions


@dataclass
class RegionRun:
    """One run with content masks: the photo, its paintings, the masks and the result.

    Attributes:
        photo: the photo at the run's size, float32 (H, W, 3) in [0, 1].
        paintings: the paintings as the run saw them (longest side = the photo's).
        masks: one float32 (H, W) mask per painting, at the photo's size.
        result: the :class:`~labhelpers.transfer.run.StyleTransferResult`.
        transfer: the prepared transfer (its targets are reused by :func:`color_modes`).
        distances: ``distances[r][p]``: how far region r's style is from painting p's
            (:func:`region_distances`; smaller = closer).
    """

    photo: np.ndarray
    paintings: list[np.ndarray]
    masks: list[np.ndarray]
    result: StyleTransferResult
    transfer: StyleTransfer | None = None
    distances: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))


def region_distances(
    extractor: Any,
    picture: np.ndarray,
    masks: Sequence[np.ndarray],
    paintings: Sequence[np.ndarray],
    layers: Sequence[str] = ("block1_conv1", "block2_conv1"),
    guided: Any = guided_gram_matrix,
) -> np.ndarray:
    """How far each region's style is from each painting's: (regions, paintings) floats.

    Entry (r, p) is the mean over ``layers`` of ``style_loss(G_r, A_p) / mean(A_p ** 2)``: the
    picture's guided Gram matrix of region r (:func:`labhelpers.losses.guided_gram_matrix`, mask
    on the layer's grid) against painting p's Gram matrix, relative to the latter's size. The
    shallow default layers hold colours and fine strokes. A region that follows its own painting
    has its smallest value in its own column.

    Args:
        extractor: a feature extractor (returns ``{layer: (1, h, w, C)}``).
        picture: (H, W, 3) in [0, 1]; masks: (H, W) each; paintings: (h, w, 3) each.
        layers: the VGG16 layers compared.
        guided: the guided Gram function ``(features (1, h, w, C), mask (h, w)) -> (C, C)``
            (default :func:`labhelpers.losses.guided_gram_matrix`; the notebook passes the
            student's).
    """
    picture_maps = extractor.with_layers(list(layers))(picture)
    painting_maps = [extractor.with_layers(list(layers))(p) for p in paintings]
    out = np.zeros((len(masks), len(paintings)))
    for r, mask in enumerate(masks):
        for p, maps in enumerate(painting_maps):
            values = []
            for name in layers:
                grid = tuple(int(d) for d in picture_maps[name].shape[1:3])
                weights = mask_tools.mask_on_grid(mask, grid)
                region = guided(picture_maps[name], tf.constant(weights))
                target = gram_matrix(maps[name])
                size = float(np.mean(np.square(target.numpy())))
                values.append(float(style_loss(region, target).numpy()) / size)
            out[r, p] = float(np.mean(values))
    return out


def _region_run(
    photo: Any,
    paintings: Sequence[Any],
    masks: Sequence[np.ndarray],
    size: int,
    steps: int,
    extractor: Any,
    **options: Any,
) -> RegionRun:
    setup = ("style_masks", "style_scale", "pooling")
    transfer = StyleTransfer(
        photo,
        list(paintings),
        size=size,
        content_masks=list(masks),
        extractor=extractor,
        **{k: v for k, v in options.items() if k in setup},
    )
    run_options = {"init": "recolored", **{k: v for k, v in options.items() if k not in setup}}
    result = transfer.run(steps=steps, **run_options)
    shape = transfer.content.shape[:2]
    resized = [mask_tools.resize_mask(m, shape) for m in masks]
    shown = [resize_to(p, max(shape)) for p in transfer.style_sources]
    return RegionRun(
        photo=transfer.content,
        paintings=shown,
        masks=resized,
        result=result,
        transfer=transfer,
        distances=region_distances(transfer.extractor, result.image, resized, shown),
    )


def two_paintings(
    photo: Any = PHOTO,
    paintings: Sequence[Any] = PAINTINGS,
    *,
    size: int | None = None,
    steps: int | None = None,
    soft: float = 0.15,
    extractor: Any = None,
    **options: Any,
) -> RegionRun:
    """The photo's left half painted with the first painting, its right half with the second,
    through a soft border ``soft`` wide (fraction of the shorter side). The run starts from the
    photo with each half in its own painting's colours (``init="recolored"``), so 40 evaluations
    are enough for the strokes.

    Args:
        photo, paintings: the pictures (anything :func:`labhelpers.load_image` accepts).
        size: longest side in px (default 160; 64 with ``LAB_FAST=1``).
        steps: evaluations (default 40; 8 with ``LAB_FAST=1``).
        soft: the soft border's width.
        extractor: the lesson's feature extractor (default: built from the settings).
        **options: more settings (e.g. ``style_weight=30``, ``progress=True``).
    """
    size = _fast_default(size, 64, 160)
    steps = _fast_default(steps, 8, 40)
    from labhelpers.images import load_image

    shape = load_image(photo, max_size=size).shape
    masks = mask_tools.halves_masks(shape, soft=soft)
    return _region_run(photo, paintings, masks, size, steps, extractor, **options)


def paint_region(
    photo: Any = SKY_PHOTO,
    painting: Any = PAINTINGS[0],
    mask: Any = None,
    *,
    size: int | None = None,
    steps: int | None = None,
    extractor: Any = None,
    **options: Any,
) -> RegionRun:
    """One painting in one region of the photo (default: its sky, :func:`~labhelpers.images.
    masks.sky_mask`); the rest of the photo is kept. Starts from the region in the painting's
    colours (``init="recolored"``).

    Args:
        photo, painting: the pictures; mask: the region (anything
            :func:`~labhelpers.images.masks.as_mask` accepts; default the photo's sky).
        size: longest side in px (default 160; 64 with ``LAB_FAST=1``).
        steps: evaluations (default 40; 8 with ``LAB_FAST=1``).
        extractor, **options: as for :func:`two_paintings`.
    """
    size = _fast_default(size, 64, 160)
    steps = _fast_default(steps, 8, 40)
    if mask is None:
        from labhelpers.images import load_image

        mask = mask_tools.sky_mask(load_image(photo, max_size=size))
    return _region_run(photo, [painting], [mask], size, steps, extractor, **options)


def plot_regions(run: RegionRun, height_in: float = 2.4, title: str | None = None) -> "Figure":
    """The photo, each painting with its mask, the result, and (one region) the change from the
    photo; each mask's caption names the painting its region came out closest to."""
    pictures = [run.photo]
    titles = ["photo"]
    for index, (painting, mask) in enumerate(zip(run.paintings, run.masks)):
        closest = int(np.argmin(run.distances[index])) if run.distances.size else index
        pictures += [painting, _grey(mask)]
        titles += [f"painting {index + 1}", f"mask {index + 1} -> closest: painting {closest + 1}"]
    pictures.append(run.result.image)
    titles.append("result")
    if len(run.masks) == 1:
        change = np.abs(run.result.image - run.photo).mean(axis=-1)
        pictures.append(_grey(np.clip(change / max(1e-6, float(change.max())), 0, 1)))
        titles.append("change from the photo")
    return image_grid(pictures, titles=titles, height_in=height_in, suptitle=title, columns=3)


def plot_masks(
    photo: np.ndarray, named_masks: dict[str, np.ndarray], height_in: float = 2.0
) -> "Figure":
    """The photo and each mask over it (outside the mask darkened), titled with its name."""
    pictures, titles = [photo], ["photo"]
    for name, mask in named_masks.items():
        values = mask_tools.resize_mask(mask, photo.shape[:2])[..., None]
        pictures.append(photo * (0.25 + 0.75 * values))
        titles.append(name)
    return image_grid(pictures, titles=titles, height_in=height_in)


# --------------------------------------------------------------------------- scale


def coarse_and_fine_layers(
    coarse: int = 0, fine: int = 1, split: str = "block3_conv1"
) -> dict[str, int]:
    """``layer_paintings`` for the paper's combination: the style layers shallower than ``split``
    (fine strokes) from painting ``fine``, the others (coarse structure) from painting
    ``coarse``; over the default style layers (the first convolution of each block)."""
    if split not in BLOCK_FIRST_LAYERS:
        raise ValueError(f"split must be one of {list(BLOCK_FIRST_LAYERS)}, not {split!r}.")
    cut = BLOCK_FIRST_LAYERS.index(split)
    return {name: (fine if i < cut else coarse) for i, name in enumerate(BLOCK_FIRST_LAYERS)}


@dataclass
class ScaleRuns:
    """Results of :func:`stroke_scales`.

    Attributes:
        photo: the photo at the runs' size; paintings: the two paintings (first: the strokes').
        scales: the ``style_scale`` of each run; results: one result per scale.
        combined: the coarse structure of painting 1 with the fine strokes of painting 2.
    """

    photo: np.ndarray
    paintings: list[np.ndarray]
    scales: list[float]
    results: list[StyleTransferResult]
    combined: StyleTransferResult | None


def stroke_scales(
    photo: Any = PHOTO,
    paintings: Sequence[Any] = PAINTINGS,
    scales: Sequence[float] = (0.5, 1.0, 2.0),
    *,
    size: int | None = None,
    steps: int | None = None,
    extractor: Any = None,
    combine: bool = True,
    **options: Any,
) -> ScaleRuns:
    """The first painting at several sizes relative to the photo (``style_scale``), and the
    paper's combination: coarse layers from the first painting, fine layers from the second.

    Args:
        photo, paintings: the pictures; scales: the ``style_scale`` values.
        size: longest side in px (default 128; 64 with ``LAB_FAST=1``).
        steps: evaluations per run (default 40; 8 with ``LAB_FAST=1``).
        extractor: the lesson's feature extractor; combine: also run the combination.
        **options: more run settings (default :data:`STROKE_OPTIONS`; e.g. ``progress=True``).
    """
    size = _fast_default(size, 64, 128)
    steps = _fast_default(steps, 8, 40)
    options = {**STROKE_OPTIONS, **options}
    results, photo_at_size, shown = [], None, []
    for scale in scales:
        transfer = StyleTransfer(
            photo, paintings[0], size=size, style_scale=scale, extractor=extractor
        )
        results.append(transfer.run(steps=steps, **options))
        photo_at_size = transfer.content
        shown = [resize_to(transfer.style_sources[0], max(photo_at_size.shape[:2]))]
    combined = None
    if combine:
        transfer = StyleTransfer(
            photo,
            list(paintings[:2]),
            size=size,
            layer_paintings=coarse_and_fine_layers(coarse=0, fine=1),
            extractor=extractor,
        )
        combined = transfer.run(steps=steps, **options)
        shown = [resize_to(p, max(transfer.content.shape[:2])) for p in transfer.style_sources]
    return ScaleRuns(photo_at_size, shown, [float(s) for s in scales], results, combined)


def _detail(image: np.ndarray, fraction: float = 0.5) -> np.ndarray:
    """The top-right ``fraction`` x ``fraction`` of a picture, enlarged back to its size."""
    height, width = image.shape[:2]
    crop = image[: round(height * fraction), width - round(width * fraction) :]
    return resize_to(crop, (height, width))


def plot_scales(runs: ScaleRuns, height_in: float = 2.4) -> "Figure":
    """Each scale's result, below it its top-right quarter enlarged (the strokes' size), then the
    coarse-and-fine combination and its two paintings."""
    pictures = list(r.image for r in runs.results)
    titles = [f"style_scale = {s:g}" for s in runs.scales]
    pictures += [_detail(r.image) for r in runs.results]
    titles += [f"detail, style_scale = {s:g}" for s in runs.scales]
    if runs.combined is not None:
        pictures += [runs.combined.image, *runs.paintings[:2]]
        titles += [
            "coarse: painting 1, fine: painting 2",
            "painting 1 (coarse layers)",
            "painting 2 (fine layers)",
        ]
    return image_grid(pictures, titles=titles, height_in=height_in, columns=len(runs.scales))


# --------------------------------------------------------------------------- pooling


@dataclass
class PoolingRuns:
    """Results of :func:`pooling_comparison`: ``results[name]`` per pooling, and the mean
    absolute difference of the two pictures in grey levels (0-255)."""

    photo: np.ndarray
    results: dict[str, StyleTransferResult]
    difference: float


def pooling_comparison(
    photo: Any = PHOTO,
    painting: Any = PAINTINGS[0],
    *,
    size: int | None = None,
    steps: int | None = None,
    extractor: Any = None,
    reuse: StyleTransferResult | None = None,
    **options: Any,
) -> PoolingRuns:
    """The same run with VGG16's max pooling and with average pooling (same weights).

    Args:
        photo, painting: the pictures.
        size: longest side in px (default 128; 64 with ``LAB_FAST=1``).
        steps: evaluations per run (default 40; 8 with ``LAB_FAST=1``).
        extractor: the lesson's feature extractor (max pooling; the average one is made from it).
        reuse: a max-pooling result with these pictures, size and steps (e.g. the
            ``style_scale = 1`` run of :func:`stroke_scales`), used instead of running it again.
        **options: more run settings (default :data:`STROKE_OPTIONS`; e.g. ``progress=True``).
    """
    size = _fast_default(size, 64, 128)
    steps = _fast_default(steps, 8, 40)
    options = {**STROKE_OPTIONS, **options}
    results: dict[str, StyleTransferResult] = {}
    photo_at_size = None
    for pooling in ("max", "avg"):
        if pooling == "max" and reuse is not None:
            results[pooling] = reuse
            continue
        transfer = StyleTransfer(photo, painting, size=size, pooling=pooling, extractor=extractor)
        results[pooling] = transfer.run(steps=steps, **options)
        photo_at_size = transfer.content
    difference = float(np.mean(np.abs(results["max"].image - results["avg"].image)) * 255.0)
    return PoolingRuns(photo_at_size, results, difference)


def plot_pooling(runs: PoolingRuns, height_in: float = 2.8) -> "Figure":
    """Max pooling, average pooling, and where they differ (brighter: more)."""
    a, b = runs.results["max"].image, runs.results["avg"].image
    change = np.abs(a - b).mean(axis=-1)
    scaled = np.clip(change / max(1e-6, float(np.percentile(change, 99))), 0, 1)
    return image_grid(
        [a, b, _grey(scaled)],
        titles=[
            "max pooling (VGG16's own)",
            "average pooling",
            f"difference (mean {runs.difference:.1f} grey levels)",
        ],
        height_in=height_in,
    )


# --------------------------------------------------------------------------- colour


def color_modes(
    regions: RegionRun, modes: Sequence[str] = ("luminance", "histogram"), **options: Any
) -> dict[str, StyleTransferResult]:
    """The two-halves run again with each colour mode (same transfer, same regions, same steps):
    ``{"none": the original result, mode: result}``."""
    if regions.transfer is None:
        raise ValueError("color_modes needs the RegionRun of two_paintings (with its transfer).")
    steps = int(regions.result.options.get("steps", 40))
    out = {"none": regions.result}
    for mode in modes:
        out[mode] = regions.transfer.run(steps=steps, preserve_color=mode, **options)
    return out


def plot_color_modes(
    regions: RegionRun, results: dict[str, StyleTransferResult], height_in: float = 2.6
) -> "Figure":
    """The photo and one picture per colour mode, side by side."""
    pictures = [regions.photo] + [r.image for r in results.values()]
    titles = ["photo"] + [
        "painting's colours" if m == "none" else f"photo's colours ({m})" for m in results
    ]
    return image_grid(pictures, titles=titles, height_in=height_in)


def save_figures(figures: dict[str, "Figure"], folder: str) -> list[str]:  # pragma: no cover
    """Write each figure as ``folder/<name>.png`` (never replacing a file); the paths."""
    import io
    from pathlib import Path

    from labhelpers.files import write_file

    paths = []
    for name, figure in figures.items():
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
        paths.append(str(write_file(Path(folder) / f"{name}.png", buffer.getvalue())))
        pyplot().close(figure)
    return paths
