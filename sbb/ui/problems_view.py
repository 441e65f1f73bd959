"""Problems with the input, shown in the page as sentences a person can act on.

No server paths (a file is named by its name; a value typed in the sidebar is "your settings"),
no "None" in empty cells, and each problem written whole (a table cell would cut a long sentence,
often in the middle of the dollar figure that matters), the full table folded below when there are many.
"""

from __future__ import annotations

from pathlib import PurePath

import pandas as pd

SHOWN = 8  # problems written out as sentences; the rest are in the table


def _file(name: object, typed: bool) -> str:
    if typed:
        return "your settings"
    if name is None or (isinstance(name, float) and pd.isna(name)):
        return ""
    text = str(name)
    return PurePath(text).name if ("/" in text or "\\" in text) else text


def _blank(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def problem_frame(table: pd.DataFrame, typed: bool = False) -> pd.DataFrame:
    """`InputError.table()` for reading: file names without folders (or 'your settings' when the
    values were typed in the sidebar), blanks instead of None, plain column names.

    >>> t = pd.DataFrame({"file": ["/srv/x/scenarios/a.toml"], "row": [None], "column": ["funding.budget"],
    ...                   "value": ["1,000"], "expected": ["a budget of at least $5"]})
    >>> problem_frame(t).iloc[0].tolist()
    ['a.toml', '', 'funding.budget', '1,000', 'a budget of at least $5']
    """
    out = pd.DataFrame({
        "File": [_file(f, typed) for f in table["file"]],
        "Row": [_blank(r) for r in table["row"]],
        "Column or setting": [_blank(c) for c in table["column"]],
        "Value": [_blank(v) for v in table["value"]],
        "What was expected": [_blank(e) for e in table["expected"]],
    })
    return out


def problem_sentences(table: pd.DataFrame, typed: bool = False) -> list[str]:
    """Each problem as one whole sentence: where, the value, what was expected."""
    out = []
    for _, p in problem_frame(table, typed).iterrows():
        where = ", ".join(x for x in (p["File"], f"row {p['Row']}" if p["Row"] else "",
                                      f"'{p['Column or setting']}'" if p["Column or setting"] else "") if x)
        value = f" (value {p['Value']})" if p["Value"] else ""
        out.append(f"{where}{value}: {p['What was expected']}")
    return out


def show_problems(table: pd.DataFrame, typed: bool = False, where=None) -> None:
    """Write the problems into the page (Streamlit): sentences, then the table when there are many."""
    import streamlit as st

    where = where or st
    sentences = problem_sentences(table, typed)
    where.markdown("\n".join(f"- {_escape(s)}" for s in sentences[:SHOWN]))
    if len(sentences) > SHOWN:
        with where.expander(f"All {len(sentences):,} problems"):
            st.dataframe(problem_frame(table, typed), hide_index=True, width="stretch", placeholder="—")


def _escape(text: str) -> str:
    """Markdown-safe text ($ would start LaTeX; * and _ emphasis)."""
    return text.replace("\\", "\\\\").replace("$", "\\$").replace("*", "\\*").replace("_", "\\_")
