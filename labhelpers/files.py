"""Writing files safely: the one home of every file the lab writes.

Every writer of the package (pictures, loss plots, converted weights and their notes, the Colab
set-up's files) goes through :func:`write_file` or :func:`replacing`: the data goes to a hidden
temporary file in the target's folder first and is moved into place with :func:`os.replace` only
when it is complete. A full disk, a Ctrl-C or a crash therefore never leaves half a file under a
real name (the temporary file is removed), and a reader never sees a file being written.

Without ``overwrite`` an existing file is never replaced: the next free name ``name-1.png``,
``name-2.png``, ... is taken instead, claimed with a hard link, which fails instead of replacing
(on file systems without hard links, an existence check just before the move).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

__all__ = ["write_file", "replacing", "free_name"]

#: How many ``name-N`` alternatives :func:`write_file` tries before giving up.
MAX_ALTERNATIVES = 10_000


def free_name(path: Path, attempt: int) -> Path:
    """``path`` itself for attempt 0, else ``<stem>-<attempt><suffix>`` beside it."""
    return path if attempt == 0 else path.with_name(f"{path.stem}-{attempt}{path.suffix}")


def _temporary_beside(target: Path) -> Path:
    """A new, empty, hidden file in ``target``'s folder, with ``target``'s suffixes (for writers
    that pick a format by the name, such as Keras's ``.weights.h5``).

    Its mode is what a plain ``open(target, "w")`` gives, 0666 less the umask (0644 usually), not
    ``tempfile.mkstemp``'s private 0600, which the real name would keep; a file it replaces
    passes its own mode on (:func:`_keep_mode`, just before the move).
    """
    keras = target.name.endswith(".weights.h5")
    suffix = "".join(target.suffixes[-2:]) if keras else target.suffix
    stem = target.name[: -len(suffix)] if suffix else target.name
    for _attempt in range(100):
        name = target.parent / f".{stem}.{secrets.token_hex(4)}.partial{suffix}"
        try:
            handle = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(handle)
        return name
    raise FileExistsError(f"No free temporary name beside '{target}'.")


def _keep_mode(temporary: Path, target: Path) -> None:
    """Give ``temporary`` the permission bits of the existing ``target`` (nothing if none): a
    replaced file keeps its mode, as when it is rewritten in place. Called after the writing, so
    a read-only ``target`` can still be replaced."""
    try:
        kept = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return
    with contextlib.suppress(OSError):  # (a file system without modes: nothing to keep)
        os.chmod(temporary, kept)


@contextlib.contextmanager
def replacing(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``target`` to write to; moved over ``target`` when the block ends.

    For writers that need a path (``model.save_weights(path)``, ``shutil.copyfile``). If the block
    raises (a full disk, Ctrl-C), the temporary file is removed and ``target`` is untouched. This
    always replaces ``target``: use it for files the lab owns (its cache), :func:`write_file` for
    the user's files.
    """
    target = Path(target)
    temporary = _temporary_beside(target)
    try:
        yield temporary
        _keep_mode(temporary, target)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _claim(temporary: Path, target: Path) -> bool:
    """Move ``temporary`` to ``target`` unless ``target`` exists; True when moved."""
    try:
        os.link(temporary, target)  # fails with FileExistsError instead of replacing
    except FileExistsError:
        return False
    except OSError:  # no hard links here (FAT, some network drives): check, then move
        if target.exists():
            return False
        os.replace(temporary, target)
        return True
    temporary.unlink(missing_ok=True)
    return True


def write_file(
    target: str | os.PathLike[str], data: bytes | str, *, overwrite: bool = False
) -> Path:
    """Write ``data`` to ``target`` through a temporary file in the same folder; the path written.

    Args:
        target: the file; its folder must exist.
        data: the whole content (``str`` is written as UTF-8 with ``\\n`` line ends).
        overwrite: True: replace an existing ``target``. False (default): never replace a file;
            an existing name gives ``name-1``, ``name-2``, ... (see :func:`free_name`).

    Returns:
        The path written (``target`` or its first free alternative).

    Raises:
        OSError: the folder cannot be written (no space, read-only, ...); nothing is left behind.
        FileExistsError: all :data:`MAX_ALTERNATIVES` names are taken.
    """
    target = Path(target)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    temporary = _temporary_beside(target)
    try:
        with open(temporary, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())  # the bytes are on disk before the name points at them
        if overwrite:
            _keep_mode(temporary, target)
            os.replace(temporary, target)
            return target
        for attempt in range(MAX_ALTERNATIVES):
            candidate = free_name(target, attempt)
            if _claim(temporary, candidate):
                return candidate
        raise FileExistsError(
            f"Too many files named like '{target}' already; choose another name."
        )
    finally:
        temporary.unlink(missing_ok=True)
