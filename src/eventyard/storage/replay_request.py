"""Checking a replay request (`POST /api/v1/replays`) before anything is queued.

Every problem is a `ReplayRefused(code, message)` that names the field and what to send
instead; the API answers it with 400, the CLI prints it and exits 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventyard.control.config import Config
from eventyard.errors import EventyardError
from eventyard.fql import compile_fql
from eventyard.fql.errors import FQLSyntaxError
from eventyard.pipeline.fanout import routes
from eventyard.spec.timestamps import parse_iso

__all__ = ["ReplayRefused", "ReplayRequest", "parse_request"]

_KEYS = frozenset({"source", "from", "to", "where", "destinations", "rate"})


class ReplayRefused(EventyardError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class ReplayRequest:
    source: str
    start: datetime
    """Aware UTC; events with start <= receivedAt < end are replayed."""
    end: datetime
    where: str | None
    destinations: list[str]
    rate: float | None
    """Events per second; None: as fast as the state database takes them."""


def _time(body: dict[str, Any], key: str) -> datetime:
    parsed = parse_iso(body.get(key))
    if parsed is None:
        raise ReplayRefused(
            f"invalid_{key}",
            f"{key} must be an ISO-8601 time like 2024-05-01T12:00:00Z, got {body.get(key)!r}",
        )
    return parsed.replace(tzinfo=UTC)


def _destinations(config: Config, source: str, value: object) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ReplayRefused(
            "invalid_destinations", 'destinations must be a non-empty list of names, e.g. ["x"]'
        )
    connected = routes(config).get(source, [])
    for name in value:
        if name not in connected:
            known = ", ".join(connected) or "none"
            raise ReplayRefused(
                "unknown_destination",
                f"{name!r} is not an enabled destination connected to source {source!r} "
                f"(connected: {known})",
            )
    return list(dict.fromkeys(value))


def parse_request(config: Config, body: object) -> ReplayRequest:
    """The checked request, or ReplayRefused naming the first problem."""
    if not isinstance(body, dict):
        raise ReplayRefused("invalid_json", "the body must be a JSON object")
    if unknown := sorted(set(body) - _KEYS):
        raise ReplayRefused(
            "invalid_json", f"unknown keys {unknown}: use {', '.join(sorted(_KEYS))}"
        )
    if not config.archive.enabled:
        raise ReplayRefused("archive_disabled", "replay reads the archive; set archive.enabled")
    source = body.get("source")
    names = [s.name for s in config.sources]
    if source not in names:
        raise ReplayRefused(
            "unknown_source", f"unknown source {source!r} (known: {', '.join(names) or 'none'})"
        )
    assert isinstance(source, str)
    start, end = _time(body, "from"), _time(body, "to")
    if start >= end:
        raise ReplayRefused("invalid_range", "from must be earlier than to")
    where = body.get("where")
    if where is not None:
        if not isinstance(where, str):
            raise ReplayRefused("invalid_where", "where must be an FQL string or null")
        try:
            compile_fql(where)
        except FQLSyntaxError as error:
            raise ReplayRefused("invalid_where", f"where: {error}") from None
    rate = body.get("rate")
    if rate is not None and (
        isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate <= 1e6
    ):
        raise ReplayRefused("invalid_rate", "rate must be events per second, from 0 to 1000000")
    dests = _destinations(config, source, body.get("destinations"))
    return ReplayRequest(source, start, end, where, dests, None if rate is None else float(rate))
