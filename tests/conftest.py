"""Shared fixtures: real VGG16 weights (converted torchvision ones) and small images.

Tests that need the real network use the ``extractor`` fixture; it loads the weights that
``python -m labhelpers weights`` prepared (``.ci/run`` and ``setup.sh`` prepare them). If they are
missing, those tests are skipped with the command that fixes it, unless ``LAB_REQUIRE_WEIGHTS=1``
(set by ``.ci/run``), where they fail instead.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("LAB_FAST", "1")

import numpy as np
import pytest


@pytest.fixture(scope="session")
def extractor():
    """The torchvision-trained VGG16 feature extractor (all 13 conv layers)."""
    from labhelpers.config import env_flag
    from labhelpers.network.extractor import build_feature_extractor
    from labhelpers.network.weights import WeightsError

    try:
        return build_feature_extractor("torchvision", download=False, verbose=False)
    except WeightsError as exc:
        if env_flag("LAB_REQUIRE_WEIGHTS"):
            raise
        pytest.skip(f"VGG16 weights not prepared ({exc}); run `python -m labhelpers weights`")


@pytest.fixture(scope="session")
def random_extractor():
    """VGG16 with seeded random weights: fast structural tests that need no download."""
    from labhelpers.network.extractor import build_feature_extractor

    return build_feature_extractor("random", verbose=False, seed=0)


@pytest.fixture
def rng():
    """A fresh, seeded numpy generator."""
    return np.random.default_rng(12345)
