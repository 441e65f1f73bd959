"""The workbook's Provenance sheet: where every number came from, for an auditor.

Lists the district, the scenario, the weight table (title, file, source), the tool's version and
the export time; every input file by name with its size and SHA-256 (the schools file, the roster or
counts file, the scenario and weight-table files, and any file the scenario reads); the SHA-256 of
the scenario as exported (its TOML is kept in the workbook); and what the scenario changes from the
weight table. File names only: no folder, so no absolute path, is ever written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from openpyxl.styles import Alignment, Font, PatternFill

from ..allocate import Allocation
from ..changes import scenario_changes
from ..scenario import scenario_to_toml
from ..version import tool_version

HEADER_FILL = PatternFill("solid", fgColor="1F3864")
SECTION_FONT = Font(bold=True, size=12, color="1F3864")


def file_digest(source: Any) -> tuple[str, int | None, str]:
    """(file name, size in bytes, SHA-256 hex) of a path or a (name, bytes) upload; a missing file
    gives size None and 'file not found'. Files are read in 1 MiB blocks (a large roster is fine)."""
    if isinstance(source, tuple):
        name, data = source
        return Path(str(name)).name, len(data), hashlib.sha256(data).hexdigest()
    path = Path(str(source))
    try:
        h = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return path.name, path.stat().st_size, h.hexdigest()
    except OSError:
        return path.name, None, "file not found"


def input_files(allocation: Allocation, sources: dict[str, Any]) -> list[tuple[str, str, int | None, str]]:
    """(role, file name, bytes, SHA-256) of every input: the data files in `sources`, then the files
    the scenario names (scenario, weight table, projected counts, performance framework)."""
    s = allocation.scenario
    rows = []
    for role in ("schools", "roster", "counts"):
        if sources.get(role) is not None:
            rows.append((f"{role.capitalize()} file", *file_digest(sources[role])))
    base = Path(s.base_dir)
    files = [("Scenario file", Path(s.file) if s.file else None),
             ("Weight table file", Path(s.weights.file) if s.weights.file else None)]
    if s.theory.enrollment_change is not None and s.theory.enrollment_change.counts:
        files.append(("Projected counts file", base / s.theory.enrollment_change.counts))
    if s.theory.framework:
        files.append(("Performance framework file", base / s.theory.framework))
    for role, path in files:
        if path is not None and path.is_file():
            rows.append((role, *file_digest(path)))
        elif path is not None:
            rows.append((role, path.name, None, "not a file on disk (uploaded or edited in the app)"))
    return rows


def provenance_sheet(wb, allocation: Allocation, district: str, sources: dict[str, Any],
                     exported: dt.datetime) -> None:
    """Add the Provenance sheet (see the module docstring)."""
    s, w = allocation.scenario, allocation.scenario.weights
    ws = wb.create_sheet("Provenance")
    ws["A1"] = "Provenance: where these numbers come from"
    ws["A1"].font = Font(bold=True, size=14, color="1F3864")
    r = 3

    def put(label: str, value: Any, wrap: bool = False) -> None:
        nonlocal r
        ws.cell(r, 1, label).font = Font(bold=True)
        ws.cell(r, 1).alignment = Alignment(vertical="top")
        c = ws.cell(r, 2)
        c.value = "" if value is None else str(value)
        c.data_type = "s"
        if wrap:
            c.alignment = Alignment(wrap_text=True, vertical="top")
            ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=4)
            ws.row_dimensions[r].height = 15 * max(1, min(8, len(str(value)) // 95 + 1))
        r += 1

    put("District", district)
    put("Scenario", s.title)
    put("Scenario note", s.description or "(none)", wrap=True)
    put("Weight table", w.title)
    put("Weight table source", " ".join(w.source.split()) or "(not stated)", wrap=True)
    put("Tool version", tool_version())
    put("Exported (UTC)", exported.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat())
    put("Exported scenario (SHA-256 of its TOML)",
        hashlib.sha256(scenario_to_toml(s).encode("utf-8")).hexdigest())

    r += 1
    ws.cell(r, 1, "Input files").font = SECTION_FONT
    r += 1
    _header_row(ws, r, ["What", "File name", "Bytes", "SHA-256"])
    r += 1
    for role, name, size, digest in input_files(allocation, sources):
        ws.cell(r, 1, role)
        ws.cell(r, 2).value, ws.cell(r, 2).data_type = name, "s"
        ws.cell(r, 3, size).number_format = "#,##0"
        ws.cell(r, 4, digest).font = Font(name="Courier New", size=9)
        r += 1
    if not sources:
        ws.cell(r, 1, "(the data files were not given to the export)").font = Font(italic=True, color="595959")
        r += 1

    r += 1
    ws.cell(r, 1, "What the scenario changes from the weight table").font = SECTION_FONT
    r += 1
    _header_row(ws, r, ["What", "Key", "Weight table", "This scenario"])
    r += 1
    for ch in scenario_changes(s, allocation.budget):
        for j, value in enumerate([ch.what, ch.key, ch.before, ch.after], start=1):
            ws.cell(r, j).value, ws.cell(r, j).data_type = value, "s"
        r += 1
    r += 1
    note = ws.cell(r, 1, "File names only: no folder is recorded, so the workbook carries no path from the "
                         "machine it was made on.")
    note.font = Font(italic=True, size=9, color="595959")
    for col, width in zip("ABCD", (44, 40, 14, 70)):
        ws.column_dimensions[col].width = width
    from .workbook import _page

    _page(ws)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0


def _header_row(ws, row: int, heads: list[str]) -> None:
    """A table's column headings in `row`: white bold on the header fill."""
    for j, head in enumerate(heads, start=1):
        c = ws.cell(row, j, head)
        c.font = Font(bold=True, color="FFFFFF")
        c.fill = HEADER_FILL
