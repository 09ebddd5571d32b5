"""A server with data on every admin page, for the accessibility scan and the page fixes: a
source with a tracking plan, three webhooks (one delivering, one refusing with 400, one
answering 503 until its events die past `max_age`), each with a mapping that renames
`event`, and real traffic from the Segment Python client (an identify with a name, tracks
that follow and break the plan)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Page
from segment.analytics.client import Client

from browser.admin import ADMIN_PASSWORD, log_in
from browser.conftest import Tab
from e2e.server_process import ServerProcess
from fakes.webhook_receiver import WebhookReceiver

__all__ = ["AXE", "Filled", "filled", "signed_in"]

AXE = Path(__file__).resolve().parents[2] / "vendor" / "node_modules" / "axe-core" / "axe.min.js"
WRITE_KEY = "wk_browser_filled"
RENAMED = {"data": {"what": {"@path": "$.event"}, "who": {"@path": "$.userId"}}}
"""A mapping that sends `what` in place of `event`: the payload no longer names the event."""


@dataclass
class Filled:
    server: ServerProcess
    ok: WebhookReceiver
    refusing: WebhookReceiver
    busy: WebhookReceiver

    @property
    def url(self) -> str:
        return self.server.url


async def signed_in(tab: Tab, filled: Filled) -> Page:
    """The tab's page, signed in to the filled server as its admin."""
    await log_in(tab.page, filled.url)
    return tab.page


def _config(ok: str, refusing: str, busy: str) -> str:
    def hook(name: str, url: str, **extra: object) -> dict[str, object]:
        return {
            "name": name,
            "type": "webhook",
            "sources": ["web"],
            "settings": {"url": url},
            "actions": {"send": {"mapping": RENAMED}},
            **extra,
        }

    plan = {
        "name": "shop",
        "sources": ["web"],
        "events": {
            "Order Completed": {
                "type": "object",
                "required": ["order_id"],
                "properties": {"order_id": {"type": "string"}},
            }
        },
    }
    config = {
        "sources": [{"name": "web", "write_key": WRITE_KEY}],
        "destinations": [
            hook("orders-hook", ok),
            hook("crm-hook", refusing),
            hook(
                "flaky-hook",
                busy,
                delivery={"max_age": "1s", "backoff_initial": "0.1s", "backoff_max": "0.2s"},
            ),
        ],
        "tracking_plans": [plan],
        "archive": {"enabled": False},
        "warehouses": [],
    }
    return json.dumps(config)


def _send(url: str) -> None:
    client = Client(WRITE_KEY, host=url, sync_mode=True, max_retries=1)
    client.identify("user-42", {"name": "Ada Lovelace", "email": "ada@example.com"})
    client.track("user-42", "Order Completed", {"order_id": "o-1", "revenue": 42.5})
    client.track("user-42", "Order Completed", {"revenue": 7})  # breaks the plan
    client.page("user-42", "Docs", "Getting Started", {"url": "https://example.com/docs"})


async def _dead_letters(server: ServerProcess, destination: str, count: int) -> None:
    """Until `destination` has `count` dead letters (the API the pages read from)."""
    deadline = asyncio.get_running_loop().time() + 15
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers) as api:
        while True:
            answer = await api.get("/api/v1/deadletters", params={"destination": destination})
            if answer.status_code == 200 and len(answer.json()) >= count:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{destination}: no {count} dead letters: {answer.text}")
            await asyncio.sleep(0.1)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def filled(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Filled]:
    """One server per test module (filling it takes seconds): tests may add to it (a mapping,
    a workspace) but must not take away what the others look at."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("EVENTYARD_ADMIN_PASSWORD", ADMIN_PASSWORD)
        async for served in _filled(tmp_path_factory.mktemp("filled")):
            yield served


async def _filled(tmp_path: Path) -> AsyncIterator[Filled]:
    async with WebhookReceiver() as ok, WebhookReceiver() as refusing, WebhookReceiver() as busy:
        refusing.respond(400, body=b'{"error": "invalid api key"}')
        busy.respond(503, body=b"busy, try later")
        config = tmp_path / "eventyard.yaml"
        config.write_text(_config(ok.url, refusing.url, busy.url))
        server = await asyncio.to_thread(
            ServerProcess(config=config, data_dir=tmp_path / "data").start
        )
        try:
            await asyncio.to_thread(_send, server.url)
            await ok.wait_for(4, timeout=15)
            await _dead_letters(server, "crm-hook", 4)
            await _dead_letters(server, "flaky-hook", 4)
            yield Filled(server, ok, refusing, busy)
        finally:
            await asyncio.to_thread(server.stop)
