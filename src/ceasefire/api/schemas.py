"""The API's shapes (Pydantic ``…In``/``…Out``); mappers from store rows live in ``views``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Strict(BaseModel):
    """Request bodies: unknown keys are an error, not silently dropped; no text may hold a
    NUL character (U+0000), which PostgreSQL's ``text`` cannot store: refused on both
    backends alike (422), never a server error."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("a NUL character (U+0000) is not accepted")
        return value


class LoginIn(Strict):
    name: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


class UserOut(BaseModel):
    name: str
    nation: str | None
    organisation: str | None
    clearance: str
    roles: list[str]
    view: str = Field(description="whose releasability this user's picture follows")


class LoginOut(BaseModel):
    csrf: str
    user: UserOut
    #: where the page goes now: the ``next`` asked for if it is a path of this site, else "/"
    next: str = "/"


class NoteIn(Strict):
    note: str | None = Field(default=None, max_length=4000)


class ProposalIn(Strict):
    party: str = Field(min_length=1, max_length=64)
    basis: str = Field(min_length=1, max_length=2000)
    confidence: float = Field(ge=0.0, le=1.0)


class DecisionIn(Strict):
    decision: str = Field(pattern="^(upheld|rejected)$")
    note: str | None = Field(default=None, max_length=4000)


class IncidentOut(BaseModel):
    id: int
    observed_at: str
    lon: float | None
    lat: float | None
    uncertainty_m: float | None
    category: str
    weapon_class: str | None
    count_low: int
    count_best: int
    count_high: int
    state: str | None
    confidence: float | None
    sources: int
    reports: int
    rules: list[str]
    severity: int | None
    partial: bool


class IncidentPage(BaseModel):
    items: list[IncidentOut]
    next_cursor: str | None


class EllipseOut(BaseModel):
    semi_major_m: float
    semi_minor_m: float
    angle_deg: float


class MemberOut(BaseModel):
    id: str
    source: str
    source_type: str
    reliability: str
    credibility: int
    observed_at: str
    category: str
    count: int
    lon: float | None
    lat: float | None
    uncertainty_m: float | None


class ViolationOut(BaseModel):
    id: int | None
    rule_id: str
    article: str
    severity: int
    certainty: str
    zone_id: str | None


class StateOut(BaseModel):
    state: str
    by: str
    at: str
    note: str | None
    #: the (classification, releasable_to) of the reports its author saw; shown only to
    #: readers who see all of them
    marking: list[list[str]]
    #: a verdict on its author's tearline: never the incident's own state
    tearline: bool


class AttributionOut(BaseModel):
    id: int
    violation_id: int
    party: str
    basis: str
    confidence: float
    proposed_by: str
    proposed_at: str
    marking: list[list[str]]
    decision: str | None
    decided_by: str | None
    decided_at: str | None
    note: str | None


class IncidentDetailOut(IncidentOut):
    members: list[MemberOut]
    ellipse: EllipseOut | None
    zones_inside: list[str]
    zones_possibly_inside: list[str]
    party: str | None
    violations: list[ViolationOut]
    history: list[StateOut]
    attributions: list[AttributionOut]
    actions: list[str]


class ReportOut(BaseModel):
    pk: int
    id: str
    source: str
    source_type: str
    reliability: str
    credibility: int
    observed_at: str
    category: str
    weapon_class: str | None
    count: int
    lon: float | None
    lat: float | None
    uncertainty_m: float | None
    party: str | None
    distance_to_line_km: float | None
    classification: str
    releasable_to: list[str]
    status: str


class ReportPage(BaseModel):
    items: list[ReportOut]
    next_cursor: str | None


class RejectedOut(BaseModel):
    line: int | None
    field: str
    rule: str
    message: str


class IngestOut(BaseModel):
    accepted: int
    duplicates: int
    quarantined: int
    rejected: list[RejectedOut]


class IntakeBatchOut(BaseModel):
    content_id: str
    part: str
    duplicate: bool


class IntakeAcceptedOut(BaseModel):
    """The answer of a submission published to the bus: stored, not yet processed."""

    status: str
    input: str
    batches: list[IntakeBatchOut]


class DayCountOut(BaseModel):
    date: str
    reports: int
    incidents: int
    violations: int


class DailyCountsOut(BaseModel):
    days: list[DayCountOut]


class HealthOut(BaseModel):
    status: str
