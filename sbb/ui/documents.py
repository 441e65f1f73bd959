"""Download buttons for the PDF documents (school statements, board handout) in the page.

The PDFs are made only when a button is clicked (`data` is a function), so the page does not pay
for them on every rerun; 1,600 statements take a few seconds.
"""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from ..allocate import Allocation
from ..district import District


def district_name(state: Any) -> str:
    """The district's name for the documents: an example district's title, else from the schools file
    of the session's data source."""
    from ..documents import district_label
    from .districts import example_of

    source = state.get("source") if hasattr(state, "get") else None
    example = example_of(source) if source is not None and hasattr(source, "counts") else None
    if example is not None:
        return example.title
    schools = getattr(source, "schools", None)
    if schools is None:
        return "District"
    name = schools[0] if isinstance(schools, tuple) else str(schools)
    return district_label(name)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower() or "scenario"


def document_buttons(allocation: Allocation, district: District, school: str | None = None,
                     where: Any = st) -> None:
    """Statements of every school and the board handout; with `school`, that school's statement only."""
    from ..documents import DocInfo, handout_pdf, statements_pdf

    info = DocInfo.make(district_name(st.session_state), allocation.scenario.title)
    slug = _slug(allocation.scenario.title)
    if school is not None:
        where.download_button("This school's statement (PDF)", data=lambda: statements_pdf(allocation, district, info,
                                                                                          [school]),
                              file_name=f"statement_{_slug(school)}_{slug}.pdf", mime="application/pdf",
                              on_click="ignore", icon=":material/picture_as_pdf:", key="pdf_one_statement")
        return
    left, right = where.columns(2)
    left.download_button("All school statements (PDF)", data=lambda: statements_pdf(allocation, district, info),
                         file_name=f"statements_{slug}.pdf", mime="application/pdf", on_click="ignore",
                         width="stretch", icon=":material/picture_as_pdf:", key="pdf_statements")
    right.download_button("Board handout (PDF)", data=lambda: handout_pdf(allocation, district, info),
                          file_name=f"handout_{slug}.pdf", mime="application/pdf", on_click="ignore",
                          width="stretch", icon=":material/picture_as_pdf:", key="pdf_handout")
