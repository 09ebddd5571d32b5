"""Log records -> an Arrow table with the archive's columns.

The common fields are extracted for fast filtering (and for replay's time ranges); `raw`
keeps the enriched JSON exactly as the log holds it, so nothing is lost to the extraction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa

from eventyard.log.base import LogRecord

__all__ = ["SCHEMA", "decode", "parse_time", "received_at", "to_table"]

_TS = pa.timestamp("ms", tz="UTC")
_FIELDS: list[pa.Field[Any]] = [
    pa.field("type", pa.string()),
    pa.field("event", pa.string()),
    pa.field("userId", pa.string()),
    pa.field("anonymousId", pa.string()),
    pa.field("messageId", pa.string()),
    pa.field("timestamp", _TS),
    pa.field("receivedAt", _TS),
    pa.field("partition", pa.int32()),
    pa.field("offset", pa.int64()),
    pa.field("raw", pa.string()),
]
SCHEMA = pa.schema(_FIELDS)


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 string as an aware UTC datetime; None if absent or not a time."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def received_at(message: dict[str, Any], record: LogRecord) -> datetime:
    """receivedAt as enriched at ingest; the append time if a payload somehow lacks it."""
    return parse_time(message.get("receivedAt")) or datetime.fromtimestamp(record.appended_at, UTC)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def to_table(rows: Sequence[tuple[LogRecord, dict[str, Any], datetime]]) -> pa.Table:
    """Rows of (record, decoded message, receivedAt) as one table in SCHEMA."""
    columns: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
    for record, message, received in rows:
        columns["type"].append(_text(message.get("type")))
        columns["event"].append(_text(message.get("event")))
        columns["userId"].append(_text(message.get("userId")))
        columns["anonymousId"].append(_text(message.get("anonymousId")))
        columns["messageId"].append(record.message_id or _text(message.get("messageId")))
        columns["timestamp"].append(parse_time(message.get("timestamp")))
        columns["receivedAt"].append(received)
        columns["partition"].append(record.partition)
        columns["offset"].append(record.offset)
        columns["raw"].append(record.payload.decode("utf-8", "replace"))
    return pa.table(columns, schema=SCHEMA)


def decode(record: LogRecord) -> dict[str, Any]:
    """The record's JSON object; a payload that is not an object archives with no fields."""
    try:
        message = orjson.loads(record.payload)
    except orjson.JSONDecodeError:
        return {}
    return message if isinstance(message, dict) else {}
