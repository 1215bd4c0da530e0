"""Settings shared by the whole package: fast mode, cache and image folders, a quiet TensorFlow.

Everything here is read from environment variables so that notebooks, the command line
and CI can change it without editing code:

``LAB_FAST=1``          tiny images and few steps (CI and quick checks)
``LAB_CACHE_DIR``       where converted VGG16 weights are kept (default: the platform's cache
                        folder, :func:`default_cache_dir`)
``LAB_WEIGHTS``         force a weight source for ``vgg_weights="auto"`` (``keras``,
                        ``torchvision``, a file path, or ``random``)
``LAB_IMAGES_DIR``      the folder holding ``content/`` and ``style/`` (default: the copy inside
                        the package, ``labhelpers/images/data``, identical to ``images/``)
``LAB_SOLUTIONS=1``     instructors: every lesson prints and uses the model solutions and shows the
                        answer keys of its Questions (one switch for the whole series)

Every module of the package imports TensorFlow through :func:`import_tensorflow`, which keeps
TensorFlow's start-up noise about missing CUDA drivers off the screen (see there), and every run
optimises inside :func:`one_blas_thread`, so that NumPy's BLAS threads leave the cores
to TensorFlow.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import os
import re
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, Iterator

REPO_ROOT = Path(__file__).resolve().parent.parent

#: Lines TensorFlow writes on every start on a machine without a GPU (and its note that oneDNN's
#: CPU kernels are on, printed on CPUs with AVX-512); none of them is a failure.
STARTUP_NOISE = re.compile(
    r"cudart_stub\.cc|Could not find cuda drivers|failed call to cuInit|cuda_platform\.cc"
    r"|All log messages before absl::InitializeLog\(\) is called"
    r"|Unable to register cu(DNN|FFT|BLAS) factory|computation_placer\.cc.*already registered"
    r"|TF-TRT Warning: Could not find TensorRT"
    r"|oneDNN custom operations are on"
)

_TF_LOCK = threading.Lock()
_tf_module: Any = None


#: The values of a yes/no environment variable that mean "on", and "off" (any case; unset or
#: empty is off too).
TRUE_VALUES = frozenset({"1", "true", "yes", "on"})
FALSE_VALUES = frozenset({"0", "false", "no", "off"})


class SwitchError(ValueError):
    """An on/off environment variable holds something else; one line saying what to set."""


def env_flag(name: str) -> bool:
    """The on/off environment variable ``name``: the one parser of every switch (``LAB_FAST``,
    ``LAB_SOLUTIONS``, ``LAB_BENCH_QUICK``, ...).

    Returns:
        True for 1, true, yes, on; False for 0, false, no, off, empty or unset (any case, spaces
        ignored).

    Raises:
        SwitchError: any other value (``2``, ``y``, ``enabled``): a typo must not silently mean
            "off" (a full-size lesson instead of a quick one); the message says what to set.
    """
    raw = os.environ.get(name, "")
    value = raw.strip().lower()
    if value in TRUE_VALUES:
        return True
    if not value or value in FALSE_VALUES:
        return False
    from labhelpers.console import remove_variable_advice

    raise SwitchError(
        f"The environment variable {name} is {raw!r}, which is neither on nor off: set it to 1 "
        f"(on) or 0 (off) (true/false, yes/no, on/off work too), or remove it "
        f"({remove_variable_advice(name)})."
    )


def fast_mode() -> bool:
    """True when ``LAB_FAST`` is set to a true value (1, true, yes, on)."""
    return env_flag("LAB_FAST")


def show_solutions() -> bool:
    """True when ``LAB_SOLUTIONS`` is on: the instructors' switch for the whole series.

    Every lesson's parameters cell reads it (``SHOW_SOLUTIONS = labhelpers.show_solutions()``), so
    an instructor sets it once: ``LAB_SOLUTIONS=1 jupyter lab`` in a terminal, or
    ``%env LAB_SOLUTIONS=1`` as the first cell in Colab (before ``import labhelpers``'s cell runs).
    """
    return env_flag("LAB_SOLUTIONS")


def default_cache_dir() -> Path:
    """The platform's cache folder for labhelpers, from platformdirs (not created here).

    Linux: ``~/.cache/labhelpers`` (or ``$XDG_CACHE_HOME/labhelpers``); macOS:
    ``~/Library/Caches/labhelpers``; Windows: ``%LOCALAPPDATA%\\labhelpers\\Cache`` (local, not
    roaming application data, where the 60 MB of weights are not synced or backed up).
    """
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("labhelpers", appauthor=False))


class CacheFolderError(OSError):
    """The cache folder cannot be made; the message names it, ``LAB_CACHE_DIR`` and the fix."""


def cache_fix() -> str:
    """What to do when the cache folder cannot be used: set ``LAB_CACHE_DIR``, in every shell."""
    return (
        "Set LAB_CACHE_DIR to a folder you can write to, as an absolute path (macOS/Linux bash: "
        "`export LAB_CACHE_DIR=$HOME/labcache`; Windows PowerShell: `$env:LAB_CACHE_DIR = "
        "\"$HOME\\labcache\"`; Windows cmd: `set LAB_CACHE_DIR=%USERPROFILE%\\labcache`; in "
        "Python, before the first run: os.environ['LAB_CACHE_DIR'] = ...), then try again."
    )


#: ``LAB_CACHE_DIR`` values already resolved to absolute folders: a relative value is resolved
#: against the current folder once, on first use, so a later ``os.chdir`` (a notebook in
#: ``notebooks/``) does not move the cache.
_RESOLVED_CACHE: dict[str, Path] = {}


def cache_dir_path() -> Path:
    """The cache folder as an absolute path, not created: ``LAB_CACHE_DIR`` or the default.

    A relative ``LAB_CACHE_DIR`` is resolved once, against the current folder, and a note says
    which folder that is.
    """
    raw = os.environ.get("LAB_CACHE_DIR", "").strip()
    if not raw:
        return Path(os.path.abspath(default_cache_dir()))
    if raw not in _RESOLVED_CACHE:
        given = Path(raw).expanduser()
        path = Path(os.path.abspath(given))
        if not given.is_absolute():
            print(
                f"Note: LAB_CACHE_DIR={raw} is a relative path; the cache folder is {path} (from "
                "the current folder). Set LAB_CACHE_DIR to an absolute path to choose it "
                "yourself.",
                file=sys.stderr,
            )
        _RESOLVED_CACHE[raw] = path
    return _RESOLVED_CACHE[raw]


def cache_dir() -> Path:
    """The folder for downloaded and converted weights (absolute): ``LAB_CACHE_DIR`` if set, else
    :func:`default_cache_dir`; created on first use.

    Raises:
        CacheFolderError: it cannot be created (a file in the way, a read-only home folder); the
            message names the folder, ``LAB_CACHE_DIR`` and what to do.
    """
    path = cache_dir_path()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CacheFolderError(exc.errno, cache_problem(path, exc)) from None
    return path


def cache_problem(path: Path, exc: OSError) -> str:
    """The message for a cache folder ``path`` that failed with ``exc``: which, why, what to do."""
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        why = "a file of that name (or of one of its parent folders) is in the way"
    else:
        why = exc.strerror or str(exc)
    where = (
        f"LAB_CACHE_DIR is {path}"
        if os.environ.get("LAB_CACHE_DIR", "").strip()
        else f"The cache folder {path} (LAB_CACHE_DIR is not set, so the default)"
    )
    return f"{where}, and it cannot be used for the VGG16 weights: {why}. {cache_fix()}"


def images_dir() -> Path:
    """The folder with the bundled ``content/`` and ``style/`` images: ``LAB_IMAGES_DIR`` if set,
    else the package's own copy (:func:`package_images_dir`)."""
    folder = os.environ.get("LAB_IMAGES_DIR", "").strip()
    if not folder:
        return package_images_dir()
    path = Path(os.path.abspath(Path(folder).expanduser()))
    if path.exists() and not path.is_dir():  # (a folder not there yet lists no pictures)
        from labhelpers.console import remove_variable_advice

        raise SwitchError(
            f"The environment variable LAB_IMAGES_DIR is {path}, which is a file: set it to the "
            "folder holding content/ and style/, or remove it to use the pictures that come "
            f"with labhelpers ({remove_variable_advice('LAB_IMAGES_DIR')})."
        )
    return path


def package_images_dir() -> Path:
    """The folder of the pictures installed with the package (``labhelpers/images/data``).

    Found with :mod:`importlib.resources`, so it is wherever pip put the package (editable or
    not, from a clone, ``git+...`` or a wheel).

    Raises:
        FileNotFoundError: the package is not installed as plain files (e.g. imported from a zip
            file), with what to do instead.
    """
    data = importlib.resources.files("labhelpers").joinpath("images").joinpath("data")
    if isinstance(data, Path):
        return data
    raise FileNotFoundError(
        f"The bundled pictures are inside {data} and cannot be read as files. Install labhelpers "
        "with pip as a normal package (python -m pip install ...), or set LAB_IMAGES_DIR to a "
        "folder holding content/ and style/."
    )


@contextlib.contextmanager
def start_up_noise_filtered() -> Iterator[None]:
    """Send file descriptor 2 to a temporary file, then replay every line but known noise.

    TensorFlow's C++ start-up messages bypass Python's ``sys.stderr``, so they can only be
    caught at the descriptor. Lines that do not match :data:`STARTUP_NOISE` (a real error) are
    written back to ``sys.stderr`` afterwards, so nothing else is hidden.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, AttributeError, ValueError):  # no descriptor 2 (rare embedded setups)
        yield
        return
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode("utf-8", errors="replace")
            kept = [
                line
                for line in text.splitlines()
                if line.strip() and not STARTUP_NOISE.search(line)
            ]
            if kept:
                print("\n".join(kept), file=sys.stderr)


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """NumPy's and SciPy's BLAS (OpenBLAS, MKL or BLIS) on one thread inside the block, restored
    after.

    During a run TensorFlow computes VGG16 on every core, and between two evaluations the
    optimiser does a little vector arithmetic (scipy's L-BFGS-B step, projected L-BFGS's dot
    products) through BLAS. With BLAS's own threads busy-waiting after each call, the two thread
    pools fight over the cores: on two cores, with NumPy imported before labhelpers (as in Colab
    or the benchmarks), a 128 px evaluation took 0.092 s inside a run and 0.049 s with this limit,
    a 256 px one 0.214 s and 0.164 s (AMD EPYC, 2 cores, avx2/avx512f/avx512_bf16). It works
    however NumPy was imported, unlike ``OPENBLAS_NUM_THREADS``, which only counts before NumPy
    first loads; outside the block the user's own NumPy keeps every core. Overlapping blocks (in
    several threads) share one limit, counted: BLAS gets its threads back when the last of them
    ends.
    """
    global _blas_users, _blas_limit, _blas_taken_by_main
    with _BLAS_LOCK:
        if _blas_users == 0:
            _blas_limit, _blas_taken_by_main = _take_blas_limit()
        _blas_users += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _blas_users -= 1
            main = threading.current_thread() is threading.main_thread()
            if _blas_limit is not None and (_blas_users == 0 or (main and _blas_taken_by_main)):
                # The last run gives the threads back; so does the main thread when it took the
                # limit itself, as no other thread could give them back later (see below).
                _give_blas_back(_blas_limit)
                _blas_limit = None


def _blas_counts() -> list[int]:
    from threadpoolctl import threadpool_info

    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def _take_blas_limit() -> tuple[Any, bool]:
    """Limit BLAS to one thread; returns the limiter and whether the main thread had to set it.

    OpenBLAS (0.3.30 in NumPy's and SciPy's wheels) ignores a thread count set from any other
    thread once the main thread has set one. Set from a short helper thread, the limit stays
    changeable from every thread, so the run that ends last can give the threads back whichever
    thread it runs in. Only when the main thread had set a count itself before (a user's own
    ``threadpool_limits``) is the limit set from the calling thread.
    """
    # SciPy's own BLAS (L-BFGS-B's), loaded now so that it is limited too
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_limits

    limiter = _off_the_main_thread(lambda: threadpool_limits(limits=1, user_api="blas"))
    if all(count == 1 for count in _blas_counts()):
        return limiter, False
    _off_the_main_thread(limiter.restore_original_limits)
    return threadpool_limits(limits=1, user_api="blas"), (
        threading.current_thread() is threading.main_thread()
    )


def _give_blas_back(limiter: Any) -> None:
    """Restore what ``limiter`` found: from this thread, or a helper thread if ignored here."""
    wanted = sorted(
        pool["num_threads"]
        for pool in getattr(limiter, "_original_info", [])
        if pool.get("user_api") == "blas"
    )
    limiter.restore_original_limits()
    if wanted and sorted(_blas_counts()) != wanted:
        _off_the_main_thread(limiter.restore_original_limits)


def _off_the_main_thread(action: Any) -> Any:
    """``action()`` run in a short helper thread (see :func:`_take_blas_limit`); its result."""
    outcome: list[Any] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            outcome.append(action())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)

    helper = threading.Thread(target=work, name="labhelpers-blas-limit", daemon=True)
    helper.start()
    helper.join()
    if errors:
        raise errors[0]
    return outcome[0]


#: Runs inside :func:`one_blas_thread` now, and the limit they share. Overlapping runs (the panel's
#: background Run and a cell's ``stylize``) take one limit together; the last to end gives the
#: threads back. Per-run limits would not nest: the first run to end would restore too early, or
#: (ending in the other order) "restore" the one-thread setting it found, for the whole session.
_BLAS_LOCK = threading.Lock()
_blas_users = 0
_blas_limit: Any = None
_blas_taken_by_main = False


def import_tensorflow() -> Any:
    """Import TensorFlow (and set up its devices) without its start-up noise; returns the module.

    On a machine without a GPU, TensorFlow prints "Could not find cuda drivers" and
    "E0000 ... failed call to cuInit" on start; students read those as failures, and
    ``TF_CPP_MIN_LOG_LEVEL`` alone does not remove them. This sets ``TF_CPP_MIN_LOG_LEVEL=2``
    (unless set to a level already; errors stay visible), imports TensorFlow and lists its devices
    (which is when CUDA is probed) with descriptor 2 captured, and replays every captured line that
    is not in :data:`STARTUP_NOISE`. Nothing is disabled: a GPU, when present, is found and used.
    Call it before ``import keras`` (Keras imports TensorFlow itself).
    """
    global _tf_module
    with _TF_LOCK:
        if _tf_module is None:
            if not os.environ.get("TF_CPP_MIN_LOG_LEVEL", "").strip():  # unset or empty
                os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
            with start_up_noise_filtered():
                import tensorflow

                tensorflow.config.list_physical_devices()
            _tf_module = tensorflow
    return _tf_module
