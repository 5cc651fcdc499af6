"""Build ``gazetteer.tsv.gz`` from the shared GeoNames settlements extract (run by hand, once).

Usage: ``python src/ceasefire/data/gazetteer_build.py SETTLEMENTS_CSV OUT_TSV_GZ``

Keeps every row (theatre places with population >= 500 and European places >= 15,000), only
the columns the gazetteer needs, and of the alternate names only those written in Latin or
Cyrillic script (other scripts cannot match a name typed by a monitor or found in a report).
See PROVENANCE.md next to the output.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
import unicodedata
from pathlib import Path

COLUMNS = (
    "geonameid",
    "name",
    "latitude",
    "longitude",
    "country_code",
    "ua_oblast_iso",
    "population",
    "alternatenames",
)


def latin_or_cyrillic(name: str) -> bool:
    """True when every letter of ``name`` is Latin or Cyrillic (digits, spaces, marks pass)."""
    for char in name:
        if char.isalpha():
            script = unicodedata.name(char, "")
            if not (script.startswith("LATIN") or script.startswith("CYRILLIC")):
                return False
    return True


def build(source: Path, target: Path) -> int:
    """Write the compact TSV; return the number of places."""
    rows = 0
    with (
        source.open(encoding="utf-8", newline="") as src,
        target.open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as packed,
        io.TextIOWrapper(packed, encoding="utf-8", newline="") as out,
    ):
        writer = csv.writer(out, delimiter="\t", lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in csv.DictReader(src):
            names = [n for n in row["alternatenames"].split("|") if n and latin_or_cyrillic(n)]
            names = list(dict.fromkeys(n for n in names if n != row["name"]))
            writer.writerow([*(row[c] for c in COLUMNS[:-1]), "|".join(names)])
            rows += 1
    return rows


if __name__ == "__main__":
    count = build(Path(sys.argv[1]), Path(sys.argv[2]))
    sys.stdout.write(f"{count} places\n")
