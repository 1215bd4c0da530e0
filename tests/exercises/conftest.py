"""Checker tests compare the printed verdicts word for word: keep the "this check takes a while"
notice (labhelpers.exercises.checks.core.SLOW_CALL_SECONDS) out of them on a busy machine, where a
first call may take longer than the notice's threshold.  test_check_core.py sets its own."""

from __future__ import annotations

import pytest

from labhelpers.exercises.checks import core


@pytest.fixture(autouse=True)
def _no_slow_notice(monkeypatch):
    monkeypatch.setattr(core, "SLOW_CALL_SECONDS", 60.0)
