"""A destination's Mappings tab: per action, its subscription and field mappings, previewed live
(htmx) on a recent real event of the destination's sources, and saved as `actions:` overrides.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eventyard.control.context import ServerContext
from eventyard.control.store import StoredObject
from eventyard.errors import ConfigError
from eventyard.protocols import schema_store
from eventyard.ui.config_errors import locate
from eventyard.ui.describe import event_name, first_text, shorten
from eventyard.ui.formdata import Submitted, read_form
from eventyard.ui.lookups import definition_or_404, object_or_404
from eventyard.ui.mapping_editor import (
    COMMON_PATHS,
    Preview,
    field_editors,
    pickable,
    preview,
    read_action,
    saved_actions,
    stored_edit,
)
from eventyard.ui.pages_destinations import destination_page_context, save_destination
from eventyard.ui.problems import PageError
from eventyard.ui.recent import recent_events
from eventyard.ui.routed_event import routed_event
from eventyard.ui.session import UiUser, require
from eventyard.ui.templating import render

__all__ = ["event_label", "mapping_routes"]


def event_label(event: dict[str, Any]) -> str:
    """`track · Order Completed · user-1`, `page · /pricing · anon-7`: how the event picker
    lists an event."""
    kind = first_text(event, "type") or "?"
    who = first_text(event, "userId", "anonymousId")
    return " · ".join(shorten(part, 60) for part in (kind, event_name(event), who) if part)


def _pick(events: list[dict[str, Any]], message_id: str) -> dict[str, Any] | None:
    chosen = next((e for e in events if e.get("messageId") == message_id), None)
    return chosen if chosen is not None else (events[0] if events else None)


def _routed(
    ctx: ServerContext, dest: StoredObject, event: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, str | None]:
    """The chosen event as the destination's actions get it, or why they never do."""
    return (None, None) if event is None else routed_event(ctx.config, dest.name, event)


async def _events(ctx: ServerContext, dest: StoredObject) -> list[dict[str, Any]]:
    return await recent_events(ctx.log, set(dest.doc["sources"]), limit=50)


async def _page(
    request: Request,
    ctx: ServerContext,
    dest: StoredObject,
    message_id: str,
    edited: tuple[str, Submitted, dict[str, str], str | None] | None = None,
    status: int = 200,
) -> Response:
    definition = definition_or_404(dest.doc["type"])
    events = await _events(ctx, dest)
    sources, now = list(dest.doc["sources"]), time.time()
    seen = await ctx.state.run(lambda conn: schema_store.paths_seen(conn, sources, now))
    event = _pick(events, message_id)
    routed, refused = _routed(ctx, dest, event)
    overrides = dest.doc.get("actions", {})
    presets = definition.presets
    actions = []
    for key, action in definition.actions.items():
        runs = presets is None or (not overrides and key in presets)
        edit = stored_edit(overrides.get(key), runs)
        typed: Submitted | None = None
        errors: dict[str, str] = {}
        problem: str | None = None
        if edited is not None and edited[0] == key:
            _, typed, errors, problem = edited
            edit = read_action(action, typed)
        actions.append(
            {
                "key": key,
                "action": action,
                "edit": edit,
                "subscription": (
                    typed.get("subscription")
                    if typed is not None
                    else edit.subscription or action.default_subscription
                ),
                "fields": field_editors(action, overrides.get(key), typed, errors),
                "errors": errors,
                "problem": problem,
                "preview": preview(key, action, edit, routed, refused),
            }
        )
    options = [
        {"id": e.get("messageId", ""), "label": event_label(e), "received": _received(e)}
        for e in events
    ]
    saved = request.query_params.get("saved", "")
    context = {
        **destination_page_context(dest, "mappings"),
        "actions": actions,
        "events": options,
        "event_id": event.get("messageId", "") if event else "",
        "presets": presets is not None,
        "common_paths": COMMON_PATHS,
        "schema_paths": pickable(seen),
        # "Saved." goes in the saved action's card, where the redirect scrolls to
        "saved_key": saved if saved in definition.actions else None,
    }
    if context["saved_key"]:
        context["notice"] = None
    return render(request, "destination_mappings.html", context, status)


def _received(event: dict[str, Any]) -> str:
    return str(event.get("receivedAt") or event.get("timestamp") or "")[:19].replace("T", " ")


@require("viewer")
async def mappings_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    dest = await object_or_404(ctx, user.workspace, "destination", request.path_params["name"])
    return await _page(request, ctx, dest, request.query_params.get("event", ""))


def _action(dest: StoredObject, key: str) -> Any:
    actions = definition_or_404(dest.doc["type"]).actions
    if key not in actions:
        raise PageError(404, "No such action", f"{dest.doc['type']} has no action {key!r}.")
    return actions[key]


@require("viewer")
async def preview_mapping(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    dest = await object_or_404(ctx, user.workspace, "destination", request.path_params["name"])
    key = request.path_params["action"]
    action = _action(dest, key)
    form = await read_form(request)
    edit = read_action(action, form)
    event = _pick(await _events(ctx, dest), form.get("event"))
    routed, refused = _routed(ctx, dest, event)
    if edit.errors:  # a field is not JSON: say which, instead of previewing without it
        field, message = next(iter(edit.errors.items()))
        shown = Preview(message, field, routed)
    else:
        shown = preview(key, action, edit, routed, refused)
    return render(request, "_mapping_preview.html", {"key": key, "preview": shown})


@require("editor")
async def save_mapping(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    dest = await object_or_404(ctx, user.workspace, "destination", request.path_params["name"])
    key = request.path_params["action"]
    action = _action(dest, key)
    form = await read_form(request)
    edit = read_action(action, form)
    event_id = form.get("event")
    if edit.errors:
        return await _page(request, ctx, dest, event_id, (key, form, edit.errors, None), 400)
    presets = definition_or_404(dest.doc["type"]).presets
    actions = saved_actions(presets, dest.doc.get("actions", {}), key, edit)
    try:
        await save_destination(ctx, user, dest.name, {"actions": actions or None})
    except ConfigError as error:
        path, message = locate(error, "destinations", dest.name)
        field = path.removeprefix(f"actions.{key}.").split("[")[0]
        field = ".".join(field.split(".")[:2])
        errors = {field: message} if field.startswith(("mapping.", "subscription")) else {}
        problem = None if errors else message
        return await _page(request, ctx, dest, event_id, (key, form, errors, problem), 400)
    target = (
        f"/destinations/{quote(dest.name)}/mappings?done=saved&saved={quote(key)}"
        f"&event={quote(event_id)}"
    )
    return RedirectResponse(f"{target}#action-{quote(key)}", status_code=303)


def mapping_routes(ctx: ServerContext) -> list[BaseRoute]:
    base = "/destinations/{name}/mappings"
    return [
        Route(base, mappings_page(ctx), methods=["GET"]),
        Route(base + "/{action}", save_mapping(ctx), methods=["POST"]),
        Route(base + "/{action}/preview", preview_mapping(ctx), methods=["POST"]),
    ]
