"""``python -m labhelpers stylize``: style transfer from the command line.

Examples::

    python -m labhelpers stylize                              # default photo and painting, 256 px
    python -m labhelpers stylize raccoon van_gogh_night_cafe -o raccoon.png --size 384
    python -m labhelpers stylize photo.jpg style/van_gogh_starry_night van_gogh_night_cafe \\
        --style-blend 0.7 0.3 --preserve-color luminance --plot-losses losses.png

The run options are not listed here: every field of
:class:`~labhelpers.transfer.settings.TransferSettings` that has a ``flag`` becomes an option,
with the field's help text and default, and its value is checked by the field's own check (so
the messages are the same as ``stylize``'s). Adding a run option is one edit: the field.

Every bad argument ends the program with exit status 2 and one line saying what to do. Nothing
is ever overwritten unless ``--overwrite`` is given, and the loss plot never takes the picture's
file: an existing name gets ``-1``, ``-2``, ... (as :func:`labhelpers.images.save_image` does).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from labhelpers.transfer import settings as settings_module

__all__ = [
    "add_stylize_command",
    "run_stylize",
    "default_output_path",
    "safe_file_stem",
    "save_loss_plot",
    "settings_flags",
]


def _one_line_error(parser: argparse.ArgumentParser) -> Any:
    """argparse's error(), but as one line naming the command and pointing at --help."""

    def error(message: str) -> NoReturn:
        parser.exit(2, f"{parser.prog}: error: {message} (see {parser.prog} --help)\n")

    return error


# --- the run options, generated from TransferSettings -------------------------------------------


def settings_flags() -> dict[str, str]:
    """``{field name: command-line flag}`` for every TransferSettings field that has a ``flag``."""
    return {
        f.name: f.metadata["flag"]
        for f in dataclasses.fields(settings_module.TransferSettings)
        if f.metadata.get("flag")
    }


def _field_type(name: str, parse: Any) -> Any:
    """An argparse type: the option's text, parsed, then checked by the TransferSettings field
    itself."""

    def convert(text: str) -> Any:
        value = parse(text) if parse else text
        try:
            checked = settings_module.TransferSettings.from_options(None, **{name: value})
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc).rstrip(".")) from None
        return getattr(checked, name)

    convert.__name__ = name
    return convert


def _add_settings_options(parser: argparse.ArgumentParser) -> None:
    defaults = settings_module.TransferSettings()
    for f in dataclasses.fields(settings_module.TransferSettings):
        flag = f.metadata.get("flag")
        if not flag:
            continue
        parse, nargs = f.metadata.get("parse"), f.metadata.get("nargs")
        default = getattr(defaults, f.name)
        shown = "none" if default is None else default
        help_text = f.metadata.get("help", "").replace("%", "%%")
        if "default" not in help_text:
            help_text += f" (default: {shown})"
        parser.add_argument(
            flag,
            dest=f.name,
            default=argparse.SUPPRESS,
            help=help_text,
            nargs=nargs,
            metavar=f.metadata.get("metavar"),
            type=(parse or str) if nargs else _field_type(f.name, parse),
        )


# --- the command ------------------------------------------------------------------------------


