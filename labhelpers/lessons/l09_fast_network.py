"""Lesson 09 (``notebooks/09_fast_network.ipynb``): from a picture to a network.

The same losses as lessons 02-07, but the variable moves from the pixels of one picture to the
weights of a small image transformation network (Johnson et al., 2016), trained once per
painting and then applied to any photo in one forward pass.

- "The network": :func:`network_table` (its stages, shapes and parameters).
- "Training in class": :func:`train_in_class` (live picture of a held-out photo and loss curves;
  result type :class:`ClassTraining`, drawn by :func:`plot_training`).
- "Milliseconds": :func:`time_fast_stylize`; the explorer :func:`restyle_explorer`.
- "What it costs": :func:`compare_with_stylize` (result type :class:`Comparison`, drawn by
  :func:`plot_comparison`, tabulated by :func:`comparison_table`), with the weight-free distances
  of :func:`weight_free_distances`.
- "What a network cannot do": :func:`missing_network_message`.
- :data:`RUNS`: the optimisations the notebook runs at full size; :data:`WALL_SECONDS`: its
  time-limited training.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from labhelpers.config import import_tensorflow
from labhelpers.feedforward.library import NetworkMissingError, available_networks, fast_stylize
from labhelpers.feedforward.network import build_transform_network
from labhelpers.feedforward.photos import HELD_OUT, TrainingPhotos
from labhelpers.feedforward.training import NetworkLoss, TrainingResult, stylize_with
from labhelpers.feedforward.training import train_network as run_training
from labhelpers.images import load_image, resize_to, to_uint8
from labhelpers.lessons.common.figures import image_grid, pyplot
from labhelpers.lessons.common.pictures import image_to_png_bytes
from labhelpers.lessons.common.timing import LessonRun
from labhelpers.lessons.common.widgets import in_notebook, labelled
from labhelpers.network.layers import DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS
from labhelpers.transfer.run import stylize

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    import ipywidgets
    from matplotlib.figure import Figure

__all__ = [
    "RUNS",
    "WALL_SECONDS",
    "HELD_OUT",
    "network_table",
    "ClassTraining",
    "train_in_class",
    "plot_training",
    "time_fast_stylize",
    "restyle_explorer",
    "weight_free_distances",
    "Comparison",
    "compare_with_stylize",
    "comparison_table",
    "plot_comparison",
    "missing_network_message",
]

#: The optimisations the notebook runs at full size: ``stylize`` (its defaults) on each held-out
#: photo for the side-by-side (the training in class is time-limited, TRAIN_SECONDS).
RUNS: tuple[LessonRun, ...] = (
    LessonRun(
        "stylize (its defaults) on the two held-out photos, for the side-by-side",
        2,
        256,
        60,
        1.0,
        "SIZE",
        "STEPS",
    ),
)


#: Seconds of the training in class (the notebook's TRAIN_SECONDS): time-limited, the same on
#: every computer (a faster one makes more steps); lesson 00's estimates add it.
WALL_SECONDS = 180.0


def network_table(network: Any, size: int = 256) -> str:
    """The network's stages as a text table: output shape for a ``size`` x ``size`` photo and
    the parameters of each stage, then the total and the size of its float16 file (bytes)."""
    tf = import_tensorflow()
    x = tf.zeros((1, size, size, 3))
    rows = []

    def count(layer: Any) -> int:
        return int(sum(np.prod(w.shape) for w in layer.trainable_weights))

    h = x
    for number, layer in enumerate(network.down, 1):
        h = layer(h)
        rows.append((f"down {number}", tuple(h.shape), count(layer)))
    for number, block in enumerate(network.blocks, 1):
        h = block(h)
        rows.append((f"residual {number}", tuple(h.shape), count(block)))
    for number, layer in enumerate(network.up, 1):
        h = layer(h)
        rows.append((f"up {number}", tuple(h.shape), count(layer)))
    rows.append(("out (change of the photo)", (1, size, size, 3), count(network.out)))
    total = sum(r[2] for r in rows)
    lines = [f"{'stage':<28}{'output (B, H, W, C)':<24}{'parameters':>11}"]
    lines += [f"{name:<28}{str(shape):<24}{params:>11,}" for name, shape, params in rows]
    lines.append(
        f"{'total':<28}{'':<24}{total:>11,}  (float16 file: about {2 * total / 1e3:.0f} KB)"
    )
    return "\n".join(lines)


# --------------------------------------------------------------------------- training in class


@dataclass
class ClassTraining:
    """What :func:`train_in_class` did.

    Attributes:
        result: the :class:`~labhelpers.feedforward.training.TrainingResult` (network, history
            of the training batches' losses, seconds, why it stopped).
        held_out: the held-out photo at the live size, float32 (H, W, 3).
        picture: the network's picture of it at the end.
        terms: the weighted terms on the held-out photo, one dict (``step``, ``content``,
            ``style``, ``tv``, ``total``) per refresh.
        painting: the painting at 256 px.
    """

    result: TrainingResult
    held_out: np.ndarray
    picture: np.ndarray
    painting: np.ndarray
    terms: list[dict[str, float]] = field(default_factory=list)


def _png(image: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(to_uint8(np.clip(image, 0.0, 1.0))).save(buffer, format="PNG")
    return buffer.getvalue()


def _curves(result: TrainingResult, terms: list[dict[str, float]], ax: Any) -> None:
    """The training loss (batches, smoothed) and the held-out photo's terms against the step."""
    if result.history:
        steps = np.array([h["step"] for h in result.history])
        losses = np.array([h["loss"] for h in result.history])
        ax.plot(steps, losses, color="0.8", lw=0.8, label="training batch (total)")
        width = min(20, len(losses))
        smooth = np.convolve(losses, np.ones(width) / width, mode="valid")
        ax.plot(steps[width - 1 :], smooth, color="k", lw=1.5, label=f"mean of {width}")
    for name in ("content", "style", "tv"):
        if terms:
            ax.plot(
                [t["step"] for t in terms],
                [t[name] for t in terms],
                "o-",
                ms=3,
                label=f"held-out photo: {name}",
            )
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("loss (weighted)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)


def _curves_png(result: TrainingResult, terms: list[dict[str, float]]) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.8, 3.0), dpi=80, layout="constrained")
    FigureCanvasAgg(figure)
    _curves(result, terms, figure.add_subplot(1, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def train_in_class(
    painting: str,
    photos: Sequence[str],
    held_out: str,
    *,
    step: Optional[Callable[..., Any]] = None,
    seconds: float = 180.0,
    crop: int = 128,
    batch_size: int = 2,
    live_size: int = 256,
    every: int = 10,
    seed: int = 0,
    extractor: Any = None,
    live: Optional[bool] = None,
) -> ClassTraining:
    """Train a new network for ``painting`` for ``seconds``, showing its picture of a held-out
    photo and the loss curves while it trains (used by 09_fast_network, "Training in class").

    Args:
        painting: the painting (bundled name or file).
        photos: the training photos (bundled names or files; held-out ones are refused).
        held_out: the photo of the live picture; the network never trains on it.
        step: the training step (the lesson's exercise); default the library's.
        seconds: training time (s); interrupting the kernel stops earlier and keeps the latest
            weights.
        crop, batch_size: the training crops' side (px) and how many per step.
        live_size: longest side (px) of the live picture.
        every: refresh the picture and curves every this many steps (costs one forward pass
            and one loss evaluation of the held-out photo).
        seed: seed of the network's weights and the crops.
        extractor: the VGG16 feature extractor (default: built from ``"auto"``).
        live: True: update in place (Jupyter); False: print lines; None: decide.

    Returns:
        A :class:`ClassTraining`.
    """
    loss = NetworkLoss(painting, extractor)
    training = TrainingPhotos(photos, crop=crop, seed=seed)
    photo = resize_to(load_image(held_out), live_size)
    terms: list[dict[str, float]] = []
    show = in_notebook() if live is None else bool(live)
    handles = None
    if show:
        from IPython.display import HTML, display

        handles = [display(HTML(""), display_id=True) for _ in range(3)]

    def refresh(number: int, result: TrainingResult) -> None:
        picture = stylize_with(result.network, photo)
        values = {k: float(v) for k, v in loss.terms(picture[None], photo[None]).items()}
        terms.append({"step": float(number), **values, "total": sum(values.values())})
        seconds_so_far = result.history[-1]["seconds"] if result.history else 0.0
        line = (
            f"step {number}: {seconds_so_far:.0f} s of {seconds:.0f} s; held-out photo: content "
            f"{values['content']:.3f}, style {values['style']:.3f}, tv {values['tv']:.3f}"
        )
        if handles is None:
            print(line, flush=True)
            return
        from IPython.display import HTML, Image

        handles[0].update(Image(data=_png(picture)))
        handles[1].update(Image(data=_curves_png(result, terms)))
        handles[2].update(HTML(f"<code>{line}</code>"))

    network = build_transform_network(seed=seed)
    result = run_training(
        training,
        loss,
        network=network,
        seconds=seconds,
        batch_size=batch_size,
        seed=seed,
        step_fn=step,
        callback=refresh,
        callback_every=every,
    )
    picture = stylize_with(result.network, photo)
    why = {
        "time": f"the {seconds:.0f} s were up",
        "interrupt": "you interrupted it (the latest weights are kept)",
        "steps": "the steps ran out",
        "stop": "it was stopped",
    }[result.stopped]
    print(f"Trained {result.steps} steps in {result.seconds:.0f} s; stopped because {why}.")
    return ClassTraining(result, photo, picture, resize_to(load_image(painting), 256), terms)


def plot_training(training: ClassTraining) -> "Figure":
    """The held-out photo, the network's picture of it, the painting, and the loss curves."""
    plt = pyplot()
    figure, axes = plt.subplots(
        1, 4, figsize=(15, 3.4), layout="constrained", gridspec_kw={"width_ratios": [1, 1, 1, 1.5]}
    )
    for ax, image, title in zip(
        axes,
        (training.held_out, training.picture, training.painting),
        (
            "held-out photo (never trained on)",
            f"the network after {training.result.steps} steps",
            "the painting",
        ),
    ):
        ax.imshow(np.clip(image, 0, 1))
        ax.set_title(title, fontsize=9)
        ax.set_axis_off()
    _curves(training.result, training.terms, axes[3])
    return figure


# --------------------------------------------------------------------------- milliseconds


def time_fast_stylize(
    photo: Any, painting: str, sizes: Sequence[int] = (256, 512, 1024), repeats: int = 3
) -> dict[int, float]:
    """Seconds of one :func:`~labhelpers.fast_stylize` at each size (the best of ``repeats``,
    after one untimed call that traces the network for that size)."""
    image = load_image(photo)
    times = {}
    for size in sizes:
        fast_stylize(image, painting, size=size)
        best = np.inf
        for _ in range(repeats):
            start = time.perf_counter()
            fast_stylize(image, painting, size=size)
            best = min(best, time.perf_counter() - start)
        times[int(size)] = float(best)
    return times


def restyle_explorer(
    photos: Sequence[str],
    paintings: Optional[Sequence[str]] = None,
    size: int = 256,
    sizes: tuple[int, int] = (128, 1024),
    display_size: int = 384,
) -> "ipywidgets.VBox":
    """Pick a photo and a painting, move the size slider: the trained network restyles the photo
    at once (used by 09_fast_network, "Milliseconds").

    Args:
        photos: the photos to choose from (bundled names or files).
        paintings: paintings with a trained network (default: every available one).
        size: the slider's starting size (longest side, px).
        sizes: the slider's (smallest, largest) size.
        display_size: width of the picture on screen (px).

    Returns:
        A ``VBox`` with the dropdowns (classes ``lab-fast-photo``, ``lab-fast-painting``), the
        slider (``lab-fast-size``), the picture (``lab-fast-picture``) and a status line
        (``lab-fast-status``).
    """
    import ipywidgets as widgets

    paintings = list(paintings or available_networks())
    photo_box = labelled(
        widgets.Dropdown(options=list(photos), description="photo"), "lab-fast-photo"
    )
    painting_box = labelled(
        widgets.Dropdown(options=paintings, description="painting"), "lab-fast-painting"
    )
    slider = labelled(
        widgets.IntSlider(
            value=size,
            min=sizes[0],
            max=sizes[1],
            step=32,
            description="size (px)",
            continuous_update=True,
        ),
        "lab-fast-size",
    )
    picture = labelled(widgets.Image(format="png", width=display_size), "lab-fast-picture")
    status = labelled(widgets.Label(value=""), "lab-fast-status")
    loaded: dict[str, np.ndarray] = {}

    def restyle(_change: Any = None) -> None:
        name = photo_box.value
        if name not in loaded:
            loaded[name] = load_image(name)
        start = time.perf_counter()
        result = fast_stylize(loaded[name], painting_box.value, size=slider.value)
        took = time.perf_counter() - start
        picture.value = image_to_png_bytes(result)
        status.value = (
            f"{result.shape[1]}x{result.shape[0]} px in {took * 1000:.0f} ms (the first call "
            "at a new size also traces the network)"
        )

    for widget in (photo_box, painting_box, slider):
        widget.observe(restyle, names="value")
    restyle()
    return widgets.VBox([widgets.HBox([photo_box, painting_box, slider]), picture, status])


# --------------------------------------------------------------------------- what it costs


def weight_free_distances(
    extractor: Any, picture: np.ndarray, photo: np.ndarray, painting: np.ndarray
) -> dict[str, float]:
    """The two distances that need no loss weights, both about 1 for an unrelated picture:

    - ``style``: the relative Gram error ``|G(picture) - G(painting)| / |G(painting)|``
      (Frobenius norms), averaged over the five style layers ``block1_conv1`` ...
      ``block5_conv1``;
    - ``content``: the relative ``block4_conv2`` error ``|F(picture) - F(photo)| / |F(photo)|``.

    ``picture`` and ``photo`` have the same shape; the painting is used at its own size.
    """
    tf = import_tensorflow()
    from labhelpers.losses import gram_matrix

    layers = (*DEFAULT_STYLE_LAYERS, *DEFAULT_CONTENT_LAYERS)
    features = extractor.with_layers(layers)
    maps, photo_maps, art = features(picture), features(photo), features(painting)
    style = [
        float(tf.norm(gram_matrix(maps[n]) - gram_matrix(art[n])) / tf.norm(gram_matrix(art[n])))
        for n in DEFAULT_STYLE_LAYERS
    ]
    layer = DEFAULT_CONTENT_LAYERS[0]
    content = float(tf.norm(maps[layer] - photo_maps[layer]) / tf.norm(photo_maps[layer]))
    return {"style": float(np.mean(style)), "content": content}


@dataclass
class Comparison:
    """The network against ``stylize`` on photos the network never saw.

    Attributes:
        painting: its name; size: longest side (px); steps: ``stylize``'s evaluations.
        rows: one dict per photo: ``photo``, ``photo_image``, ``fast_image``, ``stylize_image``,
            ``fast_seconds``, ``stylize_seconds``, ``fast`` and ``stylize`` (the weight-free
            distances, see :func:`weight_free_distances`).
    """

    painting: str
    size: int
    steps: int
    rows: list[dict[str, Any]]


def compare_with_stylize(
    photos: Sequence[str],
    painting: str,
    size: int = 256,
    steps: int = 60,
    extractor: Any = None,
) -> Comparison:
    """For each photo: ``stylize`` (its defaults, ``steps`` evaluations) and ``fast_stylize``,
    both at ``size`` px: pictures, seconds and weight-free distances (used by 09_fast_network,
    "What it costs")."""
    if extractor is None:
        from labhelpers.network.extractor import build_feature_extractor

        extractor = build_feature_extractor(verbose=False)
    art = resize_to(load_image(painting), size)
    rows = []
    for name in photos:
        photo = resize_to(load_image(name), size)
        fast_stylize(photo, painting, size=None)  # trace once for this size
        start = time.perf_counter()
        fast = fast_stylize(photo, painting, size=None)
        fast_seconds = time.perf_counter() - start
        start = time.perf_counter()
        slow = stylize(photo, painting, size=size, steps=steps, extractor=extractor).image
        slow_seconds = time.perf_counter() - start
        rows.append(
            {
                "photo": name,
                "photo_image": photo,
                "fast_image": fast,
                "stylize_image": slow,
                "fast_seconds": fast_seconds,
                "stylize_seconds": slow_seconds,
                "fast": weight_free_distances(extractor, fast, photo, art),
                "stylize": weight_free_distances(extractor, slow, photo, art),
            }
        )
    return Comparison(painting, int(size), int(steps), rows)


def comparison_table(comparison: Comparison) -> str:
    """The comparison as a text table: seconds, speed-up, and both distances with their ratio
    (network / stylize; below 1 the network is nearer)."""
    lines = [
        f"{'photo':<14}{'stylize s':>10}{'network s':>11}{'faster':>9}"
        f"{'style: stylize':>16}{'network':>9}{'ratio':>7}"
        f"{'content: stylize':>18}{'network':>9}{'ratio':>7}"
    ]
    for row in comparison.rows:
        s, f = row["stylize"], row["fast"]
        lines.append(
            f"{row['photo']:<14}{row['stylize_seconds']:>10.1f}{row['fast_seconds']:>11.3f}"
            f"{row['stylize_seconds'] / row['fast_seconds']:>8.0f}x"
            f"{s['style']:>16.3f}{f['style']:>9.3f}{f['style'] / s['style']:>7.2f}"
            f"{s['content']:>18.3f}{f['content']:>9.3f}{f['content'] / s['content']:>7.2f}"
        )
    return "\n".join(lines)


def plot_comparison(comparison: Comparison) -> "Figure":
    """Per photo: the photo, ``stylize``'s picture and the network's, with time and distances."""
    images, titles = [], []
    for row in comparison.rows:
        s, f = row["stylize"], row["fast"]
        images += [row["photo_image"], row["stylize_image"], row["fast_image"]]
        titles += [
            f"{row['photo']} (held out)",
            f"stylize: {row['stylize_seconds']:.1f} s\nstyle {s['style']:.2f}, content "
            f"{s['content']:.2f}",
            f"network: {row['fast_seconds'] * 1000:.0f} ms\nstyle {f['style']:.2f}, content "
            f"{f['content']:.2f}",
        ]
    return image_grid(
        images,
        titles,
        columns=3,
        height_in=3.0,
        suptitle=f"{comparison.painting} at {comparison.size} px",
    )


def missing_network_message(painting: str) -> str:
    """What :func:`~labhelpers.fast_stylize` says for a painting without a trained network."""
    try:
        fast_stylize(np.zeros((16, 16, 3), np.float32), painting)
    except NetworkMissingError as err:
        return str(err)
    return f"{painting} has a trained network."
