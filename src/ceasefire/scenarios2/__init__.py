"""A second scenario generator, written from the report spec alone (issue 18 point 1).

Fusion was tuned on the paris simulator (``ceasefire.simulation``). To know whether it holds
elsewhere, this package generates ground truth and the reports observers would send without
reading fusion or that simulator (an import-linter contract keeps it from importing them):
only the interchange spec, the report model and parsers, the shipped paris-2026 geography and
gazetteer, and the research notes on how the OSCE SMM observed.

Families (``Family``), each selectable: dense bursts, bearing-only posts with wide bands, UAV
and satellite fixes offset in time, place-name-only open sources, false and duplicated
reports, observer clock skew, a sensor reporting every few seconds, and all of them mixed.

>>> from ceasefire.scenarios2 import Family, generate
>>> s = generate(Family.BURSTS, seed=1, n_events=30)
>>> int((s.reports["event"] >= 0).sum()) == s.n_reports
True

``write_scenario`` writes ``reports.ndjson`` and ``truth.json``; ``python -m
ceasefire.scenarios2 --family mixed --seed 1 --out DIR`` does the same from the shell.
"""

from ceasefire.scenarios2.families import Family, FamilySpec, spec_of
from ceasefire.scenarios2.generate import Scenario, generate
from ceasefire.scenarios2.write import truth_clusters, truth_document, write_scenario

__all__ = [
    "Family",
    "FamilySpec",
    "Scenario",
    "generate",
    "spec_of",
    "truth_clusters",
    "truth_document",
    "write_scenario",
]
