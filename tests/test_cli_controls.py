"""Lesson 08's controls on the command line: mask files, style scale, layer paintings, pooling."""

from __future__ import annotations

import numpy as np
from PIL import Image

from labhelpers.__main__ import build_parser, main
from labhelpers.images import load_image, masks


def run_cli(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


def _mask_files(folder, shape):
    paths = []
    for index, mask in enumerate(masks.halves_masks(shape, soft=0.1)):
        path = folder / f"half{index}.png"
        Image.fromarray((mask * 255).astype(np.uint8)).save(path)
        paths.append(str(path))
    return paths


def test_the_flags_parse_into_the_settings(tmp_path):
    left, right = _mask_files(tmp_path, (30, 45))
    args = build_parser().parse_args(
        [
            "stylize",
            "--content-masks",
            left,
            right,
            "--style-masks",
            "none",
            left,
            "--style-scale",
            "2",
            "--layer-paintings",
            "block1_conv1=1",
            "--pooling",
            "avg",
        ]
    )
    assert args.content_masks == [left, right] and args.style_masks == [None, left]
    assert args.style_scale == 2.0 and args.pooling == "avg"
    assert args.layer_paintings == [("block1_conv1", 1)]


def test_bad_control_flags_exit_2_with_what_to_do(capsys, tmp_path):
    left, right = _mask_files(tmp_path, (30, 45))
    cases = [
        (["--pooling", "median"], "pooling must be 'max' or 'avg'"),
        (["--style-scale", "0"], "style_scale is the painting's size relative"),
        (["--content-masks", left, right, right], "3 masks but there are only 2"),
        (["--content-masks", str(tmp_path / "none.png"), right], "none.png"),
        (["--layer-paintings", "block1_conv1"], "layer_paintings must map style layers"),
    ]
    for extra, says in cases:
        code = run_cli(
            [
                "stylize",
                "chelsea_cat",
                "van_gogh_starry_night",
                "van_gogh_night_cafe",
                "--vgg-weights",
                "random",
                "--size",
                "32",
                "--steps",
                "1",
                "-o",
                str(tmp_path / "out.png"),
                *extra,
            ]
        )
        err = capsys.readouterr().err
        assert code != 0 and says in err, (extra, err)
    assert not (tmp_path / "out.png").exists()


def test_mask_files_paint_two_halves(capsys, tmp_path):
    shape = load_image("chelsea_cat", max_size=32).shape[:2]
    left, right = _mask_files(tmp_path, shape)
    out = tmp_path / "halves.png"
    code = run_cli(
        [
            "stylize",
            "chelsea_cat",
            "van_gogh_starry_night",
            "van_gogh_night_cafe",
            "--content-masks",
            left,
            right,
            "--vgg-weights",
            "random",
            "--size",
            "32",
            "--steps",
            "2",
            "--no-progress",
            "-o",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert out.exists() and f"Saved {out}" in capsys.readouterr().out
