"""Every option of a style-transfer run, named, defaulted and validated in one place.

:class:`TransferSettings` is the single home of the run options and the loss weights. ``stylize``,
:class:`~labhelpers.transfer.run.StyleTransfer`, the command line (``python -m labhelpers
stylize``) and the lesson panel all take their options from it; adding an option means adding
one field here (with its ``help`` and, for the command line, its ``flag``).

Units: sizes are pixels of the longest side (``size``), times are seconds (``time_budget_s``),
weights are plain numbers >= 0 multiplying the *normalised* loss terms (see
:mod:`labhelpers.transfer.objective`). ``vgg_weights`` names where VGG16's parameters come from;
it is not a loss weight.

Fields fall into two groups:

* :data:`SETUP_FIELDS` change what is computed before optimising (the pictures' size, the
  layers, the style blend, the network): a new :class:`~labhelpers.transfer.run.StyleTransfer`
  is needed when one of them changes.
* the others only change a run (:meth:`~labhelpers.transfer.run.StyleTransfer.run`): weights,
  steps, optimiser, start picture, ... Moving a slider never recomputes targets.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from labhelpers.config import fast_mode
from labhelpers.images.masks import EMPTY_BELOW, Mask, as_mask
from labhelpers.network.layers import (
    DEFAULT_CONTENT_LAYERS,
    DEFAULT_STYLE_LAYERS,
    SHALLOW_STYLE_LAYERS,
    VGG16_LAYERS,
)
from labhelpers.network.model import DEFAULT_POOLING, POOLINGS
from labhelpers.transfer.optimizers import DEFAULT_OPTIMIZER, OPTIMIZERS

__all__ = [
    "TransferSettings",
    "SETUP_FIELDS",
    "INITS",
    "PRECISIONS",
    "default_size",
    "default_steps",
    "check_positive_int",
    "check_weight",
    "check_color_mode",
    "layer_weights",
    "check_style_blend",
    "check_coarse_to_fine",
    "check_masks",
    "check_style_scale",
    "check_layer_paintings",
    "check_pooling",
    "parse_optional_mask",
    "parse_layer_painting",
    "check_names",
    "field_names",
    "parse_whole_number",
    "parse_coarse_to_fine",
    "RENAMED",
    "QUICK_SETTINGS",
]

#: Longest side in pixels and number of loss-and-gradient evaluations (normal and ``LAB_FAST``).
DEFAULT_SIZE, FAST_SIZE = 256, 64
DEFAULT_STEPS, FAST_STEPS = 60, 10

INITS = ("content", "recolored", "style", "noise")
PRECISIONS = ("float32", "bfloat16", "auto")
COLOR_MODES = ("luminance", "histogram")


def default_size() -> int:
    """The default longest side in pixels: 256, or 64 in fast mode (``LAB_FAST=1``)."""
    return FAST_SIZE if fast_mode() else DEFAULT_SIZE


def default_steps() -> int:
    """The default number of loss-and-gradient evaluations: 60, or 10 in fast mode."""
    return FAST_STEPS if fast_mode() else DEFAULT_STEPS


# --- validators (each used by the fields below; public so the CLI can reuse their messages) ------


def check_positive_int(value: Any, name: str, example: int) -> int:
    """``value`` as an int >= 1; ValueError naming ``name`` and an example otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(
            f"{name} must be a positive whole number such as {example}, not {value!r}."
        )
    return int(value)


