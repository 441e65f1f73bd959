"""Build the Minnesota FY2022 compensatory revenue example from the published figures.

Source: Minnesota House Research Department, "FY 2022 Compensatory Revenue by Site" (workbook on
the Minnesota Department of Education's October 1, 2020 enrollment and free/reduced-price lunch
counts by school site), as published in the public repository bwedfinance/2024-summer-training,
slides/week_08/mn_example/data/comprev_fall2020.xlsx, sheet `sitesfall2020`, exported to
`published_compensatory_revenue_by_site.csv` (beside this script, unchanged). Statute: Minn. Stat.
126C.10, subd. 3.

Writes, for `python -m sbb allocate --counts`:
- schools.csv: school_id (district number as published - Minneapolis appears as 1.2 -, district
  type, site number: '1-01-001'), school_name, district_name, prior_allocation (the published
  revenue, so a reproduction shows every site unchanged);
- counts.csv: school_id, enrollment (A), lunch_free (B), lunch_reduced (C).

Run from the repository root: python sample_data/minnesota_fy2022/build.py
"""

from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
PUBLISHED = HERE / "published_compensatory_revenue_by_site.csv"


def school_ids(frame: pd.DataFrame) -> pd.Series:
    """district-type-site, e.g. '1-01-001' (numbers as published)."""
    return (frame["dist_no"].map("{:g}".format) + "-" + frame["dist_type"].map("{:02.0f}".format)
            + "-" + frame["site_no"].map("{:03.0f}".format))


def main() -> None:
    pub = pd.read_csv(PUBLISHED)
    ids = school_ids(pub)
    assert ids.is_unique, "school ids must be unique"
    schools = pd.DataFrame({
        "school_id": ids,
        "school_name": pub["school_name"],
        "district_name": pub["district_name"],
        "prior_allocation": pub["revenue_G_x_5728"].map("{:.2f}".format),
    })
    counts = pd.DataFrame({
        "school_id": ids,
        "enrollment": pub["total_enrollment"].map("{:g}".format),
        "lunch_free": pub["free"].map("{:g}".format),
        "lunch_reduced": pub["reduced"].map("{:g}".format),
    })
    schools.to_csv(HERE / "schools.csv", index=False, lineterminator="\n")
    counts.to_csv(HERE / "counts.csv", index=False, lineterminator="\n")
    print(f"{len(schools)} sites written to {HERE}")


if __name__ == "__main__":
    main()
