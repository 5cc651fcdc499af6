"""``create_app(settings)``: the HQ's FastAPI app, built from settings passed in (no globals)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from ceasefire.api.errors import install_error_handlers
from ceasefire.api.guards import DEFAULT_BODY_BYTES, LOGIN_BODY_BYTES, BodyLimit, SecurityHeaders
from ceasefire.api.live_bus import BusFollower
from ceasefire.api.routes_alerts import router as alerts_router
from ceasefire.api.routes_counts import router as counts_router
from ceasefire.api.routes_force import router as force_router
from ceasefire.api.routes_geo import router as geo_router
from ceasefire.api.routes_incidents import router as incidents_router
from ceasefire.api.routes_ledger import router as ledger_router
from ceasefire.api.routes_monitoring import router as monitoring_router
from ceasefire.api.routes_ogc import install_ogc
from ceasefire.api.routes_picture import router as picture_router
from ceasefire.api.routes_reports import MAX_BODY_BYTES
from ceasefire.api.routes_reports import router as reports_router
from ceasefire.api.routes_session import router as session_router
from ceasefire.api.routes_stream import router as stream_router
from ceasefire.api.routes_violations import router as violations_router
from ceasefire.api.routes_web import mount_static
from ceasefire.api.routes_web import router as web_router
from ceasefire.api.state import HQState
from ceasefire.clock import Clock, SystemClock
from ceasefire.settings import Settings
from ceasefire.store.stores import open_stores

#: Where ``npm ci`` puts the front-end libraries: the project root, next to package.json.
DEFAULT_NODE_MODULES = Path(__file__).resolve().parents[3] / "node_modules"


def prepare_store(settings: Settings) -> None:
    """Create or upgrade the schema, seed the release groups and complete the read model's
    tearlines (after an upgrade rebuilt it), once, before several server processes start:
    each would otherwise try the same first writes at the same moment, and SQLite refuses a
    reader's upgrade to writer without waiting (one worker died of it)."""
    stores = open_stores(settings)
    try:
        stores.store.init_schema()
        stores.access.release_groups()
        from ceasefire.pipeline.fuse import store_tearline_judge  # noqa: PLC0415 - heavy

        stores.read_model.complete_tearlines(store_tearline_judge(stores.store))
    finally:
        stores.close()


def create_app(
    settings: Settings, *, clock: Clock | None = None, node_modules: Path | None = None
) -> FastAPI:
    """The HQ app on the store of ``settings`` (schema created or upgraded first)."""
    stores = open_stores(settings)
    stores.store.init_schema()
    state = HQState(settings=settings, stores=stores, clock=clock or SystemClock())
    state.groups()  # seed the release groups before the first request
    if settings.bus:
        from ceasefire.bus.intake import BusPublisher  # noqa: PLC0415 - only with a bus

        state.publisher = BusPublisher(settings.bus)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # with a bus, live streams are woken by it instead of polling (api/live_bus.py)
        bus = BusFollower(settings.bus) if settings.bus else None
        if bus is not None:
            bus.start(state)
        yield
        if bus is not None:
            await bus.stop()
        if state.publisher is not None:
            await state.publisher.close()
        stores.close()

    app = FastAPI(
        lifespan=lifespan,
        title="ceasefire HQ",
        version="0.1.0",
        description="Ceasefire monitoring HQ: reports, incidents, violations, geography and a "
        "live stream, each filtered by the caller's releasability (docs/hq-api.md).",
        # the interactive pages load scripts from a CDN and run inline ones: neither passes
        # the HQ's Content-Security-Policy (nor a closed network); /openapi.json stays
        docs_url=None,
        redoc_url=None,
    )
    app.state.hq = state
    install_error_handlers(app)
    for router in (
        session_router,
        incidents_router,
        reports_router,
        counts_router,
        violations_router,
        monitoring_router,
        geo_router,
        picture_router,
        force_router,
        alerts_router,
        stream_router,
        ledger_router,
        web_router,
    ):
        app.include_router(router)
    install_ogc(app)
    mount_static(app, node_modules or DEFAULT_NODE_MODULES)
    app.add_middleware(
        BodyLimit,
        default_bytes=DEFAULT_BODY_BYTES,
        routes={
            ("POST", "/api/session"): LOGIN_BODY_BYTES,
            ("POST", "/api/reports"): MAX_BODY_BYTES,
        },
    )
    app.add_middleware(SecurityHeaders)  # outermost: every answer, a refusal's too

    return app
