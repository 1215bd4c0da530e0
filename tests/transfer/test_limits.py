"""labhelpers.transfer.limits: thin pictures and memory, checked with given numbers
(no network)."""

from __future__ import annotations

import pytest

from labhelpers.transfer.limits import (
    BASE_BYTES,
    RUN_BYTES_PER_PIXEL,
    check_memory,
    check_min_side,
    estimate_run_bytes,
    largest_size_that_fits,
)

DEFAULT_STYLE = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"]


def test_estimate_and_largest_size_agree_by_hand():
    assert estimate_run_bytes((100, 200)) == BASE_BYTES + RUN_BYTES_PER_PIXEL * 20_000
    room = BASE_BYTES + RUN_BYTES_PER_PIXEL * 1000 * 1000
    assert largest_size_that_fits(room) == 1000  # a square of 1000 x 1000 fits exactly
    assert largest_size_that_fits(room, aspect=0.25) == 2000  # 2000 x 500: the same pixels
    assert largest_size_that_fits(room - 1) == 999
    assert largest_size_that_fits(BASE_BYTES // 2) == 0
    # measured peaks (limits' docstring table) stay below the estimate
    for side, peak_mb in ((128, 898), (256, 1245), (384, 1685), (512, 2184), (768, 3557)):
        assert estimate_run_bytes((side, side)) > 1.1 * peak_mb * 2**20


def test_check_memory_names_the_largest_size_that_fits():
    four_gb = 4 * 2**30
    check_memory((171, 256), 256, available_bytes=four_gb)  # fine: nothing raised
    with pytest.raises(ValueError) as info:
        check_memory((13304, 20000), 20000, available_bytes=four_gb)
    fits = largest_size_that_fits(four_gb, 13304 / 20000)
    assert str(info.value) == (
        f"size=20000 needs about {estimate_run_bytes((13304, 20000)) / 2**30:.1f} GB of memory "
        "(20000x13304 px), but only 4.0 GB is available. The largest size that fits is about "
        f"size={fits} (or free memory by closing other programs)."
    )
    assert estimate_run_bytes((round(fits * 13304 / 20000), fits)) <= four_gb
    with pytest.raises(ValueError, match="Not even a small picture fits"):
        check_memory((64, 64), 64, available_bytes=BASE_BYTES // 2)


def test_check_min_side_needs_2_to_the_pools():
    check_min_side((16, 400), DEFAULT_STYLE, 400, (160, 4000))  # exactly 16 px: fine
    with pytest.raises(ValueError) as info:
        check_min_side((15, 400), DEFAULT_STYLE, 400, (150, 4000))
    message = str(info.value)
    assert (
        "it becomes 400x15 px" in message and "at least 16 px" in message and "4 times" in message
    )
    assert "Use size=427 or larger" in message  # ceil(16 * 4000 / 150)
    check_min_side((2, 400), ["block1_conv1", "block2_conv1"], 400, (2, 400))  # block2 needs 2 px
    with pytest.raises(
        ValueError, match="layer block3_conv1 needs a shorter side of at least 4 px"
    ):
        check_min_side((3, 400), ["block1_conv1", "block3_conv1"], 400, (3, 400))


def test_a_size_too_large_for_memory_is_not_advised():
    with pytest.raises(ValueError) as info:
        check_min_side((1, 64), DEFAULT_STYLE, 64, (5000, 8), largest_size=1976)
    message = str(info.value)
    assert (
        "A size of 10000 is more than this computer can take (about size=1976 at most" in message
    )
    assert (
        "so crop the picture to a less elongated shape (at most about 4:1 at size=64)" in message
    )
    assert "Use size=" not in message
    with pytest.raises(ValueError, match="Use size=10000 or larger"):
        check_min_side((1, 64), DEFAULT_STYLE, 64, (5000, 8), largest_size=20000)


# --------------------------------------------------------------------------- available memory
# (psutil first, so that Windows and macOS get the check too; /proc/meminfo only without it)


def _meminfo_available() -> int | None:
    """MemAvailable read straight from /proc/meminfo (Linux), bytes: the independent reference."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            fields = dict(line.split(":", 1) for line in handle)
    except OSError:
        return None
    return int(fields["MemAvailable"].split()[0]) * 1024


def test_available_memory_comes_from_psutil(monkeypatch):
    import sys
    import types

    from labhelpers.transfer import limits

    fake = types.ModuleType("psutil")
    fake.virtual_memory = lambda: types.SimpleNamespace(available=3 * 2**30 + 12345)
    monkeypatch.setitem(sys.modules, "psutil", fake)
    assert limits.available_memory_bytes() == 3 * 2**30 + 12345


def test_available_memory_matches_the_system_within_a_few_percent():
    psutil = pytest.importorskip("psutil")
    from labhelpers.transfer.limits import available_memory_bytes

    reference = _meminfo_available() or psutil.virtual_memory().available
    measured = available_memory_bytes()
    assert measured is not None and abs(measured - reference) <= 0.05 * reference + 64 * 2**20


def test_available_memory_without_psutil_reads_meminfo_on_linux(monkeypatch):
    import sys

    from labhelpers.transfer import limits

    reference = _meminfo_available()
    if reference is None:
        pytest.skip("no /proc/meminfo (not Linux)")
    monkeypatch.setitem(sys.modules, "psutil", None)  # import psutil -> ImportError
    measured = limits.available_memory_bytes()
    assert measured is not None and abs(measured - reference) <= 0.05 * reference + 64 * 2**20
