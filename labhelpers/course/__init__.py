"""Running a course with the lab: the student edition, grading, and the presenter's kit.

- :mod:`.notebooks`: the lessons found in ``notebooks/`` (never a fixed list), the exercises a
  notebook checks, a notebook's student version, and running a notebook with a time limit.
- :mod:`.edition`: ``python -m labhelpers student-edition OUT``.
- :mod:`.grade`: ``python -m labhelpers grade SUBMISSION.ipynb ... --out grades.csv``.
- :mod:`.present`: ``python -m labhelpers html OUT`` and ``python -m labhelpers slides OUT``.
- :mod:`.commands`: their command lines (added to ``python -m labhelpers``).
"""
