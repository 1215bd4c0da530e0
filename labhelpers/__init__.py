"""labhelpers: the tested code behind the Style Transfer Lab notebooks.

What a student types stays short; each name lives in one module and is imported lazily:

- pictures:   ``load_image``, ``save_image``, ``show_images``, ``list_images``, ``image_path``
              (:mod:`labhelpers.images`)
- network:    ``build_feature_extractor``, ``FeatureExtractor``, ``prepare_weights``,
              ``VGG16_LAYERS``, ``BLOCK_FIRST_LAYERS`` (the first convolution of each block), the
              default layers, ``SHALLOW_STYLE_LAYERS`` (each block weighted half the one before)
- losses:     ``content_loss``, ``gram_matrix``, ``guided_gram_matrix``, ``style_loss``, ...
- checkers:   ``check_content_loss``, ``check_gram_matrix``, ``check_guided_gram``,
              ``check_style_loss``, ``check_total_variation_loss``, ``check_total_loss``,
              ``check_optimization_step``, ``use_if_correct``
- transfer:   ``stylize``, ``StyleTransfer``, ``StyleTransferResult``, ``TransferSettings``,
              ``QUICK_SETTINGS`` (``stylize(content, style, **QUICK_SETTINGS)``: the fast recipe)
- networks:   ``fast_stylize`` (a trained network per painting, one forward pass; lesson 09),
              ``available_networks``, ``NetworkMissingError`` (:mod:`labhelpers.feedforward`)
- the panel:  ``StyleTransferPanel``

A notebook needs one import (``import labhelpers``) and reaches the rest as attributes:
``labhelpers.lessons.l03_style_loss`` (one module per notebook, see :mod:`labhelpers.lessons`),
``labhelpers.exercises`` (checkers, solutions, answer keys), ``labhelpers.device``,
``labhelpers.masks`` (lesson 08's masks: drawn, thresholds, files). The names of
the earlier layout, ``labhelpers.plots``, ``experiments``, ``pictures``, ``widgets``, ``checks``
and ``solutions``, still work: each gathers the same functions from the modules they live in now.

Nothing here imports TensorFlow: ``import labhelpers`` is quick, and TensorFlow is loaded by the
first function that needs it.
"""

from __future__ import annotations

import importlib
import os
import types
from typing import Any

__version__ = "0.2.0"

# Hide TensorFlow's C++ start-up chatter (set before TensorFlow is first imported; a user's own
# setting wins).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# (BLAS threads: a run limits them itself while it optimises, see
# labhelpers.config.one_blas_thread.)

_API = {
    "images": [
        "load_image",
        "save_image",
        "show_images",
        "list_images",
        "image_path",
        "ImageError",
        "resize_to",
        "to_uint8",
        "DEFAULT_CONTENT",
        "DEFAULT_STYLE",
    ],
    "network.weights": ["prepare_weights", "WeightsError"],
    "network.extractor": ["build_feature_extractor", "FeatureExtractor"],
    "network.layers": [
        "VGG16_LAYERS",
        "BLOCK_FIRST_LAYERS",
        "DEFAULT_CONTENT_LAYERS",
        "DEFAULT_STYLE_LAYERS",
        "SHALLOW_STYLE_LAYERS",
    ],
    "losses": [
        "content_loss",
        "gram_matrix",
        "guided_gram_matrix",
        "style_loss",
        "weighted_style_loss",
        "total_variation_loss",
        "total_variation_loss_l2",
    ],
    "exercises.checks": [
        "check_content_loss",
        "check_gram_matrix",
        "check_guided_gram",
        "check_style_loss",
        "check_total_variation_loss",
        "check_total_loss",
        "check_optimization_step",
        "use_if_correct",
    ],
    "transfer.run": ["stylize", "StyleTransfer", "StyleTransferResult"],
    "transfer.settings": ["TransferSettings", "QUICK_SETTINGS"],
    "feedforward.library": ["fast_stylize", "NetworkMissingError", "available_networks"],
    "panel.view": ["StyleTransferPanel"],
    "config": ["fast_mode", "show_solutions", "import_tensorflow"],
}
#: Subpackages and modules reached as ``labhelpers.<name>`` (imported on first use).
_SUBMODULES = {
    "lessons": "lessons",
    "exercises": "exercises",
    "panel": "panel",
    "device": "device",
    "masks": "images.masks",
    "feedforward": "feedforward",
    "checks": "exercises.checks",
    "solutions": "exercises.solutions",
}
_LESSONS = "lessons.l01_feature_hierarchy", "lessons.l02_content_loss", "lessons.l03_style_loss"
#: The earlier layout's modules (students' code may use them): name -> the modules whose public
#: names it gathers.
_GATHERED = {
    "plots": (
        "lessons.common.figures",
        *_LESSONS,
        "lessons.l04_total_variation",
        "lessons.l07_style_transfer",
    ),
    "experiments": (
        "lessons.common.noise_runs",
        "lessons.common.timing",
        *_LESSONS,
        "lessons.l04_total_variation",
        "lessons.l07_style_transfer",
    ),
    "pictures": ("lessons.common.pictures",),
    "widgets": ("lessons.common.widgets", *_LESSONS, "lessons.l04_total_variation"),
}
_WHERE = {name: module for module, names in _API.items() for name in names}
__all__ = sorted(_WHERE) + sorted(_SUBMODULES) + sorted(_GATHERED)


def _gathered(name: str) -> types.ModuleType:
    """A module object holding the public names of the modules :data:`_GATHERED` lists."""
    gathered = types.ModuleType(f"labhelpers.{name}", f"The earlier ``labhelpers.{name}``.")
    for module_name in _GATHERED[name]:
        module = importlib.import_module(f"labhelpers.{module_name}")
        for public in getattr(module, "__all__", ()):
            setattr(gathered, public, getattr(module, public))
    return gathered


def __getattr__(name: str) -> Any:
    """Import a facade name's module on first use (``import labhelpers`` stays quick)."""
    if name in _GATHERED:
        value = _gathered(name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        if name == "solutions":  # the student edition has none: its exercises module says so
            value = importlib.import_module("labhelpers.exercises").solutions
        else:
            value = importlib.import_module(f"labhelpers.{_SUBMODULES[name]}")
        globals()[name] = value
        return value
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'labhelpers' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"labhelpers.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The facade's names, for tab completion."""
    return sorted(set(globals()) | set(__all__))
