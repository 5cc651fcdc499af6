"""The agreement file: parties, line, zones, rules, versions; loading and validation."""

from ceasefire.agreement.loader import load_agreement, parse_agreement
from ceasefire.agreement.model import (
    DEFAULT_STORAGE_SITE_RADIUS_M,
    STORAGE_SITES,
    Agreement,
    Party,
    Rule,
    SideOfLine,
    Zone,
    ZoneKind,
)
from ceasefire.agreement.versions import version_in_force

__all__ = [
    "DEFAULT_STORAGE_SITE_RADIUS_M",
    "STORAGE_SITES",
    "Agreement",
    "Party",
    "Rule",
    "SideOfLine",
    "Zone",
    "ZoneKind",
    "load_agreement",
    "parse_agreement",
    "version_in_force",
]
