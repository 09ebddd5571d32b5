"""A local Meta Conversions API (Graph API) that checks requests the way Meta documents them.

- `POST /{version}/{pixel_id}/events`: the token as `Authorization: Bearer`, or `access_token`
  in the query or body; a JSON body (or form-encoded, `data` as a JSON string) with `data`, 1 to
  1,000 events, and an optional `test_event_code`.
- Every event: `event_name`, integer `event_time` (Unix seconds, at most 7 days old, 62 for
  physical_store, not in the future), `action_source` from Meta's list, `user_data` with at
  least one key; em/ph/fn/ln/ge/db/ct/st/zp/country hashed (64 lowercase hex), IP and user
  agent plain; website events need `client_user_agent` and `event_source_url`; Purchase needs
  `custom_data.currency` (3 letters) and `value`; `contents` items need an `id`; LDU needs its
  country and state codes.
- One invalid event rejects the whole request: 400 with a Graph error object, code 100 (the
  subcode says why: 2804003 too old); a bad token is code 190, an unknown pixel 100/33.
- Accepted events are stored once per (event_name, event_id), as Meta deduplicates;
  with a test_event_code they go to `test_events` instead.
- `GET /{version}/{pixel_id}` (the connection test) answers the pixel's id and name.
"""

from __future__ import annotations

import ipaddress
import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from fakes.common import NOT_JSON, EventsApi, json_answer, json_body, media_type
from fakes.webhook_receiver import Answer, Received

__all__ = ["MAX_EVENTS", "MetaFake", "graph_error"]

MAX_EVENTS = 1000
HASHED_KEYS = ("em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country")
ACTION_SOURCES = frozenset(
    {
        "website",
        "app",
        "email",
        "phone_call",
        "chat",
        "physical_store",
        "system_generated",
        "business_messaging",
        "other",
    }
)
_SHA256 = re.compile(r"[a-f0-9]{64}")
_PATH = re.compile(r"/(v\d+\.\d+)/([^/]+)(/events)?")
_TOO_OLD = 2804003


def graph_error(
    code: int,
    message: str,
    subcode: int | None = None,
    status: int = 400,
    headers: dict[str, str] | None = None,
) -> Answer:
    """A Graph API error answer, as Meta sends it."""
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        error |= {"error_subcode": subcode, "error_user_title": message, "error_user_msg": message}
    return json_answer(status, {"error": error | {"fbtrace_id": "AfakeTrace"}}, headers)


def _invalid(message: str, subcode: int | None = None) -> Answer:
    return graph_error(100, f"(#100) {message}", subcode)


def _hashed(value: Any) -> bool:
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(isinstance(v, str) and _SHA256.fullmatch(v) for v in items)


def _user_problem(user: Any) -> str | None:
    if not isinstance(user, dict) or not user:
        return "user_data must be an object with at least one customer information parameter"
    for key in HASHED_KEYS:
        if key in user and not _hashed(user[key]):
            return f"user_data.{key} must be a SHA-256 hash (64 lowercase hex characters)"
    ip = user.get("client_ip_address")
    if ip is not None:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            return "user_data.client_ip_address must be a plain IPv4 or IPv6 address"
    agent = user.get("client_user_agent")
    if agent is not None and (not isinstance(agent, str) or _SHA256.fullmatch(agent)):
        return "user_data.client_user_agent must be the plain user agent"
    return None


def _custom_problem(name: str, custom: Any) -> str | None:
    if not isinstance(custom, dict):
        return "custom_data must be an object"
    code = custom.get("currency")
    if code is not None and not (isinstance(code, str) and re.fullmatch(r"[A-Za-z]{3}", code)):
        return "custom_data.currency must be an ISO 4217 code"
    if name == "Purchase" and (code is None or not isinstance(custom.get("value"), int | float)):
        return "Purchase events need custom_data.currency and custom_data.value"
    if any(not isinstance(item, dict) or not item.get("id") for item in custom.get("contents", [])):
        return "each custom_data.contents item needs an id"
    return None


