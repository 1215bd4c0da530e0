"""The notebooks' exercises: checkers, model solutions and the answer keys of the Questions.

- :mod:`.checks`: one checker per exercise (``check_gram_matrix``, ...), all on the shared
  scaffold of :mod:`.checks.core`, and :func:`~.checks.core.use_if_correct`; each records its
  latest verdict (:mod:`.verdicts`).
- :mod:`.solutions`: the model solutions, each written once; printed for instructors with
  ``LAB_SOLUTIONS=1``. The checkers do not use them (see :mod:`.checks.fallbacks`).
- :mod:`.answers`: the answer keys (text) and :func:`~.answers.print_answers`.

A notebook reaches them as ``labhelpers.exercises.checks``, ``labhelpers.exercises.solutions``
and ``labhelpers.exercises.print_answers`` after its one ``import labhelpers``. The student
edition (``python -m labhelpers student-edition``) has no ``solutions`` and no ``answers``:
asking for them, or for an answer key, says so (:data:`labhelpers.config.STUDENT_EDITION_NOTE`).
"""

from __future__ import annotations

from typing import Any

from labhelpers.config import STUDENT_EDITION_NOTE, student_edition
from labhelpers.exercises import checks

__all__ = ["checks", "print_answers"]

if student_edition():

    def print_answers(lesson: str) -> None:
        """Say that the student edition holds no answer keys (for any ``lesson``)."""
        print(STUDENT_EDITION_NOTE)

    def __getattr__(name: str) -> Any:
        """``solutions`` and ``answers`` are not in the student edition: say so plainly."""
        if name in ("solutions", "answers"):
            raise AttributeError(f"labhelpers.exercises.{name}: {STUDENT_EDITION_NOTE}")
        raise AttributeError(f"module 'labhelpers.exercises' has no attribute {name!r}")

else:
    from labhelpers.exercises import answers, solutions
    from labhelpers.exercises.answers import print_answers

    __all__ += ["answers", "solutions"]
