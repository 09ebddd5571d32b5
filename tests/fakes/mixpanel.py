"""A local Mixpanel Ingestion API (/import, /track, /engage, /groups) that checks requests
the way developer.mixpanel.com documents them and answers in Mixpanel's formats.

- /import: Basic auth (service account + `project_id`, project secret, or project token as
  user), JSON array or NDJSON, optional gzip, <= 2000 events and 10 MB uncompressed (413
  beyond), strict=1 validation of `event`, `properties.time` (s or ms, 1971 .. now+1h),
  `distinct_id` (no placeholders such as "anonymous"), `$insert_id` (<= 36 of
  [A-Za-z0-9-]); 400 with `failed_records` for bad events while the rest are ingested;
  duplicates (same event, distinct_id, time, $insert_id) are ingested once.
- /track (form `data=`), /engage and /groups (JSON or form `data=`): `$token` must be the
  project's; with verbose=1 the answer is `{"status": 1|0, "error": ...}`, always HTTP 200.
Use `async with MixpanelFake() as fake:`; `fake.url` is the base URL for `endpoint`;
`fake.script([Answer(503)])` answers the next requests with those first.
"""

from __future__ import annotations

import base64
import gzip
import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from fakes.common import ScriptedApi, json_answer, media_type
from fakes.webhook_receiver import Answer, Received

__all__ = ["Answer", "MixpanelFake"]

MAX_EVENTS = 2000
MAX_BYTES = 10 * 1024 * 1024
_INSERT_ID = re.compile(r"^[A-Za-z0-9-]{1,36}$")
_PLACEHOLDERS = {
    "00000000-0000-0000-0000-000000000000", "anon", "anonymous", "nil", "none", "null",
    "n/a", "na", "undefined", "unknown", "<nil>", "0", "-1", "true", "false", "[]", "{}",
}  # fmt: skip
_OPERATIONS = ("$set", "$set_once", "$add", "$union", "$append", "$remove", "$unset", "$delete")


