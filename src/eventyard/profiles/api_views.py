"""The Profile API's response bodies, in Segment's shapes (segment.md §5.3).

Each view is a plain function of the store (`Sql`), the resolved profile (or account) and
the request's parameters; `api.py` does routing, auth, parameter checks and errors.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from eventyard.profiles import queries
from eventyard.profiles.identifiers import Extractor, Ident
from eventyard.profiles.sql import Sql
from eventyard.profiles.traits import current
from eventyard.spec.timestamps import format_iso

__all__ = [
    "LINKS_LIMIT",
    "Page",
    "Params",
    "account_view",
    "decode_cursor",
    "encode_cursor",
    "iso",
    "user_view",
]

LINKS_LIMIT = 20
"""Segment returns at most 20 linked users or accounts."""


@dataclass(frozen=True, slots=True)
class Params:
    limit: int
    next: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    verbose: bool
    trait_class: str | None
    start: float | None
    end: float | None
    descending: bool


@dataclass(frozen=True, slots=True)
class Page:
    body: dict[str, Any]
    next: str = ""
    has_more: bool = False


def iso(at: float | None) -> str | None:
    return None if at is None else format_iso(datetime.fromtimestamp(at, UTC))


def encode_cursor(at: float, message_id: str) -> str:
    return base64.urlsafe_b64encode(f"{at!r}::{message_id}".encode()).decode()


def decode_cursor(text: str) -> tuple[float, str] | None:
    try:
        at, _, message_id = base64.urlsafe_b64decode(text.encode()).decode().partition("::")
        return float(at), message_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def _offset(text: str) -> int:
    return int(text) if text.isdigit() and len(text) < 9 else 0


def _traits(values: dict[str, tuple[Any, str | None, float]], params: Params) -> Page:
    """key -> (value, source, updated at), paged alphabetically from `next`."""
    keys = sorted(k for k in values if not params.include or k in params.include)
    keys = [k for k in keys if k >= params.next]
    shown = keys[: params.limit]
    traits: dict[str, Any] = {}
    for key in shown:
        value, source, at = values[key]
        traits[key] = (
            {"value": value, "source_id": source, "updated_at": iso(at)}
            if params.verbose
            else value
        )
    more = len(keys) > params.limit
    return Page({"traits": traits}, keys[params.limit] if more else "", more)


def _user_traits(sql: Sql, profile: str, params: Params) -> Page:
    values: dict[str, tuple[Any, str | None, float]] = {}
    if params.trait_class is None:
        for key, trait in queries.traits(sql, profile).items():
            values[key] = (orjson.loads(trait.value), trait.source, trait.at)
    if params.trait_class in (None, "computed_trait"):
        for key, (text, at) in queries.computed(sql, profile).items():
            values[key] = (None if text is None else orjson.loads(text), "computed", at)
    return _traits(values, params)


def _external_id(
    ident: Ident, at: float, source: str | None, message_id: str | None
) -> dict[str, Any]:
    return {
        "source_id": source,
        "collection": "accounts" if ident[0] == "group_id" else "users",
        "id": ident[1],
        "type": ident[0],
        "created_at": iso(at),
        "encoding": "none",
        "first_message_id": message_id,
    }


def _user_external_ids(sql: Sql, profile: str, params: Params) -> Page:
    rows = [
        _external_id((i.type, i.value), i.added_at, i.source, i.message_id)
        for i in queries.external_ids(sql, profile)
        if not params.include or i.type in params.include
    ]
    start = _offset(params.next)
    shown = rows[start : start + params.limit]
    more = len(rows) > start + params.limit
    return Page({"data": shown}, str(start + params.limit) if more else "", more)


def _event(row: queries.EventRow, extractor: Extractor) -> dict[str, Any]:
    body = orjson.loads(row.payload or b"{}")
    ids = [
        {"collection": "users", "type": kind, "id": value, "encoding": "none"}
        for kind, value in extractor.extract(body)
    ]
    shown = {k: v for k, v in body.items() if k not in ("messageId", "userId", "anonymousId")}
    shown.update(
        external_ids=ids,
        type=row.type,
        message_id=row.message_id,
        source_id=row.source,
        timestamp=iso(row.at),
        related={"users": row.profile} if row.profile else {},
    )
    return shown


def _events(
    sql: Sql, profile: str, params: Params, extractor: Extractor, group: str | None = None
) -> Page:
    rows = queries.profile_events(
        sql,
        profile,
        start=params.start,
        end=params.end,
        include=params.include,
        exclude=params.exclude,
        descending=params.descending,
        after=decode_cursor(params.next) if params.next else None,
        limit=params.limit + 1,
        group=group,
    )
    shown = rows[: params.limit]
    more = len(rows) > params.limit
    last = shown[-1] if shown else None
    cursor = encode_cursor(last.at, last.message_id) if more and last else ""
    return Page({"data": [_event(r, extractor) for r in shown]}, cursor, more)


def _metadata(created: float | None, first: Any, last: Any) -> Page:
    return Page(
        {
            "metadata": {
                "created_at": iso(created),
                "updated_at": iso(last[0]) if last else iso(created),
                "expires_at": None,
                "first_message_id": first[1] if first else None,
                "first_source_id": first[2] if first else None,
                "last_message_id": last[1] if last else None,
                "last_source_id": last[2] if last else None,
            }
        }
    )


def user_view(sql: Sql, what: str, profile: str, params: Params, extractor: Extractor) -> Page:
    if what == "traits":
        return _user_traits(sql, profile, params)
    if what == "external_ids":
        return _user_external_ids(sql, profile, params)
    if what == "events":
        return _events(sql, profile, params, extractor)
    if what == "metadata":
        row = sql.one("SELECT created_at FROM profiles WHERE id = ?", (profile,))
        ends = queries.first_and_last(sql, profile)
        return _metadata(float(row[0]), ends[0] if ends else None, ends[-1] if ends else None)
    accounts = queries.profile_accounts(sql, profile, min(params.limit, LINKS_LIMIT))
    data = [
        {
            "to_collection": "accounts",
            "external_ids": [_external_id(("group_id", gid), at, source, None)],
        }
        for gid, at, source in accounts
    ]
    return Page({"data": data})


def account_view(sql: Sql, what: str, group: str, params: Params, extractor: Extractor) -> Page:
    if what == "traits":
        values: dict[str, tuple[Any, str | None, float]] = {
            key: (orjson.loads(trait.value), trait.source, trait.at)
            for key, trait in current(sql, "account_traits", group).items()
        }
        return _traits(values if params.trait_class is None else {}, params)
    if what == "events":
        return _events(sql, group, params, extractor, group=group)
    row = sql.one(
        "SELECT created_at, first_message_id, first_source, updated_at, last_message_id, "
        "last_source FROM accounts WHERE group_id = ?",
        (group,),
    )
    if what == "external_ids":
        return Page({"data": [_external_id(("group_id", group), row[0], row[2], row[1])]})
    if what == "metadata":
        first = (float(row[0]), row[1], row[2])
        return _metadata(first[0], first, (float(row[3]), row[4], row[5]))
    users = queries.account_users(sql, group, min(params.limit, LINKS_LIMIT))
    data = []
    for profile in users:
        ids = [
            _external_id((i.type, i.value), i.added_at, i.source, i.message_id)
            for i in queries.external_ids(sql, profile)
        ]
        data.append({"to_collection": "users", "external_ids": ids})
    return Page({"data": data})
