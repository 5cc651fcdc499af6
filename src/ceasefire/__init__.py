"""ceasefire: monitoring, force generation and security guarantees for a ceasefire in Ukraine.

The package is split by domain (reports, agreement, geo, assessment, coalition, guarantees,
ledger) with a pure core and thin edges (cli, store, api). Domain packages never import
the edges; the import-linter contract in pyproject.toml enforces it.
"""

__version__ = "0.1.0"
