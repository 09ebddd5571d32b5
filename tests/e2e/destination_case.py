"""The mechanics shared by the destination end-to-end tests (tests/e2e/test_destination_*.py).

Each test starts a fake of the destination's API and a real `eventyard serve` with
`config(...)`, sends with the real Segment client (`send`, `track`), and waits for what the
fake received or for the destination's delivered/dead counts in /api/v1/status
(`destination_status`, `wait_for_destination`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
from segment.analytics.client import Client

from e2e.conftest import WRITE_KEY
from e2e.server_process import ServerProcess

__all__ = [
    "Calls",
    "config",
    "destination_status",
    "one_track",
    "send",
    "track",
    "wait_for_destination",
]

Calls = Callable[[Client], list[tuple[bool, dict[str, Any]]]]
"""Calls on a Segment client, each returning the client's (ok, message)."""


def config(
    name: str,
    kind: str,
    settings: dict[str, Any],
    actions: dict[str, dict[str, Any]] | None = None,
) -> str:
    """An eventyard.yaml: the `web` source into one destination, with fast retries.

    `actions` maps an action key to its mapping. Values are written as JSON (valid YAML).
    """
    mappings = ""
    if actions:
        by_action = {key: {"mapping": mapping} for key, mapping in actions.items()}
        mappings = f"\n    actions: {orjson.dumps(by_action).decode()}"
    return f"""
sources:
  - name: web
    write_key: {WRITE_KEY}
destinations:
  - name: {name}
    type: {kind}
    sources: [web]
    settings: {orjson.dumps(settings).decode()}{mappings}
    delivery:
      backoff_initial: 50ms
      backoff_max: 500ms
"""


def send(url: str, calls: Calls) -> list[str]:
    """Make the calls with a synchronous Segment client; the messageIds, in order."""
    client = Client(WRITE_KEY, host=url, sync_mode=True, max_retries=1)
    sent = calls(client)
    assert all(ok for ok, _ in sent)
    return [message["messageId"] for _, message in sent]


def one_track(client: Client) -> list[tuple[bool, dict[str, Any]]]:
    """`Calls`: one "Order Completed" track from u1."""
    return [client.track("u1", "Order Completed", {"revenue": 42.5})]


def track(url: str, user_id: str, event: str, properties: dict[str, Any]) -> dict[str, Any]:
    """One track call through the Segment client; the message it sent."""
    client = Client(WRITE_KEY, host=url, sync_mode=True, max_retries=1)
    ok, message = client.track(user_id, event, properties)
    assert ok
    return dict(message)


def destination_status(server: ServerProcess) -> dict[str, Any]:
    """The one destination's entry in /api/v1/status."""
    destinations = server.status()["destinations"]
    assert isinstance(destinations, list) and len(destinations) == 1
    destination: dict[str, Any] = destinations[0]
    return destination


async def wait_for_destination(
    server: ServerProcess, until: Callable[[dict[str, Any]], bool], timeout: float = 15
) -> dict[str, Any]:
    """Poll the destination's status until `until` holds; that status."""
    async with asyncio.timeout(timeout):
        while True:
            destination = await asyncio.to_thread(destination_status, server)
            if until(destination):
                return destination
            await asyncio.sleep(0.05)
