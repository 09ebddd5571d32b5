"""`eventyard serve` checks where destinations connect (`server.outbound`).

Link-local and cloud metadata addresses are refused whatever the config says; with
`private_networks: deny` loopback is refused too, unless `server.outbound.allow` lists it.
A refusal is a dead letter on the first attempt, and the connection test says the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any, Self

import httpx
import orjson
import pytest

from e2e.conftest import WRITE_KEY
from e2e.destination_case import one_track, send
from e2e.server_process import ServerProcess
from fakes.webhook_receiver import WebhookReceiver

METADATA = "refused by the outbound policy: 169.254.169.254 is link-local (cloud metadata)"
LOOPBACK = "is loopback (server.outbound.private_networks: deny"


class Doorbell:
    """A TCP listener on 127.0.0.1 that only counts the connections made to it."""

    def __init__(self) -> None:
        self.connections = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def _ring(self, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._ring, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
async def doorbell() -> AsyncIterator[Doorbell]:
    async with Doorbell() as listener:
        yield listener


def _config(outbound: dict[str, Any], destinations: dict[str, tuple[str, dict[str, Any]]]) -> str:
    """An eventyard.yaml with `server.outbound` and destinations {name: (type, settings)}."""
    listed = [
        {"name": name, "type": kind, "sources": ["web"], "settings": settings}
        for name, (kind, settings) in destinations.items()
    ]
    document = {
        "server": {"outbound": outbound},
        "sources": [{"name": "web", "write_key": WRITE_KEY}],
        "destinations": listed,
    }
    return orjson.dumps(document).decode()  # JSON is YAML


def _get(server: ServerProcess, path: str) -> Any:
    answer = httpx.get(f"{server.url}{path}", headers=server.headers, timeout=5)
    answer.raise_for_status()
    return answer.json()


async def _settled(server: ServerProcess, want: dict[str, str]) -> None:
    """Wait until each named destination has one event `delivered` or `dead`."""

    def done() -> bool:
        found = {d["name"]: d for d in _get(server, "/api/v1/status")["destinations"]}
        return all(found[name][outcome] == 1 for name, outcome in want.items())

    async with asyncio.timeout(20):
        while True:
            if await asyncio.to_thread(done):
                return
            await asyncio.sleep(0.05)


async def _dead_letter(server: ServerProcess, destination: str) -> dict[str, Any]:
    path = f"/api/v1/deadletters?destination={destination}"
    (letter,) = await asyncio.to_thread(_get, server, path)
    assert isinstance(letter, dict)
    return letter


async def _connection_test(server: ServerProcess, destination: str) -> Any:
    url = f"{server.url}/api/v1/destinations/{destination}/test"
    answer = await asyncio.to_thread(httpx.post, url, headers=server.headers, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_cloud_metadata_is_refused_while_own_services_are_reached(
    receiver: WebhookReceiver, start_server: Callable[[str], ServerProcess]
) -> None:
    destinations = {
        "metadata": ("webhook", {"url": "http://169.254.169.254/latest/meta-data/iam/"}),
        "own-service": ("webhook", {"url": receiver.url}),
        "posthog-metadata": ("posthog", {"api_key": "phc_x", "host": "http://169.254.169.254"}),
    }
    server = await asyncio.to_thread(start_server, _config({}, destinations))
    (message_id,) = await asyncio.to_thread(send, server.url, one_track)
    want = {"metadata": "dead", "own-service": "delivered", "posthog-metadata": "dead"}
    await _settled(server, want)

    letter = await _dead_letter(server, "metadata")
    assert (letter["error"], letter["attempts"]) == (METADATA, 1)  # not retried
    steps = await asyncio.to_thread(_get, server, f"/api/v1/trace/{message_id}")
    (dead,) = [
        s for s in steps["steps"] if s["destination"] == "metadata" and s["step"] != "queued"
    ]
    assert (dead["step"], dead["detail"]) == ("dead", f"attempt 1: {METADATA}")
    assert len(receiver.requests) == 1  # private_networks: allow (the default)
    metrics = (await asyncio.to_thread(httpx.get, f"{server.url}/metrics", timeout=5)).text
    counted = 'destination="metadata",action="send",step="dead",reason="outbound_policy"} 1'
    assert counted in metrics
    assert await _connection_test(server, "posthog-metadata") == {"ok": False, "error": METADATA}


async def test_private_networks_deny_refuses_loopback_by_address_and_by_name(
    doorbell: Doorbell, start_server: Callable[[str], ServerProcess]
) -> None:
    local = f"http://127.0.0.1:{doorbell.port}"
    destinations = {
        "by-address": ("webhook", {"url": f"{local}/in"}),
        "by-name": ("webhook", {"url": f"http://localhost:{doorbell.port}/in"}),
        "posthog-local": ("posthog", {"api_key": "phc_x", "host": local}),
    }
    server = await asyncio.to_thread(
        start_server, _config({"private_networks": "deny"}, destinations)
    )
    await asyncio.to_thread(send, server.url, one_track)
    await _settled(server, dict.fromkeys(destinations, "dead"))

    by_address = await _dead_letter(server, "by-address")
    assert by_address["error"].startswith(f"refused by the outbound policy: 127.0.0.1 {LOOPBACK}")
    by_name = (await _dead_letter(server, "by-name"))["error"]
    assert by_name.startswith("refused by the outbound policy: localhost (")  # resolved, then
    assert LOOPBACK in by_name  # refused for the address it resolved to
    test = await _connection_test(server, "posthog-local")
    assert test["ok"] is False and LOOPBACK in test["error"]
    assert doorbell.connections == 0  # refused before connecting


async def test_an_allow_entry_lets_one_private_address_through(
    receiver: WebhookReceiver, start_server: Callable[[str], ServerProcess]
) -> None:
    outbound = {"private_networks": "deny", "allow": ["127.0.0.1/32"]}
    destinations = {"own-service": ("webhook", {"url": receiver.url})}
    server = await asyncio.to_thread(start_server, _config(outbound, destinations))
    await asyncio.to_thread(send, server.url, one_track)
    await _settled(server, {"own-service": "delivered"})
    assert len(receiver.requests) == 1
