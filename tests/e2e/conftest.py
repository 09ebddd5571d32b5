"""A real `eventyard serve` process delivering to a real local webhook receiver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import orjson
import pytest

from e2e.server_process import ServerProcess
from fakes.webhook_receiver import Received, WebhookReceiver

WRITE_KEY = "wk_live_123"
SECRET = "s3cret"


def config_text(
    receiver_url: str, batch_size: int = 1, concurrency: int = 4, log_url: str | None = None
) -> str:
    log = f"log:\n  url: {log_url}\n" if log_url else ""
    return (
        log
        + f"""
sources:
  - name: web
    write_key: {WRITE_KEY}
destinations:
  - name: my-hook
    type: webhook
    sources: [web]
    settings:
      url: {receiver_url}
      shared_secret: {SECRET}
      batch_size: {batch_size}
      batch_wait_ms: 20
    delivery:
      concurrency: {concurrency}
      backoff_initial: 50ms
      backoff_max: 500ms
"""
    )


def delivered_events(requests: list[Received]) -> list[dict[str, object]]:
    """Every event the webhook got, whether posted alone or in a JSON array."""
    events: list[dict[str, object]] = []
    for request in requests:
        body = orjson.loads(request.body)
        events.extend(body if isinstance(body, list) else [body])
    return events


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with WebhookReceiver() as hook:
        yield hook


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[[str], ServerProcess]]:
    started: list[ServerProcess] = []

    def start(config: str) -> ServerProcess:
        path = tmp_path / "eventyard.yaml"
        path.write_text(config)
        server = ServerProcess(config=path, data_dir=tmp_path / "data").start()
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process is not None and server.process.poll() is None:
            server.kill()


def module_server(factory: pytest.TempPathFactory, config: str) -> Iterator[ServerProcess]:
    """One server for a whole test module (for a module-scoped fixture to yield from): for
    tests that only send requests, a start per test would cost seconds each."""
    root = factory.mktemp("server")
    (root / "eventyard.yaml").write_text(config)
    (root / "data").mkdir()
    server = ServerProcess(config=root / "eventyard.yaml", data_dir=root / "data").start()
    yield server
    server.kill()


async def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
