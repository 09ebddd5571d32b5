"""The schema stage in the running router: a source without any destination is still read
and counted, and a blocked event of such a source is counted as blocked."""

from __future__ import annotations

import time

from delivery.conftest import eventually
from eventyard.control.config import Config, SourceConfig, SourceSchema
from eventyard.delivery import StateStore
from eventyard.pipeline import Router
from eventyard.protocols import schema_store
from pipeline.conftest import MemoryLog
from pipeline.test_router import entry, routing


async def test_a_source_without_destinations_is_counted_by_the_running_router(
    state: StateStore, memory_log: MemoryLog
) -> None:
    schema = SourceSchema(blocked_events=["Blocked"])
    config = Config(sources=[SourceConfig(name="web", write_key="wk", schema=schema)])
    router = Router(config, memory_log, state, on_enqueued=lambda: None, idle_wait=0.05)
    events = [entry(f"m{n}", event="Viewed", properties={"sku": "A", "n": n}) for n in range(30)]
    events.append(entry("b1", event="Blocked"))
    async with routing(router):
        await memory_log.append(events)

        async def counted() -> bool:
            rows = await state.run(lambda c: schema_store.read_schema(c, "web", time.time()))
            return {(r.event, r.path): (r.month, r.blocked) for r in rows} == {
                ("Viewed", ""): (30, 0),
                ("Viewed", "properties.sku"): (30, 0),
                ("Viewed", "properties.n"): (30, 0),
                ("Blocked", ""): (1, 1),
            }

        await eventually(counted)
