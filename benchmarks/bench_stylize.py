"""Benchmark: labhelpers.stylize against a re-implementation of the TensorFlow tutorial's loop.

Usage (Linux: the figures read /proc and the load average)::

    .venv/bin/python benchmarks/bench_stylize.py            # 256, 512 and 1024 px, ~15-25 min
    .venv/bin/python benchmarks/bench_stylize.py --sizes 256 --no-1024
    .venv/bin/python benchmarks/bench_stylize.py --quick    # CI's check: 64 px, 3 steps

Quick mode (``--quick`` or ``LAB_BENCH_QUICK=1``): 64 px, 3 baseline steps, at most 3
evaluations per run, float32 only, no 1024 px run, one round of turns, every configuration in
this process (no worker processes: peak memory means nothing there).

Writes the section ``stylize against the tutorial on <CPU>`` (or ``--section``) of
``benchmarks/results/stylize.md`` (``--out`` names another folder); ``--json FILE`` also keeps
the raw figures, and ``--render FILE`` writes the section again from such a file.

What is compared (same machine, same pictures -- the bundled default pair -- same VGG16 network
and weights: torchvision's, same layers: content block4_conv2, style block1_conv1..block5_conv1):

* **stylize**: :class:`labhelpers.transfer.run.StyleTransfer` with its defaults (L-BFGS, normalised
  loss, the default content/style/TV weights, init = content), float32; and with style_weight 3
  and tv_weight 0.1 (a style/content balance like the baseline's, see the table's notes), in
  float32 and with ``precision="bfloat16"``.
* **baseline**: the loop of the TensorFlow "Neural style transfer" tutorial, re-implemented:
  image as a ``tf.Variable``, Adam(lr 0.02, beta_1 0.99, epsilon 0.1), one ``tf.function``
  train step (no XLA) with the tutorial's loss -- Gram = F^T F / (H W); style = style_weight /
  n_layers * sum_l mean((G_l - A_l)^2); content = content_weight / n_layers * sum_l
  mean((F_l - P_l)^2); plus tv_weight * tf.image.total_variation -- weights 1e-2, 1e4 and 30,
  then the image clipped to [0, 1]. The tutorial's weights were set for Caffe-trained VGG
  activations, which are 60-240x larger than torchvision's; with torchvision's raw features the
  TV term would be ~10^6 times the style term and the baseline would only blur. So the baseline
  multiplies the features by ``FEATURE_SCALE`` before its loss (style/content balance grows as
  FEATURE_SCALE^2; Adam's epsilon = 0.1 also assumes Caffe-sized gradients). FEATURE_SCALE =
  1000 was chosen *in the baseline's favour*: of 100, 300, 1000, 3000 and 10000 it gave the
  baseline the best quality (metric below) after 100 steps at 256 px (Q = 1.70, 1.25, 1.10,
  1.35, 1.60, measured before the bundled Starry Night scan was cropped; with 100 the baseline
  hardly stylises at all).

Measured per configuration, each in its own subprocess (so peak memory is separate):

* seconds per loss-and-gradient evaluation: ``s/eval`` = the compiled function alone (for the
  baseline one train step, which includes its Adam update), the three functions timed *in
  turns* in one process (median of 8 rounds after warm-up), so that background load on a
  shared machine hits them alike; ``in run`` = the median time between evaluations during the
  optimisation runs below (includes scipy / numpy bookkeeping, and whatever the load was then);
* quality over time. **Quality metric** (lower is better; independent of either method's loss
  weights): ``Q = mean_l ||G_l(x) - G_l(s)||_F / ||G_l(s)||_F  +  ||F(x) - F(c)||_F / ||F(c)||_F``
  -- the mean relative Gram-matrix distance to the style picture s over the five style layers
  plus the relative feature distance to the content photo c at block4_conv2. Both parts are
  about 1 for a picture unrelated to the target, 0 for a perfect match. The time to reach the
  quality Q_300 that the baseline has after 300 steps counts from before the targets are
  computed (pictures loaded, targets, tracing, optimisation; the quality evaluations
  themselves are not counted);
* peak resident memory (VmHWM of the worker process);
* achieved GFLOP/s: VGG16's convolution FLOPs counted analytically (2 H W k^2 C_in C_out per
  convolution up to block5_conv1, the deepest layer used) times 2 -- forward plus the gradient
  with respect to the input (the weight gradients are never needed and TensorFlow prunes them).
  The common training convention "backward = 2x forward" would give 1.5x larger numbers (also
  in the JSON). Compared with the measured float32 ``tf.matmul`` rate (2048 x 2048).

Both methods run the same network; the machine may be shared (the load average before and after
each configuration is recorded).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import common  # noqa: E402 (after sys.path)

from labhelpers.network.layers import (  # noqa: E402 (after sys.path)
    DEFAULT_CONTENT_LAYERS,
    DEFAULT_STYLE_LAYERS,
)

CONTENT_LAYER = DEFAULT_CONTENT_LAYERS[0]
STYLE_LAYERS = tuple(DEFAULT_STYLE_LAYERS)
# The tutorial's weights, and the factor that makes torchvision's activations Caffe-sized.
TUTORIAL_STYLE_WEIGHT, TUTORIAL_CONTENT_WEIGHT, TUTORIAL_TV_WEIGHT = 1e-2, 1e4, 30.0
FEATURE_SCALE = 1000.0
QUALITY_EVERY = 5
HEADING = "stylize against the TensorFlow tutorial's loop (benchmarks/bench_stylize.py)"
#: Quick mode runs every configuration in this process (set by ``main``).
IN_PROCESS = {"on": False}
#: VGG16 convolutions: (name, C_in, C_out, downsampling factor of the input).
VGG16_CONVS = (
    ("block1_conv1", 3, 64, 1),
    ("block1_conv2", 64, 64, 1),
    ("block2_conv1", 64, 128, 2),
    ("block2_conv2", 128, 128, 2),
    ("block3_conv1", 128, 256, 4),
    ("block3_conv2", 256, 256, 4),
    ("block3_conv3", 256, 256, 4),
    ("block4_conv1", 256, 512, 8),
    ("block4_conv2", 512, 512, 8),
    ("block4_conv3", 512, 512, 8),
    ("block5_conv1", 512, 512, 16),
)


# --- pure helpers ------------------------------------------------------------


def conv_flops(height: int, width: int, deepest: str = "block5_conv1") -> float:
    """Forward FLOPs of VGG16's convolutions up to ``deepest`` for an image height x width (px)."""
    total = 0.0
    for name, c_in, c_out, down in VGG16_CONVS:
        h, w = height, width
        for _ in range({1: 0, 2: 1, 4: 2, 8: 3, 16: 4}[down]):
            h, w = h // 2, w // 2  # 2x2 max pooling, 'valid'
        total += 2.0 * h * w * 9 * c_in * c_out
        if name == deepest:
            break
    return total


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (VmHWM; ru_maxrss as a fallback)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def load_pair(size: int):
    """The default content and style pictures, longest side ``size`` px, as StyleTransfer's."""
    from labhelpers.images import DEFAULT_CONTENT, DEFAULT_STYLE, load_image, resize_to

    return (
        resize_to(load_image(DEFAULT_CONTENT, max_size=size), size),
        resize_to(load_image(DEFAULT_STYLE, max_size=size), size),
    )


