"""A local PostHog capture API that checks requests the way PostHog documents them.

Endpoints: `POST /i/v0/e/` and `/capture/` (one event), `POST /batch/` (`batch` list,
body under 20 MB), `POST /flags/` (feature flags, used to check the key). Every request needs
`Content-Type: application/json` and a known project `api_key` in the body; every event
needs `event` and `distinct_id` (top level or in `properties`); `uuid`, when present, must be
a UUID. Answers like PostHog: 200 `{"status": 1}`, else `{"type", "code", "detail"}` with
401 (unknown key), 400 (invalid), 413 (too large), 404 (unknown path).
"""

from __future__ import annotations

import uuid
from typing import Any

from fakes.common import JSON, NOT_JSON, EventsApi, json_answer, json_body, media_type
from fakes.webhook_receiver import Answer, Received

__all__ = ["MAX_BODY", "PostHogFake", "error_answer"]

MAX_BODY = 20_000_000
_OK = Answer(200, JSON, b'{"status":1}')


def error_answer(status: int, kind: str, code: str, detail: str) -> Answer:
    return json_answer(status, {"type": kind, "code": code, "detail": detail, "attr": None})


_BAD_KEY = error_answer(
    401,
    "authentication_error",
    "invalid_api_key",
    "Project API key invalid. You can find your project API key in PostHog project settings.",
)


def _invalid(detail: str) -> Answer:
    return error_answer(400, "validation_error", "invalid_payload", detail)


def _event_problem(event: Any) -> str | None:
    if not isinstance(event, dict):
        return "every event must be an object"
    if not isinstance(event.get("event"), str) or not event["event"]:
        return "event name is required"
    properties = event.get("properties", {})
    if not isinstance(properties, dict):
        return "properties must be an object"
    distinct = event.get("distinct_id", properties.get("distinct_id"))
    if not isinstance(distinct, str | int) or distinct == "":
        return "distinct_id is required"
    if "uuid" in event:
        try:
            uuid.UUID(str(event["uuid"]))
        except ValueError:
            return f"invalid uuid {event['uuid']!r}"
    return None


class PostHogFake(EventsApi):
    """`async with PostHogFake() as posthog:`; `posthog.url` is the host to configure."""

    def __init__(self, api_keys: tuple[str, ...] = ("phc_test",)) -> None:
        super().__init__()
        self.api_keys = set(api_keys)

    def _answer(self, request: Received) -> Answer:
        path = request.path.split("?", 1)[0]
        body = _parse(request, path)
        if isinstance(body, Answer):
            return body
        if body.get("api_key") not in self.api_keys:
            return _BAD_KEY
        if path == "/flags/":
            return Answer(200, JSON, b'{"flags":{},"errorsWhileComputingFlags":false}')
        events = body.get("batch") if path == "/batch/" else [body]
        if not isinstance(events, list):
            return _invalid("batch must be a list of events")
        for event in events:
            if problem := _event_problem(event):
                return _invalid(problem)
        if failure := self._failure():
            return failure
        self.bodies.append(body)
        for event in events:
            self.events.append({k: v for k, v in event.items() if k != "api_key"})
        self._grown()
        return _OK


def _parse(request: Received, path: str) -> dict[str, Any] | Answer:
    """The JSON body of a well-formed capture request, or PostHog's error answer."""
    if request.method != "POST":
        return error_answer(405, "validation_error", "method_not_allowed", "POST only")
    if path not in ("/i/v0/e/", "/capture/", "/batch/", "/flags/"):
        return error_answer(404, "validation_error", "not_found", f"no route {path}")
    if len(request.body) > MAX_BODY:
        return error_answer(413, "validation_error", "payload_too_large", "over 20 MB")
    if media_type(request) != "application/json":
        return _invalid("Content-Type must be application/json")
    body = json_body(request)
    if body is NOT_JSON:
        return _invalid("malformed JSON")
    if not isinstance(body, dict):
        return _invalid("the body must be a JSON object")
    return body
