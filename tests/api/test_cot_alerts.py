"""Guarantee alerts and markings on the CoT gateway's outgoing events, with pytak 7.6.1 as
the TAK client over mutual TLS (the client certificate names the user): an alert reaches a
client only if its user sees every report of the alert's evidence, as on the HQ stream; every
incident, violation and alert carries the marking of what that user is shown where TAK
Server reads it (``access``, ``releasableTo``)."""

from __future__ import annotations

import asyncio
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from api_helpers import HQ, _shared_gazetteer, report
from cot_helpers import Pki, observation, pytak_session, running
from ogc_helpers import mixed_store
from sqlalchemy import text
from test_cot import MONITOR, SINCE, shown, uids
from test_stream_alerts import load_guarantees

from ceasefire.interop.cot import parse_event, releasable_codes
from ceasefire.interop.cot_feed import marking_of, shown_pairs
from ceasefire.interop.cot_out import ALERT_TYPE, MAX_ALERT_LINKS, CotMarking, alert_event
from ceasefire.interop.cot_server import GatewayConfig
from ceasefire.reports.model import Classification
from ceasefire.store.access_sql import user_by_name
from ceasefire.store.queries import engine_of

BANNER = re.compile(
    r"^(UNCLASSIFIED|RESTRICTED|CONFIDENTIAL|SECRET)//REL TO [A-Z]{2,}(, [A-Z]{2,})*$"
)


def events_of(received: list[bytes], prefix: str) -> dict[str, ET.Element]:
    """The last event received per uid starting with ``prefix`` (deletes left out)."""
    out: dict[str, ET.Element] = {}
    for data in received:
        root = ET.fromstring(data[data.index(b"<event") :])
        if root.get("uid", "").startswith(prefix) and root.get("type") != "t-x-d-d":
            out[root.get("uid", "")] = root
    return out


