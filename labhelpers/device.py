"""What this computer is, and how fast it runs one evaluation of style transfer.

``00_setup.ipynb`` calls :func:`device_summary` and :func:`time_evaluation`; the lessons' time
estimates built on that measurement are :mod:`labhelpers.lessons.l00_setup`'s (the whole course)
and :mod:`labhelpers.lessons.common.timing`'s (one cell).
"""

from __future__ import annotations

import os
import platform
import time
from typing import Any

from labhelpers.config import import_tensorflow

__all__ = ["device_summary", "time_evaluation"]


def device_summary() -> dict[str, Any]:
    """TensorFlow's version and the devices it sees.

    Returns:
        ``{"tensorflow": version, "keras": version, "python": version, "cpu_cores": n,
        "gpus": [names], "platform": text}``.
    """
    # TensorFlow is imported here, not at the top, so that importing labhelpers.device (for
    # LESSON_RUNS and the estimates) stays instant.
    tf = (
        import_tensorflow()
    )  # quietly, without CUDA start-up noise; before Keras, which imports it too
    import keras

    gpus = [device.name for device in tf.config.list_physical_devices("GPU")]
    return {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "python": platform.python_version(),
        "cpu_cores": os.cpu_count() or 1,
        "gpus": gpus,
        "platform": platform.platform(terse=True),
    }


def time_evaluation(size: int = 128, extractor: Any = None, repeats: int = 4) -> dict[str, float]:
    """Time style transfer's loss-and-gradient evaluation on this machine.

    A :class:`labhelpers.transfer.run.StyleTransfer` with the default layers is built at
    ``size`` px and run for ``repeats + 1`` evaluations; the first one also traces the compiled
    function.

    Args:
        size: longest side of the test image in pixels.
        extractor: the feature extractor (default: built from the prepared weights).
        repeats: evaluations timed after the first one.

    Returns:
        ``{"size": size, "seconds_per_evaluation": s, "setup_seconds": s}``: the mean time of one
        evaluation, and the time of preparing and tracing (the first evaluation included).
    """
    # Inside the function: transfer.run loads TensorFlow (see device_summary).
    from labhelpers.images import DEFAULT_CONTENT, DEFAULT_STYLE
    from labhelpers.transfer.run import StyleTransfer

    started = time.perf_counter()
    transfer = StyleTransfer(DEFAULT_CONTENT, DEFAULT_STYLE, size=size, extractor=extractor)
    result = transfer.run(steps=repeats + 1, optimizer="adam")
    history = result.history
    setup = (time.perf_counter() - started) - (history[-1]["seconds"] - history[0]["seconds"])
    per_evaluation = (history[-1]["seconds"] - history[0]["seconds"]) / max(len(history) - 1, 1)
    return {
        "size": float(size),
        "seconds_per_evaluation": float(per_evaluation),
        "setup_seconds": float(setup),
    }
