"""Notes, verdicts and attribution records carry the marking of what their author saw (issue 13).

Tried as an attacker would: a note quoting a SECRET/FRA report must not reach a USA reader;
a reader who sees part of an incident must not change the state readers of the whole see;
an attribution id a reader may not see answers byte for byte like a missing one. The
expected views are computed here from the database with their own driver (``db_rows``) and an own
releasability rule (nations only, no groups), independently of the app.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from api_helpers import HQ, FreshHQDB, fresh_hq, report
from db_rows import RawDB
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ceasefire.access.model import Role
from ceasefire.api.routes_stream import Cursor, poll
from ceasefire.reports.model import Classification
from ceasefire.store.access_sql import user_by_name
from ceasefire.store.attribution_sql import add_attribution
from ceasefire.store.queries import engine_of

LEVELS = ("UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET")
ROLES = (Role.ANALYST, Role.COMMISSION)
PROPOSAL = {"party": "RUS", "basis": "b", "confidence": 0.5}
QUOTE = "fix from the SECRET FRA drone at 48.0012N: 3 craters"

#: One event seen by three kinds of report: A (open to USA, FRA, GBR), B (SECRET, FRA
#: only), C (RESTRICTED, USA and FRA). FRA SECRET sees it whole; USA SECRET sees A and C;
#: GBR SECRET sees A only; JPN sees nothing.
EVENT = [
    report("a", source="OP-A", releasable_to=["USA", "FRA", "GBR"], count=2),
    report("b", source="OP-B", releasable_to=["FRA"], classification="SECRET", count=3),
    report("c", source="OP-C", releasable_to=["USA", "FRA"], classification="RESTRICTED"),
]


def sees(pair: tuple[str, str], nation: str, clearance: str) -> bool:
    """The spec's rule for one (classification, releasable_to), nations only."""
    level, label = pair
    return LEVELS.index(level) <= LEVELS.index(clearance) and nation in label.split(";")


def sees_all(marking: Any, nation: str, clearance: str) -> bool:
    """Whether a reader sees every pair of a marking (JSON text or a decoded list)."""
    pairs = json.loads(marking) if isinstance(marking, str) else marking
    return bool(pairs) and all(sees((str(c), str(r)), nation, clearance) for c, r in pairs)


def people(hq: HQ) -> dict[str, dict[str, str]]:
    return {
        name: hq.user(name, nation=nation, clearance=Classification(level), roles=ROLES)
        for name, nation, level in [
            ("fra", "FRA", "SECRET"),
            ("fra2", "FRA", "SECRET"),
            ("usa", "USA", "SECRET"),
            ("gbr", "GBR", "SECRET"),
            ("jpn", "JPN", "SECRET"),
        ]
    }


def the_incident(hq: HQ, headers: dict[str, str]) -> dict[str, Any]:
    items = hq.client.get("/api/incidents", headers=headers).json()["items"]
    assert len(items) == 1
    panel = hq.client.get(f"/api/incidents/{items[0]['id']}", headers=headers)
    assert panel.status_code == 200
    body: dict[str, Any] = panel.json()
    assert body["state"] == items[0]["state"], "the list and the panel show the same state"
    return body


def test_a_note_quoting_a_secret_report_reaches_only_readers_of_that_report(hq: HQ) -> None:
    users = people(hq)
    hq.ingest(EVENT)
    whole = the_incident(hq, users["fra"])
    assert not whole["partial"]
    done = hq.client.post(
        f"/api/incidents/{whole['id']}/dispute", json={"note": QUOTE}, headers=users["fra"]
    )
    assert done.status_code == 200, done.text
    # the FRA SECRET readers see the verdict, its note and its marking
    for name in ("fra", "fra2"):
        seen = the_incident(hq, users[name])
        assert seen["state"] == "disputed"
        notes = [h for h in seen["history"] if h["note"] == QUOTE]
        assert len(notes) == 1
        assert [tuple(p) for p in notes[0]["marking"]] == [
            ("RESTRICTED", "USA;FRA"),
            ("SECRET", "FRA"),
            ("UNCLASSIFIED", "USA;FRA;GBR"),
        ]
    # USA and GBR see the incident through a tearline: neither the note nor the verdict
    for name in ("usa", "gbr"):
        seen = the_incident(hq, users[name])
        assert seen["partial"]
        assert seen["state"] in {"reported", "corroborated"}
        assert seen["history"] == []
        for path in (f"/api/incidents/{whole['id']}", "/api/incidents"):
            body = hq.client.get(path, headers=users[name]).content
            assert QUOTE.encode() not in body
            assert b"disputed" not in body
        listed = hq.client.get("/api/incidents?state=disputed", headers=users[name]).json()
        assert listed["items"] == []


