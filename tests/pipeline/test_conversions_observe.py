"""Observe mode: payloads are built and kept, nothing is sent, and it shows in trace and metrics."""

from __future__ import annotations

import sqlite3

import httpx
import orjson

from delivery.conftest import eventually, running
from eventyard.control.config import Config, DestinationConfig, SourceConfig
from eventyard.control.live import LiveConfig
from eventyard.conversions import store
from eventyard.delivery import DeliveryService, StateStore, trace
from eventyard.delivery.metrics import render_prometheus
from eventyard.pipeline import Router
from fakes.webhook_receiver import WebhookReceiver
from pipeline.conftest import MemoryLog
from pipeline.conversion_world import entry
from pipeline.test_router import routing


def hooks(receiver: WebhookReceiver, mode: str) -> Config:
    def dest(name: str, mode: str) -> DestinationConfig:
        url = f"{receiver.base_url}/{name}"
        return DestinationConfig(
            name=name, type="webhook", sources=["web"], settings={"url": url}, mode=mode
        )

    return Config(
        sources=[SourceConfig(name="web", write_key="wk")],
        destinations=[dest("watch", mode), dest("live", "send")],
        warehouses=[],
    )


async def test_observe_mode_keeps_payloads_and_sends_nothing(
    state: StateStore, memory_log: MemoryLog, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    config = hooks(receiver, "observe")
    live = LiveConfig(config)
    service = DeliveryService(config, state, client)
    router = Router(config, memory_log, state, on_enqueued=service.notify, idle_wait=0.05)
    live.subscribe(router.reconfigure)
    live.subscribe(service.reconfigure)

    async def kept() -> bool:
        rows = await state.run(lambda conn: store.observed(conn, "watch", 10))
        return len(rows) == 2

    async with running(service), routing(router):
        await memory_log.append([entry("m1", userId="u1", event="A")])
        await memory_log.append([entry("m2", userId="u2", event="B")])
        await eventually(kept)
        await receiver.wait_for(2)
        assert sorted(r.path for r in receiver.requests) == ["/live", "/live"]

        rows = await state.run(lambda conn: store.observed(conn, "watch", 10))
        assert [(r.action, r.message_id) for r in rows] == [("send", "m2"), ("send", "m1")]
        assert orjson.loads(rows[0].payload)["data"]["event"] == "B"
        steps = await state.run(lambda conn: trace.steps_for(conn, "m1"))
        watched = [(s.step, s.detail) for s in steps if s.destination == "watch"]
        assert watched[0][0] == "queued"
        assert watched[1][0] == "observed"
        assert watched[1][1].startswith("observe mode: payload kept (")

        async def settled() -> bool:  # the live answers are settled just after they arrive
            return all(s.pending == 0 for s in await service.status())

        await eventually(settled)
        statuses = await service.status()
        assert {s.name: s.pending for s in statuses} == {"watch": 0, "live": 0}
        metrics = render_prometheus(await state.run(trace.counts), statuses)
        assert (
            'eventyard_events_total{destination="watch",action="send",step="observed",reason=""} 2'
            in metrics
        )

        # switching to send delivers the next events for real, without a restart
        live.publish(hooks(receiver, "send"))
        await memory_log.append([entry("m3", userId="u3", event="C")])
        await receiver.wait_for(4)
        assert sorted(r.path for r in receiver.requests) == ["/live", "/live", "/live", "/watch"]
        assert len(await state.run(lambda conn: store.observed(conn, "watch", 10))) == 2


async def test_observed_payloads_are_forgotten_after_the_trace_retention(state: StateStore) -> None:
    def keep(conn: sqlite3.Connection) -> None:
        store.keep_observed(conn, "watch", [("send", "old", b"{}")], 1000.0)
        store.keep_observed(conn, "watch", [("send", "new", b"{}")], 5000.0)

    await state.run(keep)
    removed = await state.run(lambda conn: store.purge(conn, 6000.0, 1.0, 2000.0))
    assert removed == 1
    rows = await state.run(lambda conn: store.observed(conn, "watch", 10))
    assert [row.message_id for row in rows] == ["new"]