class Quality:
    """Q(x) = mean relative Gram distance over the style layers + relative content distance."""

    def __init__(self, extractor: Any, content: Any, style: Any):
        from labhelpers.losses import gram_matrix

        self.gram = gram_matrix
        self.features = extractor.with_layers(
            [n for n in extractor.layers if n in STYLE_LAYERS + (CONTENT_LAYER,)]
        )
        style_maps = self.features(style)
        self.style_grams = {n: gram_matrix(style_maps[n]) for n in STYLE_LAYERS}
        self.content_map = self.features(content)[CONTENT_LAYER]

    def __call__(self, image: Any) -> dict[str, float]:
        import tensorflow as tf

        maps = self.features(image)
        style = [
            float(tf.norm(self.gram(maps[n]) - g) / tf.norm(g))
            for n, g in self.style_grams.items()
        ]
        content = float(
            tf.norm(maps[CONTENT_LAYER] - self.content_map) / tf.norm(self.content_map)
        )
        mean_style = sum(style) / len(style)
        return {
            "quality": mean_style + content,
            "style_distance": mean_style,
            "content_distance": content,
        }


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else 0.5 * (ordered[mid - 1] + ordered[mid])


def _extractor():
    from labhelpers.network.extractor import build_feature_extractor

    return build_feature_extractor("torchvision", download=False, verbose=False)


