"""Style transfer: settings -> targets -> objective -> optimisers -> run.

Public names (imported lazily, so ``from labhelpers.transfer import TransferSettings`` does not
start TensorFlow):

- :func:`stylize`, :class:`StyleTransfer`, :class:`StyleTransferResult` (:mod:`.run`)
- :class:`TransferSettings`, :data:`SETUP_FIELDS` (:mod:`.settings`): every run option
- :class:`Targets`, :func:`compute_targets` (:mod:`.targets`)
- :class:`Objective` (:mod:`.objective`): the loss and its gradient, for tests and benchmarks
- :func:`adam`, :func:`lbfgs`, :func:`stage_sizes`, :class:`RunRecorder`, :data:`STOP_REASONS`,
  :func:`stop_message` (:mod:`.optimizers`)
- :func:`check_min_side`, :func:`check_memory`, :func:`largest_size_that_fits` (:mod:`.limits`)
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "run": ("stylize", "StyleTransfer", "StyleTransferResult"),
    "settings": ("TransferSettings", "SETUP_FIELDS"),
    "targets": ("Targets", "compute_targets"),
    "objective": ("Objective",),
    "optimizers": ("adam", "lbfgs", "stage_sizes", "split_steps", "RunRecorder", "RunStopped", "STOP_REASONS",
                   "stop_message"),
    "limits": ("check_min_side", "check_memory", "estimate_run_bytes", "largest_size_that_fits"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'labhelpers.transfer' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"labhelpers.transfer.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
