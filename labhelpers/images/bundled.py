"""The bundled pictures: ``content/`` (photos) and ``style/`` (paintings), found by name.

They are package data: ``labhelpers/images/data`` holds a copy of the repository's top-level
``images/`` folder (kept identical by ``tests/test_packaging.py``), so every kind of install
(editable, a plain ``pip install .``, ``pip install git+...``, a wheel) finds them through
:func:`labhelpers.config.package_images_dir`. The folder can be replaced with ``LAB_IMAGES_DIR``
(:func:`labhelpers.config.images_dir`); sources and licences are in ``images/CREDITS.md``.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from labhelpers.config import images_dir, package_images_dir  # noqa: F401  (re-exported)
from labhelpers.images.arrays import ImageError

#: Name of the default content photo (a bundled image in ``images/content``).
DEFAULT_CONTENT = "chelsea_cat"


#: Name of the default style painting (a bundled image in ``images/style``).
DEFAULT_STYLE = "van_gogh_starry_night"


#: The image kinds (sub-folders of the images folder).
KINDS = ("content", "style")


#: File suffixes that :func:`list_images` treats as images.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")


def default_content() -> str:
    """The name of the default content photo, for :func:`load_image` (``"chelsea_cat"``)."""
    return DEFAULT_CONTENT


def default_style() -> str:
    """The name of the default style painting, for :func:`load_image`
    (``"van_gogh_starry_night"``)."""
    return DEFAULT_STYLE


def _check_kind(kind: str | None) -> str | None:
    if kind is None:
        return None
    if isinstance(kind, str):
        cleaned = kind.strip().strip("/").lower()
        if cleaned in KINDS:
            return cleaned
    raise ImageError(f"kind must be 'content', 'style' or None, not {kind!r}.")


def _bundled_files(kind: str) -> list[Path]:
    folder = images_dir() / kind
    if not folder.is_dir():
        return []
    return sorted(
        (
            p
            for p in folder.iterdir()
            if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES
        ),
        key=lambda p: p.name,
    )


def list_images(kind: str | None = None) -> dict[str, list[str]] | list[str]:
    """The names of the bundled images (file names without suffix), sorted.

    Args:
        kind: ``"content"`` (photos), ``"style"`` (paintings) or None for both.

    Returns:
        With ``kind=None`` a dict ``{"content": [...], "style": [...]}``; otherwise the list for
        that kind. Every name can be passed to :func:`load_image`. A missing images folder gives
        empty lists.

    Raises:
        ImageError: ``kind`` is not one of the above.
    """
    checked = _check_kind(kind)
    if checked is not None:
        return [p.stem for p in _bundled_files(checked)]
    return {k: [p.stem for p in _bundled_files(k)] for k in KINDS}


def bundled_summary(limit: int | None = None) -> str:
    """One line listing the bundled names per kind (at most ``limit`` each), for error messages."""
    parts = []
    for kind in KINDS:
        names = [p.stem for p in _bundled_files(kind)]
        if limit is not None and len(names) > limit:
            names = names[:limit] + ["..."]
        parts.append(f"{kind}: {', '.join(names) if names else '(none)'}")
    return "; ".join(parts) + _images_dir_note()


def _images_dir_note() -> str:
    """When ``LAB_IMAGES_DIR`` is set and its folder holds no pictures: a sentence naming it and
    how to undo it (else ""), so "no such picture" is not all a student reads after a typo."""
    if not os.environ.get("LAB_IMAGES_DIR", "").strip() or any(
        _bundled_files(kind) for kind in KINDS
    ):
        return ""
    from labhelpers.console import remove_variable_advice

    folder = images_dir()
    why = "holds no pictures in content/ or style/" if folder.is_dir() else "does not exist"
    return (
        f" (the environment variable LAB_IMAGES_DIR is {folder}, which {why}: set it to the "
        "folder holding content/ and style/, or remove it to use the pictures that come with "
        f"labhelpers: {remove_variable_advice('LAB_IMAGES_DIR')})"
    )


def image_path(name: str, kind: str | None = None) -> Path:
    """The file of a bundled image, found by name.

    Args:
        name: the file name with or without suffix, optionally prefixed by its kind:
            ``"astronaut"``, ``"astronaut.png"``, ``"content/astronaut"``,
            ``"style/van_gogh_starry_night"``. Case does not matter.
        kind: ``"content"``, ``"style"`` or None to look in both folders.

    Returns:
        The absolute path of the image file.

    Raises:
        ImageError: no bundled image has that name (the message lists the available names and
            close matches), or the name is found in both folders and ``kind`` is needed.
    """
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
    if not isinstance(name, str) or not name.strip():
        raise ImageError(
            f"An image name must be a non-empty string such as 'astronaut', not {name!r}. "
            f"Bundled images: {bundled_summary()}."
        )
    wanted_kind = _check_kind(kind)
    text = name.strip().replace("\\", "/")
    if "/" in text:
        prefix, _, rest = text.rpartition("/")
        prefix_kind = prefix.strip("/").lower()
        if prefix_kind not in KINDS:
            raise ImageError(
                f"{name!r} is not a bundled image name: the part before '/' must be 'content' or "
                f"'style'. Bundled images: {bundled_summary()}. For your own picture pass the "
                "path of an existing file."
            )
        if wanted_kind is not None and wanted_kind != prefix_kind:
            raise ImageError(
                f"{name!r} names a {prefix_kind} image but kind={kind!r} was given; drop one "
                "of them."
            )
        wanted_kind, text = prefix_kind, rest
    kinds = (wanted_kind,) if wanted_kind else KINDS
    key = text.lower()
    by_suffix = Path(key).suffix in IMAGE_SUFFIXES
    hits = []
    for k in kinds:
        for path in _bundled_files(k):
            if (path.name.lower() if by_suffix else path.stem.lower()) == key:
                hits.append(path)
    if len(hits) == 1:
        return hits[0].resolve()
    if len(hits) > 1:
        options = ", ".join(f"'{p.parent.name}/{p.stem}'" for p in hits)
        raise ImageError(f"The name {name!r} matches several bundled images; pick one: {options}.")
    candidates = [p.stem for k in kinds for p in _bundled_files(k)]
    close = difflib.get_close_matches(
        Path(key).stem if by_suffix else key, candidates, n=3, cutoff=0.5
    )
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    if wanted_kind:
        what = f"{wanted_kind} image"
        available = (", ".join(candidates) or "(none)") + _images_dir_note()
    else:
        what, available = "image", bundled_summary()
    raise ImageError(
        f"There is no bundled {what} called {name!r}.{hint} Bundled {what}s: {available} "
        f"(folder {images_dir()}). For your own picture pass its file path or URL."
    )