# --- workers (each runs in its own process) -----------------------------------------------------


def worker_matmul(config: dict) -> dict:
    import tensorflow as tf

    n = int(config.get("n", 2048))
    a = tf.random.normal((n, n), seed=1)
    b = tf.random.normal((n, n), seed=2)
    tf.matmul(a, b).numpy()
    times = []
    for _ in range(8):
        start = time.perf_counter()
        tf.matmul(a, b).numpy()
        times.append(time.perf_counter() - start)
    seconds = _median(times)
    return {
        "n": n,
        "seconds": seconds,
        "gflops": 2.0 * n**3 / seconds / 1e9,
        "best_gflops": 2.0 * n**3 / min(times) / 1e9,
    }


def build_baseline(
    extractor: Any,
    content: Any,
    style: Any,
    scale: float = FEATURE_SCALE,
    tv_weight: float = TUTORIAL_TV_WEIGHT,
):
    """The tutorial's set-up (``common.build_tutorial``): returns (train_step, image variable).

    One call of train_step is one loss-and-gradient evaluation plus the Adam update and the
    clipping."""
    import numpy as np

    return common.build_tutorial(
        extractor,
        np.asarray(content, np.float32),
        np.asarray(style, np.float32),
        feature_scale=scale,
        tv_weight=tv_weight,
    )


def worker_baseline(config: dict) -> dict:
    """The tutorial's loop for ``steps`` steps, with the quality every QUALITY_EVERY steps."""
    size, steps = int(config["size"]), int(config["steps"])
    extractor = _extractor()
    content0, style0 = load_pair(size)
    quality = Quality(extractor, content0, style0)

    start = time.perf_counter()
    content, style = load_pair(size)
    train_step, image = build_baseline(
        extractor,
        content,
        style,
        float(config.get("feature_scale", FEATURE_SCALE)),
        float(config.get("tv_weight", TUTORIAL_TV_WEIGHT)),
    )
    prep = time.perf_counter() - start
    elapsed, step_times, trajectory = prep, [], []
    for step in range(1, steps + 1):
        t = time.perf_counter()
        train_step(image).numpy()
        step_times.append(time.perf_counter() - t)
        elapsed += step_times[-1]
        if step % QUALITY_EVERY == 0 or step == steps:
            trajectory.append({"step": step, "seconds": elapsed, **quality(image[0].numpy())})
    if config.get("save"):
        from labhelpers.images import save_image

        save_image(image[0].numpy(), config["save"], overwrite=True)
    h, w = content.shape[:2]
    return {
        "method": "baseline",
        "size": size,
        "shape": [h, w],
        "steps": steps,
        "prep_seconds": prep,
        "run_eval_seconds": _median(step_times[2:] or step_times),
        "first_step_seconds": step_times[0],
        "trajectory": trajectory,
        "final": trajectory[-1],
        "wall_seconds": elapsed,
        "flops_forward": conv_flops(h, w),
        "peak_rss_mb": peak_rss_mb(),
    }


