"""The catalog: every installed destination type by category, searchable (`?q=`, `?category=`),
and a "Set up" form made from its settings."""

from __future__ import annotations

import sqlite3
from collections import Counter
from functools import partial
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eventyard.control import store
from eventyard.control.context import ServerContext
from eventyard.control.secrets import SecretBox
from eventyard.destinations.base import DestinationDefinition
from eventyard.destinations.registry import get_definition, type_names
from eventyard.errors import ConfigError
from eventyard.ui.catalog_groups import CATEGORIES, category, matches, twin_note
from eventyard.ui.destination_form import (
    every_error,
    form_context,
    place_error,
    read_form_doc,
)
from eventyard.ui.formdata import Submitted, read_form
from eventyard.ui.lookups import definition_or_404, objects
from eventyard.ui.session import UiUser, require
from eventyard.ui.templating import render

__all__ = ["catalog_routes"]


_MAX_QUERY = 200
"""Longest search text looked at: type names and descriptions are far shorter."""


def _card(slug: str, in_use: int, installed: list[str]) -> dict[str, Any]:
    card: dict[str, Any] = {
        "slug": slug,
        "name": slug,
        "category": category(slug),
        "twin": twin_note(slug, installed),
        "segment": slug.startswith("actions/"),
        "broken": None,
        "in_use": in_use,
        "description": "",
        "actions": [],
    }
    try:
        definition = get_definition(slug)
    except ConfigError as error:
        return {**card, "broken": str(error)}
    return {
        **card,
        "name": definition.name,
        "description": definition.description,
        "actions": [action.title for action in definition.actions.values()],
        "conversions": getattr(definition, "conversion", None) is not None,
    }


def _searched(card: dict[str, Any], query: str) -> bool:
    texts = (card["name"], card["slug"], card["description"], card["category"], *card["actions"])
    return matches(query, texts)


@require("viewer")
async def catalog_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    used = Counter(d.doc["type"] for d in await objects(ctx, user.workspace, "destination"))
    query = request.query_params.get("q", "")[:_MAX_QUERY].strip()
    chosen = request.query_params.get("category", "")
    installed = type_names()
    every = [_card(slug, used[slug], installed) for slug in installed]
    found = [card for card in every if _searched(card, query)]
    counts = Counter(card["category"] for card in found)
    groups = [
        {"name": name, "cards": [card for card in found if card["category"] == name]}
        for name in CATEGORIES
        if counts[name] and chosen in ("", name)
    ]
    context = {
        "title": "Catalog",
        "groups": groups,
        "query": query,
        "category": chosen if chosen in CATEGORIES else "",
        "categories": [(name, counts[name]) for name in CATEGORIES],
        "shown": sum(len(group["cards"]) for group in groups),
        "total": len(every),
    }
    return render(request, "catalog.html", context)


def _setup_page(
    request: Request, definition: DestinationDefinition, form: dict[str, Any], status: int = 200
) -> Response:
    context = {"title": f"Set up {definition.name}", "form": form}
    return render(request, "catalog_setup.html", context, status)


async def _source_names(ctx: ServerContext, user: UiUser) -> list[str]:
    return [source.name for source in await objects(ctx, user.workspace, "source")]


def _action(definition: DestinationDefinition) -> str:
    return f"/catalog/{quote(definition.slug)}"


@require("viewer")
async def setup_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    definition = definition_or_404(request.path_params["type"])
    sources = await _source_names(ctx, user)
    doc = {"sources": sources[:1] if len(sources) == 1 else []}
    form = form_context(definition, doc, sources, _action(definition))
    return _setup_page(request, definition, form)


def _create(box: SecretBox, user: UiUser, doc: dict[str, Any], conn: sqlite3.Connection) -> None:
    name = doc["name"]
    if store.get_object(conn, "destination", user.workspace, name) is not None:
        raise ConfigError(f"destinations.name: a destination named {name!r} already exists")
    store.put_object(conn, box, "destination", user.workspace, doc, user.actor)


@require("editor")
async def create_destination(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    definition = definition_or_404(request.path_params["type"])
    form: Submitted = await read_form(request)
    doc, errors = read_form_doc(definition, form)
    errors = every_error(definition, doc, form, errors)
    problem, status = None, 400
    if not errors:
        created = {key: value for key, value in doc.items() if value is not None}
        try:
            await ctx.plane.change(partial(_create, ctx.plane.box, user, created))
        except ConfigError as error:
            errors, problem = place_error(definition, error, doc["name"], form)
        else:
            target = f"/destinations/{quote(doc['name'])}?done=created"
            return RedirectResponse(target, status_code=303)
    sources = await _source_names(ctx, user)
    shown = {**doc, "settings": {}}
    view = form_context(definition, shown, sources, _action(definition), errors, problem, form)
    return _setup_page(request, definition, view, status)


def catalog_routes(ctx: ServerContext) -> list[BaseRoute]:
    return [
        Route("/catalog", catalog_page(ctx), methods=["GET"]),
        Route("/catalog/{type:path}", setup_page(ctx), methods=["GET"]),
        Route("/catalog/{type:path}", create_destination(ctx), methods=["POST"]),
    ]
