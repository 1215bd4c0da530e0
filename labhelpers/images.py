"""Loading, saving, resizing and showing images for the Style Transfer Lab.

Every image in the course is a numpy array of shape (H, W, 3), dtype float32, RGB values in
[0, 1] (H = height and W = width in pixels). :func:`load_image` turns whatever a student has at
hand into that form: a file path, the name of a bundled picture (see :func:`list_images`), an
http(s) URL, raw bytes, a PIL image, a numpy array or a TensorFlow tensor. Anything it cannot
use raises :class:`ImageError`, whose message says what was wrong and what to do about it.

The bundled pictures live in ``images/content`` (photos) and ``images/style`` (paintings); the
folder can be moved with the ``LAB_IMAGES_DIR`` environment variable (see
:func:`labhelpers.config.images_dir`). Their sources and licences are in ``images/CREDITS.md``.

This module does not import TensorFlow; tensors are converted with ``np.asarray``.
"""

from __future__ import annotations

import difflib
import http.client
import io
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from labhelpers.config import images_dir

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure

__all__ = [
    "ImageError",
    "load_image",
    "save_image",
    "list_images",
    "image_path",
    "default_content",
    "default_style",
    "show_images",
    "resize_to",
    "to_uint8",
    "DEFAULT_CONTENT",
    "DEFAULT_STYLE",
    "MAX_PIXELS",
    "MAX_SIDE",
    "MIN_SIDE",
]

#: Name of the default content photo (a bundled image in ``images/content``).
DEFAULT_CONTENT = "chelsea_cat"
#: Name of the default style painting (a bundled image in ``images/style``).
DEFAULT_STYLE = "van_gogh_starry_night"

#: Largest number of pixels (width x height) an image may have; checked before decoding, so a
#: small file that claims huge dimensions (a "decompression bomb") is refused without using memory.
MAX_PIXELS = 100_000_000
#: Largest allowed width or height, in pixels.
MAX_SIDE = 20_000
#: Smallest allowed width or height, in pixels (VGG16 needs a few pixels to work with).
MIN_SIDE = 8
#: Seconds to wait for a web server before giving up on a URL.
URL_TIMEOUT = 20.0
#: Largest download accepted from a URL, in bytes.
MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024

#: The image kinds (sub-folders of the images folder).
KINDS = ("content", "style")
#: File suffixes that :func:`list_images` treats as images.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")
#: Formats :func:`save_image` can write, by suffix.
SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}

# Floats may stray this far outside [0, 1] (half a step of 8-bit colour) and are then clipped:
# rounding errors of that size would not change the picture.
_RANGE_TOLERANCE = 0.5 / 255
_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_USER_AGENT = "labhelpers/0.1 (Style Transfer Lab teaching notebooks; Python urllib)"
_RESIZE_HINT = (
    "resize it first, e.g. with an image editor or with Pillow: "
    "`im = PIL.Image.open(path); im.thumbnail((2000, 2000)); im.save('smaller.jpg')`"
)


class ImageError(ValueError):
    """An image could not be loaded, converted or saved; the message says how to fix it."""


# --------------------------------------------------------------------------------------------
# Bundled images
# --------------------------------------------------------------------------------------------


def default_content() -> str:
    """The name of the default content photo, for :func:`load_image` (``"chelsea_cat"``)."""
    return DEFAULT_CONTENT


def default_style() -> str:
    """The name of the default style painting, for :func:`load_image` (``"van_gogh_starry_night"``)."""
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
        (p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES),
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