def worker_speed(config: dict) -> dict:
    """Seconds per evaluation of the three compiled functions, timed in turns in one process.

    Taking turns (baseline, stylize float32, stylize bfloat16, baseline, ...) exposes all three to
    the same background load, so their ratio is meaningful on a shared machine.
    """
    from labhelpers.images import DEFAULT_CONTENT, DEFAULT_STYLE
    from labhelpers.transfer.run import StyleTransfer

    size, rounds = int(config["size"]), int(config.get("rounds", 8))
    extractor = _extractor()
    content, style = load_pair(size)
    train_step, image = build_baseline(extractor, content, style)
    calls = {"baseline": lambda: train_step(image).numpy()}
    for precision in config.get("precisions", ["float32", "bfloat16"]):
        transfer = StyleTransfer(
            DEFAULT_CONTENT, DEFAULT_STYLE, size=size, extractor=extractor, precision=precision
        )
        objective = (
            transfer.objective()
        )  # the default weights, normalised: one evaluation is one step's cost
        calls[f"stylize_{precision}"] = lambda o=objective, t=transfer: o.evaluate(t.content)
    if config.get("xla"):
        transfer = StyleTransfer(
            DEFAULT_CONTENT, DEFAULT_STYLE, size=size, extractor=extractor, jit_compile=True
        )
        objective = transfer.objective()
        calls["stylize_float32_xla"] = lambda o=objective, t=transfer: o.evaluate(t.content)
    import tensorflow as tf

    a = tf.random.normal((2048, 2048), seed=1)
    b = tf.random.normal((2048, 2048), seed=2)
    calls["matmul_2048"] = lambda: tf.matmul(
        a, b
    ).numpy()  # the machine's rate under the same load
    times: dict[str, list[float]] = {name: [] for name in calls}
    for name, call in calls.items():  # warm-up: tracing
        call()
        call()
    for _ in range(rounds):
        for name, call in calls.items():
            t = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - t)
    h, w = content.shape[:2]
    matmul = times.pop("matmul_2048")
    return {
        "size": size,
        "shape": [h, w],
        "rounds": rounds,
        "seconds": {k: _median(v) for k, v in times.items()},
        "all_seconds": times,
        "flops_forward": conv_flops(h, w),
        "matmul_gflops": 2.0 * 2048**3 / _median(matmul) / 1e9,
    }


def worker_stylize(config: dict) -> dict:
    """StyleTransfer with its defaults; stops once the target quality is reached (if given)."""
    import numpy as np

    from labhelpers.images import DEFAULT_CONTENT, DEFAULT_STYLE, save_image
    from labhelpers.transfer.run import StyleTransfer

    size, steps = int(config["size"]), int(config["steps"])
    target = config.get("target_quality")
    extractor = _extractor()
    content0, style0 = load_pair(size)
    quality = Quality(extractor, content0, style0) if config.get("quality", True) else None

    start = time.perf_counter()
    transfer = StyleTransfer(
        DEFAULT_CONTENT,
        DEFAULT_STYLE,
        size=size,
        extractor=extractor,
        precision=config.get("precision", "float32"),
    )
    prep = time.perf_counter() - start
    state = {"overhead": 0.0, "reached": None}
    trajectory: list[dict] = []

    def callback(step: int, image: Any, record: dict) -> None:
        if quality is None:
            return
        t = time.perf_counter()
        seconds = prep + record["seconds"] - state["overhead"]
        q = quality(image)
        trajectory.append({"step": step, "seconds": seconds, **q})
        if target is not None and state["reached"] is None and q["quality"] <= target:
            state["reached"] = {"step": step, "seconds": seconds}
        state["overhead"] += time.perf_counter() - t

    weights = {
        k: config[k] for k in ("content_weight", "style_weight", "tv_weight") if k in config
    }
    result = transfer.run(
        steps=steps,
        callback=callback,
        callback_every=QUALITY_EVERY,
        **weights,
        should_stop=lambda: state["reached"] is not None and not config.get("full", False),
        coarse_to_fine=config.get("coarse_to_fine"),
    )
    seconds = [r["seconds"] for r in result.history]
    gaps = [b - a for a, b in zip(seconds, seconds[1:])]
    # don't count the quality evaluations that happened inside some gaps
    callback_steps = {t["step"] for t in trajectory}
    gaps = [g for i, g in enumerate(gaps, start=2) if (i - 1) not in callback_steps]
    if config.get("save"):
        save_image(result.image, config["save"], overwrite=True)
    h, w = transfer.content.shape[:2]
    final = quality(result.image) if quality is not None else {}
    return {
        "method": "stylize",
        "precision": transfer.precision,
        "size": size,
        "shape": [h, w],
        "steps": len(result.history),
        "prep_seconds": prep,
        "run_eval_seconds": _median(gaps[1:] or gaps) if gaps else None,
        "first_step_seconds": seconds[0] if seconds else None,
        "trajectory": trajectory,
        "reached": state["reached"],
        "final": final,
        "wall_seconds": prep + (seconds[-1] if seconds else 0.0) - state["overhead"],
        "stopped": result.stopped,
        "message": result.message,
        "stages": result.options["coarse_to_fine"],
        "stage_steps": result.options["stage_steps"],
        "flops_forward": conv_flops(h, w),
        "peak_rss_mb": peak_rss_mb(),
        "image_finite": bool(np.all(np.isfinite(result.image))),
    }


