"""Sources: the list with write keys, create, rotate a key, delete, and a source's page: install
snippets, the signed Segment webhook (its shared secret set, replaced or removed here),
the source's rate limit, and its rejected events (`ui.rejections`)."""

from __future__ import annotations

import sqlite3
import time
from functools import partial
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eventyard.control import store
from eventyard.control.context import ServerContext
from eventyard.control.secrets import SECRET_MASK, SecretBox
from eventyard.control.store import StoredObject
from eventyard.errors import ConfigError
from eventyard.ingest.origin import PublicOrigin
from eventyard.ingest.segment_webhook import PATH as WEBHOOK_PATH
from eventyard.ui.config_errors import locate
from eventyard.ui.formdata import Submitted, read_form
from eventyard.ui.lookups import object_or_404, objects
from eventyard.ui.rejections import rejected
from eventyard.ui.session import UiUser, require
from eventyard.ui.snippets import install_snippets
from eventyard.ui.templating import render

__all__ = ["source_routes"]


async def _list(
    request: Request,
    ctx: ServerContext,
    user: UiUser,
    name: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    sources = await objects(ctx, user.workspace, "source")
    destinations = await objects(ctx, user.workspace, "destination")
    received = await ctx.log.received()
    rows = [
        {
            "name": source.name,
            "write_key": source.doc.get("write_key", ""),
            "received": received.get(source.name, 0),
            "destinations": [d.name for d in destinations if source.name in d.doc["sources"]],
            "updated_at": source.updated_at,
        }
        for source in sources
    ]
    context = {"title": "Sources", "sources": rows, "name": name, "error": error}
    return render(request, "sources.html", context, status)


@require("viewer")
async def sources_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    return await _list(request, ctx, user)


def _create(box: SecretBox, user: UiUser, name: str, conn: sqlite3.Connection) -> None:
    if store.get_object(conn, "source", user.workspace, name) is not None:
        raise ConfigError(f"sources.name: a source named {name!r} already exists")
    store.put_object(conn, box, "source", user.workspace, {"name": name}, user.actor)


@require("editor")
async def create_source(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    name = (await read_form(request)).get("name").strip()
    if not name:
        return await _list(request, ctx, user, name, "Give the source a name.", 400)
    try:
        await ctx.plane.change(partial(_create, ctx.plane.box, user, name))
    except ConfigError as error:
        return await _list(request, ctx, user, name, locate(error, "sources", name)[1], 400)
    return RedirectResponse(f"/sources/{quote(name)}?done=created", status_code=303)


async def _source_page(
    request: Request,
    ctx: ServerContext,
    user: UiUser,
    source: StoredObject,
    webhook_error: str | None = None,
    status: int = 200,
    rate_form: Submitted | None = None,
    rate_error: str | None = None,
) -> Response:
    destinations = [
        d
        for d in await objects(ctx, user.workspace, "destination")
        if source.name in d.doc["sources"]
    ]
    public = PublicOrigin(ctx.config.server.public_url).of(request)
    origin = public.url if public else str(request.base_url).rstrip("/")
    write_key = source.doc.get("write_key", "")
    context = {
        "title": source.name,
        "source": source,
        "write_key": write_key,
        "received": (await ctx.log.received()).get(source.name, 0),
        "destinations": destinations,
        "snippets": install_snippets(origin, write_key),
        "origin": origin,
        "webhook": {
            "url": origin + WEBHOOK_PATH.format(source=quote(source.name, safe="")),
            "saved": source.doc.get("webhook_secret") is not None,
            "error": webhook_error,
        },
        "rate": _rate_view(ctx, source, rate_form, rate_error),
        "rejections": await rejected(ctx.log, {source.name}, time.time()),
        "show_source": False,
    }
    return render(request, "source.html", context, status)


def _rate_view(
    ctx: ServerContext, source: StoredObject, typed: Submitted | None, error: str | None
) -> dict[str, Any]:
    """The rate limit card: the saved limit, the refusals, and the form's values (what was
    typed when it was refused)."""
    limit = source.doc.get("rate_limit")
    if typed is not None:
        shown = {"events_per_second": typed.get("events_per_second"), "burst": typed.get("burst")}
    else:
        saved = limit or {}
        rate = saved.get("events_per_second")
        shown = {
            "events_per_second": "" if rate is None else f"{rate:g}",
            "burst": saved.get("burst", ""),
        }
    refused = ctx.limits.refused.get(source.name, 0)
    return {"limit": limit, "refused": refused, "error": error, **shown}


def _typed_rate_limit(form: Submitted) -> dict[str, Any] | None:
    """The submitted `rate_limit` (None: `clear`); ValueError saying what to type."""
    if "clear" in form:
        return None
    rate, burst = form.get("events_per_second").strip(), form.get("burst").strip()
    try:
        limit: dict[str, Any] = {"events_per_second": float(rate)}
    except ValueError:
        raise ValueError("Type the events per second as a number, e.g. 100.") from None
    if burst:
        if not (burst.isascii() and burst.isdigit()) or len(burst) > 12:
            raise ValueError("Type the burst as a whole number of events, or leave it empty.")
        limit["burst"] = int(burst)
    return limit


@require("editor")
async def set_rate_limit(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    """Turn on, change or (`clear`) remove the source's `rate_limit`; it applies at once."""
    source = await object_or_404(ctx, user.workspace, "source", request.path_params["name"])
    form = await read_form(request)
    try:
        change = {"rate_limit": _typed_rate_limit(form)}
    except ValueError as problem:
        return await _source_page(request, ctx, user, source, None, 400, form, str(problem))
    try:
        await _change_source(ctx, user, source, change)
    except ConfigError as error:
        path, message = locate(error, "sources", source.name)
        message = f"{path}: {message}" if path else message  # which of the two fields
        return await _source_page(request, ctx, user, source, None, 400, form, message)
    done = "deleted" if change["rate_limit"] is None else "saved"
    return RedirectResponse(f"/sources/{quote(source.name)}?done={done}#rate-limit", 303)


@require("viewer")
async def source_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    source = await object_or_404(ctx, user.workspace, "source", request.path_params["name"])
    return await _source_page(request, ctx, user, source)


async def _change_source(
    ctx: ServerContext, user: UiUser, source: StoredObject, change: dict[str, Any]
) -> None:
    """Replace some keys of the source (None removes one); running parts follow at once."""
    box, workspace, name, actor = ctx.plane.box, user.workspace, source.name, user.actor
    await ctx.plane.change(
        lambda conn: store.update_object(conn, box, "source", workspace, name, change, actor)
    )


@require("editor")
async def set_webhook_secret(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    """Set, replace or (`clear`) remove the shared secret of Segment's signed webhook."""
    source = await object_or_404(ctx, user.workspace, "source", request.path_params["name"])
    form = await read_form(request)
    secret = None if "clear" in form else form.get("webhook_secret")
    problem = None
    if secret is not None and not secret.strip():
        problem = "Type the shared secret, the same one as in Segment's webhook settings."
    elif secret == SECRET_MASK:
        problem = "That is how a saved secret is shown; type the secret itself."
    if problem is not None:
        return await _source_page(request, ctx, user, source, problem, 400)
    try:
        await _change_source(ctx, user, source, {"webhook_secret": secret})  # None removes it
    except ConfigError as error:
        message = locate(error, "sources", source.name)[1]
        return await _source_page(request, ctx, user, source, message, 400)
    done = "deleted" if secret is None else "saved"
    return RedirectResponse(f"/sources/{quote(source.name)}?done={done}#segment-webhook", 303)


@require("editor")
async def rotate_key(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    source = await object_or_404(ctx, user.workspace, "source", request.path_params["name"])
    await ctx.plane.change(
        partial(
            store.rotate_write_key, workspace=user.workspace, source=source.name, actor=user.actor
        )
    )
    return RedirectResponse(f"/sources/{quote(source.name)}?done=rotated", status_code=303)


@require("editor")
async def delete_source(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    source = await object_or_404(ctx, user.workspace, "source", request.path_params["name"])
    try:
        await ctx.plane.change(
            partial(
                store.delete_object,
                kind="source",
                workspace=user.workspace,
                name=source.name,
                actor=user.actor,
            )
        )
    except ConfigError as error:
        message = locate(error, "sources", source.name)[1]
        return await _list(request, ctx, user, error=message, status=409)
    return RedirectResponse("/sources?done=deleted", status_code=303)


def source_routes(ctx: ServerContext) -> list[BaseRoute]:
    return [
        Route("/sources", sources_page(ctx), methods=["GET"]),
        Route("/sources", create_source(ctx), methods=["POST"]),
        Route("/sources/{name}", source_page(ctx), methods=["GET"]),
        Route("/sources/{name}/rotate", rotate_key(ctx), methods=["POST"]),
        Route("/sources/{name}/webhook-secret", set_webhook_secret(ctx), methods=["POST"]),
        Route("/sources/{name}/rate-limit", set_rate_limit(ctx), methods=["POST"]),
        Route("/sources/{name}/delete", delete_source(ctx), methods=["POST"]),
    ]
