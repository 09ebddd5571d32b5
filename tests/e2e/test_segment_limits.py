"""Segment's source-level contract through a real `eventyard serve`: per-source rate limits
(429 with Retry-After and X-RateLimit-Reset, counted in status and /metrics, changed through
the API) and messageId deduplication across a workspace's sources."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from e2e.conftest import WRITE_KEY, config_text, delivered_events, wait_until
from e2e.server_process import ServerProcess
from e2e.test_cli import eventyard
from fakes.webhook_receiver import WebhookReceiver

LIMITED = f"    write_key: {WRITE_KEY}\n    rate_limit: {{events_per_second: 0.1, burst: 2}}\n"


def _track(user: str, message_id: str | None = None) -> dict[str, object]:
    event: dict[str, object] = {"type": "track", "userId": user, "event": "Signed Up"}
    if message_id is not None:
        event["messageId"] = message_id
    return event


async def test_a_source_over_its_rate_limit_gets_429_until_the_api_lifts_it(
    receiver: WebhookReceiver, start_server: Callable[[str], ServerProcess]
) -> None:
    text = config_text(receiver.url).replace(f"    write_key: {WRITE_KEY}\n", LIMITED)
    server = await asyncio.to_thread(start_server, text)
    auth = (WRITE_KEY, "")
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        body = {"batch": [_track("u1"), _track("u2")]}
        assert (await client.post("/v1/batch", json=body, auth=auth)).status_code == 200
        refused = await client.post("/v1/track", json=_track("u3"), auth=auth)
        assert refused.status_code == 429
        assert refused.json()["code"] == "rate_limited"
        # one event at 0.1/s: 10 s from an empty bucket, less what has refilled since
        wait = refused.headers["Retry-After"]
        assert refused.headers["X-RateLimit-Reset"] == wait and 5 <= int(wait) <= 10

        status = await asyncio.to_thread(server.status)
        assert status["sources"] == [{"name": "web", "received": 2, "rate_limited": 1}]
        metrics = (await client.get("/metrics")).text
        assert 'eventyard_events_rate_limited_total{source="web"} 1' in metrics
        table = await asyncio.to_thread(
            eventyard, "status", "--url", server.url, "--token", server.token
        )
        assert "rate limited" in table.stdout

        source = await client.get("/api/v1/sources/web", headers=server.headers)
        doc = source.json()
        assert doc["rate_limit"] == {"events_per_second": 0.1, "burst": 2}
        doc["rate_limit"] = {"events_per_second": 1000}
        changed = await client.put("/api/v1/sources/web", json=doc, headers=server.headers)
        assert changed.status_code == 200, changed.text
        again = await client.post("/v1/track", json=_track("u3"), auth=auth)
        assert again.status_code == 200
        bad = {**doc, "rate_limit": {"events_per_second": 0}}
        refused_change = await client.put("/api/v1/sources/web", json=bad, headers=server.headers)
        assert refused_change.status_code == 400
        assert "rate_limit.events_per_second" in refused_change.json()["message"]


async def test_a_message_id_is_one_event_across_the_workspaces_sources(
    receiver: WebhookReceiver, start_server: Callable[[str], ServerProcess]
) -> None:
    """`web` and `app` share workspace "default"; `shop` lives in workspace "other" (made
    through the API), whose same messageId is its own event."""
    text = (
        config_text(receiver.url)
        .replace("    sources: [web]", "    sources: [web, app]")
        .replace("destinations:", "  - name: app\n    write_key: wk_app\ndestinations:")
    )
    server = await asyncio.to_thread(start_server, text)
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        made = await client.post(
            "/api/v1/workspaces", json={"name": "other"}, headers=server.headers
        )
        assert made.status_code == 201, made.text
        other = {"Authorization": f"Bearer {made.json()['token']}"}
        shop = await client.post(
            "/api/v1/sources", json={"name": "shop", "write_key": "wk_shop"}, headers=other
        )
        assert shop.status_code == 201, shop.text
        hook = {
            "name": "shop-hook",
            "type": "webhook",
            "sources": ["shop"],
            "settings": {"url": receiver.url, "batch_size": 1},
        }
        created = await client.post("/api/v1/destinations", json=hook, headers=other)
        assert created.status_code == 201, created.text

        for key in (WRITE_KEY, "wk_app", "wk_shop", WRITE_KEY):
            body = {"batch": [_track("u1", "order-42")]}
            response = await client.post("/v1/batch", json=body, auth=(key, ""))
            assert response.status_code == 200, response.text
        done = {"batch": [_track("u1", "last")]}
        assert (await client.post("/v1/batch", json=done, auth=(WRITE_KEY, ""))).status_code == 200

    def arrived() -> list[object]:
        return [e["messageId"] for e in delivered_events(receiver.requests)]

    def both_workspaces() -> bool:
        return "last" in arrived() and arrived().count("order-42") >= 2

    await wait_until(both_workspaces, 30, "one order-42 per workspace and the last event")
    await asyncio.sleep(0.3)  # a duplicate would have been routed with them; it would be here
    assert sorted(map(str, arrived())) == ["last", "order-42", "order-42"], arrived()