def test_a_partial_reader_may_not_reject_the_whole_but_may_judge_their_tearline(hq: HQ) -> None:
    users = people(hq)
    hq.ingest(EVENT)
    pk = the_incident(hq, users["fra"])["id"]
    before = {name: the_incident(hq, users[name]) for name in ("fra", "usa", "gbr")}
    refused = hq.client.post(
        f"/api/incidents/{pk}/reject", json={"note": "not an event"}, headers=users["usa"]
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert f"/api/incidents/{pk}/tearline/reject" in refused.json()["error"]["message"]
    for word in ("SECRET", "FRA", "OP-B", "3 reports", "corroborated", "reported"):
        assert word not in refused.text  # nothing the USA reader is not shown
    assert {n: the_incident(hq, users[n]) for n in before} == before  # nothing changed
    # what a partial reader may do instead: a verdict on their own tearline
    torn = hq.client.post(
        f"/api/incidents/{pk}/tearline/reject", json={"note": "usa view"}, headers=users["usa"]
    )
    assert torn.status_code == 200, torn.text
    usa = the_incident(hq, users["usa"])
    assert usa["state"] == "rejected"
    assert [(h["note"], h["tearline"]) for h in usa["history"]] == [("usa view", True)]
    # the readers of the whole keep their state, and see the tearline verdict as such
    fra = the_incident(hq, users["fra"])
    assert fra["state"] == before["fra"]["state"]
    assert [h["note"] for h in fra["history"] if h["tearline"]] == ["usa view"]
    # GBR sees only A: the USA analyst saw C too, so GBR sees neither note nor verdict
    gbr = the_incident(hq, users["gbr"])
    assert gbr == before["gbr"]
    # a whole reader may not use the tearline route, nor a partial one decide twice
    assert (
        hq.client.post(f"/api/incidents/{pk}/tearline/verify", json={}, headers=users["fra"])
    ).status_code == 403
    again = hq.client.post(f"/api/incidents/{pk}/tearline/reject", json={}, headers=users["usa"])
    assert again.status_code == 422
    # GBR's own tearline verdict (marked A) is shown to every reader of A ...
    assert (
        hq.client.post(
            f"/api/incidents/{pk}/tearline/dispute", json={"note": "gbr"}, headers=users["gbr"]
        )
    ).status_code == 200
    assert the_incident(hq, users["gbr"])["state"] == "disputed"
    assert the_incident(hq, users["usa"])["state"] == "disputed"  # the latest it may see
    assert "gbr" in [h["note"] for h in the_incident(hq, users["fra"])["history"]]
    # ... and still never the whole incident's state
    assert the_incident(hq, users["fra"])["state"] == before["fra"]["state"]
    db = RawDB(hq.db)
    states = db.execute("SELECT state FROM incident_items WHERE incident_pk = ?", (pk,)).fetchall()
    db.close()
    assert states == [(before["fra"]["state"],)]


def test_the_stream_tells_no_reader_of_a_verdict_they_may_not_see(hq: HQ) -> None:
    users = people(hq)
    hq.ingest(EVENT)
    pk = the_incident(hq, users["fra"])["id"]
    found = {name: user_by_name(engine_of(hq.state.store), name) for name in ("fra2", "usa", "gbr")}
    readers = {name: f[0] for name, f in found.items() if f is not None}
    cursors = {name: Cursor(hq.state) for name in readers}

    def events() -> dict[str, bytes]:
        return {n: b"".join(poll(hq.state, u, cursors[n])) for n, u in readers.items()}

    done = hq.client.post(f"/api/incidents/{pk}/verify", json={}, headers=users["fra"])
    assert done.status_code == 200
    sent = events()
    assert b'"state":"verified"' in sent["fra2"]
    assert sent["usa"] == sent["gbr"] == b""  # their items did not change
    done = hq.client.post(f"/api/incidents/{pk}/tearline/reject", json={}, headers=users["usa"])
    assert done.status_code == 200
    sent = events()
    assert b'"state":"rejected"' in sent["usa"]
    assert sent["gbr"] == b""  # marked with C, which GBR does not see


def test_attribution_records_follow_their_markings(hq: HQ) -> None:
    users = people(hq)
    hq.ingest(EVENT)
    pk = the_incident(hq, users["fra"])["id"]
    violations = hq.client.get("/api/violations", headers=users["fra"]).json()["items"]
    assert violations
    assert [v["incident_id"] for v in violations] == [pk] * len(violations)
    vid = violations[0]["id"]
    proposal = {"party": "RUS", "basis": "craters", "confidence": 0.7}
    # a partial reader may not propose: the violation is not theirs to see
    assert (
        hq.client.post(
            f"/api/violations/{vid}/attribution", json=proposal, headers=users["usa"]
        ).status_code
        == 404
    )
    made = hq.client.post(f"/api/violations/{vid}/attribution", json=proposal, headers=users["fra"])
    assert made.status_code == 200, made.text
    aid = made.json()["id"]
    decided = hq.client.post(
        f"/api/attributions/{aid}/decision",
        json={"decision": "upheld", "note": QUOTE},
        headers=users["fra2"],
    )
    assert decided.status_code == 200, decided.text
    # an attribution marked beyond what FRA SECRET readers see (as a CLI or a later narrower
    # author could write it): shown to nobody here, and decided by nobody
    narrow = (("RESTRICTED", "USA;FRA"), ("SECRET", "FRA"), ("UNCLASSIFIED", "USA;FRA;GBR"))
    hidden = add_attribution(
        engine_of(hq.state.store),
        {
            "violation_pk": vid,
            "party": "UKR",
            "basis": "hidden basis",
            "confidence": 0.2,
            "proposed_by": "x",
            "proposed_at": "2026-03-10T12:00:00+00:00",
        },
        marking=(("SECRET", "XYZ"), *narrow),
    )
    fra = the_incident(hq, users["fra"])
    assert [(a["id"], a["decision"], a["note"]) for a in fra["attributions"]] == [
        (aid, "upheld", QUOTE)
    ]
    for name in ("usa", "gbr"):
        seen = hq.client.get(f"/api/incidents/{pk}", headers=users[name])
        assert seen.json()["attributions"] == []
        assert b"RUS" not in seen.content
        assert QUOTE.encode() not in seen.content
    missing = hq.client.post(
        "/api/attributions/987654/decision", json={"decision": "upheld"}, headers=users["fra"]
    )
    for name, target in (("fra", hidden), ("usa", aid), ("jpn", aid)):
        answer = hq.client.post(
            f"/api/attributions/{target}/decision", json={"decision": "upheld"}, headers=users[name]
        )
        assert answer.status_code == missing.status_code == 404
        assert answer.content.replace(str(target).encode(), b"987654") == missing.content


def test_hidden_ids_answer_byte_for_byte_like_missing_ones(
    hq_db: FreshHQDB, tmp_path: Path
) -> None:
    """The same requests, for the same ids, against a store where the records exist but are
    hidden from the caller, and against one where they do not exist at all."""
    answers: list[list[tuple[int, bytes]]] = []
    for world in ("hidden", "missing"):
        with fresh_hq(hq_db, tmp_path / world) as hq:
            users = people(hq)
            if world == "hidden":
                hq.ingest(EVENT)
                pk = the_incident(hq, users["fra"])["id"]
                vid = hq.client.get("/api/violations", headers=users["fra"]).json()["items"][0]
                aid = hq.client.post(
                    f"/api/violations/{vid['id']}/attribution",
                    json=PROPOSAL,
                    headers=users["fra"],
                ).json()["id"]
                ids = (pk, vid["id"], aid)
                (tmp_path / "ids.json").write_text(json.dumps(ids))
            pk, vid, aid = json.loads((tmp_path / "ids.json").read_text())
            requests: list[tuple[str, str, dict[str, Any] | None]] = [
                ("GET", f"/api/incidents/{pk}", None),
                ("POST", f"/api/violations/{vid}/attribution", PROPOSAL),
                ("POST", f"/api/attributions/{aid}/decision", {"decision": "upheld"}),
            ]
            for verb in ("verify", "dispute", "reject"):
                requests.append(("POST", f"/api/incidents/{pk}/{verb}", {"note": "n"}))
                requests.append(("POST", f"/api/incidents/{pk}/tearline/{verb}", {"note": "n"}))
            seen: list[tuple[int, bytes]] = []
            for name in ("jpn", "usa"):  # hides everything; sees the incident in part
                for method, url, body in requests:
                    if name == "usa" and "/incidents/" in url:
                        continue  # USA is shown this incident (partly)
                    got = hq.client.request(method, url, json=body, headers=users[name])
                    seen.append((got.status_code, got.content))
            answers.append(seen)
    assert answers[0] == answers[1]
    assert {status for status, _ in answers[0]} == {404}


events = st.lists(
    st.lists(
        st.tuples(
            st.sampled_from(LEVELS),
            st.sampled_from(("USA", "FRA;USA", "FRA", "GBR;USA", "FRA;GBR;USA")),
        ),
        min_size=1,
        max_size=3,
    ),
    min_size=1,
    max_size=2,
)
users = st.lists(
    st.tuples(st.sampled_from(("USA", "FRA", "GBR")), st.sampled_from((*LEVELS, "SECRET"))),
    min_size=2,
    max_size=4,
)
#: an attribution per incident, marked with the incident's pairs and maybe one more
extra_pairs = st.lists(
    st.one_of(
        st.none(),
        st.tuples(st.sampled_from(LEVELS), st.sampled_from(("USA", "FRA", "GBR", "FRA;GBR"))),
    ),
    min_size=2,
    max_size=2,
)
verdicts = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 1), st.sampled_from(("verify", "reject"))),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=events, people_spec=users, plan=st.tuples(verdicts, extra_pairs))
def test_every_reader_is_shown_exactly_the_records_whose_marking_they_see(
    hq_db: FreshHQDB,
    tmp_path: Path,
    spec: list[list[tuple[str, str]]],
    people_spec: list[tuple[str, str]],
    plan: tuple[list[tuple[int, int, str]], list[tuple[str, str] | None]],
) -> None:
    actions, extra = plan
    with fresh_hq(hq_db, tmp_path / "prop") as hq:
        reports = [
            report(
                f"e{e}-{k}",
                source=f"OP-{e}-{k}",
                lon=37.3,
                lat=48.0 + 0.2 * e,
                classification=level,
                releasable_to=label.split(";"),
            )
            for e, kinds in enumerate(spec)
            for k, (level, label) in enumerate(kinds)
        ]
        hq.ingest(reports)
        heads = [
            hq.user(f"u{k}", nation=n, clearance=Classification(c), roles=ROLES)
            for k, (n, c) in enumerate(people_spec)
        ]
        db = RawDB(hq.db)
        incidents = [pk for (pk,) in db.execute("SELECT pk FROM incidents WHERE status='active'")]
        pairs = {
            pk: {
                (c, label or "")
                for c, label in db.execute(
                    "SELECT r.classification, r.releasable_to FROM incident_reports ir "
                    "JOIN reports r ON r.pk = ir.report_pk WHERE ir.incident_pk = ?",
                    (pk,),
                )
            }
            for pk in incidents
        }
        for who, which, verb in actions:
            if who >= len(heads) or which >= len(incidents):
                continue
            nation, level = people_spec[who]
            pk = incidents[which]
            seen = {p for p in pairs[pk] if sees(p, nation, level)}
            if not seen:
                continue
            path = f"/{verb}" if seen == pairs[pk] else f"/tearline/{verb}"
            event("verdict on a tearline" if "tearline" in path else "verdict on the whole")
            answer = hq.client.post(
                f"/api/incidents/{pk}{path}", json={"note": f"n{who}{which}"}, headers=heads[who]
            )
            assert answer.status_code in (200, 422), answer.text  # 422: already so
        for pk, more in zip(incidents, extra, strict=False):
            violation = db.execute(
                "SELECT pk FROM violations WHERE incident_pk = ? AND active", (pk,)
            ).fetchone()
            if violation is not None:
                marking = tuple(sorted(pairs[pk] | ({more} if more else set())))
                proposal = {"party": "RUS", "basis": "b", "confidence": 0.5}
                proposal |= {"proposed_by": "p", "proposed_at": "2026-03-10T12:00:00+00:00"}
                engine = engine_of(hq.state.store)
                add_attribution(engine, proposal | {"violation_pk": violation[0]},
                                marking=marking)  # fmt: skip
        rows = db.execute(
            "SELECT incident_pk, state, note, marking, tearline, author FROM incident_states "
            "ORDER BY pk"
        ).fetchall()
        attributed = db.execute(
            "SELECT v.incident_pk, a.pk, a.marking FROM attributions a "
            "JOIN violations v ON v.pk = a.violation_pk ORDER BY a.pk"
        ).fetchall()
        db.close()
        for (nation, level), headers in zip(people_spec, heads, strict=True):
            for pk in incidents:
                mine = {p for p in pairs[pk] if sees(p, nation, level)}
                panel = hq.client.get(f"/api/incidents/{pk}", headers=headers)
                if not mine:
                    assert panel.status_code == 404
                    continue
                shown = panel.json()
                expected = [
                    (state, note)
                    for incident, state, note, marking, _, _ in rows
                    if incident == pk and sees_all(marking, nation, level)
                ]
                assert [(h["state"], h["note"]) for h in shown["history"]] == expected
                assert all(sees_all(h["marking"], nation, level) for h in shown["history"])
                # the state: the whole incident's own, or the latest verdict the tearline sees
                if mine == pairs[pk]:
                    own = [state for i, state, _, _, torn, _ in rows if i == pk and not torn]
                    assert shown["state"] == own[-1]
                else:
                    shown_verdicts = [
                        state
                        for i, state, _, marking, _, author in rows
                        if i == pk
                        and author != "fusion"
                        and {(c, r) for c, r in json.loads(marking)} <= mine
                    ]
                    event(f"partial reader shown {len(shown_verdicts)} verdicts")
                    automatic = {"reported", "corroborated"}
                    want = {shown_verdicts[-1]} if shown_verdicts else automatic
                    assert shown["state"] in want
                listed = hq.client.get(
                    "/api/incidents", params={"state": shown["state"]}, headers=headers
                ).json()["items"]
                assert [i["id"] for i in listed if i["id"] == pk] == [pk]
                # attributions: those whose marking the reader sees, under no tearline
                want_attributions = [
                    a
                    for i, a, marking in attributed
                    if i == pk and mine == pairs[pk] and sees_all(marking, nation, level)
                ]
                assert [a["id"] for a in shown["attributions"]] == want_attributions
                for a in shown["attributions"]:
                    assert sees_all(a["marking"], nation, level)
                event(f"attributions shown: {len(want_attributions)}")
