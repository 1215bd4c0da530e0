"""Lesson 04 (``notebooks/04_total_variation.ipynb``): total variation.

- "Differences": :func:`plot_differences` (neighbour differences of pictures).
- "A TV sweep": :class:`TVSweep` (runs at several TV weights, the targets computed once) and the
  explorer :func:`tv_weight_panel` (CSS classes ``lab-tv-slider``, ``lab-tv-image``,
  ``lab-tv-status``).
- "Denoising": :func:`tv_denoise`.
- :data:`RUNS`: the optimisations the notebook runs at full size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from labhelpers.config import import_tensorflow
from labhelpers.images import as_float_image
from labhelpers.lessons.common.figures import pyplot
from labhelpers.lessons.common.noise_runs import from_noise
from labhelpers.lessons.common.pictures import difference_images, image_to_png_bytes, noise_image
from labhelpers.lessons.common.timing import LessonRun
from labhelpers.lessons.common.widgets import labelled
from labhelpers.losses import total_variation_loss, total_variation_loss_l2
from labhelpers.transfer.optimizers import adam
from labhelpers.transfer.run import StyleTransfer

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    import ipywidgets
    from matplotlib.figure import Figure

    from labhelpers.network.extractor import FeatureExtractor

__all__ = [
    "RUNS",
    "plot_differences",
    "TVSweep",
    "tv_denoise",
    "tv_weight_panel",
]


#: The optimisations the notebook runs at full size (not in fast mode); the time estimates
#: and tests/test_notebooks.py's check of the parameters cell are built from them.
RUNS: tuple[LessonRun, ...] = (
    LessonRun(
        "style transfer from faint noise at four TV weights", 4, 128, 60, 1.0, "SIZE", "STEPS"
    ),
)


def plot_differences(
    images: Mapping[str, Any], height_in: float = 2.6, gain: float = 4.0
) -> "Figure":
    """For each image: the picture, |horizontal| and |vertical| differences, and its TV.

    Args:
        images: ``{name: picture (H, W, 3)}``, one row each.
        height_in: height of one picture in inches.
        gain: how much the differences are enlarged: the grey scale runs from 0 (black) to
            ``1 / gain`` of the pixel range (white; larger steps are white too), so that small
            steps are visible. One colour bar, in pixel values, gives the scale of every
            difference map.
    """
    plt = pyplot()
    top = 1.0 / float(gain)
    figure, axes = plt.subplots(
        len(images),
        3,
        figsize=(3 * height_in * 1.1 + 0.9, height_in * len(images) + 0.3),
        squeeze=False,
        layout="constrained",
    )
    shown = None
    for row, (name, picture) in enumerate(images.items()):
        horizontal, vertical = difference_images(picture)
        tv = float(np.abs(horizontal).sum() + np.abs(vertical).sum())
        pixels = as_float_image(picture)
        axes[row, 0].imshow(np.clip(pixels, 0, 1))
        axes[row, 0].set_title(
            f"{name}\nTV = {tv:,.0f} ({tv / pixels.size:.3f} per value)", fontsize=9
        )
        for column, (label, diff) in enumerate(
            (("|horizontal|", horizontal), ("|vertical|", vertical)), start=1
        ):
            shown = axes[row, column].imshow(
                np.abs(diff).mean(axis=-1), cmap="gray", vmin=0.0, vmax=top
            )
            axes[row, column].set_title(f"{label} differences", fontsize=9)
        for ax in axes[row]:
            ax.set_axis_off()
    if shown is not None:
        figure.colorbar(
            shown,
            ax=axes[:, 1:].ravel().tolist(),
            shrink=0.5,
            label=f"|difference| of neighbours, mean over R, G, B (white: {top:g} or more)",
        )
    return figure


class TVSweep:
    """Style transfer from noise at several TV weights, prepared once and remembered.

    The :class:`labhelpers.transfer.run.StyleTransfer` is built once, so every new weight only
    costs the optimisation itself; results are kept, so returning to a weight is instant.

    Args:
        content, style: the pictures (anything ``load_image`` accepts).
        extractor: the feature extractor.
        size: longest side in pixels.
        steps: optimisation steps per weight (few steps from noise leave visible noise).
        content_weight, style_weight: the other two terms' weights.
        seed: seed of the noise start (the same for every weight, so only the TV weight differs).
        noise_amplitude: strength of the start noise around grey, 0 to 1 (see
            :func:`~labhelpers.lessons.common.pictures.noise_image`); the lesson's 0.2 is faint, so
            the grain that remains is the optimiser's own, not the start's.
    """

    def __init__(
        self,
        content: Any,
        style: Any,
        extractor: "FeatureExtractor",
        size: int = 128,
        steps: int = 100,
        content_weight: float = 1.0,
        style_weight: float = 1.0,
        seed: int = 0,
        noise_amplitude: float = 1.0,
    ):
        self.transfer = StyleTransfer(content, style, size=size, extractor=extractor)
        self.steps = int(steps)
        self.content_weight = float(content_weight)
        self.style_weight = float(style_weight)
        self.seed = int(seed)
        self.noise_amplitude = float(noise_amplitude)
        self.start = noise_image(self.transfer.content.shape[:2], self.seed, self.noise_amplitude)
        self.results: dict[float, Any] = {}

    def result(self, tv_weight: float, **run_options: Any) -> Any:
        """The :class:`~labhelpers.transfer.run.StyleTransferResult` at ``tv_weight``
        (computed once).

        ``run_options`` (e.g. ``progress=True``) are passed on to the run when it is computed; they
        must not change the picture (a cached result is returned without them).
        """
        key = float(round(float(tv_weight), 10))
        if key not in self.results:
            _start, self.results[key] = from_noise(
                self.transfer,
                steps=self.steps,
                seed=self.seed,
                noise_amplitude=self.noise_amplitude,
                content_weight=self.content_weight,
                style_weight=self.style_weight,
                tv_weight=key,
                **run_options,
            )
        return self.results[key]

    def image(self, tv_weight: float, **run_options: Any) -> np.ndarray:
        """The optimised picture at ``tv_weight``, float32 (H, W, 3) in [0, 1]."""
        return np.asarray(self.result(tv_weight, **run_options).image, dtype=np.float32)

    def images(self, tv_weights: Sequence[float], **run_options: Any) -> list[np.ndarray]:
        """:meth:`image` for several weights, in order (``run_options`` as in :meth:`result`)."""
        return [self.image(w, **run_options) for w in tv_weights]


def tv_denoise(
    noisy: Any,
    weight: float,
    kind: str = "l1",
    steps: int = 200,
    learning_rate: float = 0.01,
    progress: bool = False,
) -> np.ndarray:
    """Remove noise by minimising ``sum((x - noisy)**2) / 2 + weight * TV(x)`` over the picture x.

    A small, VGG-free optimisation (the library's Adam on the pixels, kept in [0, 1]) for comparing
    the two forms of total variation in lesson 4: the L1 form
    (:func:`labhelpers.losses.total_variation_loss`) tolerates a few big steps, so edges stay sharp
    and flat regions become flat; the squared L2 form
    (:func:`labhelpers.losses.total_variation_loss_l2`) punishes big steps most, so edges are
    blurred like the noise.

    Args:
        noisy: the picture to clean, (H, W, 3) in [0, 1].
        weight: the weight of the TV term (>= 0); 0 returns the noisy picture.
        kind: ``"l1"`` or ``"l2"``.
        steps: Adam steps.
        learning_rate: Adam's step size, in pixel values.
        progress: show a progress bar (tqdm) over the steps.

    Returns:
        float32 (H, W, 3) in [0, 1].
    """
    if kind not in ("l1", "l2"):
        raise ValueError(f"kind must be 'l1' or 'l2', not {kind!r}")
    tv = total_variation_loss if kind == "l1" else total_variation_loss_l2
    target = tf.constant(as_float_image(noisy))
    lam = tf.constant(float(weight), tf.float32)

    @tf.function(
        autograph=False
    )  # no Python control flow to convert (and no AutoGraph warnings in the lesson)
    def value_and_grad_tf(image: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        with tf.GradientTape() as tape:
            tape.watch(image)
            loss = 0.5 * tf.reduce_sum(tf.square(image - target)) + lam * tv(image)
        return loss, tape.gradient(loss, image)

    bar = None
    if progress:
        from tqdm.auto import tqdm  # lazy: only when a bar is asked for

        bar = tqdm(
            total=int(steps),
            unit="step",
            desc=f"{kind.upper()} denoising, weight {weight:g}",
            leave=True,
        )

    def value_and_grad(x: np.ndarray) -> tuple[float, np.ndarray]:
        loss, grad = value_and_grad_tf(tf.constant(x))
        if bar is not None:
            bar.update(1)
        return float(loss), grad.numpy()

    try:
        return adam(value_and_grad, target.numpy(), int(steps), learning_rate=learning_rate)
    finally:
        if bar is not None:
            bar.close()


def tv_weight_panel(
    sweep: TVSweep,
    tv_weights: Sequence[float],
    value: float | None = None,
    display_size: int = 256,
) -> "ipywidgets.VBox":
    """A slider over exactly ``tv_weights`` above the picture the optimisation gives at that
    weight.

    The slider offers only the given weights (an ``ipywidgets.SelectionSlider``), so a notebook
    passes the weights its sweep computed: every position is then shown at once, and 0 (no TV) is
    one of them when the sweep has it.

    Args:
        sweep: a :class:`TVSweep` (results already computed are shown at once; a new weight is
            optimised when chosen).
        tv_weights: the weights the slider offers (>= 0), shown in increasing order.
        value: the starting weight, one of ``tv_weights`` (default: the largest).
        display_size: width of the picture in pixels.

    Returns:
        A ``VBox`` with the slider (``lab-tv-slider``), the picture (``lab-tv-image``) and a status
        line (``lab-tv-status``) giving the loss terms.

    Raises:
        ValueError: when ``tv_weights`` is empty or negative, or ``value`` is not one of them.
    """
    import ipywidgets as widgets

    options = sorted({float(w) for w in tv_weights})
    if not options or options[0] < 0:
        raise ValueError(
            f"tv_weights must be one or more weights >= 0, not {list(tv_weights)!r}; "
            "pass the weights of the sweep, e.g. [0.0, 0.3, 1.0, 3.0]."
        )
    value = options[-1] if value is None else float(value)
    if value not in options:
        raise ValueError(
            f"value {value:g} is not one of the slider's weights {options}; pick one of them."
        )
    slider = labelled(
        widgets.SelectionSlider(
            options=[(f"{w:g}", w) for w in options],
            value=value,
            description="tv_weight",
            continuous_update=False,
        ),
        "lab-tv-slider",
    )
    picture = labelled(
        widgets.Image(
            value=image_to_png_bytes(sweep.image(value)), format="png", width=display_size
        ),
        "lab-tv-image",
    )
    status = labelled(widgets.Label(), "lab-tv-status")

    def describe(weight: float) -> None:
        final = sweep.result(weight).final
        status.value = (
            f"tv_weight {weight:.3g}: content {final.get('content', float('nan')):.3g}, "
            f"style {final.get('style', float('nan')):.3g}, tv {final.get('tv', float('nan')):.3g}"
        )

    def moved(change: Any) -> None:
        status.value = f"Optimising with tv_weight {change['new']:.3g} ..."
        picture.value = image_to_png_bytes(sweep.image(change["new"]))
        describe(change["new"])

    slider.observe(moved, names="value")
    describe(value)
    return widgets.VBox([slider, picture, status])
