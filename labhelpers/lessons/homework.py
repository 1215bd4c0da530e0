"""The graded homework (``notebooks/homework/homework_style_transfer.ipynb``): its helpers.

The homework builds on the exercises that stretch (issue 28): the student's feature extractor
from a bare Keras VGG16 (Part A), the L-BFGS-B objective (Part B), the style gradient in closed
form (Part C), and a study with a pass criterion (Part D): the content/style ratio sweep of
Gatys et al.'s Fig. 3 (their rows: style weight over content weight from 1e-4 to 1e-1 in the
paper's units), run with the student's extractor and objective.  This module holds what the
notebook calls around the student's functions:

- :func:`lab_weights_file`: the path of the lab's torchvision VGG16 weights (a Keras file);
- :func:`compare_with_lab`: the student's maps against the lab's extractor, on a real picture;
- :func:`compare_style_gradient`: the student's closed form against ``tf.GradientTape`` on real
  VGG16 maps;
- :func:`loss_for_ratio`: the study's loss for one ratio (the lecture's content and style
  losses, with the student's extractor);
- :func:`measure_study` (a :class:`RatioStudy`) and :func:`plot_ratio_study`, the figure: one
  picture per ratio over the two loss curves, the criterion in the title.

The criterion itself and the checkers are in :mod:`labhelpers.exercises.checks.study`.

Conventions: pictures float32 RGB in [0, 1], (H, W, 3) or (1, H, W, 3); maps (1, h, w, C); the
losses are the lecture's (mean squared difference; Gram ``F^T F / (H W C)``), unweighted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from labhelpers import losses
from labhelpers.config import import_tensorflow
from labhelpers.exercises.checks.study import MIN_CHANGE, NOISE

tf = import_tensorflow()  # TensorFlow without its CUDA start-up noise (see labhelpers.config)

if TYPE_CHECKING:  # pragma: no cover - only for type checkers
    from matplotlib.figure import Figure

__all__ = [
    "CONTENT_LAYERS",
    "STYLE_LAYERS",
    "lab_weights_file",
    "compare_with_lab",
    "compare_style_gradient",
    "loss_for_ratio",
    "RatioStudy",
    "measure_study",
    "plot_ratio_study",
]

#: The study's layers: lesson 05's (conv4_2 for content, conv1_1 ... conv5_1 for style).
CONTENT_LAYERS = ("block4_conv2",)
STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")


def lab_weights_file() -> str:
    """The path of the lab's torchvision VGG16 weights as a Keras weights file (``.weights.h5``),
    prepared by ``python -m labhelpers weights`` (nothing is downloaded from Keras)."""
    from labhelpers.network.weights import torchvision_weights

    return str(torchvision_weights())


def compare_with_lab(
    extract: Callable[[Any], Mapping[str, Any]], layers: Sequence[str], picture: np.ndarray
) -> float:
    """Print and return the largest relative difference between the student's maps and the lab's.

    Args:
        extract: the student's extractor (pictures (B, H, W, 3) -> {layer: map}), built on
            :func:`lab_weights_file` with ``"torch"``.
        layers: the layers it returns.
        picture: a picture (H, W, 3) in [0, 1].

    Returns:
        max over layers of max |mine - lab| / max |lab| (0 for the same network).
    """
    from labhelpers.network.extractor import build_feature_extractor

    lab = build_feature_extractor("torchvision", layers=list(layers), verbose=False)
    batch = np.asarray(picture, np.float32)[None]
    mine, theirs = extract(tf.constant(batch)), lab(batch)
    worst = 0.0
    for name in layers:
        a, b = np.asarray(mine[name], np.float64), theirs[name].numpy().astype(np.float64)
        difference = float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-30))
        worst = max(worst, difference)
        print(
            f"   {name:<14} {tuple(b.shape)}  largest difference {difference:.2e} of the largest"
        )
    print(f"Your extractor against the lab's on the lab's weights: {worst:.2e}")
    return worst


def compare_style_gradient(
    style_gradient: Callable[[np.ndarray, np.ndarray], Any],
    features: np.ndarray,
    gram_target: np.ndarray,
) -> float:
    """Print and return how far the student's closed form is from the tape on real maps.

    Args:
        style_gradient: the student's function (features (1, H, W, C), target (C, C) -> dL/dF).
        features: a real VGG16 map (1, H, W, C) (ReLU outputs).
        gram_target: the painting's Gram matrix (C, C) at the same layer.

    Returns:
        max |mine - tape| / max |tape|.
    """
    from labhelpers.exercises.checks.style_gradient import tape_style_gradient

    features = np.asarray(features, np.float64)
    gram_target = np.asarray(gram_target, np.float64)
    mine = np.asarray(style_gradient(features, gram_target), np.float64)
    tape = tape_style_gradient(features, gram_target)
    difference = float(np.max(np.abs(mine - tape)) / max(float(np.max(np.abs(tape))), 1e-300))
    zeros = float(np.mean(features == 0))
    print(
        f"map {features.shape} ({zeros:.0%} zeros after the ReLU): your dL/dF against "
        f"GradientTape's, largest difference {difference:.2e} of the largest"
    )
    return difference


def _targets(
    extract: Callable[[Any], Mapping[str, Any]], photo: np.ndarray, painting: np.ndarray
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The photo's maps at :data:`CONTENT_LAYERS`, the painting's Gram matrices at
    :data:`STYLE_LAYERS`."""
    content_maps = extract(tf.constant(np.asarray(photo, np.float32)[None]))
    style_maps = extract(tf.constant(np.asarray(painting, np.float32)[None]))
    content = {name: tf.constant(content_maps[name]) for name in CONTENT_LAYERS}
    style = {name: losses.gram_matrix(tf.constant(style_maps[name])) for name in STYLE_LAYERS}
    return content, style


