"""Need-to-know: no output shows a user anything not releasable to them (issue 5).

The expected view is computed here independently of the app (own group expansion, own
classification order, the database read with its own driver, ``db_rows``), then compared
with every output path: the report list, the incident list (JSON and the GeoJSON export),
each incident's panel, the daily counts and the live stream.
"""

from __future__ import annotations

import base64
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api_helpers import HQ, FreshHQDB, fresh_hq, report
from db_rows import RawDB, Row
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ceasefire.access.model import Role, User
from ceasefire.api.routes_stream import Cursor, poll
from ceasefire.reports.model import Classification
from ceasefire.store.access_sql import set_release_group, user_by_name
from ceasefire.store.queries import engine_of

NATIONS = ("FRA", "USA", "GBR", "UKR", "DEU", "JPN")
LEVELS = ("UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET")


def expected_groups(groups: dict[str, set[str]], code: str) -> set[str]:
    """Groups holding ``code``, through groups of groups (independent of the app's code)."""
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, members in groups.items():
            if name not in found and (code in members or members & found):
                found.add(name)
                changed = True
    return found


def may_see(row: Row, nation: str, clearance: str, groups: dict[str, set[str]]) -> bool:
    if LEVELS.index(row["classification"]) > LEVELS.index(clearance):
        return False
    reach = {nation} | expected_groups(groups, nation)
    if not row["releasable_to"]:
        return "COALITION" in reach
    return bool(reach & set(row["releasable_to"].split(";")))


reports_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "cluster": st.integers(0, 3),
            "minute": st.integers(0, 3),
            # ~300 m steps east: reports of one incident lie apart, so a tearline's position
            # differs from the whole incident's (a box around a hidden fix must not find it)
            "offset": st.integers(0, 2),
            "releasable_to": st.one_of(
                st.none(), st.lists(st.sampled_from((*NATIONS, "G1", "NATO")), max_size=2)
            ),
            "classification": st.sampled_from(LEVELS),
            "count": st.integers(1, 9),
        }
    ),
    min_size=1,
    max_size=8,
)
users_strategy = st.lists(
    st.tuples(st.sampled_from(NATIONS), st.sampled_from(LEVELS)), min_size=1, max_size=3
)


def pages(client: TestClient, url: str, headers: dict[str, str], **params: Any) -> list[Any]:
    """Every page of a list; each cursor must carry only what its page showed: the time
    and id of the page's last item, as shown (a hidden report's time decoded from a cursor
    would tell the reader when it was observed)."""
    items: list[Any] = []
    cursor = None
    while True:
        query = {**params, "limit": 3, **({"cursor": cursor} if cursor else {})}
        body = client.get(url, params=query, headers=headers).json()
        page = body["items"] if "items" in body else body["features"]
        items += page
        cursor = body["next_cursor"]
        if cursor is None:
            return items
        assert page, "a page with a next cursor shows the item the cursor resumes after"
        last = page[-1].get("properties", page[-1])
        key = last["pk"] if url == "/api/reports" else last["id"]
        assert cursor_shows(cursor) == (shown_s(last["observed_at"]), key)


def cursor_shows(cursor: str) -> tuple[float, int]:
    """What a cursor says, decoded as an attacker would (it is base64 of 'time:pk')."""
    t, pk = base64.urlsafe_b64decode(cursor).decode().split(":")
    return round(float(t), 6), int(pk)


def shown_s(iso: str) -> float:
    return round(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp(), 6)


