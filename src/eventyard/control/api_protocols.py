"""Protocols through the REST API: tracking plans and transformations (CRUD like sources
and destinations: their eventyard.yaml entries), Segment / JSON Schema import, Segment
export, typed clients, and violations per day with an example event each.

Violations cover the caller's workspace: its sources, or one of its plans.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from eventyard.control import store
from eventyard.control.api_config import _Objects
from eventyard.control.api_errors import ApiError
from eventyard.control.api_http import (
    Endpoint,
    Param,
    caller,
    encoded,
    object_name,
    read_object,
)
from eventyard.control.api_ops import iso
from eventyard.control.protocols_config import TrackingPlanConfig, TransformationConfig
from eventyard.control.protocols_view import MAX_DAYS, import_plan, violation_report
from eventyard.protocols.segment_format import export_segment
from eventyard.protocols.typegen import generate

if TYPE_CHECKING:
    from eventyard.control.context import ServerContext

__all__ = ["PlanImported", "ViolationReport", "protocol_endpoints"]

_LANGUAGES = ("python", "typescript")
_DIGITS = re.compile(r"[0-9]{1,3}")


class PlanImported(msgspec.Struct, kw_only=True):
    plan: TrackingPlanConfig
    warnings: list[str]
    """What the import left out (several versions of an event, PAGE rules, ...)."""


class EventCount(msgspec.Struct, kw_only=True):
    day: str
    source: str
    event: str
    plan: str
    checked: int
    violating: int
    blocked: int


class ViolationOut(msgspec.Struct, kw_only=True):
    day: str
    source: str
    event: str
    path: str
    rule: str
    plan: str
    expected: str
    actual: str
    description: str
    count: int
    example_message_id: str
    """The latest event with this violation: `GET /api/v1/trace/{id}` shows what became of it."""
    last_seen_at: str


class ViolationReport(msgspec.Struct, kw_only=True):
    since: str
    events: list[EventCount]
    violations: list[ViolationOut]


class _Protocols:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.plans = _Objects(ctx, "tracking_plan")

    async def _plan(self, request: Request) -> dict[str, Any]:
        """The path's plan document, if the caller's workspace has it (404 otherwise)."""
        name = object_name(request, "tracking_plan")
        workspace = caller(request).workspace
        found = await self.ctx.plane.read(
            lambda conn: store.get_object(conn, "tracking_plan", workspace, name)
        )
        if found is None:
            raise ApiError(
                404, "unknown_tracking_plan", f"no tracking plan named {name!r} in this workspace"
            )
        return found.doc

    async def violations(self, request: Request) -> Response:
        plan = None
        if "name" in request.path_params:
            plan = str((await self._plan(request))["name"])
        raw = request.query_params.get("days", "7")
        if not _DIGITS.fullmatch(raw) or not 1 <= int(raw) <= MAX_DAYS:
            raise ApiError(400, "invalid_days", f"days must be a whole number from 1 to {MAX_DAYS}")
        report = await violation_report(self.ctx, caller(request).workspace, int(raw), plan)
        events = [EventCount(**dataclasses.asdict(c)) for c in report.counts]
        violations = [
            ViolationOut(
                day=r.day,
                source=r.source,
                event=r.event,
                path=r.path,
                rule=r.rule,
                plan=r.plan,
                expected=r.expected,
                actual=r.actual,
                description=r.description,
                count=r.count,
                example_message_id=r.message_id,
                last_seen_at=iso(r.at),
            )
            for r in report.violations
        ]
        return encoded(ViolationReport(since=report.since, events=events, violations=violations))

    async def import_(self, request: Request) -> Response:
        who = caller(request)
        query = request.query_params
        saved = await import_plan(
            self.ctx,
            who.workspace,
            who.actor,
            await read_object(request),
            query.get("format", "segment"),
            query.get("name"),
            query.get("event"),
        )
        plan = msgspec.convert(saved.plan, TrackingPlanConfig)
        return encoded(PlanImported(plan=plan, warnings=saved.warnings))

    async def export(self, request: Request) -> Response:
        return encoded(export_segment(await self._plan(request)))

    async def typegen(self, request: Request) -> Response:
        doc = await self._plan(request)
        language = request.query_params.get("lang", "python")
        if language not in _LANGUAGES:
            raise ApiError(400, "invalid_lang", f"lang must be one of {', '.join(_LANGUAGES)}")
        text = generate(doc, "python" if language == "python" else "typescript")
        return Response(text, media_type="text/plain; charset=utf-8")


def protocol_endpoints(ctx: ServerContext) -> list[Endpoint]:
    """Every Protocols endpoint, for `api.api_endpoints`."""
    api = _Protocols(ctx)
    plans, steps = api.plans, _Objects(ctx, "transformation")
    one_plan, one_step = "/api/v1/tracking-plans/{name}", "/api/v1/transformations/{name}"
    days = Param("days", int, f"How many days, today included (1 to {MAX_DAYS}; default 7).")
    name = Param("name", str, "The plan to create or update (segment: default its name).")
    return [
        Endpoint("GET", "/api/v1/tracking-plans", plans.list, "List tracking plans",
                 "protocols", response=list[TrackingPlanConfig]),
        Endpoint("POST", "/api/v1/tracking-plans", plans.create, "Create a tracking plan",
                 "protocols", role="editor", body=TrackingPlanConfig,
                 response=TrackingPlanConfig, status=201, errors=(400, 409)),
        Endpoint("POST", "/api/v1/tracking-plans/import", api.import_,
                 "Create or update a plan from a Segment export or a JSON Schema file",
                 "protocols", role="editor", body=dict[str, Any], response=PlanImported,
                 params=(Param("format", str, "segment (default) or jsonschema."), name,
                         Param("event", str, "jsonschema: the event (default: its title).")),
                 errors=(400, 409)),
        Endpoint("GET", one_plan, plans.get, "A tracking plan", "protocols",
                 response=TrackingPlanConfig, errors=(404,)),
        Endpoint("PUT", one_plan, plans.replace, "Create or replace a tracking plan",
                 "protocols", role="editor", body=TrackingPlanConfig,
                 response=TrackingPlanConfig, errors=(400, 404, 409)),
        Endpoint("PATCH", one_plan, plans.patch, "Change some top-level keys of a plan",
                 "protocols", role="editor", body=dict[str, Any],
                 response=TrackingPlanConfig, errors=(400, 404)),
        Endpoint("DELETE", one_plan, plans.delete, "Delete a tracking plan", "protocols",
                 role="editor", status=204, errors=(404,)),
        Endpoint("GET", one_plan + "/export", api.export,
                 "The plan in Segment's tracking-plan format (Public API rules)", "protocols",
                 response=dict[str, Any], errors=(404,)),
        Endpoint("GET", one_plan + "/typegen", api.typegen,
                 "A typed client module for the plan", "protocols",
                 params=(Param("lang", str, "python (default) or typescript."),),
                 errors=(400, 404), media_type="text/plain"),
        Endpoint("GET", one_plan + "/violations", api.violations,
                 "The plan's violations per day, with an example event each", "protocols",
                 response=ViolationReport, params=(days,), errors=(400, 404)),
        Endpoint("GET", "/api/v1/violations", api.violations,
                 "Violations per day of the workspace's sources", "protocols",
                 response=ViolationReport, params=(days,), errors=(400,)),
        Endpoint("GET", "/api/v1/transformations", steps.list, "List transformations",
                 "protocols", response=list[TransformationConfig]),
        Endpoint("POST", "/api/v1/transformations", steps.create, "Create a transformation",
                 "protocols", role="editor", body=TransformationConfig,
                 response=TransformationConfig, status=201, errors=(400, 409)),
        Endpoint("GET", one_step, steps.get, "A transformation", "protocols",
                 response=TransformationConfig, errors=(404,)),
        Endpoint("PUT", one_step, steps.replace, "Create or replace a transformation",
                 "protocols", role="editor", body=TransformationConfig,
                 response=TransformationConfig, errors=(400, 404, 409)),
        Endpoint("DELETE", one_step, steps.delete, "Delete a transformation", "protocols",
                 role="editor", status=204, errors=(404,)),
    ]  # fmt: skip