def _terms(maps: Mapping[str, Any], targets: tuple[dict, dict]) -> tuple[Any, Any]:
    """(content loss summed over the content layers, style loss summed over the style layers)."""
    content_targets, style_targets = targets
    content = tf.add_n([losses.content_loss(maps[n], t) for n, t in content_targets.items()])
    style = tf.add_n(
        [losses.style_loss(losses.gram_matrix(maps[n]), t) for n, t in style_targets.items()]
    )
    return content, style


def loss_for_ratio(
    extract: Callable[[Any], Mapping[str, Any]], photo: np.ndarray, painting: np.ndarray
) -> Callable[[float], Callable[[Any], Any]]:
    """The study's losses: ``ratio -> loss_fn`` with loss_fn(x) = content + ratio * style.

    Content: the lecture's content loss at :data:`CONTENT_LAYERS`; style: the lecture's style
    losses summed over :data:`STYLE_LAYERS` (lesson 05's raw terms; no TV, so that the sweep
    shows only the trade between the two). The targets are computed once.

    Args:
        extract: the student's extractor, returning at least the study's layers.
        photo, painting: pictures (H, W, 3) in [0, 1].

    Returns:
        A function of the ratio (beta / alpha) giving the loss of a float32 picture
        (1, H, W, 3) (a scalar tensor).
    """
    targets = _targets(extract, photo, painting)

    @tf.function  # traced once for every ratio: the ratio is a tensor argument
    def weighted(x: Any, ratio: Any) -> Any:
        content, style = _terms(extract(x), targets)
        return content + ratio * style

    def for_ratio(ratio: float) -> Callable[[Any], Any]:
        weight = tf.constant(float(ratio), tf.float32)
        return lambda x: weighted(x, weight)

    return for_ratio


@dataclass
class RatioStudy:
    """The measured sweep: per ratio (increasing), the picture and its unweighted losses.

    Attributes:
        ratios: beta / alpha of each run, increasing.
        pictures: the runs' pictures (H, W, 3) float32 in [0, 1].
        content: the lecture's content loss of each picture (summed over the content layers).
        style: the lecture's style loss of each picture (summed over the style layers).
    """

    ratios: list[float]
    pictures: list[np.ndarray]
    content: list[float]
    style: list[float]


def measure_study(
    pictures: Mapping[float, Any],
    extract: Callable[[Any], Mapping[str, Any]],
    photo: np.ndarray,
    painting: np.ndarray,
) -> RatioStudy:
    """Measure each picture of the student's sweep with the lecture's unweighted losses.

    Args:
        pictures: {ratio: picture (1, H, W, 3)} as the student's ``ratio_study`` returns it.
        extract: the extractor (the student's).
        photo, painting: the pictures (H, W, 3) the targets come from.
    """
    targets = _targets(extract, photo, painting)
    study = RatioStudy([], [], [], [])
    for ratio in sorted(pictures):
        picture = np.asarray(pictures[ratio], np.float32).reshape((1, *np.shape(photo)))
        content, style = _terms(extract(tf.constant(picture)), targets)
        study.ratios.append(float(ratio))
        study.pictures.append(picture[0])
        study.content.append(float(content))
        study.style.append(float(style))
    return study


def plot_ratio_study(study: RatioStudy, title: str = "") -> "Figure":
    """The study's figure: the pictures by ratio (top), the two losses against the ratio (below).

    Log axes; the ratio is the column header of each picture; the criterion is stated in the
    figure's title.
    """
    import matplotlib.pyplot as plt

    count = len(study.ratios)
    figure = plt.figure(figsize=(max(8.0, 2.4 * count), 6.4), layout="constrained")
    grid = figure.add_gridspec(2, count, height_ratios=[1.3, 1.0])
    for index, (ratio, picture) in enumerate(zip(study.ratios, study.pictures)):
        ax = figure.add_subplot(grid[0, index])
        ax.imshow(np.clip(picture, 0.0, 1.0))
        ax.set_title(f"style/content {ratio:g}", fontsize=10)
        ax.axis("off")
    ax = figure.add_subplot(grid[1, :])
    ax.loglog(study.ratios, study.content, "o-", color="C0", label="content loss (conv4_2)")
    ax.set_xlabel("ratio beta / alpha (style weight over content weight)")
    ax.set_ylabel("content loss", color="C0")
    other = ax.twinx()
    other.loglog(study.ratios, study.style, "s-", color="C3", label="style loss (5 layers)")
    other.set_ylabel("style loss", color="C3")
    ax.grid(True, which="major", alpha=0.3)
    lines = ax.get_lines() + other.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], fontsize=9, loc="center left")
    figure.suptitle(
        (title + "\n" if title else "")
        + f"criterion: content rises, style falls with the ratio (each step within "
        f"{NOISE:.0%}; at least {MIN_CHANGE:g}x end to end)",
        fontsize=10,
    )
    return figure
