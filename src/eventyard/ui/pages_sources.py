"""Sources: the list with write keys, create, rotate a key, delete, and a source's install page."""

from __future__ import annotations

import sqlite3
from functools import partial
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eventyard.control import store
from eventyard.control.context import ServerContext
from eventyard.control.secrets import SecretBox
from eventyard.errors import ConfigError
from eventyard.ui.config_errors import locate
from eventyard.ui.formdata import read_form
from eventyard.ui.lookups import object_or_404, objects
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


@require("viewer")
async def source_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    source = await object_or_404(ctx, user.workspace, "source", request.path_params["name"])
    destinations = [
        d
        for d in await objects(ctx, user.workspace, "destination")
        if source.name in d.doc["sources"]
    ]
    origin = str(request.base_url).rstrip("/")
    write_key = source.doc.get("write_key", "")
    context = {
        "title": source.name,
        "source": source,
        "write_key": write_key,
        "received": (await ctx.log.received()).get(source.name, 0),
        "destinations": destinations,
        "snippets": install_snippets(origin, write_key),
        "origin": origin,
    }
    return render(request, "source.html", context)


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
        Route("/sources/{name}/delete", delete_source(ctx), methods=["POST"]),
    ]
