"""Rewrite the golden outputs in tests/golden/ from the engine as it is now. Run only on purpose.

    python tests/regenerate_golden.py

For every shipped scenario (scenarios/*.toml) on the sample district (sample_data/schools.csv and
roster.csv) it writes `<scenario>.csv` (`sbb.report.allocation_csv`) and `<scenario>.summary.json`
(base per weighted pupil, budget, pot, total, hold-harmless cost, cap recovered, schools gaining,
losing and unchanged). tests/test_golden.py compares the engine with these files byte for byte.
Regenerate only after an intended change to the engine, the sample data or a scenario, and read the
diff before committing it: every changed number is a changed allocation.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from sbb.allocate import Allocation, allocate  # noqa: E402
from sbb.district import District, load_district  # noqa: E402
from sbb.report import allocation_csv  # noqa: E402
from sbb.scenario import load_scenario  # noqa: E402
from sbb.weights import load_weights  # noqa: E402

GOLDEN = ROOT / "tests" / "golden"
SAMPLE = ROOT / "sample_data"
SCENARIOS = ROOT / "scenarios"
SAMPLE_WEIGHTS = ROOT / "weights" / "sample_district.toml"


def scenario_paths() -> list[Path]:
    """Every shipped scenario file of the sample district (naming its weight table), in name order."""
    import tomllib

    return [p for p in sorted(SCENARIOS.glob("*.toml"))
            if tomllib.loads(p.read_text(encoding="utf-8")).get("weights", "").endswith("sample_district.toml")]


def sample_district() -> District:
    """The sample district from its roster. Every shipped scenario names the sample weight table, so
    the count columns are the same for all of them."""
    return load_district(SAMPLE / "schools.csv", load_weights(SAMPLE_WEIGHTS), roster=SAMPLE / "roster.csv")


def summary_json(a: Allocation) -> str:
    """The headline numbers of an allocation as JSON text (dollars; the base to a millionth of a dollar)."""
    s = a.summary()
    doc = {
        "scenario": s["scenario"],
        "mode": s["mode"],
        "base_per_weighted_pupil": round(float(s["base_per_weighted_pupil"]), 6),
        "budget": s["budget"],
        "pot": s["pot"],
        "total": s["total"],
        "hold_harmless_cost": s["hold_harmless_cost"],
        "cap_recovered": s["cap_recovered"],
        "schools": s["schools"],
        "gaining": s["gaining"],
        "losing": s["losing"],
        "unchanged": s["unchanged"],
        "new_schools": s["new_schools"],
        "schools_at_floor": s["schools_at_floor"],
        "schools_at_cap": s["schools_at_cap"],
    }
    return json.dumps(doc, indent=2) + "\n"


def golden_outputs(district: District) -> dict[str, str]:
    """File name -> text for every golden file, computed from the engine now."""
    out: dict[str, str] = {}
    for path in scenario_paths():
        a = allocate(district, load_scenario(path))
        out[f"{path.stem}.csv"] = allocation_csv(a)
        out[f"{path.stem}.summary.json"] = summary_json(a)
    return out


def main() -> int:
    GOLDEN.mkdir(exist_ok=True)
    outputs = golden_outputs(sample_district())
    for stale in sorted(set(p.name for p in GOLDEN.iterdir() if p.is_file()) - set(outputs)):
        (GOLDEN / stale).unlink()
        print(f"removed  {stale} (no such scenario)")
    for name, text in outputs.items():
        path = GOLDEN / name
        old = path.read_bytes() if path.exists() else None
        new = text.encode("utf-8")
        if old != new:
            path.write_bytes(new)
        print(f"{'unchanged' if old == new else 'written  '} {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
