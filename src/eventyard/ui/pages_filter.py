"""A destination's Filter tab: an FQL editor that says, while typing, how many of the recent real
events of the destination's sources the filter keeps, or where its syntax is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eventyard.control.context import ServerContext
from eventyard.control.store import StoredObject
from eventyard.errors import ConfigError
from eventyard.fql import FQLSyntaxError, compile_fql
from eventyard.ui.config_errors import locate
from eventyard.ui.formdata import read_form
from eventyard.ui.lookups import object_or_404
from eventyard.ui.pages_destinations import destination_page_context, save_destination
from eventyard.ui.recent import recent_events
from eventyard.ui.session import UiUser, require
from eventyard.ui.templating import render

__all__ = ["FilterCheck", "check_filter", "filter_routes"]

MAX_FILTER = 10_000
_SHOWN = 90


@dataclass(frozen=True, slots=True)
class FilterCheck:
    """What the editor shows under the filter."""

    kept: int = 0
    total: int = 0
    empty: bool = False
    error: str | None = None
    column: int | None = None
    excerpt: str = ""
    """The expression around the error, on one line, with `caret` under the column."""
    caret: str = ""

    @property
    def percent(self) -> int:
        return round(100 * self.kept / self.total) if self.total else 0


def _syntax(error: FQLSyntaxError) -> FilterCheck:
    flat = error.expression.replace("\t", " ").replace("\r", " ").replace("\n", " ")
    start = max(0, min(error.column - 1 - _SHOWN // 2, len(flat) - _SHOWN))
    excerpt = flat[start : start + _SHOWN]
    prefix = "…" if start else ""
    caret = " " * (len(prefix) + error.column - 1 - start) + "^"
    return FilterCheck(
        error=error.reason, column=error.column, excerpt=prefix + excerpt, caret=caret
    )


def check_filter(text: str, events: list[dict[str, Any]]) -> FilterCheck:
    """Compile `text` with the real FQL compiler and count the events it keeps."""
    if not text.strip():
        return FilterCheck(len(events), len(events), empty=True)
    if len(text) > MAX_FILTER:
        return FilterCheck(error=f"a filter has at most {MAX_FILTER:,} characters")
    try:
        keep = compile_fql(text)
    except FQLSyntaxError as error:
        return _syntax(error)
    except ConfigError as error:
        return FilterCheck(error=str(error))
    return FilterCheck(sum(1 for event in events if keep(event)), len(events))


async def _check(ctx: ServerContext, dest: StoredObject, text: str) -> FilterCheck:
    return check_filter(text, await recent_events(ctx.log, set(dest.doc["sources"])))


def _page(
    request: Request, dest: StoredObject, text: str, check: FilterCheck, status: int = 200
) -> Response:
    context = {**destination_page_context(dest, "filter"), "text": text, "check": check}
    return render(request, "destination_filter.html", context, status)


@require("viewer")
async def filter_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    dest = await object_or_404(ctx, user.workspace, "destination", request.path_params["name"])
    text = dest.doc.get("filter") or ""
    return _page(request, dest, text, await _check(ctx, dest, text))


@require("viewer")
async def preview_filter(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    dest = await object_or_404(ctx, user.workspace, "destination", request.path_params["name"])
    text = (await read_form(request)).get("filter")
    check = await _check(ctx, dest, text)
    return render(request, "_filter_result.html", {"check": check, "dest": dest})


@require("editor")
async def save_filter(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    dest = await object_or_404(ctx, user.workspace, "destination", request.path_params["name"])
    text = (await read_form(request)).get("filter").strip()
    check = await _check(ctx, dest, text)
    if check.error is not None:
        return _page(request, dest, text, check, 400)
    try:
        await save_destination(ctx, user, dest.name, {"filter": text or None})
    except ConfigError as error:
        problem = FilterCheck(error=locate(error, "destinations", dest.name)[1])
        return _page(request, dest, text, problem, 400)
    return RedirectResponse(f"/destinations/{quote(dest.name)}/filter?done=saved", 303)


def filter_routes(ctx: ServerContext) -> list[BaseRoute]:
    base = "/destinations/{name}/filter"
    return [
        Route(base, filter_page(ctx), methods=["GET"]),
        Route(base, save_filter(ctx), methods=["POST"]),
        Route(base + "/preview", preview_filter(ctx), methods=["POST"]),
    ]
