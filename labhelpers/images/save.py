"""Saving pictures (never replacing an existing file unless asked) and 8-bit conversion."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from labhelpers.files import write_file
from labhelpers.images.arrays import ImageError, as_float_image, refuse_result_object
from labhelpers.images.load import load_image

#: Formats :func:`save_image` can write, by suffix.
SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}


def to_uint8(image: Any) -> np.ndarray:
    """An image as uint8 RGB, shape (H, W, 3), values 0-255.

    Args:
        image: an array or tensor as accepted by :func:`load_image`. Floats slightly outside
            [0, 1] (for example the raw result of an optimisation, down to -1) are clipped;
            floats that look like 0-255 values raise :class:`ImageError`. Paths, names, bytes and
            PIL images are loaded with :func:`load_image`.

    Returns:
        A new uint8 array (H, W, 3): ``round(value * 255)``.
    """
    if isinstance(image, Image.Image) or isinstance(
        image, (str, os.PathLike, bytes, bytearray, memoryview)
    ):
        rgb = load_image(image)
    else:
        rgb = as_float_image(image, lenient=True, min_side=0)
    return np.round(rgb * 255.0).astype(np.uint8)


def name_problem(path: Path, option: str = "") -> str | None:
    """What is wrong with ``path`` as a picture file name (its suffix picks the format), or None.

    ``option`` (e.g. ``"-o "``) starts the example in the message: ``e.g. -o result.png``.
    """
    name, suffix = path.name, path.suffix.lower()
    if suffix in SAVE_FORMATS:
        return None
    example = f"{option}result.png" if option else "'result.png'"
    if name.lower() in SAVE_FORMATS:  # ".png": all suffix, no name (Python reads it as a name)
        return f"'{name}' is only a suffix; put a name before it, e.g. {example}"
    got = f"the suffix {path.suffix!r}" if path.suffix else "no suffix"
    return f"it has {got}; end the file name with .png (lossless), .jpg or .webp, e.g. {example}"


def save_image(
    image: Any, path: str | os.PathLike[str], quality: int = 95, *, overwrite: bool = False
) -> Path:
    """Save an image array to a PNG, JPEG or WebP file.

    Args:
        image: an array or tensor of shape (H, W, 3), (1, H, W, 3), (H, W) or (H, W, 4); floats in
            [0, 1] (small overshoots are clipped) or uint8 0-255; or a PIL image.
        path: the file to write; its suffix picks the format: ``.png`` (lossless), ``.jpg`` /
            ``.jpeg`` or ``.webp``. Missing parent folders are created.
        quality: 1-100, for JPEG and WebP only (95 keeps fine brush-stroke detail).
        overwrite: if False (default) an existing file is never replaced: the image goes to
            ``name-1.png``, ``name-2.png``, ... instead. If True the file is replaced.

    Returns:
        The path actually written.

    Raises:
        ImageError: unknown suffix, bad quality, unusable array, or the file cannot be written.
    """
    refuse_result_object(image, "The first argument of save_image")
    if isinstance(image, (str, os.PathLike)):
        raise ImageError(
            "save_image(image, path) takes the image first and the file path second; the first "
            f"argument here is a path ({os.fspath(image)!r})."
        )
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        raise ImageError(f"path must be a file path such as 'results/cat.png', not {path!r}.")
    target = Path(path).expanduser()
    if target.is_dir():  # a folder ("outputs"): say so, before "no suffix" would
        raise ImageError(
            f"'{target}' is a folder; give a file name inside it, e.g. '{target / 'result.png'}'."
        )
    problem = name_problem(target)
    if problem:
        raise ImageError(f"Cannot save to '{target}': {problem}.")
    suffix = target.suffix.lower()
    if (
        isinstance(quality, bool)
        or not isinstance(quality, (int, np.integer))
        or not 1 <= quality <= 100
    ):
        raise ImageError(
            f"quality must be a whole number from 1 to 100 (95 is a good choice), not {quality!r}."
        )
    if isinstance(image, Image.Image):
        rgb = (
            np.asarray(image.convert("RGB"))
            if image.mode in ("RGB", "L", "P", "1")
            else to_uint8(image)
        )
    else:
        rgb = to_uint8(image)
    options: dict[str, Any] = {}
    if SAVE_FORMATS[suffix] == "JPEG":
        options = {"quality": int(quality), "subsampling": 0}  # 4:4:4 keeps colour detail
    elif SAVE_FORMATS[suffix] == "WEBP":
        options = {"quality": int(quality)}
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).save(
        buffer, SAVE_FORMATS[suffix], **options
    )
    data = buffer.getvalue()

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise ImageError(
            f"Cannot create the folder '{target.parent}': a file of that name is in the way."
        ) from exc
    except OSError as exc:
        raise ImageError(
            f"Cannot create the folder '{target.parent}' ({exc.strerror or exc}); choose "
            "another place."
        ) from exc
    try:
        # Through a temporary file in the same folder: a full disk never leaves half a file.
        return write_file(target, data, overwrite=overwrite)
    except FileExistsError as exc:
        raise ImageError(
            f"Too many files named like '{target}' already; choose another name or pass "
            "overwrite=True."
        ) from exc
    except OSError as exc:
        raise ImageError(
            f"Cannot write '{target}' ({exc.strerror or exc}); nothing was saved. Free some space "
            "or check the folder is writable, or choose another place."
        ) from exc
