"""Documents for people: school statements and the board handout as PDF bytes.

`statements_pdf` (a district summary page, then one page per school) and `handout_pdf` (two pages
for a board packet) are pure functions of an allocation, its district and a `DocInfo` (district
name, scenario, date, tool version); the command line and the app write or offer the bytes.
"""

from .handout import handout_pdf
from .page import DocInfo, district_label
from .statements import statements_pdf

__all__ = ["DocInfo", "district_label", "handout_pdf", "statements_pdf"]
