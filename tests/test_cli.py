"""``python -m labhelpers stylize``: argument errors (exit 2, one line) and a tiny real run."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labhelpers.__main__ import build_parser, main
from labhelpers.cli import safe_file_stem, settings_flags
from labhelpers.transfer import settings as settings_module
from labhelpers.transfer.settings import TransferSettings


def run_cli(argv: list[str]) -> int:
    """main(argv)'s exit status, whether it returns it or argparse exits."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.mark.parametrize(
    "argv, says",
    [
        (
            ["--size", "0"],
            "argument --size: size must be a positive whole number such as 256, not 0",
        ),
        (
            ["--size", "big"],
            "argument --size: size must be a positive whole number such as 256, not 'big'",
        ),
        (["--steps", "-5"], "argument --steps: steps must be a positive whole number"),
        (
            ["--style-weight", "-1"],
            "argument --style-weight: style_weight must be a finite number >= 0",
        ),
        (
            ["--content-weight", "nan"],
            "argument --content-weight: content_weight must be a finite number >= 0",
        ),
        (["--tv-weight", "x"], "argument --tv-weight: tv_weight must be a number >= 0"),
        (
            ["--optimizer", "sgd"],
            "optimizer must be 'lbfgs', 'adam' or 'projected_lbfgs', not 'sgd'",
        ),
        (["--init", "zeros"], "init must be 'content', 'recolored', 'style', 'noise'"),
        (["--preserve-color", "sepia"], "preserve_color must be None, 'luminance' or 'histogram'"),
        (
            ["--time-budget-s", "0"],
            "argument --time-budget-s: time_budget_s must be a number of seconds > 0",
        ),
        (
            ["--time-budget-s", "abc"],
            "time_budget_s must be a number of seconds > 0 such as 30 (or None), not 'abc'",
        ),
        (["--seed", "-2"], "argument --seed: seed must be a whole number >= 0"),
        (["--coarse-to-fine", "maybe"], "coarse_to_fine must be None"),
        (["--precision", "half"], "precision must be 'float32', 'bfloat16' or 'auto'"),
        (["--style-blend"], "expected at least one argument"),
        (
            ["--content-weight", "0", "--style-weight", "0", "--tv-weight", "0"],
            "make at least one weight > 0",
        ),
        (["--style-blend", "0", "0"], "give at least one style picture a positive weight"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(capsys, argv, says):
    assert run_cli(["stylize", *argv]) == 2
    err = capsys.readouterr().err
    assert says in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "--help" in err  # where to read more


def test_unknown_image_exits_2(capsys, tmp_path):
    assert run_cli(["stylize", "no_such_picture_anywhere", "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: No image file") and "Traceback" not in err


@pytest.mark.parametrize(
    "output, says",
    [
        ("{tmp}/a_file/out.png", "is a file"),
        ("{tmp}/out.gif", "end the file name with .png"),
        ("{tmp}", "is a folder"),
    ],
)
def test_unusable_output_exits_2_before_running(capsys, tmp_path, output, says):
    (tmp_path / "a_file").write_text("not a folder")
    assert (
        run_cli(["stylize", "--size", "32", "--steps", "1", "-o", output.format(tmp=tmp_path)])
        == 2
    )
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1


def test_style_blend_count_must_match(capsys, tmp_path):
    code = run_cli(
        [
            "stylize",
            "chelsea_cat",
            "van_gogh_starry_night",
            "--style-blend",
            "1",
            "2",
            "-o",
            str(tmp_path / "x.png"),
        ]
    )
    assert code == 2
    assert "one weight per style image" in capsys.readouterr().err


def test_tiny_run_writes_a_png_and_never_overwrites(extractor, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = [
        "stylize",
        "--size",
        "32",
        "--steps",
        "3",
        "--vgg-weights",
        "torchvision",
        "--no-progress",
    ]
    assert run_cli([*argv, "--plot-losses", "losses.png"]) == 0
    out = capsys.readouterr().out
    first = tmp_path / "outputs" / "chelsea_cat_x_van_gogh_starry_night.png"  # the default path
    assert first.exists() and f"Saved {Path('outputs') / first.name}" in out
    assert "Final losses after 3 evaluations" in out and "content" in out and "style" in out
    with Image.open(first) as picture:
        assert max(picture.size) == 32 and picture.mode == "RGB"
    assert (tmp_path / "losses.png").stat().st_size > 1000
    before = first.read_bytes()

    assert run_cli([*argv, "--init", "noise"]) == 0  # another picture, same default name
    assert first.read_bytes() == before  # not overwritten ...
    second = first.with_name(first.stem + "-1.png")  # ... saved next to it
    assert second.exists() and str(second.name) in capsys.readouterr().out
    assert not np.array_equal(np.asarray(Image.open(second)), np.asarray(Image.open(first)))

    assert run_cli([*argv, "-o", str(first), "--overwrite", "--init", "noise"]) == 0
    assert first.read_bytes() == second.read_bytes()


def test_help_lists_the_options(capsys):
    assert run_cli(["stylize", "--help"]) == 0
    text = capsys.readouterr().out
    for option in ("--plot-losses", "--overwrite", "--no-progress", *settings_flags().values()):
        assert option in text
    assert "--size" in text and "--style-weight" in text and "--vgg-weights" in text


# --- the options come from TransferSettings ------------------------------------------------------


def test_the_options_are_exactly_the_flagged_settings_fields():
    flagged = {
        f.name: f.metadata["flag"]
        for f in dataclasses.fields(TransferSettings)
        if f.metadata["flag"]
    }
    assert settings_flags() == flagged
    assert {
        "size",
        "steps",
        "content_weight",
        "style_weight",
        "tv_weight",
        "optimizer",
        "init",
        "seed",
        "preserve_color",
        "time_budget_s",
        "vgg_weights",
        "style_blend",
        "precision",
        "coarse_to_fine",
    } <= set(flagged)
    parser = build_parser()
    for name, flag in flagged.items():  # each flag parses into its field, checked by the field
        value = {
            "style_blend": ["1", "2"],
            "preserve_color": "luminance",
            "optimizer": "adam",
            "init": "noise",
            "precision": "float32",
            "vgg_weights": "random",
            "coarse_to_fine": "on",
            "pooling": "avg",
        }.get(name, "3")
        args = parser.parse_args(
            ["stylize", flag, *(value if isinstance(value, list) else [value])]
        )
        assert hasattr(args, name), flag


def test_a_new_settings_field_appears_on_the_command_line(monkeypatch, capsys):
    """Adding a run option is one edit: a field with a flag. Here a field is added to a
    subclass."""
    extended = dataclasses.make_dataclass(
        "ExtendedSettings",
        [
            (
                "warmup_s",
                float,
                dataclasses.field(
                    default=0.5,
                    metadata={"help": "seconds to warm up", "flag": "--warmup-s", "setup": False},
                ),
            )
        ],
        bases=(TransferSettings,),
        frozen=True,
    )
    monkeypatch.setattr(settings_module, "TransferSettings", extended)
    assert settings_flags()["warmup_s"] == "--warmup-s"
    assert run_cli(["stylize", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--warmup-s WARMUP_S seconds to warm up (default: 0.5)" in text
    args = build_parser().parse_args(["stylize", "--warmup-s", "2"])
    assert args.warmup_s == "2"


# --- issue 14, case 1: the loss plot never replaces a file ---------------------------------------


def test_the_loss_plot_never_overwrites_a_file_or_the_picture(extractor, capsys, tmp_path):
    precious = tmp_path / "out" / "precious.png"
    precious.parent.mkdir()
    Image.fromarray(np.full((20, 30, 3), 200, np.uint8)).save(precious)
    before = precious.read_bytes()
    argv = [
        "stylize",
        "--size",
        "32",
        "--steps",
        "2",
        "--vgg-weights",
        "torchvision",
        "--no-progress",
    ]
    assert (
        run_cli([*argv, "-o", str(tmp_path / "out" / "res.png"), "--plot-losses", str(precious)])
        == 0
    )
    out = capsys.readouterr().out
    assert precious.read_bytes() == before
    assert f"Loss curves: {tmp_path / 'out' / 'precious-1.png'}" in out
    with Image.open(tmp_path / "out" / "precious-1.png") as plot:
        assert plot.size[0] > 300  # the plot, not a 32 px picture

    same = tmp_path / "out" / "same.png"
    assert run_cli([*argv, "-o", str(same), "--plot-losses", str(same)]) == 0
    out = capsys.readouterr().out
    with Image.open(same) as picture:
        assert max(picture.size) == 32  # the picture stayed
    assert f"Loss curves: {tmp_path / 'out' / 'same-1.png'}" in out
    # --overwrite replaces an old picture, but the plot still never takes the picture's file
    assert run_cli([*argv, "-o", str(same), "--plot-losses", str(same), "--overwrite"]) == 0
    with Image.open(same) as picture:
        assert max(picture.size) == 32
    assert (
        "Loss curves: " + str(tmp_path / "out" / "same-2.png") in capsys.readouterr().out
    )  # a free name


def test_safe_file_stem():
    assert safe_file_stem("photos/My cat.jpg") == "My_cat"
    assert safe_file_stem("https://x.org/a/b.png?s=1") == "b"
    assert safe_file_stem("", "style") == "style" and len(safe_file_stem("a" * 100)) == 60
