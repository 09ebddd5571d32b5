"""The router: fan-out to connected destinations, integrations, dedup, crash safety."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from delivery.conftest import eventually, hook, make_config, running
from eventyard.control.config import Config, PipelineSettings, SourceConfig
from eventyard.control.duration import Duration
from eventyard.delivery import DeliveryService, StateStore
from eventyard.log.base import Entry
from eventyard.pipeline import Router
from fakes.webhook_receiver import WebhookReceiver
from pipeline.conftest import MemoryLog

URL = "http://127.0.0.1:9/unused"


def entry(message_id: str, source: str = "web", user: str = "u1", **extra: Any) -> Entry:
    payload = orjson.dumps({"type": "track", "messageId": message_id, "userId": user, **extra})
    return Entry(source, user, message_id, payload)


def two_sources(config: Config) -> Config:
    config.sources.append(SourceConfig(name="app", write_key="wk2"))
    return config


async def pending(state: StateStore, config: Config) -> dict[str, int]:
    async with httpx.AsyncClient() as http:
        service = DeliveryService(config, state, http)
        return {s.name: s.pending for s in await service.status()}


async def route_all(router: Router, log: MemoryLog) -> int:
    return sum([await router.process(part) for part in log.records if part])


@contextlib.asynccontextmanager
async def routing(router: Router) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(router.run(stop))
    try:
        yield
    finally:
        stop.set()
        await task


async def test_fans_out_to_enabled_connected_destinations_only(
    state: StateStore, memory_log: MemoryLog
) -> None:
    config = two_sources(
        make_config(hook("a", URL), hook("b", URL), hook("off", URL, enabled=False))
    )
    config.destinations.append(hook("app-only", URL))
    config.destinations[-1].sources[:] = ["app"]
    router = Router(config, memory_log, state, on_enqueued=lambda: None)
    await memory_log.append([entry("m1"), entry("m2", user="u2")])
    assert await route_all(router, memory_log) == 4
    assert await pending(state, config) == {"a": 2, "b": 2, "off": 0, "app-only": 0}


@pytest.mark.parametrize(
    ("integrations", "expected"),
    [
        ({"All": False, "b": True}, {"a": 0, "b": 1}),
        ({"a": False}, {"a": 0, "b": 1}),
        ({"All": False}, {"a": 0, "b": 0}),
        ({"A": False, "b": {"option": 1}}, {"a": 1, "b": 1}),  # names are case-sensitive
    ],
)
async def test_integrations_object_opts_out_and_in(
    state: StateStore, memory_log: MemoryLog, integrations: Any, expected: dict[str, int]
) -> None:
    config = make_config(hook("a", URL), hook("b", URL))
    router = Router(config, memory_log, state, on_enqueued=lambda: None)
    await memory_log.append([entry("m1", integrations=integrations)])
    await route_all(router, memory_log)
    assert await pending(state, config) == expected


async def test_dedup_drops_repeat_within_window_and_allows_it_after(
    state: StateStore, memory_log: MemoryLog
) -> None:
    config = make_config(hook("a", URL))
    config.pipeline = PipelineSettings(dedup_window=Duration(0.3))
    router = Router(config, memory_log, state, on_enqueued=lambda: None)
    await memory_log.append([entry("m1"), entry("m1"), entry("m2")])
    assert await route_all(router, memory_log) == 2
    memory_log.records = [[] for _ in memory_log.records]
    await memory_log.append([entry("m1")])
    assert await route_all(router, memory_log) == 0
    await asyncio.sleep(0.35)
    memory_log.records = [[] for _ in memory_log.records]
    await memory_log.append([entry("m1")])
    assert await route_all(router, memory_log) == 1
    assert await pending(state, config) == {"a": 3}


async def test_crash_between_state_and_log_commit_queues_no_duplicates(
    state: StateStore, memory_log: MemoryLog
) -> None:
    config = make_config(hook("a", URL))
    router = Router(config, memory_log, state, on_enqueued=lambda: None, idle_wait=0.05)
    await memory_log.append([entry("m1"), entry("m2")])
    memory_log.fail_commits = 1
    with pytest.raises(ConnectionError):
        await route_all(router, memory_log)
    assert await memory_log.committed("pipeline", 0) == 0
    # After restart the router re-reads from the committed offset (0): same records again.
    async with routing(router):

        async def caught_up() -> bool:
            return await memory_log.committed("pipeline", 0) == 2

        await eventually(caught_up)
    assert await pending(state, config) == {"a": 2}


async def test_unconnected_source_is_skipped_without_dedup(
    state: StateStore, memory_log: MemoryLog
) -> None:
    config = two_sources(make_config(hook("a", URL)))
    router = Router(config, memory_log, state, on_enqueued=lambda: None)
    await memory_log.append([entry("m1", source="app")])
    assert await route_all(router, memory_log) == 0
    # The same messageId on the connected source is new: the first one was never recorded.
    await memory_log.append([entry("m1", source="web", user="u9")])
    memory_log.records[0] = [r for r in memory_log.records[0] if r.source == "web"]
    memory_log.records[1] = [r for r in memory_log.records[1] if r.source == "web"]
    assert await route_all(router, memory_log) == 1


async def test_run_delivers_end_to_end_and_applies_retention(
    state: StateStore, memory_log: MemoryLog, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    config = make_config(hook("a", receiver.url))
    service = DeliveryService(config, state, client)
    router = Router(config, memory_log, state, on_enqueued=service.notify)
    async with running(service), routing(router):
        await memory_log.append([entry(f"m{i}", user=f"u{i}") for i in range(20)])
        await receiver.wait_for(20, timeout=2.0)
    assert sorted(orjson.loads(r.body)["messageId"] for r in receiver.requests) == sorted(
        f"m{i}" for i in range(20)
    )
    assert memory_log.trims, "log retention never ran"


async def test_with_no_destination_connected_the_log_is_passed_without_routing(
    state: StateStore, memory_log: MemoryLog
) -> None:
    """Offsets still advance, so log retention can trim what nobody will read."""
    await memory_log.append([entry(f"m{i}", user=f"u{i}") for i in range(20)])
    router = Router(make_config(), memory_log, state, on_enqueued=lambda: None, idle_wait=0.01)

    async def caught_up() -> bool:
        ends = await memory_log.end_offsets()
        return [await memory_log.committed("pipeline", p) for p in range(len(ends))] == ends

    async with routing(router):
        await eventually(caught_up)
    assert await pending(state, make_config()) == {}
    assert sum(await memory_log.end_offsets()) == 20
