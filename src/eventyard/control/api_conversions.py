"""Conversions through the API: two routes compared, match quality, observed payloads.

- `GET /api/v1/conversions/compare?a=&b=&since=&until=`: what `eventyard compare` prints
  (200 whether or not the routes agree; `equal` says which).
- `GET /api/v1/destinations/{name}/match-quality?since=`: an ad destination's local match
  quality since a time (default: 7 days ago), overall and per canonical event.
- `GET /api/v1/destinations/{name}/observed?limit=`: the latest payloads an observe-mode
  destination built instead of sending.

Viewers may read them, for the destinations of their own workspace only, like every
`/api/v1` operation (`api_http`: Bearer token, roles).
"""

from __future__ import annotations

import re
import sqlite3
import time
from datetime import UTC
from typing import TYPE_CHECKING, Any

import msgspec
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from eventyard.control.api_errors import ApiError
from eventyard.control.api_http import Endpoint, Param, build_routes, caller, encoded, object_name
from eventyard.control.api_scope import workspace_config
from eventyard.control.config import DestinationConfig
from eventyard.conversions import store
from eventyard.conversions.compare import Comparison, Missing, compare, parse_period
from eventyard.conversions.match_quality import Aggregate
from eventyard.destinations.registry import get_definition
from eventyard.spec.timestamps import parse_iso

if TYPE_CHECKING:
    from eventyard.control.context import ServerContext

__all__ = [
    "EventMatchQuality",
    "MatchQuality",
    "ObservedPayload",
    "conversion_endpoints",
    "conversion_routes",
]

MAX_OBSERVED = 500
DEFAULT_WINDOW = 7 * 86400.0
_DIGITS = re.compile(r"[0-9]{1,4}")


class EventMatchQuality(msgspec.Struct, kw_only=True):
    count: int
    mean: float
    """0..10."""
    share_meeting_minimum: float
    """0..1: events with the platform's minimum identifiers."""
    missing: list[Missing]
    """Identifiers most often missing first; adding them raises the score."""


class MatchQuality(EventMatchQuality, kw_only=True):
    destination: str
    platform: str
    since: str
    events: dict[str, EventMatchQuality]
    """Per canonical event."""


class ObservedPayload(msgspec.Struct, kw_only=True):
    id: int
    action: str
    messageId: str
    payload: Any
    at: float


def _quality(aggregate: Aggregate) -> EventMatchQuality:
    return EventMatchQuality(
        count=aggregate.count,
        mean=aggregate.mean,
        share_meeting_minimum=round(aggregate.share_meeting_minimum, 3),
        missing=[
            Missing(identifier=key, share=round(share, 3))
            for key, share in aggregate.missing_shares()
        ],
    )


class _Conversions:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx

    async def _destination(self, request: Request, name: str) -> DestinationConfig:
        config = await workspace_config(self.ctx, caller(request).workspace)
        found = next((d for d in config.destinations if d.name == name), None)
        if found is None:
            raise ApiError(
                404, "unknown_destination", f"no destination named {name[:80]!r} in this workspace"
            )
        return found

    async def compare(self, request: Request) -> Response:
        query = request.query_params
        a, b = query.get("a"), query.get("b")
        if not a or not b or a == b:
            raise ApiError(400, "invalid_routes", "give two different destinations as a and b")
        try:
            since, until = parse_period(query.get("since"), query.get("until"), time.time())
        except ValueError as error:
            raise ApiError(400, "invalid_period", str(error)) from None
        for name in (a, b):
            await self._destination(request, name)
        report = await self.ctx.state.run(lambda conn: compare(conn, a, b, since, until))
        return encoded(report)

    async def match_quality(self, request: Request) -> Response:
        dest = await self._destination(request, object_name(request, "destination"))
        spec = get_definition(dest.type).conversion
        if spec is None:
            raise ApiError(
                400,
                "no_conversions",
                f"{dest.name} ({dest.type}) is no conversions API; only ad destinations are scored",
            )
        raw = request.query_params.get("since")
        since = time.time() - DEFAULT_WINDOW
        if raw is not None:
            moment = parse_iso(raw)
            if moment is None:
                raise ApiError(400, "invalid_since", "since must be an ISO-8601 time")
            since = moment.replace(tzinfo=UTC).timestamp()

        def read(conn: sqlite3.Connection) -> dict[str, Aggregate]:
            return store.match_quality_by_event(conn, dest.name, since)

        per_event = await self.ctx.state.run(read)
        total = Aggregate()
        for aggregate in per_event.values():
            total.merge(aggregate)
        overall = _quality(total)
        return encoded(
            MatchQuality(
                destination=dest.name,
                platform=spec.platform,
                since=store.day_of(since),
                events={name: _quality(a) for name, a in sorted(per_event.items())},
                **msgspec.structs.asdict(overall),
            )
        )

    async def observed(self, request: Request) -> Response:
        dest = await self._destination(request, object_name(request, "destination"))
        raw = request.query_params.get("limit", "50")
        limit = int(raw) if _DIGITS.fullmatch(raw) else 0
        if not 1 <= limit <= MAX_OBSERVED:
            message = f"limit must be a whole number from 1 to {MAX_OBSERVED}"
            raise ApiError(400, "invalid_limit", message)
        rows = await self.ctx.state.run(lambda conn: store.observed(conn, dest.name, limit))
        return encoded(
            [
                ObservedPayload(
                    id=row.id,
                    action=row.action,
                    messageId=row.message_id,
                    payload=orjson.loads(row.payload),
                    at=row.at,
                )
                for row in rows
            ]
        )


def conversion_endpoints(ctx: ServerContext) -> list[Endpoint]:
    api = _Conversions(ctx)
    since = Param("since", str, "Start (ISO-8601, inclusive).")
    return [
        Endpoint("GET", "/api/v1/conversions/compare", api.compare,
                 "Two routes' conversions side by side", "conversions", response=Comparison,
                 params=(Param("a", str, "A destination."), Param("b", str, "Another one."),
                         since, Param("until", str, "End (ISO-8601, exclusive; default now).")),
                 errors=(400, 404)),
        Endpoint("GET", "/api/v1/destinations/{name}/match-quality", api.match_quality,
                 "An ad destination's match quality", "conversions", response=MatchQuality,
                 params=(Param("since", str, "Start (ISO-8601; default 7 days ago)."),),
                 errors=(400, 404)),
        Endpoint("GET", "/api/v1/destinations/{name}/observed", api.observed,
                 "Payloads an observe-mode destination kept", "conversions",
                 response=list[ObservedPayload],
                 params=(Param("limit", int, f"How many, newest first (1 to {MAX_OBSERVED})."),),
                 errors=(400, 404)),
    ]  # fmt: skip


def conversion_routes(ctx: ServerContext) -> list[BaseRoute]:
    """The routes for `api_routes` (which should also list `conversion_endpoints` in the
    OpenAPI document)."""
    return build_routes(ctx, conversion_endpoints(ctx))
