"""Lesson 09's helpers: the weight-free distances against the benchmarks' own computation, the
comparison table, the network table, the missing-network message, the live training loop."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from labhelpers.feedforward.network import build_transform_network
from labhelpers.images import load_image, resize_to
from labhelpers.lessons import l09_fast_network as lesson

BENCHMARKS = Path(__file__).resolve().parent.parent.parent / "benchmarks"


def bench_common():
    spec = importlib.util.spec_from_file_location("bench_common", BENCHMARKS / "common.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_distances_match_the_benchmarks(extractor):
    """The lesson's distances and benchmarks/common.py's Distances (written separately) agree."""
    photo = resize_to(load_image("raccoon"), 64)
    painting = resize_to(load_image("van_gogh_night_cafe"), 64)
    picture = np.clip(photo + np.random.default_rng(0).normal(0, 0.1, photo.shape), 0, 1)
    picture = picture.astype(np.float32)
    got = lesson.weight_free_distances(extractor, picture, photo, painting)
    expected = bench_common().Distances(extractor, photo, painting)(picture)
    assert got["style"] == pytest.approx(expected["style"], rel=1e-4)
    assert got["content"] == pytest.approx(expected["content"], rel=1e-4)
    same = lesson.weight_free_distances(extractor, photo, photo, painting)
    assert same["content"] == 0.0


def test_comparison_table_ratios_by_hand():
    row = {
        "photo": "grace_hopper",
        "stylize_seconds": 20.0,
        "fast_seconds": 0.05,
        "stylize": {"style": 0.2, "content": 0.8},
        "fast": {"style": 0.5, "content": 0.4},
    }
    table = lesson.comparison_table(lesson.Comparison("van_gogh_night_cafe", 256, 60, [row]))
    last = table.splitlines()[1].split()
    assert last[0] == "grace_hopper" and last[3] == "400x"
    assert last[6] == "2.50" and last[9] == "0.50"  # 0.5 / 0.2 and 0.4 / 0.8


def test_network_table_counts_every_parameter():
    network = build_transform_network()
    table = lesson.network_table(network, size=64)
    total = sum(int(np.prod(w.shape)) for w in network.trainable_weights)
    assert f"{total:,}" in table.splitlines()[-1]
    assert "(1, 16, 16, 48)" in table and "(1, 64, 64, 3)" in table


def test_missing_network_message_names_the_command():
    text = lesson.missing_network_message("hokusai_great_wave")
    assert "train-network hokusai_great_wave" in text and "van_gogh_starry_night" in text


def test_train_in_class_prints_and_keeps_the_network(extractor, capsys):
    training = lesson.train_in_class(
        "van_gogh_night_cafe",
        ["astronaut"],
        "grace_hopper",
        seconds=30,
        crop=32,
        batch_size=1,
        live_size=48,
        every=1,
        extractor=extractor,
        live=False,
    )
    out = capsys.readouterr().out
    assert "step 1:" in out and "held-out photo: content" in out
    assert training.result.steps >= 1 and len(training.terms) >= 1
    assert training.picture.shape == training.held_out.shape
