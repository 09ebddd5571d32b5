"""Delivery pages: every destination's health, one destination's chart, errors and queue.

Numbers come from `ui.stats` (the trace and the queue in state.db), always for the signed-in
user's workspace only: another workspace's destination is answered 404, as if it did not
exist. `delivery_routes` also carries the overview and the dead letters pages.
"""

from __future__ import annotations

import math
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from eventyard.control.api_scope import workspace_config
from eventyard.control.config import DestinationConfig
from eventyard.control.context import ServerContext
from eventyard.destinations.registry import get_definition
from eventyard.ui import stats
from eventyard.ui.deadletters import deadletter_routes
from eventyard.ui.delivery_chart import bar_chart
from eventyard.ui.match_panel import identifier_label, match_panel, observed_panel
from eventyard.ui.overview import overview
from eventyard.ui.problems import PageError
from eventyard.ui.session import UiUser, require
from eventyard.ui.templating import render

__all__ = ["RANGES", "delivery_routes", "lag", "workspace_destination"]

HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Range:
    label: str
    buckets: int
    """Hours."""


RANGES = {"24h": Range("Last 24 hours", 24), "7d": Range("Last 7 days", 168)}


def lag(seconds: float) -> str:
    """A queue's lag in words: "4 s", "12 min", "3 h 5 min", "2 d 4 h"."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min"
    if whole < 86400:
        return f"{whole // 3600} h {whole % 3600 // 60} min"
    return f"{whole // 86400} d {whole % 86400 // 3600} h"


async def workspace_destination(ctx: ServerContext, user: UiUser, name: str) -> DestinationConfig:
    """The destination of the user's workspace with that name, or a 404 page."""
    config = await workspace_config(ctx, user.workspace)
    for dest in config.destinations:
        if dest.name == name:
            return dest
    raise PageError(
        404,
        "No such destination",
        f"Workspace {user.workspace!r} has no destination named {name[:100]!r}.",
    )


async def destinations(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    config = await workspace_config(ctx, user.workspace)
    dests = sorted(config.destinations, key=lambda d: d.name)
    names = [d.name for d in dests]
    now = time.time()
    health = await ctx.state.run(lambda conn: stats.health(conn, names, now - DAY, now))
    rows = list(zip(dests, health, strict=True))
    return render(request, "delivery.html", {"rows": rows, "lag": lag})


async def destination(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    dest = await workspace_destination(ctx, user, request.path_params["destination"])
    key = request.query_params.get("range", "24h")
    chosen = RANGES.get(key)
    if chosen is None:
        raise PageError(400, "Unknown range", "Choose a range of 24h or 7d.")
    now = time.time()
    end = math.ceil(now / HOUR) * HOUR  # the last bucket is the hour in progress
    start = end - chosen.buckets * HOUR

    def read(conn: sqlite3.Connection) -> dict[str, Any]:
        buckets = stats.timeline(conn, dest.name, start, HOUR, chosen.buckets)
        return {
            "buckets": buckets,
            "errors": stats.top_errors(conn, dest.name, start),
            "health": stats.health(conn, [dest.name], now - DAY, now)[0],
        }

    data = await ctx.state.run(read)
    totals = stats.Outcomes()
    for bucket in data["buckets"]:
        for name in stats.SERIES:
            totals.add_series(name, bucket.get(name))
    definition = get_definition(dest.type)
    series = stats.shown_series(dest.mode, totals)
    # an event ends delivered, observed, filtered or dead once; a failed attempt is not an
    # event, and one event may fail many times: attempts get a chart of their own
    outcomes = tuple(s for s in series if s != "retried")
    buckets = data["buckets"]
    attempts = bar_chart(buckets, start, HOUR, ("retried",), "Failed attempts per hour")
    context = {
        "dest": dest,
        "definition": definition,
        "range": key,
        "ranges": RANGES,
        "totals": totals,
        "series": series,
        "outcomes": outcomes,
        "chart": bar_chart(buckets, start, HOUR, outcomes),
        "attempts_chart": attempts if totals.retried else None,
        "hours": [
            (start + index * HOUR, bucket)
            for index, bucket in enumerate(buckets)
            if any(bucket.get(s) for s in series)
        ],
        "errors": data["errors"],
        "status": data["health"].status,
        "h": data["health"],
        "match": await match_panel(ctx, dest.name, definition, start),
        "observed": await observed_panel(ctx, dest),
        "concurrency": ctx.delivery.limits().get(dest.name),
        "identifier_label": identifier_label,
        "lag": lag,
    }
    return render(request, "delivery_destination.html", context)


def delivery_routes(ctx: ServerContext) -> list[BaseRoute]:
    """The overview (/), /delivery, /delivery/{destination} and the dead letters pages."""
    return [
        Route("/", require("viewer")(overview)(ctx), methods=["GET"]),
        Route("/delivery", require("viewer")(destinations)(ctx), methods=["GET"]),
        Route("/delivery/{destination}", require("viewer")(destination)(ctx), methods=["GET"]),
        *deadletter_routes(ctx),
    ]
