"""The notebooks' exercises: checkers, model solutions and the answer keys of the Questions.

- :mod:`.checks`: one checker per exercise (``check_gram_matrix``, ...), all on the shared
  scaffold of :mod:`.checks.core`, and :func:`~.checks.core.use_if_correct`.
- :mod:`.solutions`: the model solutions, each written once (the checkers' references and lesson
  05's tools use them too); printed for instructors with ``LAB_SOLUTIONS=1``.
- :mod:`.answers`: the answer keys (text) and :func:`~.answers.print_answers`.

A notebook reaches them as ``labhelpers.exercises.checks``, ``labhelpers.exercises.solutions``
and ``labhelpers.exercises.print_answers`` after its one ``import labhelpers``.
"""

from __future__ import annotations

from labhelpers.exercises import answers, checks, solutions
from labhelpers.exercises.answers import print_answers

__all__ = ["answers", "checks", "solutions", "print_answers"]
