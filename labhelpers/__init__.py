"""labhelpers: the tested code behind the Style Transfer Lab notebooks.

The public API is gathered here; each name lives in one module:

- images:     ``load_image``, ``save_image``, ``show_images``, ``list_images``, ``image_path``
- weights:    ``prepare_weights``
- features:   ``build_feature_extractor``, ``FeatureExtractor``, ``VGG16_LAYERS``
- losses:     ``content_loss``, ``gram_matrix``, ``style_loss``, ``total_variation_loss``, ...
- checks:     ``check_content_loss``, ``check_gram_matrix``, ``check_style_loss``,
              ``check_total_variation_loss``
- transfer:   ``stylize``, ``StyleTransfer``, ``StyleTransferResult``
- widgets:    ``StyleTransferPanel``, ``ratio_grid``

Names are imported lazily so that ``import labhelpers`` is quick and does not load
TensorFlow until a function that needs it is used.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

__version__ = "0.1.0"

# Hide TensorFlow's C++ start-up chatter (set before TensorFlow is first imported; a user's own
# setting wins).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_API = {
    "images": [
        "load_image", "save_image", "show_images", "list_images", "image_path", "ImageError",
        "resize_to", "to_uint8", "DEFAULT_CONTENT", "DEFAULT_STYLE",
    ],
    "network.weights": ["prepare_weights", "WeightsError"],
    "network.extractor": ["build_feature_extractor", "FeatureExtractor", "VGG16_LAYERS"],
    "losses": [
        "content_loss",
        "gram_matrix",
        "style_loss",
        "weighted_style_loss",
        "total_variation_loss",
        "total_variation_loss_l2",
    ],
    "lessons.checks": [
        "check_content_loss",
        "check_gram_matrix",
        "check_style_loss",
        "check_total_variation_loss",
        "use_if_correct",
    ],
    "transfer.run": ["stylize", "StyleTransfer", "StyleTransferResult"],
    "lessons.panel": ["StyleTransferPanel", "ratio_grid"],
    "config": ["fast_mode"],
}
_WHERE = {name: module for module, names in _API.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'labhelpers' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"labhelpers.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
