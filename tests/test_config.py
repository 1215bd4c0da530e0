"""config: environment switches and the quiet TensorFlow import (issue 14, case 11)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from labhelpers import config

from helpers import NOISE_MARKERS  # tests/helpers.py


def _run(code: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )


def test_tensorflow_through_labhelpers_prints_no_cuda_noise():
    """A CPU-only start shows no error-looking lines, and the network still runs."""
    result = _run(
        "from labhelpers.config import import_tensorflow\n"
        "tf = import_tensorflow()\n"
        "from labhelpers.network.extractor import build_feature_extractor\n"
        "e = build_feature_extractor('random', verbose=False)\n"
        "print(tuple(e(tf.zeros((16, 16, 3)))['block5_conv3'].shape))\n"
    )
    assert result.returncode == 0, result.stderr
    assert "(1, 1, 1, 512)" in result.stdout
    noisy = [line for line in result.stderr.splitlines() if any(m in line for m in NOISE_MARKERS)]
    assert not noisy, "\n".join(noisy)


@pytest.mark.skipif(not hasattr(os, "dup"), reason="needs file descriptors")
def test_real_errors_written_during_the_import_still_reach_stderr():
    """Only the known start-up lines are dropped: anything else written to fd 2 is replayed."""
    result = _run(
        "import os, sys\n"
        "from labhelpers import config\n"
        "with config.start_up_noise_filtered():\n"
        "    os.write(2, b'I0000 123 cudart_stub.cc:31] Could not find cuda drivers\\n')\n"
        "    os.write(2, b'E0000 failed call to cuInit: UNKNOWN ERROR (303)\\n')\n"
        "    os.write(2, b'Fatal: libsomething.so missing\\n')\n"
        "print('after', file=sys.stderr)\n"
    )
    assert "Fatal: libsomething.so missing" in result.stderr and "after" in result.stderr
    assert "cuInit" not in result.stderr and "cuda drivers" not in result.stderr


def test_the_noise_pattern_matches_the_lines_tensorflow_prints():
    """The lines seen on this course's CPU machines (issue 14), copied from a real start."""
    seen = [
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
        "I0000 00:00:1795585729.154530    5681 cudart_stub.cc:31] Could not find cuda drivers on "
        "your machine, GPU will not be used.",
        "E0000 00:00:1795585742.253559    5898 cuda_platform.cc:52] failed call to cuInit: "
        "INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)",
        "I0000 00:00:1796194863.805296    9181 port.cc:153] oneDNN custom operations are on. You "
        "may see slightly different numerical results due to floating-point round-off errors from "
        "different computation orders. To turn them off, set the environment variable "
        "`TF_ENABLE_ONEDNN_OPTS=0`.",
    ]
    assert all(config.STARTUP_NOISE.search(line) for line in seen)
    for line in (
        "Traceback (most recent call last):",
        "ImportError: libcudnn.so.9: cannot open",
        "E0000 op_kernel.cc:1840] OP_REQUIRES failed: Out of memory",
    ):
        assert not config.STARTUP_NOISE.search(line), line


def test_fast_mode_reads_the_variable(monkeypatch):
    for value, expected in (("1", True), ("yes", True), ("0", False), ("", False)):
        monkeypatch.setenv("LAB_FAST", value)
        assert config.fast_mode() is expected


@pytest.mark.parametrize(
    "argv",
    [
        ["features", "--size", "32", "--vgg-weights", "random"],
        ["stylize", "--size", "32", "--steps", "1", "--vgg-weights", "random", "-o", "out.png"],
    ],
)
def test_the_command_line_prints_no_cuda_noise(tmp_path, argv):
    """TensorFlow commands on a CPU machine: no E0000/cuInit lines on the screen."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "-m", "labhelpers", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    noisy = [line for line in result.stderr.splitlines() if any(m in line for m in NOISE_MARKERS)]
    assert not noisy, "\n".join(noisy)
