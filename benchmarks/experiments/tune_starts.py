# Finished study, frozen: last run at commit b74e4e5; rerun it there (git checkout b74e4e5).
# Its figures are in docs/levers.md; the package has moved on since.
"""Third round of levers: preconditioned parameterisations of the picture and recoloured starts.

Usage::

    .venv/bin/python benchmarks/experiments/tune_starts.py   # chelsea_cat x starry_night, 256 px
    .venv/bin/python benchmarks/experiments/tune_starts.py \\
        --pair grace_hopper van_gogh_night_cafe --only recolored

Each candidate runs scipy's L-BFGS-B for ``--evaluations`` loss-and-gradient evaluations of the
package's own objective (``StyleTransfer.objective(...).evaluate``, single stage, float32) and
prints the weight-free distances (``common.Distances``: style, content) of the best picture so far
every three evaluations, next to the tutorial's 300-step picture (run once per pair and size,
cached in ``/tmp/lab_tune_cache`` like ``tune_levers.py``). One evaluation is one tutorial-step
unit here.

Candidates:

* ``pixel``: the picture's pixels are the variables, the box [0, 1] (what ``stylize`` does).
* ``fourier<alpha>``: the picture is ``content + irfft2(z * f**-alpha)`` (the Distill article
  "Differentiable Image Parameterizations"'s frequency scaling; ``z`` the variables, no box; a
  quadratic penalty keeps the picture near [0, 1], and the loss sees it clipped).
* ``fourier<alpha>_colour``: the same, through a colour basis decorrelated on the photo's pixels.
* ``recolored``: pixels, started from the photo recoloured to the painting's colour mean and
  covariance (``init="recolored"``), and ``half_recolored``: halfway between it and the photo.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent  # benchmarks/experiments: the other studies
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parent.parent)]  # then common, labhelpers

import common  # noqa: E402
from tune_levers import tutorial_figures  # noqa: E402

#: The penalty per squared pixel value outside [0, 1] for the unconstrained parameterisations.
BOX_PENALTY = 10.0


class _Done(Exception):
    """The evaluations are used up."""


class Fourier:
    """picture = base + irfft2(z * scale) @ colours^T: a linear map of z, and its adjoint."""

    def __init__(self, base: np.ndarray, alpha: float, colours: np.ndarray | None = None):
        self.base = base.astype(np.float64)
        self.h, self.w = base.shape[:2]
        fy, fx = np.fft.fftfreq(self.h)[:, None], np.fft.rfftfreq(self.w)[None, :]
        f = np.sqrt(fx**2 + fy**2)
        f[0, 0] = 1.0 / max(self.h, self.w)
        scale = f**-alpha
        self.scale = (scale / scale.max())[..., None]
        self.colours = np.eye(3) if colours is None else colours
        # d picture / d spectrum: the half spectrum's inner columns stand for two (conjugate)
        # columns
        self.fold = np.full(self.w // 2 + 1, 2.0)
        self.fold[0] = 1.0
        if self.w % 2 == 0:
            self.fold[-1] = 1.0
        self.size = 2 * self.h * (self.w // 2 + 1) * 3

    def picture(self, z: np.ndarray) -> np.ndarray:
        parts = z.reshape(2, self.h, self.w // 2 + 1, 3)
        spectrum = (parts[0] + 1j * parts[1]) * self.scale
        return (
            self.base
            + np.fft.irfft2(spectrum, s=(self.h, self.w), axes=(0, 1), norm="ortho")
            @ self.colours.T
        )

    def gradient(self, grad_picture: np.ndarray) -> np.ndarray:
        spectrum = np.fft.rfft2(grad_picture @ self.colours, axes=(0, 1), norm="ortho")
        spectrum = spectrum * self.fold[None, :, None] * self.scale
        return np.stack([spectrum.real, spectrum.imag]).ravel()


def decorrelated_colours(image: np.ndarray) -> np.ndarray:
    """3x3 map from a whitened colour basis (largest axis 1) to RGB, from the image's pixels."""
    pixels = image.reshape(-1, 3).astype(np.float64)
    pixels = pixels - pixels.mean(axis=0)
    values, vectors = np.linalg.eigh(pixels.T @ pixels / len(pixels))
    return vectors * np.sqrt(values / values.max())


