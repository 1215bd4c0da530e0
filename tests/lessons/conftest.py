"""Set-up shared by the lesson tests: matplotlib draws off screen (before any test module imports
pyplot), and the figures a test leaves open are closed after it. The picture helpers the tests
share are in ``helpers.py`` beside this file."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")
