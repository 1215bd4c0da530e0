"""The code behind each lesson notebook: one module per notebook, shared tools in ``common``.

=========================  ==========================================================
``l00_setup``              00_setup: the lessons' time estimates on this computer
``l01_feature_hierarchy``  01: layers, filters, activations, reconstructions
``l02_content_loss``       02: distances between feature maps, a moved photo
``l03_style_loss``         03: Gram matrices, textures
``l04_total_variation``    04: differences, TV sweeps, denoising
``l05_optimization``       05: the student's loop, a scaled network, Adam against L-BFGS
``l06_paper_figures``      06: Gatys et al.'s Fig. 4 and 5
``l07_style_transfer``     07: the ratio grid, all weights x10 (the panel
                           is :mod:`labhelpers.panel`)
``l08_controls``           08: regions (masks), stroke scale, pooling, colour
``l09_fast_network``       09: training a style network, fast_stylize against
                           stylize (the network is :mod:`labhelpers.feedforward`)
``common``                 figures, pictures, timing, widget helpers, runs from noise
``homework``               notebooks/homework/: the graded homework's helpers
=========================  ==========================================================

Each lesson module holds that lesson's experiments, figures, explorers and result types, and its
``RUNS`` (the sizes and steps of its full-size optimisations). A notebook reaches its module with
one import: ``import labhelpers`` and then ``lesson = labhelpers.lessons.l03_style_loss``; the
modules are imported on first use (most of them load TensorFlow).
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: The lesson modules, in the order of the notebooks.
LESSON_MODULES = (
    "l00_setup",
    "l01_feature_hierarchy",
    "l02_content_loss",
    "l03_style_loss",
    "l04_total_variation",
    "l05_optimization",
    "l06_paper_figures",
    "l07_style_transfer",
    "l08_controls",
    "l09_fast_network",
)

#: The homework notebooks' modules (notebooks/homework/), not lessons: no RUNS, no lesson time.
HOMEWORK_MODULES = ("homework",)

__all__ = ["LESSON_MODULES", "HOMEWORK_MODULES", *LESSON_MODULES, *HOMEWORK_MODULES, "common"]


def __getattr__(name: str) -> ModuleType:
    """``labhelpers.lessons.l03_style_loss`` imports that module on first use."""
    if name in LESSON_MODULES or name in HOMEWORK_MODULES or name == "common":
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(
        f"module {__name__!r} has no attribute {name!r}; the lessons are {LESSON_MODULES}"
    )
