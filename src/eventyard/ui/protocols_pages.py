"""The Protocols pages that show things: tracking plans (list, detail with each event's
schema and the plan's settings), transformations, violations per day with the example
event's trace, and downloads (Segment export, typed clients: served here with the session,
since the REST API wants a token).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from eventyard.control.context import ServerContext
from eventyard.control.protocols_view import MAX_DAYS, violation_report
from eventyard.protocols.segment_format import export_segment
from eventyard.protocols.typegen import generate
from eventyard.ui.lookups import object_or_404, objects
from eventyard.ui.plan_form import TYPES
from eventyard.ui.schema_view import schema_rows
from eventyard.ui.session import UiUser, require
from eventyard.ui.templating import pretty_json, render

__all__ = [
    "download",
    "plan_page",
    "plan_view",
    "plans_view",
    "protocols_page",
    "transformation_page",
    "transformation_view",
    "violations_page",
]

_DAYS = re.compile(r"[0-9]{1,3}")
_DOWNLOADS = {
    "segment.json": ("application/json", "json"),
    "tracking.py": ("text/x-python; charset=utf-8", "python"),
    "tracking.ts": ("text/plain; charset=utf-8", "typescript"),
}


def _summary(doc: dict[str, Any]) -> dict[str, Any]:
    settings = doc.get("settings", {})
    return {
        "name": doc["name"],
        "sources": doc.get("sources", []),
        "events": len(doc.get("events", {})),
        "blocking": [
            f"{key.replace('_', ' ')}: {settings[key]}"
            for key in (
                "unplanned_events",
                "unplanned_properties",
                "violations",
                "common_violations",
            )
            if settings.get(key, "allow") != "allow"
        ],
    }


async def plans_view(
    request: Request,
    ctx: ServerContext,
    user: UiUser,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The Protocols home; `error` and `form` re-show a refused create or import form."""
    plans = await objects(ctx, user.workspace, "tracking_plan")
    steps = await objects(ctx, user.workspace, "transformation")
    report = await violation_report(ctx, user.workspace, 7)
    totals: dict[str, int] = {}
    for count in report.counts:
        totals[count.plan] = totals.get(count.plan, 0) + count.violating
    context = {
        "title": "Protocols",
        "plans": [_summary(plan.doc) | {"violating": totals.get(plan.name, 0)} for plan in plans],
        "transformations": [step.doc for step in steps],
        "sources": [source.name for source in await objects(ctx, user.workspace, "source")],
        "error": error,
        "form": form or {},
    }
    return render(request, "protocols_plans.html", context, status)


@require("viewer")
async def protocols_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    return await plans_view(request, ctx, user)


def _parts(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Each schema of the plan, with its rows and raw JSON."""
    parts = []
    context = doc.get("event_context", {})
    for name, schema in doc.get("events", {}).items():
        part = _part(f"track · {name}", name, schema, "properties", context.get(name))
        parts.append(part | {"part": "events", "event": name})
    for key, title in (("identify_traits", "identify"), ("group_traits", "group")):
        if doc.get(key) is not None:
            parts.append(_part(title, title, doc[key], "traits", None) | {"part": key})
    if doc.get("common") is not None:
        parts.append(
            _part("every event (common)", "common", doc["common"], "the whole event", None)
        )
    return parts


def _part(title: str, anchor: str, schema: Any, checks: str, context: Any) -> dict[str, Any]:
    """One schema's card; `part` and `event` name it for the form editor (not `common`)."""
    return {
        "part": "",
        "event": "",
        "title": title,
        "anchor": "schema-" + re.sub(r"[^A-Za-z0-9_-]+", "-", anchor),
        "checks": checks,
        "rows": schema_rows(schema),
        "raw": pretty_json(schema),
        "context": None if context is None else pretty_json(context),
        "description": schema.get("description", "") if isinstance(schema, dict) else "",
    }


async def plan_view(
    request: Request,
    ctx: ServerContext,
    user: UiUser,
    name: str,
    *,
    error: str | None = None,
    json_text: str | None = None,
    warnings: Sequence[str] = (),
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """A plan's page; `error` with `json_text` (or the form editor's `typed` fields)
    re-show a refused edit."""
    plan = await object_or_404(ctx, user.workspace, "tracking_plan", name)
    report = await violation_report(ctx, user.workspace, 7, plan.name)
    sources = [source.name for source in await objects(ctx, user.workspace, "source")]
    context = {
        "title": plan.name,
        "plan": plan,
        "settings": plan.doc.get("settings", {}),
        "parts": _parts(plan.doc),
        "violations": report.violations[:20],
        "sources": sources,
        "json": pretty_json(plan.doc) if json_text is None else json_text,
        "error": error,
        "warnings": list(warnings),
        "typed": typed or {},
        "types": TYPES,
    }
    return render(request, "protocols_plan.html", context, status)


@require("viewer")
async def plan_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    return await plan_view(request, ctx, user, request.path_params["name"])


@require("viewer")
async def download(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    plan = await object_or_404(ctx, user.workspace, "tracking_plan", request.path_params["name"])
    file = request.path_params["file"]
    if file not in _DOWNLOADS:
        return Response("Not found", status_code=404, media_type="text/plain")
    media, kind = _DOWNLOADS[file]
    if kind == "json":
        body = pretty_json(export_segment(plan.doc))
    else:
        body = generate(plan.doc, "python" if kind == "python" else "typescript")
    name = quote(f"{plan.name}-{file}")
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{name}"}
    return Response(body, media_type=media, headers=headers)


async def transformation_view(
    request: Request,
    ctx: ServerContext,
    user: UiUser,
    name: str,
    *,
    error: str | None = None,
    json_text: str | None = None,
    status: int = 200,
) -> Response:
    """A transformation's page; `error` and `json_text` re-show a refused edit."""
    step = await object_or_404(ctx, user.workspace, "transformation", name)
    shown = pretty_json(step.doc) if json_text is None else json_text
    context = {"title": step.name, "step": step, "json": shown, "error": error}
    return render(request, "protocols_transformation.html", context, status)


@require("viewer")
async def transformation_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    return await transformation_view(request, ctx, user, request.path_params["name"])


@require("viewer")
async def violations_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    raw = request.query_params.get("days", "7")
    days = min(max(int(raw), 1), MAX_DAYS) if _DAYS.fullmatch(raw) else 7
    plans = [plan.name for plan in await objects(ctx, user.workspace, "tracking_plan")]
    chosen = request.query_params.get("plan") or None
    plan = chosen if chosen in plans else None
    report = await violation_report(ctx, user.workspace, days, plan)
    by_day: dict[str, list[Any]] = {}
    for row in report.violations:
        by_day.setdefault(row.day, []).append(row)
    totals: dict[str, dict[str, int]] = {}
    for count in report.counts:
        day = totals.setdefault(count.day, {"checked": 0, "violating": 0, "blocked": 0})
        for key in day:
            day[key] += getattr(count, key)
    context = {
        "title": "Violations",
        "days": days,
        "plan": plan,
        "plans": plans,
        "by_day": by_day,
        "totals": totals,
        "since": report.since,
    }
    return render(request, "protocols_violations.html", context)
