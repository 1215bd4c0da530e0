"""What a plain install gets: the bundled pictures as package data, identical to images/.

A plain (non-editable) ``pip install .`` copies only what the wheel lists, so the pictures must be
package data. CI also installs the wheel in a fresh venv and stylises from an empty folder
(test.sh, the Windows path's stage); these tests catch a broken set-up in seconds.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import labhelpers.images
from labhelpers.images.bundled import package_images_dir

ROOT = Path(__file__).resolve().parent.parent
TOP_LEVEL = ROOT / "images"
PACKAGE_DATA = ROOT / "labhelpers" / "images" / "data"
# The pictures the course ships, written out by hand (see images/CREDITS.md).
EXPECTED = {
    "CREDITS.md",
    *(
        f"content/{name}"
        for name in (
            "astronaut.png",
            "chelsea_cat.png",
            "cincinnati_bridge.jpg",
            "grace_hopper.jpg",
            "honey_bee.jpg",
            "raccoon.jpg",
        )
    ),
    *(
        f"style/{name}"
        for name in (
            "van_gogh_cafe_terrace_at_night.jpg",
            "van_gogh_night_cafe.jpg",
            "van_gogh_starry_night.jpg",
        )
    ),
}


def _digests(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_package_data_is_a_copy_of_the_top_level_images_folder():
    top, packaged = _digests(TOP_LEVEL), _digests(PACKAGE_DATA)
    assert set(top) == EXPECTED, "images/ should hold exactly the pictures named in CREDITS.md"
    differ = sorted(
        name for name in top.keys() | packaged.keys() if top.get(name) != packaged.get(name)
    )
    assert not differ, (
        f"images/ and labhelpers/images/data/ differ in {differ}: the package ships its copy, so "
        "change both together (copy images/ over labhelpers/images/data/)."
    )


def test_package_images_dir_is_the_data_folder_beside_the_module(monkeypatch):
    monkeypatch.delenv("LAB_IMAGES_DIR", raising=False)
    expected = Path(labhelpers.images.__file__).resolve().parent / "data"
    assert package_images_dir().resolve() == expected
    from labhelpers.config import images_dir

    assert images_dir().resolve() == expected


def test_the_wheel_carries_the_pictures(tmp_path):
    """Build the wheel from a clean copy (as a fresh clone has no build/ or *.egg-info, whose
    SOURCES.txt would otherwise add files) with the venv's setuptools (no network); list it."""
    pytest.importorskip("setuptools")
    source = tmp_path / "source"
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    shutil.copytree(ROOT / "labhelpers", source / "labhelpers", ignore=skip)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-q",
            "-w",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = tmp_path.glob("labhelpers-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    shipped = {
        name.split("labhelpers/images/data/", 1)[1]
        for name in names
        if name.startswith("labhelpers/images/data/")
    }
    assert shipped == EXPECTED, f"the wheel's pictures: {sorted(shipped)}"
    assert any(
        name.endswith(".dist-info/LICENSE") or "/licenses/LICENSE" in name for name in names
    )
