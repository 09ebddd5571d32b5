"""The dead letters page: what each destination gave up on, and sending it again.

Retrying goes through the same queue functions as `POST /api/v1/deadletters/retry`, limited
to the user's workspace: a letter id of another workspace is ignored, a destination name of
another workspace is answered 404. Retrying needs the editor role.
"""

from __future__ import annotations

import re
import sqlite3
import time
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eventyard.control.api_scope import workspace_config
from eventyard.control.context import ServerContext
from eventyard.delivery import jobs, trace
from eventyard.delivery.dead_search import LetterSearch, SearchError, parse_search, search_letters
from eventyard.delivery.jobs import DeadLetter
from eventyard.ui import stats
from eventyard.ui.formdata import read_form
from eventyard.ui.jsonview import letter_view
from eventyard.ui.problems import PageError
from eventyard.ui.session import UiUser, require
from eventyard.ui.templating import render

__all__ = ["MAX_IDS", "PER_DESTINATION", "PER_PAGE", "deadletter_routes"]

PER_DESTINATION = 25
"""Letters listed per destination (newest first); "retry all" covers every one."""
PER_PAGE = 25
"""Letters per page of a search or of a destination's older letters."""
_SEARCH = ("event", "error", "since", "until")
MAX_IDS = 100
_ID = re.compile(r"[0-9]{1,15}")


async def _names(ctx: ServerContext, user: UiUser, wanted: str | None) -> dict[str, str]:
    """The workspace's destinations, or just `wanted` (404 if it is not one of them), by
    name with their types."""
    config = await workspace_config(ctx, user.workspace)
    names = {d.name: d.type for d in sorted(config.destinations, key=lambda d: d.name)}
    if wanted is None:
        return names
    if wanted not in names:
        raise PageError(
            404,
            "No such destination",
            f"Workspace {user.workspace!r} has no destination named {wanted[:100]!r}.",
        )
    return {wanted: names[wanted]}


def _search(request: Request) -> tuple[LetterSearch, str | None]:
    """The page's search (nothing, when a parameter is wrong) and what is wrong with it."""
    try:
        return parse_search(request.query_params), None
    except SearchError as error:
        return LetterSearch(), str(error)


async def page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    wanted = request.query_params.get("destination") or None
    names = await _names(ctx, user, wanted)
    query, problem = _search(request)

    def read(conn: sqlite3.Connection) -> tuple[dict[str, int], list[DeadLetter]]:
        counts = stats.dead_counts(conn, names)
        if query.active:  # the newest matches of every destination, a page at a time
            return counts, search_letters(conn, list(names), query, PER_PAGE + 1)
        found = stats.dead_letters(conn, names, PER_DESTINATION)
        return counts, [letter for name in names for letter in found[name]]

    counts, found = await ctx.state.run(read)
    shown = found[:PER_PAGE] if query.active else found
    originals = await ctx.state.run(lambda conn: _originals(conn, shown))
    views: dict[str, list[Any]] = {name: [] for name in names}
    for letter in shown:
        original = originals.get((letter.destination, letter.message_id))
        views[letter.destination].append(letter_view(letter, names[letter.destination], original))
    older = shown[-1].id if query.active and len(found) > PER_PAGE else None
    requeued = request.query_params.get("requeued", "")
    notice = None
    if _ID.fullmatch(requeued):
        count = int(requeued)
        notice = (
            f"{count:,} dead letter{'s' if count != 1 else ''} queued again."
            if count
            else "Nothing to retry: those letters were already retried."
        )
    context = {
        "names": names,
        "counts": counts,
        "letters": views,
        "total": sum(counts.values()),
        "filtered": wanted,
        "per_destination": PER_DESTINATION,
        "per_page": PER_PAGE,
        "notice": notice,
        "query": query,
        "typed": {key: request.query_params.get(key, "") for key in _SEARCH},
        "problem": problem,
        "older_url": _page_url(request, older),
    }
    return render(request, "deadletters.html", context)


def _originals(
    conn: sqlite3.Connection, letters: list[DeadLetter]
) -> dict[tuple[str, str], tuple[str, str]]:
    """The original events' (type, name) by (destination, messageId), from the trace."""
    by_destination: dict[str, list[str]] = {}
    for letter in letters:
        by_destination.setdefault(letter.destination, []).append(letter.message_id)
    return {
        (name, message_id): said
        for name, ids in by_destination.items()
        for message_id, said in trace.queued_events(conn, name, ids).items()
    }


def _page_url(request: Request, before: int | None) -> str:
    """This search's next page (letters older than `before`)."""
    if before is None:
        return ""
    kept = {k: v for k, v in request.query_params.items() if k != "before" and v}
    return "/deadletters?" + urlencode({**kept, "before": before})


async def retry(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    form = await read_form(request)
    raw_ids = form.getlist("id")
    if len(raw_ids) > MAX_IDS or not all(_ID.fullmatch(x) for x in raw_ids):
        raise PageError(400, "Not retried", f"Choose up to {MAX_IDS} dead letters by their id.")
    destination = form.get("destination") or None
    names = await _names(ctx, user, destination)
    ids = [int(x) for x in raw_ids]
    now = time.time()

    def requeue(conn: sqlite3.Connection) -> int:
        if ids:
            return stats.requeue_letters(conn, names, ids, now)
        return sum(jobs.requeue_dead(conn, name, None, now) for name in names)

    moved = await ctx.state.run(requeue)
    if moved:
        ctx.delivery.notify()
    back = f"/deadletters?requeued={moved}"
    if form.get("back") == "destination" and destination is not None:
        back += f"&destination={quote(destination)}"
    return RedirectResponse(back, status_code=303)


def deadletter_routes(ctx: ServerContext) -> list[BaseRoute]:
    return [
        Route("/deadletters", require("viewer")(page)(ctx), methods=["GET"]),
        Route("/deadletters/retry", require("editor")(retry)(ctx), methods=["POST"]),
    ]
