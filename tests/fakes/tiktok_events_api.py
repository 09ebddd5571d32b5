"""A local TikTok Events API 2.0 that checks requests the way TikTok documents them.

- `POST /open_api/v1.3/event/track/` with the `Access-Token` header and a JSON body
  `{"event_source": web|app|offline|crm, "event_source_id", "test_event_code"?, "data"}`,
  1 to 1,000 events.
- Every event: `event` (a name), integer `event_time` in Unix seconds (not in the future, so
  milliseconds are caught), `event_id`; in `user`, email/phone/external_id/first_name/
  last_name/zip_code hashed (64 lowercase hex), phone hashed from E.164; ip and user_agent plain;
  `limited_data_use` a boolean; `properties.currency` 3 letters; contents need `content_id`.
- Answers HTTP 200 with `{"code", "message", "request_id", "data"}`: 0 OK; 20001 when some
  events were invalid (the valid ones are kept); 40002 when the request or every event is
  invalid; 40001 for a wrong token or event source.
- Accepted events are kept once per (event, event_id) (TikTok's 48 h deduplication); with a
  test_event_code they go to `test_events`.
"""

from __future__ import annotations

import re
import time
from typing import Any

from fakes.common import NOT_JSON, EventsApi, json_answer, json_body, media_type
from fakes.webhook_receiver import Answer, Received

__all__ = ["MAX_EVENTS", "TikTokFake", "tiktok_answer"]

MAX_EVENTS = 1000
HASHED_KEYS = ("email", "phone", "external_id", "first_name", "last_name", "zip_code")
PATH = "/open_api/v1.3/event/track/"
_SHA256 = re.compile(r"[a-f0-9]{64}")


def tiktok_answer(code: int, message: str, status: int = 200) -> Answer:
    """TikTok's envelope: success and errors alike come as HTTP 200 with a `code`."""
    body = {"code": code, "message": message, "request_id": "fake-request", "data": {}}
    return json_answer(status, body)


def _user_problem(user: Any) -> str | None:
    if not isinstance(user, dict):
        return "user must be an object"
    for key in HASHED_KEYS:
        value = user.get(key)
        if value is not None and not (isinstance(value, str) and _SHA256.fullmatch(value)):
            return f"user.{key} must be SHA-256 hashed"
    for key in ("ip", "user_agent", "ttclid", "ttp"):
        value = user.get(key)
        if value is not None and (not isinstance(value, str) or _SHA256.fullmatch(value)):
            return f"user.{key} must be sent in plain text"
    return None


def _properties_problem(properties: Any) -> str | None:
    if not isinstance(properties, dict):
        return "properties must be an object"
    code = properties.get("currency")
    if code is not None and not (isinstance(code, str) and re.fullmatch(r"[A-Z]{3}", code)):
        return "properties.currency must be an ISO 4217 code"
    items = properties.get("contents", [])
    if not isinstance(items, list) or any(
        not isinstance(i, dict) or not i.get("content_id") for i in items
    ):
        return "each properties.contents item needs a content_id"
    return None


def _event_problem(event: Any, now: float) -> str | None:
    if not isinstance(event, dict):
        return "each event must be an object"
    if not isinstance(event.get("event"), str) or not event["event"]:
        return "event is required"
    when = event.get("event_time")
    if not isinstance(when, int) or isinstance(when, bool) or when > now + 60:
        return "event_time must be a Unix timestamp in seconds, not in the future"
    if not isinstance(event.get("event_id", ""), str):
        return "event_id must be a string"
    if not isinstance(event.get("limited_data_use", False), bool):
        return "limited_data_use must be a boolean"
    return _user_problem(event.get("user", {})) or _properties_problem(event.get("properties", {}))


class TikTokFake(EventsApi):
    """Records what TikTok keeps: `events` (deduplicated) and `test_events`."""

    def __init__(self, token: str = "tiktok-token", pixel_code: str = "CPIXEL123") -> None:
        super().__init__()
        self.token, self.pixel_code = token, pixel_code
        self.test_events: list[dict[str, Any]] = []
        self._seen: set[tuple[str, str]] = set()

    def _answer(self, request: Received) -> Answer:
        if request.method != "POST" or request.path != PATH:
            return tiktok_answer(40002, f"no such endpoint: {request.method} {request.path}", 404)
        if request.headers.get("access-token") != self.token:
            return tiktok_answer(40001, "Access token is incorrect or has been revoked.")
        body = json_body(request) if media_type(request) == "application/json" else NOT_JSON
        if not isinstance(body, dict):
            return tiktok_answer(40002, "The request body must be a JSON object.")
        if body.get("event_source") not in ("web", "app", "offline", "crm"):
            return tiktok_answer(40002, "event_source: must be one of web, app, offline, crm")
        if body.get("event_source_id") != self.pixel_code:
            return tiktok_answer(40001, "No permission to operate this event_source_id.")
        data = body.get("data")
        if not isinstance(data, list) or not 1 <= len(data) <= MAX_EVENTS:
            return tiktok_answer(40002, f"data: must hold 1 to {MAX_EVENTS} events")
        now = time.time()
        problems = {i: p for i, e in enumerate(data) if (p := _event_problem(e, now))}
        if len(problems) == len(data):
            return tiktok_answer(40002, f"data[0]: {problems[0]}")
        if failure := self._failure():
            return failure
        self.bodies.append(body)
        for i, event in enumerate(data):
            if i not in problems:
                self._keep(event, body.get("test_event_code"))
        self._grown()
        if problems:
            listed = "; ".join(f"data[{i}]: {p}" for i, p in problems.items())
            return tiktok_answer(20001, f"Partial success. {listed}")
        return tiktok_answer(0, "OK")

    def _keep(self, event: dict[str, Any], test_code: Any) -> None:
        if test_code:
            self.test_events.append(event)
            return
        key = (event["event"], event.get("event_id", ""))
        if not key[1] or key not in self._seen:
            self._seen.add(key)
            self.events.append(event)
