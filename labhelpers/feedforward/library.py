"""Trained style networks: where they are kept, training one to a file, and ``fast_stylize``.

A painting's network is two files with the painting's name: ``<painting>.npz`` (the weights,
float16; :func:`~labhelpers.feedforward.network.save_network_weights`) and ``<painting>.json``
(how it was trained: seed, photos with their licences, steps, time, settings). They are looked
for in two folders, the first match wins:

1. ``networks/`` in the lab's cache folder (``LAB_CACHE_DIR``): the networks a user trained
   with ``python -m labhelpers train-network`` (:func:`user_networks_dir`);
2. ``labhelpers/feedforward/networks/``: the networks shipped with the lab, one per bundled
   painting (:data:`SHIPPED_DIR`).

Used by lesson 09 (09_fast_network), ``python -m labhelpers fast`` and ``train-network``.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from labhelpers.config import cache_dir_path, import_tensorflow
from labhelpers.feedforward.network import (
    DEFAULT_CHANNELS,
    DEFAULT_RESIDUAL_BLOCKS,
    TransformNetwork,
    build_transform_network,
    load_network_weights,
    save_network_weights,
)
from labhelpers.feedforward.photos import HELD_OUT, TrainingPhotos
from labhelpers.feedforward.training import (
    DEFAULT_WEIGHTS,
    PAINTING_SIZE,
    NetworkLoss,
    TrainingResult,
    train_network,
)
from labhelpers.files import write_file
from labhelpers.images import ImageError, load_image, resize_to

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

__all__ = [
    "SHIPPED_DIR",
    "NetworkMissingError",
    "user_networks_dir",
    "available_networks",
    "network_files",
    "load_style_network",
    "training_record",
    "fast_stylize",
    "train_and_save",
    "SHIPPED_TRAINING",
]

#: The networks shipped with the lab (package data).
SHIPPED_DIR = Path(__file__).resolve().parent / "networks"

#: How the shipped networks were trained (``train-network``'s defaults): lesson 09's network
#: size (channels (16, 32, 48), 3 residual blocks) at learning rate 0.003. A larger network
#: (``--channels 32,64,128 --residual-blocks 5 --learning-rate 0.001``) came only somewhat
#: closer to ``stylize``'s style distance (2.17x instead of 2.52x on average) for a picture
#: three times as slow and files ten times as large (docs/performance.md, "Lesson 09's
#: networks").
SHIPPED_TRAINING: dict[str, Any] = {
    "channels": DEFAULT_CHANNELS,
    "residual_blocks": DEFAULT_RESIDUAL_BLOCKS,
    "learning_rate": 3e-3,
}

_LOADED: dict[Path, tuple[float, TransformNetwork, Any]] = {}


class NetworkMissingError(ValueError):
    """No trained network for a painting; the message names the ones there are and how to train
    one."""


def user_networks_dir() -> Path:
    """``networks/`` in the lab's cache folder (not created here): where ``train-network`` puts
    a user's networks by default."""
    return cache_dir_path() / "networks"


def _folders() -> list[Path]:
    return [user_networks_dir(), SHIPPED_DIR]


def _painting_name(painting: Any) -> str:
    """``"van_gogh_starry_night"`` for that name, ``"style/van_gogh_starry_night.jpg"`` or a
    path to such a file."""
    if not isinstance(painting, (str, os.PathLike)):
        raise TypeError(
            "painting must be the name of a painting with a trained network, e.g. "
            f"'van_gogh_starry_night' (see labhelpers.feedforward.available_networks()), not "
            f"{type(painting).__name__}"
        )
    return Path(str(painting)).stem.lower()


def available_networks() -> dict[str, Path]:
    """``{painting name: weights file}`` of every trained network (user's first, then shipped)."""
    found: dict[str, Path] = {}
    for folder in _folders():
        if folder.is_dir():
            for path in sorted(folder.glob("*.npz")):
                found.setdefault(path.stem, path)
    return found


def network_files(painting: Any) -> tuple[Path, Path]:
    """The (weights .npz, record .json) files of ``painting``'s network.

    Raises:
        NetworkMissingError: there is none; the message lists the paintings that have one and
            the command that trains one.
    """
    name = _painting_name(painting)
    path = available_networks().get(name)
    if path is None:
        have = ", ".join(sorted(available_networks())) or "none"
        raise NetworkMissingError(
            f"No trained network for the painting '{name}'. Networks exist for: {have}. "
            f"Train one (about 10 minutes on two cores) with: python -m labhelpers "
            f"train-network {painting} (it is saved in {user_networks_dir()}), or use "
            "labhelpers.stylize(photo, painting), which needs no network."
        )
    return path, path.with_suffix(".json")


def load_style_network(painting: Any) -> TransformNetwork:
    """The trained network of ``painting`` (loaded once per process and file version).

    Raises:
        NetworkMissingError: see :func:`network_files`.
    """
    path, _ = network_files(painting)
    stamp = path.stat().st_mtime
    kept = _LOADED.get(path)
    if kept is None or kept[0] != stamp:
        network = load_network_weights(path)
        kept = (stamp, network, tf.function(network, reduce_retracing=True))
        _LOADED[path] = kept
    return kept[1]


def _compiled(painting: Any) -> Any:
    load_style_network(painting)
    return _LOADED[network_files(painting)[0]][2]


def training_record(painting: Any) -> dict[str, Any]:
    """The JSON record of ``painting``'s network (seed, photos, time, settings); {} if absent."""
    _, record = network_files(painting)
    return json.loads(record.read_text(encoding="utf-8")) if record.is_file() else {}


