"""Verdicts recorded: every checker (through the scaffold of checks/core.py) writes its latest
result beside the notebook, atomically, without changing what the student sees."""

from __future__ import annotations

import datetime
import inspect
import json

import tensorflow as tf

from labhelpers.exercises import checks
from labhelpers.exercises.checks import core
from labhelpers.exercises.verdicts import VERDICTS_FILE, read_verdicts, verdicts_folder


def _gram(features):
    flat = tf.reshape(features, (-1, tf.shape(features)[-1]))
    return tf.matmul(flat, flat, transpose_a=True) / tf.cast(tf.size(features), features.dtype)


def _not_yet(features):
    raise NotImplementedError


def test_each_checker_records_its_latest_verdict(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LAB_VERDICTS_DIR", str(tmp_path))
    assert checks.check_gram_matrix(_gram, seed=1)
    assert not checks.check_style_loss(lambda a, b: tf.reduce_sum(a - b), seed=1)
    assert not checks.check_content_loss(None)
    shown = capsys.readouterr().out
    recorded = read_verdicts(tmp_path)
    assert {k: v["status"] for k, v in recorded.items()} == {
        "gram_matrix": "pass",
        "style_loss": "fail",
        "content_loss": "missing",
    }
    for exercise, verdict in recorded.items():
        assert verdict["exercise"] == exercise and verdict["message"] in shown
        when = datetime.datetime.fromisoformat(verdict["time"])
        assert abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) < 600
    assert checks.check_gram_matrix(_not_yet) is False  # the latest verdict replaces the first
    assert read_verdicts(tmp_path)["gram_matrix"]["status"] == "missing"
    assert sorted(p.name for p in tmp_path.iterdir()) == [VERDICTS_FILE]  # no temporary left
    assert json.loads((tmp_path / VERDICTS_FILE).read_text())["format"] == 1


def test_recording_changes_nothing_the_student_sees(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("LAB_VERDICTS_DIR", raising=False)
    assert verdicts_folder() is None  # a plain Python process: nothing recorded
    checks.check_style_loss(lambda a, b: a, seed=3)
    unrecorded = capsys.readouterr()
    monkeypatch.setenv("LAB_VERDICTS_DIR", str(tmp_path))
    checks.check_style_loss(lambda a, b: a, seed=3)
    recorded = capsys.readouterr()
    assert recorded == unrecorded and (tmp_path / VERDICTS_FILE).is_file()


def test_a_folder_that_cannot_be_written_is_ignored(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LAB_VERDICTS_DIR", str(blocker))
    assert checks.check_gram_matrix(_gram, seed=2)
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("✅ gram_matrix")
    assert blocker.read_text() == "not a folder"


def test_every_checker_goes_through_the_recording_scaffold(tmp_path, monkeypatch):
    """New checkers get recording for free: every exported checker ends in core.run_check."""
    seen = []
    monkeypatch.setattr(core, "record_verdict", lambda name, status, message: seen.append(name))
    names = [n for n in checks.__all__ if n.startswith("check_")]
    of_a_function = [
        n for n in names if next(iter(inspect.signature(getattr(checks, n)).parameters)) == "fn"
    ]
    for name in of_a_function:
        getattr(checks, name)(None)
    assert sorted(seen) == sorted(n[len("check_") :] for n in of_a_function)
    # the checks of a result the notebook computed (lesson 05's run, the homework's study)
    seen.clear()
    checks.check_loop_ran(None, 3)
    checks.check_ratio_criterion(None)
    assert seen == ["loop_ran", "ratio_criterion"]
    assert len(names) == len(of_a_function) + 2, "a new result check: add it above"
