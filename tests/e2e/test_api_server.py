"""The REST API of a real `eventyard serve`: tokens required, and configuration changes made
through it reach the running pipeline before the answer (no restart)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from e2e.conftest import WRITE_KEY, config_text, delivered_events
from e2e.server_process import ServerProcess
from fakes.webhook_receiver import WebhookReceiver


async def track(http: httpx.AsyncClient, server: ServerProcess, key: str, event: str) -> int:
    response = await http.post(
        f"{server.url}/v1/track", json={"userId": "u1", "event": event}, auth=(key, "")
    )
    return response.status_code


async def test_the_api_needs_a_token_and_the_docs_do_not(
    receiver: WebhookReceiver, start_server: Callable[[str], ServerProcess]
) -> None:
    server = await asyncio.to_thread(start_server, config_text(receiver.url))
    async with httpx.AsyncClient(base_url=server.url) as http:
        refused = await http.get("/api/v1/status")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        ok = await http.get("/api/v1/status", headers=server.headers)
        assert [d["name"] for d in ok.json()["destinations"]] == ["my-hook"]
        spec = (await http.get("/api/openapi.json")).json()
        assert spec["openapi"] == "3.1.0" and "/api/v1/sources" in spec["paths"]
        assert (await http.get("/api/docs")).status_code == 200
        assert (await http.get("/metrics")).status_code == 200


async def test_changes_through_the_api_apply_to_the_running_server(
    receiver: WebhookReceiver, start_server: Callable[[str], ServerProcess]
) -> None:
    server = await asyncio.to_thread(start_server, config_text(receiver.url))
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers) as http:
        created = await http.post("/api/v1/sources", json={"name": "app"})
        assert created.status_code == 201, created.text
        app_key = created.json()["write_key"]
        hook = {
            "name": "app-hook",
            "type": "webhook",
            "sources": ["app"],
            "settings": {"url": receiver.url.replace("/hook", "/app")},
        }
        assert (await http.post("/api/v1/destinations", json=hook)).status_code == 201

        assert await track(http, server, app_key, "From App") == 200
        await receiver.wait_for(1, timeout=10)
        assert [r.path for r in receiver.requests] == ["/app"]

        patched = await http.patch("/api/v1/destinations/my-hook", json={"enabled": False})
        assert patched.json()["enabled"] is False
        rotated = (await http.post("/api/v1/sources/app/rotate-key")).json()["write_key"]
        assert await track(http, server, app_key, "Old Key") == 401
        assert await track(http, server, rotated, "New Key") == 200
        assert await track(http, server, WRITE_KEY, "While Disabled") == 200
        await receiver.wait_for(2, timeout=10)
        await asyncio.sleep(0.5)  # my-hook is disabled: nothing more may arrive
        events = [e["event"] for e in delivered_events(receiver.requests)]
        assert events == ["From App", "New Key"]