def test_alerts_reach_only_readers_of_all_their_evidence(
    hq: HQ, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_guarantees(hq, tmp_path, monkeypatch)
    hq.user("fra", nation="FRA", clearance=Classification.SECRET, roles=MONITOR)
    hq.user("usa", nation="USA", clearance=Classification.SECRET)
    # fired before anyone connects (sent in the snapshot): a breach known to every member
    hq.ingest([report("before", count=3, minute=1, lon=37.3)])
    pki = Pki(tmp_path)

    async def clients(port: int) -> list[list[bytes]]:
        url = f"tls://127.0.0.1:{port}"
        # fired while connected: a breach the French client reports, releasable to France only
        sent = [observation("fra-only", relto="FRA", access="RESTRICTED", lon=37.4)]
        fra: list[bytes] = []

        def both() -> bool:
            return len(events_of(fra, "ceasefire-alert-")) >= 2

        stop_s: list[float] = []

        def then_one_more_second() -> bool:  # the American client listens a second longer
            if both() and not stop_s:
                stop_s.append(time.monotonic() + 1)
            return bool(stop_s) and time.monotonic() > stop_s[0]

        return list(
            await asyncio.gather(
                pytak_session(url, sent, 30, pki.pytak_tls("fra"), until=both, received=fra),
                pytak_session(url, [], 31, pki.pytak_tls("usa"), until=then_one_more_second),
            )
        )

    with running(hq.state, pki.config(port=None, since_s=SINCE)) as (gateway, ports):
        fra, usa = asyncio.run(clients(ports["tls"]))
        assert gateway.stats.accepted == 1, gateway.stats
    fra_alerts, usa_alerts = events_of(fra, "ceasefire-alert-"), events_of(usa, "ceasefire-alert-")
    assert len(fra_alerts) == 2, fra_alerts.keys()  # the old breach and the French one
    assert len(usa_alerts) == 1  # the old breach only: the other rests on a French report
    assert set(usa_alerts) < set(fra_alerts)
    (own,) = set(fra_alerts) - set(usa_alerts)
    alert = fra_alerts[own]
    assert alert.get("type") == ALERT_TYPE
    assert alert.get("stale", "") > alert.get("time", "")
    assert alert.get("access") == "RESTRICTED"
    assert alert.get("releasableTo") == "REL TO FRA"
    detail = alert.find("detail")
    assert detail is not None
    own_detail = detail.find("ceasefire")
    assert own_detail is not None
    assert (own_detail.get("instrument"), own_detail.get("level")) == ("mini-bilateral", "red")
    links = [link.get("uid", "") for link in detail.findall("link")]
    assert links
    assert all(u.startswith("ceasefire-incident-") for u in links)
    assert set(links) <= uids(fra)  # the incidents it links were sent to that client too
    assert not set(links) & uids(usa)
    marking = detail.find("marking")
    assert marking is not None
    assert marking.text == "RESTRICTED//REL TO FRA"


def test_every_event_carries_the_marking_of_what_its_reader_is_shown(
    hq: HQ, tmp_path: Path
) -> None:
    mixed_store(hq)
    clearances = {
        "fra": ("FRA", Classification.SECRET),
        "usa": ("USA", Classification.UNCLASSIFIED),
        "ukr": ("UKR", Classification.RESTRICTED),
    }
    headers = {
        who: hq.user(who, nation=nation, clearance=level)
        for who, (nation, level) in clearances.items()
    }
    pki = Pki(tmp_path)

    expected = {who: shown(hq, h) for who, h in headers.items()}

    async def clients(port: int) -> list[list[bytes]]:
        url = f"tls://127.0.0.1:{port}"
        got: dict[str, list[bytes]] = {who: [] for who in headers}

        def session(who: str) -> Awaitable[list[bytes]]:
            def done() -> bool:
                return uids(got[who]) >= expected[who]

            env = pki.pytak_tls(who)
            return pytak_session(url, [], 30, env, until=done, received=got[who])

        return list(await asyncio.gather(*(session(who) for who in headers)))

    with running(hq.state, pki.config(port=None, since_s=SINCE)) as (_, ports):
        received = dict(zip(headers, asyncio.run(clients(ports["tls"])), strict=True))
    groups = hq.state.groups()
    for who, events in received.items():
        nation, level = clearances[who]
        found = user_by_name(engine_of(hq.state.store), who)
        assert found is not None
        viewer = hq.state.viewer(found[0])
        got = {**events_of(events, "ceasefire-incident-"), **events_of(events, "ceasefire-v")}
        assert set(got) == shown(hq, headers[who]), who
        for uid, root in got.items():
            marking = marking_of(shown_pairs(_pairs(hq, uid), viewer), groups)
            banner = f"{root.get('access')}//{root.get('releasableTo')}"  # as TAK Server joins
            assert banner == marking.banner, (who, uid)
            assert BANNER.match(banner), banner
            assert Classification(marking.classification).rank <= level.rank
            assert nation in releasable_codes(root.get("releasableTo", ""))
            raw = ET.tostring(root)
            assert parse_event(raw).releasable_to == marking.releasable_to  # read back


def _pairs(hq: HQ, uid: str) -> tuple[tuple[str, str], ...]:
    """The incident's reports' (classification, releasable_to), read straight from SQL."""
    pk = int(uid.rsplit("-", 1)[1])
    sql = (
        "SELECT DISTINCT r.classification, coalesce(r.releasable_to, '') FROM reports r "
        "JOIN incident_reports ir ON ir.report_pk = r.pk "
    )
    if uid.startswith("ceasefire-violation-"):
        sql += "JOIN violations v ON v.incident_pk = ir.incident_pk WHERE v.pk = :pk"
    else:
        sql += "WHERE ir.incident_pk = :pk"
    with engine_of(hq.state.store).connect() as conn:
        rows = list(conn.execute(text(sql), {"pk": pk}).all())
    return tuple(sorted((str(c), str(r)) for c, r in rows))


def test_marking_of_takes_the_highest_level_and_who_sees_every_report() -> None:
    groups = {
        "COALITION": frozenset({"FRA", "GBR", "UKR", "USA"}),
        "MNF": frozenset({"FRA", "GBR"}),
    }
    both = marking_of((("RESTRICTED", "MNF"), ("UNCLASSIFIED", "")), groups)
    assert both == CotMarking("RESTRICTED", ("FRA", "GBR"))
    assert marking_of((("SECRET", "USA;FRA"), ("RESTRICTED", "MNF")), groups).releasable_to == (
        "FRA",
    )
    assert marking_of((("UNCLASSIFIED", ""),), groups).rel_to == "REL TO FRA, GBR, UKR, USA"
    # a group never defined stands for itself (an organisation's own users)
    assert marking_of((("UNCLASSIFIED", "EU"),), groups).releasable_to == ("EU",)


def test_a_superseded_incident_is_deleted_and_its_successor_sent(hq: HQ) -> None:
    hq.user("mon", nation="FRA", roles=MONITOR)
    hq.state._gazetteer = _shared_gazetteer()  # loaded once per session, not in the window
    config = GatewayConfig(port=0, tcp_user="mon", since_s=SINCE)

    async def session(port: int) -> list[bytes]:
        # one event seen by two patrols, reported a few seconds apart
        sightings = [observation(f"seen-{n}", callsign=f"P{n}", lon=37.3 + n / 1e4) for n in (1, 2)]

        async def observe() -> None:
            for data in sightings:
                await asyncio.sleep(2)
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(data)
                await writer.drain()
                writer.close()

        got: list[bytes] = []

        def deleted() -> bool:  # the first incident deleted, and more after it
            return any(b"t-x-d-d" in e for e in got) and b"t-x-d-d" not in got[-1]

        url = f"tcp://127.0.0.1:{port}"
        await asyncio.gather(pytak_session(url, [], 30, until=deleted, received=got), observe())
        return got

    with running(hq.state, config) as (gateway, ports):
        received = asyncio.run(session(ports["tcp"]))
        assert gateway.stats.accepted == 2, gateway.stats
    incidents = [u for e in received for u in uids([e]) if b"t-x-d-d" not in e]
    first, last = incidents[0], incidents[-1]
    assert first != last  # the second sighting was fused with the first into a new incident
    gone = [
        link.get("uid")
        for data in received
        if b"t-x-d-d" in data
        for link in ET.fromstring(data[data.index(b"<event") :]).iter("link")
    ]
    assert first in gone  # a TAK client removes the superseded marker
    assert last not in gone


def test_outgoing_events_stay_below_pytak_receive_limit() -> None:
    now = datetime.now(UTC)
    alert = {
        "id": "A-" + "f" * 16,
        "instrument": "i" * 128,
        "trigger": "t" * 128,
        "kind": "rate",
        "level": "red",
        "fired_at": "2026-03-10T10:00:00Z",
    }
    marking = CotMarking("SECRET", tuple(f"{n:03d}" for n in range(300)))
    data = alert_event(
        alert,
        lon=37.0,
        lat=48.0,
        incident_ids=list(range(10**6, 10**6 + 5000)),
        now=now,
        stale_after=timedelta(hours=1),
        marking=marking,
    )
    assert len(data) < 64 * 1024
    root = ET.fromstring(data[data.index(b"<event") :])
    assert len(root.findall("detail/link")) == MAX_ALERT_LINKS
