"""Destinations: the list with an enabled switch, and a destination's Settings tab (settings,
sources, the Advanced section, enable/disable, delete). The Filter and Mappings tabs have
their own modules.
"""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eventyard.control import store
from eventyard.control.context import ServerContext
from eventyard.control.store import StoredObject
from eventyard.errors import ConfigError
from eventyard.ui.config_errors import locate
from eventyard.ui.destination_form import (
    every_error,
    form_context,
    place_error,
    read_form_doc,
)
from eventyard.ui.formdata import read_form
from eventyard.ui.lookups import definition_or_404, object_or_404, objects
from eventyard.ui.problems import PageError
from eventyard.ui.session import UiUser, require
from eventyard.ui.templating import render

__all__ = ["destination_page_context", "destination_routes", "save_destination"]


def _type_name(slug: str) -> str:
    try:
        return definition_or_404(slug).name
    except PageError:
        return slug


@require("viewer")
async def destinations_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    rows = [
        {"dest": dest, "type_name": _type_name(dest.doc["type"])}
        for dest in await objects(ctx, user.workspace, "destination")
    ]
    return render(request, "destinations.html", {"title": "Destinations", "rows": rows})


def destination_page_context(dest: StoredObject, tab: str) -> dict[str, Any]:
    """What every tab of a destination page shows in its header."""
    return {
        "title": dest.name,
        "dest": dest,
        "tab": tab,
        "type_name": _type_name(dest.doc["type"]),
        "enabled": dest.doc.get("enabled", True),
    }


def _action(dest: StoredObject) -> str:
    return f"/destinations/{quote(dest.name)}"


async def _settings_page(
    request: Request,
    ctx: ServerContext,
    user: UiUser,
    dest: StoredObject,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    definition = definition_or_404(dest.doc["type"])
    if form is None:
        sources = [s.name for s in await objects(ctx, user.workspace, "source")]
        form = form_context(definition, dest.doc, sources, _action(dest))
    context = {**destination_page_context(dest, "settings"), "form": form}
    return render(request, "destination.html", context, status)


@require("viewer")
async def destination_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    dest = await object_or_404(ctx, user.workspace, "destination", request.path_params["name"])
    return await _settings_page(request, ctx, user, dest)


async def save_destination(
    ctx: ServerContext, user: UiUser, name: str, change: dict[str, Any]
) -> None:
    """Replace some top-level keys of a destination (None removes a key); ConfigError if the
    result is invalid."""
    box, workspace, actor = ctx.plane.box, user.workspace, user.actor
    await ctx.plane.change(
        lambda conn: store.update_object(conn, box, "destination", workspace, name, change, actor)
    )


@require("editor")
async def save_settings(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    dest = await object_or_404(ctx, user.workspace, "destination", request.path_params["name"])
    definition = definition_or_404(dest.doc["type"])
    form = await read_form(request)
    stored = dest.doc.get("settings", {})
    saved = [key for key, value in stored.items() if value is not None]
    doc, errors = read_form_doc(definition, form, saved)
    errors.pop("name", None)  # the name is fixed once created
    errors = every_error(definition, {**doc, "name": dest.name}, form, errors)
    problem, status = None, 400
    if not errors:
        change = {key: value for key, value in doc.items() if key not in ("name", "type")}
        try:
            await save_destination(ctx, user, dest.name, change)
        except ConfigError as error:
            errors, problem = place_error(definition, error, dest.name, form)
        else:
            return RedirectResponse(f"/destinations/{quote(dest.name)}?done=saved", 303)
    sources = [s.name for s in await objects(ctx, user.workspace, "source")]
    shown = {**dest.doc, "sources": doc["sources"], "mode": doc.get("mode") or "send"}
    form_view = form_context(definition, shown, sources, _action(dest), errors, problem, form)
    return await _settings_page(request, ctx, user, dest, form_view, status)


@require("editor")
async def set_enabled(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    dest = await object_or_404(ctx, user.workspace, "destination", request.path_params["name"])
    enabled = (await read_form(request)).get("enabled") == "true"
    try:
        await save_destination(ctx, user, dest.name, {"enabled": None if enabled else False})
    except ConfigError as error:
        raise PageError(400, "Not changed", locate(error, "destinations", dest.name)[1]) from None
    if request.headers.get("hx-request") == "true":
        context = {"dest": dest, "enabled": enabled, "can_write": True}
        return render(request, "_enabled_toggle.html", context)
    return RedirectResponse(f"/destinations/{quote(dest.name)}?done=saved", 303)


@require("editor")
async def delete_destination(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    dest = await object_or_404(ctx, user.workspace, "destination", request.path_params["name"])
    await ctx.plane.change(
        partial(
            store.delete_object,
            kind="destination",
            workspace=user.workspace,
            name=dest.name,
            actor=user.actor,
        )
    )
    return RedirectResponse("/destinations?done=deleted", status_code=303)


def destination_routes(ctx: ServerContext) -> list[BaseRoute]:
    return [
        Route("/destinations", destinations_page(ctx), methods=["GET"]),
        Route("/destinations/{name}", destination_page(ctx), methods=["GET"]),
        Route("/destinations/{name}", save_settings(ctx), methods=["POST"]),
        Route("/destinations/{name}/enabled", set_enabled(ctx), methods=["POST"]),
        Route("/destinations/{name}/delete", delete_destination(ctx), methods=["POST"]),
    ]
