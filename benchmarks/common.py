"""Shared pieces of the benchmarks: the tutorial's loop, the weight-free distances, the pairs.

Only public names of ``labhelpers`` are used here.

* :func:`tutorial_loop`: the TensorFlow "Neural style transfer" tutorial's optimisation,
  re-implemented on the same VGG16 (see ``bench_stylize.py``'s docstring for its constants and
  why the features are scaled by 1000).
* :class:`Distances`: the two weight-free distances of a picture -- the mean relative Gram error
  over the five style layers (``style``) and the relative block4_conv2 error (``content``); both
  are about 1 for an unrelated picture and 0 for a perfect match.
* :func:`seconds_per_step_in_turns`: one tutorial step and one ``Objective.evaluate`` timed in
  turns, so that background load on a shared machine hits both alike.
* :func:`race_to_target`: a :class:`labhelpers.transfer.run.StyleTransfer` run that stops as soon
  as its best picture is at least as good as a target in both distances, counting the work in
  tutorial-step units (each evaluation weighted by its picture's pixels relative to the final
  picture's).
* :func:`quick_mode`, :func:`write_section`, :func:`cpu_line`: what every product shares: the
  quick mode CI runs (``--quick`` or ``LAB_BENCH_QUICK=1``), one results file per product with a
  section per machine or setting, and the CPU named beside every figure.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"

#: The environment variable that puts every product benchmark in its quick mode (as ``--quick``).
QUICK_ENV = "LAB_BENCH_QUICK"

CONTENT_LAYER = "block4_conv2"
STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
TUTORIAL_STYLE_WEIGHT, TUTORIAL_CONTENT_WEIGHT, TUTORIAL_TV_WEIGHT = 1e-2, 1e4, 30.0
FEATURE_SCALE = 1000.0
TUTORIAL_STEPS = 300

#: "Every bundled pair": each of the three paintings with a different photo, plus the default pair.
PAIRS = (
    ("chelsea_cat", "van_gogh_starry_night"),
    ("cincinnati_bridge", "van_gogh_cafe_terrace_at_night"),
    ("grace_hopper", "van_gogh_night_cafe"),
    ("honey_bee", "van_gogh_starry_night"),
)


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def cpu_flags() -> dict[str, Any]:
    """The CPU model, core count and the flags that matter here (avx2 ... amx_bf16: bool)."""
    text = Path("/proc/cpuinfo").read_text()
    flags = set()
    model = ""
    for line in text.splitlines():
        if line.startswith("flags") and not flags:
            flags = set(line.split(":", 1)[1].split())
        if line.startswith("model name") and not model:
            model = line.split(":", 1)[1].strip()
    import os

    return {
        "model": model,
        "cores": os.cpu_count(),
        **{name: name in flags for name in ("avx2", "avx512f", "avx512_bf16", "amx_bf16")},
    }


def extractor():
    """torchvision's VGG16 (the weights the tests use), built once per process."""
    from labhelpers.network.extractor import build_feature_extractor

    return build_feature_extractor("torchvision", download=False, verbose=False)


