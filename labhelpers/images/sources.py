"""Pictures a student names by file path or web address: the panel's way round Colab's limit.

Google Colab ships ipywidgets 7.7.1, whose ``FileUpload`` fails for files of 1 MB or more, and
almost every phone photo is bigger. In Colab the style-transfer panel (lesson 07) therefore shows a
text box beside each upload button: the student uploads the photo with Colab's Files sidebar or
with ``google.colab.files.upload()`` (both write it into the working folder, any size), types its
file name or an ``https://`` address there and presses Load. :func:`read_named_picture` reads that
file and :func:`as_upload_value` hands it to the panel in the form its upload buttons deliver, so
the rest of the panel cannot tell the two routes apart. JupyterLab (ipywidgets 8) keeps the upload
buttons alone (:func:`needs_name_box`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labhelpers.images.arrays import ImageError
from labhelpers.images.download import MAX_DOWNLOAD_BYTES, download

__all__ = [
    "MAX_FILE_BYTES",
    "COLAB_UPLOAD_HELP",
    "needs_name_box",
    "read_named_picture",
    "as_upload_value",
    "load_named_picture",
]

#: Largest picture file read from a typed path, in bytes (the same bound as a download).
MAX_FILE_BYTES = MAX_DOWNLOAD_BYTES

#: How a student gets a file into Colab's working folder (shown when the typed name is not there).
COLAB_UPLOAD_HELP = (
    "Upload it first with Colab's Files sidebar (the folder icon on the left, then the upload "
    "icon), or run `from google.colab import files; files.upload()` in a new cell, then type its "
    "file name here."
)


def needs_name_box(ipywidgets_version: str | None = None) -> bool:
    """True where the upload buttons cannot take phone photos: in Colab, or with ipywidgets 7.

    Args:
        ipywidgets_version: the version to judge (default: the installed ipywidgets).
    """
    from labhelpers.colab import in_colab

    if ipywidgets_version is None:
        import ipywidgets

        ipywidgets_version = ipywidgets.__version__
    return in_colab() or int(ipywidgets_version.split(".")[0]) < 8


def read_named_picture(text: str, folder: str | Path | None = None) -> tuple[str, bytes]:
    """The file name and the bytes of the picture a student named.

    Args:
        text: a file path (relative to ``folder``; ``~`` allowed) or an ``http(s)://`` address;
            surrounding spaces and quotes are ignored.
        folder: where relative paths start (default: the current folder, Colab's ``/content``).

    Returns:
        ``(file name, file bytes)``; the bytes are not decoded here (the panel checks them).

    Raises:
        ImageError: nothing named, no such file, a folder, a file over :data:`MAX_FILE_BYTES`,
            or a download that fails; the message says what to do.
    """
    name = str(text or "").strip().strip("'\"").strip()
    if not name:
        raise ImageError(
            "Type the file name of a picture (or an https:// address) first. " + COLAB_UPLOAD_HELP
        )
    if name.lower().startswith(("http://", "https://")):
        data = download(name)
        return name.rstrip("/").rsplit("/", 1)[-1].split("?")[0] or "download", data
    path = Path(name).expanduser()
    if not path.is_absolute():
        path = Path(folder or Path.cwd()) / path
    if path.is_dir():
        raise ImageError(f"{path} is a folder; type the name of a picture file inside it.")
    if not path.is_file():
        raise ImageError(f"There is no file {name!r} in {path.parent}. {COLAB_UPLOAD_HELP}")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ImageError(
            f"{path.name} is {size / 1e6:.0f} MB; pictures of at most "
            f"{MAX_FILE_BYTES / 1e6:.0f} MB are read. Use a smaller copy."
        )
    return path.name, path.read_bytes()


def as_upload_value(name: str, data: bytes) -> tuple[dict[str, Any], ...]:
    """``(name, data)`` in the form of ipywidgets 8's ``FileUpload.value`` (one file).

    The panel's upload handler reads this form and ipywidgets 7's alike.
    """
    return (
        {
            "name": name,
            "type": "",
            "size": len(data),
            "last_modified": 0,
            "content": memoryview(data),
        },
    )


def load_named_picture(panel: Any, kind: str, text: str | None = None) -> str | None:
    """Give ``panel`` the picture named in its ``<kind>_name`` box (or ``text``), like an upload.

    The panel's Load button calls this (lesson 07's panel in Colab).

    Args:
        panel: a :class:`~labhelpers.panel.view.StyleTransferPanel` (its ``handle_upload``,
            ``show_error`` and, unless ``text`` is given, ``<kind>_name`` box are used).
        kind: ``"content"`` or ``"style"``.
        text: the file name or address; None: the box's text.

    Returns:
        As ``panel.handle_upload``: the new menu entry, or None (the status line says why).
    """
    if text is None:
        box = getattr(panel, f"{kind}_name", None)
        text = box.value if box is not None else ""
    try:
        name, data = read_named_picture(text)
    except ImageError as exc:
        panel.show_error(str(exc))
        return None
    return panel.handle_upload(kind, as_upload_value(name, data))
