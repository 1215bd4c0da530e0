"""Lesson 05 (``notebooks/05_optimization.ipynb``): the picture is the only variable.

- The exercises' references (:func:`normalized_total_loss`; the model ``total_loss`` and
  ``optimization_step`` are :mod:`labhelpers.exercises.solutions`'), and :func:`loss_terms` /
  :func:`terms_at`: the weighted terms of any total-loss function with that signature.
- "Your loop": the student's ``optimization_loop`` (a ``for`` loop around their step, checked by
  ``check_optimization_loop``) calls :class:`LoopView`'s ``show_picture`` and ``show_curves``
  from inside the loop; :meth:`LoopView.result` gives the :class:`LoopResult` afterwards (drawn
  by :func:`plot_loop_losses`). :func:`run_steps` is the same loop written once for the
  experiments of sections 4 and 5.
- "Another network": :func:`scaled_extractor`.
- "Adam against L-BFGS": :func:`race_optimizers` and :func:`plot_loss_against_time`.
- :data:`RUNS`: the optimisations the notebook runs at full size.

Which picture the loop keeps: the step returns the loss of the picture it was *given*, so before
each step the loop keeps a copy of the picture; the copy whose loss was lowest is the result.

Conventions: pictures are float32 RGB in [0, 1], (H, W, 3) or (1, H, W, 3); feature maps
(1, h, w, C); Gram matrices (C, C); sizes are pixels of the longest side; times are seconds.
"""

from __future__ import annotations

import inspect
import io
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from labhelpers import losses
from labhelpers.config import import_tensorflow
from labhelpers.images import resize_to, to_uint8
from labhelpers.lessons.common.figures import tidy_log_axis
from labhelpers.lessons.common.timing import LessonRun
from labhelpers.lessons.common.widgets import in_notebook
from labhelpers.transfer.run import StyleTransfer, StyleTransferResult

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure

__all__ = [
    "RUNS",
    "normalized_total_loss",
    "loss_terms",
    "content_and_style_targets",
    "terms_at",
    "scaled_extractor",
    "race_optimizers",
    "plot_loss_against_time",
    "LoopResult",
    "format_progress",
    "plot_loop_losses",
    "run_steps",
    "LoopView",
]


#: The optimisations the notebook runs at full size (not in fast mode); the time estimates
#: and tests/test_notebooks.py's check of the parameters cell are built from them.
RUNS: tuple[LessonRun, ...] = (
    LessonRun(
        "your Adam loop",
        1,
        128,
        40,
        1.0,
        "SIZE",
        "STEPS",
    ),
    # time-limited: the steps are an estimate of how many evaluations fit into the race's seconds
    LessonRun(
        "Adam against L-BFGS, 4 s each (time-limited: about 30 evaluations at 128 px)",
        2,
        128,
        30,
        1.0,
        "RACE_SIZE",
        None,
    ),
    LessonRun(
        "raw and normalised weights, each on the photo's VGG16 and on a x10 one (Adam)",
        4,
        128,
        100,
        1.0,
        "SIZE",
        "COMPARE_STEPS",
    ),
)


def normalized_total_loss(
    image: tf.Tensor,
    features: Mapping[str, tf.Tensor],
    content_targets: Mapping[str, tf.Tensor],
    style_targets: Mapping[str, tf.Tensor],
    alpha: float,
    beta: float,
    gamma: float,
) -> tf.Tensor:
    """:func:`total_loss` as ``labhelpers`` optimises it: each term divided by the size of its
    target, and the layers averaged.

    Every layer's term is divided by the mean square of its target (the photo's feature map, the
    painting's Gram matrix), the TV by the number of pixels H*W. The content and the style terms
    are then *averaged* over their layers (each layer weight 1/len, as the library's layer weights
    sum to 1), not summed as in :func:`total_loss`: so ``alpha, beta, gamma`` here are exactly
    ``stylize``'s ``content_weight, style_weight, tv_weight`` (with five style layers a sum would
    be five times the library's style weight). The result does not depend on the network's scale
    at all; it still depends on the picture's size, because a picture seen at another size is
    another picture for VGG16. Arguments and result as in :func:`total_loss`.
    """
    content = tf.add_n(
        [
            losses.content_loss(features[name], target) / tf.reduce_mean(tf.square(target))
            for name, target in content_targets.items()
        ]
    ) / float(len(content_targets))
    style = tf.add_n(
        [
            losses.style_loss(losses.gram_matrix(features[name]), target)
            / tf.reduce_mean(tf.square(target))
            for name, target in style_targets.items()
        ]
    ) / float(len(style_targets))
    pixels = tf.cast(tf.shape(image)[1] * tf.shape(image)[2], image.dtype)
    return alpha * content + beta * style + gamma * losses.total_variation_loss(image) / pixels


