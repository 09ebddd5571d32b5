"""No credential leaves through logs, answers, audit, dead letters or export (issue 12.5, 12.6).

One `eventyard serve`, logging everything at DEBUG (httpx and httpcore included), runs one
destination of every type that holds a secret, each secret a marker and each address a
fake on 127.0.0.1; Slack's fake refuses the webhook, so its payload becomes a dead letter.
After events were delivered and every connection test ran, the marker is nowhere: not in
the server's whole output, not in what the API answers, not in `eventyard export`.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import orjson
import pytest
from segment.analytics.client import Client

from control.every_secret import MARKER, destination_doc, secret_types
from e2e.conftest import WRITE_KEY, wait_until
from e2e.server_process import ServerProcess
from eventyard.destinations.registry import get_definition
from fakes.webhook_receiver import WebhookReceiver

DEBUG_LOGGING = (
    "-c",
    "import logging; logging.basicConfig(level=logging.DEBUG);"
    "import sys; sys.argv[0] = 'eventyard'; from eventyard.cli import main; main()",
)
"""Root logging at DEBUG before the CLI starts (its INFO setup then changes nothing)."""

SLUGS = sorted({*secret_types(), "slack"})


def _config(fakes: dict[str, WebhookReceiver]) -> str:
    docs = [destination_doc(slug, slug, "web", fakes[slug].base_url) for slug in SLUGS]
    for doc in docs:
        doc["delivery"] = {"backoff_initial": "50ms", "backoff_max": "200ms", "max_age": "2s"}
    sources = [{"name": "web", "write_key": WRITE_KEY}]
    return orjson.dumps({"sources": sources, "destinations": docs}).decode()


@pytest.fixture
async def fakes() -> AsyncIterator[dict[str, WebhookReceiver]]:
    async with AsyncExitStack() as stack:
        found = {slug: await stack.enter_async_context(WebhookReceiver()) for slug in SLUGS}
        for fake in found.values():
            fake.respond(200, {"Content-Type": "application/json"}, b"{}")
        found["slack"].respond(404, {"Content-Type": "text/plain"}, b"no_service")
        yield found


def _send(url: str) -> None:
    client = Client(WRITE_KEY, host=url, sync_mode=True, max_retries=1)
    traits = {"email": "ada@example.com", "phone": "+15555550100"}
    assert client.identify("ada-lovelace", traits)[0]
    context = {"traits": traits, "page": {"url": "https://shop.example/checkout"}}
    properties = {
        "order_id": "o-1",
        "revenue": 42.5,
        "currency": "USD",
        "products": [{"product_id": "p1", "price": 42.5, "quantity": 1}],
    }
    assert client.track("ada-lovelace", "Order Completed", properties, context=context)[0]
    assert client.page("ada-lovelace", "Checkout", context=context)[0]


def _eventyard(*args: str, data_dir: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "eventyard", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout + done.stderr


async def test_no_secret_in_logs_answers_dead_letters_or_export(
    fakes: dict[str, WebhookReceiver], tmp_path: Path
) -> None:
    config = tmp_path / "eventyard.yaml"
    config.write_text(_config(fakes))
    server = ServerProcess(config, tmp_path / "data", launcher=DEBUG_LOGGING)
    await asyncio.to_thread(server.start)
    try:
        await asyncio.to_thread(_send, server.url)
        async with httpx.AsyncClient(base_url=server.url, headers=server.headers) as api:
            for slug in SLUGS:
                if get_definition(slug).test_connection is not None:
                    tested = await api.post(f"/api/v1/destinations/{slug}/test", timeout=30)
                    assert tested.status_code == 200, tested.text
            for fake in fakes.values():  # events or the connection test reached each one
                await fake.wait_for(1, timeout=20)
            letters = f"{server.url}/api/v1/deadletters"
            await wait_until(
                lambda: bool(httpx.get(letters, headers=server.headers).json()), 20, "a dead letter"
            )
            dead = (await api.get("/api/v1/deadletters")).json()
            answers = [
                dead,
                (await api.get("/api/v1/destinations")).json(),
                (await api.get("/api/v1/audit", params={"limit": "100"})).json(),
                (await api.get("/api/v1/status")).json(),
            ]
    finally:
        await asyncio.to_thread(server.stop)
    exported = await asyncio.to_thread(_eventyard, "export", data_dir=tmp_path / "data")
    log = (tmp_path / f"server-{server.port}.log").read_text()

    assert "HTTP Request: POST http://127.0.0.1" in log  # httpx did log every request
    assert "DEBUG httpcore" in log or "DEBUG:httpcore" in log
    assert MARKER not in log
    slack_letter = next(x for x in dead if x["destination"] == "slack")
    assert slack_letter["payload"]["url"] == "********"
    assert MARKER not in orjson.dumps(answers).decode()
    assert MARKER not in exported and "url: '********'" in exported
    assert f"/services/{MARKER}" in fakes["slack"].requests[0].path  # it was the real one
