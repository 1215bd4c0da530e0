"""Gatys-style neural style transfer: :func:`stylize` and the reusable :class:`StyleTransfer`.

The picture being optimised is always an RGB image in [0, 1] of shape (H, W, 3); the VGG16
preprocessing that belongs to the weights happens inside the feature extractor
(:mod:`labhelpers.network.extractor`). Every option is a field of
:class:`~labhelpers.transfer.settings.TransferSettings`; ``stylize`` and ``StyleTransfer`` take a
settings object and/or the fields as keywords (``stylize("chelsea_cat", "van_gogh_starry_night",
size=128, steps=20, style_weight=100)``).

How it is built: the targets (:mod:`~labhelpers.transfer.targets`) are computed once per size and
colour mode; the loss and its gradient (:mod:`~labhelpers.transfer.objective`, where the loss's
normalisation is explained) come from one compiled function; the optimisers, coarse-to-fine and
the run's bookkeeping are in :mod:`~labhelpers.transfer.optimizers`; the limits checked before a
run (thin pictures, memory) in :mod:`~labhelpers.transfer.limits`.

Robustness: Ctrl-C (``KeyboardInterrupt``), ``should_stop()`` and ``time_budget_s`` end the run
early and return the best picture so far (the one with the lowest total loss); a loss or gradient
that becomes NaN/infinite or explodes ends it too (``"diverged"``), keeping the best good picture;
an exception raised by ``callback`` or ``should_stop`` ends it as ``"callback_error"``, with the
best picture, the exception in ``result.error`` and its text in ``result.message``. The reason is
in ``result.stopped``. The same ``seed`` gives the same result.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labhelpers import color
from labhelpers.config import one_blas_thread
from labhelpers.images import MAX_SIDE, load_image, resize_to
from labhelpers.images.masks import check_region_masks, resize_mask
from labhelpers.network.layers import VGG16_LAYERS, min_side_px
from labhelpers.transfer.limits import (
    available_memory_bytes,
    check_memory,
    check_min_side,
    largest_size_that_fits,
)
from labhelpers.transfer.objective import Objective, resolve_precision
from labhelpers.transfer.optimizers import run_optimizer
from labhelpers.transfer.record import RunRecorder, RunStopped
from labhelpers.transfer.settings import SETUP_FIELDS, TransferSettings
from labhelpers.transfer.stages import StageDone, split_steps, stage_deadlines, stage_sizes
from labhelpers.transfer.targets import Targets, blend_weights, compute_targets, resize_exact

__all__ = ["StyleTransfer", "StyleTransferResult", "stylize"]


@dataclass
class StyleTransferResult:
    """What :func:`stylize` and :meth:`StyleTransfer.run` return.

    Attributes:
        image: the stylised picture, float32 (H, W, 3), RGB in [0, 1]: the evaluated picture with
            the lowest total loss (at the final scale), colour-preserved if asked for.
        history: one dict per loss-and-gradient evaluation, in order, with keys ``step`` (1, 2,
            ...), ``seconds`` (since the run started), ``total``, ``content``, ``style``, ``tv``
            (the weighted terms; ``total = content + style + tv``), ``style_layers`` (``{layer:
            normalised style loss of that layer, before weighting}``), ``content_layers``
            (likewise) and ``stage_size`` (longest side of the picture being optimised, px).
        options: the settings used (:meth:`TransferSettings.as_dict`), with ``image_shape``, the
            stages (``coarse_to_fine`` as a list of sizes, ``stage_steps``), ``style_blend`` as
            used, the resolved ``precision``, ``vgg_weights`` (the source actually loaded) and
            ``preprocessing``.
        stopped: why the run ended early (a key of
            :data:`labhelpers.transfer.record.STOP_REASONS`): None (it did all its steps),
            ``"stop"`` (``should_stop()`` said so), ``"interrupt"`` (Ctrl-C), ``"time_budget"``,
            ``"diverged"`` (the loss became NaN/infinite or exploded) or ``"callback_error"`` (the
            callback or ``should_stop`` raised; see ``error``).
        message: one or two sentences for people about how the run went (what every front end
            shows).
        best_step: the step whose picture is returned (None if no step finished).
        error: the exception raised by the callback or ``should_stop`` (``stopped ==
            "callback_error"``), else None.
    """

    image: np.ndarray
    history: list[dict[str, Any]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    stopped: str | None = None
    message: str = ""
    best_step: int | None = None
    error: BaseException | None = None

    @property
    def final(self) -> dict[str, Any]:
        """The last history record (an empty dict if no evaluation finished)."""
        return self.history[-1] if self.history else {}

    @property
    def seconds(self) -> float:
        """Seconds from the start of the run to its last evaluation."""
        return float(self.history[-1]["seconds"]) if self.history else 0.0

    def __repr__(self) -> str:
        shape = "x".join(str(d) for d in self.image.shape)
        return (
            f"StyleTransferResult(image={shape}, steps={len(self.history)}, "
            f"stopped={self.stopped!r}, message={self.message!r})"
        )


def _fit(shape: tuple[int, ...], size: int) -> tuple[int, int]:
    """(height, width) of a picture of ``shape`` resized so that its longest side is
    ``size`` px."""
    scale = size / max(shape[0], shape[1])
    return max(1, round(shape[0] * scale)), max(1, round(shape[1] * scale))


def check_extractor(extractor: Any) -> None:
    """ValueError unless ``extractor`` is None or works like
    a :class:`~labhelpers.network.extractor.FeatureExtractor`."""
    if extractor is None or all(
        callable(getattr(extractor, name, None))
        for name in ("with_layers", "conv_weights", "preprocess")
    ):
        return
    hint = (
        f" To choose VGG16's weights by name, pass vgg_weights={extractor!r} instead."
        if isinstance(extractor, str)
        else ""
    )
    raise ValueError(
        f"extractor must be None (built from vgg_weights) or a FeatureExtractor such as "
        "labhelpers.network.extractor.build_feature_extractor('torchvision'), not "
        f"{extractor!r}.{hint}"
    )


class StyleTransfer:
    """Style transfer prepared once for one content picture, style picture(s) and the set-up
    options.

    Construction loads and resizes the pictures, checks that the picture is not too thin for the
    layers and that the size fits in memory, builds VGG16 and computes the targets (content
    features, blended Gram matrices, normalisers) once. :meth:`run` can then be called again and
    again with other weights, optimisers, starts or step counts, without recomputing targets or
    retracing the compiled loss.

    Args:
        content: the content photo: anything :func:`labhelpers.images.load_image` accepts (a path,
            a bundled name such as ``"chelsea_cat"``, a URL, bytes, PIL image, array).
        style: the style painting, or a list of them (blended by ``style_blend``).
        settings: a :class:`TransferSettings`; its set-up fields (``size``, layers,
            ``style_blend``, the controls ``content_masks``, ``style_masks``, ``style_scale``,
            ``layer_paintings`` and ``pooling``, ``vgg_weights``, ``precision``,
            ``jit_compile``) are fixed here, the others are the defaults of :meth:`run`.
        extractor: a :class:`labhelpers.network.extractor.FeatureExtractor` to use instead of
            building one from ``vgg_weights``.
        verbose: print which VGG16 weights were loaded.
        **overrides: settings fields, e.g. ``size=128, style_weight=100``.

    Raises:
        labhelpers.images.ImageError: a picture cannot be loaded.
        labhelpers.network.weights.WeightsError: no VGG16 weights are available.
        ValueError: a bad option, a picture too thin for the layers at this size, or a size that
            does not fit in memory; the message says what to pass instead.
        TypeError: an unknown option name (the message names the new name of a renamed one).
    """

    def __init__(
        self,
        content: Any,
        style: Any,
        settings: TransferSettings | None = None,
        *,
        extractor: Any = None,
        verbose: bool = False,
        **overrides: Any,
    ):
        settings = TransferSettings.from_options(settings, **overrides)
        check_extractor(extractor)
        self.settings = settings
        self.size = settings.size
        self.content_layers = settings.content_layers
        self.style_layers = settings.style_layers
        styles = list(style) if isinstance(style, (list, tuple)) else [style]
        if not styles:
            raise ValueError("style is an empty list; give at least one style image.")
        self.blend = blend_weights(settings.style_blend, len(styles))
        needed = [
            name
            for name in VGG16_LAYERS
            if name in self.content_layers or name in self.style_layers
        ]

        # Pictures: loaded once at most at the final size (the paintings at style_scale times
        # it); every stage is resized from these.
        self.content_source = load_image(content, max_size=self.size)
        painting_size = max(self.size, math.ceil(self.size * settings.style_scale))
        self.style_sources = [load_image(s, max_size=painting_size) for s in styles]
        for what, source, picture in [("content picture", content, self.content_source)] + [
            ("style picture", s, p) for s, p in zip(styles, self.style_sources)
        ]:
            self._check_thin(what, source, picture, needed)
        check_memory(_fit(self.content_source.shape, self.size), self.size)
        self.content = resize_to(self.content_source, self.size)
        self._check_controls(settings, needed)

        if extractor is None:
            from labhelpers.network.extractor import (
                build_feature_extractor,  # lazy: loads Keras and VGG16
            )

            extractor = build_feature_extractor(settings.vgg_weights, verbose=verbose)
        if hasattr(extractor, "with_pooling"):
            extractor = extractor.with_pooling(settings.pooling)
        elif settings.pooling != getattr(extractor, "pooling", "max"):
            raise ValueError(
                f"pooling={settings.pooling!r} needs a FeatureExtractor (it has with_pooling); "
                "leave extractor=None or pass a labhelpers FeatureExtractor."
            )
        self.extractor = extractor
        self.features = extractor.with_layers(needed)
        self.vgg_weights = getattr(extractor, "source", "unknown")
        self.preprocessing = getattr(extractor, "preprocessing", "unknown")
        self.precision = resolve_precision(settings.precision)
        #: how many times targets were computed (one per picture size and colour mode).
        self.target_computations = 0
        self._targets: dict[tuple[tuple[int, int], str | None], Targets] = {}
        for _size, shape, _count in self._stages(
            settings
        ):  # the common case (every stage), prepared right away
            self.targets_at(shape, None)

    def _check_controls(self, settings: TransferSettings, layers: list[str]) -> None:
        """Check lesson 08's controls against the pictures: the masks (count, proportions, empty,
        covering the photo), ``layer_paintings``' layers and indices, and a ``style_scale`` that
        leaves the paintings large enough for the layers. Keeps the checked masks."""
        count = len(self.style_sources)
        #: the content masks at the photo's loaded size (None: no regions)
        self.content_masks = (
            None
            if settings.content_masks is None
            else check_region_masks(settings.content_masks, self.content_source.shape, count)
        )
        #: the style masks at each painting's loaded size (None: whole paintings)
        self.style_masks = (
            None
            if settings.style_masks is None
            else check_region_masks(
                settings.style_masks,
                self.content_source.shape,
                count,
                what="style_masks",
                photo="its painting",
                shapes=[s.shape for s in self.style_sources],
            )
        )
        for layer, index in (settings.layer_paintings or {}).items():
            if layer not in self.style_layers:
                raise ValueError(
                    f"layer_paintings names {layer!r}, which is not a style layer of this run "
                    f"({list(self.style_layers)}); name style layers only."
                )
            if index >= count:
                raise ValueError(
                    f"layer_paintings[{layer!r}] = {index}, but there are only {count} "
                    f"painting(s) (0 to {count - 1}); give an index of a painting."
                )
        smallest = min(
            min(_fit(s.shape, round(settings.style_scale * self.size))) for s in self.style_sources
        )
        if smallest < min_side_px(layers):
            raise ValueError(
                f"style_scale={settings.style_scale:g} makes a painting {smallest} px on its "
                f"short side at size={self.size}, too small for the deepest layer (at least "
                f"{min_side_px(layers)} px); use a larger style_scale or size."
            )

    def _check_thin(self, what: str, source: Any, picture: np.ndarray, layers: list[str]) -> None:
        """check_min_side at the final size, naming the picture's full size (reloaded only when too
        thin)."""
        shape = _fit(picture.shape, self.size)
        try:
            check_min_side(shape, layers, self.size, picture.shape[:2], what)
        except ValueError:
            original = load_image(source).shape[
                :2
            ]  # only on this error path: the message names its real size
            available = available_memory_bytes()
            largest = (
                MAX_SIDE
                if available is None
                else min(
                    MAX_SIDE, largest_size_that_fits(available, min(original) / max(original))
                )
            )
            check_min_side(shape, layers, self.size, original, what, largest)

    def targets_at(self, shape: tuple[int, int], color_mode: str | None = None) -> Targets:
        """The :class:`~labhelpers.transfer.targets.Targets` for a picture of ``shape`` (H, W) px
        and a colour mode (None, ``"luminance"``, ``"histogram"``), computed once and kept."""
        key = (tuple(int(s) for s in shape), color_mode)
        cached = self._targets.get(key)
        if cached is None:
            cached = compute_targets(
                self.features,
                self.content_source,
                self.style_sources,
                self.blend,
                self.content_layers,
                self.style_layers,
                key[0],
                color_mode,
                style_scale=self.settings.style_scale,
                content_masks=self.content_masks,
                style_masks=self.style_masks,
                layer_paintings=self.settings.layer_paintings,
            )
            self._targets[key] = cached
            self.target_computations += 1
        return cached

    def objective(
        self,
        settings: TransferSettings | None = None,
        shape: tuple[int, int] | None = None,
        **overrides: Any,
    ) -> Objective:
        """The :class:`~labhelpers.transfer.objective.Objective` of this transfer for ``settings``
        (default: the transfer's) at ``shape`` (default: the final picture's), for tests and
        benchmarks."""
        settings = self._run_settings(settings, overrides)
        shape = self.content.shape[:2] if shape is None else shape
        return Objective(self.features, self.targets_at(shape, settings.preserve_color), settings)

    def losses(
        self, image: Any, settings: TransferSettings | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """The loss terms of one picture (H, W, 3) in [0, 1] of this transfer's size, as a history
        record.

        Useful for teaching and for checking that two weight sources agree: keys ``total``,
        ``content``, ``style``, ``tv``, ``style_layers``, ``content_layers``; no optimisation.
        ``overrides`` are run settings (``style_weight=100``, ``normalize_losses=False``, ...).
        """
        picture = np.asarray(image, dtype=np.float32)
        if picture.shape != self.content.shape:
            raise ValueError(
                f"losses() needs a picture of shape {self.content.shape} (this transfer's size), "
                f"not {picture.shape}; resize it with labhelpers.images.resize_to."
            )
        return self.objective(settings, **overrides).losses(picture)

    def _run_settings(
        self, settings: TransferSettings | None, overrides: dict[str, Any]
    ) -> TransferSettings:
        settings = TransferSettings.from_options(settings or self.settings, **overrides)
        changed = [
            name
            for name in SETUP_FIELDS
            if getattr(settings, name) != getattr(self.settings, name)
        ]
        if changed:
            raise ValueError(
                f"{', '.join(changed)} can only be set when the transfer is prepared; build a new "
                f"StyleTransfer(content, style, {changed[0]}=...) (or call stylize) for that."
            )
        return settings

    def warm_up(self, settings: TransferSettings | None = None, **overrides: Any) -> float:
        """One loss-and-gradient evaluation per stage of a run with ``settings``, so that run
        starts at full speed.

        A process's first evaluation traces the compiled loss (1-2 s on two cores) and each new
        picture size lets oneDNN prepare its kernels once; the lesson panel calls this while the
        student looks at it, so the first Run's first preview comes as fast as every later one's.
        The pictures evaluated are the stages' content photos; nothing is optimised or kept.

        Returns:
            The seconds it took.
        """
        settings = self._run_settings(settings, overrides)
        start = time.perf_counter()
        for _size, shape, _count in self._stages(settings):
            targets = self.targets_at(shape, settings.preserve_color)
            Objective(self.features, targets, settings).evaluate(targets.content)
        return time.perf_counter() - start

    def run(
        self,
        settings: TransferSettings | None = None,
        *,
        callback: Callable[[int, np.ndarray, dict], Any] | None = None,
        should_stop: Callable[[], bool] | None = None,
        **overrides: Any,
    ) -> StyleTransferResult:
        """Optimise a picture; can be called repeatedly (targets and compiled function are reused).

        Args:
            settings: the run's :class:`TransferSettings` (default: the transfer's); set-up fields
                must equal the transfer's.
            callback: called as ``callback(step, picture, record)`` every ``callback_every``
                evaluations and after the last one; ``picture`` is the best so far (float32 (H, W,
                3) in [0, 1], colour-preserved if asked), ``record`` the history record of that
                step. Raising ``KeyboardInterrupt`` in it ends the run like Ctrl-C; any other
                exception ends it as ``"callback_error"`` (the best picture is returned).
            should_stop: polled after every evaluation; returning True ends the run (``"stop"``).
            **overrides: run settings, e.g. ``steps=20, style_weight=100, optimizer="adam"``.

        Returns:
            A :class:`StyleTransferResult`. Early ends never raise: the best picture so far is
            returned with ``stopped`` and ``message`` saying why.
        """
        settings = self._run_settings(settings, overrides)
        if callback is not None and not callable(callback):
            raise ValueError(
                "callback must be a function callback(step, picture, record), or None."
            )
        if should_stop is not None and not callable(should_stop):
            raise ValueError("should_stop must be a function returning True/False, or None.")
        final_shape = self.content.shape[:2]
        plan = self._stages(settings)
        color_mode = settings.preserve_color
        recorder = RunRecorder(
            settings.steps,
            callback,
            settings.callback_every,
            should_stop,
            settings.time_budget_s,
            settings.progress,
        )
        start: np.ndarray | None = None
        deadlines = stage_deadlines(
            settings.time_budget_s,
            [n for _, _, n in plan],
            [shape[0] * shape[1] for _, shape, _ in plan],
        )
        with one_blas_thread():  # BLAS threads would fight TensorFlow's for the cores (see there)
            try:
                for index, ((stage_size, shape, count), deadline_s) in enumerate(
                    zip(plan, deadlines)
                ):
                    targets = self.targets_at(shape, color_mode)
                    if index == 0:
                        start = self._initial_image(settings, targets)
                    else:
                        start = resize_exact(
                            recorder.best_image if recorder.best_image is not None else start,
                            shape,
                        )
                    recorder.begin_stage(
                        stage_size,
                        lambda picture, t=targets: self._shown(picture, t),
                        deadline_s,
                        last=index == len(plan) - 1,
                    )
                    objective = Objective(self.features, targets, settings)
                    value_and_grad = recorder.wrap(objective.evaluate, objective.record)
                    try:
                        run_optimizer(
                            settings.optimizer,
                            value_and_grad,
                            start,
                            count,
                            settings.lbfgs_history,
                            settings.lbfgs_first_step,
                        )
                    except StageDone:
                        # this stage's share of the time budget is used up: on to the next stage
                        pass
            except RunStopped as stop:
                recorder.stop(stop.reason, stop.detail, stop.error)
            except KeyboardInterrupt:
                recorder.stop("interrupt")
            finally:
                recorder.close()
        image = recorder.best_image
        if image is None:  # nothing finished: the starting picture
            image = (
                start if start is not None else self.targets_at(final_shape, color_mode).content
            )
        if image.shape[:2] != final_shape:
            image = resize_exact(image, final_shape)
        image = self._shown(
            np.clip(image, 0.0, 1.0).astype(np.float32), self.targets_at(final_shape, color_mode)
        )
        options = {
            **settings.as_dict(),
            "image_shape": tuple(int(d) for d in final_shape),
            "coarse_to_fine": [size for size, _, _ in plan],
            "stage_steps": [n for _, _, n in plan],
            "style_blend": [float(b) for b in self.blend],
            "precision": self.precision,
            "vgg_weights": self.vgg_weights,
            "preprocessing": self.preprocessing,
        }
        return StyleTransferResult(
            image=image,
            history=recorder.history,
            options=options,
            stopped=recorder.stopped,
            message=recorder.message(settings.optimizer),
            best_step=recorder.best_step,
            error=recorder.error,
        )

    def _stages(self, settings: TransferSettings) -> list[tuple[int, tuple[int, int], int]]:
        """(size px, shape (H, W), evaluations) per stage, coarse to fine; stages too thin for the
        layers dropped."""
        final_shape = self.content.shape[:2]
        needed = list(self.content_layers) + list(self.style_layers)
        sizes = [
            s
            for s in stage_sizes(self.size, settings.coarse_to_fine)[:-1]
            if min(_fit(final_shape, s)) >= min_side_px(needed)
        ] + [self.size]
        counts = split_steps(settings.steps, len(sizes))
        sizes = sizes[len(sizes) - len(counts) :]
        shapes = [_fit(final_shape, s) for s in sizes[:-1]] + [tuple(final_shape)]
        return list(zip(sizes, shapes, counts))

    def _shown(self, picture: np.ndarray, targets: Targets) -> np.ndarray:
        """The picture as shown: luminance mode puts the content's chroma back on; with content
        masks, the part of the photo outside every mask is the photo (blended through the
        masks' soft borders)."""
        same = picture.shape == targets.content_color.shape
        if targets.color_mode == "luminance" and same:
            picture = color.combine_luminance(picture, targets.content_color)
        picture = np.clip(picture, 0.0, 1.0).astype(np.float32)
        if targets.cover is not None and same:
            cover = targets.cover[..., None]
            picture = (cover * picture + (1.0 - cover) * targets.content_color).astype(np.float32)
        return picture

    def _recolored_regions(self, targets: Targets) -> np.ndarray:
        """With content masks, ``init="recolored"``: each region of the photo in its own
        painting's colours (blended through the masks), the rest of the photo as it is."""
        shape = targets.shape
        picture = (1.0 - targets.cover)[..., None] * targets.content
        for mask, painting in zip(self.content_masks, targets.styles):
            mean, covariance = color.color_statistics(painting)
            region = resize_mask(mask, shape)[..., None]
            picture = picture + region * color.recolor_to(targets.content, mean, covariance)
        return np.clip(picture, 0.0, 1.0).astype(np.float32)

    def _initial_image(self, settings: TransferSettings, targets: Targets) -> np.ndarray:
        """The starting picture (H, W, 3) float32 in [0, 1] for the first stage."""
        shape, init = targets.shape, settings.init
        grey = targets.color_mode == "luminance"  # luminance-only runs start from grey pictures
        if isinstance(init, str):
            if init == "content":
                return targets.content.astype(np.float32, copy=True)
            if init == "recolored" and targets.cover is not None:
                return self._recolored_regions(targets)
            if init == "recolored":  # the photo in the paintings' colours (as the run sees both)
                mean, covariance = color.blended_color_statistics(targets.styles, self.blend)
                return color.recolor_to(targets.content, mean, covariance)
            if init == "style":
                return resize_exact(targets.styles[0], shape)
            noise = (
                np.random.default_rng(settings.seed)
                .uniform(0.0, 1.0, size=(*shape, 3))
                .astype(np.float32)
            )
            return color.gray_to_rgb(color.luminance(noise)) if grey else noise
        picture = load_image(init)
        if grey:
            picture = color.gray_to_rgb(color.luminance(picture))
        return resize_exact(picture, shape)


def stylize(
    content: Any,
    style: Any,
    settings: TransferSettings | None = None,
    *,
    callback: Callable[[int, np.ndarray, dict], Any] | None = None,
    should_stop: Callable[[], bool] | None = None,
    extractor: Any = None,
    verbose: bool = False,
    **overrides: Any,
) -> StyleTransferResult:
    """Paint ``content`` in the style of ``style``: one call that prepares and runs
    a :class:`StyleTransfer`.

    Args:
        content: the photo; anything :func:`labhelpers.images.load_image` accepts.
        style: a painting, or a list of paintings blended with ``style_blend``.
        settings: a :class:`~labhelpers.transfer.settings.TransferSettings` (default:
            all defaults).
        callback, should_stop: see :meth:`StyleTransfer.run`.
        extractor: a feature extractor to use instead of building one from ``vgg_weights``.
        verbose: print which VGG16 weights were loaded.
        **overrides: any settings field, e.g. ``size=128`` (longest side, px), ``steps=20``,
            ``content_masks=[mask_a, mask_b]`` (one region per painting; lesson 08),
            ``style_scale=2``, ``pooling="avg"``,
            ``style_weight=100``, ``optimizer="adam"``, ``preserve_color="luminance"``,
            ``time_budget_s=30``, ``vgg_weights="torchvision"`` (see ``TransferSettings``).

    Returns:
        A :class:`StyleTransferResult` (``.image`` float32 (H, W, 3) in [0, 1], ``.history``, ...).
    """
    settings = TransferSettings.from_options(settings, **overrides)
    transfer = StyleTransfer(content, style, settings, extractor=extractor, verbose=verbose)
    return transfer.run(callback=callback, should_stop=should_stop)
