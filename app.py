"""Streamlit app: the student-based budgeting simulator.

    streamlit run app.py                       # the shipped sample district
    streamlit run app.py -- --schools S (--roster R | --counts C) --scenario F

The page is described in `sbb/ui/page.py`; the model lives in `sbb/`.
"""

from sbb.ui.page import main

main()
