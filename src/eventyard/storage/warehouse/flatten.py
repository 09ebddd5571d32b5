"""An enriched Segment message -> the warehouse rows Segment's schema gives it.

- every call: a row in its type's table (`tracks`, `identifies`, `pages`, `screens`,
  `groups`, `aliases`) with the standard columns and `context` flattened to `context_*`;
- track: also a row in the event's own table (`order_completed`) with the properties;
- identify: the traits as columns, and a `users` row (id = userId) for the latest state;
- group: the traits as columns, and an `accounts` row (id = groupId);
- page/screen: `name` (and `category` for pages) plus the properties.
Nested objects flatten with `_` into snake_case names, arrays become JSON text, nulls create
nothing (Segment creates a column only for a non-null value), and a property named like a
standard column (`user_id`, `id`, ...) is discarded, as Segment does.

Segment's `uuid` column (a 64-bit integer for deduplication) is derived from the messageId,
so a reloaded message gets the same one. `original_timestamp` is the client's time, so it is
left empty when the client sent none or sent one that is no time (ingest then stamped
`receivedAt` in all three times, or kept the text in `context.invalidTimestamp`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson

from eventyard.spec.enrich import INVALID_TIMESTAMP_KEY
from eventyard.storage.archive_table import parse_time
from eventyard.storage.warehouse.naming import event_table, snake_case

__all__ = ["STANDARD", "Row", "flatten", "row_uuid"]

Row = dict[str, Any]

_TIMES = (
    ("received_at", "receivedAt"),
    ("sent_at", "sentAt"),
    ("timestamp", "timestamp"),
    ("original_timestamp", "originalTimestamp"),
)
STANDARD = frozenset(
    {
        "id", "received_at", "sent_at", "timestamp", "original_timestamp", "uuid", "uuid_ts",
        "user_id", "anonymous_id", "event", "event_text", "group_id", "previous_id",
    }
)  # fmt: skip
_BY_TYPE = {
    "identify": "identifies",
    "page": "pages",
    "screen": "screens",
    "group": "groups",
    "alias": "aliases",
}


def _walk(prefix: str, value: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for key, item in value.items():
        if item is None:
            continue
        name = snake_case(key)
        column = f"{prefix}_{name}" if prefix else name
        if isinstance(item, dict):
            yield from _walk(column, item)
        elif isinstance(item, list):
            yield column, orjson.dumps(item).decode()
        else:
            yield column, item


def _custom(row: Row, values: Any) -> None:
    """Add properties or traits as columns, never over a standard column."""
    if isinstance(values, dict):
        for column, value in _walk("", values):
            if column not in STANDARD and not column.startswith("context_"):
                row[column] = value


def row_uuid(message_id: str) -> int:
    """Segment's `uuid`: a positive 64-bit integer, the same for the same messageId."""
    digest = hashlib.blake2b(message_id.encode("utf-8", "surrogatepass"), digest_size=8)
    return int.from_bytes(digest.digest(), "big") >> 1


def _client_time(message: dict[str, Any]) -> bool:
    """Whether `originalTimestamp` is a time the client sent (else ingest stamped receivedAt)."""
    context = message.get("context")
    if isinstance(context, dict) and INVALID_TIMESTAMP_KEY in context:
        return False
    stamped = message.get("receivedAt")
    return not (message.get("originalTimestamp") == message.get("timestamp") == stamped)


def _base(message: dict[str, Any], uuid_ts: datetime) -> Row:
    row: Row = {"id": str(message.get("messageId") or "")}
    client_time = _client_time(message)
    for column, key in _TIMES:
        parsed = parse_time(message.get(key))
        if parsed is not None and (client_time or column != "original_timestamp"):
            row[column] = parsed
    row["uuid"] = row_uuid(row["id"])
    row["uuid_ts"] = uuid_ts
    for column, key in (("user_id", "userId"), ("anonymous_id", "anonymousId")):
        value = message.get(key)
        if value is not None:
            row[column] = str(value)
    context = message.get("context")
    if isinstance(context, dict):
        row.update(_walk("context", context))
    return row


def flatten(message: dict[str, Any], uuid_ts: datetime) -> list[tuple[str, Row]]:
    """(table, row) pairs for one message; [] for a message no table takes."""
    kind = message.get("type")
    if not message.get("messageId"):
        return []
    row = _base(message, uuid_ts)
    if kind == "track":
        return _track(message, row)
    table = _BY_TYPE.get(str(kind))
    if table is None:
        return []
    out = [(table, row)]
    if kind in ("page", "screen"):
        _custom(row, message.get("properties"))
        for column in ("name", "category") if kind == "page" else ("name",):
            if message.get(column) is not None:  # the call's own name wins over a property
                row[column] = str(message[column])
    elif kind == "identify":
        _custom(row, message.get("traits"))
        if row.get("user_id"):
            out.append(("users", _latest(row, row["user_id"])))
    elif kind == "group":
        _group(message, row, out)
    elif kind == "alias" and message.get("previousId") is not None:
        row["previous_id"] = str(message["previousId"])
    return out


def _track(message: dict[str, Any], row: Row) -> list[tuple[str, Row]]:
    name = message.get("event")
    if not isinstance(name, str) or not name:
        return []
    row["event"] = event_table(name)
    row["event_text"] = name
    event_row = dict(row)
    _custom(event_row, message.get("properties"))
    return [("tracks", row), (event_row["event"], event_row)]


def _group(message: dict[str, Any], row: Row, out: list[tuple[str, Row]]) -> None:
    if message.get("groupId") is not None:
        row["group_id"] = str(message["groupId"])
    _custom(row, message.get("traits"))
    if row.get("group_id"):
        out.append(("accounts", _latest(row, row["group_id"])))


def _latest(row: Row, key: str) -> Row:
    """A `users`/`accounts` row: keyed by the user or group id, without per-call columns."""
    latest = {k: v for k, v in row.items() if not k.startswith("context_")}
    for column in ("anonymous_id", "original_timestamp", "sent_at"):
        latest.pop(column, None)
    latest["id"] = key
    return latest