def _event_problem(event: Any, now: float) -> tuple[str, int | None] | None:
    if not isinstance(event, dict):
        return "each event must be an object", None
    name, when, source = (
        event.get("event_name"),
        event.get("event_time"),
        event.get("action_source"),
    )
    if not isinstance(name, str) or not name:
        return "event_name is required", None
    if not isinstance(when, int) or isinstance(when, bool):
        return "event_time must be a Unix timestamp in seconds", None
    window = 62 * 86400 if source == "physical_store" else 7 * 86400
    if when < now - window:
        return "event_time is too far in the past", _TOO_OLD
    if when > now + 60:
        return "event_time is in the future", None
    if source not in ACTION_SOURCES:
        return f"action_source must be one of {sorted(ACTION_SOURCES)}", None
    user = event.get("user_data")
    problem = _user_problem(user) or _custom_problem(name, event.get("custom_data", {}))
    if problem:
        return problem, None
    if source == "website" and not (
        user.get("client_user_agent") and event.get("event_source_url")
    ):
        return "website events need client_user_agent and event_source_url", None
    return _ldu_problem(event)


def _ldu_problem(event: dict[str, Any]) -> tuple[str, int | None] | None:
    options = event.get("data_processing_options")
    codes = [event.get(f"data_processing_options_{k}") for k in ("country", "state")]
    if (
        isinstance(options, list)
        and "LDU" in options
        and not all(isinstance(c, int) for c in codes)
    ):
        return "LDU needs data_processing_options_country and _state", None
    return None


class MetaFake(EventsApi):
    """Records what Meta keeps: `events` (deduplicated) and `test_events`."""

    def __init__(self, pixel_id: str = "1234567890", token: str = "meta-token") -> None:
        super().__init__()
        self.pixel_id, self.token = pixel_id, token
        self.test_events: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        """Every event of every accepted request, duplicates included."""
        self._seen: set[tuple[str, str]] = set()

    def _answer(self, request: Received) -> Answer:
        url = urlsplit(request.path)
        match = _PATH.fullmatch(url.path)
        if match is None:
            return _invalid(f"Unknown path components: {url.path}")
        form = _form(request)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        token = query.get("access_token") or form.get("access_token") or token
        if token != self.token:
            return graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        if match.group(2) != self.pixel_id:
            return _invalid(f"Object with ID '{match.group(2)}' does not exist", 33)
        if match.group(3) is None:
            if request.method != "GET":
                return _invalid("Unsupported request method")
            return json_answer(200, {"id": self.pixel_id, "name": "Test pixel"})
        if request.method != "POST":
            return _invalid("Unsupported get request")
        return self._events(form)

    def _events(self, body: dict[str, Any]) -> Answer:
        data = body.get("data")
        if not isinstance(data, list) or not data:
            return _invalid("The parameter data is required")
        if len(data) > MAX_EVENTS:
            return _invalid(f"data may hold at most {MAX_EVENTS} events")
        now = time.time()
        for index, event in enumerate(data):
            if problem := _event_problem(event, now):
                return _invalid(f"data[{index}]: {problem[0]}", problem[1] or 2804001)
        if failure := self._failure():
            return failure
        self.bodies.append(body)
        self.received.extend(data)
        for event in data:
            self._keep(event, body.get("test_event_code"))
        self._grown()
        return json_answer(
            200, {"events_received": len(data), "messages": [], "fbtrace_id": "Afake"}
        )

    def _keep(self, event: dict[str, Any], test_code: Any) -> None:
        if test_code:
            self.test_events.append(event)
            return
        key = (event["event_name"], str(event.get("event_id", "")))
        if not key[1] or key not in self._seen:
            self._seen.add(key)
            self.events.append(event)


def _form(request: Received) -> dict[str, Any]:
    """The body's parameters: JSON, or form-encoded with `data` as a JSON string."""
    if media_type(request) == "application/x-www-form-urlencoded":
        form: dict[str, Any] = {k: v[-1] for k, v in parse_qs(request.body.decode()).items()}
        try:
            form["data"] = orjson.loads(form.get("data", "null"))
        except orjson.JSONDecodeError:
            form["data"] = None
        return form
    body = json_body(request) if request.body else {}
    return body if body is not NOT_JSON and isinstance(body, dict) else {}
