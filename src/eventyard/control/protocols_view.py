"""What the REST API and the admin pages share about Protocols: one workspace's violation
report, and saving an imported tracking plan.

A workspace sees the violations of its own sources only (and of one of its plans, when
asked); imports go through `ControlPlane.change`, so they are validated, audited and
applied like any other change.
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from eventyard.control import store
from eventyard.control.secrets import SecretBox
from eventyard.errors import ConfigError
from eventyard.protocols import store as protocol_store
from eventyard.protocols.segment_format import (
    import_json_schema,
    import_segment,
    with_event,
    with_import,
)

if TYPE_CHECKING:
    from eventyard.control.context import ServerContext

__all__ = [
    "MAX_DAYS",
    "Report",
    "Saved",
    "import_into",
    "import_plan",
    "plan_name",
    "violation_report",
]

MAX_DAYS = protocol_store.RETENTION_DAYS
_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True, slots=True)
class Report:
    since: str
    """The first day covered (UTC, `2024-05-01`)."""
    counts: list[protocol_store.DayCount]
    violations: list[protocol_store.ViolationRow]


def _since(days: int, now: float) -> str:
    start = datetime.fromtimestamp(now, UTC) - timedelta(days=days - 1)
    return start.strftime("%Y-%m-%d")


async def violation_report(
    ctx: ServerContext, workspace: str, days: int, plan: str | None = None
) -> Report:
    """The last `days` days (today included) of the workspace's sources."""
    since = _since(days, time.time())

    def read(conn: sqlite3.Connection) -> Report:
        sources = [obj.name for obj in store.list_objects(conn, "source", workspace)]
        counts = protocol_store.day_counts(conn, sources, since, plan)
        rows = protocol_store.violations(conn, sources, since, plan)
        return Report(since, counts, rows)

    return await ctx.state.run(read)


def plan_name(suggested: str | None) -> str | None:
    """A valid object name from a Segment plan's display name (`My Plan` -> `my-plan`)."""
    if not suggested:
        return None
    name = _SLUG.sub("-", suggested.strip().lower()).strip("-.")[:64]
    return name or None


@dataclass(frozen=True, slots=True)
class Saved:
    plan: dict[str, Any]
    warnings: list[str]


def import_into(
    conn: sqlite3.Connection,
    box: SecretBox,
    workspace: str,
    actor: str,
    body: Any,
    form: str,
    name: str | None,
    event: str | None = None,
) -> Saved:
    """Create or update plan `name` from a Segment export (`form` "segment": its schemas
    are replaced) or from one JSON Schema file ("jsonschema": one event added or replaced),
    in the caller's transaction. ConfigError on bad input."""
    if form == "segment":
        imported = import_segment(body)
        target = name or plan_name(imported.name)
        if target is None:
            raise ConfigError("the plan has no name: give one (--name / ?name=)")
    elif form == "jsonschema":
        if not name:
            raise ConfigError("say which plan the schema goes to (--name / ?name=)")
        target = name
        event_name, schema = import_json_schema(body, event)
    else:
        raise ConfigError(f"unknown format {form!r}; formats: segment, jsonschema")
    found = store.get_object(conn, "tracking_plan", workspace, target)
    existing = None if found is None else found.doc
    if form == "segment":
        doc, warnings = with_import(existing, target, imported), imported.warnings
    else:
        doc, warnings = with_event(existing, target, event_name, schema), []
    saved = store.put_object(conn, box, "tracking_plan", workspace, doc, actor)
    return Saved(saved.doc, warnings)


async def import_plan(
    ctx: ServerContext,
    workspace: str,
    actor: str,
    body: Any,
    form: str,
    name: str | None,
    event: str | None = None,
) -> Saved:
    """`import_into` through the control plane (applied before it returns)."""
    box = ctx.plane.box
    return await ctx.plane.change(
        lambda conn: import_into(conn, box, workspace, actor, body, form, name, event)
    )
