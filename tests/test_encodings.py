"""CSV files as Excel writes them on Windows: "CSV (Comma delimited)" is Windows-1252, not UTF-8.

Rule (sbb.text_encoding): UTF-8 (with or without the byte-order mark) first, then Windows-1252,
keeping accents; a file that is neither names the row and says how to save it as UTF-8. The files
here are written with Python's own cp1252 codec, so the expected text is the string before encoding.
"""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from conftest import ROOT, SCENARIOS, assert_problem, csv_bytes, make_scenario, make_weights
from sbb.allocate import allocate
from sbb.district import load_district
from sbb.problems import InputError
from sbb.report import allocation_csv
from sbb.scenario import load_scenario

W = make_weights()
# 'é', 'è', 'ô' are in Latin-1 too; the en dash (0x96) and the curly apostrophe (0x92) are
# Windows-1252 only, so a Latin-1 reading would turn them into control characters.
NAMES = {"A": "École Saint-Jérôme – Annexe", "B": "Lycée d’Hôtellerie"}
SCHOOLS = "school_id,school_name,prior_allocation\n" + "".join(f"{k},{v},{1000 * (i + 1)}\n"
                                                              for i, (k, v) in enumerate(NAMES.items()))
ROSTER = csv_bytes(["student_id", "school_id", "grade", "frl", "ell", "sped"],
                   [["1", "A", "K", "Y", "N", "none"], ["2", "B", "3", "N", "Y", "resource"],
                    ["3", "B", "4", "N", "N", "none"]])


def load(schools: bytes, roster: bytes = ROSTER, names=("schools.csv", "roster.csv")):
    return load_district((names[0], schools), W, roster=(names[1], roster))


def test_windows_1252_schools_file_keeps_its_accents_into_the_allocation():
    cp1252 = SCHOOLS.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        cp1252.decode("utf-8")  # the file really is not UTF-8
    district = load(cp1252)
    assert dict(zip(district.schools["school_id"], district.schools["school_name"])) == NAMES
    result = allocate(district, make_scenario(W, mode="fixed_base"))
    written = allocation_csv(result).encode("utf-8")
    table = pd.read_csv(pd.io.common.BytesIO(written), dtype=str, encoding="utf-8")
    assert dict(zip(table["school_id"], table["school_name"])) == NAMES


def test_windows_1252_and_utf8_files_give_the_same_district():
    """The same roster and schools in both encodings (the roster read the compact way) count alike."""
    roster_text = ROSTER.decode() + "4,A,5,Y,Y,inclusion\n"
    a = load(SCHOOLS.encode("utf-8"), roster_text.encode("utf-8"))
    b = load(SCHOOLS.encode("cp1252"), roster_text.encode("cp1252"))
    pd.testing.assert_frame_equal(a.counts, b.counts)
    pd.testing.assert_frame_equal(a.schools, b.schools)
    # A: pupils 1 (K) and 4 (grade 5); B: pupils 2 and 3 (grades 3, 4)
    assert a.counts.loc["A", ["grade_K", "grade_5"]].tolist() == [1, 1]
    assert a.counts.loc["B", ["grade_3", "grade_4"]].tolist() == [1, 1]


def test_windows_1252_file_on_disk(tmp_path):
    (tmp_path / "schools.csv").write_bytes(SCHOOLS.encode("cp1252"))
    (tmp_path / "roster.csv").write_bytes(ROSTER)
    district = load_district(tmp_path / "schools.csv", W, roster=tmp_path / "roster.csv")
    assert district.schools["school_name"].tolist() == list(NAMES.values())


def test_a_byte_in_neither_encoding_names_its_row_and_how_to_save_as_utf8():
    # 0x81 is undefined in Windows-1252 and cannot start a UTF-8 character; it sits on row 3.
    data = b"school_id,school_name,prior_allocation\nA,Alpha,1000\nB,Be\x81ta,2000\n"
    with pytest.raises(InputError) as info:
        load(data)
    assert_problem(info.value, file="schools.csv", row=3, column=None,
                   expected="text in UTF-8 or Windows-1252; this row has a byte (0x81) that is neither")
    assert_problem(info.value, file="schools.csv", row=3, expected="'CSV UTF-8 (Comma delimited)'")


def test_a_file_mixing_utf8_and_windows_1252_rows_names_the_first_bad_row():
    data = ("school_id,school_name,prior_allocation\nA,École,1000\n".encode("utf-8")
            + "B,Hôtel,2000\n".encode("cp1252"))
    with pytest.raises(InputError) as info:
        load(data)
    assert_problem(info.value, file="schools.csv", row=3, expected="the file mixes encodings")


def test_a_utf8_file_with_byte_order_mark_and_accents_is_read_as_utf8():
    district = load(b"\xef\xbb\xbf" + SCHOOLS.encode("utf-8"))
    assert district.schools["school_name"].tolist() == list(NAMES.values())


def test_a_windows_1252_scenario_file_keeps_its_accented_title(tmp_path):
    text = (SCENARIOS / "baseline.toml").read_text(encoding="utf-8")
    text = text.replace(text.splitlines()[0], 'title = "Scénario – élèves"', 1)
    assert text.startswith("title = ")
    path = tmp_path / "s.toml"
    path.write_bytes(text.replace('"../weights/', f'"{(ROOT / "weights").as_posix()}/').encode("cp1252"))
    assert load_scenario(path).title == "Scénario – élèves"


def test_command_line_writes_windows_1252_names_as_utf8(tmp_path):
    (tmp_path / "schools.csv").write_bytes(SCHOOLS.encode("cp1252"))
    (tmp_path / "counts.csv").write_text(
        "school_id,grade_PK,grade_K," + ",".join(f"grade_{g}" for g in range(1, 13))
        + ",frl,ell,sped_resource,sped_inclusion,sped_self_contained\n"
        + "A,0,10" + ",0" * 12 + ",5,1,0,0,0\nB,0,0,20" + ",0" * 11 + ",2,0,1,0,0\n", encoding="utf-8")
    weights = tmp_path / "w.toml"
    weights.write_text('title = "w"\n[base]\nper_weighted_pupil = 100.0\n[grade]\n"PK-12" = 1.0\n'
                       '[needs.poverty]\ncolumn = "frl"\nweight = 0.25\n[needs.ell]\ncolumn = "ell"\nweight = 0.4\n'
                       '[needs.sped]\ncolumn = "sped"\nlevels = { resource = 0.55, inclusion = 1.1, self_contained = 2.1 }\n',
                       encoding="utf-8")
    (tmp_path / "s.toml").write_text('title = "s"\nweights = "w.toml"\n[funding]\nmode = "fixed_base"\n')
    out = tmp_path / "a.csv"
    r = subprocess.run([sys.executable, "-m", "sbb", "allocate", "--schools", str(tmp_path / "schools.csv"),
                        "--counts", str(tmp_path / "counts.csv"), "--scenario", str(tmp_path / "s.toml"),
                        "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(out, dtype=str, encoding="utf-8")
    assert dict(zip(table["school_id"], table["school_name"])) == NAMES
    # fixed base $100: A = 100 x (10 + 0.25 x 5 + 0.4 x 1) = 100 x 11.65 = $1,165;
    # B = 100 x (20 + 0.25 x 2 + 0.55 x 1) = 100 x 21.05 = $2,105
    assert table["allocation"].astype(float).tolist() == [1165.0, 2105.0]