def fast_stylize(photo: Any, painting: Any, size: Optional[int] = 256) -> np.ndarray:
    """Paint ``photo`` in the style of ``painting`` with its trained network: one forward pass.

    Args:
        photo: anything :func:`labhelpers.load_image` takes (a bundled name, a file, a URL, an
            array (H, W, 3) in [0, 1]).
        painting: the painting's name (one with a trained network, see
            :func:`available_networks`).
        size: the longest side of the result in pixels (the photo is scaled to it, up or down);
            None keeps the photo's size.

    Returns:
        float32 array (H, W, 3) in [0, 1]; H, W the photo's at ``size``.

    Raises:
        NetworkMissingError: ``painting`` has no trained network (the message says which do and
            how to train one).
        ImageError: the photo cannot be read.
        ValueError: ``size`` is not a whole number of at least 16.
    """
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 16):
        raise ValueError(f"size must be a whole number of pixels >= 16, e.g. 256; got {size!r}")
    run = _compiled(painting)  # first: a missing network is said before the photo is read
    image = photo if isinstance(photo, np.ndarray) else load_image(photo)
    image = np.asarray(image, np.float32)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ImageError(
            f"fast_stylize takes one RGB picture (H, W, 3); got shape {image.shape}. Load "
            "pictures with labhelpers.load_image()."
        )
    if size is not None and max(image.shape[:2]) != size:
        image = resize_to(image, size)
    picture = run(tf.constant(image[None]))[0]
    return np.clip(picture.numpy(), 0.0, 1.0).astype(np.float32)


def _cpu_name() -> str:
    """The CPU's model name (Linux), else what :mod:`platform` knows."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def train_and_save(
    painting: str,
    photos: list[str],
    output_dir: Path,
    *,
    seconds: Optional[float] = 600.0,
    steps: Optional[int] = None,
    seed: int = 0,
    batch_size: int = 2,
    crop: int = 128,
    learning_rate: float = SHIPPED_TRAINING["learning_rate"],
    channels: Sequence[int] = SHIPPED_TRAINING["channels"],
    residual_blocks: int = SHIPPED_TRAINING["residual_blocks"],
    style_weight: float = DEFAULT_WEIGHTS["style"],
    vgg_weights: str = "auto",
    overwrite: bool = False,
    callback: Any = None,
) -> tuple[Path, Path, TrainingResult]:
    """Train ``painting``'s network on ``photos`` and save ``<painting>.npz`` and ``.json``.

    Args:
        painting: a painting (bundled name or file); the files take its name.
        photos: training photos (bundled names or files; :data:`HELD_OUT` ones are refused).
        output_dir: the folder for the two files (created).
        seconds, steps: when to stop (see :func:`~labhelpers.feedforward.training.train_network`).
        seed: seed of the network's initial weights and of the crops.
        batch_size, crop, learning_rate: training settings (Adam's learning rate, > 0).
        channels, residual_blocks: the network's size (see
            :class:`~labhelpers.feedforward.network.TransformNetwork`); the defaults are the
            shipped networks' (:data:`SHIPPED_TRAINING`).
        style_weight: the style loss's weight (content and TV weigh 1), > 0.
        vgg_weights: where VGG16's parameters come from.
        overwrite: replace an existing network of that name; otherwise refuse before training.
        callback: passed to ``train_network``.

    Returns:
        (weights file, record file, the training result).

    Raises:
        FileExistsError: the network exists and ``overwrite`` is False (nothing is trained).
        ValueError: a setting out of range (said before anything is loaded or trained).
    """
    for label, value in (("learning rate", learning_rate), ("style weight", style_weight)):
        if not (math.isfinite(float(value)) and float(value) > 0):
            raise ValueError(f"the {label} must be a number > 0, e.g. 0.001 or 10; got {value}")
    network = build_transform_network(tuple(channels), int(residual_blocks), seed=seed)
    name = _painting_name(painting)
    output_dir = Path(output_dir).expanduser()
    output_dir.mkdir(parents=True, exist_ok=True)
    weights, record = output_dir / f"{name}.npz", output_dir / f"{name}.json"
    if not overwrite and (weights.exists() or record.exists()):
        raise FileExistsError(
            f"{weights} exists already; give --overwrite to replace it, or -o another folder"
        )
    loss = NetworkLoss(painting, vgg_weights=vgg_weights, style_weight=style_weight)
    training = TrainingPhotos(photos, crop=crop, seed=seed)
    result = train_network(
        training,
        loss,
        network=network,
        seconds=seconds,
        steps=steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
        callback=callback,
    )
    save_network_weights(result.network, weights)
    last = [h["loss"] for h in result.history[-20:]]
    info = {
        "painting": name,
        "seed": seed,
        "steps": result.steps,
        "seconds": round(result.seconds, 1),
        "stopped": result.stopped,
        "final_loss_mean_of_last_20": float(np.mean(last)) if last else None,
        "training": result.settings,
        "loss": {
            **loss.weights,
            "precision": loss.precision,
            "vgg_weights": loss.extractor.source,
            "painting_size": PAINTING_SIZE,
            "content_layer": loss.content_layer,
            "style_layers": list(loss.style_layers),
        },
        "network": {
            "channels": list(result.network.channels),
            "residual_blocks": result.network.residual_blocks,
            "file_bytes": weights.stat().st_size,
            "dtype": "float16",
        },
        "photos": training.describe(),
        "held_out": list(HELD_OUT),
        "machine": {
            "cpu": _cpu_name(),
            "cores": os.cpu_count(),
            "tensorflow": tf.__version__,
        },
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    write_file(record, json.dumps(info, indent=1) + "\n", overwrite=True)
    return weights, record, result
