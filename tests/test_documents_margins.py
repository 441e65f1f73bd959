"""Statement pages keep their text inside the margins (read back with poppler's pdftotext -bbox)."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date

import pytest

from conftest import ROOT
from sbb.allocate import allocate
from sbb.district import load_district
from sbb.documents import DocInfo, statements_pdf
from sbb.scenario import load_scenario

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")

MM = 72 / 25.4  # points per millimetre


def test_rounding_note_wraps_inside_the_right_margin(tmp_path):
    folder = ROOT / "sample_data" / "connecticut_ecs_style"
    s = load_scenario(ROOT / "scenarios" / "connecticut_ecs_style_transition.toml")
    d = load_district(folder / "schools.csv", s.weights, counts=folder / "counts.csv")
    a = allocate(d, s)
    path = tmp_path / "ct.pdf"
    path.write_bytes(statements_pdf(a, d, DocInfo.make("Connecticut ECS style", s.title, date(2026, 1, 5))))
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    page_w = float(re.search(r'<page width="([\d.]+)"', html).group(1))
    right = page_w - 16 * MM  # sbb.documents.page: 16 mm side margins (US letter: 612 - 45.35 pt)
    notes = 0
    for page in html.split("<page ")[1:]:
        words = [(w, float(x), float(y)) for y, x, w in
                 re.findall(r'yMin="([\d.]+)" xMax="([\d.]+)"[^>]*>([^<]*)</word>', page)]
        texts = [w for w, _, _ in words]
        starts = [i for i in range(len(texts) - 2) if texts[i:i + 3] == ["Each", "line", "uses"]]
        for i in starts:  # the note: from "Each line uses" to the end of its sentence about the exact base
            j = texts.index("exact", i)
            end = next(k for k in range(j, len(texts)) if texts[k] in ("cent.", "exactly.", "difference."))
            note = words[i:end + 1]
            notes += 1
            assert [(w, x) for w, x, _ in note if x > right + 0.5] == []
            assert len({y for _, _, y in note}) >= 2  # wrapped onto a second line
            text = " ".join(w for w, _, _ in note)
            assert "uses the exact base ($11,525.000000) and is rounded to the cent." in text
    assert notes == 3  # one statement page per town
