"""Reading an exported workbook back as a scenario (`python -m sbb scenario --from-xlsx`).

The hidden `_sbb` sheet holds the scenario as exported (TOML), the folder its relative paths start
from (relative to the working directory at export: no absolute path is stored), and the exported value of every parameter. Each parameter cell on the Weights sheet (and the
band table) that differs from its exported value is a change: weight-table keys become sparse
`[overrides]` against the named weight table, scenario keys (hold-harmless limits, budget, managed
foundation, band support and autonomy) are set in the scenario. 'solved' values (the budget-neutral
base) are not read back: the engine solves them again. The result is validated whole.
"""

from __future__ import annotations

import io
import os
import tomllib
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from ..filekind import not_a_workbook
from ..problems import InputError, Problem, raise_if
from ..scenario import overrides_between, scenario_from_dict, scenario_to_toml
from ..weights import apply_overrides, load_weights
from .workbook import FORMAT_VERSION

# scenario keys whose blank cell means "no limit" (the key is removed)
OPTIONAL = {"hold_harmless.max_loss_pct", "hold_harmless.max_gain_pct", "autonomy.default_share"}


def _number(value: Any) -> float | None:
    """A cell as a number: numbers, or text that reads as one; None for a blank cell; NaN otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return float("nan")
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).replace(",", "").replace("$", "").strip())
    except ValueError:
        return float("nan")


def _set(doc: dict, dotted: str, value: Any) -> None:
    """Set (or, for None, remove) a dotted key of a TOML-shaped dict."""
    *path, last = dotted.split(".")
    node = doc
    for part in path:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value


def _base_dir(stored: str, weights_ref: str, workbook_dir: Path | None) -> Path:
    """The folder the scenario's relative paths start from. The workbook stores it relative to the
    working directory at export (never an absolute path); it is looked for from the working directory,
    from the workbook's folder and from this project's folder (its shipped scenarios and weights), and
    the first where the weight table exists is taken."""
    candidates = [Path(stored)]
    if workbook_dir is not None:
        candidates += [workbook_dir / stored, workbook_dir]
    candidates.append(Path(__file__).resolve().parents[2] / stored)  # the project's own folders
    for folder in candidates:
        if weights_ref and (folder / weights_ref).is_file():
            return folder
    return candidates[0]


def _rebase(ref: str, base_dir: Path, out_dir: Path) -> str:
    return Path(os.path.relpath((base_dir / ref).resolve(), out_dir)).as_posix()


def scenario_toml_from_workbook(source, out_path: str | Path) -> str:
    """The scenario TOML of an exported workbook (a path or bytes) with its edited cells applied.

    Paths inside the TOML are made relative to the folder of `out_path`, where it will be written.
    Raises `InputError` naming the sheet, cell and value of anything that cannot be read.
    """
    name = str(source) if isinstance(source, (str, Path)) else "workbook"
    try:
        wb = load_workbook(io.BytesIO(source) if isinstance(source, bytes) else source, data_only=True)
    except Exception:  # noqa: BLE001 - a zip, XML or openpyxl error: say what the file is instead
        raise InputError([Problem(name, None, None, None, not_a_workbook(source))]) from None
    if "_sbb" not in wb.sheetnames or "Weights" not in wb.sheetnames:
        raise InputError([Problem(name, None, None, None,
                                  "a workbook written by `python -m sbb allocate --out FILE.xlsx` "
                                  "(it has a Weights sheet and a hidden _sbb sheet)")])
    stored = {str(k): v for k, v in wb["_sbb"].iter_rows(min_col=1, max_col=2, values_only=True) if k}
    if stored.get("format") != FORMAT_VERSION:
        raise InputError([Problem(name, None, "_sbb!B1", stored.get("format"), f"'{FORMAT_VERSION}'")])
    try:
        doc = tomllib.loads(stored["scenario_toml"])
        workbook_dir = Path(source).resolve().parent if isinstance(source, (str, Path)) else None
        base_dir = _base_dir(str(stored["base_dir"]), str(doc.get("weights", "")), workbook_dir)
    except (KeyError, TypeError, tomllib.TOMLDecodeError):
        raise InputError([Problem(name, None, None, None, "the hidden _sbb sheet as exported (its scenario "
                                  "was removed or edited); export the workbook again")]) from None
    out_path = Path(out_path)
    out_dir = out_path.resolve().parent

    ws = wb["Weights"]
    problems: list[Problem] = []
    weight_edits: dict[str, float] = {}
    header = next((r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Parameter"), None)
    if header is None:
        raise InputError([Problem(name, None, "Weights!A", None, "a header row starting with 'Parameter'")])
    r = header + 1
    while ws.cell(r, 1).value not in (None, ""):
        key, scope, cell = ws.cell(r, 5).value, ws.cell(r, 6).value, ws.cell(r, 2).value
        r += 1
        if scope == "solved" or not key:
            continue
        value = _number(cell)
        where = f"Weights!B{r - 1}"
        if value is not None and value != value:
            problems.append(Problem(name, r - 1, where, str(cell), f"a number for {key}"))
            continue
        if value is None and key not in OPTIONAL:
            problems.append(Problem(name, r - 1, where, None, f"a number for {key} (the cell is blank)"))
            continue
        exported = _number(stored.get(f"exported:{key}"))
        if value == exported:
            continue
        if scope == "weights":
            weight_edits[key] = value
        else:
            _set(doc, key, value)

    # the band table: support per pupil / per school and the autonomy share, by band
    marker = next((row for row in range(1, ws.max_row + 1) if ws.cell(row, 5).value == "band_table"), None)
    if marker is not None:
        row = marker + 1
        while ws.cell(row, 1).value not in (None, ""):
            band = str(ws.cell(row, 1).value)
            exported = [(_number(v) if v else None) for v in str(stored.get(f"exported:band:{band}", "||")).split("|")]
            keys = ["supplements.performance_band.per_pupil", "supplements.performance_band.per_school",
                    "autonomy.discretionary_share"]
            for j, key in enumerate(keys):
                value = _number(ws.cell(row, j + 2).value)
                if value is not None and value != value:
                    problems.append(Problem(name, row, f"Weights!{'BCD'[j]}{row}", str(ws.cell(row, j + 2).value),
                                            f"a number for band {band}"))
                elif value != (exported[j] if j < len(exported) else None):
                    table = doc
                    for part in key.split("."):
                        table = table.setdefault(part, {})
                    if value is None:
                        table.pop(band, None)
                    else:
                        table[band] = value
            row += 1
    raise_if(problems)

    # rebase the scenario's relative paths onto the folder the TOML is written to
    for dotted in ("weights", "performance.framework", "enrollment_change.counts"):
        *path, last = dotted.split(".")
        node = doc
        for part in path:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict) and isinstance(node.get(last), str):
            node[last] = _rebase(node[last], base_dir, out_dir)

    if weight_edits:
        weights_file = out_dir / doc["weights"]
        if not weights_file.is_file():
            raise InputError([Problem(name, None, "weights", str(weights_file),
                                      "the scenario's weight table at the path it was exported from")])
        baseline = load_weights(weights_file)
        current = apply_overrides(baseline, doc.get("overrides", {}), name)
        edited = apply_overrides(current, weight_edits, name)
        doc["overrides"] = {k: (float(v) if isinstance(v, (int, float)) else v)
                            for k, v in overrides_between(baseline, edited).items()}
        if not doc["overrides"]:
            doc.pop("overrides")
    scenario = scenario_from_dict(doc, str(out_path), out_dir)
    return scenario_to_toml(scenario)