def loss_terms(
    total_loss_fn: Callable[..., tf.Tensor],
    image: tf.Tensor,
    features: Mapping[str, tf.Tensor],
    content_targets: Mapping[str, tf.Tensor],
    style_targets: Mapping[str, tf.Tensor],
    alpha: float,
    beta: float,
    gamma: float,
) -> dict[str, float]:
    """The weighted terms of ``total_loss_fn``, found by switching the other two weights off.

    Works for any function with :func:`total_loss`'s signature (a student's too), so the curves
    show exactly what that function adds up.

    Returns:
        ``{"content": ..., "style": ..., "tv": ..., "total": ...}`` as Python floats.
    """
    args = (image, features, content_targets, style_targets)
    terms = {
        "content": float(total_loss_fn(*args, alpha, 0.0, 0.0)),
        "style": float(total_loss_fn(*args, 0.0, beta, 0.0)),
        "tv": float(total_loss_fn(*args, 0.0, 0.0, gamma)),
    }
    terms["total"] = terms["content"] + terms["style"] + terms["tv"]
    return terms


def content_and_style_targets(
    extractor: Any,
    photo: Any,
    painting: Any,
    content_layers: Sequence[str],
    style_layers: Sequence[str],
    gram_fn: Callable[[tf.Tensor], tf.Tensor] = losses.gram_matrix,
) -> tuple[dict[str, tf.Tensor], dict[str, tf.Tensor]]:
    """The photo's feature maps and the painting's Gram matrices: what the total loss compares
    with.

    Args:
        extractor: a feature extractor returning at least the named layers.
        photo, painting: pictures (H, W, 3) in [0, 1] (their sizes may differ).
        content_layers, style_layers: layer names.
        gram_fn: the Gram-matrix function (the student's, in the lesson).

    Returns:
        ``(content_targets {layer: (1, h, w, C)}, style_targets {layer: (C, C)})``.
    """
    photo_features, painting_features = extractor(photo), extractor(painting)
    return (
        {name: photo_features[name] for name in content_layers},
        {name: gram_fn(painting_features[name]) for name in style_layers},
    )


def terms_at(
    total_loss_fn: Callable[..., tf.Tensor],
    picture: Any,
    photo: Any,
    painting: Any,
    extractor: Any,
    content_layers: Sequence[str],
    style_layers: Sequence[str],
    alpha: float,
    beta: float,
    gamma: float,
) -> dict[str, float]:
    """:func:`loss_terms` of ``picture`` with targets made at the picture's own size.

    The photo is resized to the picture's height and width, so that the content loss compares
    feature maps of the same shape; the painting keeps its size (a Gram matrix does not depend on
    it).

    Returns:
        ``{"content", "style", "tv", "total"}`` as floats.
    """
    picture = np.asarray(picture, np.float32)
    content_targets, style_targets = content_and_style_targets(
        extractor, resize_to(photo, picture.shape[:2]), painting, content_layers, style_layers
    )
    batch = tf.constant(picture[None])
    return loss_terms(
        total_loss_fn, batch, extractor(batch), content_targets, style_targets, alpha, beta, gamma
    )


def scaled_extractor(extractor: Any, factor: float) -> Any:
    """The same VGG16 with every activation multiplied by ``factor`` (> 0): a stand-in for other
    weights.

    The first convolution's kernel and bias and every later bias are multiplied by ``factor``;
    since ReLU and max-pooling commute with a positive factor, each layer's feature map is then
    exactly ``factor`` times the original one. Keras's Caffe-trained VGG16 differs from
    torchvision's by such factors (60-240x, a different one per layer), which is why raw loss
    weights do not carry over from one to the other.

    Args:
        extractor: a :class:`labhelpers.network.extractor.FeatureExtractor`.
        factor: the scale of the activations.

    Returns:
        A new FeatureExtractor with the same layers and preprocessing.
    """
    if not factor > 0:
        raise ValueError(f"factor must be a number > 0 such as 10, not {factor!r}.")
    pairs = [(np.array(kernel), np.array(bias)) for kernel, bias in extractor.conv_weights()]
    pairs[0] = (pairs[0][0] * factor, pairs[0][1])
    pairs = [(kernel, bias * factor) for kernel, bias in pairs]
    return type(extractor).from_arrays(
        pairs,
        layers=extractor.layers,
        preprocessing=extractor.preprocessing,
        source=f"{extractor.source} x{factor:g}",
    )


