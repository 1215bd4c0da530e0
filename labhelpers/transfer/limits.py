"""What a style-transfer run can take: the thinnest picture the layers allow, the memory a size
needs.

Both checks run before anything is optimised, so a run that cannot work ends at once with a
message that names the numbers and the fix, instead of a TensorFlow error or a ``MemoryError``
minutes later.

* **Thin pictures.** VGG16 halves the picture (2x2 max pooling, rounding down) before blocks 2-5;
  a layer of block ``k`` needs a shorter side of at least ``2**(k-1)`` px
  (:func:`labhelpers.network.layers.min_side_px`), 16 px for the default style layers.
* **Memory.** The peak resident memory of a run grows with the number of pixels. Measured on the
  2-core machine this was written on (one child process per size, float32, L-BFGS, 3 evaluations,
  square random pictures, torchvision VGG16; "before" is TensorFlow and VGG16 loaded; MB = 2**20
  bytes):

  ==========  ===============  =============  ==========================
  side (px)   before (MB)      peak (MB)      run's share per pixel (B)
  ==========  ===============  =============  ==========================
  128         728              898            10,900
  256         753              1,245          7,900
  384         727              1,685          6,800
  512         742              2,184          5,800
  768         741              3,557          5,000
  ==========  ===============  =============  ==========================

  Fitted: peak ~ 0.95 GB + 4,400-5,100 bytes per pixel. The estimate used,
  :data:`BASE_BYTES` + :data:`RUN_BYTES_PER_PIXEL` per pixel (1 GiB + 6,500 B/px), is 15-32% above
  every measurement; it is compared with the available memory (psutil; ``MemAvailable`` on Linux,
  which already excludes what a notebook holds), so it errs on the safe side.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable

from labhelpers.images import MAX_SIDE
from labhelpers.network.layers import VGG16_LAYERS, min_side_px, pools_before

__all__ = [
    "RUN_BYTES_PER_PIXEL",
    "BASE_BYTES",
    "check_min_side",
    "estimate_run_bytes",
    "available_memory_bytes",
    "largest_size_that_fits",
    "check_memory",
]

#: Bytes of peak memory per pixel of the optimised picture (float32; measured 4,400-5,100, rounded
#: up).
RUN_BYTES_PER_PIXEL = 6_500
#: Bytes that TensorFlow, VGG16's weights and the pictures' sources take before a run
#: (measured ~0.95 GB).
BASE_BYTES = 2**30


def _deepest(layers: Iterable[str]) -> str:
    return max(layers, key=lambda name: (pools_before(name), VGG16_LAYERS.index(name)))


def check_min_side(
    shape: tuple[int, int],
    layers: Iterable[str],
    size: int,
    source_shape: tuple[int, int],
    what: str = "content picture",
    largest_size: int | None = None,
) -> None:
    """Raise ValueError when a picture of ``shape`` (H, W) px is too thin for ``layers``.

    Args:
        shape: the picture's (height, width) in px after resizing to ``size``.
        layers: the VGG16 layers the run uses.
        size: the run's longest side in px (named in the message).
        source_shape: the picture's (height, width) before resizing, to say which ``size`` would
            do.
        what: how the message names the picture.
        largest_size: the largest size this computer can take
            (memory, :func:`largest_size_that_fits`, and the loader's largest side), if known: when
            the size that would work is larger, the message says to crop instead.

    The message names the shorter side, what the deepest layer needs, the smallest ``size`` that
    works for this picture and the other fix (crop it less elongated, or use shallower layers).
    """
    layers = list(layers)
    need = min_side_px(layers)
    if min(shape) >= need:
        return
    source_h, source_w = source_shape
    ratio = max(source_h, source_w) / max(1, min(source_h, source_w))
    size_needed = math.ceil(need * ratio)
    deepest = _deepest(layers)
    crop = (
        f"crop the picture to a less elongated shape (at most about {size // need}:1 at "
        f"size={size})"
    )
    if size < need:  # not even a square fits: cropping cannot help ("at most 0:1")
        advice = (
            f"At size={size} even a square picture is only {size} px a side, so no crop helps: "
            f"use size={size_needed} or larger (256 is the usual choice), or shallower layers."
        )
    elif largest_size is not None and size_needed > largest_size:
        advice = (
            f"A size of {size_needed} is more than this computer can take (about "
            f"size={largest_size} at most, for memory and the loader's limit of {MAX_SIDE} px a "
            f"side), so {crop}."
        )
    else:
        advice = f"Use size={size_needed} or larger, or {crop}."
    raise ValueError(
        f"The {what} is {source_w}x{source_h} px; at size={size} it becomes {shape[1]}x{shape[0]} "
        f"px, but layer {deepest} needs a shorter side of at least {need} px (VGG16 halves the "
        f"picture {pools_before(deepest)} times before it). {advice}"
    )


def estimate_run_bytes(shape: tuple[int, int]) -> int:
    """Peak memory (bytes) a float32 run on a picture of ``shape`` (H, W) px needs,
    conservatively."""
    return int(BASE_BYTES + RUN_BYTES_PER_PIXEL * int(shape[0]) * int(shape[1]))


def available_memory_bytes() -> int | None:
    """Memory the system can still give this process, bytes, or None if unknown.

    psutil's ``virtual_memory().available`` first: it works on Windows, macOS and Linux (on
    Linux it is ``MemAvailable`` of /proc/meminfo). Without psutil (a dependency, but an install
    might lack it): /proc/meminfo (Linux), then ``os.sysconf``'s free pages (other Unixes).
    """
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            return int(psutil.virtual_memory().available)
        except (OSError, RuntimeError, AttributeError, ValueError):
            pass  # an unusual system psutil cannot read; try the other sources
    try:
        with open("/proc/meminfo", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def largest_size_that_fits(available_bytes: int, aspect: float = 1.0) -> int:
    """The largest longest side (px) whose run fits in ``available_bytes``.

    Args:
        available_bytes: memory the run may use, bytes.
        aspect: shorter side / longer side of the picture, in (0, 1] (1 for a square).

    Returns:
        A size in px (0 when not even TensorFlow and VGG16 fit).
    """
    room = available_bytes - BASE_BYTES
    if room <= 0:
        return 0
    aspect = min(max(float(aspect), 1e-6), 1.0)
    return int(math.floor(math.sqrt(room / (RUN_BYTES_PER_PIXEL * aspect))))


def check_memory(shape: tuple[int, int], size: int, available_bytes: int | None = None) -> None:
    """Raise ValueError (instead of a MemoryError minutes later) when a run on ``shape`` (H, W) px
    would not fit.

    Args:
        shape: the picture's (height, width) in px at the run's size.
        size: the run's longest side in px (named in the message).
        available_bytes: memory available, bytes; default :func:`available_memory_bytes` (no check
            when it is unknown).
    """
    if available_bytes is None:
        available_bytes = available_memory_bytes()
        if available_bytes is None:
            return
    need = estimate_run_bytes(shape)
    if need <= available_bytes:
        return
    fits = largest_size_that_fits(available_bytes, min(shape) / max(shape))
    advice = (
        f"The largest size that fits is about size={fits}"
        if fits >= 32
        else "Not even a small picture fits; close other programs or notebooks"
    )
    raise ValueError(
        f"size={size} needs about {need / 2**30:.1f} GB of memory ({shape[1]}x{shape[0]} px), but "
        f"only {available_bytes / 2**30:.1f} GB is available. {advice} (or free memory by closing "
        "other programs)."
    )
