"""Configuration changes apply to a running router, delivery service and tracking API."""

from __future__ import annotations

import httpx
import msgspec

from delivery.conftest import eventually, hook, make_config, running
from eventyard.control.config import Config, SourceConfig
from eventyard.control.live import LiveConfig
from eventyard.delivery import DeliveryService, StateStore
from eventyard.ingest.app import create_app
from eventyard.pipeline import Router
from fakes.webhook_receiver import WebhookReceiver
from pipeline.conftest import MemoryLog
from pipeline.test_router import entry, routing


def with_destinations(config: Config, *dests: object) -> Config:
    return msgspec.structs.replace(config, destinations=list(dests))  # type: ignore[arg-type]


async def test_router_and_delivery_follow_added_changed_and_removed_destinations(
    state: StateStore, memory_log: MemoryLog, receiver: WebhookReceiver, client: httpx.AsyncClient
) -> None:
    config = make_config(hook("a", receiver.base_url + "/a"))
    live = LiveConfig(config)
    service = DeliveryService(config, state, client)
    router = Router(config, memory_log, state, on_enqueued=service.notify, idle_wait=0.05)
    live.subscribe(router.reconfigure)
    live.subscribe(service.reconfigure)

    def paths() -> list[str]:
        return sorted(r.path for r in receiver.requests)

    async def got(expected: list[str]) -> bool:
        return paths() == expected

    async with running(service), routing(router):
        await memory_log.append([entry("m1")])
        await eventually(lambda: got(["/a"]))

        # a new destination and a changed URL, without a restart
        live.publish(
            with_destinations(
                config, hook("a", receiver.base_url + "/a2"), hook("b", receiver.base_url + "/b")
            )
        )
        await memory_log.append([entry("m2")])
        await eventually(lambda: got(["/a", "/a2", "/b"]))

        # disabling stops routing and delivery to it; the other one goes on
        live.publish(
            with_destinations(
                config,
                hook("a", receiver.base_url + "/a2", enabled=False),
                hook("b", receiver.base_url + "/b"),
            )
        )
        await memory_log.append([entry("m3")])
        await eventually(lambda: got(["/a", "/a2", "/b", "/b"]))
    assert set(service.workers) == {"b"}  # "a" was disabled
    statuses = {s.name: s for s in await DeliveryService(live.current, state, client).status()}
    assert statuses["b"].delivered == 2 and statuses["b"].pending == 0


async def test_tracking_api_follows_new_and_rotated_write_keys(memory_log: MemoryLog) -> None:
    config = Config(sources=[SourceConfig(name="web", write_key="old")])
    live = LiveConfig(config)
    app = create_app(config, memory_log, live=live)
    body = {"type": "track", "event": "x", "userId": "u"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        assert (await http.post("/v1/track", json=body, auth=("old", ""))).status_code == 200
        rotated = [
            SourceConfig(name="web", write_key="new"),
            SourceConfig(name="app", write_key="k2"),
        ]
        live.publish(msgspec.structs.replace(config, sources=rotated))
        refused = await http.post("/v1/track", json=body, auth=("old", ""))
        assert refused.status_code == 401
        assert (await http.post("/v1/track", json=body, auth=("new", ""))).status_code == 200
        assert (await http.post("/v1/track", json=body, auth=("k2", ""))).status_code == 200
    sources = [r.source for part in memory_log.records for r in part]
    assert sorted(sources) == ["app", "web", "web"]
