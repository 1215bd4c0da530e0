"""Pictures for the Style Transfer Lab: loading, saving, resizing, showing, the bundled images.

Every image in the course is a numpy array of shape (H, W, 3), dtype float32, RGB values in
[0, 1] (H = height and W = width in pixels). :func:`load_image` turns whatever a student has at
hand into that form: a file path, the name of a bundled picture (see :func:`list_images`), an
http(s) URL, raw bytes, a PIL image, a numpy array or a TensorFlow tensor. Anything it cannot
use raises :class:`ImageError`, whose message says what was wrong and what to do about it.

Modules: :mod:`~labhelpers.images.arrays` (checks, :func:`as_float_image`, :func:`resize_to`),
:mod:`~labhelpers.images.bundled` (the bundled pictures by name),
:mod:`~labhelpers.images.download` (URLs, bounded in time and size),
:mod:`~labhelpers.images.load`, :mod:`~labhelpers.images.save`, :mod:`~labhelpers.images.show`,
:mod:`~labhelpers.images.masks` (lesson 08: drawn, threshold and file masks; ``labhelpers.masks``).
Nothing here imports TensorFlow.
"""

from __future__ import annotations

from labhelpers.images.arrays import (
    MAX_PIXELS,
    MAX_SIDE,
    MIN_SIDE,
    ImageError,
    as_float_image,
    fit_size,
    resize_to,
)
from labhelpers.images.bundled import (
    DEFAULT_CONTENT,
    DEFAULT_STYLE,
    IMAGE_SUFFIXES,
    KINDS,
    default_content,
    default_style,
    image_path,
    list_images,
)
from labhelpers.images.download import DOWNLOAD_TIME_LIMIT_S, MAX_DOWNLOAD_BYTES, URL_TIMEOUT
from labhelpers.images.load import load_image
from labhelpers.images.save import SAVE_FORMATS, save_image, to_uint8
from labhelpers.images.show import show_images

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
    "fit_size",
    "to_uint8",
    "as_float_image",
    "DEFAULT_CONTENT",
    "DEFAULT_STYLE",
    "KINDS",
    "IMAGE_SUFFIXES",
    "SAVE_FORMATS",
    "MAX_PIXELS",
    "MAX_SIDE",
    "MIN_SIDE",
    "URL_TIMEOUT",
    "MAX_DOWNLOAD_BYTES",
    "DOWNLOAD_TIME_LIMIT_S",
]
