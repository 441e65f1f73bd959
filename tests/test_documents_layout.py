"""The statements' layout, read back from the PDF itself: no two words on a line overlap, every word
and every drawn mark stays inside the 16 mm side margins, a headline value stays inside its box.

Words come from poppler's `pdftotext -bbox` (points); drawn marks (the per-school chart's bars and
outlines) from the page rendered to grey pixels by `pdftoppm`: the side margins must be blank paper.
Run on the statements (and Connecticut's handout) with the real-formula keys that used to collide: Connecticut (multiplier, extra amounts, a
transition), Minnesota (a concentration ramp) and the sample's theory of action (long scenario values).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT
from sbb.allocate import allocate
from sbb.district import load_district
from sbb.documents import DocInfo, handout_pdf, statements_pdf
from sbb.scenario import load_scenario

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
                                reason="poppler-utils is not installed")

MM = 72 / 25.4  # points per millimetre
SIDE = 16 * MM  # sbb.documents.page: 16 mm left and right margins
DAY = date(2026, 11, 30)
CASES = {  # name: (data folder, scenario file, schools to print or None for all)
    "connecticut": ("connecticut_ecs_style", "connecticut_ecs_style_transition.toml", None),
    "minnesota": ("minnesota_fy2022", "minnesota_compensatory_fy2022.toml", ["1-01-001", "16-01-780"]),
    "theory_of_action": (".", "theory_of_action.toml", ["S042"]),
    "connecticut_handout": ("connecticut_ecs_style", "connecticut_ecs_style_transition.toml", None),
}


def _pdf(name: str, tmp_path: Path) -> Path:
    folder, scenario, schools = CASES[name]
    s = load_scenario(ROOT / "scenarios" / scenario)
    data = ROOT / "sample_data" / folder
    d = load_district(data / "schools.csv", s.weights, counts=data / "counts.csv")
    path = tmp_path / f"{name}.pdf"
    a, info = allocate(d, s), DocInfo.make(name, s.title, DAY)
    path.write_bytes(handout_pdf(a, d, info) if name.endswith("handout") else statements_pdf(a, d, info, schools))
    return path


def _words(path: Path) -> tuple[float, list[tuple[int, float, float, float, str]]]:
    """The page width and every word as (page, xMin, yMin, xMax, text), in points."""
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    width = float(re.search(r'<page width="([\d.]+)"', html).group(1))
    words = [(page, float(x0), float(y0), float(x1), w)
             for page, part in enumerate(html.split("<page ")[1:])
             for x0, y0, x1, w in re.findall(
                 r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', part)]
    return width, words


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("layout")
    return {name: _pdf(name, tmp) for name in CASES}


@pytest.mark.parametrize("name", list(CASES))
def test_words_on_a_line_never_overlap(documents, name):
    """Connecticut's 'Kept above the formula: floor, transition' ran into its '0.0% of a loss this
    year', and the summary's 'Low income concentration, per pupil above 60% of pupils (added)' into its
    weight '0.15': on every line of every page, each word ends before the next one starts."""
    _, words = _words(documents[name])
    lines: dict[tuple[int, int], list] = {}
    for page, x0, y0, x1, w in words:
        lines.setdefault((page, round(y0)), []).append((x0, x1, w))
    for key, ws in lines.items():
        ws.sort()
        for (a0, a1, aw), (b0, b1, bw) in zip(ws, ws[1:]):
            assert a1 <= b0 + 0.5, (name, key, aw, bw)
    texts = {w for *_, w in words}
    if name == "connecticut":  # the cells that collided are still printed, whole
        assert {"transition", "0.0%", "0.15", "concentration,"} <= texts


@pytest.mark.parametrize("name", list(CASES))
def test_words_stay_inside_the_side_margins(documents, name):
    width, words = _words(documents[name])
    outside = [(page, w, round(x0 / MM, 1), round(x1 / MM, 1)) for page, x0, _, x1, w in words
               if x0 < SIDE - 0.5 or x1 > width - SIDE + 0.5]
    assert outside == []


def _grey_pages(path: Path, tmp: Path, dpi: int = 50) -> list[np.ndarray]:
    """Each page as a grey image (0 black .. 255 white), rows x columns."""
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(path), str(tmp / "p")], check=True)
    images = []
    for f in sorted(tmp.glob("p*.pgm")):
        data = f.read_bytes()
        magic, w, h, top, rest = data.split(maxsplit=4)
        assert magic == b"P5" and top == b"255"
        images.append(np.frombuffer(rest[: int(w) * int(h)], dtype=np.uint8).reshape(int(h), int(w)))
    return images


@pytest.mark.parametrize("name", list(CASES))
def test_drawings_stay_inside_the_side_margins(documents, name, tmp_path):
    """The per-school chart's 'held back' outline ran past the right margin when the multiplier line
    was negative (Town One: grades $11,525,000 + needs $2,881,250 = $14,406,250 drawn on a scale made
    for $7.2M). Rendered at 50 dpi, the side margins less 1.5 mm for anti-aliasing are blank paper on
    every page: every bar, outline and label lies inside the margins."""
    dpi = 50
    px = dpi / 25.4  # pixels per millimetre
    pages = _grey_pages(documents[name], tmp_path, dpi)
    assert len(pages) == {"connecticut": 4, "minnesota": 3, "theory_of_action": 2, "connecticut_handout": 2}[name]
    inked = []
    for k, img in enumerate(pages):
        width_mm = img.shape[1] / px  # 215.9 mm, US letter
        left = int((16 - 1.5) * px)
        right = int(np.ceil((width_mm - 16 + 1.5) * px))
        inked += [(k + 1, "left")] if img[:, :left].min() < 255 else []
        inked += [(k + 1, "right")] if img[:, right:].min() < 255 else []
    assert inked == []  # (page, margin) with ink in it


def test_connecticut_change_stays_inside_its_box(documents):
    """Town One's Change box, '+$114,765.63 (+1.64%)' (114,765.63 / 7,000,000 = 1.6395%): it spilled
    out of its card. Three boxes share 183.9 mm (215.9 - 2 x 16) with 3 mm gaps, each
    (183.9 - 6) / 3 = 59.3 mm wide; the third starts at 16 + 2 x 62.3 = 140.6 mm and its text keeps
    2.5 mm of padding, so it ends by 140.6 + 59.3 - 2.5 = 197.4 mm."""
    _, words = _words(documents["connecticut"])
    (page, x0, _, x1, _), = [w for w in words if w[4] == "(+1.64%)"]
    assert page == 1
    assert x0 >= 140.6 * MM and x1 <= 197.4 * MM + 0.3


def test_an_example_district_is_named_by_its_manifest_title_on_documents(tmp_path):
    """The CLI's default district name for a shipped example is its manifest's title, as in the app; a
    schools file with no manifest beside it keeps the name made from its folder."""
    from sbb.documents import district_label

    assert district_label(ROOT / "sample_data" / "connecticut_ecs_style" / "schools.csv") == \
        "Connecticut ECS-style transition"          # title in sample_data/connecticut_ecs_style/district.toml
    (tmp_path / "springfield").mkdir()
    assert district_label(tmp_path / "springfield" / "schools.csv") == "Springfield"
