"""labhelpers.device: what this computer is, and one evaluation timed on it."""

from __future__ import annotations

from labhelpers import device


def test_device_summary_and_timing(random_extractor):
    info = device.device_summary()
    assert {"tensorflow", "keras", "python", "cpu_cores", "gpus"} <= set(info)
    assert info["cpu_cores"] >= 1
    timing = device.time_evaluation(32, random_extractor, repeats=2)
    assert timing["seconds_per_evaluation"] > 0 and timing["setup_seconds"] > 0
