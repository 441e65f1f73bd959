"""Student-based budgeting scenario simulator: a vectorised allocation engine.

Load a district (`load_district`), read a scenario (`load_scenario`), `allocate`.
"""

from .allocate import Allocation, allocate
from .district import District, load_district
from .problems import InputError, Problem
from .scenario import Scenario, load_scenario
from .weights import WeightTable, load_weights

__all__ = ["Allocation", "District", "InputError", "Problem", "Scenario", "WeightTable", "allocate",
           "load_district", "load_scenario", "load_weights"]
