"""Dead letters found by event, error and time, a page at a time (the dead letters page and
`GET /api/v1/deadletters`).

Pages follow the letters' ids (newest first): the next page asks for ids below the last one
shown (`before`), so a letter that dies while someone pages never shifts the pages. Text
matches ignore the case of ASCII letters; `event` matches a messageId exactly or any text
of the stored (mapped) payload, such as the event's name.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC

from eventyard.delivery.jobs import DeadLetter
from eventyard.spec.timestamps import parse_iso

__all__ = ["MAX_TEXT", "LetterSearch", "SearchError", "parse_search", "search_letters"]

MAX_TEXT = 200
"""Longest search text: a messageId or a few words of an error."""
_ID = re.compile(r"[0-9]{1,15}")


class SearchError(ValueError):
    """A search parameter that cannot be used; `name` is the parameter."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


@dataclass(frozen=True, slots=True)
class LetterSearch:
    """What to look for; empty parts match everything."""

    event: str = ""
    error: str = ""
    since: float | None = None
    """Failed at or after (epoch seconds)."""
    until: float | None = None
    """Failed before (epoch seconds)."""
    before: int | None = None
    """Only letters with a smaller id: the page after the one that ended with it."""

    @property
    def active(self) -> bool:
        """Anything narrows the list (a search or a later page)."""
        return bool(self.event or self.error) or any(
            value is not None for value in (self.since, self.until, self.before)
        )


def search_letters(
    conn: sqlite3.Connection, destinations: Sequence[str], query: LetterSearch, limit: int
) -> list[DeadLetter]:
    """Up to `limit` letters of `destinations` that match `query`, newest first."""
    if not destinations:
        return []
    where = [f"destination IN ({', '.join('?' * len(destinations))})"]
    params: list[object] = list(destinations)
    if query.before is not None:
        where.append("id < ?")
        params.append(query.before)
    if query.since is not None:
        where.append("failed_at >= ?")
        params.append(query.since)
    if query.until is not None:
        where.append("failed_at < ?")
        params.append(query.until)
    if query.event:
        where.append("(message_id = ? OR instr(lower(CAST(payload AS TEXT)), lower(?)) > 0)")
        params += [query.event, query.event]
    if query.error:
        where.append("instr(lower(error), lower(?)) > 0")
        params.append(query.error)
    rows = conn.execute(
        "SELECT id, destination, message_id, payload, attempts, error, failed_at, action"
        f" FROM dead_letters WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?",
        (*params, limit),
    ).fetchall()
    return [DeadLetter(*row) for row in rows]


def _time(params: Mapping[str, str], name: str) -> float | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    parsed = parse_iso(raw)
    if parsed is None:
        raise SearchError(
            name, f"{name} must be a time like 2024-05-01T12:00:00Z, got {raw[:40]!r}"
        )
    return parsed.replace(tzinfo=UTC).timestamp()


def parse_search(params: Mapping[str, str]) -> LetterSearch:
    """The search in query parameters `event`, `error`, `since`, `until` (ISO-8601, UTC
    unless an offset is given) and `before` (a letter id); raises SearchError."""
    texts = {name: params.get(name, "").strip() for name in ("event", "error")}
    for name, text in texts.items():
        if len(text) > MAX_TEXT:
            raise SearchError(name, f"{name} has at most {MAX_TEXT} characters")
    before = params.get("before", "").strip()
    if before and not _ID.fullmatch(before):
        raise SearchError("before", "before must be the id of a dead letter (a whole number)")
    return LetterSearch(
        event=texts["event"],
        error=texts["error"],
        since=_time(params, "since"),
        until=_time(params, "until"),
        before=int(before) if before else None,
    )