def race(
    objective,
    distances,
    start: np.ndarray,
    evaluations: int,
    fourier: Fourier | None,
    target: dict,
) -> dict:
    """L-BFGS-B over pixels (``fourier`` None, box [0, 1]) or ``fourier``'s variables.

    The distances are measured every 3 evaluations."""
    from scipy.optimize import minimize

    state = {"calls": 0, "best": (np.inf, start), "trajectory": [], "reached": None}

    def fun(z: np.ndarray) -> tuple[float, np.ndarray]:
        if state["calls"] >= evaluations:
            raise _Done()
        raw = fourier.picture(z) if fourier else z.reshape(start.shape)
        picture = np.clip(raw, 0.0, 1.0).astype(np.float32)
        total, _, grad = objective.evaluate(picture)
        grad = np.asarray(grad, dtype=np.float64).reshape(start.shape)
        state["calls"] += 1
        if fourier:
            outside = raw - np.clip(raw, 0.0, 1.0)
            total = float(total) + 0.5 * BOX_PENALTY * float((outside**2).sum())
            grad = fourier.gradient(grad + BOX_PENALTY * outside)
        else:
            grad = grad.ravel()
        if total < state["best"][0]:
            state["best"] = (float(total), picture)
        if state["calls"] % 3 == 0:
            d = distances(state["best"][1])
            state["trajectory"].append((state["calls"], d["style"], d["content"]))
            if (
                state["reached"] is None
                and d["style"] <= target["style"]
                and d["content"] <= target["content"]
            ):
                state["reached"] = state["calls"]
        return float(total), grad

    z0 = np.zeros(fourier.size) if fourier else start.astype(np.float64).ravel()
    bounds = None if fourier else [(0.0, 1.0)] * z0.size
    try:
        minimize(
            fun,
            z0,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxfun": 10**9, "maxiter": 10**9, "maxcor": 10, "ftol": 0.0, "gtol": 0.0},
        )
    except _Done:
        pass
    return state


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pair", nargs=2, default=list(common.PAIRS[0]), metavar=("CONTENT", "STYLE")
    )
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--evaluations", type=int, default=60)
    parser.add_argument("--style-weights", type=float, nargs="+", default=[0.6, 1.0])
    parser.add_argument("--tv-weight", type=float, default=0.0)
    parser.add_argument(
        "--only",
        nargs="+",
        default=None,
        help="candidates to run: pixel fourier0.5 fourier1 fourier1_colour recolored "
        "half_recolored",
    )
    args = parser.parse_args(argv)

    from labhelpers.color import blended_color_statistics, recolor_to
    from labhelpers.transfer.run import StyleTransfer

    features = common.extractor()
    content, style = common.load_pair(*args.pair, args.size)
    distances = common.Distances(features, content, style)
    target = tutorial_figures(features, *args.pair, args.size, content, style, distances)["final"]
    transfer = StyleTransfer(args.pair[0], args.pair[1], size=args.size, extractor=features)
    photo = transfer.content
    recolored = recolor_to(photo, *blended_color_statistics([style]))
    print(
        f"{args.pair} at {args.size} px: tutorial's 300 steps (style {target['style']:.3f}, "
        "content "
        f"{target['content']:.3f}); starts: photo {distances(photo)}, recoloured "
        f"{distances(recolored)}",
        flush=True,
    )
    candidates = {
        "pixel": (photo, None),
        "fourier0.5": (photo, Fourier(photo, 0.5)),
        "fourier1": (photo, Fourier(photo, 1.0)),
        "fourier1_colour": (photo, Fourier(photo, 1.0, decorrelated_colours(photo))),
        "recolored": (recolored, None),
        "half_recolored": ((0.5 * recolored + 0.5 * photo).astype(np.float32), None),
    }
    out = common.RESULTS / "levers.jsonl"
    for weight in args.style_weights:
        objective = transfer.objective(style_weight=weight, tv_weight=args.tv_weight)
        for name, (start, fourier) in candidates.items():
            if args.only and name not in args.only:
                continue
            t = time.perf_counter()
            state = race(objective, distances, start, args.evaluations, fourier, target)
            trajectory = state["trajectory"]
            print(
                f"{name:16s} style {weight:g} TV {args.tv_weight:g}: reached at "
                f"{state['reached']} "
                f"({time.perf_counter() - t:.0f} s); "
                + " ".join(
                    f"{n}:({s:.3f},{c:.3f})"
                    for n, s, c in trajectory
                    if n in (18, 27, 36, 48, 60, 90)
                ),
                flush=True,
            )
            with out.open("a") as f:
                f.write(
                    json.dumps(
                        {
                            "round": 3,
                            "pair": args.pair,
                            "size": args.size,
                            "name": name,
                            "style_weight": weight,
                            "tv_weight": args.tv_weight,
                            "tutorial": target,
                            "reached_at": state["reached"],
                            "trajectory": trajectory,
                        }
                    )
                    + "\n"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