def check_weight(value: Any, name: str) -> float:
    """``value`` as a finite float >= 0; ValueError naming ``name`` otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number >= 0 (e.g. {name}=1.0), not {value!r}.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a number >= 0 (e.g. {name}=1.0), not {value!r}."
        ) from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a finite number >= 0 (e.g. {name}=1.0), not {value!r}.")
    return number


def check_optional_weight(value: Any, name: str) -> float | None:
    """None or a finite number > 0; ValueError naming ``name`` otherwise."""
    if value is None:
        return None
    number = check_weight(value, name)
    if number <= 0:
        raise ValueError(f"{name} must be a number > 0 (e.g. {name}=0.05) or None, not {value!r}.")
    return number


def check_color_mode(value: Any) -> str | None:
    """None / ``"luminance"`` / ``"histogram"`` (``"none"``, ``""`` and False mean None)."""
    if value in (None, False, "none", "None", ""):
        return None
    if value in COLOR_MODES:
        return value
    raise ValueError(f"preserve_color must be None, 'luminance' or 'histogram', not {value!r}.")


def layer_weights(layers: Any, default: tuple[str, ...], kind: str) -> dict[str, float]:
    """None / a name / a list of names / a dict name -> weight  ->  ``{name: weight}`` summing
    to 1."""
    if layers is None:
        layers = list(default)
    if isinstance(layers, str):
        layers = [layers]
    if isinstance(layers, Mapping):
        items = [
            (str(k), check_weight(v, f"the weight of {kind} layer {k!r}"))
            for k, v in layers.items()
        ]
    else:
        try:
            names = list(layers)
        except TypeError:
            raise ValueError(
                f"{kind}_layers must be a list of VGG16 layer names or a dict name -> weight, "
                f"not {layers!r}."
            ) from None
        items = [(str(n), 1.0) for n in names]
    if not items:
        raise ValueError(f"{kind}_layers is empty; give at least one layer, e.g. {list(default)}.")
    unknown = [n for n, _ in items if n not in VGG16_LAYERS]
    if unknown:
        raise ValueError(f"Unknown {kind} layer(s) {unknown}; choose from {list(VGG16_LAYERS)}.")
    names = [n for n, _ in items]
    if len(set(names)) != len(names):
        raise ValueError(f"{kind}_layers names a layer twice: {names}; list each layer once.")
    total = sum(w for _, w in items)
    if total <= 0:
        raise ValueError(
            f"The {kind} layer weights add up to 0; give at least one layer a positive weight."
        )
    if (
        abs(total - 1.0) <= 1e-9
    ):  # already normalised: keep the floats, so that checking twice changes nothing
        return dict(items)
    return {n: w / total for n, w in items}


def parse_whole_number(text: str) -> Any:
    """Command-line text -> int when it is a whole number, else the text (the field's check names
    the problem)."""
    try:
        return int(text)
    except ValueError:
        return text


def parse_coarse_to_fine(text: str) -> Any:
    """Command-line text -> None (``auto``), True (``on``), False (``off``) or the text
    (rejected)."""
    return {"auto": None, "on": True, "off": False}.get(text.strip().lower(), text)


def check_coarse_to_fine(value: Any) -> Any:
    """None, True, False or a tuple of increasing sizes in px; ValueError naming the choices
    otherwise."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(check_positive_int(v, "each coarse_to_fine size", 256) for v in value)
    raise ValueError(
        "coarse_to_fine must be None (auto: on from 256 px), True, False or a list of smaller "
        f"sizes in px such as [256, 512], not {value!r}."
    )


def check_style_blend(value: Any) -> tuple[float, ...] | None:
    """None or one weight >= 0 per style picture (not all 0); the count is checked against the
    pictures later."""
    if value is None:
        return None
    values = list(value) if isinstance(value, (list, tuple, np.ndarray)) else [value]
    weights = tuple(check_weight(v, "each style_blend weight") for v in values)
    if not weights or sum(weights) <= 0:
        raise ValueError(
            f"style_blend weights are all 0 (or none were given): {list(weights)}; give at least "
            "one style picture a positive weight, e.g. style_blend=[0.7, 0.3]."
        )
    return weights


def check_masks(value: Any, name: str, allow_none: bool = False) -> tuple[Mask | None, ...] | None:
    """None, or a list of masks (one per painting; checked against the photo and the paintings
    when the transfer is prepared): each loaded and checked here (shape, values in [0, 1], not
    empty) and kept as a :class:`~labhelpers.images.masks.Mask`. ``allow_none``: entries may be
    None (``style_masks``: the whole painting)."""
    if value is None:
        return None
    if isinstance(value, (str, Mask)) or (
        isinstance(value, np.ndarray) and value.ndim in (2, 3) and value.dtype != object
    ):
        raise ValueError(
            f"{name} must be a list with one mask per painting, e.g. {name}=[mask_a, mask_b] "
            f"(for one painting: {name}=[mask]), not a single {type(value).__name__}."
        )
    try:
        entries = list(value)
    except TypeError:
        raise ValueError(
            f"{name} must be a list of masks (arrays (H, W) in [0, 1], pictures or file names), "
            f"one per painting, not {value!r}."
        ) from None
    if not entries:
        raise ValueError(f"{name} is an empty list; give one mask per painting, or None.")
    masks: list[Mask | None] = []
    for index, entry in enumerate(entries):
        if entry is None and allow_none:
            masks.append(None)
            continue
        if entry is None:
            raise ValueError(
                f"{name}[{index}] is None; give each painting its mask (an array (H, W) in "
                "[0, 1], a picture or a file name)."
            )
        values = as_mask(entry, f"{name}[{index}]")
        if float(values.max()) < EMPTY_BELOW:
            raise ValueError(
                f"{name}[{index}] is empty (0 everywhere), so its painting would paint nothing; "
                "draw a region (values 1 inside) or leave that painting out."
            )
        masks.append(Mask(values))
    return tuple(masks)


