"""``python -m labhelpers stylize``: style transfer from the command line.

Examples::

    python -m labhelpers stylize                              # default photo and painting, 256 px
    python -m labhelpers stylize raccoon van_gogh_night_cafe -o raccoon.png --size 384
    python -m labhelpers stylize photo.jpg style/van_gogh_starry_night van_gogh_night_cafe \\
        --style-blend 0.7 0.3 --preserve-color luminance --plot-losses losses.png

Every bad argument ends the program with exit status 2 and one line saying what to do.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["add_stylize_command", "run_stylize", "default_output_path", "plot_losses"]


# --- argument types: each error message says what to type instead -------------------------------


def _whole_number(minimum: int) -> Any:
    """An argparse type: a whole number >= ``minimum``, with a message that shows one."""
    example = 256 if minimum > 0 else 0
    bound = "> 0" if minimum == 1 else f">= {minimum}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a whole number {bound} such as {example}, not {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be a whole number {bound} such as {example}, not {value}")
        return value

    return parse


_positive_int = _whole_number(1)
_non_negative_int = _whole_number(0)


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0 such as 1.0, not {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0 such as 1.0, not {text}")
    return value


def _positive_float(text: str) -> float:
    value = _non_negative_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0 such as 60, not {text}")
    return value


def _color_mode(text: str) -> str | None:
    value = text.strip().lower()
    if value in ("none", "off", "no"):
        return None
    if value in ("luminance", "histogram"):
        return value
    raise argparse.ArgumentTypeError(f"choose luminance, histogram or none, not {text!r}")


def _png_path(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a file name such as losses.png")
    return text


def _one_line_error(parser: argparse.ArgumentParser) -> Any:
    """argparse's error(), but as one line naming the command and pointing at --help."""

    def error(message: str) -> NoReturn:
        parser.exit(2, f"{parser.prog}: error: {message} (see {parser.prog} --help)\n")

    return error


# --- the command ------------------------------------------------------------------------------


def add_stylize_command(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``stylize`` on the ``subparsers`` of ``python -m labhelpers``; returns its parser."""
    from labhelpers.transfer.run import (DEFAULT_CONTENT_WEIGHT, DEFAULT_STYLE_WEIGHT, DEFAULT_TV_WEIGHT, default_size,
                           default_steps)

    parser = subparsers.add_parser(
        "stylize", help="paint a photo in the style of a painting (Gatys et al.)",
        description="Paint CONTENT in the style of STYLE (several STYLE images are blended). Images are "
                    "file paths, URLs or bundled names (python -c 'import labhelpers; "
                    "print(labhelpers.list_images())').",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.error = _one_line_error(parser)  # type: ignore[method-assign]
    parser.add_argument("content", nargs="?", default=None,
                        help="the photo (default: the bundled default content image)")
    parser.add_argument("style", nargs="*", default=[],
                        help="one or more paintings (default: the bundled default style image)")
    parser.add_argument("-o", "--output", default=None,
                        help="where to save the PNG/JPEG (default: outputs/<content>_x_<style>.png; an "
                             "existing file is never replaced unless --overwrite)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    parser.add_argument("--size", type=_positive_int, default=default_size(),
                        help="longest side of the result in pixels")
    parser.add_argument("--steps", type=_positive_int, default=default_steps(),
                        help="loss-and-gradient evaluations")
    parser.add_argument("--content-weight", type=_non_negative_float, default=DEFAULT_CONTENT_WEIGHT)
    parser.add_argument("--style-weight", type=_non_negative_float, default=DEFAULT_STYLE_WEIGHT)
    parser.add_argument("--tv-weight", type=_non_negative_float, default=DEFAULT_TV_WEIGHT,
                        help="total variation (smoothness) weight")
    parser.add_argument("--optimizer", choices=("lbfgs", "adam"), default="lbfgs")
    parser.add_argument("--init", choices=("content", "style", "noise"), default="content",
                        help="starting picture")
    parser.add_argument("--seed", type=_non_negative_int, default=0, help="random seed (for --init noise)")
    parser.add_argument("--preserve-color", type=_color_mode, default=None, metavar="{luminance,histogram,none}",
                        help="keep the photo's colours")
    parser.add_argument("--time-budget", type=_positive_float, default=None, metavar="SECONDS",
                        help="stop after this many seconds and keep the best picture so far")
    parser.add_argument("--weights", default="auto",
                        help="VGG16 weights: auto, keras, torchvision, random or a weights file")
    parser.add_argument("--style-blend", type=_non_negative_float, nargs="+", default=None, metavar="W",
                        help="one weight per style image (normalised to sum to 1)")
    parser.add_argument("--precision", choices=("float32", "bfloat16", "auto"), default="float32",
                        help="bfloat16: ~1.7x faster on CPUs with native bfloat16 (AVX512_BF16/AMX), slower "
                             "elsewhere; auto picks it when the CPU has it")
    parser.add_argument("--coarse-to-fine", choices=("auto", "on", "off"), default="auto",
                        help="optimise at a smaller size first (auto: above 512 px)")
    parser.add_argument("--plot-losses", type=_png_path, default=None, metavar="FILE",
                        help="also save a PNG of the loss curves")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(run=run_stylize)
    return parser


def _name_of(source: str) -> str:
    """A short name for a picture given by path, URL or bundled name: its file stem, made safe."""
    stem = Path(source.rstrip("/").split("?")[0]).stem or "image"
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem)
    return safe[:60] or "image"


def default_output_path(content: str, styles: list[str], folder: str | os.PathLike = "outputs") -> Path:
    """``outputs/<content>_x_<style>.png`` (styles joined by ``+``)."""
    return Path(folder) / f"{_name_of(content)}_x_{'+'.join(_name_of(s) for s in styles)}.png"


def _check_output(path: Path) -> None:
    """Fail before the (long) run if the result could not be saved there."""
    from labhelpers.images import SAVE_FORMATS

    if path.is_dir():
        raise ValueError(f"'{path}' is a folder; give a file name inside it, e.g. -o {path / 'result.png'}")
    if path.suffix.lower() not in SAVE_FORMATS:
        raise ValueError(f"cannot save to '{path}': end the file name with .png, .jpg or .webp, e.g. -o result.png")
    folder = path.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"cannot create the folder '{folder}': '{existing}' is a file; choose another -o path")
    try:  # a real probe: permissions alone say nothing for root or read-only file systems
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ValueError(f"cannot write to the folder '{folder}' ({exc.strerror or exc}); "
                         "choose another -o path") from None


def plot_losses(history: list[dict[str, Any]], path: str | os.PathLike, title: str = "") -> Path:
    """Save a PNG of the total, content, style and TV loss per evaluation (log scale)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4), layout="constrained")
    steps = [record["step"] for record in history]
    for key, style in (("total", "-"), ("content", "--"), ("style", "--"), ("tv", ":")):
        values = [max(record[key], 1e-12) for record in history]
        axis.plot(steps, values, style, label=key)
    axis.set_yscale("log")
    axis.set_xlabel("evaluation (step)")
    axis.set_ylabel("weighted loss")
    axis.set_title(title or "style transfer losses")
    axis.legend()
    axis.grid(True, alpha=0.3)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, dpi=100)
    plt.close(figure)
    return target


