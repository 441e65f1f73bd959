"""Page furniture shared by the PDF documents: fonts, colours, the running header and footer.

Every page names the district, the scenario, the date and the tool's version (header and footer).
Pages are US Letter, portrait, in millimetres. Text uses DejaVu Sans when the system has it (any
school name prints); otherwise the PDF core font Helvetica, with characters it cannot print
replaced by '?'.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from ..version import tool_version

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/local/share/fonts"))

# Okabe & Ito's colour-blind-safe palette: blue for gains, vermillion for losses; the sign and the
# words carry the meaning too.
INK = (17, 17, 17)
MUTED = (90, 96, 104)
RULE = (190, 196, 204)
NAVY = (31, 56, 100)
GAIN = (0, 114, 178)
LOSS = (213, 94, 0)
LAST_YEAR = (160, 168, 176)
SHADE = (238, 242, 247)
PARTS = [(0, 114, 178), (86, 180, 233), (0, 158, 115), (230, 159, 0), (204, 121, 167), (120, 120, 120)]
GAIN_HEX, LOSS_HEX, LAST_YEAR_HEX, SCENARIO_HEX = "#0072B2", "#D55E00", "#A0A8B0", "#1F3864"


@dataclass(frozen=True)
class DocInfo:
    """What every page names: the district, the scenario, the date (ISO) and the tool version."""

    district: str
    scenario: str
    date: str
    version: str

    @classmethod
    def make(cls, district: str, scenario: str, date: dt.date | None = None) -> "DocInfo":
        return cls(district, scenario, (date or dt.date.today()).isoformat(), tool_version())


def district_label(schools_path: str | Path) -> str:
    """A district's name from its schools file when none is given: the title of a shipped example's
    `district.toml` beside it (as the app names it), else the file's name, or its folder's when the file
    is just 'schools' ('springfield/schools.csv' -> 'Springfield'; the shipped 'sample_data/schools.csv'
    -> 'Sample district')."""
    path = Path(str(schools_path))
    title = _manifest_title(path)
    if title:
        return title
    stem = path.stem if path.stem.lower() not in ("schools", "school") else (path.resolve().parent.name or path.stem)
    if stem == "sample_data":
        return "Sample district"  # the shipped synthetic district
    text = stem.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def _manifest_title(schools: Path) -> str | None:
    """The `title` of the example manifest beside `schools` when that manifest names this schools file."""
    import tomllib

    manifest = schools.parent / "district.toml"
    try:
        doc = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    if str(doc.get("schools", "")) != schools.name or not isinstance(doc.get("title"), str):
        return None
    return doc["title"].strip() or None


def _font_files() -> tuple[Path, Path] | None:
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


class Document(FPDF):
    """An FPDF document with the running header (district, scenario, document title) and footer
    (date, tool version, page x of y)."""

    def __init__(self, info: DocInfo, title: str):
        super().__init__(orientation="portrait", unit="mm", format="letter")
        self.info, self.doc_title = info, title
        self.alias_nb_pages("{pages_in_all}")  # room for a 5-digit page count
        self.set_margins(16, 18, 16)
        self.set_auto_page_break(True, margin=16)
        files = _font_files()
        if files:
            self.add_font("Sans", "", str(files[0]))
            self.add_font("Sans", "B", str(files[1]))
            self.family, self.unicode = "Sans", True
        else:
            self.family, self.unicode = "Helvetica", False
        self.set_title(f"{title}: {info.scenario}")
        self.set_author(info.district)
        self.set_creator(info.version)
        self.set_creation_date(dt.datetime.now(dt.timezone.utc))

    def text_of(self, text: str) -> str:
        """Text the current font can print."""
        text = str(text)
        if self.unicode:
            return text
        text = text.replace("\u2014", "-").replace("\u2013", "-").replace("\u2212", "-").replace("\u00d7", "x")
        return text.encode("latin-1", "replace").decode("latin-1")

    def fit(self, text: str, width: float) -> str:
        """`text` shortened with an ellipsis to fit `width` mm in the current font."""
        text = self.text_of(text)
        if self.get_string_width(text) <= width:
            return text
        dots = "..." if not self.unicode else "\u2026"
        while text and self.get_string_width(text + dots) > width:
            text = text[:-1]
        return text.rstrip() + dots

    def wrap(self, text: str, width: float) -> list[str]:
        """`text` broken at spaces into lines that each fit `width` mm in the current font (a word
        longer than the width gets a line of its own, shortened with `fit`). Word by word with the
        font's own widths: far cheaper than `multi_cell`'s layout."""
        lines: list[str] = []
        current = ""
        for word in self.text_of(text).split():
            trial = f"{current} {word}" if current else word
            if current and self.get_string_width(trial) > width:
                lines.append(current)
                trial = word
            current = trial
        if current:
            lines.append(current)
        return [ln if self.get_string_width(ln) <= width else self.fit(ln, width) for ln in lines]

    def font(self, size: float, bold: bool = False, color=INK) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.set_text_color(*color)

    def header(self) -> None:
        self.font(7.5, color=MUTED)
        self.set_xy(self.l_margin, 7)
        width = self.w - self.l_margin - self.r_margin
        right = self.get_string_width(self.text_of(self.doc_title)) + 4
        self.cell(width - right, 4, self.fit(f"{self.info.district}  |  {self.info.scenario}", width - right - 2))
        self.cell(right, 4, self.text_of(self.doc_title), align="R")
        self.set_draw_color(*RULE)
        self.line(self.l_margin, 12, self.w - self.r_margin, 12)
        self.set_xy(self.l_margin, self.t_margin)

    def footer(self) -> None:
        self.set_y(-11)
        self.font(7.5, color=MUTED)
        width = self.w - self.l_margin - self.r_margin
        self.cell(width / 2, 4, self.text_of(f"Prepared {self.info.date} with {self.info.version}"))
        self.cell(width / 2, 4, f"page {self.page_no()} of {{pages_in_all}}", align="R")

    # --- small layout helpers --------------------------------------------------------------------

    @property
    def width(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def title_block(self, title: str, subtitle: str = "") -> None:
        self.font(17, bold=True, color=NAVY)
        # ragged right: a justified title stretched 'ECS-style   transition:   56.5%' across the page
        self.multi_cell(self.width, 7.5, self.text_of(title), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if subtitle:
            self.font(10.5, color=MUTED)
            self.multi_cell(self.width, 5, self.text_of(subtitle), align="L", new_x=XPos.LMARGIN,
                            new_y=YPos.NEXT)
        self.ln(2)

    def section(self, text: str) -> None:
        self.ln(2)
        self.font(11.5, bold=True, color=NAVY)
        self.cell(self.width, 6, self.text_of(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*NAVY)
        self.line(self.l_margin, self.get_y(), self.l_margin + self.width, self.get_y())
        self.ln(1.2)

    def paragraph(self, text: str, size: float = 9.5, color=INK, height: float = 4.4) -> None:
        self.font(size, color=color)
        self.multi_cell(self.width, height, self.text_of(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def row(self, cells: list[str], widths: list[float], aligns: str, *, bold: bool = False, size: float = 9.5,
            height: float = 5.6, fill=None, color=INK, rule: bool = False) -> None:
        """One table row; `aligns` has one letter (L, R, C) per cell. A cell's text that is wider than
        its cell (less the padding) is set smaller, down to 80% of `size`, and if it still does not fit
        it is broken into lines at `size` and the row grows to hold them: no text ever runs into the
        next cell or past the margin."""
        pad = self.c_margin
        cells = [self.text_of(c) for c in cells]
        # a cell too narrow for its text may also use the empty cells beside it (a left-aligned cell
        # those to its right, a right-aligned one those to its left not already taken)
        self.font(size, bold=bold, color=color)
        reach = list(widths)
        over = [bool(c) and self.get_string_width(c) > w - 2 * pad for c, w in zip(cells, widths)]
        taken = [False] * len(cells)
        for i, a in enumerate(aligns):
            j = i + 1
            while a == "L" and over[i] and j < len(cells) and not cells[j] and not taken[j]:
                reach[i] += widths[j]
                taken[j] = True
                j += 1
        for i, a in enumerate(aligns):
            j = i - 1
            while a == "R" and over[i] and j >= 0 and not cells[j] and not taken[j]:
                reach[i] += widths[j]
                taken[j] = True
                j -= 1
        fitted: list[tuple[list[str], float]] = []  # each cell's lines and font size
        for text, w in zip(cells, reach):
            room = max(w - 2 * pad, 1.0)
            self._fitted(text, size, room, max(size * 0.8, 6.0), bold=bold, color=color)
            if self.get_string_width(text) <= room:
                fitted.append(([text] if text else [], self.font_size_pt))
            else:
                self.font(size, bold=bold, color=color)
                fitted.append((self.wrap(text, room), size))
        lines = max([len(ls) for ls, _ in fitted] + [1])
        step = size * 0.3528 * 1.2  # one line's height in mm (points to mm, 1.2 leading)
        height = max(height, height + (lines - 1) * step)
        x0, y0 = self.l_margin, self.get_y()
        if y0 + height > self.page_break_trigger:
            self.add_page()
            x0, y0 = self.l_margin, self.get_y()
        if fill is not None:
            self.set_fill_color(*fill)
            self.rect(x0, y0, sum(widths), height, style="F")
        # text() places each string directly (no line-breaking machinery): most of a page's cost
        x = x0
        for (texts, pt), w, a in zip(fitted, widths, aligns):
            self.font(pt, bold=bold, color=color)
            first = y0 + (height - (len(texts) - 1) * step) / 2 + self.font_size * 0.35
            for k, text in enumerate(texts):
                if a == "R":
                    at = x + w - pad - self.get_string_width(text)
                elif a == "C":
                    at = x + (w - self.get_string_width(text)) / 2
                else:
                    at = x + pad
                self.text(at, first + k * step, text)
            x += w
        self.set_xy(x0, y0 + height)
        if rule:
            self.set_draw_color(*RULE)
            self.line(x0, self.get_y(), x0 + sum(widths), self.get_y())

    def figures(self, items: list[tuple[str, str]], columns: int = 3, value_size: float = 15) -> None:
        """Headline numbers in boxes: label above, value below, `columns` to a row."""
        gap = 3.0
        box_w = (self.width - gap * (columns - 1)) / columns
        box_h = 15.5
        top = self.get_y()
        for k, (label, value) in enumerate(items):
            col, line = k % columns, k // columns
            x, y = self.l_margin + col * (box_w + gap), top + line * (box_h + gap)
            self.set_fill_color(*SHADE)
            self.rect(x, y, box_w, box_h, style="F")
            self.set_xy(x + 2.5, y + 1.8)
            room = box_w - 5 - 2 * self.c_margin  # cell() pads its text by c_margin on each side
            self._fitted(label, 8, room, 6, color=MUTED)
            self.cell(box_w - 5, 4, self.fit(label, room))
            self.set_xy(x + 2.5, y + 6.2)
            self._fitted(value, value_size, room, 7, bold=True, color=NAVY)
            self.cell(box_w - 5, 7.5, self.fit(value, room))
        lines = (len(items) + columns - 1) // columns
        self.set_xy(self.l_margin, top + lines * (box_h + gap))

    def _fitted(self, text: str, size: float, width: float, smallest: float, bold: bool = False, color=INK) -> None:
        """Set the font at `size` points, or smaller (down to `smallest`) until `text` fits in `width` mm:
        a long value ('$1,519,709 (12.3%)') or school name ran into the next box."""
        while True:
            self.font(size, bold=bold, color=color)
            if size <= smallest or self.get_string_width(self.text_of(text)) <= width:
                return
            size -= 0.5

    def pdf_bytes(self) -> bytes:
        return bytes(self.output())
