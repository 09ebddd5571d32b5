"""The HTTP requests a delivery attempt sent and the responses it got, kept so that people
can see what went wrong: the last KEEP attempts of each destination, in `state.db`.

While `capture()` is active (a worker's attempt, a "Send test event"), the shared client's
event hooks note each request and its response; nothing is noted otherwise. `shown()` turns
them into what may be stored and shown: the URL as delivery errors show it (`shown_url`: no
query string, no credential-like path segment), credential-like headers masked, bodies cut
to MAX_BODY bytes, and every secret of the destination (secret settings, secret mapping
fields of the payloads) replaced by the mask wherever it appears.

The worker writes them with the attempt's outcome, in the same state transaction
(`settle.Settlement.apply`), and trims older ones there, so no extra transaction is made.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec
import orjson

from eventyard.control.documents import redact
from eventyard.control.secrets import SECRET_MASK
from eventyard.delivery.http import shown_url
from eventyard.destinations.base import (
    DestinationDefinition,
    secret_fields,
    secret_mapping_fields,
)

__all__ = [
    "KEEP",
    "MAX_BODY",
    "MAX_IDS",
    "MAX_PER_ATTEMPT",
    "SCHEMA",
    "Attempt",
    "Capture",
    "Exchange",
    "capture",
    "install",
    "recent",
    "record",
    "secrets_of",
    "shown",
]

KEEP = 20
"""Attempts kept per destination (the newest)."""
MAX_BODY = 4096
"""Bytes of a request or response body kept; the rest is cut."""
MAX_IDS = 100
"""messageIds kept per attempt (a batch names its first ones)."""
MAX_PER_ATTEMPT = 5
"""Requests noted per attempt (a perform may fetch a token first)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS delivery_exchanges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    destination TEXT NOT NULL,
    at REAL NOT NULL,
    message_ids BLOB NOT NULL,
    exchanges BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS delivery_exchanges_by_destination
    ON delivery_exchanges (destination, id);
