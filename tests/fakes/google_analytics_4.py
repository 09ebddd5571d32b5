"""A local GA4 Measurement Protocol (`/mp/collect`, `/debug/mp/collect`) that checks requests the
way developers.google.com/analytics/devguides/collection/protocol/ga4 documents them.

- Query: `api_secret` plus `measurement_id` (web stream: body needs `client_id`) or
  `firebase_app_id` (app stream: body needs `app_instance_id`); JSON body under 130 kB.
- Body: 1-25 `events`, each a `name` (<= 40 chars, letters/digits/_ starting with a letter, not
  reserved) with <= 25 `params` (names alike; scalar values, strings <= 100 chars; `items` a
  list); `timestamp_micros` an integer within the last 72 hours; <= 25 `user_properties`;
  `consent` values GRANTED/DENIED; `user_data` hashes 64 lowercase hex, address city/region/
  postal_code/country plain; `purchase`/`refund` need a non-empty `transaction_id`, and a
  `value` needs a `currency`.
- Like GA4, /mp/collect answers 204 even for a payload it drops: what it would drop is listed
  in `dropped` (tests assert it stays empty), what it keeps in `events`. /debug/mp/collect
  answers `{"validationMessages": [...]}` and records nothing.
Use `async with Ga4Fake() as fake:`; `fake.url` is the base URL for `api_base_url`.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakes.common import NOT_JSON, EventsApi, json_answer, json_body, media_type
from fakes.webhook_receiver import Answer, Received

__all__ = ["MAX_BODY", "Ga4Fake"]

MAX_BODY = 130_000
MAX_EVENTS = 25
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
_HASH = re.compile(r"[a-f0-9]{64}")
_RESERVED_NAMES = frozenset(
    {
        "ad_activeview",
        "ad_click",
        "ad_exposure",
        "ad_impression",
        "ad_query",
        "adunit_exposure",
        "app_clear_data",
        "app_install",
        "app_update",
        "app_remove",
        "error",
        "first_open",
        "first_visit",
        "in_app_purchase",
        "notification_dismiss",
        "notification_foreground",
        "notification_open",
        "notification_receive",
        "os_update",
        "screen_view",
        "session_start",
        "user_engagement",
    }
)
_RESERVED_PREFIXES = ("_", "ga_", "google_", "firebase_")
_WINDOW_MICROS = 72 * 3600 * 1_000_000
Message = dict[str, str]


def _message(path: str, description: str, code: str) -> Message:
    return {"fieldPath": path, "description": description, "validationCode": code}


def _name_problem(path: str, name: Any) -> Message | None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        return _message(path, f"Name {name!r} is invalid.", "NAME_INVALID")
    if name in _RESERVED_NAMES or name.startswith(_RESERVED_PREFIXES):
        return _message(path, f"Name {name!r} is reserved.", "NAME_RESERVED")
    return None


def _params_problems(at: str, name: str, params: Any) -> list[Message]:
    if not isinstance(params, dict):
        return [_message(f"{at}.params", "params must be an object", "VALUE_INVALID")]
    found: list[Message] = []
    if len(params) > 25:
        found.append(_message(f"{at}.params", "over 25 params", "EXCEEDED_MAX_ENTITIES"))
    for key, value in params.items():
        where = f"{at}.params.{key}"
        if problem := _name_problem(where, key):
            found.append(problem)
        if key == "items":
            if not isinstance(value, list) or not all(_item_ok(item) for item in value):
                found.append(_message(where, "items need item_id or item_name", "VALUE_INVALID"))
        elif not isinstance(value, str | int | float) or isinstance(value, bool):
            found.append(_message(where, "param values must be scalars", "VALUE_INVALID"))
        elif isinstance(value, str) and len(value) > 100:
            found.append(_message(where, "value over 100 characters", "VALUE_OUT_OF_BOUNDS"))
    if name in ("purchase", "refund") and not params.get("transaction_id"):
        found.append(_message(f"{at}.params", "transaction_id is required", "VALUE_REQUIRED"))
    if "value" in params and not params.get("currency"):
        found.append(_message(f"{at}.params", "currency is required with value", "VALUE_REQUIRED"))
    return found


def _item_ok(item: Any) -> bool:
    return isinstance(item, dict) and bool(item.get("item_id") or item.get("item_name"))


def _user_data_problems(user_data: Any) -> list[Message]:
    if not isinstance(user_data, dict):
        return [_message("user_data", "user_data must be an object", "VALUE_INVALID")]
    found: list[Message] = []
    for key in ("sha256_email_address", "sha256_phone_number"):
        values = user_data.get(key, [])
        if not isinstance(values, list) or not all(_is_hash(v) for v in values):
            found.append(_message(f"user_data.{key}", "must be SHA-256 hex", "VALUE_INVALID"))
    addresses = user_data.get("address", [])
    if not isinstance(addresses, list) or not all(isinstance(a, dict) for a in addresses):
        return [*found, _message("user_data.address", "a list of objects", "VALUE_INVALID")]
    for i, address in enumerate(addresses):
        for key, value in address.items():
            hashed = key.startswith("sha256_")
            if hashed != _is_hash(value):
                found.append(
                    _message(f"user_data.address[{i}].{key}", "hashed or plain", "VALUE_INVALID")
                )
    return found


def _is_hash(value: Any) -> bool:
    return isinstance(value, str) and _HASH.fullmatch(value) is not None


def _body_problems(body: Any, id_key: str) -> list[Message]:
    if not isinstance(body, dict):
        return [_message("", "the body must be a JSON object", "VALUE_INVALID")]
    found: list[Message] = []
    if not isinstance(body.get(id_key), str) or not body[id_key]:
        found.append(_message(id_key, f"{id_key} is required", "VALUE_REQUIRED"))
    events = body.get("events")
    if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
        return [*found, _message("events", "1 to 25 events", "EXCEEDED_MAX_ENTITIES")]
    stamp = body.get("timestamp_micros")
    now = int(time.time() * 1_000_000)
    if stamp is not None and (not isinstance(stamp, int) or not now - _WINDOW_MICROS <= stamp):
        found.append(_message("timestamp_micros", "over 72 hours ago", "VALUE_OUT_OF_BOUNDS"))
    for i, event in enumerate(events):
        name = event.get("name") if isinstance(event, dict) else None
        if problem := _name_problem(f"events[{i}].name", name):
            found.append(problem)
        params = event.get("params", {}) if isinstance(event, dict) else None
        found += _params_problems(f"events[{i}]", str(name), params)
    consent = body.get("consent", {})
    if not isinstance(consent, dict) or any(
        v not in ("GRANTED", "DENIED") for v in consent.values()
    ):
        found.append(_message("consent", "GRANTED or DENIED", "VALUE_INVALID"))
    if len(body.get("user_properties", {})) > 25:
        found.append(_message("user_properties", "over 25", "EXCEEDED_MAX_ENTITIES"))
    if "user_data" in body:
        found += _user_data_problems(body["user_data"])
    return found


class Ga4Fake(EventsApi):
    """Records what GA4 keeps (`events`, each with its request's ids) and drops (`dropped`)."""

    def __init__(
        self,
        measurement_id: str = "G-TEST12345",
        api_secret: str = "ga4-secret-abc",
        firebase_app_id: str = "1:1234567890:android:321abc456def7890",
    ) -> None:
        super().__init__()
        self.measurement_id, self.api_secret = measurement_id, api_secret
        self.firebase_app_id = firebase_app_id
        self.dropped: list[list[Message]] = []
        """Requests GA4 would answer 2xx and then ignore, with the reasons."""

    def _answer(self, request: Received) -> Answer:
        parts = urlsplit(request.path)
        if request.method != "POST":
            return json_answer(405, {"error": "method not allowed"})
        if parts.path not in ("/mp/collect", "/debug/mp/collect"):
            return json_answer(404, {"error": f"no such endpoint {parts.path}"})
        if len(request.body) > MAX_BODY:
            return json_answer(413, {"error": "request body over 130 kB"})
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        problems = self._query_problems(query)
        body = json_body(request)
        if media_type(request) != "application/json" or body is NOT_JSON:
            problems.append(_message("", "the body must be JSON", "VALUE_INVALID"))
        else:
            id_key = "client_id" if "measurement_id" in query else "app_instance_id"
            problems += _body_problems(body, id_key)
        if parts.path == "/debug/mp/collect":
            return json_answer(200, {"validationMessages": problems})
        if problems:
            self.dropped.append(problems)
        elif (failure := self._failure()) is not None:
            return failure
        else:
            self._keep(body)
        return Answer(204, {}, b"")

    def _query_problems(self, query: dict[str, str]) -> list[Message]:
        if query.get("api_secret") != self.api_secret:
            return [_message("api_secret", "unknown api_secret", "VALUE_INVALID")]
        if query.get("measurement_id", self.measurement_id) != self.measurement_id or (
            query.get("firebase_app_id", self.firebase_app_id) != self.firebase_app_id
        ):
            return [_message("measurement_id", "unknown stream", "VALUE_INVALID")]
        if ("measurement_id" in query) == ("firebase_app_id" in query):
            return [_message("", "measurement_id or firebase_app_id", "VALUE_REQUIRED")]
        return []

    def _keep(self, body: dict[str, Any]) -> None:
        shared = {key: value for key, value in body.items() if key != "events"}
        for event in body["events"]:
            self.events.append({**shared, **event})
        self.bodies.append(body)
        self._grown()
