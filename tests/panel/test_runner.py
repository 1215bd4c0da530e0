"""Tests of labhelpers.panel.runner: the panel's runner without widgets, with fake transfers and
events.

The fake transfer follows :meth:`labhelpers.transfer.run.StyleTransfer.run`'s contract (callback
after every evaluation, ``should_stop`` polled, KeyboardInterrupt from the callback turned into a
result that keeps the best picture); one test runs the real StyleTransfer to check that contract.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from labhelpers.panel.runner import RunEvents, RunRequest, TransferRunner, status_line
from labhelpers.transfer.settings import TransferSettings

SETTINGS = TransferSettings(size=32, steps=5)


@dataclass
class FakeResult:
    image: np.ndarray
    history: list = field(default_factory=list)
    stopped: str | None = None
    message: str = ""
    options: dict = field(default_factory=dict)


class FakeTransfer:
    """Each evaluation takes ``step_s`` seconds; the picture after step k is filled
    with k / 100."""

    def __init__(self, step_s: float = 0.0):
        self.step_s = step_s
        self.runs: list[dict[str, Any]] = []

    def run(self, settings, *, callback, should_stop):
        steps, options = settings.steps, settings.as_dict()
        self.runs.append(options)
        history, best, stopped = [], np.zeros((4, 4, 3), np.float32), None
        try:
            for step in range(1, steps + 1):
                time.sleep(self.step_s)
                best = np.full((4, 4, 3), step / 100, np.float32)
                history.append(
                    {"step": step, "total": 1.0 / step, "content": 0.5, "style": 0.3, "tv": 0.1}
                )
                callback(step, best, history[-1])
                if should_stop():
                    stopped = "stop"
                    break
        except KeyboardInterrupt:
            stopped = "interrupt"
        return FakeResult(best, history, stopped, f"fake run, stopped={stopped}", options)


class Recorder(RunEvents):
    def __init__(self):
        self.calls: list[tuple] = []

    def __getattribute__(self, name):
        if name in (
            "started",
            "status",
            "error",
            "progress",
            "preview",
            "curves",
            "finished",
            "ended",
        ):
            calls = object.__getattribute__(self, "calls")
            return lambda *args, **kwargs: calls.append((name, *args))
        return object.__getattribute__(self, name)

    def names(self, kind: str) -> list[tuple]:
        return [call for call in self.calls if call[0] == kind]


def make_runner(transfer: FakeTransfer, **kwargs) -> tuple[TransferRunner, Recorder, list]:
    events, built = Recorder(), []

    def make_transfer(content, style, settings, extractor):
        built.append((content.shape, style.shape, settings.size, extractor))
        return transfer

    runner = TransferRunner(
        events, extractor="fake-extractor", make_transfer=make_transfer, **kwargs
    )
    return runner, events, built


def request(
    settings: TransferSettings = SETTINGS, content: str = "photo", style: str = "painting"
) -> RunRequest:
    def load(size_px: int):
        return np.zeros((size_px, size_px, 3), np.float32), np.ones(
            (size_px // 2, size_px, 3), np.float32
        )

    return RunRequest(content, style, load, settings)


def test_a_foreground_run_reports_progress_and_the_result():
    transfer = FakeTransfer()
    runner, events, built = make_runner(transfer)
    result = runner.run(request(SETTINGS.replace(style_weight=100.0, optimizer="adam")), wait=True)
    assert len(result.history) == 5 and result.stopped is None
    assert transfer.runs[0]["style_weight"] == 100.0 and transfer.runs[0]["optimizer"] == "adam"
    assert transfer.runs[0]["callback_every"] == 1
    assert [call[1] for call in events.names("progress")] == [1, 2, 3, 4, 5]
    assert events.calls[0] == ("started", events.calls[0][1]) and events.calls[-1] == ("ended",)
    assert events.names("finished") == [("finished", result, events.calls[0][1])]
    assert runner.result is result and not runner.running
    assert built == [((32, 32, 3), (16, 32, 3), 32, "fake-extractor")]
    assert status_line(result).startswith("Done: 5 steps. fake run")


def test_targets_are_prepared_once_per_pictures_and_setup():
    runner, _events, built = make_runner(FakeTransfer())
    for changes in (
        {},
        {"style_weight": 3.0},
        {"steps": 2},
        {"optimizer": "adam"},
        {"preserve_color": "luminance"},
    ):
        runner.run(request(SETTINGS.replace(**changes)), wait=True)
    assert len(built) == 1 and runner.transfers_built == 1
    runner.run(request(SETTINGS.replace(size=48)), wait=True)  # a set-up field: new targets
    runner.run(request(content="other photo"), wait=True)  # another picture: new targets
    assert runner.transfers_built == 3
    runner.run(request(), wait=True)  # still cached (cache of 3)
    assert runner.transfers_built == 3


def test_the_cache_keeps_only_the_last_few_transfers():
    runner, _events, _built = make_runner(FakeTransfer(), cache_size=2)
    for name in ("a", "b", "c", "a"):
        runner.run(request(content=name), wait=True)
    assert runner.transfers_built == 4  # "a" was dropped when "c" came


def test_stop_ends_a_background_run_within_0_3_s():
    runner, events, _built = make_runner(FakeTransfer(step_s=0.05))
    long_run = SETTINGS.replace(steps=10_000)
    assert runner.run(request(long_run)) is None
    deadline = time.monotonic() + 10
    while len(events.names("progress")) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert runner.running
    asked = time.monotonic()
    assert runner.stop() is True
    result = runner.wait(timeout_s=5)
    assert time.monotonic() - asked < 0.3
    assert result.stopped == "stop" and 3 <= len(result.history) < 10_000
    assert status_line(result).startswith(f"Stopped after {len(result.history)} steps.")
    assert not runner.running and runner.stop() is False


def test_only_one_run_at_a_time():
    runner, _events, _built = make_runner(FakeTransfer(step_s=0.02))
    runner.run(request(SETTINGS.replace(steps=10_000)))
    try:
        with pytest.raises(RuntimeError, match="already"):
            runner.run(request(), wait=True)
        with pytest.raises(RuntimeError, match="already"):
            runner.run(request())
    finally:
        runner.stop()
        runner.wait(timeout_s=5)
    assert runner.run(request(), wait=True) is not None  # free again


def test_foreground_interrupt_keeps_the_best_picture():
    runner, _events, _built = make_runner(FakeTransfer())

    def progress(step, steps):
        if step == 3:
            raise KeyboardInterrupt  # what the kernel's Interrupt does during a foreground run

    runner.events = type("Interrupting", (RunEvents,), {"progress": staticmethod(progress)})()
    result = runner.run(request(SETTINGS.replace(steps=50)), wait=True)
    assert result.stopped == "interrupt" and len(result.history) == 3
    assert np.allclose(result.image, 0.03), "the picture of the last finished step is kept"
    assert runner.result is result and not runner.running


def test_the_real_style_transfer_honours_the_runner_contract(random_extractor):
    """The same interrupt and stop behaviour with the library's StyleTransfer (random VGG16,
    32 px)."""
    events = Recorder()
    runner = TransferRunner(events, extractor=random_extractor)

    def load(size_px: int):
        rng = np.random.default_rng(0)
        return rng.random((size_px, size_px, 3)).astype(np.float32), rng.random(
            (size_px, size_px, 3)
        ).astype(np.float32)

    settings = TransferSettings(size=32, steps=50)
    stop_after_2 = type(
        "E",
        (RunEvents,),
        {"progress": lambda self, step, steps: runner.stop() if step == 2 else None},
    )
    runner.events = stop_after_2()
    result = runner.run(RunRequest("noise-a", "noise-b", load, settings), wait=True)
    assert result.stopped == "stop" and 2 <= len(result.history) <= 3
    assert result.image.shape == (32, 32, 3) and status_line(result).startswith("Stopped after")


def test_preview_and_curves_are_throttled():
    runner, events, _built = make_runner(
        FakeTransfer(step_s=0.01), preview_interval_s=10.0, curves_interval_s=10.0
    )
    runner.run(request(SETTINGS.replace(steps=20)), wait=True)
    previews = [call[1] for call in events.names("preview")]
    assert previews == [1, 20], "the first step, then nothing until the last step"
    # curves: not at the first step (one point says nothing), only at the end with the whole
    # history
    curves = events.names("curves")
    assert len(curves) == 1 and len(curves[-1][1]) == 20


def test_curves_are_not_redrawn_in_a_runs_last_quarter():
    # a 0 s interval asks for curves at every step; from step 16 of 20 on only the end's drawing is
    # left
    runner, events, _built = make_runner(
        FakeTransfer(step_s=0.002), preview_interval_s=10.0, curves_interval_s=0.0
    )
    runner.run(request(SETTINGS.replace(steps=20)), wait=True)
    curves = events.names("curves")
    assert len(curves[-1][1]) == 20, "the end always draws the whole history"
    assert len(curves) == 15 + 1, "mid-run drawings at steps 1-15 only (3/4 of 20), then the end's"


def test_a_failing_run_reports_the_problem_and_frees_the_runner():
    def failing_load(size_px: int):
        raise ValueError("the picture is too thin")

    runner, events, _built = make_runner(FakeTransfer())
    finished = []
    runner.on_result(finished.append)
    with pytest.raises(ValueError, match="too thin"):
        runner.run(RunRequest("thin", "painting", failing_load, SETTINGS), wait=True)
    assert events.names("error") == [
        ("error", "The run could not finish: the picture is too thin")
    ]
    assert finished == [None] and not runner.running
    runner.run(
        RunRequest("thin", "painting", failing_load, SETTINGS)
    )  # in the background: reported, not raised
    assert runner.wait(timeout_s=5) is None and len(events.names("error")) == 2
    assert not runner.running


class WarmingTransfer(FakeTransfer):
    """A FakeTransfer whose warm_up blocks until ``release`` is set, recording what happened
    when."""

    def __init__(self):
        super().__init__()
        self.release = threading.Event()
        self.order: list[str] = []

    def warm_up(self, settings):
        self.order.append("warm_up started")
        assert self.release.wait(5.0), "the test never released the warm-up"
        self.order.append("warm_up done")

    def run(self, settings, *, callback, should_stop):
        self.order.append("run")
        return super().run(settings, callback=callback, should_stop=should_stop)


def test_prepare_builds_and_warms_up_once_and_a_run_pressed_meanwhile_waits_for_it():
    from labhelpers.panel.runner import wait_for_preparations

    transfer = WarmingTransfer()
    runner, events, built = make_runner(transfer)
    thread = runner.prepare(request())
    deadline = time.perf_counter() + 5.0
    while "warm_up started" not in transfer.order and time.perf_counter() < deadline:
        time.sleep(0.01)
    runner.run(
        request(SETTINGS.replace(style_weight=3.0))
    )  # Run pressed while preparing (background)
    time.sleep(0.2)
    assert transfer.order == ["warm_up started"], "the run must wait for the preparation"
    assert not wait_for_preparations(timeout_s=0.1)  # still preparing
    transfer.release.set()
    thread.join(5.0)
    assert wait_for_preparations(timeout_s=5.0)
    runner.wait(5.0)
    assert transfer.order == ["warm_up started", "warm_up done", "run"]
    assert len(built) == 1 and runner.transfers_built == 1  # the run used the prepared transfer
    assert transfer.runs[0]["style_weight"] == 3.0
    statuses = [call[1] for call in events.names("status")]
    assert not any(text.startswith("Ready") for text in statuses), (
        "no 'Ready' once a run was pressed"
    )


def test_prepare_says_ready_and_a_later_run_reuses_it():
    transfer = WarmingTransfer()
    transfer.release.set()
    runner, events, built = make_runner(transfer)
    assert runner.prepare(request(), wait=True) is None
    assert events.names("status")[-1][1].startswith("Ready")
    runner.run(request(), wait=True)
    assert transfer.order == ["warm_up started", "warm_up done", "run"] and len(built) == 1


def test_a_failed_preparation_is_reported_and_run_tries_again():
    runner, events, built = make_runner(FakeTransfer())
    calls = []

    def broken_load(size_px):
        calls.append(size_px)
        if len(calls) == 1:
            raise ValueError("the photo could not be read; choose another one.")
        return np.zeros((size_px, size_px, 3), np.float32), np.ones(
            (size_px, size_px, 3), np.float32
        )

    flaky = RunRequest("photo", "painting", broken_load, SETTINGS)
    assert runner.prepare(flaky, wait=True) is None  # never raises
    (error,) = events.names("error")
    assert (
        "choose another one. Check the pictures" in error[1]
        and "press Run to try again" in error[1]
    )
    assert runner.run(flaky, wait=True).history and len(built) == 1
