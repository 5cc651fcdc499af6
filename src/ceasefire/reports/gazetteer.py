"""Settlement names → positions with an honest size, from the bundled GeoNames subset.

Lookup is insensitive to case, diacritics, apostrophes (``'’ʼ``) and hyphens, and knows Latin
and Cyrillic spellings (GeoNames alternate names: ``Kharkiv``, ``Kharkov``, ``Харків``,
``Харьков``). When a name belongs to several places (there are dozens of ``Oleksandrivka``),
it resolves by population, weighted for the two things that make a match likelier:

1. a place in Ukraine whose GeoNames *primary* name matches wins outright, the most populous
   of them (Donetsk's historical alternate "Oleksandrivka" must not beat the real ones);
2. otherwise the largest ``population x 100 (in Ukraine, the theatre) x 10 (primary name)``:
   "Peski" is the Russian spelling of Ukrainian Pisky (2,230 x 100) rather than Peski near
   Moscow (3,705 x 10), while "Paris" stays Paris (2.1M x 10) and not a Ukrainian village
   once called Paris (1,797 x 100).

A qualifier after a comma narrows the choice: ``"Pisky, UA-53"`` (an ISO 3166-2 oblast code)
or ``"Peski, RU"`` (a country code). The analyst always sees the resolved position and its
uncertainty, so a wrong guess is visible.

Uncertainty is the radius of the settlement's built-up area, from its population at an urban
density of 2,000 inhabitants/km² (Donetsk: 905k over 358 km² ≈ 2,500/km²; Kyiv 2.9M over
839 km² ≈ 3,500/km²; small towns sprawl more), never below 1 km (villages string out along a
road): ``uncertainty_m = max(1000, 1000 * sqrt(population / (2000 * pi)))`` — Kyiv ≈ 21.7 km,
Donetsk ≈ 12 km, Avdiivka (32k) ≈ 2.3 km, a village of 800 → 1 km.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import shapely
from numpy.typing import NDArray

DEFAULT_PATH: Final = Path(__file__).resolve().parents[1] / "data" / "gazetteer.tsv.gz"
URBAN_DENSITY_PER_KM2: Final = 2_000.0
MIN_SETTLEMENT_RADIUS_M: Final = 1_000.0
_EARTH_RADIUS_M: Final = 6_371_008.8
_DROP: Final = dict.fromkeys(map(ord, "'’ʼ`´‘ʹ\"«»."), None)
_SPACE: Final = dict.fromkeys(map(ord, "-‐‑–—_/,"), " ")
_DROP_RE: Final = re.compile("[" + re.escape("'’ʼ`´‘ʹ\"«».") + "]")
_SPACE_RE: Final = re.compile("[" + re.escape("-‐‑–—_/,") + "]")
_COMBINING: Final = re.compile(
    "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)


def settlement_radius_m(population: NDArray[np.float64] | float) -> NDArray[np.float64]:
    """Built-up radius in metres from population (see the module docstring)."""
    pop = np.maximum(np.asarray(population, dtype=np.float64), 0.0)
    radius = 1_000.0 * np.sqrt(pop / (URBAN_DENSITY_PER_KM2 * math.pi))
    return np.maximum(radius, MIN_SETTLEMENT_RADIUS_M)


def _fold(text: str) -> str:
    """Casefold, strip diacritics and apostrophes, hyphens to spaces; character-wise, so it
    can run over a whole file of names at once (whitespace is collapsed per name after)."""
    if text.isascii():
        return text.lower().translate(_DROP).translate(_SPACE)
    bare = _COMBINING.sub("", unicodedata.normalize("NFKD", text.casefold()))
    return _SPACE_RE.sub(" ", _DROP_RE.sub("", bare))


def _normalise(name: str) -> str:
    return " ".join(_fold(name).split())


@functools.lru_cache(maxsize=65_536)
def normalise_name(name: str) -> str:
    """The lookup key: casefolded, without diacritics or apostrophes, hyphens as spaces.

    >>> normalise_name("Stanytsia-Luhans'ka") == normalise_name("stanytsia luhanska")
    True
    """
    return _normalise(name)


@dataclass(frozen=True, slots=True)
class GazetteerHit:
    """A resolved settlement: GeoNames name, WGS 84 position, size radius, population, oblast.

    ``oblast_iso`` is the ISO 3166-2 code of the Ukrainian oblast containing it (``UA-14``),
    ``None`` outside Ukraine; ``country_code`` is ISO 3166-1 alpha-2.
    """

    name: str
    lon: float
    lat: float
    uncertainty_m: float
    population: int
    oblast_iso: str | None
    country_code: str = ""


class Gazetteer:
    """An immutable name index over settlements; build with ``default()`` or ``from_tsv``."""

    def __init__(
        self,
        *,
        names: Sequence[str],
        lon: NDArray[np.float64],
        lat: NDArray[np.float64],
        population: NDArray[np.int64],
        country_code: Sequence[str],
        oblast_iso: Sequence[str],
        alternates: Sequence[Sequence[str]],
    ) -> None:
        self._names = list(names)
        self._lon = np.asarray(lon, dtype=np.float64)
        self._lat = np.asarray(lat, dtype=np.float64)
        self._population = np.asarray(population, dtype=np.int64)
        self._uncertainty = settlement_radius_m(self._population.astype(np.float64))
        self._country = list(country_code)
        self._oblast = list(oblast_iso)
        # fold every label in one pass over one string (10x faster than name by name)
        folded = _fold(
            "\n".join(
                "\t".join((name, *alts)) for name, alts in zip(names, alternates, strict=True)
            )
        ).split("\n")
        candidates: dict[str, dict[int, tuple[bool, int]]] = {}
        for i, labels in enumerate(folded):
            in_ukraine = self._country[i] == "UA"
            pop = int(self._population[i]) + 1
            for k, label in enumerate(labels.split("\t")):
                primary = k == 0
                weight = pop * (100 if in_ukraine else 1) * (10 if primary else 1)
                rank = (not (in_ukraine and primary), -weight)
                found = candidates.setdefault(" ".join(label.split()), {})
                if i not in found or rank < found[i]:
                    found[i] = rank
        #: key -> row indices, best first (see the module docstring for the order)
        self._index: dict[str, tuple[int, ...]] = {
            key: tuple(sorted(found, key=found.__getitem__)) for key, found in candidates.items()
        }
        self._tree: shapely.STRtree | None = None

    @classmethod
    @functools.cache
    def default(cls) -> Gazetteer:
        """The bundled GeoNames subset (``ceasefire/data/gazetteer.tsv.gz``), loaded once."""
        return cls.from_tsv(DEFAULT_PATH)

    @classmethod
    def from_tsv(cls, path: Path) -> Gazetteer:
        """Load a gazetteer TSV as the build script writes it (gzip if it ends in ``.gz``)."""
        raw = path.read_bytes()
        text = gzip.decompress(raw) if path.suffix == ".gz" else raw
        rows = list(csv.DictReader(io.StringIO(text.decode("utf-8")), delimiter="\t"))
        return cls(
            names=[r["name"] for r in rows],
            lon=np.array([float(r["longitude"]) for r in rows]),
            lat=np.array([float(r["latitude"]) for r in rows]),
            population=np.array([int(r["population"] or 0) for r in rows], dtype=np.int64),
            country_code=[r["country_code"] for r in rows],
            oblast_iso=[r["ua_oblast_iso"] for r in rows],
            alternates=[
                r["alternatenames"].split("|") if r["alternatenames"] else [] for r in rows
            ],
        )

    def __len__(self) -> int:
        return len(self._names)

    def _hit(self, i: int) -> GazetteerHit:
        return GazetteerHit(
            name=self._names[i],
            lon=float(self._lon[i]),
            lat=float(self._lat[i]),
            uncertainty_m=float(self._uncertainty[i]),
            population=int(self._population[i]),
            oblast_iso=self._oblast[i] or None,
            country_code=self._country[i],
        )

    def lookup(self, name: str) -> GazetteerHit | None:
        """The settlement called ``name`` (most populous if several), or ``None``.

        >>> Gazetteer.default().lookup("Київ").name
        'Kyiv'
        """
        i = self._resolve(name)
        return None if i < 0 else self._hit(i)

    def _resolve(self, name: str) -> int:
        """Row index of the best match for ``name`` (with an optional qualifier), or -1."""
        found = self._index.get(normalise_name(name))
        if found is not None:
            return found[0]
        head, sep, qualifier = name.rpartition(",")
        if not sep:
            return -1
        code = qualifier.strip().upper()
        for i in self._index.get(normalise_name(head), ()):
            if code in (self._oblast[i], self._country[i]):
                return i
        return -1

    def indices(self, names: Sequence[str | None]) -> NDArray[np.int64]:
        """Row index per name, ``-1`` where absent or unknown (each distinct name resolved once)."""
        resolve = self._resolve
        seen: dict[str | None, int] = {None: -1, "": -1}
        out = np.empty(len(names), dtype=np.int64)
        for k, name in enumerate(names):
            i = seen.get(name)
            if i is None:
                i = seen[name] = resolve(name)  # type: ignore[arg-type]
            out[k] = i
        return out

    def lookup_many(
        self, names: Sequence[str | None]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """``(lon, lat, uncertainty_m)`` arrays for ``names``; NaN where not found."""
        idx = self.indices(names)
        found = idx >= 0
        safe = np.where(found, idx, 0)
        nan = np.float64(np.nan)
        return (
            np.where(found, self._lon[safe], nan),
            np.where(found, self._lat[safe], nan),
            np.where(found, self._uncertainty[safe], nan),
        )

    def nearest_radius_m(
        self,
        lon: NDArray[np.float64],
        lat: NDArray[np.float64],
        *,
        max_distance_m: float,
    ) -> NDArray[np.float64]:
        """Size radius of the settlement nearest each point within ``max_distance_m``, else NaN.

        Used by the importers to turn "an exact place" into the uncertainty of that place.
        Distances are great-circle (spherical Earth, < 0.5 % off the ellipsoid here).
        """
        if self._tree is None:
            self._tree = shapely.STRtree(shapely.points(self._lon, self._lat))
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        out = np.full(lon.shape, np.nan)
        ok = np.isfinite(lon) & np.isfinite(lat)
        if not ok.any():
            return out
        where = np.flatnonzero(ok)
        max_deg = math.degrees(max_distance_m / _EARTH_RADIUS_M) / max(
            math.cos(math.radians(min(float(np.abs(lat[ok]).max()), 80.0))), 0.1
        )
        pairs = self._tree.query_nearest(
            shapely.points(lon[where], lat[where]), max_distance=max_deg, all_matches=False
        )
        src, hit = where[pairs[0]], pairs[1]
        dist = haversine_m(lon[src], lat[src], self._lon[hit], self._lat[hit])
        close = dist <= max_distance_m
        out[src[close]] = self._uncertainty[hit[close]]
        return out


def haversine_m(
    lon1: NDArray[np.float64],
    lat1: NDArray[np.float64],
    lon2: NDArray[np.float64],
    lat2: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Great-circle distance in metres on the mean-radius sphere, element-wise."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat = p2 - p1
    dlon = np.radians(lon2 - lon1)
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    result: NDArray[np.float64] = 2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
    return result
