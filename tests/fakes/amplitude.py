"""A local Amplitude ingestion API (/2/httpapi, /batch, /identify, and User Search) that checks
requests the way amplitude.com/docs/apis/analytics documents them and answers in its formats.

- /2/httpapi and /batch: `Content-Type: application/json`; body `{"api_key", "events",
  "options"}`; at most 2000 events and 1 MB (/batch: 20 MB), else 413; a missing or
  unknown `api_key` is a 400 (`missing_field` / "Invalid API key"); each event needs
  `event_type`, a `user_id` or `device_id` of >= `options.min_id_length` (5) characters, and
  an integer ms `time` if any: otherwise 400 listing the events by index in
  `events_with_missing_fields` / `events_with_invalid_id_lengths` /
  `events_with_invalid_fields`, and nothing of the request is ingested. Users in
  `throttled_users` get a 429 with `throttled_users` and `throttled_events`. Events are
  ingested once per insert_id (7-day dedup).
- /identify: form-encoded `api_key` and `identification` (object or array); 200 "success".
- GET /api/2/usersearch: Basic auth api_key:secret_key, else 401.
Use `async with AmplitudeFake() as fake:`; `fake.url` is the base URL for `api_host`.
"""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from fakes.common import NOT_JSON, ScriptedApi, json_answer, json_body, media_type
from fakes.webhook_receiver import Answer, Received

__all__ = ["AmplitudeFake", "Answer"]

MAX_EVENTS = 2000
LIMITS = {"/2/httpapi": 1_000_000, "/batch": 20_000_000}


def _text(status: int, text: str) -> Answer:
    return Answer(status, {"Content-Type": "text/plain"}, text.encode())


class AmplitudeFake(ScriptedApi):
    """Records what Amplitude would have stored: `events` and `identifications`."""

    def __init__(self, api_key: str = "amp-key-1234", secret_key: str = "amp-secret") -> None:
        super().__init__()
        self.api_key, self.secret_key = api_key, secret_key
        self.events: list[dict[str, Any]] = []
        self.identifications: list[dict[str, Any]] = []
        self.throttled_users: set[str] = set()
        self._insert_ids: set[tuple[str, str]] = set()

    def _check(self, request: Received) -> Answer:
        path = urlsplit(request.path).path
        if path == "/api/2/usersearch" and request.method == "GET":
            return self._usersearch(request)
        if request.method != "POST":
            return _text(405, "method not allowed")
        if path in LIMITS:
            return self._events(request, LIMITS[path])
        if path == "/identify":
            return self._identify(request)
        return _text(404, f"no such endpoint {path}")

    def _usersearch(self, request: Received) -> Answer:
        header = request.headers.get("authorization", "")
        expected = base64.b64encode(f"{self.api_key}:{self.secret_key}".encode()).decode()
        if header != f"Basic {expected}":
            return json_answer(401, {"error": "Invalid credentials"})
        return json_answer(200, {"matches": [], "type": "nomatch"})

    def _events(self, request: Received, max_bytes: int) -> Answer:
        if media_type(request) != "application/json":
            return json_answer(400, {"code": 400, "error": "Content-Type must be application/json"})
        if len(request.body) > max_bytes:
            return json_answer(413, {"code": 413, "error": "Payload too large"})
        body = json_body(request)
        if body is NOT_JSON:
            return json_answer(400, {"code": 400, "error": "Invalid JSON request body"})
        for field in ("api_key", "events"):
            if not isinstance(body, dict) or field not in body:
                missing = {"error": "Request missing required field", "missing_field": field}
                return json_answer(400, {"code": 400, **missing})
        if body["api_key"] != self.api_key:
            return json_answer(400, {"code": 400, "error": f"Invalid API key: {body['api_key']}"})
        events = body["events"]
        if not isinstance(events, list):
            return json_answer(400, {"code": 400, "error": "'events' must be an array"})
        if len(events) > MAX_EVENTS:
            return json_answer(413, {"code": 413, "error": "Payload too large"})
        min_length = (body.get("options") or {}).get("min_id_length", 5)
        problems = _problems(events, min_length)
        if problems:
            return json_answer(400, {"code": 400, "error": "Invalid events", **problems})
        return self._throttled(events) or self._ingest(events, len(request.body))

    def _throttled(self, events: list[dict[str, Any]]) -> Answer | None:
        throttled = [i for i, e in enumerate(events) if e.get("user_id") in self.throttled_users]
        if not throttled:
            return None
        return json_answer(
            429,
            {
                "code": 429,
                "error": "Too many requests for some devices and users",
                "eps_threshold": 30,
                "throttled_devices": {},
                "throttled_users": {events[i]["user_id"]: 31 for i in throttled},
                "throttled_events": throttled,
            },
        )

    def _ingest(self, events: list[dict[str, Any]], size: int) -> Answer:
        for event in events:
            key = (str(event.get("user_id") or event.get("device_id")), event.get("insert_id", ""))
            if not key[1] or key not in self._insert_ids:
                self._insert_ids.add(key)
                self.events.append(event)
        return json_answer(
            200,
            {
                "code": 200,
                "events_ingested": len(events),
                "payload_size_bytes": size,
                "server_upload_time": int(time.time() * 1000),
            },
        )

    def _identify(self, request: Received) -> Answer:
        if media_type(request) != "application/x-www-form-urlencoded":
            return _text(400, "expected a form-encoded body")
        form = {k: v[-1] for k, v in parse_qs(request.body.decode("utf-8")).items()}
        if form.get("api_key") != self.api_key:
            return _text(400, "invalid api_key")
        if "identification" not in form:
            return _text(400, "missing required parameter: identification")
        try:
            data = orjson.loads(form["identification"])
        except orjson.JSONDecodeError:
            return _text(400, "identification is not valid JSON")
        items = data if isinstance(data, list) else [data]
        for item in items:
            ids = [item.get(k) for k in ("user_id", "device_id") if item.get(k)]
            if not ids or any(len(str(i)) < 5 for i in ids):
                return _text(400, "each identification needs a user_id or device_id (>= 5 chars)")
            if not isinstance(item.get("user_properties", {}), dict):
                return _text(400, "user_properties must be an object")
            if item.get("user_id") in self.throttled_users:
                return json_answer(429, {"code": 429, "throttled_users": {item["user_id"]: 31}})
        self.identifications.extend(items)
        return _text(200, "success")


def _problems(events: list[Any], min_length: int) -> dict[str, dict[str, list[int]]]:
    """Amplitude's per-event 400 details, by kind and field, listing event indexes."""
    found: dict[str, dict[str, list[int]]] = {}

    def add(kind: str, field: str, index: int) -> None:
        found.setdefault(kind, {}).setdefault(field, []).append(index)

    for i, event in enumerate(events):
        if not isinstance(event, dict) or not event.get("event_type"):
            add("events_with_missing_fields", "event_type", i)
            continue
        ids = {k: event[k] for k in ("user_id", "device_id") if event.get(k)}
        if not ids:
            add("events_with_missing_fields", "device_id", i)
        for key, value in ids.items():
            if len(str(value)) < min_length:
                add("events_with_invalid_id_lengths", key, i)
        if "time" in event and (not isinstance(event["time"], int) or event["time"] < 0):
            add("events_with_invalid_fields", "time", i)
    return found
