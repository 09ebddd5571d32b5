"""A local Reddit Conversions API (v3 and v2.0) that checks requests the way Reddit's docs and
help center describe them (conversions.md §7; Reddit publishes no error shapes, so errors are
`{"error": {"code", "message"}}`).

- v3 `POST /api/v3/pixels/{pixel_id}/conversion_events` with `{"data": {"events": [...],
  "test_id"?, "partner"?}}`; v2.0 `POST /api/v2.0/conversions/events/{ad_account_id}` with
  `{"events": [...], "test_mode"?, "partner"?}`. `Authorization: Bearer <token>` (else 401);
  an unknown pixel or account is a 403; 1-1000 events per request (else 400).
- Each event: `event_at` (v3 epoch ms, v2.0 ISO-8601) within the last 7 days and at most 5
  minutes ahead; a known tracking type (v3 UPPER_SNAKE, v2.0 CamelCase), `custom_event_name`
  exactly for Custom; value/currency only on Purchase, AddToCart, AddToWishlist, Lead, SignUp,
  Custom and item_count only on Purchase, AddToCart, AddToWishlist, Custom; v3 action_source
  one of WEBSITE/APP/PHYSICAL_STORE/OTHER; user email, phone_number, external_id and
  ip_address as 64 lowercase hex, user_agent and uuid not hashed; LDU modes ["LDU"].
  Any bad event fails the whole request with a 400 naming it.
- Accepted events land in `events` (with `test_events` for test_id / test_mode requests).
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any

from fakes.common import NOT_JSON, EventsApi, json_answer, json_body, media_type
from fakes.webhook_receiver import Answer, Received

__all__ = ["MAX_EVENTS", "RedditFake", "reddit_error"]

MAX_EVENTS = 1000
_V2_TYPES = frozenset(
    {
        "PageVisit",
        "ViewContent",
        "Search",
        "AddToCart",
        "AddToWishlist",
        "Purchase",
        "Lead",
        "SignUp",
        "Custom",
    }
)
_V3_TYPES = frozenset(re.sub(r"(?<!^)(?=[A-Z])", "_", t).upper() for t in _V2_TYPES)
_WITH_VALUE = frozenset({"purchase", "addtocart", "addtowishlist", "lead", "signup", "custom"})
_WITH_ITEMS = frozenset({"purchase", "addtocart", "addtowishlist", "custom"})
_HASHED = ("email", "phone_number", "external_id", "ip_address")
_HASH = re.compile(r"[a-f0-9]{64}")
_PATHS = {
    "v3": re.compile(r"/api/v3/pixels/([^/]+)/conversion_events"),
    "v2.0": re.compile(r"/api/v2\.0/conversions/events/([^/]+)"),
}


def reddit_error(status: int, code: str, message: str) -> Answer:
    return json_answer(status, {"error": {"code": code, "message": message}})


def _event_at(event: dict[str, Any], v3: bool) -> float | None:
    raw = event.get("event_at")
    if v3:
        ok = isinstance(raw, int) and not isinstance(raw, bool)
        return raw / 1000 if ok else None
    try:
        return datetime.fromisoformat(str(raw)).timestamp()
    except ValueError:
        return None


def _type_problem(kind: Any, v3: bool) -> str | None:
    if not isinstance(kind, dict):
        return "type is required"
    tracking = kind.get("tracking_type")
    if tracking not in (_V3_TYPES if v3 else _V2_TYPES):
        return f"unknown tracking_type {tracking!r}"
    if (str(tracking).lower() == "custom") != bool(kind.get("custom_event_name")):
        return "custom_event_name goes with Custom events only"
    return None


def _metadata_problem(meta: Any, kind: str, v3: bool) -> str | None:
    if not isinstance(meta, dict):
        return "metadata must be an object"
    value_key = "value" if v3 else "value_decimal"
    if (value_key in meta or "currency" in meta) and kind not in _WITH_VALUE:
        return f"value and currency are not allowed on {kind}"
    if "item_count" in meta and kind not in _WITH_ITEMS:
        return f"item_count is not allowed on {kind}"
    if "currency" in meta and not re.fullmatch(r"[A-Z]{3}", str(meta["currency"])):
        return "currency must be an ISO 4217 code"
    return None


def _user_problem(user: Any) -> str | None:
    if not isinstance(user, dict):
        return "user must be an object"
    for key in _HASHED:
        if key in user and not (isinstance(user[key], str) and _HASH.fullmatch(user[key])):
            return f"user.{key} must be a SHA-256 hex digest"
    for key in ("user_agent", "uuid"):
        if key in user and _HASH.fullmatch(str(user[key])):
            return f"user.{key} must not be hashed"
    options = user.get("data_processing_options")
    if options is not None and (not isinstance(options, dict) or options.get("modes") != ["LDU"]):
        return "data_processing_options.modes must be ['LDU']"
    return None


def _event_problem(event: Any, v3: bool) -> str | None:
    if not isinstance(event, dict):
        return "every event must be an object"
    when = _event_at(event, v3)
    now = time.time()
    if when is None or not now - 7 * 86400 <= when <= now + 300:
        return "event_at must be within the last 7 days"
    kind = event.get("type" if v3 else "event_type")
    if problem := _type_problem(kind, v3):
        return problem
    if v3 and event.get("action_source") not in ("WEBSITE", "APP", "PHYSICAL_STORE", "OTHER"):
        return f"unknown action_source {event.get('action_source')!r}"
    folded = str(kind["tracking_type"]).replace("_", "").lower()
    meta = event.get("metadata" if v3 else "event_metadata", {})
    return _metadata_problem(meta, folded, v3) or _user_problem(event.get("user", {}))


class RedditFake(EventsApi):
    """Records accepted `events` (each with `test` True for test-mode requests)."""

    def __init__(
        self,
        token: str = "reddit-token-abc",
        pixel_id: str = "a2_pixel123",
        ad_account_id: str = "t2_account9",
    ) -> None:
        super().__init__()
        self.token, self.pixel_id, self.ad_account_id = token, pixel_id, ad_account_id

    @property
    def test_events(self) -> list[dict[str, Any]]:
        return [event for event in self.events if event.get("test")]

    def _answer(self, request: Received) -> Answer:
        version, target = self._route(request.path)
        if request.method != "POST" or version is None:
            return reddit_error(404, "NOT_FOUND", f"no such endpoint {request.path}")
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return reddit_error(401, "UNAUTHORIZED", "invalid conversion access token")
        if target != (self.pixel_id if version == "v3" else self.ad_account_id):
            return reddit_error(403, "FORBIDDEN", "no access to this pixel or ad account")
        body = json_body(request)
        if media_type(request) != "application/json" or not isinstance(body, dict):
            return reddit_error(400, "INVALID_REQUEST", "the body must be a JSON object")
        v3 = version == "v3"
        envelope = body.get("data") if v3 else body
        events = envelope.get("events") if isinstance(envelope, dict) else NOT_JSON
        if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
            return reddit_error(400, "INVALID_REQUEST", "1 to 1000 events are required")
        for i, event in enumerate(events):
            if problem := _event_problem(event, v3):
                return reddit_error(400, "INVALID_EVENT", f"events[{i}]: {problem}")
        if (failure := self._failure()) is not None:
            return failure
        test = bool(envelope.get("test_id") if v3 else envelope.get("test_mode"))
        self.events.extend({**event, "test": test, "version": version} for event in events)
        self.bodies.append(body)
        self._grown()
        return json_answer(200, {"data": {"message": "Successfully processed"}})

    @staticmethod
    def _route(path: str) -> tuple[str | None, str | None]:
        for version, pattern in _PATHS.items():
            if matched := pattern.fullmatch(path.split("?")[0]):
                return version, matched.group(1)
        return None, None
