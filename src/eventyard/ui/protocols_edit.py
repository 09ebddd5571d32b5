"""Protocols pages that change things (editors): create, import, edit (as JSON, the plan's
`tracking_plans` entry), settings and sources, delete. Every change goes through the
control plane like the API's, so a refused one shows the store's message, naming the key,
above the form it came from, with what was typed kept.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from eventyard.control import store
from eventyard.control.context import ServerContext
from eventyard.control.protocols_view import import_plan
from eventyard.errors import ConfigError
from eventyard.ui.formdata import Submitted, parse_object, read_form
from eventyard.ui.lookups import object_or_404
from eventyard.ui.plan_form import (
    PropertyForm,
    add_event,
    add_property,
    remove_event,
    remove_property,
)
from eventyard.ui.protocols_pages import plan_view, plans_view, transformation_view
from eventyard.ui.session import UiUser, require

__all__ = [
    "create_plan",
    "create_transformation",
    "delete_plan",
    "delete_transformation",
    "edit_plan_form",
    "import_plan_form",
    "save_plan_json",
    "save_plan_settings",
    "save_transformation",
]

_SETTINGS = ("unplanned_events", "unplanned_properties", "unplanned_traits", "violations")
_OPTIONAL = ("common_violations", "forward_to", "forward_violations_to")
"""Settings left out when the form leaves them empty (common_violations: as `violations`)."""


def _done(kind: str, name: str, what: str) -> Response:
    section = "plans" if kind == "tracking_plan" else "transformations"
    return RedirectResponse(f"/protocols/{section}/{quote(name)}?done={what}", status_code=303)


async def _put(
    ctx: ServerContext, user: UiUser, kind: str, doc: dict[str, Any], create: bool
) -> None:
    def put(conn: sqlite3.Connection) -> None:
        name = doc.get("name")
        if create and isinstance(name, str) and store.get_object(conn, kind, user.workspace, name):
            raise ConfigError(f"a {kind.replace('_', ' ')} named {name!r} already exists")
        store.put_object(conn, ctx.plane.box, kind, user.workspace, doc, user.actor)

    await ctx.plane.change(put)


@require("editor")
async def create_plan(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    name = (await read_form(request)).get("name").strip()
    try:
        await _put(ctx, user, "tracking_plan", {"name": name}, create=True)
    except ConfigError as error:
        return await plans_view(
            request, ctx, user, error=str(error), form={"name": name}, status=400
        )
    return _done("tracking_plan", name, "created")


@require("editor")
async def import_plan_form(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    form = await read_form(request)
    fields = {key: form.get(key).strip() for key in ("format", "name", "event", "document")}
    try:
        saved = await import_plan(
            ctx,
            user.workspace,
            user.actor,
            parse_object(fields["document"]),
            fields["format"] or "segment",
            fields["name"] or None,
            fields["event"] or None,
        )
    except ConfigError as error:
        return await plans_view(request, ctx, user, error=str(error), form=fields, status=400)
    name = str(saved.plan["name"])
    if saved.warnings:
        return await plan_view(request, ctx, user, name, warnings=saved.warnings)
    return _done("tracking_plan", name, "saved")


@require("editor")
async def save_plan_json(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    name = request.path_params["name"]
    await object_or_404(ctx, user.workspace, "tracking_plan", name)
    text = (await read_form(request)).get("document")
    try:
        doc = parse_object(text)
        if doc.get("name", name) != name:
            raise ConfigError("the name cannot change here: create a new plan instead")
        await _put(ctx, user, "tracking_plan", {**doc, "name": name}, create=False)
    except ConfigError as error:
        return await plan_view(
            request, ctx, user, name, error=str(error), json_text=text, status=400
        )
    return _done("tracking_plan", name, "saved")


@require("editor")
async def save_plan_settings(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    plan = await object_or_404(ctx, user.workspace, "tracking_plan", request.path_params["name"])
    form = await read_form(request)
    settings: dict[str, Any] = {key: form.get(key, "allow") for key in _SETTINGS}
    settings |= {key: form.get(key) for key in _OPTIONAL if form.get(key)}
    doc = {**plan.doc, "settings": settings, "sources": form.getlist("sources")}
    try:
        await _put(ctx, user, "tracking_plan", doc, create=False)
    except ConfigError as error:
        return await plan_view(request, ctx, user, plan.name, error=str(error), status=400)
    return _done("tracking_plan", plan.name, "saved")


PlanChange = Callable[[dict[str, Any], Submitted], dict[str, Any]]

FORM_CHANGES: dict[str, PlanChange] = {
    "events": lambda doc, form: add_event(doc, form.get("event"), form.get("description")),
    "events/remove": lambda doc, form: remove_event(doc, form.get("event")),
    "properties": lambda doc, form: add_property(
        doc, form.get("part"), form.get("event"), PropertyForm.of(form)
    ),
    "properties/remove": lambda doc, form: remove_property(
        doc, form.get("part"), form.get("event"), form.get("property")
    ),
}
"""The form editor's changes by path under the plan; each returns the whole new plan."""
_TYPED = ("event", "description", "part", "property", "type", "required", "enum", "pattern")


@require("editor")
async def edit_plan_form(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    """One change of the form editor, saved as the whole plan (checked like a JSON edit);
    a refused one shows the page again with the message and what was typed."""
    plan = await object_or_404(ctx, user.workspace, "tracking_plan", request.path_params["name"])
    form = await read_form(request)
    change = FORM_CHANGES[request.url.path.rsplit("/form/", 1)[1]]
    try:
        await _put(ctx, user, "tracking_plan", change(plan.doc, form), create=False)
    except ConfigError as error:
        typed = {key: form.get(key) for key in _TYPED}
        return await plan_view(
            request, ctx, user, plan.name, error=str(error), typed=typed, status=400
        )
    return _done("tracking_plan", plan.name, "saved")


async def _delete(ctx: ServerContext, user: UiUser, kind: str, name: str) -> None:
    await object_or_404(ctx, user.workspace, kind, name)
    delete = partial(store.delete_object, kind=kind, workspace=user.workspace, name=name)
    await ctx.plane.change(partial(delete, actor=user.actor))


@require("editor")
async def delete_plan(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    await _delete(ctx, user, "tracking_plan", request.path_params["name"])
    return RedirectResponse("/protocols?done=deleted", status_code=303)


@require("editor")
async def create_transformation(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    text = (await read_form(request)).get("document")
    try:
        doc = parse_object(text)
        await _put(ctx, user, "transformation", doc, create=True)
    except ConfigError as error:
        form = {"transformation": text}
        return await plans_view(request, ctx, user, error=str(error), form=form, status=400)
    return _done("transformation", str(doc["name"]), "created")


@require("editor")
async def save_transformation(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    name = request.path_params["name"]
    await object_or_404(ctx, user.workspace, "transformation", name)
    text = (await read_form(request)).get("document")
    try:
        doc = parse_object(text)
        if doc.get("name", name) != name:
            raise ConfigError("the name cannot change here: create a new transformation instead")
        await _put(ctx, user, "transformation", {**doc, "name": name}, create=False)
    except ConfigError as error:
        return await transformation_view(
            request, ctx, user, name, error=str(error), json_text=text, status=400
        )
    return _done("transformation", name, "saved")


@require("editor")
async def delete_transformation(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    await _delete(ctx, user, "transformation", request.path_params["name"])
    return RedirectResponse("/protocols?done=deleted", status_code=303)