def parse_optional_mask(text: str) -> Any:
    """Command-line text -> None for ``none`` (the whole painting), else the file name."""
    return None if text.strip().lower() == "none" else text


#: The largest ``style_scale``: the painting at 4x the photo's size is already 16x the work of
#: its targets.
MAX_STYLE_SCALE = 4.0


def check_style_scale(value: Any) -> float:
    """A number > 0 and at most :data:`MAX_STYLE_SCALE`."""
    try:
        scale = float(value)
    except (TypeError, ValueError):
        scale = math.nan
    if isinstance(value, bool) or not (0 < scale <= MAX_STYLE_SCALE):
        raise ValueError(
            f"style_scale is the painting's size relative to the photo's: a number > 0 and at "
            f"most {MAX_STYLE_SCALE:g}, such as 0.5 (finer strokes) or 2 (larger ones), not "
            f"{value!r}."
        )
    return scale


def parse_layer_painting(text: str) -> Any:
    """Command-line ``LAYER=N`` -> ``(layer, N)``; anything else is returned (and rejected)."""
    layer, sep, index = text.partition("=")
    if sep and index.strip().isdigit():
        return (layer.strip(), int(index))
    return text


def check_layer_paintings(value: Any) -> dict[str, int] | None:
    """None, or ``{style layer: painting index (0 = the first painting)}``: those layers take their
    Gram matrix from that painting alone (the others from the blend). Indices are checked against
    the paintings when the transfer is prepared."""
    if value is None:
        return None
    try:
        items = list(value.items()) if isinstance(value, Mapping) else [tuple(v) for v in value]
    except (TypeError, ValueError):
        items = None
    if not items or any(len(item) != 2 for item in items):
        raise ValueError(
            "layer_paintings must map style layers to paintings, e.g. {'block1_conv1': 1, "
            "'block2_conv1': 1} (the first painting is 0; on the command line "
            f"block1_conv1=1 block2_conv1=1), not {value!r}."
        )
    out: dict[str, int] = {}
    for layer, index in items:
        if layer not in VGG16_LAYERS:
            raise ValueError(
                f"layer_paintings names {layer!r}, not a VGG16 layer; choose from "
                f"{list(VGG16_LAYERS)}."
            )
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
            raise ValueError(
                f"layer_paintings[{layer!r}] must be a painting's index (0 = the first), not "
                f"{index!r}."
            )
        out[str(layer)] = int(index)
    return out


def check_pooling(value: Any) -> str:
    """``value`` if it names a pooling of the registry
    (:data:`~labhelpers.network.model.POOLINGS`)."""
    return check_choice(value, "pooling", tuple(POOLINGS))


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices``; ValueError listing them otherwise."""
    if isinstance(value, str) and value in choices:
        return value
    listed = ", ".join(repr(c) for c in choices[:-1]) + f" or {choices[-1]!r}"
    raise ValueError(f"{name} must be {listed}, not {value!r}.")


def check_optimizer(value: Any) -> str:
    """``value`` if it names an optimiser of the registry (:data:`~.optimizers.OPTIMIZERS`)."""
    return check_choice(value, "optimizer", tuple(OPTIMIZERS))


def check_init(value: Any) -> Any:
    """``"content"``, ``"recolored"``, ``"style"``, ``"noise"`` or an image (any non-string is
    loaded later)."""
    if isinstance(value, str) and value not in INITS:
        raise ValueError(
            "init must be 'content', 'recolored', 'style', 'noise' or an image array, not "
            f"{value!r}."
        )
    return value


def check_seed(value: Any) -> int:
    """A whole number >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"seed must be a whole number >= 0 such as 0, not {value!r}.")
    return int(value)


