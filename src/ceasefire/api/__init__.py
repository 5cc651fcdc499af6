"""The HQ's HTTP edge: FastAPI app, authentication, releasability-filtered routes, live stream.

Nothing here decides what a nation may see: routes pass the caller's ``Viewer`` to the store's
queries (``store.access_sql.visible_reports``) and to ``tearline`` for what is derived from
several reports. ``create_app(settings)`` builds the app; ``ceasefire serve`` runs it.
"""
