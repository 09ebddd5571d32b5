"""All admin UI routes: pages, static files at /ui/static, and the vendored htmx files.

Mounted at `/` beside the API (`/api/...`) and the tracking API (`/v1/...`); the lead's
server puts these routes after those, so that no page path can shadow them.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from eventyard.control.context import ServerContext
from eventyard.ui.delivery import delivery_routes
from eventyard.ui.live import live_routes
from eventyard.ui.pages_audit import audit_routes
from eventyard.ui.pages_auth import auth_routes
from eventyard.ui.pages_catalog import catalog_routes
from eventyard.ui.pages_destinations import destination_routes
from eventyard.ui.pages_filter import filter_routes
from eventyard.ui.pages_mappings import mapping_routes
from eventyard.ui.pages_requests import request_routes
from eventyard.ui.pages_settings import settings_routes
from eventyard.ui.pages_sources import source_routes
from eventyard.ui.profiles import profile_ui_routes
from eventyard.ui.protocols import protocol_ui_routes
from eventyard.ui.source_schema import schema_routes
from eventyard.ui.vendor import VendorMissing, vendor_file

__all__ = ["VENDORED", "ui_routes"]

STATIC = Path(__file__).parent / "static"

VENDORED = {"htmx.min.js": "htmx.org/dist/htmx.min.js"}
"""Files served at /ui/static/vendor/<name>, from the npm packages installed by `make`."""


async def vendored(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in VENDORED:
        return PlainTextResponse("Not found", status_code=404)
    try:
        path = vendor_file(VENDORED[name])
    except VendorMissing as error:
        # Pages still load (forms work without htmx); the console says what to do.
        message = f"console.error({str(error)!r});"
        return Response(message, 503, media_type="text/javascript")
    return FileResponse(
        path, media_type="text/javascript", headers={"Cache-Control": "public, max-age=3600"}
    )


def ui_routes(ctx: ServerContext) -> list[BaseRoute]:
    """Every admin page and its static files (the vendor route before the static mount)."""
    return [
        Route("/ui/static/vendor/{name}", vendored, methods=["GET", "HEAD"]),
        Mount("/ui/static", app=StaticFiles(directory=STATIC), name="ui-static"),
        *auth_routes(ctx),
        *source_routes(ctx),
        *schema_routes(ctx),
        *catalog_routes(ctx),
        *destination_routes(ctx),
        *filter_routes(ctx),
        *request_routes(ctx),
        *mapping_routes(ctx),
        *settings_routes(ctx),
        *audit_routes(ctx),
        *live_routes(ctx),
        *delivery_routes(ctx),
        *protocol_ui_routes(ctx),
        *profile_ui_routes(ctx),
    ]
