"""Tools several lessons share: :mod:`.figures` (picture grids, loss curves, activation pictures,
weight labels), :mod:`.pictures` (noise, shifts, shuffles: NumPy only), :mod:`.timing` (the time
estimate a cell prints before it optimises, and :class:`~.timing.LessonRun`), :mod:`.widgets`
(helpers of the explorers) and :mod:`.noise_runs` (optimisations started from noise).
"""
