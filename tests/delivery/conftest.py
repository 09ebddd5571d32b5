"""Fixtures for delivery tests: a state file, a live receiver, one HTTP client, helpers."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import orjson
import pytest

from eventyard.control.config import Config, DeliverySettings, DestinationConfig, SourceConfig
from eventyard.control.duration import Duration
from eventyard.control.outbound_config import OutboundSettings
from eventyard.delivery import DeliveryService, StateStore, jobs
from eventyard.delivery.jobs import NewJob
from eventyard.delivery.outbound import outbound_client
from eventyard.destinations import registry
from eventyard.destinations.webhook import definition as webhook
from fakes.webhook_receiver import WebhookReceiver


def fast_delivery(**overrides: float) -> DeliverySettings:
    """Tiny timeouts and backoffs so that retries happen within milliseconds."""
    values: dict[str, Any] = {
        "concurrency": 4,
        "timeout": 1.0,
        "max_age": 60.0,
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
    }
    values.update(overrides)
    settings = DeliverySettings(concurrency=int(values.pop("concurrency")))
    return msgspec.structs.replace(settings, **{k: Duration(v) for k, v in values.items()})


def hook(
    name: str,
    url: str,
    delivery: DeliverySettings | None = None,
    *,
    kind: str = "webhook",
    enabled: bool = True,
    **settings: Any,
) -> DestinationConfig:
    return DestinationConfig(
        name=name,
        type=kind,
        enabled=enabled,
        sources=["web"],
        settings={"url": url, **settings},
        delivery=delivery or fast_delivery(),
    )


def make_config(*destinations: DestinationConfig) -> Config:
    return Config(
        sources=[SourceConfig(name="web", write_key="wk")], destinations=list(destinations)
    )


def event(n: int, user: str = "u1") -> bytes:
    return orjson.dumps({"type": "track", "event": f"e{n}", "userId": user, "messageId": f"m{n}"})


def send_payload(event_bytes: bytes) -> bytes:
    """The webhook `send` action's default payload for an event: `{"data": event}`."""
    return orjson.dumps({"data": orjson.loads(event_bytes)})


async def enqueue(
    state: StateStore, destination: str, events: list[bytes], action: str = "send"
) -> None:
    """Queue events as the router would for the webhook's `send` action (default mapping)."""
    new = []
    for e in events:
        decoded = orjson.loads(e)
        payload = send_payload(e)
        new.append(NewJob(destination, action, decoded["userId"], decoded["messageId"], payload))
    await state.run(lambda conn: jobs.insert(conn, new, time.time()))


@contextlib.asynccontextmanager
async def running(service: DeliveryService) -> AsyncIterator[DeliveryService]:
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    try:
        yield service
    finally:
        stop.set()
        await task


async def eventually(check: Any, timeout: float = 5.0) -> None:
    """Poll an async predicate until it holds."""
    async with asyncio.timeout(timeout):
        while not await check():  # noqa: ASYNC110 - polls the state database
            await asyncio.sleep(0.01)


@pytest.fixture
async def state(tmp_path: Path) -> AsyncIterator[StateStore]:
    store = StateStore(tmp_path / "state.db")
    await store.open()
    yield store
    await store.close()


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with WebhookReceiver() as fake:
        yield fake


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """The client the server makes: every delivery test goes through the outbound policy."""
    async with outbound_client(OutboundSettings()) as http:
        yield http


@pytest.fixture
def ordered_webhook() -> Iterator[str]:
    """A webhook that declares per-user order matters (registered like a plugin would be)."""
    ordered = dataclasses.replace(
        webhook, slug="ordered-webhook", name="Ordered webhook", ordered=True
    )
    with registry.registered(ordered):
        yield ordered.slug
