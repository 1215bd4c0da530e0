"""The photos a style network trains on (lesson 09), with their licences, and their augmentation.

Only pictures already at hand offline, each with a clear licence: the bundled photos (see
``images/CREDITS.md``) and photos that ship inside scikit-image's wheel (``skimage/data``; the
licence is what scikit-image's ``skimage.data`` docstrings state). Nothing is downloaded here:
scikit-image is not a dependency of the lab; ``python -m labhelpers train-network --photos-dir``
reads the files from a folder the trainer unpacked them into (see :data:`SKIMAGE_PHOTOS`).

Two bundled photos are held out (:data:`HELD_OUT`): no network sees them in training, so lesson
09 and ``benchmarks/bench_fast.py`` compare the networks with ``stylize`` on pictures they have
never met.

Augmentation (:class:`TrainingPhotos`): each sample is a photo scaled so that its longest side is
a random length (default 224-320 px, around the 256 px ``stylize`` works at), a random square
crop of it (default 160 px) and a random left-right flip.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labhelpers.images import image_path, load_image, resize_to

__all__ = [
    "HELD_OUT",
    "BUNDLED_TRAINING",
    "SKIMAGE_PHOTOS",
    "PhotoSource",
    "describe_photo",
    "TrainingPhotos",
]

#: Bundled photos no network trains on (the comparisons use them).
HELD_OUT: tuple[str, ...] = ("grace_hopper", "honey_bee")
#: Bundled photos the networks train on (the others of ``images/content``).
BUNDLED_TRAINING: tuple[str, ...] = ("astronaut", "chelsea_cat", "cincinnati_bridge", "raccoon")

_SKIMAGE = "PyPI scikit-image 0.26.0 wheel, skimage/data/"
#: Photos from scikit-image's wheel used for the shipped networks: file name -> licence, as the
#: ``skimage.data`` docstrings state it. (astronaut.png and chelsea.png are bundled already.)
SKIMAGE_PHOTOS: dict[str, str] = {
    "coffee.png": "CC0 (photographer Rachel Michetti)",
    "rocket.jpg": "public domain (SpaceX)",
    "hubble_deep_field.jpg": "public domain (NASA)",
    "retina.jpg": "CC0 1.0 (Wikimedia Commons)",
    "immunohistochemistry": "no known copyright restrictions",
    "camera.png": "CC0 (photographer Lav Varshney); greyscale",
    "coins.png": "no known copyright restrictions (Brooklyn Museum); greyscale",
    "brick.png": "CC0 (CC0Textures); greyscale",
    "grass.png": "CC0 (DeviantArt, linolafett); greyscale",
    "gravel.png": "CC0 (CC0Textures); greyscale",
}
#: scikit-image's file name of its immunohistochemistry picture.
SKIMAGE_PHOTOS["ihc.png"] = SKIMAGE_PHOTOS.pop("immunohistochemistry")

_BUNDLED_LICENCES = {
    "astronaut": "public domain (NASA); also skimage/data/astronaut.png",
    "chelsea_cat": "CC0 (Stefan van der Walt); also skimage/data/chelsea.png",
    "cincinnati_bridge": "public domain (Derek Jensen; Debian palapeli-data)",
    "raccoon": "public domain (scipy.misc.face)",
    "grace_hopper": "public domain (US Navy; matplotlib sample data)",
    "honey_bee": "public domain (John Severns; Debian palapeli-data)",
}


@dataclass(frozen=True)
class PhotoSource:
    """One training photo: its name, where it came from, its licence and its SHA-256."""

    name: str
    source: str
    licence: str
    sha256: str

    def as_dict(self) -> dict[str, str]:
        """For the JSON beside the weights."""
        return {
            "name": self.name,
            "source": self.source,
            "licence": self.licence,
            "sha256": self.sha256,
        }


def describe_photo(photo: str | Path) -> PhotoSource:
    """Name, source, licence and SHA-256 of a bundled photo's name or a picture file.

    A file named as in :data:`SKIMAGE_PHOTOS` gets that licence; any other file "given by the
    trainer (licence not recorded)".
    """
    path = Path(photo)
    if path.is_file():
        name = path.name
        licence = SKIMAGE_PHOTOS.get(name, "given by the trainer (licence not recorded)")
        source = _SKIMAGE + name if name in SKIMAGE_PHOTOS else str(path)
    else:
        path = image_path(str(photo), "content")
        name = path.stem
        licence = _BUNDLED_LICENCES.get(name, "see images/CREDITS.md")
        source = f"bundled: images/content/{path.name}"
    return PhotoSource(name, source, licence, hashlib.sha256(path.read_bytes()).hexdigest())


class TrainingPhotos:
    """Random augmented crops of a few photos, the batches a style network trains on.

    Args:
        photos: bundled names or picture files (loaded once, longest side at most 512 px).
        crop: the side of the square crops in pixels.
        scale_range: (shortest, longest) length in pixels of a photo's longest side before
            cropping, drawn uniformly for every sample.
        seed: seed of the random crops, scales and flips (the same seed gives the same batches).

    Raises:
        ValueError: no photos, or a held-out photo (:data:`HELD_OUT`) among them, or a crop
            larger than the scales allow.
    """

    def __init__(
        self,
        photos: Sequence[str | Path],
        crop: int = 160,
        scale_range: tuple[int, int] = (224, 320),
        seed: int = 0,
    ) -> None:
        if not photos:
            raise ValueError("no training photos given; pass bundled names or picture files")
        held = [p for p in photos if Path(str(p)).stem in HELD_OUT]
        if held:
            raise ValueError(
                f"{held} are held out (labhelpers.feedforward.photos.HELD_OUT): the comparisons "
                "with stylize use them, so no network may train on them; leave them out"
            )
        low, high = (int(v) for v in scale_range)
        if not 16 <= crop <= low <= high:
            raise ValueError(
                f"need 16 <= crop <= the shortest scale; got crop {crop}, scales {scale_range} "
                "(e.g. crop=160, scale_range=(224, 320))"
            )
        self.crop, self.scale_range = int(crop), (low, high)
        self.sources = [str(p) for p in photos]
        self.images = [load_image(p, max_size=512) for p in photos]
        self.rng = np.random.default_rng(seed)

    def sample(self) -> np.ndarray:
        """One augmented crop: float32 (crop, crop, 3) in [0, 1]."""
        rng = self.rng
        image = self.images[rng.integers(len(self.images))]
        longest = int(rng.integers(self.scale_range[0], self.scale_range[1] + 1))
        height, width = image.shape[:2]
        scale = longest / max(height, width)
        scale = max(scale, self.crop / min(height, width))  # the crop must fit
        size = (max(self.crop, round(height * scale)), max(self.crop, round(width * scale)))
        scaled = resize_to(image, size)
        top = int(rng.integers(size[0] - self.crop + 1))
        left = int(rng.integers(size[1] - self.crop + 1))
        piece = scaled[top : top + self.crop, left : left + self.crop]
        return piece[:, ::-1] if rng.random() < 0.5 else piece

    def batch(self, size: int) -> np.ndarray:
        """``size`` augmented crops: float32 (size, crop, crop, 3) in [0, 1]."""
        return np.stack([self.sample() for _ in range(size)]).astype(np.float32)

    def describe(self) -> list[dict[str, Any]]:
        """Name, source, licence and SHA-256 of every photo (:func:`describe_photo`)."""
        return [describe_photo(p).as_dict() for p in self.sources]
