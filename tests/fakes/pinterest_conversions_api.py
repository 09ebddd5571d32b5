"""A local Pinterest Conversions API (v5) that checks requests the way Pinterest documents them.

- `POST /v5/ad_accounts/{ad_account_id}/events[?test=true]` with `Authorization: Bearer
  <conversion token>` and a JSON body `{"data": [...]}` of 1 to 1,000 events (pinterest/
  api-description v5 openapi.yaml).
- Every event: `event_name` from Pinterest's list, `action_source` web | app_android |
  app_ios | offline, integer `event_time` in seconds (not in the future), a non-empty
  `event_id`; `user_data` with em/ph/fn/ln/ge/db/ct/st/zp/country/external_id as arrays of
  SHA-256 hex, IP/user agent/click_id plain, and at least em, hashed_maids, or IP + user
  agent; `custom_data.value` and `contents[].item_price` strings; `opt_out_type` only "LDP".
- Answers 200 `{"num_events_received", "num_events_processed", "events": [{"status":
  "processed"|"failed", "error_message", "warning_message"}]}` in request order, or 422 with
  the same shape when some event failed (the others are kept). Errors `{code, message}`:
  400/4196 invalid request, 401/2 authentication failed.
- Kept events are deduplicated by event_id (as with the Pinterest tag); with ?test=true they
  go to `test_events`.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakes.common import NOT_JSON, EventsApi, json_answer, json_body, media_type
from fakes.webhook_receiver import Answer, Received

__all__ = ["MAX_EVENTS", "PinterestFake", "pinterest_error"]

MAX_EVENTS = 1000
EVENT_NAMES = frozenset(
    {
        "add_payment_info",
        "add_to_cart",
        "add_to_wishlist",
        "app_install",
        "app_open",
        "checkout",
        "contact",
        "custom",
        "customize_product",
        "find_location",
        "initiate_checkout",
        "lead",
        "page_visit",
        "schedule",
        "search",
        "signup",
        "start_trial",
        "submit_application",
        "subscribe",
        "view_category",
        "view_content",
        "watch_video",
    }
)
HASHED_KEYS = ("em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country", "external_id")
_SHA256 = re.compile(r"[a-f0-9]{64}")
_PATH = re.compile(r"/v5/ad_accounts/([^/]+)/events")


def pinterest_error(status: int, code: int, message: str) -> Answer:
    """Pinterest's error body."""
    return json_answer(status, {"code": code, "message": message})


def _user_problem(user: Any) -> str | None:
    if not isinstance(user, dict):
        return "user_data is required"
    for key in HASHED_KEYS:
        values = user.get(key, [])
        if not isinstance(values, list) or any(
            not isinstance(v, str) or not _SHA256.fullmatch(v) for v in values
        ):
            return f"user_data.{key} must be a list of SHA-256 hashes"
    pair = user.get("client_ip_address") and user.get("client_user_agent")
    if not (user.get("em") or user.get("hashed_maids") or pair):
        return "user_data needs em, hashed_maids, or client_ip_address and client_user_agent"
    return None


def _custom_problem(custom: Any) -> str | None:
    if not isinstance(custom, dict):
        return "custom_data must be an object"
    if not isinstance(custom.get("value", ""), str):
        return "custom_data.value must be a string"
    items = custom.get("contents", [])
    if not isinstance(items, list) or any(
        not isinstance(i, dict) or not isinstance(i.get("item_price", ""), str) for i in items
    ):
        return "custom_data.contents[].item_price must be a string"
    if custom.get("opt_out_type", "LDP") != "LDP":
        return "custom_data.opt_out_type must be LDP"
    return None


def _event_problem(event: Any, now: float) -> str | None:
    if not isinstance(event, dict):
        return "each event must be an object"
    if event.get("event_name") not in EVENT_NAMES:
        return f"event_name {event.get('event_name')!r} is not a Pinterest event"
    if event.get("action_source") not in ("web", "app_android", "app_ios", "offline"):
        return "action_source must be web, app_android, app_ios or offline"
    when = event.get("event_time")
    if not isinstance(when, int) or isinstance(when, bool) or when > now + 60:
        return "event_time must be Unix seconds, not in the future"
    if not isinstance(event.get("event_id"), str) or not event["event_id"]:
        return "event_id is required"
    return _user_problem(event.get("user_data")) or _custom_problem(event.get("custom_data", {}))


class PinterestFake(EventsApi):
    """Records what Pinterest keeps: `events` (deduplicated) and `test_events`."""

    def __init__(self, ad_account_id: str = "549755885175", token: str = "pin-token") -> None:
        super().__init__()
        self.ad_account_id, self.token = ad_account_id, token
        self.test_events: list[dict[str, Any]] = []
        self._seen: set[str] = set()

    def _answer(self, request: Received) -> Answer:
        url = urlsplit(request.path)
        match = _PATH.fullmatch(url.path)
        if request.method != "POST" or match is None:
            return pinterest_error(404, 404, f"no such endpoint: {request.method} {url.path}")
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return pinterest_error(401, 2, "Authentication failed.")
        if match.group(1) != self.ad_account_id:
            return pinterest_error(403, 29, "You are not permitted to access that resource.")
        body = json_body(request) if media_type(request) == "application/json" else NOT_JSON
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list) or not 1 <= len(data) <= MAX_EVENTS:
            return pinterest_error(400, 4196, f"data must hold 1 to {MAX_EVENTS} events")
        if failure := self._failure():
            return failure
        test = parse_qs(url.query).get("test") == ["true"]
        now = time.time()
        problems = [_event_problem(event, now) for event in data]
        for event, problem in zip(data, problems, strict=True):
            if problem is None:
                self._keep(event, test)
        self.bodies.append(body)
        self._grown()
        statuses = [
            {"status": "failed" if p else "processed", "error_message": p, "warning_message": None}
            for p in problems
        ]
        processed = sum(p is None for p in problems)
        answer = {
            "num_events_received": len(data),
            "num_events_processed": processed,
            "events": statuses,
        }
        return json_answer(200 if processed == len(data) else 422, answer)

    def _keep(self, event: dict[str, Any], test: bool) -> None:
        if test:
            self.test_events.append(event)
        elif event["event_id"] not in self._seen:
            self._seen.add(event["event_id"])
            self.events.append(event)
