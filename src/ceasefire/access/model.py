"""Users, roles and the viewer a query is filtered for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from ceasefire.errors import InputError
from ceasefire.reports.model import Classification

#: ISO 3166-1 alpha-3 codes and organisation codes (EU, NATO, OSCE, ...) are upper case.
_CODE = re.compile(r"^[A-Z][A-Z0-9_-]{1,15}$")

#: The principal of the HQ itself (the CLI on the HQ's own database): the scope of reports
#: ingested without an account. Reserved: no account may have it as nation or organisation.
SYSTEM_PRINCIPAL = "HQ"


class Role(StrEnum):
    """What a user may do; reading is open to every role."""

    MONITOR = "monitor"  # submits observation reports
    ANALYST = "analyst"  # verifies, disputes, rejects incidents; proposes attributions
    COMMISSION = "commission"  # Special Commission: decides attributions and remedies
    LIAISON = "liaison"  # national liaison officer: reads
    COMMANDER = "commander"  # reads
    ADMIN = "admin"  # manages users


def check_code(value: str, *, field: str) -> str:
    """An upper-case nation or organisation code, or ``InputError`` naming the field."""
    if not _CODE.match(value):
        raise InputError(
            field,
            "code",
            f"{value!r} is not an ISO 3166-1 alpha-3 or organisation code "
            "(upper case letters, e.g. FRA, USA, EU)",
        )
    return value


@dataclass(frozen=True, slots=True)
class User:
    """A person of a nation or an organisation, with a clearance and roles."""

    pk: int
    name: str
    nation: str | None
    organisation: str | None
    clearance: Classification
    roles: frozenset[Role]

    @property
    def principal(self) -> str:
        """The code releasability is checked against: the nation, else the organisation."""
        return self.nation or self.organisation or ""

    def may(self, role: Role) -> bool:
        """Whether the user holds ``role`` (admins hold every role)."""
        return role in self.roles or Role.ADMIN in self.roles


@dataclass(frozen=True, slots=True)
class Viewer:
    """What a query needs to filter for one reader.

    ``audiences`` holds every code a report's ``releasable_to`` may name to reach this reader:
    their nation or organisation and every group containing it. ``default_audience`` says
    whether reports without ``releasable_to`` (the spec's default: every coalition member)
    reach them. ``None`` as a viewer means the system itself (CLI on the HQ's own database).
    """

    principal: str
    clearance_rank: int
    audiences: frozenset[str]
    default_audience: bool

    def sees_classification(self, classification: str) -> bool:
        """Whether the clearance covers a marking (unknown markings are never covered)."""
        try:
            return Classification(classification).rank <= self.clearance_rank
        except ValueError:
            return False
