"""The overview (/): is data coming in, is it getting out, and what needs attention.

One read of state.db for every number (events per source, destination health, dead
letters), plus the log's all-time received counts and the last 24 h's rejections.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from eventyard.control.api_scope import workspace_config
from eventyard.control.context import ServerContext
from eventyard.ui import stats
from eventyard.ui.delivery_chart import sparkline
from eventyard.ui.rejections import rejected
from eventyard.ui.session import UiUser
from eventyard.ui.templating import render

__all__ = ["overview"]

DAY = 86400.0


async def overview(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    config = await workspace_config(ctx, user.workspace)
    sources = sorted(s.name for s in config.sources)
    dests = sorted(config.destinations, key=lambda d: d.name)
    names = [d.name for d in dests]
    now = time.time()

    def read(conn: sqlite3.Connection) -> dict[str, Any]:
        return {
            "counts": stats.source_counts(conn, sources, now),
            "health": stats.health(conn, names, now - DAY, now),
            "dead": stats.dead_counts(conn, names),
        }

    data = await ctx.state.run(read)
    received = await ctx.log.received()
    rejections = await rejected(ctx.log, set(sources), now)
    counts: dict[str, stats.SourceCounts] = data["counts"]
    health: list[stats.DestinationHealth] = data["health"]
    connected = {name for d in config.destinations if d.enabled for name in d.sources}
    context = {
        "sources": sources,
        "counts": counts,
        "received": {name: received.get(name, 0) for name in sources},
        "connected": connected,
        "destinations": list(zip(dests, health, strict=True)),
        "last_hour": sum(c.last_hour for c in counts.values()),
        "last_day": sum(c.last_day for c in counts.values()),
        "failing": sum(1 for h in health if h.failing),
        "dead_total": sum(data["dead"].values()),
        "sparkline": sparkline,
        "now": now,
        "rejections": rejections,
        "show_source": True,
    }
    return render(request, "overview.html", context)
