"""Profiles: search by any identifier, and one profile's identity graph (as a picture, with
the reason behind every identifier, merge and refused merge), traits, computed traits and
event timeline.

Profiles are one space for the whole install, built from every source of every workspace,
so only install admins (owners of workspace "default") see them, whichever workspace they
are in; the Profile API likewise takes only the space's own token. Filtering by the viewer's
sources would not do: one profile joins identifiers, traits and merges from several
workspaces' events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

import orjson
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eventyard.control.context import ServerContext
from eventyard.control.invitations import install_admin
from eventyard.profiles import queries
from eventyard.profiles.api_views import decode_cursor, encode_cursor
from eventyard.profiles.explain import explain
from eventyard.profiles.sql import Sql
from eventyard.profiles.store import ProfilesNotReady, open_store
from eventyard.ui.problems import PageError
from eventyard.ui.profile_graph import picture
from eventyard.ui.session import UiUser, require
from eventyard.ui.templating import render

__all__ = ["TIMELINE", "profile_page", "profile_ui_routes", "search_page"]

T = TypeVar("T")
TIMELINE = 50
"""Events per page of a profile's timeline."""
_MAX_QUERY = 512


def _check_install_admin(user: UiUser) -> None:
    if not install_admin(user.workspaces):
        raise PageError(
            403,
            "Profiles are for install admins",
            "Profiles are built from the events of every workspace, so only install admins "
            "(owners of workspace default) can see them. Ask one if you need a profile.",
        )


async def _read(ctx: ServerContext, fn: Callable[[Sql], T], missing: T) -> T:
    store = open_store(ctx.config.profiles, ctx.data_dir)
    try:
        return await asyncio.to_thread(store.read, fn)
    except ProfilesNotReady:
        return missing


@require("viewer")
async def search_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    _check_install_admin(user)
    query = request.query_params.get("q", "").strip()[:_MAX_QUERY]
    found: list[tuple[str, list[tuple[str, str]]]] = []
    if query:
        found = await _read(ctx, lambda sql: queries.search(sql, query), found)
    results = [
        {"profile": profile, "ids": [f"{kind}:{value}" for kind, value in ids]}
        for profile, ids in found
    ]
    context = {"title": "Profiles", "query": query, "results": results}
    return render(request, "profiles.html", context)


def person(traits: dict[str, Any], ids: list[tuple[str, str]]) -> str | None:
    """What to call the person: the `name` trait (or first and last name), else the email
    (trait or identifier); None when nothing says (the page then shows the profile id)."""
    name = traits.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [traits.get(key) for key in ("firstName", "lastName")]
        name = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    email = traits.get("email")
    if not isinstance(email, str):
        email = next((value for kind, value in ids if kind == "email"), None)
    return (name or "").strip()[:200] or (email or "").strip()[:200] or None


def _profile_view(sql: Sql, wanted: str, after: tuple[float, str] | None) -> dict[str, Any] | str:
    """Everything the profile page shows, or the live id to redirect to."""
    live = queries.resolve(sql, "profile_id", wanted)
    if live is None:
        return {}
    if live != wanted:
        return live
    story = explain(sql, live)
    assert story is not None
    traits = [
        {"key": key, "value": orjson.loads(t.value), "source": t.source, "at": t.at}
        for key, t in sorted(queries.traits(sql, live).items())
    ]
    computed = [
        {"key": key, "value": None if text is None else orjson.loads(text), "at": at}
        for key, (text, at) in sorted(queries.computed(sql, live).items())
    ]
    events = queries.profile_events(sql, live, after=after, limit=TIMELINE + 1)
    values = {t["key"]: t["value"] for t in traits}
    return {
        "person": person(values, [j.ident for j in story.identifiers]),
        "story": story,
        "graph": picture(story),
        "traits": traits,
        "computed": computed,
        "events": [
            {"row": row, "body": orjson.loads(row.payload or b"{}")} for row in events[:TIMELINE]
        ],
        "older": encode_cursor(events[TIMELINE - 1].at, events[TIMELINE - 1].message_id)
        if len(events) > TIMELINE
        else None,
    }


@require("viewer")
async def profile_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    _check_install_admin(user)
    wanted = request.path_params["profile"][:_MAX_QUERY]
    cursor = request.query_params.get("before", "")
    after = decode_cursor(cursor) if cursor and len(cursor) < _MAX_QUERY else None
    nothing: dict[str, Any] | str = {}
    view = await _read(ctx, lambda sql: _profile_view(sql, wanted, after), nothing)
    if isinstance(view, str):
        return RedirectResponse(f"/profiles/{quote(view, safe='')}", status_code=303)
    if not view:
        raise PageError(
            404,
            "No such profile",
            "No profile has this id, and no merged profile had it. Search by an identifier "
            "(user id, email, anonymous id) instead.",
        )
    context = {"title": "Profile", "profile": wanted, "paged": after is not None, **view}
    return render(request, "profile.html", context)


def profile_ui_routes(ctx: ServerContext) -> list[BaseRoute]:
    return [
        Route("/profiles", search_page(ctx), methods=["GET"]),
        Route("/profiles/{profile}", profile_page(ctx), methods=["GET"]),
    ]
