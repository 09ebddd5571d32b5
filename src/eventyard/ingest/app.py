"""The tracking API application (segment.md §1, §7): routes, CORS, write keys, and the
signed webhook that Segment forwards to (`ingest.segment_webhook`).

Other parts of eventyard (control API, UI) add their routes through `extra_routes`;
they do not get the tracking API's CORS policy.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from eventyard.control.config import Config
from eventyard.control.live import LiveConfig
from eventyard.ingest.api import TrackingApi
from eventyard.ingest.cors import TrackingCors
from eventyard.ingest.origin import ForwardedProto
from eventyard.ingest.rate_limit import SourceLimits
from eventyard.ingest.responses import error_response
from eventyard.ingest.segment_webhook import SegmentWebhook
from eventyard.log.base import EventLog
from eventyard.spec.messages import MESSAGE_TYPES

__all__ = ["BATCH_PATHS", "SHORT_PATHS", "create_app", "tracking_routes"]

SHORT_PATHS = {kind[0]: kind for kind in MESSAGE_TYPES}
"""analytics.js posts single calls to `/v1/<first letter of the type>`."""

BATCH_PATHS = ("/v1/batch", "/v1/import", "/v1/import/", "/v1/b")


def tracking_routes(api: TrackingApi) -> list[BaseRoute]:
    """Every route of the tracking API; batches first, as Starlette tries routes in order
    and nearly all traffic is batches."""
    routes: list[BaseRoute] = [Route(path, api.batch, methods=["POST"]) for path in BATCH_PATHS]
    routes.append(Route("/health", api.health, methods=["GET"]))
    for kind in sorted(MESSAGE_TYPES):
        routes.append(Route(f"/v1/{kind}", api.single(kind), methods=["POST"]))
        routes.append(Route(f"/v1/pixel/{kind}", api.pixel(kind), methods=["GET"]))
    for short, kind in sorted(SHORT_PATHS.items()):
        routes.append(Route(f"/v1/{short}", api.single(kind, browser=True), methods=["POST"]))
    routes.append(Route("/v1/m", api.ignored, methods=["POST"]))
    routes.append(Route("/v1/projects/{write_key}/settings", api.settings, methods=["GET"]))
    return routes


def create_app(
    config: Config,
    log: EventLog,
    extra_routes: Sequence[BaseRoute] = (),
    live: LiveConfig | None = None,
    limits: SourceLimits | None = None,
) -> Starlette:
    """The ASGI app; the caller opens and closes `log` (e.g. in its lifespan). With `live`,
    write keys and rate limits follow configuration changes without a restart; `limits`
    shares the rate limits' counts with `/metrics` and the status report."""
    api = TrackingApi(config, log, limits)
    webhook = SegmentWebhook(config, log)
    if live is not None:
        live.subscribe(api.reconfigure)
        live.subscribe(webhook.reconfigure)
    return Starlette(
        routes=[*tracking_routes(api), *webhook.routes(), *extra_routes],
        middleware=[
            # outermost: every route, the UI's cookies included, sees the browser's scheme
            Middleware(ForwardedProto, trusted_proxies=config.server.trusted_proxies),
            Middleware(TrackingCors, origins=config.server.cors_origins),
        ],
        exception_handlers={ClientDisconnect: _client_gone},
    )


async def _client_gone(request: Request, error: Exception) -> Response:
    """A body that stopped coming (the client left, or `server.request_timeout` cut it off):
    no one is left to read an answer, and it is no server error worth a traceback."""
    return error_response(400, "invalid_request", "the client disconnected mid-body")