# The transfer options are being renamed (time_budget -> time_budget_s, normalise ->
# normalize_losses, weights -> vgg_weights); pass the new names and fall back on the old ones while
# a function still has them.
_OLD_NAMES = {
    "time_budget_s": "time_budget",
    "normalize_losses": "normalise",
    "vgg_weights": "weights",
}


def _call(fn: Callable[..., Any], *args: Any, **options: Any) -> Any:
    accepted = inspect.signature(fn).parameters
    renamed = {
        (_OLD_NAMES[k] if k not in accepted and _OLD_NAMES.get(k) in accepted else k): v
        for k, v in options.items()
    }
    return fn(*args, **renamed)


def race_optimizers(
    photo: Any,
    painting: Any,
    extractor: Any,
    *,
    size: int,
    seconds: float,
    optimizers: Sequence[str] = ("adam", "lbfgs"),
    **weights: float,
) -> dict[str, StyleTransferResult]:
    """Each optimiser on the same picture for the same wall-clock time.

    Args:
        photo, painting: the pictures (anything :func:`labhelpers.load_image` accepts).
        extractor: the feature extractor (shared, so VGG16 is loaded once).
        size: longest side in pixels.
        seconds: the time each optimiser gets (the run stops after the first evaluation that ends
            later).
        optimizers: which ones, in order; ``"adam"`` and/or ``"lbfgs"``.
        **weights: ``content_weight``, ``style_weight``, ``tv_weight`` (else the defaults).

    Returns:
        ``{optimizer: result}``; ``result.history`` has one record per evaluation with ``seconds``
        and ``total``.
    """
    transfer = StyleTransfer(photo, painting, size=size, extractor=extractor)
    transfer.run(steps=1, optimizer="adam")  # trace the compiled loss once, outside the timed runs
    return {
        name: _call(
            transfer.run, steps=100_000, optimizer=name, time_budget_s=float(seconds), **weights
        )
        for name in optimizers
    }


def plot_loss_against_time(
    histories: Mapping[str, Sequence[Mapping[str, Any]]], title: str | None = None, ax: Any = None
) -> "Figure":
    """Total loss against seconds, one line per run, with each run's best-so-far as a dashed line.

    Args:
        histories: run name -> history (records with ``seconds`` and ``total``, as ``stylize``
            keeps).
        title: the plot's title.
        ax: an Axes to draw into instead of a new figure.
    """
    import matplotlib.pyplot as plt

    if not histories or not all(histories.values()):
        raise ValueError(
            "plot_loss_against_time needs at least one non-empty history; run an "
            "optimisation first."
        )
    if ax is None:
        figure, ax = plt.subplots(figsize=(6.5, 3.6), layout="constrained")
    else:
        figure = ax.figure
    for index, (name, history) in enumerate(histories.items()):
        seconds = np.array([float(entry["seconds"]) for entry in history])
        total = np.array([float(entry["total"]) for entry in history])
        colour = f"C{index}"
        ax.plot(
            seconds,
            total,
            color=colour,
            lw=1.0,
            marker=".",
            ms=3,
            label=f"{name}: every evaluation",
        )
        ax.plot(
            seconds,
            np.minimum.accumulate(total),
            color=colour,
            lw=2,
            ls="--",
            label=f"{name}: best so far",
        )
    ax.set_yscale("log")
    tidy_log_axis(ax)
    ax.set_xlabel("seconds")
    ax.set_ylabel("total loss")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return figure


#: The live loss curves are redrawn at most this often (seconds) and after the last step: drawing
#: them takes about 0.25 s on two CPU cores, a quarter of a second that the optimisation waits.
CURVES_INTERVAL_S = 3.0


