"""The web COP's files: its page, the login page, its modules, and the vendored libraries.

Leaflet, milsymbol and supercluster come from ``node_modules`` (installed by ``make install``
from package-lock.json), never from a CDN: the HQ may run on a closed network.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from ceasefire.api.auth import SESSION_COOKIE

router = APIRouter(include_in_schema=False)
_WEB = "web"
#: vendor URL prefix → package folder under node_modules
VENDORED = {
    "leaflet": "leaflet/dist",
    "milsymbol": "milsymbol/dist",
    "supercluster": "supercluster/dist",
}


def _template(name: str) -> str:
    return resources.files("ceasefire").joinpath(f"{_WEB}/templates/{name}").read_text("utf-8")


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> Response:
    """The COP page (it asks the API who the user is; no session → the login page)."""
    if not request.cookies.get(SESSION_COOKIE):
        return RedirectResponse("/login", status_code=303)
    return HTMLResponse(_template("index.html"), headers={"Cache-Control": "no-store"})


@router.get("/login", response_class=HTMLResponse)
def login_page() -> HTMLResponse:
    """The login page (open)."""
    return HTMLResponse(_template("login.html"), headers={"Cache-Control": "no-store"})


def mount_static(app: FastAPI, node_modules: Path) -> None:
    """Serve ``/static`` from the package and ``/vendor/<lib>`` from ``node_modules``."""
    static = Path(str(resources.files("ceasefire").joinpath(f"{_WEB}/static")))
    if static.is_dir():
        app.mount("/static", StaticFiles(directory=static), name="static")
    for name, folder in VENDORED.items():
        path = node_modules / folder
        if path.is_dir():
            app.mount(f"/vendor/{name}", StaticFiles(directory=path), name=f"vendor-{name}")
