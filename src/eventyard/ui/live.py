"""The live debugger: a source's events as they arrive, each with its delivery trace.

`/debugger/{source}` lists the newest events and follows new ones over server-sent events
(`/stream`, rows rendered here, inserted by live.js). A stream lives at most `STREAM_S`
seconds and the browser reconnects at once with the cursor it last got (`Last-Event-ID`),
so no event is lost, and a signed-out or removed user stops receiving within that time. A
server shutting down sets `ServerContext.stopping`, which ends every open stream at once.
At most `MAX_STREAMS` run at once; more are answered 503. A search (`?q=`, in `field`)
shows the matching events of everything still in the log, a page at a time, with "Load
older" (`/older`, `ui.log_search`); while searching the page does not follow new events.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from eventyard.control.api_scope import workspace_config
from eventyard.control.config import Config
from eventyard.control.context import ServerContext
from eventyard.delivery import exchanges, trace
from eventyard.ui.delivery_chart import sparkline
from eventyard.ui.jsonview import event_row
from eventyard.ui.live_tail import Batch, parse_cursor, tail
from eventyard.ui.log_search import FIELDS, Found, Query, search
from eventyard.ui.plan_marks import PlanMarks
from eventyard.ui.problems import PageError
from eventyard.ui.session import UiUser, require
from eventyard.ui.stats import source_counts
from eventyard.ui.templating import environment, render

__all__ = ["MAX_STREAMS", "STEP_LABELS", "STEP_TONES", "STREAM_S", "live_routes"]

MAX_STREAMS = 32
STREAM_S = 15.0
"""A stream never idles long enough for a proxy to cut it, and a signed-out user's ends
soon; well under uvicorn's 30 s graceful-shutdown limit, should `stopping` never be set."""
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
    "blocked": "Blocked",
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


def _rows(source: str, batch: Batch, marks: PlanMarks) -> str:
    template = _ENV.get_template("_event_row.html")
    pairs = [(r.message_id, r.payload) for r in batch.records]
    found = marks.of(source, pairs)
    rows = [event_row(*pair) for pair in pairs]
    return "".join(template.render(row=row, source=source, marks=found) for row in rows)


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


def _search_of(request: Request, ends: list[int]) -> tuple[Query, list[int] | None]:
    """The page's search (`q`, `field`) and where to continue (`before`); 400 when the
    field is not one the form offers or the cursor does not fit this log."""
    params = request.query_params
    try:
        query = Query(params.get("q", "").strip()[:200], params.get("field", ""))
    except ValueError as error:
        raise PageError(400, "Cannot search there", f"{error}.") from None
    sent = params.get("before")
    before = parse_cursor(sent, ends)
    if sent and before is None:
        raise PageError(
            400, "Cannot load older", "The cursor is not one of this log; search again."
        )
    return query, before


def _older(query: Query, found: Found) -> str | None:
    """The query string of the next page, or None at the start of the log."""
    if found.cursor is None:
        return None
    return urlencode({"q": query.text, "field": query.field, "before": found.cursor})


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
        self.marks = PlanMarks(ctx)

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
        query, before = _search_of(request, ends)
        found = await search(ctx.log, name, query, before)
        context = {
            **self._results(name, query, found),
            "cursor": ".".join(map(str, ends)),
            "query": query,
            "fields": FIELDS,
            "searching": bool(query.text) or before is not None,
        }
        return render(request, "debugger_source.html", context)

    def _results(self, source: str, query: Query, found: Found) -> dict[str, Any]:
        """A page of found events as the rows and the "Load older" link show them."""
        pairs = [(r.message_id, r.payload) for r in found.records]
        return {
            "source": source,
            "rows": [event_row(*pair) for pair in pairs],
            "marks": self.marks.of(source, pairs),
            "older": _older(query, found),
            "scanned": found.scanned,
        }

    async def older(self, request: Request, ctx: ServerContext, user: UiUser) -> Response:
        """The next page of a search (or of all events), as rows and a new "Load older"."""
        name: str = request.path_params["source"]
        await _source(ctx, user, name)
        query, before = _search_of(request, await ctx.log.end_offsets())
        if before is None:
            raise PageError(400, "Nothing to continue", "Load older needs the cursor it was given.")
        found = await search(ctx.log, name, query, before)
        context = self._results(name, query, found)
        return render(request, "_older.html", context)

    async def trace(self, request: Request, ctx: ServerContext, user: UiUser) -> Response:
        name: str = request.path_params["source"]
        message_id: str = request.path_params["message_id"]
        config = await _source(ctx, user, name)
        mine = {d.name for d in config.destinations if name in d.sources}
        steps = await ctx.state.run(lambda conn: trace.steps_for(conn, message_id))
        attempts = await ctx.state.run(lambda conn: exchanges.recent(conn, mine, message_id))
        by_destination: dict[str, list[trace.Step]] = {}
        for step in steps:
            if step.destination in mine:
                by_destination.setdefault(step.destination, []).append(step)
        context: dict[str, Any] = {
            "source": name,
            "message_id": message_id,
            "destinations": sorted(mine),
            "steps": by_destination,
            "attempts": attempts,
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
                    yield _sse("events", _rows(source, batch, self.marks), batch.cursor)
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
            "/debugger/{source}/older",
            require("viewer")(debugger.older)(ctx),
            methods=["GET"],
        ),
        Route(
            "/debugger/{source}/trace/{message_id:path}",
            require("viewer")(debugger.trace)(ctx),
            methods=["GET"],
        ),
    ]