@dataclass
class LoopResult:
    """What :func:`run_steps` returns.

    Attributes:
        image: the picture with the lowest loss, float32 (H, W, 3) in [0, 1].
        best_step: how many steps had been taken when that picture was current (0 = the start).
        losses: the loss returned by each step, i.e. of the picture before step 1, 2, ...
        seconds: seconds since the loop started, after each step.
        terms: ``{"step": k, "seconds": s, name: value, ...}`` records of ``terms(image)`` every
            ``every`` steps (empty without a ``terms`` function).
        steps_done: steps that finished (fewer than asked when interrupted).
        stopped: None, or ``"interrupt"`` when the kernel was interrupted.
        final_loss: the loss of the picture after the last step (None when interrupted).
    """

    image: np.ndarray
    best_step: int
    losses: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    terms: list[dict[str, float]] = field(default_factory=list)
    steps_done: int = 0
    stopped: Optional[str] = None
    final_loss: Optional[float] = None

    @property
    def best_loss(self) -> float:
        """The lowest loss seen (that of the returned picture)."""
        seen = self.losses + ([self.final_loss] if self.final_loss is not None else [])
        return float(min(seen)) if seen else float("nan")

    @property
    def message(self) -> str:
        """One sentence about how the loop ended."""
        why = "interrupted" if self.stopped == "interrupt" else "finished"
        total = self.seconds[-1] if self.seconds else 0.0
        return (
            f"{why} after {self.steps_done} steps in {total:.1f} s; best loss "
            f"{self.best_loss:.4g} (the picture after {self.best_step} steps)"
        )


def format_progress(done: int, steps: int, seconds: float, loss: float, width: int = 24) -> str:
    """A one-line text progress bar:
    ``[#####-----]  20/100 steps  4.2 s  loss 1.23e+03  ~17 s left``.

    Args:
        done: steps finished; steps: steps asked for; seconds: elapsed seconds; loss: the latest
            loss.
        width: characters of the bar.
    """
    filled = int(round(width * done / max(steps, 1)))
    left = seconds / done * (steps - done) if done else float("nan")
    eta = f"  ~{left:.0f} s left" if done and done < steps else ""
    return (
        f"[{'#' * filled}{'-' * (width - filled)}] {done:>4}/{steps} steps  {seconds:6.1f} s  "
        f"loss {loss:.4g}{eta}"
    )


def plot_loop_losses(result: LoopResult, title: Optional[str] = None, ax: Any = None) -> "Figure":
    """The loss after every step (thin) and the recorded terms (markers), log scale, against
    the step."""
    import matplotlib.pyplot as plt

    if ax is None:
        figure, ax = plt.subplots(figsize=(5.2, 3.2), layout="constrained")
    else:
        figure = ax.figure
    if result.losses:
        ax.plot(
            np.arange(1, len(result.losses) + 1),
            result.losses,
            lw=1.6,
            color="C0",
            label="total (every step)",
        )
    names = [
        name
        for name in (result.terms[0] if result.terms else {})
        if name not in ("step", "seconds", "total")
    ]
    for index, name in enumerate(names, start=1):
        steps = [record["step"] for record in result.terms]
        values = np.array([record[name] for record in result.terms], dtype=float)
        if np.any(values > 0):
            ax.plot(
                steps,
                np.where(values > 0, values, np.nan),
                marker="o",
                ms=3,
                lw=1,
                color=f"C{index}",
                label=name,
            )
    ax.set_yscale("log")
    tidy_log_axis(ax)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.grid(True, which="major", alpha=0.3)
    if result.losses or names:
        ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return figure


