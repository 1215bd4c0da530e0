"""labhelpers.transfer.stages: coarse-to-fine sizes, the split of the steps and of a time
budget."""

from __future__ import annotations

import pytest

from labhelpers.transfer.stages import (
    split_steps,
    stage_deadlines,
    stage_sizes,
)


def test_stage_deadlines_share_the_budget_like_the_work():
    # work = evaluations x pixels: 40 x 16 = 640, 20 x 64 = 1280, 10 x 256 = 2560; total 4480, by
    # hand
    deadlines = stage_deadlines(44.8, [40, 20, 10], [16, 64, 256])
    assert deadlines == pytest.approx([6.4, 19.2, 44.8])
    assert stage_deadlines(None, [2, 1], [4, 16]) == [None, None]


def test_stage_sizes_and_split_steps():
    assert stage_sizes(128) == [128] and stage_sizes(255) == [255]  # auto: one stage below 256 px
    assert stage_sizes(256) == [128, 256] and stage_sizes(512) == [256, 512]
    assert stage_sizes(256, False) == [256]
    assert stage_sizes(1024) == [512, 1024]
    assert stage_sizes(2048) == [512, 1024, 2048]
    assert stage_sizes(64, True) == [32, 64]
    assert stage_sizes(1024, False) == [1024]
    assert stage_sizes(1024, [256, 512]) == [256, 512, 1024]
    with pytest.raises(ValueError, match="increase"):
        stage_sizes(256, [300])
    assert split_steps(6, 2) == [4, 2]  # 2:1, coarse first
    assert split_steps(70, 3) == [40, 20, 10]
    assert split_steps(1, 3) == [1]
    for steps in range(1, 30):
        for stages in range(1, 5):
            counts = split_steps(steps, stages)
            assert sum(counts) == steps and min(counts) >= 1