"""

_SECRET_HEADER = re.compile(r"auth|key|token|secret|signature|password|cookie|session", re.I)


class Exchange(msgspec.Struct, frozen=True):
    """One request and its response (status None: none came, `error` says why)."""

    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: str
    status: int | None = None
    response_headers: list[tuple[str, str]] = []
    response_body: str = ""
    ms: int | None = None
    error: str = ""


@dataclass(frozen=True, slots=True)
class Attempt:
    """A stored attempt: when, for which events, and its exchanges."""

    id: int
    destination: str
    at: float
    message_ids: list[str]
    exchanges: list[Exchange]


@dataclass(slots=True)
class Capture:
    """Requests noted while active, with their responses once they come."""

    sent: list[tuple[httpx.Request, float]] = field(default_factory=list)
    answers: dict[int, tuple[httpx.Response, float]] = field(default_factory=dict)


_ACTIVE: ContextVar[Capture | None] = ContextVar("eventyard_capture", default=None)


@contextlib.contextmanager
def capture() -> Iterator[Capture]:
    """Note the requests made in this task (and what it awaits) until the block ends."""
    noted = Capture()
    token = _ACTIVE.set(noted)
    try:
        yield noted
    finally:
        _ACTIVE.reset(token)


async def _on_request(request: httpx.Request) -> None:
    noted = _ACTIVE.get()
    if noted is not None and len(noted.sent) < MAX_PER_ATTEMPT:
        noted.sent.append((request, time.monotonic()))


async def _on_response(response: httpx.Response) -> None:
    noted = _ACTIVE.get()
    if noted is not None:
        noted.answers[id(response.request)] = (response, time.monotonic())


def install(client: httpx.AsyncClient) -> None:
    """Add the hooks to the client (once; they do nothing outside `capture()`)."""
    hooks = client.event_hooks
    if _on_request not in hooks.get("request", []):
        hooks.setdefault("request", []).append(_on_request)
        hooks.setdefault("response", []).append(_on_response)
        client.event_hooks = hooks


_secret_settings = functools.cache(secret_fields)
"""Per settings type: reading its annotations costs far more than the rest of `shown`."""


def secrets_of(
    definition: DestinationDefinition, settings: Any, payloads: Iterable[bytes] = ()
) -> list[Any]:
    """The destination's secret setting values and the payloads' secret mapping values."""
    values = msgspec.to_builtins(settings)
    found: list[Any] = [values.get(name) for name in _secret_settings(definition.settings)]
    hidden = frozenset().union(*(secret_mapping_fields(a) for a in definition.actions.values()))
    for payload in payloads:
        if hidden and payload.startswith(b"{"):
            doc = orjson.loads(payload)
            found += [doc.get(name) for name in hidden]
    return [value for value in found if value]


def _headers(headers: httpx.Headers, secrets: Sequence[Any]) -> list[tuple[str, str]]:
    return [
        (name, SECRET_MASK if _SECRET_HEADER.search(name) else redact(value, secrets))
        for name, value in headers.items()
    ]


def _body(raw: bytes, secrets: Sequence[Any]) -> str:
    """Masked first, then cut: a secret across the cut is never half shown."""
    text = redact(raw[: 2 * MAX_BODY].decode("utf-8", "replace"), secrets)
    if len(raw) <= MAX_BODY and len(text) <= MAX_BODY:
        return text
    return f"{text[:MAX_BODY]}\n… cut: {len(raw):,} bytes in all"


def _request_body(request: httpx.Request) -> bytes:
    try:
        return request.content
    except httpx.RequestNotRead:
        return b"(streamed body, not kept)"


def _response_body(response: httpx.Response) -> bytes:
    try:
        return response.content
    except httpx.ResponseNotRead:
        return b"(body not read)"


def shown(noted: Capture, secrets: Sequence[Any], error: str = "") -> list[Exchange]:
    """The noted requests as they may be kept and shown; `error` (the attempt's failure)
    goes on requests that got no response."""
    result = []
    for request, started in noted.sent:
        answer = noted.answers.get(id(request))
        exchange = Exchange(
            method=request.method,
            url=shown_url(request.url),
            request_headers=_headers(request.headers, secrets),
            request_body=_body(_request_body(request), secrets),
        )
        if answer is None:
            exchange = msgspec.structs.replace(exchange, error=redact(error, secrets))
        else:
            response, done = answer
            exchange = msgspec.structs.replace(
                exchange,
                status=response.status_code,
                response_headers=_headers(response.headers, secrets),
                response_body=_body(_response_body(response), secrets),
                ms=round((done - started) * 1000),
            )
        result.append(exchange)
    return result


def record(
    conn: sqlite3.Connection,
    destination: str,
    message_ids: Sequence[str],
    exchanges: Sequence[Exchange],
    now: float,
) -> None:
    """Keep one attempt's exchanges and drop the destination's older than the last KEEP."""
    conn.execute(
        "INSERT INTO delivery_exchanges (destination, at, message_ids, exchanges)"
        " VALUES (?, ?, ?, ?)",
        (
            destination,
            now,
            orjson.dumps(list(message_ids[:MAX_IDS])),
            msgspec.json.encode(exchanges),
        ),
    )
    conn.execute(
        "DELETE FROM delivery_exchanges WHERE destination = ?1 AND id <= (SELECT id FROM"
        " delivery_exchanges WHERE destination = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
        (destination, KEEP),
    )


_DECODE = msgspec.json.Decoder(list[Exchange])


def recent(
    conn: sqlite3.Connection, destinations: Iterable[str], message_id: str | None = None
) -> list[Attempt]:
    """The kept attempts of `destinations` (of `message_id` only, when given), newest first."""
    found = []
    for destination in destinations:
        rows = conn.execute(
            "SELECT id, at, message_ids, exchanges FROM delivery_exchanges"
            " WHERE destination = ? ORDER BY id DESC",
            (destination,),
        )
        for row_id, at, ids, exchanges in rows:
            message_ids = orjson.loads(ids)
            if message_id is None or message_id in message_ids:
                found.append(
                    Attempt(row_id, destination, at, message_ids, _DECODE.decode(exchanges))
                )
    return sorted(found, key=lambda attempt: attempt.id, reverse=True)
