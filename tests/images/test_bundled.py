"""The bundled pictures: names, kinds, close-match suggestions, every file loads."""

from __future__ import annotations

import numpy as np
import pytest

from labhelpers import images as li
from labhelpers.config import images_dir
from labhelpers.images import ImageError, load_image

from .pictures import rgb_image, write

# The pictures the course ships (see images/CREDITS.md); written out by hand on purpose.
EXPECTED_CONTENT = [
    "astronaut",
    "chelsea_cat",
    "cincinnati_bridge",
    "grace_hopper",
    "honey_bee",
    "raccoon",
]
EXPECTED_STYLE = ["van_gogh_cafe_terrace_at_night", "van_gogh_night_cafe", "van_gogh_starry_night"]

# ----------------------------------------------------------------------------------------------
# bundled images
# ----------------------------------------------------------------------------------------------


def test_list_images_finds_the_bundled_pictures():
    found = li.list_images()
    assert found == {"content": EXPECTED_CONTENT, "style": EXPECTED_STYLE}
    assert li.list_images("content") == EXPECTED_CONTENT
    assert li.list_images("style") == EXPECTED_STYLE


def test_every_bundled_picture_loads():
    for kind, names in li.list_images().items():
        for name in names:
            loaded = load_image(f"{kind}/{name}", max_size=64)
            assert loaded.dtype == np.float32 and loaded.ndim == 3 and loaded.shape[2] == 3
            assert max(loaded.shape[:2]) == 64 and min(loaded.shape[:2]) >= 32
            assert 0.0 <= loaded.min() and loaded.max() <= 1.0 and loaded.std() > 0.05


def test_gpl_paintings_are_not_bundled():
    names = [p.name for p in (images_dir() / "style").iterdir()]
    for left_out in (
        "hokusai_great_wave",
        "kandinsky_composition_viii",
        "renoir_moulin_de_la_galette",
    ):
        assert not any(name.startswith(left_out) for name in names)


def test_credits_mention_every_bundled_file():
    credits = (images_dir() / "CREDITS.md").read_text(encoding="utf-8")
    for kind in ("content", "style"):
        for path in (images_dir() / kind).iterdir():
            assert f"`{path.name}`" in credits, f"{kind}/{path.name} has no entry in CREDITS.md"


def test_defaults_exist():
    assert li.DEFAULT_CONTENT == li.default_content() == "chelsea_cat"
    assert li.DEFAULT_STYLE == li.default_style() == "van_gogh_starry_night"
    assert li.default_content() in li.list_images("content")
    assert li.default_style() in li.list_images("style")
    assert load_image(li.default_content()).shape == (300, 451, 3)
    style = load_image(li.default_style())
    assert style.shape == (552, 704, 3)  # the scan's 752x600 less its 24 px frame
    edges = [style[:3], style[-3:], style[:, :3], style[:, -3:]]
    assert min(float(edge.mean()) for edge in edges) > 0.1, "the black frame of the scan is back"


def test_list_images_bad_kind():
    with pytest.raises(ImageError, match="'content', 'style'"):
        li.list_images("paintings")


@pytest.mark.parametrize(
    "name, kind, expected",
    [
        ("astronaut", None, "content/astronaut.png"),
        ("astronaut.png", None, "content/astronaut.png"),
        ("content/astronaut", None, "content/astronaut.png"),
        ("Chelsea_Cat", None, "content/chelsea_cat.png"),
        ("style/van_gogh_starry_night", None, "style/van_gogh_starry_night.jpg"),
        ("van_gogh_starry_night.jpg", "style", "style/van_gogh_starry_night.jpg"),
    ],
)
def test_image_path_resolves(name, kind, expected):
    assert li.image_path(name, kind) == (images_dir() / expected).resolve()


def test_image_path_unknown_name_lists_names_and_close_matches():
    with pytest.raises(ImageError) as info:
        li.image_path("starry_night")
    message = str(info.value)
    assert "'van_gogh_starry_night'" in message and "raccoon" in message


def test_image_path_kind_conflicts_and_wrong_folder():
    with pytest.raises(ImageError, match="drop one"):
        li.image_path("content/astronaut", kind="style")
    with pytest.raises(ImageError):
        li.image_path("astronaut", kind="style")
    with pytest.raises(ImageError, match="'content' or 'style'"):
        li.image_path("pictures/astronaut")


def test_image_path_ambiguous_and_custom_folder(tmp_path, monkeypatch):
    for kind in ("content", "style"):
        (tmp_path / kind).mkdir()
        write(tmp_path / kind / "same.png", rgb_image(8, 8))
    (tmp_path / "content" / "readme.txt").write_text("not an image")
    monkeypatch.setenv("LAB_IMAGES_DIR", str(tmp_path))
    assert li.list_images() == {"content": ["same"], "style": ["same"]}
    with pytest.raises(ImageError, match="several"):
        li.image_path("same")
    assert li.image_path("same", kind="style") == (tmp_path / "style" / "same.png").resolve()


def test_missing_images_folder_gives_empty_lists(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_IMAGES_DIR", str(tmp_path / "nowhere"))
    assert li.list_images() == {"content": [], "style": []}
    with pytest.raises(ImageError, match="nowhere"):
        li.image_path("astronaut")
