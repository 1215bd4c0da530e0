"""Checkers for the notebook exercises: each runs a student's function on fresh random inputs,
compares it with an independent reference, prints a verdict with a diagnosis (never the
solution) and returns True or False.  The shared machinery is in :mod:`.core` (calling student
code, capping what it prints, reporting) and :mod:`.reference` (comparing with a reference
function); one module per lesson topic holds the checkers, whose names are gathered here.
"""

from labhelpers.exercises.checks.by_hand import check_checkerboard_tv, check_first_adam_change
from labhelpers.exercises.checks.core import use_if_correct
from labhelpers.exercises.checks.extractor import check_feature_extractor
from labhelpers.exercises.checks.lbfgs import check_lbfgs_objective
from labhelpers.exercises.checks.layered import (
    check_layered_content_loss,
    check_layered_style_loss,
)
from labhelpers.exercises.checks.loop import check_loop_ran, check_optimization_loop
from labhelpers.exercises.checks.losses import (
    check_content_loss,
    check_gram_matrix,
    check_guided_gram,
    check_style_loss,
    check_total_variation_loss,
)
from labhelpers.exercises.checks.optimization import check_optimization_step, check_total_loss
from labhelpers.exercises.checks.receptive import check_receptive_field
from labhelpers.exercises.checks.style_gradient import check_style_gradient
from labhelpers.exercises.checks.study import check_ratio_criterion, check_ratio_study
from labhelpers.exercises.checks.training import check_training_step
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
    "check_optimization_loop",
    "check_loop_ran",
    "check_feature_extractor",
    "check_lbfgs_objective",
    "check_style_gradient",
    "check_ratio_study",
    "check_ratio_criterion",
    "check_training_step",
    "use_if_correct",
]