def _png(image: np.ndarray) -> bytes:
    """The picture (H, W, 3) in [0, 1] as PNG bytes."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(to_uint8(np.clip(image, 0.0, 1.0))).save(buffer, format="PNG")
    return buffer.getvalue()


def _figure_png(result: LoopResult, title: Optional[str]) -> bytes:
    import matplotlib.pyplot as plt

    figure = plot_loop_losses(result, title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    plt.close(figure)
    return buffer.getvalue()


class _View:
    """Three outputs updated in place in Jupyter (picture, curves, progress), or printed lines
    elsewhere."""

    def __init__(self, live: bool, title: Optional[str], steps: int) -> None:
        self.title, self.steps = title, steps
        self.curves_drawn_at = -np.inf  # time.perf_counter() of the last drawing of the curves
        self.handles: Optional[list[Any]] = None
        if live:
            from IPython.display import HTML, display

            self.handles = [display(HTML(""), display_id=True) for _ in range(3)]

    def show(self, image: np.ndarray, result: LoopResult, line: str, final: bool = False) -> None:
        """Show the picture and the progress; the curves too when ``final`` (the loop has ended) or
        :data:`CURVES_INTERVAL_S` have passed since they were last drawn."""
        if self.handles is None:
            print(line, flush=True)
            return
        from IPython.display import HTML, Image

        self.handles[0].update(Image(data=_png(image)))
        now = time.perf_counter()
        if (final or now - self.curves_drawn_at >= CURVES_INTERVAL_S) and (
            result.losses or result.terms
        ):
            self.handles[1].update(Image(data=_figure_png(result, self.title)))
            self.curves_drawn_at = now
        self.handles[2].update(
            HTML(
                f"<progress value='{result.steps_done}' max='{self.steps}' "
                f"style='width:240px'></progress> <code>{line.split('] ', 1)[-1]}</code>"
            )
        )


def run_steps(
    step: Callable[[Any, Callable, Any], Any],
    image: Any,
    loss_fn: Callable[[Any], Any],
    optimizer: Any,
    steps: int,
    *,
    every: int = 10,
    terms: Optional[Callable[[Any], dict[str, float]]] = None,
    live: Optional[bool] = None,
    title: Optional[str] = None,
) -> LoopResult:
    """Run ``step(image, loss_fn, optimizer)`` ``steps`` times; show progress; keep the best
    picture.

    Args:
        step: the optimisation step (the lesson's exercise); returns the loss of the picture it
            got.
        image: the picture, a ``tf.Variable`` (1, H, W, 3) float32 in [0, 1]; updated in place.
        loss_fn: picture -> scalar loss (passed on to ``step``).
        optimizer: a Keras optimiser (passed on to ``step``; its state carries over between steps).
        steps: how many steps (>= 1).
        every: refresh the picture, the curves and the progress line every this many steps.
        terms: optional ``picture -> {name: value}`` (e.g. the weighted content, style and TV
            terms), evaluated every ``every`` steps for the curves; costs one extra evaluation
            then.
        live: True: update outputs in place (Jupyter); False: print progress lines; None: decide
            from whether this runs in a Jupyter kernel.
        title: title of the loss plot.

    Returns:
        A :class:`LoopResult`. Interrupting the kernel (KeyboardInterrupt) ends the loop early with
        ``stopped="interrupt"`` and the best picture so far; it is not raised further.

    Raises:
        ValueError: ``steps`` or ``every`` is not a whole number >= 1.
    """
    for name, value in (("steps", steps), ("every", every)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1 such as 100, not {value!r}.")
    view = _View(in_notebook() if live is None else bool(live), title, int(steps))
    best_image, best_loss = np.asarray(image.numpy()[0], np.float32), np.inf
    result = LoopResult(image=best_image, best_step=0)
    started = time.perf_counter()
    try:
        for number in range(1, int(steps) + 1):
            before = np.asarray(image.numpy()[0], np.float32)
            loss = float(step(image, loss_fn, optimizer))
            result.losses.append(loss)
            result.seconds.append(time.perf_counter() - started)
            result.steps_done = number
            if loss < best_loss:
                best_loss, result.image, result.best_step = loss, before, number - 1
            if number % every == 0 or number == steps:
                if terms is not None:
                    record = {name: float(value) for name, value in terms(image).items()}
                    result.terms.append(
                        {"step": float(number), "seconds": result.seconds[-1], **record}
                    )
                view.show(
                    np.asarray(image.numpy()[0]),
                    result,
                    format_progress(number, int(steps), result.seconds[-1], loss),
                )
        result.final_loss = float(
            loss_fn(image)
        )  # the last picture has not been scored by a step yet
        if result.final_loss < best_loss:
            result.image, result.best_step = (
                np.asarray(image.numpy()[0], np.float32),
                result.steps_done,
            )
    except KeyboardInterrupt:
        result.stopped = "interrupt"
    view.show(
        result.image,
        result,
        format_progress(
            result.steps_done,
            int(steps),
            result.seconds[-1] if result.seconds else 0.0,
            result.best_loss,
        ),
        final=True,
    )
    print(result.message)
    return result


class LoopView:
    """What the student's loop (05, section 3) shows while it runs: the picture and the curves.

    Called from inside the student's ``for`` loop, every :attr:`every` steps and after the
    last one::

        view = lesson.LoopView(STEPS, every=5, terms=terms, title="your loop")
        for number in range(1, STEPS + 1):
            losses.append(float(step(image, loss_fn, optimizer)))
            if number % view.every == 0 or number == STEPS:
                view.show_picture(image, number)
                view.show_curves(losses, image)
        mine = view.result(image, loss_fn)

    In Jupyter the picture, the curves and a progress line are updated in place; elsewhere a
    progress line is printed at each :meth:`show_curves`.

    Attributes:
        steps: the steps the loop will take (for the progress bar).
        every: how often the loop should show the picture and the curves (steps).
        pictures: ``(steps done, picture (H, W, 3) float32)`` of every :meth:`show_picture`.
        curve_calls: how many times :meth:`show_curves` was called.
    """

    def __init__(
        self,
        steps: int,
        *,
        every: int = 10,
        terms: Optional[Callable[[Any], dict[str, float]]] = None,
        title: Optional[str] = None,
        live: Optional[bool] = None,
    ) -> None:
        for name, value in (("steps", steps), ("every", every)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1 such as 10, not {value!r}.")
        self.steps, self.every, self.terms_fn = int(steps), int(every), terms
        self.pictures: list[tuple[int, np.ndarray]] = []
        self.curve_calls = 0
        self._losses: list[float] = []
        self._times: list[tuple[int, float]] = []  # (steps done, seconds) at each show_curves
        self._terms: list[dict[str, float]] = []
        self._started = time.perf_counter()
        self._view = _View(in_notebook() if live is None else bool(live), title, self.steps)

    def _partial(self) -> LoopResult:
        """A :class:`LoopResult` of what was shown so far (for the curves and the progress)."""
        done = len(self._losses)
        return LoopResult(
            image=self.pictures[-1][1] if self.pictures else np.zeros((1, 1, 3), np.float32),
            best_step=0,
            losses=list(self._losses),
            seconds=self._seconds(done),
            terms=list(self._terms),
            steps_done=done,
        )

    def _seconds(self, done: int) -> list[float]:
        """Seconds after each step, interpolated between the times :meth:`show_curves` saw."""
        if not self._times or done == 0:
            return []
        known_steps = [0] + [steps for steps, _ in self._times]
        known_seconds = [0.0] + [seconds for _, seconds in self._times]
        return [float(t) for t in np.interp(np.arange(1, done + 1), known_steps, known_seconds)]

    def show_picture(self, image: Any, number: int) -> None:
        """Show the picture after ``number`` steps (a tf.Variable or array (1, H, W, 3))."""
        picture = np.asarray(tf.convert_to_tensor(image), np.float32).reshape(np.shape(image)[-3:])
        self.pictures.append((int(number), picture.copy()))
        if self._view.handles is not None:
            from IPython.display import Image

            self._view.handles[0].update(Image(data=_png(picture)))

    def show_curves(self, losses: Sequence[Any], image: Any = None) -> None:
        """Draw the curve of ``losses`` (one per step so far) and the progress line; with a
        ``terms`` function and ``image``, record the weighted terms of the picture too (one
        extra evaluation)."""
        self.curve_calls += 1
        self._losses = [float(value) for value in losses]
        done = len(self._losses)
        seconds = time.perf_counter() - self._started
        self._times.append((done, seconds))
        if self.terms_fn is not None and image is not None:
            record = {name: float(value) for name, value in self.terms_fn(image).items()}
            self._terms.append({"step": float(done), "seconds": seconds, **record})
        partial = self._partial()
        line = format_progress(done, self.steps, seconds, self._losses[-1] if done else np.nan)
        if self._view.handles is None:
            print(line, flush=True)
            return
        from IPython.display import HTML, Image

        now = time.perf_counter()
        if done >= self.steps or now - self._view.curves_drawn_at >= CURVES_INTERVAL_S:
            self._view.handles[1].update(Image(data=_figure_png(partial, self._view.title)))
            self._view.curves_drawn_at = now
        self._view.handles[2].update(
            HTML(
                f"<progress value='{done}' max='{self.steps}' style='width:240px'></progress> "
                f"<code>{line.split('] ', 1)[-1]}</code>"
            )
        )

    def result(self, image: Any, loss_fn: Callable[[Any], Any]) -> LoopResult:
        """The loop's :class:`LoopResult`, after the loop (or after it was interrupted).

        The picture kept is the shown one (or the final ``image``) with the lowest loss: the
        picture shown after k steps scored ``losses[k]`` (the step k + 1 returned it), the final
        picture is scored once here with ``loss_fn``.
        """
        result = self._partial()
        final = np.asarray(tf.convert_to_tensor(image), np.float32).reshape(np.shape(image)[-3:])
        result.final_loss = float(loss_fn(image))
        candidates = [(result.final_loss, result.steps_done, final)]
        candidates += [
            (self._losses[number], number, picture)
            for number, picture in self.pictures
            if number < len(self._losses)
        ]
        _, result.best_step, result.image = min(candidates, key=lambda item: item[0])
        if result.steps_done < self.steps:
            result.stopped = "interrupt"
        return result
