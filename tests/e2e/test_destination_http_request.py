"""`eventyard serve` delivers through the http_request destination to a live JSON receiver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import orjson
import pytest

from e2e.conftest import wait_until
from e2e.destination_case import config, destination_status, track
from e2e.server_process import ServerProcess
from fakes.http_request import JsonEndpoint
from fakes.webhook_receiver import Answer

TOKEN = "e2e-token"


def _config(base: str) -> str:
    mapping = {
        "url": {"@template": base + "/in/{{event}}"},
        "method": "PUT",
        "data": {"id": {"@path": "$.messageId"}, "user": {"@path": "$.userId"}},
    }
    settings = {"headers": {"Authorization": f"Bearer {TOKEN}"}}
    return config("api", "http_request", settings, {"send": mapping})


@pytest.fixture
async def api() -> AsyncIterator[JsonEndpoint]:
    async with JsonEndpoint(token=TOKEN) as endpoint:
        yield endpoint


def _track(url: str, event: str) -> str:
    message_id: str = track(url, "u1", event, {"n": 1})["messageId"]
    return message_id


async def test_success_retry_and_dead_letter(
    api: JsonEndpoint, start_server: Callable[[str], ServerProcess]
) -> None:
    server = await asyncio.to_thread(start_server, _config(api.base))

    first = await asyncio.to_thread(_track, server.url, "ok")
    (request,) = await api.wait_for(1, timeout=10)
    assert (request.method, request.path) == ("PUT", "/in/ok")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert orjson.loads(request.body) == {"id": first, "user": "u1"}

    api.script([Answer(503, {}, b"busy")])  # checks pass, then one 503
    second = await asyncio.to_thread(_track, server.url, "flaky")
    await api.wait_for(3, timeout=10)
    retried = [r for r in api.requests if r.path == "/in/flaky"]
    assert len(retried) == 2 and retried[0].body == retried[1].body
    assert orjson.loads(retried[1].body)["id"] == second

    api.script([Answer(400, {"content-type": "application/json"}, b'{"error":"no"}')])
    await asyncio.to_thread(_track, server.url, "bad")
    await wait_until(lambda: destination_status(server)["dead"] == 1, 10, "a dead letter")
    await asyncio.sleep(0.3)  # a retry, if any, would arrive now
    assert [r.path for r in api.requests].count("/in/bad") == 1
    dest = destination_status(server)
    assert dest["delivered"] == 2 and dest["dead"] == 1
    assert "HTTP 400" in str(dest["last_error"])
