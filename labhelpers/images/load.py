"""Loading a picture from anything a student has at hand into (H, W, 3) float32 RGB in [0, 1].

:func:`load_image` takes a file path, the name of a bundled picture, an http(s) URL, raw bytes,
a file object, a PIL image, a numpy array or a TensorFlow tensor. Sizes are checked before any
pixel is decoded; with a small ``max_size`` a large picture is decoded at reduced size where the
format allows it (JPEG) and shrunk in 8-bit before the float conversion otherwise, so memory stays
a few bytes per pixel of the file.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import urllib.parse
import urllib.request
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from labhelpers.images.arrays import (
    MAX_PIXELS,
    MIN_SIDE,
    RESIZE_HINT,
    ImageError,
    as_float_image,
    check_dimensions,
    fit_size,
    check_size_arg,
    is_array_like,
    refuse_result_object,
    shrink_to,
    to_three_channels,
)
from labhelpers.images.bundled import (
    DEFAULT_CONTENT,
    IMAGE_SUFFIXES,
    bundled_summary,
    image_path,
    list_images,
)
from labhelpers.images.download import download

_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def _pil_to_rgb(image: Image.Image, what: str) -> np.ndarray:
    """A decoded PIL image of any common mode -> float32 (H, W, 3) in [0, 1]."""
    mode = image.mode
    if mode.startswith("I;16"):
        grey = np.asarray(image).astype(np.float32) / 65535.0
        return to_three_channels(grey[..., None])
    if mode in ("I", "F"):
        values = np.asarray(image).astype(np.float64)
        if not np.all(np.isfinite(values)):
            raise ImageError(
                f"{what} contains NaN or infinite pixel values; save it again as an 8-bit PNG "
                "or JPEG."
            )
        low, high = float(values.min()), float(values.max())
        top = (
            65535.0 if mode == "I" else 1.0
        )  # mode I comes from 16-bit files; F is usually [0, 1]
        if low >= 0 and high <= top:
            scaled = values / top
        else:
            warnings.warn(
                f"{what} (mode {mode}) has values from {low:g} to {high:g}; they were stretched "
                "to [0, 1].",
                stacklevel=3,
            )
            scaled = (values - low) / (high - low) if high > low else np.zeros_like(values)
        return to_three_channels(scaled.astype(np.float32)[..., None])
    if mode == "1":
        return to_three_channels(
            np.asarray(image.convert("L")).astype(np.float32)[..., None] / 255.0
        )
    if mode == "L":
        return to_three_channels(np.asarray(image).astype(np.float32)[..., None] / 255.0)
    has_alpha = mode in ("LA", "La", "PA", "RGBA", "RGBa") or (
        mode == "P" and "transparency" in image.info
    )
    if mode == "RGB":
        rgb = image
    else:
        try:
            rgb = image.convert("RGBA" if has_alpha else "RGB")
        except (ValueError, OSError) as exc:
            raise ImageError(
                f"{what} uses the colour mode {mode!r}, which cannot be converted to RGB ({exc}); "
                "save it as an RGB PNG or JPEG in an image editor first."
            ) from exc
    values = np.asarray(rgb).astype(np.float32) / 255.0
    return to_three_channels(values)


def _sniff(head: bytes) -> str:
    """A hint about what a file that is not an image is, from its first bytes."""
    text = head.lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head")):
        return (
            " It looks like a web page (HTML), not a picture: if you saved it from a browser or a "
            "URL, use the address of the image itself (right-click the picture, 'Copy image "
            "address')."
        )
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return " It looks like an SVG drawing; export it as PNG first."
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif"):
        return " It looks like a HEIC/AVIF photo; export it as JPEG or PNG first."
    return ""


def _decode(opener: Any, what: str, head: bytes, max_size: int | None) -> np.ndarray:
    """Open an image (a path or a binary file object) with Pillow, check it, decode it fully."""
    with warnings.catch_warnings():
        # Pillow's own bomb warning: our stricter check below replaces it.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(opener)
        except Image.DecompressionBombError as exc:
            pixels = re.search(r"\((\d+) pixels\)", str(exc))
            size = (
                f"claims {int(pixels.group(1)) / 1e6:.0f} megapixels" if pixels else "is enormous"
            )
            raise ImageError(
                f"{what} {size}, more than this course handles ({MAX_PIXELS / 1e6:g} megapixels "
                "at most); it may be a 'decompression bomb'. If it is a real photo, "
                f"{RESIZE_HINT}."
            ) from exc
        except UnidentifiedImageError as exc:
            raise ImageError(
                f"{what} is not an image file Pillow can read.{_sniff(head)} Use a PNG, JPEG, "
                "WebP, GIF, BMP or TIFF file."
            ) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ImageError(
                f"{what} could not be opened as an image ({exc}); check the file or get it again."
            ) from exc
        with image:
            check_dimensions(image.width, image.height, what)
            if max_size is not None and image.format == "JPEG":
                # JPEG can decode at 1/2, 1/4 or 1/8 scale: ask for twice the final size at least
                image.draft(None, _at_least_twice(image.width, image.height, max_size))
            try:
                image.load()  # decode every pixel now, so damage shows up here and not later
            except Image.DecompressionBombError as exc:
                raise ImageError(
                    f"{what} is too large to decode safely ({exc}); {RESIZE_HINT}."
                ) from exc
            except Exception as exc:  # noqa: BLE001 - Pillow raises several types for damaged data
                raise ImageError(
                    f"{what} is damaged or incomplete ({exc}); the download or copy was probably "
                    "cut short. Get the file again, or open and re-save it in an image editor."
                ) from exc
            return _from_pil(_reduced(image, max_size), what, max_size)


#: Pillow modes that :meth:`PIL.Image.Image.reduce` averages correctly.
_REDUCIBLE_MODES = ("L", "LA", "RGB", "RGBA", "I", "F")


def _at_least_twice(width: int, height: int, max_size: int) -> tuple[int, int]:
    """(width, height) of twice the final size (longest side ``max_size``), for the coarse step."""
    final_h, final_w = fit_size(height, width, max_size)
    return min(width, 2 * final_w), min(height, 2 * final_h)


def _reduced(image: Image.Image, max_size: int | None) -> Image.Image:
    """``image`` averaged over f x f blocks (integer f) while staying at least twice ``max_size``.

    Done on Pillow's 8-bit (or 32-bit) pixels before the float conversion, so a huge picture
    loaded small never exists as a float array (12 bytes a pixel); the Lanczos filter of
    :func:`~labhelpers.images.arrays.shrink_to` then makes the final size from at least twice
    it, as sharp as filtering the full picture.
    """
    if max_size is None or image.mode not in _REDUCIBLE_MODES:
        return image
    wanted_w, wanted_h = _at_least_twice(image.width, image.height, max_size)
    factor = min(image.width // wanted_w, image.height // wanted_h)
    if factor < 2:
        return image
    return image.reduce(factor)  # keeps image.info, so the EXIF orientation still applies


def _from_pil(image: Image.Image, what: str, max_size: int | None) -> np.ndarray:
    """Apply EXIF orientation, convert to RGB floats and shrink to ``max_size``."""
    try:
        image = ImageOps.exif_transpose(image) or image
    except Exception as exc:  # noqa: BLE001 - broken EXIF must not stop loading
        warnings.warn(
            f"{what}: its EXIF orientation could not be read ({exc}); it is used as stored.",
            stacklevel=3,
        )
    return shrink_to(_pil_to_rgb(image, what), max_size)


def _load_path(path: Path, max_size: int | None, original: str) -> np.ndarray:
    what = f"The file '{path}'"
    if path.is_dir():
        names = sorted(p.name for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:5]
        inside = f" It contains e.g. {', '.join(names)}." if names else ""
        raise ImageError(
            f"'{path}' is a folder, not an image file; pass the path of one picture inside "
            f"it.{inside}"
        )
    if not path.exists():
        try:
            bundled = image_path(original)
        except ImageError:
            bundled = None
        if bundled is not None:
            return _load_file(bundled, max_size)
        key = Path(original.replace("\\", "/")).stem.lower()
        bundled_names = {
            (f"{kind}/{name}" if "/" in original.replace("\\", "/") else name): name
            for kind, names in list_images().items()
            for name in names
        }
        close = difflib.get_close_matches(key, list(bundled_names.values()), n=2, cutoff=0.6)
        close = [full for full, name in bundled_names.items() if name in close]
        hint = (
            f" Did you mean the bundled image {' or '.join(repr(c) for c in close)}?"
            if close
            else ""
        )
        where = (
            ""
            if path.is_absolute()
            else f" (relative paths start in the current folder, {Path.cwd()})"
        )
        raise ImageError(
            f"No image file at '{path.absolute()}'{where}.{hint} Check "
            f"the spelling and the folder, or use a bundled image by name, e.g. "
            f"load_image('{DEFAULT_CONTENT}'). Bundled images: {bundled_summary(limit=6)} "
            "(all of them: list_images())."
        )
    if not path.is_file():
        raise ImageError(f"'{path}' is not a regular file; pass the path of an image file.")
    return _load_file(path, max_size, what)


def _load_file(path: Path, max_size: int | None, what: str | None = None) -> np.ndarray:
    what = what or f"The file '{path}'"
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError as exc:
        raise ImageError(
            f"{what} cannot be read ({exc.strerror or exc}); check that it exists and you "
            "may read it."
        ) from exc
    if size == 0:
        raise ImageError(
            f"{what} is empty (0 bytes); the download or copy probably failed. Get the file again."
        )
    # Pillow opens the file read-only; the user's file is never changed.
    return _decode(path, what, head, max_size)


def load_image(source: Any, max_size: int | None = None) -> np.ndarray:
    """Load a picture as a float32 array of shape (H, W, 3) with RGB values in [0, 1].

    Args:
        source: any of

            - a file path (``str`` or ``pathlib.Path``): PNG, JPEG, WebP, GIF, BMP, TIFF;
            - the name of a bundled image, e.g. ``"astronaut"``, ``"style/van_gogh_starry_night"``
              or ``"van_gogh_starry_night.jpg"`` (used when no file of that name exists; see
              :func:`list_images`);
            - an ``http://`` or ``https://`` URL (downloaded with a timeout of ``URL_TIMEOUT`` s);
            - the bytes of an image file (``bytes``, ``bytearray``) or a binary file object;
            - a ``PIL.Image.Image``;
            - an array or TensorFlow tensor of shape (H, W), (H, W, 1), (H, W, 3), (H, W, 4) or
              (1, H, W, 3): uint8 with values 0-255, uint16 with 0-65535, or floats in [0, 1].

            EXIF orientation is applied; greyscale, palette, 16-bit and CMYK pictures become RGB;
            transparent parts are put over a white background.
        max_size: if given, the image is shrunk (Lanczos filter, aspect ratio kept) so that its
            longest side is at most ``max_size`` pixels. It is never enlarged.

    Returns:
        A new float32 array (H, W, 3), values in [0, 1]; H and W are in pixels.

    Raises:
        ImageError: the source cannot be found, downloaded or decoded, is not an image, is damaged,
            is smaller than ``MIN_SIDE`` or larger than ``MAX_SIDE`` pixels a side or
            ``MAX_PIXELS`` pixels in total, or an array has the wrong shape or values. The message
            says what to do.
    """
    if max_size is not None:
        max_size = check_size_arg(max_size, "max_size")
    refuse_result_object(source)
    if isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        if isinstance(text, bytes):
            text = os.fsdecode(text)
        if not text.strip():
            raise ImageError(
                "The image source is an empty string; pass a file path, a URL or a bundled image "
                f"name such as '{DEFAULT_CONTENT}'."
            )
        if isinstance(source, str) and _URL_SCHEME.match(text.strip()):
            url = text.strip()
            scheme = url.split(":", 1)[0].lower()
            if scheme in ("http", "https"):
                data = download(url)
                return _decode(io.BytesIO(data), f"The download from {url}", data[:64], max_size)
            if scheme == "file":
                local = Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
                return _load_path(local, max_size, str(local))
            raise ImageError(
                f"Cannot load {url!r}: only http:// and https:// addresses are supported. "
                "Download the picture yourself and pass its file path."
            )
        return _load_path(Path(text).expanduser(), max_size, text)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if not data:
            raise ImageError(
                "The image bytes are empty (0 bytes); pass the full contents of an image file."
            )
        return _decode(io.BytesIO(data), "The given bytes", data[:64], max_size)
    if isinstance(source, Image.Image):
        what = "The PIL image"
        check_dimensions(source.width, source.height, what)
        try:
            source.load()
        except Exception as exc:  # noqa: BLE001 - damaged lazily-opened images fail here
            raise ImageError(
                f"{what} could not be decoded ({exc}); the file behind it is damaged."
            ) from exc
        return _from_pil(source, what, max_size)
    if hasattr(source, "read") and callable(source.read):
        data = source.read()
        if not isinstance(data, (bytes, bytearray)):
            raise ImageError(
                "The file object gave text, not bytes; open the file in binary mode: "
                "open(path, 'rb')."
            )
        if not data:
            raise ImageError(
                "The file object gave no bytes (empty file, or already read to the end)."
            )
        return _decode(io.BytesIO(bytes(data)), "The file object", bytes(data[:64]), max_size)
    if is_array_like(source):
        return shrink_to(as_float_image(source, lenient=False, min_side=MIN_SIDE), max_size)
    if source is None:
        raise ImageError(
            "No image was given (None). Pass a file path, a URL, an array or a bundled name such "
            f"as '{DEFAULT_CONTENT}'."
        )
    raise ImageError(
        f"Cannot load an image from a {type(source).__name__}; pass a file path, a URL, a bundled "
        "image name, bytes, a PIL image or an array (H, W, 3)."
    )
