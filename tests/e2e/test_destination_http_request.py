"""`eventyard serve` delivers through the http_request destination to a live JSON receiver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import pytest
from segment.analytics.client import Client

from e2e.conftest import WRITE_KEY, wait_until
from e2e.server_process import ServerProcess
from fakes.http_request import JsonEndpoint
from fakes.webhook_receiver import Answer

TOKEN = "e2e-token"


def config(base: str) -> str:
    mapping = {
        "url": {"@template": base + "/in/{{event}}"},
        "method": "PUT",
        "data": {"id": {"@path": "$.messageId"}, "user": {"@path": "$.userId"}},
    }
    return f"""
sources:
  - name: web
    write_key: {WRITE_KEY}
destinations:
  - name: api
    type: http_request
    sources: [web]
    settings:
      headers: {{Authorization: "Bearer {TOKEN}"}}
    actions:
      send:
        mapping: {orjson.dumps(mapping).decode()}
    delivery:
      backoff_initial: 50ms
      backoff_max: 500ms
"""


@pytest.fixture
async def api() -> AsyncIterator[JsonEndpoint]:
    async with JsonEndpoint(token=TOKEN) as endpoint:
        yield endpoint


def track(url: str, event: str) -> str:
    client = Client(WRITE_KEY, host=url, sync_mode=True, max_retries=1)
    ok, message = client.track("u1", event, {"n": 1})
    assert ok
    message_id: str = message["messageId"]
    return message_id


def status_of(server: ServerProcess) -> dict[str, Any]:
    destinations = server.status()["destinations"]
    assert isinstance(destinations, list) and len(destinations) == 1
    dest: dict[str, Any] = destinations[0]
    return dest


async def test_success_retry_and_dead_letter(
    api: JsonEndpoint, start_server: Callable[[str], ServerProcess]
) -> None:
    server = await asyncio.to_thread(start_server, config(api.base))

    first = await asyncio.to_thread(track, server.url, "ok")
    (request,) = await api.wait_for(1, timeout=10)
    assert (request.method, request.path) == ("PUT", "/in/ok")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert orjson.loads(request.body) == {"id": first, "user": "u1"}

    api.script([Answer(503, {}, b"busy")])  # checks pass, then one 503
    second = await asyncio.to_thread(track, server.url, "flaky")
    await api.wait_for(3, timeout=10)
    retried = [r for r in api.requests if r.path == "/in/flaky"]
    assert len(retried) == 2 and retried[0].body == retried[1].body
    assert orjson.loads(retried[1].body)["id"] == second

    api.script([Answer(400, {"content-type": "application/json"}, b'{"error":"no"}')])
    await asyncio.to_thread(track, server.url, "bad")
    await wait_until(lambda: status_of(server)["dead"] == 1, 10, "a dead letter")
    await asyncio.sleep(0.3)  # a retry, if any, would arrive now
    assert [r.path for r in api.requests].count("/in/bad") == 1
    dest = status_of(server)
    assert dest["delivered"] == 2 and dest["dead"] == 1
    assert "HTTP 400" in str(dest["last_error"])
