"""`context.ip` from the connection only for client-side events (Segment's Spec: Common
Fields): browser requests, Segment's device libraries, `context.direct: true`."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import orjson
import pytest

from .conftest import WRITE_KEY, MemoryLog, basic

PEER = "203.0.113.7"  # the client address the `client` fixture connects from
AUTH = basic(WRITE_KEY)
TEXT = {**AUTH, "Content-Type": "text/plain"}
JSON = {**AUTH, "Content-Type": "application/json"}


def library(name: str) -> dict[str, Any]:
    return {"library": {"name": name, "version": "1.0.0"}}


@pytest.mark.parametrize(
    ("path", "headers", "context", "stamped"),
    [
        ("/v1/track", JSON, None, False),  # curl from a backend
        ("/v1/track", JSON, library("analytics-python"), False),
        ("/v1/track", JSON, library("@segment/analytics-node"), False),
        ("/v1/track", JSON, library("analytics-ios"), True),
        ("/v1/track", JSON, library("analytics-kotlin"), True),
        ("/v1/track", JSON, library("@segment/analytics-react-native"), True),
        ("/v1/track", JSON, {"direct": True}, True),  # Segment's HTTP API opt-in
        ("/v1/track", JSON, {"direct": "yes"}, False),
        ("/v1/track", TEXT, None, True),  # a browser's fetch/sendBeacon body
        ("/v1/t", JSON, None, True),  # only analytics.js uses the short paths
        ("/v1/t", TEXT, library("analytics-python"), True),
    ],
)
async def test_single_events_get_the_connection_address_only_when_client_side(
    client: httpx.AsyncClient,
    log: MemoryLog,
    path: str,
    headers: dict[str, str],
    context: dict[str, Any] | None,
    stamped: bool,
) -> None:
    message: dict[str, Any] = {"userId": "u1", "event": "Order Completed"}
    if context is not None:
        message["context"] = context
    response = await client.post(path, content=orjson.dumps(message), headers=headers)
    assert response.status_code == 200, response.text
    (event,) = log.events()
    assert event.get("context", {}).get("ip") == (PEER if stamped else None)
    if context is not None:  # nothing else of the client's context changes
        assert {k: v for k, v in event["context"].items() if k != "ip"} == context


async def test_a_client_set_ip_is_kept_everywhere(
    client: httpx.AsyncClient, log: MemoryLog
) -> None:
    message = {"userId": "u1", "event": "E", "context": {"ip": "198.51.100.4"}}
    for path, headers in [("/v1/track", JSON), ("/v1/t", TEXT)]:
        await client.post(path, content=orjson.dumps(message), headers=headers)
    assert [e["context"]["ip"] for e in log.events()] == ["198.51.100.4"] * 2


async def test_in_a_batch_each_message_is_decided_by_its_own_library(
    client: httpx.AsyncClient, log: MemoryLog
) -> None:
    """A mobile batch posts JSON to /v1/b; a server library's message in it stays IP-less."""
    batch = [
        {"type": "track", "userId": "u1", "event": "A", "context": library("analytics-android")},
        {"type": "track", "userId": "u1", "event": "B", "context": library("analytics-python")},
        {"type": "track", "userId": "u1", "event": "C"},
    ]
    await client.post("/v1/b", json={"batch": batch}, headers=AUTH)
    # batch-level context applies to every message, the library name too
    body = {"batch": batch[2:], "context": library("analytics-swift")}
    await client.post("/v1/batch", json=body, headers=AUTH)
    await client.post("/v1/b", content=orjson.dumps({"batch": batch[2:]}), headers=TEXT)
    ips = [(e["event"], e.get("context", {}).get("ip")) for e in log.events()]
    assert ips == [("A", PEER), ("B", None), ("C", None), ("C", PEER), ("C", PEER)]


async def test_the_pixel_is_a_browser(client: httpx.AsyncClient, log: MemoryLog) -> None:
    data = base64.urlsafe_b64encode(
        orjson.dumps({"writeKey": WRITE_KEY, "userId": "u1", "event": "Email Opened"})
    ).decode()
    response = await client.get(f"/v1/pixel/track?data={data}")
    assert response.headers["content-type"] == "image/gif"
    assert log.events()[0]["context"]["ip"] == PEER
