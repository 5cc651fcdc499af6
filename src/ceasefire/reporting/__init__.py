"""Rendering and services of the reports: charts, HTML/Markdown, daily and flash reports, demo.

The numbers come from ``ceasefire.monitoring`` (pure); this package adds the store queries,
the geometry of the day, matplotlib pictures and the files.
"""