class MixpanelFake(ScriptedApi):
    """Records what Mixpanel would have stored: events, tracked events, profiles, groups."""

    def __init__(
        self,
        token: str = "mp-token",
        api_secret: str = "mp-secret",
        service_account: tuple[str, str] = ("sa.user", "sa-pass"),
        project_id: str = "4242",
    ) -> None:
        super().__init__()
        self.token, self.api_secret = token, api_secret
        self.service_account, self.project_id = service_account, project_id
        self.events: list[dict[str, Any]] = []
        self.tracked: list[dict[str, Any]] = []
        self.profiles: dict[str, dict[str, Any]] = {}
        self.groups: dict[tuple[str, str], dict[str, Any]] = {}
        self._seen: set[tuple[Any, ...]] = set()

    def _check(self, request: Received) -> Answer:
        parts = urlsplit(request.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if request.method != "POST":
            return json_answer(405, {"error": "method not allowed", "status": 0})
        route = {"/import": self._import, "/track": self._track}.get(parts.path)
        if route is not None:
            return route(request, query)
        if parts.path in ("/engage", "/groups"):
            return self._profiles(request, query, parts.path == "/groups")
        return json_answer(404, {"error": f"no such endpoint {parts.path}", "status": 0})

    # /import ---------------------------------------------------------------------------

    def _authorized(self, request: Received, query: dict[str, str]) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        if "project_id" in query:
            return query["project_id"] == self.project_id and (user, password) == tuple(
                self.service_account
            )
        return password == "" and user in (self.api_secret, self.token)

    def _import(self, request: Received, query: dict[str, str]) -> Answer:
        if not self._authorized(request, query):
            return json_answer(401, {"code": 401, "error": "Invalid credentials", "status": 0})
        events = _parse_import(request)
        if isinstance(events, Answer):
            return events
        failed = []
        imported = 0
        for index, event in enumerate(events):
            problem = _event_problem(event)
            if problem is not None:
                field, message = problem
                props = event.get("properties") if isinstance(event, dict) else None
                insert = props.get("$insert_id") if isinstance(props, dict) else None
                failed.append(
                    {"index": index, "insert_id": insert, "field": field, "message": message}
                )
                continue
            props = event["properties"]
            key = (event["event"], props["distinct_id"], props["time"], props["$insert_id"])
            if key not in self._seen:
                self._seen.add(key)
                self.events.append(event)
            imported += 1
        if failed and query.get("strict") == "1":
            return json_answer(
                400,
                {
                    "code": 400,
                    "error": "some data points in the request failed validation",
                    "failed_records": failed,
                    "num_records_imported": imported,
                    "status": "Bad Request",
                },
            )
        return json_answer(200, {"code": 200, "num_records_imported": imported, "status": "OK"})

    # /track, /engage, /groups ----------------------------------------------------------

    def _items(self, request: Received) -> list[Any] | None:
        kind = media_type(request)
        try:
            if kind == "application/x-www-form-urlencoded":
                form = parse_qs(request.body.decode("utf-8"))
                data = orjson.loads(form["data"][-1])
            elif kind == "application/json":
                data = orjson.loads(request.body)
            else:
                return None
        except (KeyError, orjson.JSONDecodeError, UnicodeDecodeError):
            return None
        return data if isinstance(data, list) else [data]

    def _verdict(self, query: dict[str, str], error: str | None) -> Answer:
        if query.get("verbose") == "1":
            return json_answer(200, {"status": 0 if error else 1, "error": error})
        return Answer(200, {"Content-Type": "text/plain"}, b"0" if error else b"1")

    def _track(self, request: Received, query: dict[str, str]) -> Answer:
        items = self._items(request)
        if items is None:
            return self._verdict(query, "data, missing or empty")
        for event in items:
            props = event.get("properties") if isinstance(event, dict) else None
            if not isinstance(props, dict) or not event.get("event"):
                return self._verdict(query, "event or properties, missing or empty")
            if not props.get("token"):
                return self._verdict(query, "token, missing or empty")
            if props["token"] != self.token:
                return self._verdict(query, f"invalid token {props['token']!r}")
        self.tracked.extend(items)
        return self._verdict(query, None)

    def _profiles(self, request: Received, query: dict[str, str], groups: bool) -> Answer:
        items = self._items(request)
        if items is None:
            return self._verdict(query, "data, missing or empty")
        if len(items) > MAX_EVENTS:
            return self._verdict(query, "more than 2000 updates in one request")
        for update in items:
            error = self._update_problem(update, groups)
            if error:
                return self._verdict(query, error)
        for update in items:
            if groups:
                key = (update["$group_key"], update["$group_id"])
                self.groups.setdefault(key, {}).update(update.get("$set", {}))
            else:
                self.profiles.setdefault(update["$distinct_id"], {}).update(update.get("$set", {}))
        return self._verdict(query, None)

    def _update_problem(self, update: Any, groups: bool) -> str | None:
        if not isinstance(update, dict):
            return "each update must be a JSON object"
        if not update.get("$token"):
            return "$token, missing or empty"
        if update["$token"] != self.token:
            return f"invalid token {update['$token']!r}"
        ids = ("$group_key", "$group_id") if groups else ("$distinct_id",)
        for name in ids:
            if not isinstance(update.get(name), str) or not update[name]:
                return f"{name}, missing or empty"
        operations = [op for op in _OPERATIONS if op in update]
        if len(operations) != 1:
            return f"exactly one of {', '.join(_OPERATIONS)} is required"
        if operations[0] == "$set" and not isinstance(update["$set"], dict):
            return "$set must be an object"
        return None


def _parse_import(request: Received) -> list[Any] | Answer:
    """The events of an /import body, or the answer refusing it."""
    kind = media_type(request)
    if kind not in ("application/json", "application/x-ndjson"):
        return json_answer(400, {"code": 400, "error": f"unsupported Content-Type {kind!r}"})
    body = request.body
    if request.headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    if len(body) > MAX_BYTES:
        return json_answer(413, {"code": 413, "error": "request exceeds 10 MB", "status": 0})
    try:
        if kind == "application/json":
            events = orjson.loads(body)
        else:
            events = [orjson.loads(line) for line in body.splitlines() if line.strip()]
    except orjson.JSONDecodeError:
        return json_answer(400, {"code": 400, "error": "unable to parse JSON body", "status": 0})
    if not isinstance(events, list):
        events = [events]
    if len(events) > MAX_EVENTS:
        return json_answer(413, {"code": 413, "error": "more than 2000 events", "status": 0})
    return events


def _event_problem(event: Any) -> tuple[str, str] | None:
    """(field, message) for an event /import rejects in strict mode, else None."""
    if not isinstance(event, dict) or not isinstance(event.get("event"), str) or not event["event"]:
        return "event", "'event' must be a non-empty string"
    props = event.get("properties")
    if not isinstance(props, dict):
        return "properties", "'properties' must be an object"
    stamp = props.get("time")
    if not isinstance(stamp, int | float) or isinstance(stamp, bool):
        return "properties.time", "'properties.time' is required, in seconds or ms since epoch"
    seconds = stamp / 1000 if stamp > 1e11 else stamp
    if seconds < 31_536_000 or seconds > time.time() + 3600:
        return "properties.time", "'properties.time' is before 1971 or more than 1h ahead"
    distinct = props.get("distinct_id")
    if not isinstance(distinct, str):
        return "properties.distinct_id", "'properties.distinct_id' must be a string"
    if distinct.strip().lower() in _PLACEHOLDERS:
        return "properties.distinct_id", f"'properties.distinct_id' {distinct!r} is invalid"
    insert = props.get("$insert_id")
    if not isinstance(insert, str) or not _INSERT_ID.match(insert):
        return "properties.$insert_id", "'$insert_id' must be 1-36 chars of [A-Za-z0-9-]"
    return None