def load_pair(content: str, style: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The pictures as StyleTransfer sees them: longest side ``size`` px, float32 in [0, 1]."""
    from labhelpers.images import load_image, resize_to

    return (
        resize_to(load_image(content, max_size=size), size),
        resize_to(load_image(style, max_size=size), size),
    )


class Distances:
    """``distances(picture) -> {"style": s, "content": c}``: weight-free distances to the pair."""

    def __init__(self, features: Any, content: np.ndarray, style: np.ndarray):
        from labhelpers.losses import gram_matrix

        self.gram = gram_matrix
        self.features = features.with_layers(list(STYLE_LAYERS) + [CONTENT_LAYER])
        maps = self.features(style)
        self.style_grams = {n: gram_matrix(maps[n]) for n in STYLE_LAYERS}
        self.content_map = self.features(content)[CONTENT_LAYER]
        self.shape = content.shape

    def __call__(self, picture: np.ndarray) -> dict[str, float]:
        import tensorflow as tf

        maps = self.features(np.asarray(picture, dtype=np.float32))
        style = [
            float(tf.norm(self.gram(maps[n]) - g) / tf.norm(g))
            for n, g in self.style_grams.items()
        ]
        content = float(
            tf.norm(maps[CONTENT_LAYER] - self.content_map) / tf.norm(self.content_map)
        )
        return {"style": sum(style) / len(style), "content": content}


def build_tutorial(
    features: Any,
    content: np.ndarray,
    style: np.ndarray,
    feature_scale: float = FEATURE_SCALE,
    tv_weight: float = TUTORIAL_TV_WEIGHT,
):
    """The tutorial's set-up: ``(train_step, image variable)``; a step = one evaluation + Adam.

    ``feature_scale`` multiplies the torchvision features before the loss (the tutorial's weights
    assume Caffe-sized activations); ``tv_weight`` is the tutorial's TV weight (30).
    """
    import keras
    import tensorflow as tf

    maps_of = features.with_layers(list(STYLE_LAYERS) + [CONTENT_LAYER])

    def gram(tensor):  # the tutorial's Gram matrix: F^T F / (H W)
        shape = tf.shape(tensor)
        return tf.einsum("bijc,bijd->bcd", tensor, tensor) / tf.cast(
            shape[1] * shape[2], tf.float32
        )

    def outputs(image):
        maps = maps_of(image)
        return {n: gram(feature_scale * maps[n]) for n in STYLE_LAYERS}, feature_scale * maps[
            CONTENT_LAYER
        ]

    style_targets, _ = outputs(style[None])
    _, content_target = outputs(content[None])
    image = tf.Variable(content[None])
    optimizer = keras.optimizers.Adam(learning_rate=0.02, beta_1=0.99, epsilon=1e-1)

    @tf.function()
    def train_step(image):
        with tf.GradientTape() as tape:
            grams, content_map = outputs(image)
            style_loss = tf.add_n(
                [tf.reduce_mean((grams[n] - style_targets[n]) ** 2) for n in STYLE_LAYERS]
            )
            style_loss *= TUTORIAL_STYLE_WEIGHT / len(STYLE_LAYERS)
            content_loss = (
                tf.reduce_mean((content_map - content_target) ** 2) * TUTORIAL_CONTENT_WEIGHT
            )
            loss = (
                style_loss
                + content_loss
                + tv_weight * tf.reduce_sum(tf.image.total_variation(image))
            )
        grad = tape.gradient(loss, image)
        optimizer.apply_gradients([(grad, image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))
        return loss

    return train_step, image


def tutorial_loop(
    features: Any,
    content: np.ndarray,
    style: np.ndarray,
    steps: int = TUTORIAL_STEPS,
    distances: Distances | None = None,
) -> dict[str, Any]:
    """Run the tutorial's loop: its final picture, distances, s per step and wall time (s)."""
    start = time.perf_counter()
    train_step, image = build_tutorial(features, content, style)
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        train_step(image).numpy()
        times.append(time.perf_counter() - t)
    wall = time.perf_counter() - start
    picture = image[0].numpy()
    distances = distances or Distances(features, content, style)
    return {
        "steps": steps,
        "seconds_per_step": float(np.median(times[2:])),
        "wall_seconds": wall,
        "final": distances(picture),
        "image": picture,
    }


def seconds_per_step_in_turns(
    features: Any,
    content: np.ndarray,
    style: np.ndarray,
    objective: Any,
    picture: np.ndarray,
    rounds: int = 6,
) -> dict[str, float]:
    """Median s of one tutorial step and of one ``objective.evaluate(picture)``, in turns."""
    train_step, image = build_tutorial(features, content, style)
    calls = {
        "tutorial_step": lambda: train_step(image).numpy(),
        "evaluation": lambda: objective.evaluate(picture),
    }
    for call in calls.values():
        call()
        call()
    times: dict[str, list[float]] = {k: [] for k in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            t = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - t)
    return {k: float(np.median(v)) for k, v in times.items()}


def race_to_target(
    transfer: Any,
    distances: Distances,
    target: dict[str, float],
    max_steps: int = 400,
    check_every: int = 1,
    **run_settings: Any,
) -> dict[str, Any]:
    """Run ``transfer`` until its best picture (final size) beats ``target`` in both distances.

    Args:
        transfer: a prepared :class:`labhelpers.transfer.run.StyleTransfer`.
        distances: the :class:`Distances` of the pair at the transfer's size.
        target: ``{"style": s, "content": c}`` to reach (the tutorial's final distances).
        max_steps: the run's ``steps`` (an upper limit; the run stops at the target).
        check_every: measure the distances every this many evaluations of the final stage.
        **run_settings: the run's settings (``coarse_to_fine=[64, 128]``, ``style_weight=3``...).

    Returns:
        ``reached`` (bool), ``units`` (evaluations weighted by pixels / final pixels, at the
        moment reached, or in total if never), ``evaluations``, ``wall_seconds`` (the run's own
        time, distance checks excluded), ``final`` (the distances of the returned picture),
        ``stages``, ``stage_steps``,
        ``trajectory`` (the distances of the best picture at each check, with its step and units).
    """
    final_shape = transfer.content.shape
    state = {"overhead": 0.0, "reached": None, "trajectory": []}

    def callback(step: int, picture: np.ndarray, record: dict) -> None:
        if picture.shape != final_shape or step % check_every:
            return
        t = time.perf_counter()
        d = distances(picture)
        state["trajectory"].append({"step": step, **d})
        if d["style"] <= target["style"] and d["content"] <= target["content"]:
            state["reached"] = {
                "step": step,
                "seconds": record["seconds"] - state["overhead"],
                **d,
            }
        state["overhead"] += time.perf_counter() - t

    settings = {"steps": max_steps, **run_settings, "callback_every": 1}
    result = transfer.run(
        callback=callback, should_stop=lambda: state["reached"] is not None, **settings
    )
    pixels = final_shape[0] * final_shape[1]
    sizes = {}
    for size in result.options["coarse_to_fine"]:
        scale = size / max(final_shape[:2])
        sizes[size] = (
            max(1, round(final_shape[0] * scale)) * max(1, round(final_shape[1] * scale)) / pixels
        )
    sizes[max(final_shape[:2])] = 1.0
    cumulative = (
        np.cumsum([sizes[r["stage_size"]] for r in result.history]) if result.history else [0.0]
    )
    units = float(cumulative[-1])
    trajectory = [
        {**point, "units": float(cumulative[point["step"] - 1])} for point in state["trajectory"]
    ]
    reached = state["reached"]
    return {
        "reached": reached is not None,
        "units": units,
        "evaluations": len(result.history),
        "wall_seconds": reached["seconds"] if reached else result.seconds - state["overhead"],
        "final": distances(result.image),
        "stages": result.options["coarse_to_fine"],
        "stage_steps": [
            sum(1 for r in result.history if r["stage_size"] == s)
            for s in result.options["coarse_to_fine"]
        ],
        "image": result.image,
        "trajectory": trajectory,
        "first_total": result.history[0]["total"] if result.history else None,
        "max_total": max(r["total"] for r in result.history) if result.history else None,
    }


def quick_mode(flag: bool = False) -> bool:
    """Whether a product runs in its quick mode: ``--quick`` given, or ``LAB_BENCH_QUICK`` set.

    Quick mode caps sizes, steps, rounds and notebooks so that a product runs in seconds on two
    cores and prints its table; its figures show the script still works, they measure nothing.
    """
    from labhelpers.config import env_flag  # the one parser of on/off switches

    return flag or env_flag(QUICK_ENV)


def cpu_line(cpu: dict[str, Any]) -> str:
    """One line naming the CPU and its flags, e.g. ``CPU: AMD EPYC, 2 cores; avx2 True, ...``."""
    flags = ", ".join(
        f"{name} {cpu[name]}" for name in ("avx2", "avx512f", "avx512_bf16", "amx_bf16")
    )
    return f"CPU: {cpu['model']}, {cpu['cores']} cores; {flags}."


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary name beside ``path``, then move it into place.

    An interrupted benchmark therefore never leaves half a results file behind.
    """
    from labhelpers.files import write_file

    path.parent.mkdir(parents=True, exist_ok=True)
    write_file(path, text, overwrite=True)


def write_section(path: Path, title: str, body: str, heading: str) -> str:
    """Put ``body`` under ``## title`` in the Markdown file ``path``, keeping its other sections.

    One results file per product: each machine or setting measured is a section, and a rerun
    replaces only its own section (same title) or appends a new one at the end.

    Args:
        path: the results file (created with ``# heading`` if missing).
        title: the section's title, without the ``## `` (for instance the CPU's name).
        body: the section's text (a CPU line and a table); surrounding blank lines are trimmed.
        heading: the file's first line, without the ``# ``, used only when creating the file.

    Returns:
        The file's new text (also written, through a temporary file).
    """
    text = path.read_text(encoding="utf-8") if path.exists() else f"# {heading}\n"
    lines = text.rstrip("\n").split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith("## ")]
    preamble = lines[: starts[0]] if starts else lines
    sections = [lines[a:b] for a, b in zip(starts, starts[1:] + [len(lines)])]
    new = [f"## {title}", "", body.strip("\n"), ""]
    for index, section in enumerate(sections):
        if section[0].strip() == f"## {title}":
            sections[index] = new
            break
    else:
        sections.append(new)
    # every block ends in exactly one blank line, whatever the file had
    blocks = [preamble] + sections
    result = "".join("\n".join(block).strip("\n") + "\n\n" for block in blocks)
    result = result.rstrip("\n") + "\n"
    write_text_atomic(path, result)
    return result
