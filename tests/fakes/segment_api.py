"""A local Segment Tracking API that checks `/v1/batch` the way Segment documents it.

Checks: POST, `Content-Type: application/json`, `Authorization: Basic base64(writeKey:)`
with a known write key (the body `writeKey` is accepted too), a JSON object body with a
`batch` list, at most 500 KB per request and 32 KB per event (else 400). Like Segment, it
answers 200 `{"success": true}` even when it drops events (no `type`, no userId/anonymousId,
beyond 2,500 per batch): those land in `dropped`, the rest in `events`. The CDN's
`GET /v1/projects/<writeKey>/settings` answers 200 for a known key and 404 otherwise.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from fakes.common import JSON, NOT_JSON, EventsApi, json_answer, json_body, media_type
from fakes.webhook_receiver import Answer, Received

__all__ = ["MAX_BATCH_BYTES", "MAX_EVENT_BYTES", "SegmentFake", "error_answer"]

MAX_BATCH_BYTES = 500_000
MAX_EVENT_BYTES = 32_768
MAX_EVENTS = 2500
_OK = Answer(200, JSON, b'{"success":true}')


def error_answer(status: int, message: str, code: str = "invalid_request") -> Answer:
    return json_answer(status, {"success": False, "message": message, "code": code})


def _basic_user(header: str) -> str | None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0]


class SegmentFake(EventsApi):
    """`async with SegmentFake() as segment:`; `segment.url` is the endpoint (and CDN)."""

    def __init__(self, write_keys: tuple[str, ...] = ("wk_test",)) -> None:
        super().__init__()
        self.write_keys = set(write_keys)
        self.dropped: list[tuple[str, dict[str, Any]]] = []
        """(reason, event) for events Segment would accept with 200 but throw away."""

    def _answer(self, request: Received) -> Answer:
        path = request.path.split("?", 1)[0]
        if request.method == "GET" and path.startswith("/v1/projects/"):
            key = path.removeprefix("/v1/projects/").removesuffix("/settings")
            if key in self.write_keys:
                return Answer(200, JSON, b'{"integrations":{"Segment.io":{}}}')
            return Answer(404, {"Content-Type": "text/plain"}, b"Not Found")
        body = _parse(request, path)
        if isinstance(body, Answer):
            return body
        user = _basic_user(request.headers.get("authorization", "")) or body.get("writeKey")
        if user not in self.write_keys:
            return error_answer(401, "invalid write key", "invalid_write_key")
        if failure := self._failure():
            return failure
        self.bodies.append(body)
        for position, event in enumerate(body["batch"]):
            self._take(position, event)
        self._grown()
        return _OK

    def _take(self, position: int, event: Any) -> None:
        if position >= MAX_EVENTS:
            self.dropped.append(("over 2500 events in one batch", event))
        elif not isinstance(event, dict) or not isinstance(event.get("type"), str):
            self.dropped.append(("no type", event))
        elif not event.get("userId") and not event.get("anonymousId"):
            self.dropped.append(("no_user_anon_id", event))
        else:
            self.events.append(event)


def _parse(request: Received, path: str) -> dict[str, Any] | Answer:
    """The body of a well-formed /v1/batch request, or Segment's 400 (or 404) answer."""
    if (request.method, path) != ("POST", "/v1/batch"):
        return error_answer(404, f"no route {request.method} {path}", "not_found")
    if len(request.body) > MAX_BATCH_BYTES:
        return error_answer(400, "request entity too large", "payload_too_large")
    if media_type(request) != "application/json":
        return error_answer(400, "Content-Type must be application/json")
    body = json_body(request)
    if body is NOT_JSON:
        return error_answer(400, "malformed JSON")
    if not isinstance(body, dict) or not isinstance(body.get("batch"), list):
        return error_answer(400, "the body must be an object with a batch list")
    for event in body["batch"]:
        if len(orjson.dumps(event)) > MAX_EVENT_BYTES:
            return error_answer(400, "message too large (over 32 KB)", "payload_too_large")
    return body