WORKERS = {
    "matmul": worker_matmul,
    "baseline": worker_baseline,
    "stylize": worker_stylize,
    "speed": worker_speed,
}


# --- the driver --------------------------------------------------------------


def run_worker(config: dict) -> dict:
    """Run one configuration in a fresh Python process (in this one in quick mode); its result."""
    if IN_PROCESS["on"]:
        load_before, started = os.getloadavg()[0], time.perf_counter()
        result = json.loads(json.dumps(WORKERS[config["kind"]](config)))
        result["load_before"], result["load_after"] = load_before, os.getloadavg()[0]
        result["process_seconds"] = time.perf_counter() - started
        return result
    env = dict(os.environ)
    env.pop("LAB_FAST", None)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(config)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise RuntimeError(f"worker {config} failed (exit {proc.returncode}):\n{tail}")
    result = json.loads(lines[-1][len("RESULT ") :])
    result["load_before"], result["load_after"] = load_before, os.getloadavg()[0]
    result["process_seconds"] = time.perf_counter() - started
    return result


def time_to_reach(trajectory: list[dict], target: float) -> dict | None:
    for point in trajectory:
        if point["quality"] <= target:
            return {"step": point["step"], "seconds": point["seconds"]}
    return None


LABELS = {
    "baseline": "baseline (tutorial loop, Adam)",
    "stylize_float32": "stylize (L-BFGS, float32)",
    "stylize_bfloat16": "stylize (L-BFGS, bfloat16)",
    "stylize_float32_xla": "stylize (float32, XLA)",
}
#: The optimisation runs: (key, precision, weight overrides, share of --max-steps, label).
RUNS = (
    ("stylize_float32", "float32", {}, 0.5, "stylize, defaults, float32"),
    (
        "stylize_float32_sw3",
        "float32",
        {"style_weight": 3.0, "tv_weight": 0.1},
        1.0,
        "stylize, style_weight 3, tv_weight 0.1, float32",
    ),
    (
        "stylize_bfloat16_sw3",
        "bfloat16",
        {"style_weight": 3.0, "tv_weight": 0.1},
        1.0,
        "stylize, style_weight 3, tv_weight 0.1, bfloat16",
    ),
)


def _estimate(key: str, run: dict, in_turn: dict, base_estimate: float | None) -> list[str]:
    """Evaluations to Q_base x in-turn seconds per evaluation; the ratio to the baseline's."""
    speed_key = (
        "baseline"
        if key == "baseline"
        else ("stylize_bfloat16" if "bfloat16" in key else "stylize_float32")
    )
    reach = run.get("reached")
    if not reach or speed_key not in in_turn or not base_estimate:
        return ["-", "-"]
    estimate = reach["step"] * in_turn[speed_key]
    return [f"{estimate:.1f}", f"{estimate / base_estimate:.2f}x"]