def check_seconds(value: Any, name: str) -> float | None:
    """None or a finite number of seconds > 0."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if isinstance(value, bool) or not seconds > 0 or not math.isfinite(seconds):
        raise ValueError(
            f"{name} must be a number of seconds > 0 such as 30 (or None), not {value!r}."
        )
    return seconds


def check_vgg_weights(value: Any) -> str:
    """A non-empty string: a source name or a weights file (which one is checked when VGG16 is
    built)."""
    if not isinstance(value, str) or not value:
        raise ValueError(
            "vgg_weights must be 'auto', 'keras', 'torchvision', 'random' or the path of a "
            f"weights file, not {value!r}."
        )
    return value


def _opt(
    default: Any = dataclasses.MISSING,
    *,
    factory: Any = dataclasses.MISSING,
    check: Callable[[Any], Any],
    help: str,
    flag: str | None = None,
    setup: bool = False,
    parse: Any = None,
    nargs: str | None = None,
    metavar: str | None = None,
) -> Any:
    """A settings field: its default, its ``check`` (value -> cleaned value, or ValueError) and its
    help text.

    ``flag`` is its command-line option (None: not on the command line); ``parse`` turns the
    option's text into a value (default: the text itself; the field's check then converts or
    rejects it), ``nargs``/``metavar`` are passed to argparse.
    """
    metadata = {
        "help": help,
        "flag": flag,
        "setup": setup,
        "parse": parse,
        "nargs": nargs,
        "metavar": metavar,
        "check": check,
    }
    if factory is not dataclasses.MISSING:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


#: Old keyword names that were renamed, with the new name (a clear error instead of "unexpected
#: keyword").
RENAMED = {
    "weights": "vgg_weights",
    "time_budget": "time_budget_s",
    "normalise": "normalize_losses",
}


@dataclass(frozen=True)
class TransferSettings:
    """The options of one style-transfer run; construct with keywords, every value is checked.

    ``TransferSettings(style_weight=100)`` keeps every other default; :meth:`replace` returns a
    changed copy (``settings.replace(steps=20)``), validated again. A bad value raises ValueError
    with a message that names the option and an example of a good value.
    """

    # --- set-up: what the targets depend on --------------------------------------------------
    size: int = _opt(
        factory=default_size,
        check=partial(check_positive_int, name="size", example=256),
        flag="--size",
        setup=True,
        parse=parse_whole_number,
        metavar="PX",
        help="longest side of the result in pixels (default 256; 64 with LAB_FAST=1)",
    )
    content_layers: Any = _opt(
        DEFAULT_CONTENT_LAYERS,
        setup=True,
        check=partial(layer_weights, default=DEFAULT_CONTENT_LAYERS, kind="content"),
        help="content layer name(s), or a dict name -> weight (weights are rescaled to sum to 1)",
    )
    style_layers: Any = _opt(
        DEFAULT_STYLE_LAYERS,
        setup=True,
        check=partial(layer_weights, default=DEFAULT_STYLE_LAYERS, kind="style"),
        help="style layer name(s), or a dict name -> weight (rescaled to sum to 1)",
    )
    style_blend: Any = _opt(
        None,
        setup=True,
        check=check_style_blend,
        flag="--style-blend",
        nargs="+",
        metavar="W",
        help="one weight per style picture, rescaled to sum to 1 (default: equal)",
    )
    content_masks: Any = _opt(
        None,
        setup=True,
        check=partial(check_masks, name="content_masks"),
        flag="--content-masks",
        nargs="+",
        metavar="MASK",
        help="one mask per painting: the region of the photo it paints (arrays (H, W) in [0, 1], "
        "pictures or file names; white = inside). One painting with one mask paints that region "
        "and keeps the rest of the photo",
    )
    style_masks: Any = _opt(
        None,
        setup=True,
        check=partial(check_masks, name="style_masks", allow_none=True),
        flag="--style-masks",
        nargs="+",
        parse=parse_optional_mask,
        metavar="MASK",
        help="one mask per painting: the part of it whose style is used (none: all of it)",
    )
    style_scale: float = _opt(
        1.0,
        setup=True,
        check=check_style_scale,
        flag="--style-scale",
        metavar="S",
        help="the painting's size relative to the photo's: below 1 finer strokes, above 1 "
        "larger ones (default 1)",
    )
    layer_paintings: Any = _opt(
        None,
        setup=True,
        check=check_layer_paintings,
        flag="--layer-paintings",
        nargs="+",
        parse=parse_layer_painting,
        metavar="LAYER=N",
        help="style layers that take their statistics from one painting (0 = the first), e.g. "
        "the fine strokes of one and the coarse structure of another",
    )
    pooling: str = _opt(
        DEFAULT_POOLING,
        setup=True,
        check=check_pooling,
        flag="--pooling",
        metavar="{" + ",".join(POOLINGS) + "}",
        help=", ".join(f"{p.name} ({p.about})" for p in POOLINGS.values()),
    )
    vgg_weights: str = _opt(
        "auto",
        setup=True,
        check=check_vgg_weights,
        flag="--vgg-weights",
        metavar="SOURCE",
        help="where VGG16's parameters come from: auto, keras, torchvision, random "
        "or a weights file",
    )
    precision: str = _opt(
        "float32",
        setup=True,
        check=partial(check_choice, name="precision", choices=PRECISIONS),
        flag="--precision",
        metavar="{float32,bfloat16,auto}",
        help="float32, bfloat16 (faster only on CPUs with native bfloat16) or auto",
    )
    jit_compile: bool = _opt(
        False,
        setup=True,
        check=bool,
        help="compile the loss with XLA (slower on the CPUs measured)",
    )
    # --- the run ------------------------------------------------------------------------------
    steps: int = _opt(
        factory=default_steps,
        check=partial(check_positive_int, name="steps", example=100),
        flag="--steps",
        parse=parse_whole_number,
        metavar="N",
        help="loss-and-gradient evaluations in total (default 60; 10 with LAB_FAST=1)",
    )
    content_weight: float = _opt(
        1.0,
        check=partial(check_weight, name="content_weight"),
        flag="--content-weight",
        metavar="W",
        help="weight of the normalised content loss",
    )
    style_weight: float = _opt(
        10.0,
        check=partial(check_weight, name="style_weight"),
        flag="--style-weight",
        metavar="W",
        help="weight of the normalised style loss",
    )
    tv_weight: float = _opt(
        1.0,
        check=partial(check_weight, name="tv_weight"),
        flag="--tv-weight",
        metavar="W",
        help="weight of the per-pixel total-variation loss",
    )
    optimizer: str = _opt(
        DEFAULT_OPTIMIZER,
        check=check_optimizer,
        flag="--optimizer",
        metavar="{" + ",".join(OPTIMIZERS) + "}",
        help=", ".join(f"{o.name} ({o.about})" for o in OPTIMIZERS.values()),
    )
    lbfgs_history: int = _opt(
        10,
        check=partial(check_positive_int, name="lbfgs_history", example=10),
        help="how many curvature pairs L-BFGS keeps (scipy's maxcor)",
    )
    lbfgs_first_step: float | None = _opt(
        0.5,
        check=partial(check_optional_weight, name="lbfgs_first_step"),
        help="largest change of a pixel value (0-1) in L-BFGS's first trial step "
        "(default 0.5; None: scipy's own, the whole gradient, which "
        "overshoots to coloured noise)",
    )
    init: Any = _opt(
        "content",
        check=check_init,
        flag="--init",
        metavar="{content,recolored,style,noise}",
        help="starting picture: content, recolored (the photo in the painting's colours), style "
        "or noise (in Python also an image array)",
    )
    seed: int = _opt(
        0,
        check=check_seed,
        flag="--seed",
        parse=parse_whole_number,
        help="random seed for init='noise'",
    )
    preserve_color: str | None = _opt(
        None,
        check=check_color_mode,
        flag="--preserve-color",
        metavar="{none,luminance,histogram}",
        help="keep the photo's colours: none, luminance or histogram",
    )
    coarse_to_fine: Any = _opt(
        None,
        check=check_coarse_to_fine,
        flag="--coarse-to-fine",
        parse=parse_coarse_to_fine,
        metavar="{auto,on,off}",
        help="optimise at smaller sizes first: auto/None (on from 256 px; the default), "
        "on/True, off/False, or a list of smaller sizes in px",
    )
    normalize_losses: bool = _opt(
        True,
        check=bool,
        help="divide each layer's loss by its target's mean square "
        "(False: the lecture's raw losses)",
    )
    time_budget_s: float | None = _opt(
        None,
        check=partial(check_seconds, name="time_budget_s"),
        flag="--time-budget-s",
        metavar="SECONDS",
        help="stop after this many seconds, keeping the best picture",
    )
    callback_every: int = _opt(
        10,
        check=partial(check_positive_int, name="callback_every", example=10),
        help="call the callback every this many evaluations",
    )
    progress: bool = _opt(False, check=bool, help="show a progress bar")

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # each field's own check (see _opt), in order
            check = f.metadata.get("check")
            if check is not None:
                object.__setattr__(
                    self, f.name, check(getattr(self, f.name))
                )  # frozen: set once, here
        if self.content_masks is not None and self.style_blend is not None:
            raise ValueError(
                "style_blend and content_masks do not go together: with masks each painting "
                "paints its own region. Drop style_blend (or the masks, to blend the paintings "
                "everywhere)."
            )
        if self.content_masks is not None and self.layer_paintings is not None:
            raise ValueError(
                "layer_paintings and content_masks do not go together: choose the paintings by "
                "region (content_masks) or by layer (layer_paintings), not both."
            )
        if self.content_weight == self.style_weight == self.tv_weight == 0:
            raise ValueError(
                "content_weight, style_weight and tv_weight are all 0, so nothing would change "
                "the picture; make at least one weight > 0 (e.g. style_weight=10)."
            )

    def replace(self, **changes: Any) -> "TransferSettings":
        """A copy with ``changes`` applied and validated; unknown names raise a clear TypeError."""
        check_names(changes)
        return dataclasses.replace(self, **changes) if changes else self

    @classmethod
    def from_options(
        cls, settings: "TransferSettings | None" = None, **overrides: Any
    ) -> "TransferSettings":
        """``settings`` (default: all defaults) with ``overrides`` (field names) applied and
        validated."""
        if settings is not None and not isinstance(settings, TransferSettings):
            raise TypeError(
                f"settings must be a TransferSettings (or None), not {type(settings).__name__}; "
                "pass single options as keywords instead, e.g. stylize(content, style, steps=20)."
            )
        if settings is None:
            check_names(overrides)
            return cls(**overrides)
        return settings.replace(**overrides)

    def setup_key(self) -> tuple:
        """A hashable key of the set-up fields: equal keys can share one prepared transfer."""

        def frozen(value: Any) -> Any:
            if isinstance(value, Mapping):
                return tuple(sorted(value.items()))
            if isinstance(value, (list, tuple)):
                return tuple(value)
            return value

        return tuple(frozen(getattr(self, name)) for name in SETUP_FIELDS)

    def as_dict(self) -> dict[str, Any]:
        """The settings as a plain dict (layers as dicts, init as its name or ``"array"``)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        if not isinstance(out["init"], str):
            out["init"] = "array"
        return out


