"""School performance framework: bands from a weighted composite of metric columns.

composite = sum over metrics of weight x metric (each metric on the schools file's own scale);
band = the first band, from the highest cut down, whose minimum the composite reaches.
A framework lives in `weights/*.toml` with [metrics] (column = weight) and [bands] (band = minimum).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .problems import InputError, Problem, raise_if
from .tomlfiles import Reader, read_toml


@dataclass(frozen=True)
class Framework:
    """Metric weights and band cut points (sorted from the highest minimum down)."""

    title: str
    metrics: tuple[tuple[str, float], ...]
    bands: tuple[tuple[str, float], ...]
    file: str = ""


def load_framework(path: str | Path) -> Framework:
    """Read and validate a performance framework file."""
    doc = read_toml(path)
    r = Reader(str(path))
    r.only_keys(doc, {"title", "source", "metrics", "bands"}, "")
    metrics = r.table(doc, "metrics", "", required=True)
    bands = r.table(doc, "bands", "", required=True)
    pairs = tuple((str(k), w) for k in metrics if (w := r.number(metrics, k, "metrics")) is not None)
    cuts = tuple((str(k), c) for k in bands if (c := r.number(bands, k, "bands", minimum=None)) is not None)
    if metrics and not pairs:
        r.problem("metrics", None, "at least one metric column with its weight")
    if bands and not cuts:
        r.problem("bands", None, "at least one band with its minimum composite")
    raise_if(r.problems)
    ordered = tuple(sorted(cuts, key=lambda bc: -bc[1]))
    return Framework(r.text(doc, "title", "", default="Performance framework") or "", pairs, ordered, str(path))


def composite(schools: pd.DataFrame, framework: Framework, file: str = "schools file") -> np.ndarray:
    """The weighted composite per school; a missing or non-numeric metric is a problem naming the row."""
    problems = [Problem(file, 1, c, None, f"a metric column named by {framework.file}")
                for c, _ in framework.metrics if c not in schools]
    raise_if(problems)
    total = np.zeros(len(schools))
    for column, weight in framework.metrics:
        values = pd.to_numeric(schools[column], errors="coerce").to_numpy(dtype=float)
        for i in np.flatnonzero(np.isnan(values)):
            problems.append(Problem(file, int(i) + 2, column, str(schools[column].iloc[i]),
                                    "a number (the performance framework needs it)"))
        total += weight * values
    raise_if(problems)
    return total


def performance_bands(schools: pd.DataFrame, framework: Framework, file: str = "schools file") -> pd.Series:
    """Band (text) per school from the composite and the cut points; lowest band below every cut."""
    score = composite(schools, framework, file)
    names = [b for b, _ in framework.bands]
    cuts = np.array([c for _, c in framework.bands])
    # index of the first cut (highest first) that the score reaches
    reached = score[:, None] >= cuts[None, :]
    first = np.where(reached.any(axis=1), reached.argmax(axis=1), len(names) - 1)
    return pd.Series(np.array(names, dtype=object)[first], index=schools.index, name="performance_band")
