"""The live debugger: a source's events as they arrive, each with its delivery trace.

`/debugger/{source}` lists the newest events and follows new ones over server-sent events
(`/stream`, rows rendered here, inserted by live.js). A stream lives at most `STREAM_S`
seconds and the browser reconnects at once with the cursor it last got (`Last-Event-ID`),
so no event is lost, and a signed-out or removed user stops receiving within that time. A
server shutting down sets `ServerContext.stopping`, which ends every open stream at once.
At most `MAX_STREAMS` run at once; more are answered 503.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from eventyard.control.api_scope import workspace_config
from eventyard.control.config import Config
from eventyard.control.context import ServerContext
from eventyard.delivery import trace
from eventyard.ui.delivery_chart import sparkline
from eventyard.ui.jsonview import event_row
from eventyard.ui.live_tail import Batch, parse_cursor, tail
from eventyard.ui.problems import PageError
from eventyard.ui.recent import recent_events
from eventyard.ui.session import UiUser, require
from eventyard.ui.stats import source_counts
from eventyard.ui.templating import environment, render

__all__ = ["MAX_STREAMS", "STEP_LABELS", "STEP_TONES", "STREAM_S", "live_routes"]

MAX_STREAMS = 32
STREAM_S = 15.0
"""A stream never idles long enough for a proxy to cut it, and a signed-out user's ends
soon; well under uvicorn's 30 s graceful-shutdown limit, should `stopping` never be set."""
RECENT = 50
_ENV = environment()

STEP_LABELS = {
    "queued": "Queued",
    "attempt_failed": "Attempt failed",
    "delivered": "Delivered",
    "observed": "Observed (not sent)",
    "dead": "Dead letter",
    "requeued": "Requeued",
    "filtered": "Filtered",
    "not_subscribed": "Not subscribed",
    "duplicate": "Duplicate",
    "consent": "Consent",
    "invalid_payload": "Invalid payload",
}
STEP_TONES = {
    "queued": "accent",
    "requeued": "accent",
    "attempt_failed": "warning",
    "delivered": "success",
    "observed": "success",
    "dead": "danger",
    "invalid_payload": "danger",
}
"""Badge colours; the other steps (filters, consent, duplicates) are neutral."""


def _sse(event: str, data: str, cursor: str | None = None) -> str:
    lines = [f"id: {cursor}"] if cursor is not None else []
    lines.append(f"event: {event}")
    lines += [f"data: {line}" for line in data.splitlines() or [""]]
    return "\n".join(lines) + "\n\n"


def _rows(source: str, batch: Batch) -> str:
    template = _ENV.get_template("_event_row.html")
    rows = [event_row(r.message_id, r.payload) for r in batch.records]
    return "".join(template.render(row=row, source=source) for row in rows)


async def _source(ctx: ServerContext, user: UiUser, name: str) -> Config:
    """The workspace's configuration; 404 unless the source is one of its sources (whatever
    other workspaces have)."""
    config = await workspace_config(ctx, user.workspace)
    if name not in {s.name for s in config.sources}:
        raise PageError(
            404,
            "No such source",
            f"Workspace {user.workspace!r} has no source named {name[:100]!r}. "
            "Pick one from the debugger's list.",
        )
    return config


class _EventStream(StreamingResponse):
    """An SSE response that gives its slot back however it ends, even if it never starts."""

    def __init__(self, content: AsyncIterator[str], release: Callable[[], None]) -> None:
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        super().__init__(content, media_type="text/event-stream", headers=headers)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


class _Debugger:
    """The handlers, sharing the server's objects and the count of open streams."""

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.streams = 0

    async def picker(self, request: Request, ctx: ServerContext, user: UiUser) -> Response:
        config = await workspace_config(ctx, user.workspace)
        names = sorted(s.name for s in config.sources)
        now = time.time()
        counts = await ctx.state.run(lambda conn: source_counts(conn, names, now))
        connected = {name for d in config.destinations if d.enabled for name in d.sources}
        return render(
            request,
            "debugger.html",
            {"sources": names, "counts": counts, "connected": connected, "sparkline": sparkline},
        )

    async def page(self, request: Request, ctx: ServerContext, user: UiUser) -> Response:
        name: str = request.path_params["source"]
        await _source(ctx, user, name)
        ends = await ctx.log.end_offsets()  # before the list: an event may show twice, never 0
        events = await recent_events(ctx.log, {name}, RECENT)
        rows = [event_row(str(e.get("messageId", "")), orjson.dumps(e)) for e in events]
        cursor = ".".join(map(str, ends))
        return render(
            request, "debugger_source.html", {"source": name, "rows": rows, "cursor": cursor}
        )

    async def trace(self, request: Request, ctx: ServerContext, user: UiUser) -> Response:
        name: str = request.path_params["source"]
        message_id: str = request.path_params["message_id"]
        config = await _source(ctx, user, name)
        mine = {d.name for d in config.destinations if name in d.sources}
        steps = await ctx.state.run(lambda conn: trace.steps_for(conn, message_id))
        by_destination: dict[str, list[trace.Step]] = {}
        for step in steps:
            if step.destination in mine:
                by_destination.setdefault(step.destination, []).append(step)
        context: dict[str, Any] = {
            "source": name,
            "message_id": message_id,
            "destinations": sorted(mine),
            "steps": by_destination,
            "labels": STEP_LABELS,
            "tones": STEP_TONES,
        }
        return render(request, "_trace.html", context)

    async def stream(self, request: Request, ctx: ServerContext, user: UiUser) -> Response:
        name: str = request.path_params["source"]
        await _source(ctx, user, name)
        if self.streams >= MAX_STREAMS:
            raise PageError(
                503,
                "Too many live debuggers",
                f"{MAX_STREAMS} debugger streams are open on this server; close one and retry.",
            )
        ends = await ctx.log.end_offsets()
        sent = request.headers.get("last-event-id") or request.query_params.get("after")
        offsets = parse_cursor(sent, ends) or ends
        self.streams += 1
        return _EventStream(self._events(name, offsets), self._release)

    def _release(self) -> None:
        self.streams -= 1

    async def _events(self, source: str, offsets: list[int]) -> AsyncIterator[str]:
        deadline = time.monotonic() + STREAM_S
        yield "retry: 500\n" + _sse("hello", "", ".".join(map(str, offsets)))
        stopping = self.ctx.stopping
        async with contextlib.aclosing(tail(self.ctx.log, source, offsets, stopping)) as batches:
            async for batch in batches:
                if batch.skipped:
                    yield _sse("skipped", str(batch.skipped), batch.cursor)
                if batch.records:
                    yield _sse("events", _rows(source, batch), batch.cursor)
                if time.monotonic() >= deadline:
                    return


def live_routes(ctx: ServerContext) -> list[BaseRoute]:
    """The debugger's pages and stream, for `ui_routes`."""
    debugger = _Debugger(ctx)
    return [
        Route("/debugger", require("viewer")(debugger.picker)(ctx), methods=["GET"]),
        Route("/debugger/{source}", require("viewer")(debugger.page)(ctx), methods=["GET"]),
        Route(
            "/debugger/{source}/stream",
            require("viewer")(debugger.stream)(ctx),
            methods=["GET"],
        ),
        Route(
            "/debugger/{source}/trace/{message_id:path}",
            require("viewer")(debugger.trace)(ctx),
            methods=["GET"],
        ),
    ]