def iso_z(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def in_box(item: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    lon, lat = item["lon"], item["lat"]
    return lon is not None and box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def check_user(hq: HQ, headers: dict[str, str], user: User, groups: dict[str, set[str]]) -> None:
    nation, clearance = user.nation or "", user.clearance.value
    db = RawDB(hq.db)
    rows = db.execute("SELECT * FROM reports").fetchall()
    visible = {r["pk"] for r in rows if may_see(r, nation, clearance, groups)}
    by_pk = {r["pk"]: r for r in rows}
    links = db.execute(
        "SELECT ir.incident_pk, ir.report_pk FROM incident_reports ir "
        "JOIN incidents i ON i.pk = ir.incident_pk WHERE i.status = 'active'"
    ).fetchall()
    members: dict[int, set[int]] = {}
    for incident, rep in links:
        members.setdefault(incident, set()).add(rep)
    shown = {i for i, ms in members.items() if ms & visible}
    # reports: exactly the visible ones
    listed = pages(hq.client, "/api/reports", headers)
    assert {r["pk"] for r in listed} == visible
    # incidents: exactly those with a visible report; everything shown derived from those
    items = pages(hq.client, "/api/incidents", headers)
    assert {i["id"] for i in items} == shown
    geo = pages(hq.client, "/api/incidents", headers, format="geojson")
    assert {f["id"] for f in geo} == shown
    for item in items:
        mine = members[item["id"]] & visible
        counts = sorted(by_pk[p]["count"] for p in mine)
        assert item["partial"] == (members[item["id"]] != mine)
        if item["partial"]:  # a tearline's place and time come from the visible reports only
            assert shown_s(item["observed_at"]) == min(by_pk[p]["observed_at"] for p in mine)
            lons = [by_pk[p]["located_lon"] for p in mine]
            assert min(lons) - 1e-9 <= item["lon"] <= max(lons) + 1e-9
        assert (item["count_low"], item["count_high"]) == (counts[0], counts[-1])
        assert item["reports"] == len(mine)
        assert item["sources"] <= len({by_pk[p]["source"] for p in mine})
        panel = hq.client.get(f"/api/incidents/{item['id']}", headers=headers).json()
        assert {(m["source"], m["id"]) for m in panel["members"]} == {
            (by_pk[p]["source"], by_pk[p]["id"]) for p in mine
        }
    # the filters test what this reader sees (a tearline's own state and rules), never the
    # whole incident: a filter on hidden facts would tell which incidents they make match
    filters = [("state", v) for v in sorted({i["state"] for i in items} | {"verified"})]
    filters += [("rule", r) for r in sorted({r for i in items for r in i["rules"]} | {"R5"})]
    for key, value in filters:
        got = pages(hq.client, "/api/incidents", headers, **{key: value})
        want = [i for i in items if (value in i["rules"] if key == "rule" else i[key] == value)]
        assert got == want, (key, value)
    # boxes and windows around every report, visible or hidden, as an attacker would draw
    # them: they find exactly the items whose shown place or time lies inside
    for row in rows:
        lon, lat, t = row["located_lon"], row["located_lat"], row["observed_at"]
        box = (lon - 0.001, lat - 0.001, lon + 0.001, lat + 0.001)
        got = pages(hq.client, "/api/incidents", headers, bbox=",".join(map(str, box)))
        assert got == [i for i in items if in_box(i, box)], ("bbox", row["id"])
        got = pages(hq.client, "/api/incidents", headers, since=iso_z(t), until=iso_z(t))
        assert got == [i for i in items if shown_s(i["observed_at"]) == t], ("time", row["id"])
    hidden = set(members) - shown
    for pk in hidden:
        assert hq.client.get(f"/api/incidents/{pk}", headers=headers).status_code == 404
    # daily counts: visible reports and incidents only
    days = hq.client.get("/api/counts/daily", headers=headers).json()["days"]
    assert sum(d["reports"] for d in days) == len(visible)
    assert sum(d["incidents"] for d in days) == len(shown)
    db.close()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=reports_strategy, people=users_strategy, g1=st.sets(st.sampled_from(NATIONS)))
def test_no_output_shows_anything_not_releasable(
    hq_db: FreshHQDB,
    tmp_path: Path,
    spec: list[dict[str, Any]],
    people: list[tuple[str, str]],
    g1: set[str],
) -> None:
    with fresh_hq(hq_db, tmp_path / "prop") as hq:
        set_release_group(engine_of(hq.state.store), "G1", g1)
        groups = {name: set(ms) for name, ms in hq.state.groups().items()}
        groups["G1"] = set(g1)
        hq.state._groups = None  # re-read the groups just set
        sources = Counter[int]()
        reports = []
        for k, r in enumerate(spec):
            sources[r["cluster"]] += 1
            reports.append(
                report(
                    f"r{k}",
                    source=f"OP-{k}",
                    minute=r["minute"],
                    lon=37.3 - 0.05 * r["cluster"] + 0.004 * r["offset"],
                    lat=48.0 + 0.2 * r["cluster"],
                    count=r["count"],
                    releasable_to=r["releasable_to"],
                    classification=r["classification"],
                )
            )
        hq.ingest(reports)
        for k, (nation, level) in enumerate(people):
            headers = hq.user(f"u{k}", nation=nation, clearance=Classification(level))
            found = user_by_name(engine_of(hq.state.store), f"u{k}")
            assert found is not None
            check_user(hq, headers, found[0], groups)


def test_the_live_stream_sends_each_user_only_what_they_may_see(hq: HQ) -> None:
    fra = hq.user("fra", nation="FRA")
    usa = hq.user("usa", nation="USA")
    del fra, usa
    fra_user = user_by_name(engine_of(hq.state.store), "fra")
    usa_user = user_by_name(engine_of(hq.state.store), "usa")
    assert fra_user is not None
    assert usa_user is not None
    cursors = {name: Cursor(hq.state) for name in ("fra", "usa")}
    hq.ingest(
        [
            report("u1", source="OP-US", releasable_to=["USA"], count=4),
            report("f1", source="OP-FR", releasable_to=["FRA"], lat=48.5, count=2),
        ]
    )
    seen = {}
    for name, found in (("fra", fra_user), ("usa", usa_user)):
        events = poll(hq.state, found[0], cursors[name])
        seen[name] = b"".join(events)
    assert b"event: incident" in seen["fra"]
    assert b"event: incident" in seen["usa"]
    assert b'"count_best":2' in seen["fra"]
    assert b'"count_best":4' not in seen["fra"]
    assert b'"count_best":4' in seen["usa"]
    assert b'"count_best":2' not in seen["usa"]
    # a report joining the USA-only incident: FRA now sees a tearline of it, USA the whole
    hq.ingest([report("f2", source="OP-FR2", releasable_to=["FRA"], minute=1, count=7)])
    fra_events = b"".join(poll(hq.state, fra_user[0], cursors["fra"]))
    usa_events = b"".join(poll(hq.state, usa_user[0], cursors["usa"]))
    assert b'"count_high":7' in fra_events
    assert b'"count_low":4' not in fra_events
    assert b'"partial":true' in fra_events
    assert b'"partial":true' in usa_events
    assert Role.ANALYST in fra_user[0].roles


def explosions_row(html: str) -> list[str]:
    """The first data row of the report's fire-by-oblast table, as cell texts."""
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    return re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", rows[1])


def test_the_daily_report_shows_only_what_the_reader_may_see(hq: HQ) -> None:
    fra = hq.user("fra", nation="FRA")
    usa = hq.user("usa", nation="USA")
    hq.ingest(
        [
            report("x1", source="USA-ONLY-POST", releasable_to=["USA"], count=4),
            report("x2", source="FRA-ONLY-POST", releasable_to=["FRA"], lat=48.5, count=2),
            report("x3", source="SHARED-POST", lat=47.6, count=1),
        ]
    )
    fra_html = hq.client.get("/api/report/daily", headers=fra).text
    usa_html = hq.client.get("/api/report/daily", headers=usa).text
    # fire observed in Donetsk oblast: FRA counts x2 + x3 = 3 explosions, USA x1 + x3 = 5
    assert explosions_row(fra_html) == ["Donetsk", "3", "0", "0", "0", "0", "0", "3"]
    assert explosions_row(usa_html) == ["Donetsk", "5", "0", "0", "0", "0", "0", "5"]
    assert "USA-ONLY-POST" not in fra_html
    assert "FRA-ONLY-POST" not in usa_html
    day = hq.client.get("/api/report/daily", params={"date": "2026-03-10"}, headers=fra)
    assert day.status_code == 200
    assert "2026-03-10" in day.text or "10 March 2026" in day.text
    bad = hq.client.get("/api/report/daily", params={"date": "10/03/2026"}, headers=fra)
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "date"


def test_coverage_counts_only_impediments_the_reader_may_see(hq: HQ) -> None:
    fra = hq.user("fra", nation="FRA")
    usa = hq.user("usa", nation="USA")
    blocked = report("imp", source="PATROL-US", releasable_to=["USA"])
    blocked["category"] = "movement_restriction"
    hq.ingest([blocked])

    def impediments(headers: dict[str, str]) -> int:
        body = hq.client.get("/api/coverage", params={"date": "2026-03-10"}, headers=headers)
        assert body.status_code == 200, body.text
        return sum(s["impediments"] for s in body.json()["sectors"])

    assert impediments(usa) == 1
    assert impediments(fra) == 0
    bad = hq.client.get("/api/coverage", params={"date": "March"}, headers=fra)
    assert bad.json()["error"]["field"] == "date"
