"""Tools several lessons share: :mod:`.figures` (picture grids, loss curves, activation pictures,
weight labels), :mod:`.pictures` (noise, shifts, shuffles: NumPy only), :mod:`.timing` (the time
estimate a cell prints before it optimises, and :class:`~.timing.LessonRun`), :mod:`.widgets`
(helpers of the explorers) and :mod:`.noise_runs` (optimisations started from noise).

The first four load neither TensorFlow nor ipywidgets, so they are imported with the package
(a notebook writes ``labhelpers.lessons.common.figures.image_grid(...)``); ``noise_runs`` loads
TensorFlow and is imported by the lessons that need it.
"""

from labhelpers.lessons.common import figures, pictures, timing, widgets

__all__ = ["figures", "pictures", "timing", "widgets"]
