"""The exercise simulator: true events along a scenario's line, the reports observers make of
them, and the ground truth that links the two (see ``docs/simulation.md``).

Entry points: :func:`ceasefire.simulation.service.simulate_scenario` (files) and
:func:`ceasefire.simulation.run.simulate` (columns).
"""