def markdown(report: dict) -> str:
    m = report["matmul"]
    machine = report["machine"]
    flags = machine.get("flags")
    cpu = common.cpu_line(flags) if flags else f"CPU: {machine['cpus']} CPU(s), {machine['cpu']}."
    lines = [
        f"{cpu} TensorFlow {machine['tensorflow']}; float32 matmul {m['n']}x{m['n']} at the "
        f"start: {m['gflops']:.0f} GFLOP/s (best of 8: {m['best_gflops']:.0f}); per size, in the "
        "same turns as the functions: "
        + ", ".join(
            f"{size} px run {rows['speed']['matmul_gflops']:.0f}"
            for size, rows in report["sizes"].items()
        )
        + f" GFLOP/s. {report['date']}. Quick mode: {report['quick']}. Pictures: the "
        "bundled default pair (chelsea_cat x van_gogh_starry_night). Weights: torchvision VGG16.",
        "",
        "### Speed per loss-and-gradient evaluation",
        "",
        "The compiled functions timed in turns in one process (median of the rounds), together "
        f"with a {m['n']}x{m['n']} float32 matmul (same load). GFLOP/s counts the forward + "
        "input-gradient "
        "conv FLOPs (2x forward; the 3x convention is in the raw figures, ``--json``).",
        "",
        "| size (px) | function | s/eval | evals/s vs baseline "
        "| GFLOP/s (% of f32 matmul in the same turns) | load avg |",
        "|---|---|---|---|---|---|",
    ]
    for size, rows in report["sizes"].items():
        speed = rows["speed"]
        base_s = speed["seconds"]["baseline"]
        for key, seconds in speed["seconds"].items():
            gf = 2.0 * speed["flops_forward"] / seconds / 1e9
            lines.append(
                f"| {size} ({speed['shape'][0]}x{speed['shape'][1]}) | {LABELS.get(key, key)} "
                f"| {seconds:.3f} | {base_s / seconds:.2f}x "
                f"| {gf:.0f} ({100 * gf / speed['matmul_gflops']:.0f}%) | "
                f"{speed['load_before']:.1f}-{speed['load_after']:.1f} |"
            )
    lines += [
        "",
        "### Time to the baseline's quality",
        "",
        "Q = mean relative Gram distance over the 5 style layers + relative block4_conv2 distance "
        f"to the content (lower is better). Q_base = the baseline's Q after "
        f"{report['baseline_steps']} steps. *to Q_base*: wall time (targets + tracing + "
        "optimisation, not the Q evaluations) until Q <= Q_base; stylize stops there (at most "
        f"{report['max_steps']} evaluations, {report['max_steps'] // 2} with the defaults). "
        "stylize's default weights (style 10, TV 1) stylise more strongly than the baseline "
        "(compare the style and content parts of Q) and smooth (TV is not in Q), so its Q levels "
        "off higher; style_weight 3 with tv_weight 0.1 gives a style/content balance like the "
        "baseline's and compares the optimisers at a similar "
        "trade-off.",
        "",
        "The load on the shared machine changed between runs, so the last two columns also give a "
        "load-independent estimate: evaluations to Q_base x the in-turn s/eval of that function "
        "(table above).",
        "",
        "| size (px) | run | s/eval in run | steps | final Q (style + content) "
        "| to Q_base: steps / s | vs baseline | peak RSS (MB) | load avg "
        "| to Q_base at in-turn speed (s) | vs baseline |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size, rows in report["sizes"].items():
        base = rows["baseline"]
        base_reach = base.get("reached")
        in_turn = rows["speed"]["seconds"]
        base_est = base_reach["step"] * in_turn["baseline"] if base_reach else None
        for key, label in [("baseline", LABELS["baseline"])] + [
            (k, lab) for k, _, _, _, lab in RUNS
        ]:
            run = rows.get(key)
            if not run:
                continue
            final, reach = run["final"], run.get("reached")
            lines.append(
                "| "
                + " | ".join(
                    [
                        f"{size}",
                        label,
                        f"{run['run_eval_seconds']:.3f}",
                        str(run["steps"]),
                        f"{final['quality']:.3f} ({final['style_distance']:.3f} + "
                        f"{final['content_distance']:.3f})",
                        f"{reach['step']} / {reach['seconds']:.1f}" if reach else "not reached",
                        f"{reach['seconds'] / base_reach['seconds']:.2f}x"
                        if reach and base_reach
                        else "-",
                        f"{run['peak_rss_mb']:.0f}",
                        f"{run['load_before']:.1f}-{run['load_after']:.1f}",
                    ]
                    + _estimate(key, run, in_turn, base_est)
                )
                + " |"
            )
    big = report.get("large")
    if big:
        lines += [
            "",
            f"**{big['size']} px** ({big['shape'][0]}x{big['shape'][1]}), default settings: "
            f"coarse-to-fine stages {big['stages']} px with {big['stage_steps']} evaluations, "
            f"{big['wall_seconds']:.0f} s in total (targets and tracing included), peak RSS "
            f"{big['peak_rss_mb']:.0f} MB, stopped: "
            f"{big['stopped']}, load {big['load_before']:.1f}-{big['load_after']:.1f}.",
        ]
    lines += ["", "### Targets", ""]
    for text, ok in report["targets"]:
        lines.append(f"- {'PASS' if ok else 'FAIL'}: {text}")
    for size, rows in report["sizes"].items():  # the same target, load-independent
        in_turn, base_reach = rows["speed"]["seconds"], rows["baseline"].get("reached")
        base_est = base_reach["step"] * in_turn["baseline"] if base_reach else None
        for key, _, _, _, label in RUNS:
            if key in rows and rows[key].get("reached") and base_est:
                estimate, ratio = _estimate(key, rows[key], in_turn, base_est)
                ok = float(ratio.rstrip("x")) <= 0.25
                lines.append(
                    f"- {'PASS' if ok else 'FAIL'}: {size} px, {label}: the baseline's quality at "
                    f"in-turn speed in {ratio} of the baseline's time ({estimate} s; target <= "
                    "0.25x)"
                )
    lines += [
        "",
        "Both methods run the identical network, so in float32 their per-evaluation speed can "
        "differ only by overheads; the per-evaluation gain comes from bfloat16 (native on CPUs "
        'with avx512_bf16 or AMX, opt-in: `precision="bfloat16"`). The machine is shared with '
        "other work (load averages above; 2 CPUs), which adds noise to all times.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure both methods and write their section of ``stylize.md``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--quick", action="store_true", help="CI's check: 64 px, 3 steps")
    parser.add_argument("--baseline-steps", type=int, default=None, help="default 300")
    parser.add_argument(
        "--max-steps",
        type=int,
        default=None,
        help="most evaluations stylize may use to reach the baseline's quality (default 300)",
    )
    parser.add_argument("--no-bf16", action="store_true", help="skip the bfloat16 stylize rows")
    parser.add_argument(
        "--xla", action="store_true", help="also time stylize's function compiled with XLA"
    )
    parser.add_argument(
        "--no-1024", action="store_true", help="skip the 1024 px coarse-to-fine run"
    )
    parser.add_argument("--out", default=str(common.RESULTS), help="folder for stylize.md")
    parser.add_argument("--section", default=None, help="section title (default: the CPU)")
    parser.add_argument("--json", default=None, help="also write the raw figures to this file")
    parser.add_argument(
        "--render", metavar="JSON", help="only write the section again from a --json file"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.render:
        report = json.loads(Path(args.render).read_text(encoding="utf-8"))
        write_report(report, Path(args.out), args.section)
        return 0

    if args.worker:
        config = json.loads(args.worker)
        result = WORKERS[config["kind"]](config)
        print("RESULT " + json.dumps(result), flush=True)
        return 0

    quick = common.quick_mode(args.quick)
    scratch = Path(tempfile.mkdtemp(prefix="bench_stylize_"))  # the pictures, to look at
    if quick:
        IN_PROCESS["on"] = True
        args.sizes, args.no_bf16, args.no_1024, args.xla = [64], True, True, False
    baseline_steps = args.baseline_steps or (3 if quick else 300)
    max_steps = args.max_steps or (3 if quick else 300)
    import tensorflow as tf  # only for the version string

    flags = common.cpu_flags()
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "quick": quick,
        "baseline_steps": baseline_steps,
        "max_steps": max_steps,
        "machine": {
            "cpus": os.cpu_count(),
            "cpu": flags["model"] or platform.processor() or "unknown CPU",
            "flags": flags,
            "tensorflow": tf.__version__,
        },
        "feature_scale_for_baseline": FEATURE_SCALE,
        "quality_every": QUALITY_EVERY,
        "sizes": {},
    }
    print("matmul ...", flush=True)
    report["matmul"] = run_worker({"kind": "matmul", **({"n": 512} if quick else {})})
    print(f"  {report['matmul']['gflops']:.0f} GFLOP/s", flush=True)
    precisions = ["float32"] + ([] if args.no_bf16 else ["bfloat16"])
    targets: list[tuple[str, bool]] = []
    for size in args.sizes:
        rows: dict[str, Any] = {}
        print(f"{size} px: per-evaluation speed, in turns ...", flush=True)
        speed = run_worker(
            {
                "kind": "speed",
                "size": size,
                "precisions": precisions,
                "xla": args.xla,
                "rounds": 1 if quick else 8,
            }
        )
        rows["speed"] = speed
        print("  " + ", ".join(f"{k} {v:.3f} s" for k, v in speed["seconds"].items()), flush=True)
        print(f"{size} px: baseline, {baseline_steps} steps ...", flush=True)
        base = run_worker({"kind": "baseline", "size": size, "steps": baseline_steps})
        q_base = base["final"]["quality"]
        base["reached"] = time_to_reach(base["trajectory"], q_base)
        rows["baseline"] = base
        print(f"  Q = {q_base:.3f} after {base['wall_seconds']:.1f} s", flush=True)
        for key, precision, overrides, share, label in RUNS:
            if precision not in precisions:
                continue
            limit = max(1, round(share * max_steps))
            print(
                f"{size} px: {label}, until Q <= {q_base:.3f} (at most {limit} steps) ...",
                flush=True,
            )
            config = {
                "kind": "stylize",
                "size": size,
                "steps": limit,
                "target_quality": q_base,
                "precision": precision,
                "save": str(scratch / f"bench_{key}_{size}.png"),
                **overrides,
            }
            row = run_worker(config)
            rows[key] = row
            reach = row["reached"]
            where = f"step {reach['step']}, {reach['seconds']:.1f} s" if reach else "no"
            print(f"  reached: {where}; final Q {row['final']['quality']:.3f}", flush=True)
        report["sizes"][str(size)] = rows

        seconds = speed["seconds"]
        need = 1.0 if size <= 256 else 1.2
        for key in [k for k in seconds if k != "baseline"]:
            ratio = seconds["baseline"] / seconds[key]
            targets.append(
                (
                    f"{size} px, {LABELS.get(key, key)}: evals/s {ratio:.2f}x the baseline's "
                    f"(target >= {need:g}x)",
                    ratio >= need,
                )
            )
        for key, _, _, _, label in RUNS:
            row = rows.get(key)
            if row is None:
                continue
            if row["reached"] and base["reached"]:
                ratio = row["reached"]["seconds"] / base["reached"]["seconds"]
                targets.append(
                    (
                        f"{size} px, {label}: the baseline's {baseline_steps}-step quality "
                        f"reached in {ratio:.2f}x its wall time (target <= 0.25x)",
                        ratio <= 0.25,
                    )
                )
            else:
                targets.append(
                    (
                        f"{size} px, {label}: the baseline's {baseline_steps}-step quality "
                        f"(Q = {q_base:.3f}) not reached within {row['steps']} evaluations "
                        f"(final Q {row['final']['quality']:.3f})",
                        False,
                    )
                )
            if size == 512:
                rss = row["peak_rss_mb"]
                targets.append(
                    (f"512 px, {label}: peak RSS {rss:.0f} MB (target < 2500 MB)", rss < 2500)
                )
    if not args.no_1024:
        print("1024 px: stylize with default settings (coarse-to-fine) ...", flush=True)
        config = {
            "kind": "stylize",
            "size": 1024,
            "steps": 60,
            "quality": False,
            "save": str(scratch / "default_1024.png"),
        }
        report["large"] = run_worker(config)
        print(
            f"  {report['large']['wall_seconds']:.0f} s, stages {report['large']['stages']}",
            flush=True,
        )
        targets.append(
            (
                f"1024 px completes by coarse-to-fine ({report['large']['stages']} px) in "
                f"{report['large']['wall_seconds']:.0f} s, "
                f"peak RSS {report['large']['peak_rss_mb']:.0f} MB",
                report["large"]["image_finite"] and report["large"]["stopped"] is None,
            )
        )
    report["targets"] = targets
    for rows in report["sizes"].values():
        speed = rows["speed"]
        speed["gflops_2x"] = {
            k: 2.0 * speed["flops_forward"] / v / 1e9 for k, v in speed["seconds"].items()
        }
        speed["gflops_3x_convention"] = {
            k: 3.0 * speed["flops_forward"] / v / 1e9 for k, v in speed["seconds"].items()
        }
    if args.json:
        common.write_text_atomic(Path(args.json), json.dumps(report, indent=2))
    write_report(report, Path(args.out), args.section)
    print(f"the pictures: {scratch}")
    return 0


def write_report(report: dict, out: Path, section: str | None) -> None:
    """Write the report's section of ``out/stylize.md`` (titled ``section`` or by the CPU)."""
    quick = " (quick check)" if report.get("quick") else ""
    title = section or f"stylize against the tutorial{quick} on {report['machine']['cpu']}"
    body = markdown(report)
    common.write_section(out / "stylize.md", title, body, HEADING)
    print(f"## {title}\n\n{body}")


if __name__ == "__main__":
    sys.exit(main())
