"""A generic JSON HTTP API for the http_request destination: checks auth, type and size.

Built on WebhookReceiver (records requests; `script`, `respond`, `down`/`up` still work, and
its checks run first). It behaves like a typical JSON receiver:
- `token` set: `Authorization: Bearer <token>` is required, else 401 {"error": ...};
- a body must be `application/json` (else 415) and valid JSON (else 400);
- a body over `max_bytes` gets 413 (nginx's default limit is 1 MB);
- success: 200 {"ok": true}.
"""

from __future__ import annotations

from typing import Any

import orjson

from fakes.common import NOT_JSON, json_body, media_type
from fakes.webhook_receiver import Answer, Received, WebhookReceiver

__all__ = ["JsonEndpoint"]

_JSON = {"content-type": "application/json"}


def _error(status: int, message: str) -> Answer:
    return Answer(status, dict(_JSON), orjson.dumps({"error": message}))


class JsonEndpoint(WebhookReceiver):
    """`async with JsonEndpoint(token="t") as api:`; `api.url` accepts any path."""

    def __init__(self, token: str | None = None, max_bytes: int = 1_000_000) -> None:
        super().__init__()
        self.token = token
        self.max_bytes = max_bytes
        self.respond(200, dict(_JSON), b'{"ok":true}')
        self.on_request = self._check

    @property
    def base(self) -> str:
        return self.base_url

    def _check(self, request: Received) -> Answer | None:
        if self.token and request.headers.get("authorization") != f"Bearer {self.token}":
            return _error(401, "missing or wrong bearer token")
        if request.body:
            if len(request.body) > self.max_bytes:
                return _error(413, f"body over {self.max_bytes} bytes")
            if media_type(request) != "application/json":
                return _error(415, "Content-Type must be application/json")
            if json_body(request) is NOT_JSON:
                return _error(400, "body is not valid JSON")
        return None

    def bodies(self) -> list[Any]:
        """Every received body, decoded (None for an empty one)."""
        return [orjson.loads(r.body) if r.body else None for r in self.requests]