def _bundled_summary(limit: int | None = None) -> str:
    parts = []
    for kind in KINDS:
        names = [p.stem for p in _bundled_files(kind)]
        if limit is not None and len(names) > limit:
            names = names[:limit] + ["..."]
        parts.append(f"{kind}: {', '.join(names) if names else '(none)'}")
    return "; ".join(parts)


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
            f"Bundled images: {_bundled_summary()}."
        )
    wanted_kind = _check_kind(kind)
    text = name.strip().replace("\\", "/")
    if "/" in text:
        prefix, _, rest = text.rpartition("/")
        prefix_kind = prefix.strip("/").lower()
        if prefix_kind not in KINDS:
            raise ImageError(
                f"{name!r} is not a bundled image name: the part before '/' must be 'content' or "
                f"'style'. Bundled images: {_bundled_summary()}. For your own picture pass the path "
                "of an existing file."
            )
        if wanted_kind is not None and wanted_kind != prefix_kind:
            raise ImageError(
                f"{name!r} names a {prefix_kind} image but kind={kind!r} was given; drop one of them."
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
    close = difflib.get_close_matches(Path(key).stem if by_suffix else key, candidates, n=3, cutoff=0.5)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    if wanted_kind:
        what, available = f"{wanted_kind} image", ", ".join(candidates) or "(none)"
    else:
        what, available = "image", _bundled_summary()
    raise ImageError(
        f"There is no bundled {what} called {name!r}.{hint} Bundled {what}s: {available} "
        f"(folder {images_dir()}). For your own picture pass its file path or URL."
    )


# --------------------------------------------------------------------------------------------
# Checks and conversions
# --------------------------------------------------------------------------------------------


def _check_dimensions(width: int, height: int, what: str, min_side: int = MIN_SIDE) -> None:
    """Refuse empty, tiny and absurdly large images before any pixel is decoded."""
    if width <= 0 or height <= 0:
        raise ImageError(f"{what} has no pixels (it is {width}x{height}); use a real picture.")
    if width < min_side or height < min_side:
        raise ImageError(
            f"{what} is only {width}x{height} pixels; images need at least {min_side} pixels on each "
            "side. Use a bigger picture (a few hundred pixels a side works well)."
        )
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise ImageError(
            f"{what} is {width}x{height} pixels, more than this course handles "
            f"({MAX_PIXELS / 1e6:g} megapixels and {MAX_SIDE} pixels a side at most); {_RESIZE_HINT}."
        )


def _composite_over_white(rgba: np.ndarray) -> np.ndarray:
    """(H, W, 4) floats in [0, 1] -> (H, W, 3): colour * alpha + white * (1 - alpha)."""
    alpha = rgba[..., 3:4]
    return rgba[..., :3] * alpha + (1.0 - alpha)


def _to_three_channels(values: np.ndarray) -> np.ndarray:
    """(H, W, 1|3|4) floats in [0, 1] -> (H, W, 3) float32."""
    channels = values.shape[-1]
    if channels == 1:
        values = np.repeat(values, 3, axis=-1)
    elif channels == 4:
        values = _composite_over_white(values)
    return np.ascontiguousarray(values, dtype=np.float32)


def _scale_values(array: np.ndarray, *, lenient: bool, what: str) -> np.ndarray:
    """Numbers of any supported dtype -> float32 in [0, 1] (same shape)."""
    dtype = array.dtype
    if dtype == np.bool_:
        return array.astype(np.float32)
    if dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if dtype == np.uint16:
        return array.astype(np.float32) / 65535.0
    if np.issubdtype(dtype, np.integer):
        low, high = int(array.min()), int(array.max())
        if low < 0 or high > 255:
            raise ImageError(
                f"{what} has integer values from {low} to {high}; integer images must be 0-255 "
                "(8-bit). Convert it to floats in [0, 1] first, e.g. x.astype('float32') / x.max()."
            )
        return array.astype(np.float32) / 255.0
    if not np.issubdtype(dtype, np.floating):
        raise ImageError(
            f"{what} has dtype {dtype}, which is not an image type; use uint8 (0-255) or floats in [0, 1]."
        )
    values = array.astype(np.float32)
    if not np.all(np.isfinite(values)):
        bad = int(np.size(values) - np.count_nonzero(np.isfinite(values)))
        raise ImageError(
            f"{what} contains {bad} NaN or infinite value(s). This usually means an optimisation "
            "diverged; lower the learning rate or the loss weights and run it again."
        )
    low, high = float(values.min()), float(values.max())
    if low >= -_RANGE_TOLERANCE and high <= 1 + _RANGE_TOLERANCE:
        return np.clip(values, 0.0, 1.0)
    looks_0_255 = high > 2.0 and low >= -_RANGE_TOLERANCE
    if lenient and not looks_0_255 and low >= -1.0:
        return np.clip(values, 0.0, 1.0)
    if looks_0_255:
        fix = "it looks like 0-255 values: divide by 255 (x / 255) or convert with x.astype('uint8')"
    elif low < 0 and high <= 1 + _RANGE_TOLERANCE and low >= -1 - _RANGE_TOLERANCE:
        fix = "if it is in [-1, 1] use (x + 1) / 2; if it is an optimisation result use np.clip(x, 0, 1)"
    else:
        fix = "clip it with np.clip(x, 0, 1), or rescale it, e.g. (x - x.min()) / (x.max() - x.min())"
    raise ImageError(f"{what} has float values from {low:.4g} to {high:.4g}, but float images must lie in [0, 1]; {fix}.")


def _array_to_rgb(source: Any, *, lenient: bool, min_side: int, what: str = "The image array") -> np.ndarray:
    """Array-like (H,W), (H,W,1|3|4), (1,H,W,C) -> float32 (H, W, 3) in [0, 1], a new array."""
    try:
        array = np.asarray(source)
    except Exception as exc:  # noqa: BLE001 - any failure means "not convertible"
        raise ImageError(f"{what} could not be turned into a numpy array ({exc}); pass a numpy array.") from exc
    if array.dtype == object or array.dtype.kind in "USVMmc":
        raise ImageError(
            f"{what} has dtype {array.dtype}; an image must hold numbers: uint8 (0-255) or floats in [0, 1]."
        )
    shape = array.shape
    if array.ndim == 4:
        if shape[0] != 1:
            raise ImageError(
                f"{what} has shape {shape}: a batch of {shape[0]} images. Pass one image, e.g. x[0]."
            )
        array = array[0]
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3:
        raise ImageError(
            f"{what} has shape {shape}; expected (H, W), (H, W, 3), (H, W, 1), (H, W, 4) or (1, H, W, 3)."
        )
    if array.shape[-1] not in (1, 3, 4):
        hint = ""
        if array.shape[0] in (1, 3, 4):
            hint = " It looks channels-first; move the channels last with np.transpose(x, (1, 2, 0))."
        raise ImageError(
            f"{what} has shape {shape}; the last axis must be the 1, 3 or 4 colour channels.{hint}"
        )
    height, width = array.shape[:2]
    if min_side > 0:
        _check_dimensions(width, height, what, min_side)
    elif width == 0 or height == 0:
        raise ImageError(f"{what} has shape {shape}: it has no pixels.")
    return _to_three_channels(_scale_values(array, lenient=lenient, what=what))


def _pil_to_rgb(image: Image.Image, what: str) -> np.ndarray:
    """A decoded PIL image of any common mode -> float32 (H, W, 3) in [0, 1]."""
    mode = image.mode
    if mode.startswith("I;16"):
        grey = np.asarray(image).astype(np.float32) / 65535.0
        return _to_three_channels(grey[..., None])
    if mode in ("I", "F"):
        values = np.asarray(image).astype(np.float64)
        if not np.all(np.isfinite(values)):
            raise ImageError(f"{what} contains NaN or infinite pixel values; save it again as an 8-bit PNG or JPEG.")
        low, high = float(values.min()), float(values.max())
        top = 65535.0 if mode == "I" else 1.0  # mode I comes from 16-bit files; F is usually [0, 1]
        if low >= 0 and high <= top:
            scaled = values / top
        else:
            warnings.warn(
                f"{what} (mode {mode}) has values from {low:g} to {high:g}; they were stretched to [0, 1].",
                stacklevel=3,
            )
            scaled = (values - low) / (high - low) if high > low else np.zeros_like(values)
        return _to_three_channels(scaled.astype(np.float32)[..., None])
    if mode == "1":
        return _to_three_channels(np.asarray(image.convert("L")).astype(np.float32)[..., None] / 255.0)
    if mode == "L":
        return _to_three_channels(np.asarray(image).astype(np.float32)[..., None] / 255.0)
    has_alpha = mode in ("LA", "La", "PA", "RGBA", "RGBa") or (mode == "P" and "transparency" in image.info)
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
    return _to_three_channels(values)


def _sniff(head: bytes) -> str:
    """A hint about what a file that is not an image is, from its first bytes."""
    text = head.lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head")):
        return (
            " It looks like a web page (HTML), not a picture: if you saved it from a browser or a "
            "URL, use the address of the image itself (right-click the picture, 'Copy image address')."
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
            size = f"claims {int(pixels.group(1)) / 1e6:.0f} megapixels" if pixels else "is enormous"
            raise ImageError(
                f"{what} {size}, more than this course handles ({MAX_PIXELS / 1e6:g} megapixels at "
                f"most); it may be a 'decompression bomb'. If it is a real photo, {_RESIZE_HINT}."
            ) from exc
        except UnidentifiedImageError as exc:
            raise ImageError(
                f"{what} is not an image file Pillow can read.{_sniff(head)} Use a PNG, JPEG, WebP, "
                "GIF, BMP or TIFF file."
            ) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ImageError(f"{what} could not be opened as an image ({exc}); check the file or get it again.") from exc
        with image:
            _check_dimensions(image.width, image.height, what)
            try:
                image.load()  # decode every pixel now, so damage shows up here and not later
            except Image.DecompressionBombError as exc:
                raise ImageError(f"{what} is too large to decode safely ({exc}); {_RESIZE_HINT}.") from exc
            except Exception as exc:  # noqa: BLE001 - Pillow raises several types for damaged data
                raise ImageError(
                    f"{what} is damaged or incomplete ({exc}); the download or copy was probably cut "
                    "short. Get the file again, or open and re-save it in an image editor."
                ) from exc
            return _from_pil(image, what, max_size)


def _from_pil(image: Image.Image, what: str, max_size: int | None) -> np.ndarray:
    """Apply EXIF orientation, convert to RGB floats and shrink to ``max_size``."""
    try:
        image = ImageOps.exif_transpose(image) or image
    except Exception as exc:  # noqa: BLE001 - broken EXIF must not stop loading
        warnings.warn(f"{what}: its EXIF orientation could not be read ({exc}); it is used as stored.", stacklevel=3)
    return _shrink(_pil_to_rgb(image, what), max_size)


def _fit_size(height: int, width: int, longest: int) -> tuple[int, int]:
    """(height, width) scaled so that the longest side is ``longest``, aspect ratio kept."""
    scale = longest / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def _resize_channels(values: np.ndarray, height: int, width: int) -> np.ndarray:
    """(H, W, C) float32 -> (height, width, C) float32, Lanczos per channel, clipped to [0, 1]."""
    if values.shape[:2] == (height, width):
        return values.astype(np.float32, copy=True)
    planes = [
        np.asarray(Image.fromarray(np.ascontiguousarray(values[..., c], dtype=np.float32)).resize(
            (width, height), Image.Resampling.LANCZOS
        ))
        for c in range(values.shape[-1])
    ]
    return np.clip(np.stack(planes, axis=-1), 0.0, 1.0).astype(np.float32)


def _check_size_arg(value: Any, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ImageError(f"{name} must be a positive whole number of pixels, such as 512, not {value!r}.")
    return int(value)


def _shrink(rgb: np.ndarray, max_size: int | None) -> np.ndarray:
    if max_size is None or max(rgb.shape[:2]) <= max_size:
        return rgb
    return _resize_channels(rgb, *_fit_size(rgb.shape[0], rgb.shape[1], max_size))


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _download(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    advice = (
        "Check the address (does it open in a browser?), or download the picture yourself and "
        "pass its file path, e.g. load_image('my_picture.jpg')."
    )
    try:
        with urllib.request.urlopen(request, timeout=URL_TIMEOUT) as response:
            data = response.read(MAX_DOWNLOAD_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise ImageError(f"Could not download {url}: the server answered {exc.code} {exc.reason}. {advice}") from exc
    except urllib.error.URLError as exc:
        raise ImageError(f"Could not download {url}: {exc.reason}. {advice}") from exc
    except (TimeoutError, OSError, ValueError, http.client.HTTPException) as exc:
        reason = f"no answer within {URL_TIMEOUT:g} s" if isinstance(exc, TimeoutError) else str(exc)
        raise ImageError(f"Could not download {url}: {reason}. {advice}") from exc
    if len(data) > MAX_DOWNLOAD_BYTES:
        raise ImageError(
            f"{url} is larger than {MAX_DOWNLOAD_BYTES // (1024 * 1024)} MB; download a smaller "
            "version of the picture and pass its file path."
        )
    if not data:
        raise ImageError(f"Downloading {url} gave an empty file. {advice}")
    return data


def _load_path(path: Path, max_size: int | None, original: str) -> np.ndarray:
    what = f"The file '{path}'"
    if path.is_dir():
        names = sorted(p.name for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:5]
        inside = f" It contains e.g. {', '.join(names)}." if names else ""
        raise ImageError(f"'{path}' is a folder, not an image file; pass the path of one picture inside it.{inside}")
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
            for kind, names in list_images().items() for name in names
        }
        close = difflib.get_close_matches(key, list(bundled_names.values()), n=2, cutoff=0.6)
        close = [full for full, name in bundled_names.items() if name in close]
        hint = f" Did you mean the bundled image {' or '.join(repr(c) for c in close)}?" if close else ""
        where = "" if path.is_absolute() else f" (relative paths start in the current folder, {Path.cwd()})"
        raise ImageError(
            f"No image file at '{path.absolute()}'{where}.{hint} Check "
            f"the spelling and the folder, or use a bundled image by name, e.g. "
            f"load_image('{DEFAULT_CONTENT}'). Bundled images: {_bundled_summary(limit=6)} "
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
        raise ImageError(f"{what} cannot be read ({exc.strerror or exc}); check that it exists and you may read it.") from exc
    if size == 0:
        raise ImageError(f"{what} is empty (0 bytes); the download or copy probably failed. Get the file again.")
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
        max_size = _check_size_arg(max_size, "max_size")
    if isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        if isinstance(text, bytes):
            text = os.fsdecode(text)
        if not text.strip():
            raise ImageError(
                "The image source is an empty string; pass a file path, a URL or a bundled image name "
                f"such as '{DEFAULT_CONTENT}'."
            )
        if isinstance(source, str) and _URL_SCHEME.match(text.strip()):
            url = text.strip()
            scheme = url.split(":", 1)[0].lower()
            if scheme in ("http", "https"):
                data = _download(url)
                return _decode(io.BytesIO(data), f"The download from {url}", data[:64], max_size)
            if scheme == "file":
                local = Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
                return _load_path(local, max_size, str(local))
            raise ImageError(
                f"Cannot load {url!r}: only http:// and https:// addresses are supported. Download the "
                "picture yourself and pass its file path."
            )
        return _load_path(Path(text).expanduser(), max_size, text)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if not data:
            raise ImageError("The image bytes are empty (0 bytes); pass the full contents of an image file.")
        return _decode(io.BytesIO(data), "The given bytes", data[:64], max_size)
    if isinstance(source, Image.Image):
        what = "The PIL image"
        _check_dimensions(source.width, source.height, what)
        try:
            source.load()
        except Exception as exc:  # noqa: BLE001 - damaged lazily-opened images fail here
            raise ImageError(f"{what} could not be decoded ({exc}); the file behind it is damaged.") from exc
        return _from_pil(source, what, max_size)
    if hasattr(source, "read") and callable(source.read):
        data = source.read()
        if not isinstance(data, (bytes, bytearray)):
            raise ImageError("The file object gave text, not bytes; open the file in binary mode: open(path, 'rb').")
        if not data:
            raise ImageError("The file object gave no bytes (empty file, or already read to the end).")
        return _decode(io.BytesIO(bytes(data)), "The file object", bytes(data[:64]), max_size)
    if isinstance(source, np.ndarray) or hasattr(source, "__array__") or hasattr(source, "numpy"):
        if not isinstance(source, np.ndarray) and hasattr(source, "numpy") and callable(source.numpy):
            source = source.numpy()  # eager TensorFlow / PyTorch tensors
        return _shrink(_array_to_rgb(source, lenient=False, min_side=MIN_SIDE), max_size)
    if source is None:
        raise ImageError(
            f"No image was given (None). Pass a file path, a URL, an array or a bundled name such as '{DEFAULT_CONTENT}'."
        )
    raise ImageError(
        f"Cannot load an image from a {type(source).__name__}; pass a file path, a URL, a bundled image "
        "name, bytes, a PIL image or an array (H, W, 3)."
    )


# --------------------------------------------------------------------------------------------
# Arrays: uint8, resizing
# --------------------------------------------------------------------------------------------


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
    if isinstance(image, Image.Image) or isinstance(image, (str, os.PathLike, bytes, bytearray, memoryview)):
        rgb = load_image(image)
    else:
        rgb = _array_to_rgb(image, lenient=True, min_side=0)
    return np.round(rgb * 255.0).astype(np.uint8)


def resize_to(image: Any, size: int | tuple[int, int]) -> np.ndarray:
    """Resize an image array with a Lanczos filter (used for coarse-to-fine optimisation).

    Args:
        image: array or tensor of shape (H, W, C) or (B, H, W, C), any number of channels C;
            uint8 (0-255) or floats in [0, 1] (small overshoots are clipped).
        size: an int: the new length of the longest side in pixels, aspect ratio kept (the image
            may be enlarged or shrunk); or a tuple ``(height, width)`` for an exact size, e.g. to
            match another image: ``resize_to(x, content.shape[:2])``.

    Returns:
        A new float32 array with the same rank and channels, new height and width, values in [0, 1].
    """
    try:
        array = np.asarray(image)
    except Exception as exc:  # noqa: BLE001
        raise ImageError(f"resize_to needs an array, not a {type(image).__name__} ({exc}).") from exc
    if array.ndim not in (3, 4) or array.shape[-1] < 1 or 0 in array.shape:
        raise ImageError(
            f"resize_to needs an image array of shape (H, W, C) or (B, H, W, C), not {array.shape}; "
            "for a greyscale (H, W) array use x[..., None]."
        )
    values = _scale_values(array, lenient=True, what="The image array")
    height, width = values.shape[-3:-1]
    if isinstance(size, (tuple, list)) and len(size) == 2:
        new_h, new_w = (_check_size_arg(s, "size") for s in size)
    else:
        new_h, new_w = _fit_size(height, width, _check_size_arg(size, "size"))
    if new_h > MAX_SIDE or new_w > MAX_SIDE:
        raise ImageError(f"resize_to: {new_w}x{new_h} pixels is larger than {MAX_SIDE} a side; pick a smaller size.")
    if values.ndim == 3:
        return _resize_channels(values, new_h, new_w)
    return np.stack([_resize_channels(v, new_h, new_w) for v in values])


# --------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------


def _free_name(path: Path, attempt: int) -> Path:
    return path if attempt == 0 else path.with_name(f"{path.stem}-{attempt}{path.suffix}")


def save_image(image: Any, path: str | os.PathLike[str], quality: int = 95, *, overwrite: bool = False) -> Path:
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
    if isinstance(image, (str, os.PathLike)):
        raise ImageError(
            "save_image(image, path) takes the image first and the file path second; the first "
            f"argument here is a path ({os.fspath(image)!r})."
        )
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        raise ImageError(f"path must be a file path such as 'results/cat.png', not {path!r}.")
    target = Path(path).expanduser()
    suffix = target.suffix.lower()
    if suffix not in SAVE_FORMATS:
        got = f"the suffix {target.suffix!r}" if target.suffix else "no suffix"
        raise ImageError(
            f"Cannot save to '{target}': it has {got}. End the file name with .png (lossless), "
            ".jpg or .webp, e.g. 'result.png'."
        )
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)) or not 1 <= quality <= 100:
        raise ImageError(f"quality must be a whole number from 1 to 100 (95 is a good choice), not {quality!r}.")
    if isinstance(image, Image.Image):
        rgb = np.asarray(image.convert("RGB")) if image.mode in ("RGB", "L", "P", "1") else to_uint8(image)
    else:
        rgb = to_uint8(image)
    options: dict[str, Any] = {}
    if SAVE_FORMATS[suffix] == "JPEG":
        options = {"quality": int(quality), "subsampling": 0}  # 4:4:4 keeps colour detail
    elif SAVE_FORMATS[suffix] == "WEBP":
        options = {"quality": int(quality)}
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).save(buffer, SAVE_FORMATS[suffix], **options)
    data = buffer.getvalue()

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise ImageError(f"Cannot create the folder '{target.parent}': a file of that name is in the way.") from exc
    except OSError as exc:
        raise ImageError(f"Cannot create the folder '{target.parent}' ({exc.strerror or exc}); choose another place.") from exc
    if target.is_dir():
        raise ImageError(f"'{target}' is a folder; give a file name inside it, e.g. '{target / 'result.png'}'.")
    try:
        if overwrite:
            # Write next to the target, then swap it in: a failure never leaves half a file.
            handle, temp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=suffix, dir=target.parent)
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(data)
                os.replace(temp, target)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
            return target
        for attempt in range(10_000):
            candidate = _free_name(target, attempt)
            try:
                with candidate.open("xb") as out:  # "x": fails instead of replacing an existing file
                    out.write(data)
            except FileExistsError:
                continue
            return candidate
    except OSError as exc:
        raise ImageError(f"Cannot write '{target}' ({exc.strerror or exc}); check the folder exists and is writable.") from exc
    raise ImageError(f"Too many files named like '{target}' already; choose another name or pass overwrite=True.")


# --------------------------------------------------------------------------------------------
# Showing
# --------------------------------------------------------------------------------------------


def show_images(
    images: Any,
    titles: str | Sequence[str | None] | None = None,
    size: float = 4.0,
    axes: Any = None,
) -> "Figure":
    """Show one image or several side by side in one row, without axes.

    Args:
        images: one image or a list of them; each may be anything :func:`load_image` accepts
            (arrays, tensors, paths, bundled names, URLs, PIL images). Float arrays slightly
            outside [0, 1] are clipped, so unfinished optimisation results can be shown. A batch
            array (B, H, W, 3) is shown as B images.
        titles: one title per image (or one string for a single image). By default images given
            by name or path are titled with their name.
        size: height of each picture in inches; widths follow the aspect ratios.
        axes: optional matplotlib Axes (one, or a sequence with one per image) to draw into
            instead of a new figure.

    Returns:
        The matplotlib Figure. In Jupyter it appears below the cell by itself; ending the line
        with ``;`` (or assigning the result) avoids showing it twice when it is the cell's last line.
    """
    if not isinstance(images, np.ndarray) and hasattr(images, "numpy") and callable(images.numpy):
        images = images.numpy()  # a TensorFlow tensor, possibly a batch
    if isinstance(images, (list, tuple)):
        items = list(images)
    elif isinstance(images, np.ndarray) and images.ndim == 4 and images.shape[0] > 1:
        items = list(images)
    else:
        items = [images]
    if not items:
        raise ImageError("show_images got an empty list; pass at least one image.")
    if titles is None:
        title_list: list[str | None] = [
            Path(os.fspath(item)).stem if isinstance(item, (str, os.PathLike)) else None for item in items
        ]
    elif isinstance(titles, str):
        title_list = [titles]
    else:
        title_list = list(titles)
    if len(title_list) != len(items):
        raise ImageError(f"show_images got {len(items)} image(s) but {len(title_list)} title(s); give one title per image.")
    if not isinstance(size, (int, float)) or isinstance(size, bool) or not 0 < size <= 50:
        raise ImageError(f"size is the height of each picture in inches, a number such as 4, not {size!r}.")

    pictures = []
    for index, item in enumerate(items):
        what = f"Image {index + 1} of show_images" if len(items) > 1 else "The image given to show_images"
        if isinstance(item, (np.ndarray, list)) or (
            not isinstance(item, (str, os.PathLike, bytes, bytearray, memoryview, Image.Image))
            and (hasattr(item, "__array__") or hasattr(item, "numpy"))
        ):
            if hasattr(item, "numpy") and callable(item.numpy) and not isinstance(item, np.ndarray):
                item = item.numpy()
            pictures.append(_array_to_rgb(item, lenient=True, min_side=0, what=what))
        else:
            pictures.append(load_image(item))

    if axes is None:
        import matplotlib.pyplot as plt

        ratios = [p.shape[1] / p.shape[0] for p in pictures]
        figure, created = plt.subplots(
            1, len(pictures), figsize=(size * sum(ratios) + 0.2 * len(pictures), size + 0.4),
            gridspec_kw={"width_ratios": ratios}, squeeze=False, layout="constrained",
        )
        axes_list = list(created[0])
    else:
        axes_list = list(np.ravel(np.asarray(axes, dtype=object))) if isinstance(axes, (list, tuple, np.ndarray)) else [axes]
        if len(axes_list) != len(pictures):
            raise ImageError(f"show_images got {len(pictures)} image(s) but {len(axes_list)} axes; give one Axes per image.")
        figure = axes_list[0].figure
    for ax, picture, title in zip(axes_list, pictures, title_list):
        ax.imshow(picture, vmin=0.0, vmax=1.0, interpolation="antialiased")
        ax.set_axis_off()
        if title:
            ax.set_title(title)
    return figure
