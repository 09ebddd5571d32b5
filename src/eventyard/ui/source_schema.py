"""A source's Schema page (Segment's Schema tab): every event and property or trait path the
router counted (`protocols.schema_store`), its 24 h / 7 d / 30 d counts, first and last
seen, its tracking-plan status, and a block toggle per event that edits
`sources[].schema.blocked_events` through the control plane.

The status of an event: `no plan` (the source follows none), `planned`, `unplanned`, or
`violations` (the plan counted violations of it in 30 days); of a path: `planned` when the
event's schema declares it, `violations` when a violation named it, else `unplanned`.
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eventyard.control import store
from eventyard.control.api_scope import workspace_config
from eventyard.control.config import Config
from eventyard.control.context import ServerContext
from eventyard.control.protocols_config import TrackingPlanConfig
from eventyard.errors import ConfigError
from eventyard.protocols import schema_store
from eventyard.protocols import store as protocol_store
from eventyard.protocols.store import day_of
from eventyard.ui.config_errors import locate
from eventyard.ui.formdata import read_form
from eventyard.ui.lookups import object_or_404
from eventyard.ui.problems import PageError
from eventyard.ui.schema_view import schema_rows
from eventyard.ui.session import UiUser, require
from eventyard.ui.templating import render

__all__ = ["SchemaEvent", "schema_events", "schema_routes"]

_INDEX = re.compile(r"\[\d+\]")


@dataclass(slots=True)
class SchemaEvent:
    """One event of the page with its paths (`PathCount`s of the same event)."""

    counts: schema_store.PathCount
    status: str
    blocked: bool
    paths: list[tuple[schema_store.PathCount, str]] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        """The row's id on the page (the redirect after a toggle scrolls back to it)."""
        return "event-" + quote(self.counts.event, safe="")


def _plan_of(config: Config, source: str) -> TrackingPlanConfig | None:
    return next((p for p in config.tracking_plans if source in p.sources), None)


def _declared(plan: TrackingPlanConfig, event: str) -> tuple[bool, set[str]]:
    """Whether the plan covers the event, and the paths its schema declares."""
    if event in ("identify", "group"):
        schema = plan.identify_traits if event == "identify" else plan.group_traits
        prefix = "traits."
    elif event in plan.events:
        schema, prefix = plan.events[event], "properties."
    else:
        return event in ("page", "screen", "alias") and plan.common is not None, set()
    if schema is None:
        return False, set()
    return True, {prefix + row.path for row in schema_rows(schema)}


def schema_events(
    conn: sqlite3.Connection, config: Config, source: str, now: float
) -> list[SchemaEvent]:
    """The page's rows, read in one state transaction; most frequent events (30 d) first."""
    since = day_of(now - schema_store.RETENTION_DAYS * 86400)
    plan = _plan_of(config, source)
    found = next((s for s in config.sources if s.name == source), None)
    blocked = set(found.schema.blocked_events) if found and found.schema else set()
    violating = {c.event for c in protocol_store.day_counts(conn, [source], since) if c.violating}
    broken = {
        (v.event, _INDEX.sub("[]", v.path))
        for v in protocol_store.violations(conn, [source], since, limit=5000)
    }
    events: dict[str, SchemaEvent] = {}
    declared: dict[str, set[str]] = {}
    for row in schema_store.read_schema(conn, source, now):
        if row.path == "":
            covered, declared[row.event] = _declared(plan, row.event) if plan else (False, set())
            status = "no plan" if plan is None else "planned" if covered else "unplanned"
            if row.event in violating:
                status = "violations"
            events[row.event] = SchemaEvent(row, status, row.event in blocked)
        elif row.event in events:
            if (row.event, row.path) in broken:
                status = "violations"
            elif plan is None:
                status = "no plan"
            else:
                status = "planned" if row.path in declared[row.event] else "unplanned"
            events[row.event].paths.append((row, status))
    return sorted(events.values(), key=lambda e: (-e.counts.month, e.counts.event))


async def _config(ctx: ServerContext, user: UiUser, name: str) -> Config:
    config = await workspace_config(ctx, user.workspace)
    if name not in {s.name for s in config.sources}:
        raise PageError(
            404, "No such source", f"Workspace {user.workspace!r} has no source {name!r}."
        )
    return config


async def _page(
    request: Request, ctx: ServerContext, user: UiUser, error: str | None = None, status: int = 200
) -> Response:
    name: str = request.path_params["name"]
    config = await _config(ctx, user, name)
    now = time.time()
    events = await ctx.state.run(lambda conn: schema_events(conn, config, name, now))
    plan = _plan_of(config, name)
    context: dict[str, Any] = {
        "title": f"{name} · Schema",
        "source_name": name,
        "events": events,
        "plan": plan.name if plan else None,
        "error": error,
    }
    return render(request, "source_schema.html", context, status)


@require("viewer")
async def schema_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    return await _page(request, ctx, user)


def _toggle(
    conn: sqlite3.Connection, ctx: ServerContext, user: UiUser, source: str, event: str, block: bool
) -> None:
    """Add or remove one event of `schema.blocked_events`, read and written in one
    transaction so that two editors toggling different events keep both changes."""
    current = store.get_object(conn, "source", user.workspace, source)
    if current is None:
        raise ConfigError(f"sources.{source}: it was deleted meanwhile")
    schema = dict(current.doc.get("schema") or {})
    names = [n for n in schema.get("blocked_events", []) if n != event]
    schema["blocked_events"] = [*names, event] if block else names
    change = {"schema": schema if schema["blocked_events"] or len(schema) > 1 else None}
    store.update_object(conn, ctx.plane.box, "source", user.workspace, source, change, user.actor)


@require("editor")
async def toggle_block(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    """Block (`block=on`) or unblock one event of the source; the router follows at once."""
    source = await object_or_404(ctx, user.workspace, "source", request.path_params["name"])
    form = await read_form(request)
    event = form.get("event")
    if not event or len(event) > 500:
        return await _page(request, ctx, user, "Pick an event of the list to block.", 400)
    block = form.get("block") == "on"
    try:
        await ctx.plane.change(lambda conn: _toggle(conn, ctx, user, source.name, event, block))
    except ConfigError as error:
        return await _page(request, ctx, user, locate(error, "sources", source.name)[1], 400)
    anchor = "event-" + quote(event, safe="")
    return RedirectResponse(f"/sources/{quote(source.name)}/schema?done=saved#{anchor}", 303)


def schema_routes(ctx: ServerContext) -> list[BaseRoute]:
    return [
        Route("/sources/{name}/schema", schema_page(ctx), methods=["GET"]),
        Route("/sources/{name}/schema/block", toggle_block(ctx), methods=["POST"]),
    ]
