"""Checkers for the notebook exercises: each runs a student's function on fresh random inputs,
compares it with an independent reference, prints a verdict with a diagnosis (never the
solution) and returns True or False.  The shared machinery is in :mod:`.core` (calling student
code, capping what it prints, reporting) and :mod:`.reference` (comparing with a reference
function); one module per lesson topic holds the checkers, whose names are gathered here.
"""

from labhelpers.exercises.checks.by_hand import check_checkerboard_tv, check_first_adam_change
from labhelpers.exercises.checks.core import use_if_correct
from labhelpers.exercises.checks.layered import (
    check_layered_content_loss,
    check_layered_style_loss,
)
from labhelpers.exercises.checks.losses import (
    check_content_loss,
    check_gram_matrix,
    check_guided_gram,
    check_style_loss,
    check_total_variation_loss,
)
from labhelpers.exercises.checks.optimization import check_optimization_step, check_total_loss
from labhelpers.exercises.checks.receptive import check_receptive_field
from labhelpers.network.layers import (
    layer_geometry,  # the inputs of lesson 01's receptive_field exercise
)

__all__ = [
    "check_content_loss",
    "check_gram_matrix",
    "check_guided_gram",
    "check_style_loss",
    "check_total_variation_loss",
    "check_total_loss",
    "check_optimization_step",
    "check_layered_content_loss",
    "check_layered_style_loss",
    "check_receptive_field",
    "check_checkerboard_tv",
    "check_first_adam_change",
    "use_if_correct",
]