def add_stylize_command(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``stylize`` on the ``subparsers`` of ``python -m labhelpers``; returns its
    parser."""
    parser = subparsers.add_parser(
        "stylize",
        help="paint a photo in the style of a painting (Gatys et al.)",
        description=(
            "Paint CONTENT in the style of STYLE (several STYLE images are blended). Images are "
            "file paths, URLs or bundled names (in Python: labhelpers.list_images())."
        ),
    )
    parser.error = _one_line_error(parser)  # type: ignore[method-assign]
    parser.add_argument(
        "content",
        nargs="?",
        default=None,
        help="the photo (default: the bundled default content image)",
    )
    parser.add_argument(
        "style",
        nargs="*",
        default=[],
        help="one or more paintings (default: the bundled default style image)",
    )
    parser.add_argument(
        "-o",
        "--output",
        default=None,
        help="where to save the PNG/JPEG (default: outputs/<content>_x_<style>.png; an "
        "existing file is never replaced unless --overwrite)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files")
    parser.add_argument(
        "--plot-losses",
        default=None,
        metavar="FILE",
        help="also save a PNG of the loss curves (never over the picture; an existing file "
        "gets -1, -2, ... unless --overwrite)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_settings_options(parser)
    parser.set_defaults(run=run_stylize)
    return parser


def safe_file_stem(source: Any, fallback: str = "image", max_chars: int = 60) -> str:
    """A short file-name stem for a picture given by path, URL or bundled name: letters, digits,
    ``-``, ``_``.

    ``"photos/My cat.jpg"`` -> ``"My_cat"``, ``"https://x.org/a/b.png?s=1"`` -> ``"b"`` (``?``
    starts a URL's query); every other character becomes ``_``; at most ``max_chars`` characters;
    ``fallback`` when nothing is left. The one file-name cleaner of the package (the CLI and the
    lesson panel).
    """
    stem = Path(str(source).rstrip("/").split("?")[0]).stem
    return (
        "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem)[:max_chars] or fallback
    )


def default_output_path(
    content: str, styles: list[str], folder: str | os.PathLike = "outputs"
) -> Path:
    """``outputs/<content>_x_<style>.png`` (styles joined by ``+``)."""
    return (
        Path(folder)
        / f"{safe_file_stem(content)}_x_{'+'.join(safe_file_stem(s) for s in styles)}.png"
    )


def _check_output(path: Path, option: str = "-o") -> None:
    """Fail before the (long) run if a file could not be saved there."""
    from labhelpers.images.save import name_problem

    if path.is_dir():
        raise ValueError(
            f"'{path}' is a folder; give a file name inside it, e.g. {option} "
            f"{path / 'result.png'}"
        )
    problem = name_problem(path, f"{option} ")
    if problem:
        raise ValueError(f"cannot save to '{path}': {problem}")
    folder = path.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(
            f"cannot create the folder '{folder}': '{existing}' is a file; choose another "
            f"{option} path"
        )
    try:  # a real probe: permissions alone say nothing for root or read-only file systems
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ValueError(
            f"cannot write to the folder '{folder}' ({exc.strerror or exc}); "
            f"choose another {option} path"
        ) from None


def _input_file(source: str) -> Path | None:
    """The file a picture argument reads (a path, or a bundled name's file), or None (a URL)."""
    from labhelpers.images import image_path

    if "://" in source:
        return None
    path = Path(source).expanduser()
    if path.is_file():
        return path
    try:
        return image_path(source)
    except Exception:  # noqa: BLE001 - not a bundled name either: the run will say so
        return None


def _check_not_an_input(path: Path, sources: list[str], option: str = "-o") -> None:
    """Refuse an output that would replace a picture the run reads (even with --overwrite)."""
    for source in sources:
        kept = _input_file(source)
        if kept is not None and path.exists() and os.path.samefile(kept, path):
            raise ValueError(
                f"{option} {path} names the input picture {source!r}; the result would replace "
                f"it (even with --overwrite, inputs are never replaced). Give another name, e.g. "
                f"{option} {path.with_name(path.stem + '_stylized.png')}"
            )


def save_loss_plot(
    history: list[dict[str, Any]],
    path: str | os.PathLike,
    title: str = "",
    *,
    overwrite: bool = False,
    avoid: str | os.PathLike | None = None,
) -> Path:
    """Save the loss curves (:func:`labhelpers.lessons.common.figures.plot_loss_curves`) as a
    picture file.

    Args:
        history: the run's history (``StyleTransferResult.history``).
        path: the file (.png, .jpg, .webp).
        title: the plot's title.
        overwrite: replace an existing file (never ``avoid``); otherwise an existing name gets
            ``-1``, ``-2``, ... as :func:`labhelpers.images.save_image` does.
        avoid: a file that must never be replaced (the picture just saved).

    Returns:
        The path actually written.
    """
    import matplotlib  # lazy: matplotlib and the lesson plots are only needed for --plot-losses

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from labhelpers.images import save_image
    from labhelpers.lessons.common.figures import plot_loss_curves

    figure = plot_loss_curves(history, title=title or "style transfer losses")
    try:
        figure.canvas.draw()
        pixels = np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()
    finally:
        plt.close(figure)
    target = Path(path).expanduser()
    if avoid is not None and target.resolve() == Path(avoid).expanduser().resolve():
        overwrite = False
    return save_image(pixels, target, overwrite=overwrite)


def run_stylize(args: argparse.Namespace) -> int:
    """Run ``stylize`` for parsed arguments; returns the exit status (errors raise ValueError)."""
    from labhelpers.images import DEFAULT_CONTENT, DEFAULT_STYLE, save_image
    from labhelpers.transfer.run import stylize  # lazy: starts TensorFlow, not needed for --help

    content = args.content or DEFAULT_CONTENT
    styles = list(args.style) or [DEFAULT_STYLE]
    given = {name: getattr(args, name) for name in settings_flags() if hasattr(args, name)}
    try:  # options that are fine alone but not together (all weights 0, blend weights all 0)
        settings = settings_module.TransferSettings.from_options(
            None, progress=not args.no_progress, **given
        )
    except ValueError as exc:
        raise ValueError(f"{exc} (see python -m labhelpers stylize --help)") from None
    output = (
        Path(args.output).expanduser() if args.output else default_output_path(content, styles)
    )
    _check_output(output)
    _check_not_an_input(output, [content, *styles])
    if args.plot_losses:
        plot = Path(args.plot_losses).expanduser()
        _check_output(plot, "--plot-losses")
        _check_not_an_input(plot, [content, *styles], "--plot-losses")

    result = stylize(content, styles, settings, verbose=True)
    if not result.history:  # stopped before the first evaluation: the picture is the plain photo
        from labhelpers.transfer.record import STOP_REASONS

        why = STOP_REASONS.get(result.stopped or "", "Stopped")
        print(
            f"{why} before the first step finished: nothing was saved (the picture would be the "
            "unchanged photo).",
            file=sys.stderr,
        )
        return 130 if result.stopped == "interrupt" else 1
    saved = save_image(result.image, output, overwrite=args.overwrite)
    height, width = result.image.shape[:2]
    print(f"Saved {saved} ({width}x{height} px)")
    final = result.final
    if final:
        print(
            f"Final losses after {final['step']} evaluations ({result.seconds:.1f} s): total "
            f"{final['total']:.4g} = content {final['content']:.4g} + style {final['style']:.4g} "
            f"+ tv {final['tv']:.4g}"
        )
    print(result.message)
    if args.plot_losses:
        if result.history:
            title = f"{safe_file_stem(content)} x {'+'.join(safe_file_stem(s) for s in styles)}"
            where = save_loss_plot(
                result.history, args.plot_losses, title, overwrite=args.overwrite, avoid=saved
            )
            print(f"Loss curves: {where}")
        else:
            print("No loss curves: no evaluation finished.", file=sys.stderr)
    return 130 if result.stopped == "interrupt" else 0


# --- lesson 09's networks: fast and train-network ---------------------------------------------


def add_fast_commands(subparsers: Any) -> None:
    """Register ``fast`` (paint with a trained network) and ``train-network`` (train one) on the
    ``subparsers`` of ``python -m labhelpers``."""
    fast = subparsers.add_parser(
        "fast",
        help="paint a photo with a painting's trained network, in milliseconds (lesson 09)",
        description=(
            "Paint PHOTO in the style of PAINTING with PAINTING's trained network (one forward "
            "pass). Networks exist for the bundled paintings; train others with train-network."
        ),
    )
    fast.error = _one_line_error(fast)  # type: ignore[method-assign]
    fast.add_argument("photo", help="the photo: a file, a URL or a bundled name")
    fast.add_argument(
        "painting", help="a painting with a trained network, e.g. van_gogh_starry_night"
    )
    fast.add_argument(
        "-o",
        "--output",
        default=None,
        help="where to save the PNG/JPEG "
        "(default: outputs/<photo>_x_<painting>_fast.png; an existing file is "
        "never replaced unless --overwrite, an input never)",
    )
    fast.add_argument(
        "--size",
        type=parse_positive_size,
        default=256,
        metavar="PX",
        help="longest side of the result in pixels (default 256)",
    )
    fast.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    fast.set_defaults(run=run_fast)

    train = subparsers.add_parser(
        "train-network",
        help="train a painting's style network (lesson 09; about 10 minutes on two cores)",
        description=(
            "Train PAINTING's style network on the bundled training photos (and the picture "
            "files of --photos-dir) and save <painting>.npz and <painting>.json (seed, photos "
            "with licences, steps, time) into -o FOLDER (default: networks/ in the lab's cache "
            "folder, where fast and fast_stylize look first)."
        ),
    )
    train.error = _one_line_error(train)  # type: ignore[method-assign]
    train.add_argument("painting", help="the painting: a bundled name or a picture file")
    train.add_argument(
        "-o",
        "--output-dir",
        default=None,
        metavar="FOLDER",
        help="where to save the network (default: the cache folder's networks/)",
    )
    train.add_argument(
        "--photos-dir",
        default=None,
        metavar="FOLDER",
        help="also train on the picture files of this folder (e.g. the photos "
        "of scikit-image's skimage/data, see labhelpers/feedforward/photos.py)",
    )
    train.add_argument(
        "--photos",
        nargs="+",
        default=None,
        metavar="FILE",
        help="train on these pictures only (with --photos-dir's, if given)",
    )
    train.add_argument("--minutes", type=float, default=10.0, help="training time (default 10)")
    train.add_argument(
        "--steps",
        type=parse_positive_size,
        default=None,
        help="stop after this many steps (default: only --minutes)",
    )
    train.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    train.add_argument(
        "--batch-size", type=parse_positive_size, default=2, help="photos per step (default 2)"
    )
    train.add_argument(
        "--crop",
        type=parse_positive_size,
        default=128,
        help="side of the square training crops in px (default 128)",
    )
    from labhelpers.feedforward.library import SHIPPED_TRAINING
    from labhelpers.feedforward.training import DEFAULT_WEIGHTS

    shipped = SHIPPED_TRAINING
    train.add_argument(
        "--channels",
        type=parse_channels,
        default=tuple(shipped["channels"]),
        help="the network's channels C1,C2,C3 (default "
        + ",".join(str(c) for c in shipped["channels"])
        + "; 32,64,128 with --residual-blocks 5 comes closer to stylize, three times slower)",
    )
    train.add_argument(
        "--residual-blocks",
        type=parse_positive_size,
        default=shipped["residual_blocks"],
        help=f"residual blocks (default {shipped['residual_blocks']})",
    )
    train.add_argument(
        "--learning-rate",
        type=float,
        default=shipped["learning_rate"],
        help=f"Adam's learning rate (default {shipped['learning_rate']:g})",
    )
    train.add_argument(
        "--style-weight",
        type=float,
        default=DEFAULT_WEIGHTS["style"],
        help=f"the style loss's weight; content and TV weigh 1 (default "
        f"{DEFAULT_WEIGHTS['style']:g}, stylize's)",
    )
    train.add_argument(
        "--overwrite", action="store_true", help="replace an existing network of that name"
    )
    train.set_defaults(run=run_train_network)


def parse_channels(text: str) -> tuple[int, int, int]:
    """An argparse type: three whole numbers >= 1 separated by commas, e.g. ``32,64,128``."""
    parts = [part.strip() for part in text.split(",")]
    try:
        values = tuple(int(part) for part in parts)
    except ValueError:
        values = ()
    if len(values) != 3 or min(values) < 1:
        raise argparse.ArgumentTypeError(
            f"expected three whole numbers >= 1 separated by commas, e.g. 32,64,128; got {text!r}"
        )
    return values  # type: ignore[return-value]


def parse_positive_size(text: str) -> int:
    """An argparse type: a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, e.g. 256; got {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, e.g. 256; got {value}")
    return value


def run_fast(args: argparse.Namespace) -> int:
    """Run ``fast`` for parsed arguments; returns the exit status (errors raise ValueError)."""
    import time

    from labhelpers.feedforward.library import fast_stylize, network_files
    from labhelpers.images import save_image

    network_files(args.painting)  # a missing network is said before anything else
    output = (
        Path(args.output).expanduser()
        if args.output
        else Path("outputs")
        / f"{safe_file_stem(args.photo)}_x_{safe_file_stem(args.painting)}_fast.png"
    )
    _check_output(output)
    _check_not_an_input(output, [args.photo])
    fast_stylize(args.photo, args.painting, size=16)  # trace once, so the time is the pass
    start = time.perf_counter()
    picture = fast_stylize(args.photo, args.painting, size=args.size)
    seconds = time.perf_counter() - start
    saved = save_image(picture, output, overwrite=args.overwrite)
    height, width = picture.shape[:2]
    print(f"Saved {saved} ({width}x{height} px) in {seconds * 1000:.0f} ms")
    return 0


def run_train_network(args: argparse.Namespace) -> int:
    """Run ``train-network`` for parsed arguments; returns the exit status."""
    from labhelpers.feedforward.library import train_and_save, user_networks_dir
    from labhelpers.feedforward.photos import BUNDLED_TRAINING

    photos: list[str] = list(args.photos) if args.photos else []
    if args.photos_dir:
        folder = Path(args.photos_dir).expanduser()
        if not folder.is_dir():
            raise ValueError(f"--photos-dir {folder} is not a folder")
        photos += [
            str(p)
            for p in sorted(folder.iterdir())
            if p.suffix.lower() in {".png", ".jpg", ".jpeg"} and p.is_file()
        ]
    if not args.photos:
        photos = [*BUNDLED_TRAINING, *photos]
    output_dir = Path(args.output_dir).expanduser() if args.output_dir else user_networks_dir()

    def progress(step: int, result: Any) -> None:
        recent = [h["loss"] for h in result.history[-25:]]
        print(
            f"step {step}: loss {np.mean(recent):.3f} ({result.history[-1]['seconds']:.0f} s)",
            flush=True,
        )

    try:
        weights, record, result = train_and_save(
            args.painting,
            photos,
            output_dir,
            seconds=args.minutes * 60,
            steps=args.steps,
            seed=args.seed,
            batch_size=args.batch_size,
            crop=args.crop,
            learning_rate=args.learning_rate,
            channels=args.channels,
            residual_blocks=args.residual_blocks,
            style_weight=args.style_weight,
            overwrite=args.overwrite,
            callback=progress,
        )
    except FileExistsError as exc:
        raise ValueError(str(exc)) from None
    print(
        f"Saved {weights} ({weights.stat().st_size / 1e3:.0f} KB) and {record}: "
        f"{result.steps} steps in {result.seconds:.0f} s on {len(photos)} photos"
    )
    return 130 if result.stopped == "interrupt" else 0
