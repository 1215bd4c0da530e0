"""labhelpers.images.sources and the panel's file-name box: phone photos in Colab (issue 26).

Colab's ipywidgets 7.7.1 cannot upload files of 1 MB or more; the panel reads a photo the student
put into the working folder by name instead. Here with this environment's ipywidgets; the same
route in the simulated Colab runtime (ipywidgets 7.7.1) is in tests/colab.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labhelpers.images import ImageError, sources
from labhelpers.panel.sources import parse_upload

sys.path.insert(0, str(Path(__file__).parent))
from phone_photo import PHONE_PHOTO_BYTES, phone_photo_jpeg  # noqa: E402

ipywidgets = pytest.importorskip("ipywidgets")


@pytest.fixture(scope="module")
def photo() -> bytes:
    data = phone_photo_jpeg()
    assert len(data) >= PHONE_PHOTO_BYTES
    return data


def test_a_typed_file_name_gives_the_file_bytes(tmp_path, photo):
    (tmp_path / "IMG_1234.jpg").write_bytes(photo)
    for typed in ("IMG_1234.jpg", "  'IMG_1234.jpg' ", f'"{tmp_path / "IMG_1234.jpg"}"'):
        name, data = sources.read_named_picture(typed, folder=tmp_path)
        assert (name, data == photo) == ("IMG_1234.jpg", True)


def test_the_upload_value_is_what_the_panel_reads_from_its_upload_buttons(photo):
    value = sources.as_upload_value("IMG_1234.jpg", photo)
    assert parse_upload(value) == [("IMG_1234.jpg", photo)]


def test_a_missing_file_says_how_to_upload_it_in_colab(tmp_path):
    with pytest.raises(ImageError) as info:
        sources.read_named_picture("IMG_9999.jpg", folder=tmp_path)
    message = str(info.value)
    assert "There is no file 'IMG_9999.jpg'" in message and str(tmp_path) in message
    assert "Files sidebar" in message and "files.upload()" in message
    with pytest.raises(ImageError, match="Type the file name"):
        sources.read_named_picture("   ", folder=tmp_path)
    with pytest.raises(ImageError, match="is a folder"):
        sources.read_named_picture(".", folder=tmp_path)


def test_a_file_over_the_bound_is_refused_before_reading(tmp_path, monkeypatch):
    (tmp_path / "big.jpg").write_bytes(bytes(2_000_001))
    monkeypatch.setattr(sources, "MAX_FILE_BYTES", 2_000_000)
    with pytest.raises(ImageError, match="big.jpg is 2 MB; pictures of at most 2 MB"):
        sources.read_named_picture("big.jpg", folder=tmp_path)


def test_the_box_is_shown_in_colab_or_with_ipywidgets_7_only(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert sources.needs_name_box("7.7.1") is True
    assert sources.needs_name_box("8.1.5") is False
    monkeypatch.setitem(sys.modules, "google.colab", object())
    assert sources.needs_name_box("8.1.5") is True


def _panel(tmp_path):
    from labhelpers.panel.view import StyleTransferPanel

    return StyleTransferPanel(size=32, steps=4, background=True, output_dir=tmp_path)


def test_jupyterlab_keeps_only_the_upload_buttons(tmp_path, monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    if int(ipywidgets.__version__.split(".")[0]) < 8:
        pytest.skip("ipywidgets 7: the box is shown outside Colab too")
    panel = _panel(tmp_path)
    assert not hasattr(panel, "content_name") and not hasattr(panel, "style_load")
    assert isinstance(panel.content_upload, ipywidgets.FileUpload)


def test_in_colab_a_3_mb_phone_photo_reaches_the_panel_by_its_name(tmp_path, monkeypatch, photo):
    monkeypatch.setitem(sys.modules, "google.colab", object())
    monkeypatch.chdir(tmp_path)
    (tmp_path / "IMG_1234.jpg").write_bytes(photo)  # where Colab's Files sidebar puts it
    panel = _panel(tmp_path / "out")
    assert isinstance(panel.content_upload, ipywidgets.FileUpload)  # still there, for small files
    row = panel.widget.children[0].children
    assert panel.content_name in row and panel.content_load in row
    panel.content_name.value = "IMG_1234.jpg"
    panel.content_load.click()
    assert panel.content_choice.value == "upload:IMG_1234.jpg"
    assert (
        "Using the uploaded content picture IMG_1234.jpg (2400x1800 px, kept at 512x384 px"
        in panel.status.value
    )
    original = Image.open(tmp_path / "IMG_1234.jpg").convert("RGB")
    expected = np.asarray(original.resize((32, 24), Image.LANCZOS))
    shown = panel.pictures.load("content", panel.content_choice.value, 32)
    assert shown.shape == (24, 32, 3)
    assert float(np.abs(shown * 255 - expected).mean()) < 3  # the photo itself, not another one
    panel.style_name.value = "missing.jpg"
    panel.style_load.click()
    assert "There is no file &#x27;missing.jpg&#x27;" in panel.status.value  # HTML-escaped
    assert panel.style_choice.value != "upload:missing.jpg"
