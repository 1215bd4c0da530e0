"""The pictures the panel can use: bundled ones by name, uploads by their menu value.

:func:`parse_upload` reads a ``FileUpload.value`` of ipywidgets 7 (Colab) or 8 (JupyterLab 4);
:class:`PictureSources` keeps the uploads and loads a chosen picture at a run's size, checking
that VGG16 can use it. Pictures are float32 (H, W, 3) in [0, 1]; sizes are pixels.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from typing import Any

import numpy as np

from labhelpers.images import ImageError, load_image

__all__ = ["UPLOAD_PREFIX", "parse_upload", "PictureSources"]

#: Dropdown values of uploaded pictures start with this.
UPLOAD_PREFIX = "upload:"


def _as_bytes(content: Any) -> bytes:
    if isinstance(content, (bytes, bytearray, memoryview)):
        return bytes(content)
    if hasattr(content, "tobytes"):
        return bytes(content.tobytes())
    raise ValueError(f"the uploaded file's content is a {type(content).__name__}, not bytes")


def parse_upload(value: Any) -> list[tuple[str, bytes]]:
    """The files in a ``FileUpload.value``, for ipywidgets 7 and 8 alike.

    Args:
        value: ipywidgets 8: a tuple (or list) of dicts with keys ``name``, ``type``, ``size``,
            ``last_modified`` and ``content`` (a memoryview). ipywidgets 7: a dict
            ``{file name: {"metadata": {"name", ...}, "content": bytes}}``. Empty or None: nothing.

    Returns:
        ``[(file name, file bytes), ...]`` in upload order.

    Raises:
        ValueError: the value has neither format.
    """
    if value is None:
        return []
    if isinstance(value, Mapping):  # ipywidgets 7
        files = []
        for key, item in value.items():
            if not isinstance(item, Mapping) or "content" not in item:
                raise ValueError(
                    f"unexpected FileUpload value for {key!r}: expected a dict with 'content'"
                )
            files.append(
                (str((item.get("metadata") or {}).get("name") or key), _as_bytes(item["content"]))
            )
        return files
    if isinstance(value, (tuple, list)):  # ipywidgets 8
        files = []
        for index, item in enumerate(value):
            if not isinstance(item, Mapping) or "content" not in item:
                raise ValueError(
                    f"unexpected FileUpload value: item {index} is not a dict with 'content'"
                )
            files.append(
                (str(item.get("name") or f"upload-{index + 1}"), _as_bytes(item["content"]))
            )
        return files
    raise ValueError(f"unexpected FileUpload value of type {type(value).__name__}")


def _stored_size(data: bytes, picture: np.ndarray) -> tuple[int, int]:
    """(width, height) px of the picture file ``data`` upright (EXIF orientation applied), read
    from its header; ``picture``'s own size if the header cannot be read."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if image.getexif().get(0x0112) in (5, 6, 7, 8):  # turned by a quarter
                width, height = height, width
            return int(width), int(height)
    except Exception:  # noqa: BLE001 - the picture itself loaded; its size will do
        return int(picture.shape[1]), int(picture.shape[0])


class PictureSources:
    """The pictures the panel can use: bundled names, and uploads by their menu value
    ``"upload:<name>"``.

    Args:
        min_side_px: the shortest side VGG16 needs for the panel's layers
            (see :func:`min_side_px`).
        max_side_px: the largest size (longest side, px) a run of the panel can use; uploads are
            reduced to it when they arrive, so a 100 MP photo does not stay in memory as 1.2 GB
            of floats (None: kept as uploaded).
    """

    def __init__(self, min_side_px: int, max_side_px: int | None = None):
        self.min_side_px = int(min_side_px)
        self.max_side_px = None if max_side_px is None else int(max_side_px)
        #: (width, height) in px of each upload as the student took it (before the reduction).
        self.uploaded_sizes: dict[str, tuple[int, int]] = {}
        self.uploads: dict[str, dict[str, tuple[str, np.ndarray, str]]] = {
            "content": {},
            "style": {},
        }

    def add_upload(self, kind: str, value: Any) -> tuple[str | None, str, np.ndarray | None]:
        """Read a ``FileUpload.value`` (see :func:`parse_upload`) as the ``kind`` picture.

        Returns:
            ``(menu value, file name, picture)``, or ``(None, "", None)`` when nothing was
            uploaded.

        Raises:
            ValueError: with a message for the student (unreadable upload, not a picture).
        """
        if kind not in ("content", "style"):
            raise ValueError(f"kind must be 'content' or 'style', not {kind!r}")
        try:
            files = parse_upload(value)
        except ValueError as exc:
            raise ValueError(
                f"The upload could not be read ({exc}). Try uploading the file again."
            ) from None
        if not files:
            return None, "", None
        name, data = files[0]
        try:
            picture = load_image(data, max_size=self.max_side_px)  # no run uses more
        except ImageError as exc:
            raise ValueError(
                f"The uploaded file {name!r} cannot be used as the {kind} picture: {exc}"
            ) from None
        key = f"{UPLOAD_PREFIX}{name}"
        self.uploads[kind][key] = (name, picture, hashlib.sha1(data).hexdigest())
        self.uploaded_sizes[key] = _stored_size(data, picture)
        return key, name, picture

    def load(self, kind: str, choice: str, size_px: int, for_vgg: bool = True) -> np.ndarray:
        """The chosen picture, longest side at most ``size_px``, float32 (H, W, 3) in [0, 1].

        Raises:
            ValueError: ``for_vgg`` and at that size the picture's shorter side is too small for
                VGG16.
        """
        source = self.uploads[kind][choice][1] if choice.startswith(UPLOAD_PREFIX) else choice
        picture = load_image(source, max_size=size_px)
        height, width = picture.shape[:2]
        short = round(min(height, width) * size_px / max(height, width))
        if for_vgg and short < self.min_side_px:
            raise ValueError(
                f"At {size_px} px the {kind} picture {self.display_name(kind, choice)!r} "
                f"({width}x{height}) would be only {short} px on its shorter side; VGG16 needs at "
                f"least {self.min_side_px}. Choose a bigger size or a less elongated picture."
            )
        return picture

    def source_key(self, kind: str, choice: str) -> tuple:
        """A hashable name of the picture: equal keys, same picture (uploads by their content's
        digest)."""
        if choice.startswith(UPLOAD_PREFIX):
            return (kind, "upload", self.uploads[kind][choice][2], choice)
        return (kind, "bundled", choice)

    def display_name(self, kind: str, choice: Any) -> str:
        """The file or bundled name of a menu value (or of a :meth:`source_key`)."""
        if isinstance(choice, tuple):
            choice = choice[-1]
        return self.uploads[kind][choice][0] if choice in self.uploads[kind] else str(choice)
