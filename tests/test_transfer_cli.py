"""``python -m labhelpers stylize``: argument errors (exit 2, one line) and a tiny real run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labhelpers.__main__ import main


def run_cli(argv: list[str]) -> int:
    """main(argv)'s exit status, whether it returns it or argparse exits."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.mark.parametrize("argv, says", [
    (["--size", "0"], "--size: must be a whole number > 0"),
    (["--size", "big"], "--size: expected a whole number"),
    (["--steps", "-5"], "--steps: must be a whole number > 0"),
    (["--style-weight", "-1"], "--style-weight: must be a finite number >= 0"),
    (["--content-weight", "nan"], "--content-weight: must be a finite number >= 0"),
    (["--tv-weight", "x"], "--tv-weight: expected a number"),
    (["--optimizer", "sgd"], "invalid choice: 'sgd'"),
    (["--init", "zeros"], "invalid choice: 'zeros'"),
    (["--preserve-color", "sepia"], "choose luminance, histogram or none"),
    (["--time-budget", "0"], "--time-budget: must be a number of seconds > 0"),
    (["--seed", "-2"], "--seed: must be a whole number >= 0"),
    (["--coarse-to-fine", "maybe"], "invalid choice: 'maybe'"),
    (["--style-blend"], "expected at least one argument"),
])
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


@pytest.mark.parametrize("output, says", [
    ("{tmp}/a_file/out.png", "is a file"),
    ("{tmp}/out.gif", "end the file name with .png"),
    ("{tmp}", "is a folder"),
])
def test_unusable_output_exits_2_before_running(capsys, tmp_path, output, says):
    (tmp_path / "a_file").write_text("not a folder")
    assert run_cli(["stylize", "--size", "32", "--steps", "1", "-o", output.format(tmp=tmp_path)]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1


def test_style_blend_count_must_match(capsys, tmp_path):
    code = run_cli(["stylize", "chelsea_cat", "van_gogh_starry_night", "--style-blend", "1", "2",
                    "-o", str(tmp_path / "x.png")])
    assert code == 2
    assert "one weight per style image" in capsys.readouterr().err


def test_tiny_run_writes_a_png_and_never_overwrites(extractor, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = ["stylize", "--size", "32", "--steps", "3", "--weights", "torchvision", "--no-progress"]
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
    for option in ("--size", "--steps", "--content-weight", "--style-weight", "--tv-weight", "--optimizer",
                   "--init", "--seed", "--preserve-color", "--time-budget", "--weights", "--style-blend",
                   "--plot-losses", "--overwrite"):
        assert option in text
