"""Scenarios (`scenarios/*.toml`): a sparse what-if against a named weight table.

A scenario names its weight table (a path relative to the scenario file), lists only the values it
changes (`[overrides]`), and sets the funding mode, budget, rounding and hold-harmless limits. It is
validated whole, overrides included, before anything is applied: a bad scenario changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import tomli_w

from .problems import InputError, Problem, raise_if
from .rounding import UNITS
from .performance import Framework, load_framework
from .theory import KEYS as THEORY_KEYS
from .theory import Theory, parse_theory, theory_to_dict
from .tables import clean_header
from .tomlfiles import Reader, parse_toml, read_toml
from .transition import Transition
from .weights import WeightTable, apply_overrides, load_weights

TOP_KEYS = {"title", "description", "weights", "overrides", "funding", "hold_harmless", "transition", *THEORY_KEYS}
MODES = ("budget_neutral", "fixed_base")


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. `weights` has the overrides applied; `baseline` is the named table.

    budget: dollars for the schools in budget-neutral mode (None: the sum of prior allocations).
    max_loss_pct / max_gain_pct: hold-harmless floor and gains cap in percent of prior (None: no limit).
    """

    title: str
    weights: WeightTable
    baseline: WeightTable
    overrides: tuple[tuple[str, Any], ...] = ()
    mode: str = "budget_neutral"
    budget: float | None = None
    rounding: str = "dollars"
    max_loss_pct: float | None = None
    max_gain_pct: float | None = None
    description: str = ""
    file: str = ""
    weights_ref: str = ""
    theory: Theory = Theory()
    framework: Framework | None = None
    base_dir: str = "."
    applies_to: str | None = None  # schools-file yes/no column: hold-harmless only where yes
    transition: Transition | None = None

    @property
    def scale(self) -> int:
        """Rounding units per dollar: 1 for whole dollars, 100 for cents."""
        return UNITS[self.rounding]


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate the scenario at `path` (its weight table included)."""
    path = Path(path)
    return scenario_from_dict(read_toml(path), str(path), path.parent)


def parse_scenario(text: str, name: str, base_dir: str | Path) -> Scenario:
    """Validate scenario TOML `text` (e.g. an upload called `name`); weights resolve against `base_dir`."""
    return scenario_from_dict(parse_toml(text, name), name, Path(base_dir))


def scenario_from_dict(doc: dict[str, Any], file: str, base_dir: Path,
                       baseline: WeightTable | None = None) -> Scenario:
    """Validate a scenario document whole; raises `InputError` listing every problem.

    `baseline` may supply the weight table directly (an app session); otherwise `weights` is read.
    """
    r = Reader(file)
    r.only_keys(doc, TOP_KEYS, "")
    title = r.text(doc, "title", "", default="Untitled scenario") or "Untitled scenario"
    description = r.text(doc, "description", "", required=False, default="") or ""
    weights_ref = r.text(doc, "weights", "", required=baseline is None, default="") or ""
    overrides = r.table(doc, "overrides", "")
    funding = r.table(doc, "funding", "")
    r.only_keys(funding, {"mode", "budget", "rounding"}, "funding")
    mode = r.text(funding, "mode", "funding", required=False, default="budget_neutral", choices=MODES)
    budget = r.number(funding, "budget", "funding", required=False, minimum=0.0)
    rounding = r.text(funding, "rounding", "funding", required=False, default="dollars", choices=tuple(UNITS))
    if budget is not None and rounding and abs(budget * UNITS[rounding] - round(budget * UNITS[rounding])) > 1e-6:
        r.problem("funding.budget", budget, f"a budget in whole {rounding} (or set funding.rounding = 'cents')")
    if budget is not None and mode == "fixed_base":
        r.problem("funding.budget", budget, "no budget in fixed_base mode (the total is an output)")
    limits = r.table(doc, "hold_harmless", "")
    r.only_keys(limits, {"max_loss_pct", "max_gain_pct", "applies_to"}, "hold_harmless")
    max_loss = r.number(limits, "max_loss_pct", "hold_harmless", required=False, maximum=100.0)
    max_gain = r.number(limits, "max_gain_pct", "hold_harmless", required=False)
    applies_to = r.text(limits, "applies_to", "hold_harmless", required=False)
    transition = None
    step = r.table(doc, "transition", "")
    if "transition" in doc:
        r.only_keys(step, {"share_of_gain", "share_of_loss"}, "transition")
        if not ({"share_of_gain", "share_of_loss"} & set(step)):
            r.problem("transition", None, "'share_of_gain' and/or 'share_of_loss' (shares 0-1 of the gap closed)")
        transition = Transition(
            r.number(step, "share_of_gain", "transition", required=False, default=1.0, maximum=1.0),
            r.number(step, "share_of_loss", "transition", required=False, default=1.0, maximum=1.0))
    theory = parse_theory(r, doc)
    if transition is not None and theory.phase_in_years:
        r.problem("transition", None, "either [transition] or [phase_in], not both")
    for item, amount in theory.managed_foundation:
        if rounding and abs(amount * UNITS[rounding] - round(amount * UNITS[rounding])) > 1e-6:
            r.problem(f"managed_foundation.{item}", amount, f"an amount in whole {rounding}")
    problems = list(r.problems)
    framework = None
    if theory.framework:
        try:
            framework = load_framework(base_dir / theory.framework)
        except InputError as err:
            problems.extend(err.problems)
    change = theory.enrollment_change
    if change is not None and change.counts and not (base_dir / change.counts).is_file():
        problems.append(Problem(file, None, "enrollment_change.counts", change.counts,
                                f"a projected counts file; {base_dir / change.counts} does not exist"))
    if baseline is None and weights_ref:
        try:
            baseline = load_weights(base_dir / weights_ref)
        except InputError as err:
            if any(p.expected == "the file does not exist" for p in err.problems):
                problems.append(Problem(file, None, "weights", weights_ref,
                                        f"a weight table file; {base_dir / weights_ref} does not exist"))
            else:
                problems.extend(err.problems)
    weights = None
    if baseline is not None:
        try:
            weights = apply_overrides(baseline, overrides, file)
        except InputError as err:
            problems.extend(err.problems)
    raise_if(problems)
    return Scenario(
        title=title, weights=weights, baseline=baseline, overrides=tuple(overrides.items()),
        mode=mode, budget=budget, rounding=rounding, max_loss_pct=max_loss, max_gain_pct=max_gain,
        description=description, file=file, weights_ref=weights_ref, theory=theory, framework=framework,
        base_dir=str(base_dir),
        applies_to=clean_header(applies_to) if applies_to else None, transition=transition,
    )


def scenario_to_dict(s: Scenario) -> dict[str, Any]:
    """The scenario as a TOML-shaped dict: only the overrides, never the whole weight table."""
    doc: dict[str, Any] = {"title": s.title}
    if s.description:
        doc["description"] = s.description
    if s.weights_ref:
        doc["weights"] = s.weights_ref
    if s.overrides:
        doc["overrides"] = dict(s.overrides)
    funding: dict[str, Any] = {"mode": s.mode}
    if s.budget is not None:
        funding["budget"] = s.budget
    if s.rounding != "dollars":
        funding["rounding"] = s.rounding
    doc["funding"] = funding
    limits = {k: v for k, v in (("max_loss_pct", s.max_loss_pct), ("max_gain_pct", s.max_gain_pct),
                                ("applies_to", s.applies_to)) if v is not None}
    if limits:
        doc["hold_harmless"] = limits
    if s.transition is not None:
        doc["transition"] = {"share_of_gain": s.transition.share_of_gain,
                             "share_of_loss": s.transition.share_of_loss}
    doc.update(theory_to_dict(s.theory))
    return doc


def scenario_to_toml(s: Scenario) -> str:
    """The scenario as TOML text that `parse_scenario` reads back to the same scenario."""
    return tomli_w.dumps(scenario_to_dict(s))


def overrides_between(baseline: WeightTable, changed: WeightTable) -> dict[str, Any]:
    """The sparse overrides that turn `baseline` into `changed` (dotted keys of the canonical form)."""
    out: dict[str, Any] = {}

    def walk(a: Any, b: Any, prefix: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in b:
                walk(a.get(key), b[key], f"{prefix}.{key}" if prefix else str(key))
        elif a != b:
            out[prefix] = b

    da, db = baseline.to_dict(), changed.to_dict()
    for key in ("title", "source"):
        da.pop(key, None), db.pop(key, None)
    walk(da, db, "")
    return out


def with_weights(s: Scenario, weights: WeightTable, **changes: Any) -> Scenario:
    """A copy of `s` with `weights` (overrides recomputed against its baseline) and other fields changed."""
    return replace(s, weights=weights, overrides=tuple(overrides_between(s.baseline, weights).items()), **changes)
