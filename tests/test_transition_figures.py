"""With a transition, the limit counts name what holds a school off its formula (one definition in
`sbb.figures.limit_phrases`, read by the app's cards, the command-line summary and the workbook)."""

import io

import openpyxl
import pandas as pd

from conftest import csv_bytes, make_scenario
from sbb.allocate import allocate
from sbb.counts import count_columns
from sbb.district import load_district
from sbb.figures import board_figures
from sbb.report import summary_lines
from sbb.transition import Transition
from sbb.ui.story import key_numbers
from sbb.weights import weights_from_dict


def tiny():
    w = weights_from_dict({"title": "flat", "base": {"per_weighted_pupil": 100.0}, "grade": {"all": 1.0}}, "flat.toml")
    schools = pd.DataFrame({"school_id": ["A", "B", "C"], "school_name": ["A", "B", "C"],
                            "prior_allocation": [1000, 3000, 2000]})
    cols = count_columns(w)
    counts = csv_bytes(["school_id", *cols], [["A", 10], ["B", 10], ["C", 20]])
    return w, load_district(("schools.csv", schools.to_csv(index=False).encode()), w, counts=("counts.csv", counts))


def test_transition_schools_are_not_called_at_the_floor():
    w, d = tiny()
    # Budget-neutral, pot 6,000 (the priors), no floor or cap; half of a gain, a quarter of a loss.
    # For a base b with 1,000 <= 10b < 3,000 and 20b > 2,000: A (10 pupils, prior 1,000) gains:
    # 1,000 + 0.5 (10b - 1,000) = 500 + 5b; B (10, prior 3,000) loses: 3,000 + 0.25 (10b - 3,000) =
    # 2,250 + 2.5b; C (20, prior 2,000) gains: 2,000 + 0.5 (20b - 2,000) = 1,000 + 10b. The sum
    # 3,750 + 17.5b = 6,000 at b = 128.571...: A 1,142.86 (formula 1,285.71: held back), B 2,571.43
    # (formula 1,285.71: held up), C 2,285.71 (formula 2,571.43: held back). To the dollar: 1,142 +
    # 2,571 + 2,285 = 5,998, the two dollars left to the largest remainders (A .857, C .714).
    a = allocate(d, make_scenario(w, transition=Transition(0.5, 0.25)))
    t = a.table.set_index("school_id")
    assert t["allocation"].tolist() == [1_143, 2_571, 2_286]
    held_up = int((t["hold_harmless_adjustment"] > 0).sum())
    held_back = int((t["cap_adjustment"] < 0).sum())
    assert (held_up, held_back) == (1, 2)  # B above its formula; A and C below theirs
    f = board_figures(a, d)
    assert f.floor_text() == "1 school held up by the transition"
    assert f.cap_text() == "2 schools held back by the transition"
    cards = {label: note for label, _, note, _ in key_numbers(f)}
    assert cards["Hold-harmless cost"] == "1 school held up by the transition"
    text = "\n".join(summary_lines(a, d))
    assert "(1 school held up by the transition)" in text and "at the floor" not in text
    assert "(2 schools held back by the transition)" in text and "at the cap" not in text
    assert "kept above the formula (1 school)," in text and text.rstrip().endswith("held back (2 schools)")


def test_floor_and_transition_together_and_the_workbook_note():
    from sbb.export.workbook import workbook_bytes

    w, d = tiny()
    a = allocate(d, make_scenario(w, transition=Transition(0.5, 0.25), max_loss_pct=3.0))
    f = board_figures(a, d)
    assert f.floor_phrase == "held up by the floor or the transition"
    assert f.cap_phrase == "held back by the transition"
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes(a, d)))
    notes = [str(c.value) for row in wb["Summary"].iter_rows() for c in row if isinstance(c.value, str)]
    assert f"{f.schools_at_floor} school{'s' if f.schools_at_floor != 1 else ''} held up by the floor or the transition" in notes


def test_without_a_transition_the_words_stay():
    w, d = tiny()
    a = allocate(d, make_scenario(w, max_loss_pct=3.0, max_gain_pct=5.0))
    f = board_figures(a, d)
    assert (f.floor_phrase, f.cap_phrase) == ("at the floor", "at the cap")
