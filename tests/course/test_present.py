"""The presenter's kit: ``python -m labhelpers html`` builds a lesson's executed HTML with its
pictures embedded and no solution code; ``slides`` exports every figure at slide size."""

from __future__ import annotations

import base64
import re

import nbformat
import pytest

from labhelpers.__main__ import main
from labhelpers.config import REPO_ROOT
from labhelpers.course.present import SLIDE_WIDTH_PX, chosen_lessons, png_size

pytestmark = pytest.mark.notebooks

LESSON = "03_style_loss"


def _figure_outputs_expected() -> int:
    """Cells of the lesson that draw a figure (matplotlib's ``;`` or a plot helper): at least."""
    notebook = nbformat.read(REPO_ROOT / "notebooks" / f"{LESSON}.ipynb", as_version=4)
    return sum(
        1
        for cell in notebook.cells
        if cell.cell_type == "code"
        and re.search(r"(image_grid|compare_grams|plot_\w+)\(", cell.source)
    )


def test_html_of_a_lesson_has_its_pictures_and_no_solutions(tmp_path):
    out = tmp_path / "html"
    assert main(["html", str(out), "--fast", "--lesson", LESSON]) == 0
    page = (out / f"{LESSON}.html").read_text(encoding="utf-8")
    pictures = re.findall(r'<img[^>]+src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(pictures) >= _figure_outputs_expected() >= 3
    for picture in pictures:
        width, height = png_size(base64.b64decode(picture))
        assert width > 50 and height > 50
    assert "Style as correlations" in page  # the lesson's title
    assert "Traceback" not in page and "exercises.solutions" not in page
    assert "not implemented yet" in page  # the checkers ran on the untouched exercises
    assert f'href="{LESSON}.html"' in (out / "index.html").read_text()


def test_slides_are_slide_size(tmp_path):
    out = tmp_path / "slides"
    assert main(["slides", str(out), "--fast", "--lesson", "03"]) == 0
    pngs = sorted((out / LESSON).glob("*.png"))
    assert len(pngs) >= _figure_outputs_expected()
    for path in pngs:
        width, _ = png_size(path.read_bytes())
        assert width >= SLIDE_WIDTH_PX >= 1024, (path.name, width)
    index = (out / "index.md").read_text()
    assert all(path.name in index for path in pngs)


def test_out_must_be_new_and_lessons_are_found_not_listed(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["html", str(tmp_path), "--fast"]) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
    found = [p.stem for p in chosen_lessons(None, REPO_ROOT / "notebooks")]
    assert found == sorted(p.stem for p in (REPO_ROOT / "notebooks").glob("*.ipynb"))
    with pytest.raises(ValueError, match="no lesson '99'"):
        chosen_lessons(["99"], REPO_ROOT / "notebooks")


def test_a_small_figure_is_enlarged_and_a_live_frame_is_listed_not_exported(tmp_path):
    """A lab of one notebook: a 2-inch-wide figure comes out >= SLIDE_WIDTH_PX px wide after
    the tight crop; a 90 px picture that is no figure is named in index.md, not exported."""
    from labhelpers.course.present import export_slides

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("## A small plot"),
        nbformat.v4.new_code_cell(
            "import matplotlib.pyplot as plt\n"
            "fig, ax = plt.subplots(figsize=(2, 1.5))\n"
            "ax.imshow([[0, 1], [2, 3]]); fig.colorbar(ax.images[0]);"
        ),
        nbformat.v4.new_markdown_cell("## A live frame"),
        nbformat.v4.new_code_cell(
            "import io, PIL.Image\nfrom IPython.display import Image, display\n"
            "buffer = io.BytesIO(); PIL.Image.new('RGB', (90, 60)).save(buffer, 'png')\n"
            "display(Image(buffer.getvalue()))"
        ),
    ]
    (tmp_path / "lab" / "notebooks").mkdir(parents=True)
    nbformat.write(notebook, tmp_path / "lab" / "notebooks" / "01_small.ipynb")
    written = export_slides(tmp_path / "out", fast=True, lab=tmp_path / "lab", time_limit=300)
    assert [p.name for p in written] == ["01_small-cell01-1.png"]
    assert png_size(written[0].read_bytes())[0] >= SLIDE_WIDTH_PX
    index = (tmp_path / "out" / "index.md").read_text()
    assert "| cell 3 of 01_small | 90 x 60 | A live frame |" in index
    assert "| `01_small/01_small-cell01-1.png` |" in index and "A small plot |" in index
