"""Style transfer: settings -> targets -> objective -> optimisers -> run.

Public names:

- :func:`stylize`, :class:`StyleTransfer`, :class:`StyleTransferResult` (:mod:`.run`)
- :class:`TransferSettings`, :data:`SETUP_FIELDS` (:mod:`.settings`): every run option
- :class:`Targets`, :func:`compute_targets` (:mod:`.targets`)
- :class:`Objective` (:mod:`.objective`): the loss and its gradient, for tests and benchmarks
- :data:`OPTIMIZERS` (the one registry), :func:`adam`, :func:`lbfgs` (:mod:`.optimizers`)
- :func:`stage_sizes`, :func:`split_steps` (:mod:`.stages`: coarse to fine)
- :class:`RunRecorder`, :class:`RunStopped`, :data:`STOP_REASONS`, :func:`stop_message`
  (:mod:`.record`: the bookkeeping of one run)
- :func:`check_min_side`, :func:`check_memory`, :func:`largest_size_that_fits` (:mod:`.limits`)

The modules that need TensorFlow (run, targets, objective) are imported on first use, so
``from labhelpers.transfer import TransferSettings`` (the command line's ``--help``) stays quick.
"""

from __future__ import annotations

import importlib
from typing import Any

from labhelpers.transfer.limits import (
    check_memory,
    check_min_side,
    estimate_run_bytes,
    largest_size_that_fits,
)
from labhelpers.transfer.optimizers import OPTIMIZERS, adam, lbfgs
from labhelpers.transfer.record import STOP_REASONS, RunRecorder, RunStopped, stop_message
from labhelpers.transfer.settings import SETUP_FIELDS, TransferSettings
from labhelpers.transfer.stages import split_steps, stage_sizes

#: The names whose modules start TensorFlow, and those modules.
_NEEDS_TENSORFLOW = {
    "stylize": "run",
    "StyleTransfer": "run",
    "StyleTransferResult": "run",
    "Targets": "targets",
    "compute_targets": "targets",
    "Objective": "objective",
}

__all__ = sorted(
    [
        *_NEEDS_TENSORFLOW,
        "TransferSettings",
        "SETUP_FIELDS",
        "OPTIMIZERS",
        "adam",
        "lbfgs",
        "stage_sizes",
        "split_steps",
        "RunRecorder",
        "RunStopped",
        "STOP_REASONS",
        "stop_message",
        "check_min_side",
        "check_memory",
        "estimate_run_bytes",
        "largest_size_that_fits",
    ]
)


def __getattr__(name: str) -> Any:
    if name not in _NEEDS_TENSORFLOW:
        raise AttributeError(f"module 'labhelpers.transfer' has no attribute {name!r}")
    return getattr(importlib.import_module(f"labhelpers.transfer.{_NEEDS_TENSORFLOW[name]}"), name)
