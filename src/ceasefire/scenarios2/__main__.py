"""``python -m ceasefire.scenarios2 --family F --seed N --out DIR [--events N]``.

Writes ``DIR/reports.ndjson`` and ``DIR/truth.json`` and prints both paths.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from ceasefire.scenarios2.families import Family
from ceasefire.scenarios2.generate import generate
from ceasefire.scenarios2.write import write_scenario


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the arguments, generate, write."""
    ap = argparse.ArgumentParser(prog="python -m ceasefire.scenarios2")
    ap.add_argument("--family", required=True, choices=[f.value for f in Family])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--events", type=int, default=None)
    args = ap.parse_args(argv)
    scenario = generate(args.family, seed=args.seed, n_events=args.events)
    for path in write_scenario(scenario, args.out):
        print(path)


if __name__ == "__main__":
    main()