def run_stylize(args: argparse.Namespace) -> int:
    """Run ``stylize`` for parsed arguments; returns the exit status (errors raise ValueError)."""
    from labhelpers.images import DEFAULT_CONTENT, DEFAULT_STYLE, save_image
    from labhelpers.transfer.run import stylize

    content = args.content or DEFAULT_CONTENT
    styles = list(args.style) or [DEFAULT_STYLE]
    if args.style_blend is not None and len(args.style_blend) != len(styles):
        raise ValueError(f"--style-blend got {len(args.style_blend)} weight(s) for {len(styles)} style image(s); "
                         "give one weight per style image")
    if args.style_blend is not None and sum(args.style_blend) <= 0:
        raise ValueError("--style-blend weights are all 0; give at least one style a positive weight")
    output = Path(args.output).expanduser() if args.output else default_output_path(content, styles)
    _check_output(output)
    if args.plot_losses:
        _check_output(Path(args.plot_losses).expanduser())
    c2f = {"auto": None, "on": True, "off": False}[args.coarse_to_fine]

    result = stylize(content, styles, size=args.size, steps=args.steps, content_weight=args.content_weight,
                     style_weight=args.style_weight, tv_weight=args.tv_weight, optimizer=args.optimizer,
                     init=args.init, seed=args.seed, preserve_color=args.preserve_color,
                     time_budget=args.time_budget, weights=args.weights, style_blend=args.style_blend,
                     coarse_to_fine=c2f, precision=args.precision, progress=not args.no_progress,
                     verbose=True)
    saved = save_image(result.image, output, overwrite=args.overwrite)
    height, width = result.image.shape[:2]
    print(f"Saved {saved} ({width}x{height} px)")
    final = result.final
    if final:
        print(f"Final losses after {final['step']} evaluations ({result.seconds:.1f} s): total {final['total']:.4g} "
              f"= content {final['content']:.4g} + style {final['style']:.4g} + tv {final['tv']:.4g}")
    print(result.message)
    if args.plot_losses:
        if result.history:
            where = plot_losses(result.history, Path(args.plot_losses).expanduser(),
                                title=f"{_name_of(content)} x {'+'.join(_name_of(s) for s in styles)}")
            print(f"Loss curves: {where}")
        else:
            print("No loss curves: no evaluation finished.", file=sys.stderr)
    return 130 if result.stopped == "interrupt" else 0
