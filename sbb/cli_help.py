"""The longer `--help` texts of the command line: what each command does, the columns its files need,
its exit status and examples (shown as written, by argparse's RawDescriptionHelpFormatter)."""

ALLOCATE_HELP = """\
Allocate a district's budget to its schools under one scenario: print a short summary (total, base per
weighted pupil, schools gaining and losing, hold-harmless cost) and, with --out, write one row per
school (a CSV, or an Excel workbook whose formulas recalculate when a weight is edited).

input files (CSV in UTF-8 or Windows-1252, XLSX or Parquet; headers ignore case and spaces):
  --schools   one row per school: school_id, school_name, prior_allocation (dollars; blank for a new
              school); optional performance_band and other attributes
  --roster    one row per student: school_id, grade (PK, K, 1-12; KG, 01, Pre-K are fine) and each
              need column the weight table names (sample district: frl and ell as Y/N, 1/0, yes/no
              or true/false; sped as none/resource/inclusion/self_contained); student_id optional
  --counts    instead of a roster, one row per school: school_id, one column per grade (grade_K or K
              ...) and one per need (frl) or need level (sped_resource)
  --scenario  a scenario TOML file naming its weight table (see scenarios/)
"""

ALLOCATE_EPILOG = """\
exit status:
  0  the allocation was computed (and written)
  2  bad input or output: every problem is listed on stderr by file, row, column and value
     (nothing is written); also for a missing or misspelt option
  141  the program reading the output stopped early (`... | head -1`): the command ends quietly

examples:
  python -m sbb allocate --schools sample_data/schools.csv --roster sample_data/roster.csv \\
      --scenario scenarios/hold_harmless_3pct.toml --out allocation.csv
  python -m sbb allocate --schools sample_data/schools.csv --counts sample_data/counts.csv \\
      --scenario scenarios/baseline.toml --out allocation.xlsx --suppress-below 10
"""

SCENARIO_HELP = """\
Read the Weights sheet of a workbook written by `allocate --out FILE.xlsx` (after editing weights in
Excel or LibreOffice) back as a scenario TOML file.
"""

SCENARIO_EPILOG = """\
exit status: 0 the scenario was written; 2 the workbook could not be read (the problem on stderr).

example:
  python -m sbb allocate ... --out allocation.xlsx     # edit weights on its Weights sheet, save
  python -m sbb scenario --from-xlsx allocation.xlsx --out scenarios/my_scenario.toml
"""