def check_names(options: Mapping[str, Any]) -> None:
    """TypeError naming the unknown option(s), the new name of a renamed one, and the valid
    names."""
    unknown = sorted(set(options) - set(field_names()))
    if not unknown:
        return
    hints = [f"{name!r} is now called {RENAMED[name]!r}" for name in unknown if name in RENAMED]
    hint = ("; " + ", ".join(hints)) if hints else ""
    raise TypeError(f"Unknown setting(s) {unknown}{hint}; the settings are {field_names()}.")


def field_names() -> list[str]:
    """The names of all :class:`TransferSettings` fields, in order."""
    return [f.name for f in dataclasses.fields(TransferSettings)]


#: The fields that change what is prepared before optimising (see the module docstring).
SETUP_FIELDS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(TransferSettings) if f.metadata["setup"]
)

#: Settings that reach the TensorFlow tutorial's 300-step picture quickly (a variant beside the
#: lecture's defaults, which paint far more): start from the photo recoloured to the painting's
#: colours, the style layers weighted shallow-first (:data:`SHALLOW_STYLE_LAYERS`), style weight
#: 1.4, no TV, one stage. ``stylize(content, style, **QUICK_SETTINGS)``; at 256 px it reached the
#: tutorial's picture in both weight-free distances in 1/8 of the tutorial's time or less on the
#: bundled pairs (``docs/performance.md``). Any key can still be overridden.
QUICK_SETTINGS: dict[str, Any] = {
    "init": "recolored",
    "style_layers": dict(SHALLOW_STYLE_LAYERS),
    "style_weight": 1.4,
    "tv_weight": 0.0,
    "coarse_to_fine": False,
}
