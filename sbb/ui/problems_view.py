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


# Settings typed in the sidebar, named as the sidebar names them (the engine's messages use file keys).
SETTING_WORDS = {
    "funding.budget": "the budget",
    "(max_loss_pct)": "(Limits: no school loses more than)",
    "(max_gain_pct)": "(Limits: no school gains more than)",
}


def problem_sentences(table: pd.DataFrame, typed: bool = False) -> list[str]:
    """Each problem as one whole sentence: where, the value, what was expected. For settings typed
    in the sidebar, the scenario-file keys are said as the sidebar says them.

    >>> t = pd.DataFrame({"file": ["/srv/s.toml"], "row": [None], "column": ["funding.budget"], "value": ["100"],
    ...                   "expected": ["Raise the budget or loosen the floor (max_loss_pct)."]})
    >>> problem_sentences(t, typed=True)
    ['your settings, the budget (value 100): Raise the budget or loosen the floor (Limits: no school loses more than).']
    """
    out = []
    for _, p in problem_frame(table, typed).iterrows():
        setting = p["Column or setting"]
        if typed:
            setting = SETTING_WORDS.get(setting, setting)
        elif setting:
            setting = f"'{setting}'"
        where = ", ".join(x for x in (p["File"], f"row {p['Row']}" if p["Row"] else "", setting) if x)
        value = f" (value {p['Value']})" if p["Value"] else ""
        expected = p["What was expected"]
        if typed:
            for key, words in SETTING_WORDS.items():
                expected = expected.replace(key, words)
        out.append(f"{where}{value}: {expected}")
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
