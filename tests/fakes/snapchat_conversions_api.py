"""A local Snapchat Conversions API v3 that checks requests the way Snap documents them.

- `POST /v3/{pixel_id}/events?access_token=...` and `/v3/{pixel_id}/events/validate`, a JSON
  body `{"data": [...]}` with 1 to 2,000 events (business-sdk-v3 OpenAPI; developers.snap.com).
- Every event: `event_name` from Snap's list, integer `event_time` in Unix seconds (at most 37
  days old, not in the future), `action_source` WEB | MOBILE_APP | OFFLINE, `user_data` with
  em/ph/fn/ln/ge/db/ct/st/zp/country/external_id as arrays of SHA-256 hex and at least em, ph,
  a mobile ad id, or IP + user agent; `contents` quantity and item_price as strings.
- /events answers 200 `{"status": "VALID", "reason"}`, or 400 `{"status": "INVALID", "event":
  <index>, "errors": {"codes", "error_msgs"}}` for the first invalid event (nothing is kept);
  a wrong token is 401. /events/validate answers 200 with `event_logs` per event and keeps
  nothing in `events` (they go to `validated`).
- Kept events are deduplicated by event_id, as Snap merges a pixel and CAPI pair.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakes.common import NOT_JSON, EventsApi, json_answer, json_body, media_type
from fakes.webhook_receiver import Answer, Received

__all__ = ["MAX_EVENTS", "SnapFake", "invalid_answer"]

MAX_EVENTS = 2000
EVENT_NAMES = frozenset(
    [
        "PAGE_VIEW",
        "VIEW_CONTENT",
        "ADD_CART",
        "ADD_TO_WISHLIST",
        "SIGN_UP",
        "SEARCH",
        "PURCHASE",
        "ADD_BILLING",
        "START_CHECKOUT",
        "SUBSCRIBE",
        "START_TRIAL",
        "LIST_VIEW",
        "LOGIN",
        "SHARE",
        "SAVE",
        "RESERVE",
        "RATE",
        "INVITE",
        "COMPLETE_TUTORIAL",
        "LEVEL_COMPLETE",
        "ACHIEVEMENT_UNLOCKED",
        "SPEND_CREDITS",
        "AD_CLICK",
        "AD_VIEW",
        "APP_OPEN",
        "APP_INSTALL",
        "CUSTOM_EVENT_1",
        "CUSTOM_EVENT_2",
        "CUSTOM_EVENT_3",
        "CUSTOM_EVENT_4",
        "CUSTOM_EVENT_5",
    ]
)
HASHED_KEYS = ("em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country", "external_id")
_SHA256 = re.compile(r"[a-f0-9]{64}")
_PATH = re.compile(r"/v3/([^/]+)/events(/validate)?")


def invalid_answer(reason: str, index: int | None = None, status: int = 400) -> Answer:
    """Snap's EventResponse for a refused request (`event` names the failing event)."""
    body: dict[str, Any] = {
        "status": "INVALID",
        "reason": reason,
        "errors": {"codes": ["INVALID_EVENT"], "error_msgs": [reason]},
    }
    if index is not None:
        body["event"] = index
    return json_answer(status, body)


def _user_problem(user: Any) -> str | None:
    if not isinstance(user, dict):
        return "user_data must be an object"
    for key in HASHED_KEYS:
        values = user.get(key, [])
        if not isinstance(values, list) or any(
            not isinstance(v, str) or not _SHA256.fullmatch(v) for v in values
        ):
            return f"user_data.{key} must be an array of SHA-256 hashes"
    pair = user.get("client_ip_address") and user.get("client_user_agent")
    if not (user.get("em") or user.get("ph") or user.get("madid") or pair):
        return "user_data needs em, ph, madid, or client_ip_address and client_user_agent"
    return None


def _custom_problem(custom: Any) -> str | None:
    if not isinstance(custom, dict):
        return "custom_data must be an object"
    for item in custom.get("contents", []):
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k, ""), str) for k in ("id", "quantity", "item_price")
        ):
            return "contents id, quantity and item_price must be strings"
    code = custom.get("currency")
    if code is not None and not (isinstance(code, str) and re.fullmatch(r"[A-Z]{3}", code)):
        return "currency must be an ISO 4217 code"
    return None


def _event_problem(event: Any, now: float) -> str | None:
    if not isinstance(event, dict):
        return "each event must be an object"
    if event.get("event_name") not in EVENT_NAMES:
        return f"unknown event_name {event.get('event_name')!r}"
    when = event.get("event_time")
    if not isinstance(when, int) or isinstance(when, bool) or when > now + 60:
        return "event_time must be Unix seconds, not in the future"
    if when < now - 37 * 86400:
        return "event_time is more than 37 days old"
    if event.get("action_source") not in ("WEB", "MOBILE_APP", "OFFLINE"):
        return "action_source must be WEB, MOBILE_APP or OFFLINE"
    return _user_problem(event.get("user_data")) or _custom_problem(event.get("custom_data", {}))


class SnapFake(EventsApi):
    """Records what Snap keeps: `events` (deduplicated), and `validated` events."""

    def __init__(self, pixel_id: str = "a1b2c3d4-pixel", token: str = "snap-token") -> None:
        super().__init__()
        self.pixel_id, self.token = pixel_id, token
        self.validated: list[dict[str, Any]] = []
        self._seen: set[str] = set()

    def _answer(self, request: Received) -> Answer:
        url = urlsplit(request.path)
        match = _PATH.fullmatch(url.path)
        if request.method != "POST" or match is None:
            return invalid_answer(f"no such endpoint: {request.method} {url.path}", status=404)
        token = {k: v[-1] for k, v in parse_qs(url.query).items()}.get("access_token")
        if token != self.token or match.group(1) != self.pixel_id:
            return invalid_answer("Unauthorized: invalid access_token for this asset", status=401)
        body = json_body(request) if media_type(request) == "application/json" else NOT_JSON
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list) or not 1 <= len(data) <= MAX_EVENTS:
            return invalid_answer(f"data must hold 1 to {MAX_EVENTS} events")
        now = time.time()
        problems = [_event_problem(event, now) for event in data]
        if match.group(2):
            return self._validate(data, problems)
        for index, problem in enumerate(problems):
            if problem:
                return invalid_answer(problem, index)
        if failure := self._failure():
            return failure
        self.bodies.append(body)
        for event in data:
            if not event.get("event_id") or event["event_id"] not in self._seen:
                self._seen.add(event.get("event_id", ""))
                self.events.append(event)
        self._grown()
        return json_answer(200, {"status": "VALID", "reason": "All events processed"})

    def _validate(self, data: list[Any], problems: list[str | None]) -> Answer:
        logs = [
            {"event": i, "status": "INVALID" if p else "VALID", "warnings": []}
            | ({"errors": {"codes": ["INVALID_EVENT"], "error_msgs": [p]}} if p else {})
            for i, p in enumerate(problems)
        ]
        self.validated.extend(e for e, p in zip(data, problems, strict=True) if not p)
        status = "INVALID" if any(problems) else "VALID"
        return json_answer(200, {"status": status, "test_event": True, "event_logs": logs})
