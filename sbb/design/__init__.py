"""Designing a formula: solve for a target, sweep a grid of settings, optimise weights under constraints.

`params` names what can vary, `target` the results aimed at (computed one way from a scenario's
outcome), `solve_for`, `sweep` and `optimise` answer the three questions, `cli` wires them to
`python -m sbb`. Everything here is pure: files are read and written by the command line and the app.
"""
