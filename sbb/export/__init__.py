"""Excel export: the allocation workbook (live formulas, named parameters) and reading an edited
workbook back as a scenario."""

from .readback import scenario_toml_from_workbook
from .workbook import build_workbook, workbook_bytes, write_workbook

__all__ = ["build_workbook", "scenario_toml_from_workbook", "workbook_bytes", "write_workbook"]
