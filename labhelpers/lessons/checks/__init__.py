"""Checkers for the notebook exercises: each runs a student's function on fresh random inputs,
compares it with an independent reference, prints a verdict with a diagnosis (never the
solution) and returns True or False. One module per lesson topic; the names are gathered here.
"""

from labhelpers.lessons.checks.losses import (
    check_content_loss,
    check_gram_matrix,
    check_style_loss,
    check_total_variation_loss,
    use_if_correct,
)

__all__ = [
    "check_content_loss",
    "check_gram_matrix",
    "check_style_loss",
    "check_total_variation_loss",
    "use_if_correct",
]
