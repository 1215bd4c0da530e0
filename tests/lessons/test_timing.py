"""labhelpers.lessons.timing: the estimate printed before a lesson's optimisations start.

Checked with given numbers (no timing in the test): the arithmetic by hand, and the properties that
matter to a student (more pixels, more steps or deeper layers take longer; the printed line says
"about N s on this computer").
"""

from __future__ import annotations

import pytest

from labhelpers.network.layers import forward_cost
from labhelpers.lessons.common import timing  # noqa: E402


def test_estimate_by_hand():
    # one run up to block5_conv1 (depth 1) at twice the measured side, in one stage: 4x the pixels
    assert timing.estimate_seconds(
        ["block5_conv1"],
        size=256,
        steps=10,
        measured=(128, 0.5),
        setup_seconds=2.0,
        coarse_to_fine=False,
    ) == pytest.approx(10 * 0.5 * 4 + 2.0)
    shallow = timing.FIXED_SHARE + (1 - timing.FIXED_SHARE) * forward_cost(
        "block1_conv2"
    ) / forward_cost("block5_conv1")
    assert timing.estimate_seconds(
        [["block1_conv1", "block1_conv2"]],
        size=128,
        steps=100,
        measured=(128, 0.2),
        setup_seconds=0.0,
    ) == pytest.approx(100 * 0.2 * shallow)


def test_estimate_grows_with_size_steps_and_depth():
    measured = (128, 0.2)
    base = timing.estimate_seconds(["block3_conv1"], 128, 50, measured)
    assert timing.estimate_seconds(["block3_conv1"], 160, 50, measured) > base
    assert timing.estimate_seconds(["block3_conv1"], 128, 80, measured) > base
    assert timing.estimate_seconds(["block5_conv2"], 128, 50, measured) > base
    assert timing.estimate_seconds(
        ["block3_conv1", "block3_conv1"], 128, 50, measured
    ) == pytest.approx(2 * base)
    with pytest.raises(ValueError, match="choose from"):
        timing.estimate_seconds(["conv9"], 128, 50, measured)


def test_printed_line(monkeypatch, capsys):
    monkeypatch.setattr(timing, "seconds_per_evaluation", lambda extractor=None: (128, 0.25))
    seconds = timing.print_time_estimate(
        "textures", [["block1_conv1", "block2_conv1"], ["block5_conv1"]], size=128, steps=100
    )
    out = capsys.readouterr().out
    assert "textures: 2 optimisations of 100 evaluations at 128 px" in out
    assert f"about {seconds:.0f} s on this computer" in out and "0.25 s here" in out


def test_coarse_to_fine_runs_cost_what_their_stages_cost():
    """A run splits its evaluations 2:1 between half and full size (100 -> 66 at 64 px + 34 at
    128 px, each coarse one a quarter of the pixels), and from 256 px it does so by itself: the
    estimate follows the run."""
    plain = timing.estimate_seconds(["block5_conv1"], 128, 100, (128, 0.2), setup_seconds=0.0)
    staged = timing.estimate_seconds(
        ["block5_conv1"], 128, 100, (128, 0.2), setup_seconds=0.0, coarse_to_fine=True
    )
    assert staged == pytest.approx(plain * (66 * 0.25 + 34) / 100)
    # 256 px, 40 steps: auto coarse-to-fine, 26 at 128 px + 14 at 256 px, as the panel's run does
    auto = timing.estimate_seconds(["block5_conv1"], 256, 40, (128, 0.2), setup_seconds=0.0)
    single = timing.estimate_seconds(
        ["block5_conv1"], 256, 40, (128, 0.2), setup_seconds=0.0, coarse_to_fine=False
    )
    assert single == pytest.approx(40 * 0.2 * 4) and auto == pytest.approx(
        single * (26 * 0.25 + 14) / 40
    )


def test_the_printed_line_names_the_coarse_stage(monkeypatch, capsys):
    monkeypatch.setattr(timing, "seconds_per_evaluation", lambda extractor=None: (128, 0.25))
    timing.print_time_estimate(
        "textures", [["block1_conv1"]], size=128, steps=100, coarse_to_fine=True
    )
    assert (
        "1 optimisation of 100 evaluations at 128 px (the first 66 at 64 px)"
        in capsys.readouterr().out
    )
