"""A destination's Filter tab, the one place for its filters in Segment's terms: "only send"
(the `filter` key, FQL) and the rules that drop, sample, drop properties or allow properties
(the `filters` key, `ui.filter_rules`). While typing it says what the whole set does to the
recent real events of the destination's sources (sent, changed, dropped by which rule), or
where a syntax is wrong. Both keys are saved together; eventyard.yaml and the API keep both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from eventyard.control.config import FilterRule, decode_struct
from eventyard.control.context import ServerContext
from eventyard.control.store import StoredObject
from eventyard.errors import ConfigError
from eventyard.fql import FQLSyntaxError, compile_fql
from eventyard.pipeline.destination_filter import Dropped, compile_filters
from eventyard.ui.config_errors import place
from eventyard.ui.filter_rules import (
    ADD,
    REMOVE,
    RulesView,
    edited_rows,
    parse_rules,
    rule_keys,
    rule_pairs,
    rule_rows,
)
from eventyard.ui.formdata import Submitted, read_form
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
    changed: int = 0
    """Kept events whose properties a rule dropped or narrowed."""
    dropped: list[tuple[str, int]] = field(default_factory=list)
    """(why, how many), most first: "filter: ...", "<rule> drop: if ...", samples."""
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


def check_filter(
    text: str, events: list[dict[str, Any]], rules: Sequence[dict[str, Any]] = ()
) -> FilterCheck:
    """Compile "only send" `text` and the `rules` with the router's compiler and run them
    on `events` as delivery would (a sample rule draws anew each time)."""
    only = text.strip() or None
    if only is None and not rules:
        return FilterCheck(len(events), len(events), empty=True)
    if len(text) > MAX_FILTER:
        return FilterCheck(error=f"a filter has at most {MAX_FILTER:,} characters")
    try:
        if only is not None:
            compile_fql(only)  # first, for the column of a syntax error
        plan = compile_filters(only, [decode_struct(rule, FilterRule) for rule in rules])
    except FQLSyntaxError as error:
        return _syntax(error)
    except ConfigError as error:
        return FilterCheck(error=str(error))
    assert plan is not None
    kept = changed = 0
    dropped: Counter[str] = Counter()
    for event in events:
        result = plan.apply(event)
        if isinstance(result, Dropped):
            dropped[result.detail] += 1
        else:
            kept += 1
            changed += result != event
    return FilterCheck(kept, len(events), changed, dropped.most_common())


def _typed(form: Submitted) -> tuple[str, list[dict[str, Any]], dict[str, str]]:
    """("only send" text, the rules that are well formed, problems by rule field)."""
    rules, errors = parse_rules(form)
    return form.get("filter").strip(), rules, errors


async def _check(
    ctx: ServerContext, dest: StoredObject, text: str, rules: Sequence[dict[str, Any]] = ()
) -> FilterCheck:
    return check_filter(text, await recent_events(ctx.log, set(dest.doc["sources"])), rules)


def _page(
    request: Request,
    dest: StoredObject,
    text: str,
    check: FilterCheck,
    rules: RulesView,
    status: int = 200,
) -> Response:
    context = {
        **destination_page_context(dest, "filter"),
        "text": text,
        "check": check,
        "a": rules,
        "form": {"action": f"/destinations/{quote(dest.name)}/filter"},
    }
    return render(request, "destination_filter.html", context, status)


@require("viewer")
async def filter_page(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    dest = await object_or_404(ctx, user.workspace, "destination", request.path_params["name"])
    text = dest.doc.get("filter") or ""
    stored = dest.doc.get("filters") or []
    rows = rule_rows(Submitted(rule_pairs(stored)))
    return _page(request, dest, text, await _check(ctx, dest, text, stored), RulesView(rows))


@require("viewer")
async def preview_filter(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    dest = await object_or_404(ctx, user.workspace, "destination", request.path_params["name"])
    text, rules, _ = _typed(await read_form(request))
    check = await _check(ctx, dest, text, rules)
    return render(request, "_filter_result.html", {"check": check, "dest": dest})


@require("editor")
async def save_filter(request: Request, ctx: ServerContext, user: UiUser) -> Response:
    """Save both keys; an Add or Remove of a rule row only shows the form again."""
    dest = await object_or_404(ctx, user.workspace, "destination", request.path_params["name"])
    form = await read_form(request)
    text, rules, errors = _typed(form)
    check = await _check(ctx, dest, text, rules)
    if ADD in form or REMOVE in form:
        return _page(request, dest, text, check, RulesView(edited_rows(form)))
    if check.error is None and not errors:
        change = {"filter": text or None, "filters": rules or None}
        try:
            await save_destination(ctx, user, dest.name, change)
        except ConfigError as error:
            keys = ["filter", *rule_keys(len(rule_rows(form)))]
            where, message = place(error, "destinations", dest.name, keys)
            if where is None or where == "filter":
                check = FilterCheck(error=message)
            else:
                errors = {where: message}
        else:
            return RedirectResponse(f"/destinations/{quote(dest.name)}/filter?done=saved", 303)
    return _page(request, dest, text, check, RulesView(rule_rows(form, errors), errors), 400)


def filter_routes(ctx: ServerContext) -> list[BaseRoute]:
    base = "/destinations/{name}/filter"
    return [
        Route(base, filter_page(ctx), methods=["GET"]),
        Route(base, save_filter(ctx), methods=["POST"]),
        Route(base + "/preview", preview_filter(ctx), methods=["POST"]),
    ]
