"""The migration test: the same traffic through a Segment-style route and a direct route, both
in observe mode, then `eventyard compare` says whether it is safe to cut over.

The Segment-style route is what running beside Segment looks like: a Webhooks destination
signs each event with a shared secret (X-Signature, HMAC-SHA1) and posts it to
`/v1/segment-webhook/segment`. Here eventyard's own `webhook` destination plays Segment's
(it signs the same way), forwarding what the real Segment Python client sent to the `web`
source. The direct route is the `web` source itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from segment.analytics.client import Client

from e2e.conftest import WRITE_KEY
from e2e.conversions_case import compare, wait_for_ledger
from e2e.server_process import ServerProcess, free_port
from fakes.meta_conversions_api import MetaFake

SEGMENT_SECRET = "segment-webhook-shared-secret"


def _config(port: int, fake: MetaFake) -> str:
    meta = {"pixel_id": fake.pixel_id, "access_token": fake.token, "api_base_url": fake.url}
    settings = orjson.dumps(meta).decode()
    forward = f"http://127.0.0.1:{port}/v1/segment-webhook/segment"
    return f"""
sources:
  - name: web
    write_key: {WRITE_KEY}
  - name: segment
    write_key: wk_segment_forwarded
    webhook_secret: {SEGMENT_SECRET}
destinations:
  - name: segment-webhooks
    type: webhook
    sources: [web]
    settings: {{url: "{forward}", shared_secret: {SEGMENT_SECRET}}}
  - name: via-segment
    type: meta-conversions-api
    consent_categories: [Advertising]
    sources: [segment]
    mode: observe
    settings: {settings}
  - name: direct
    type: meta-conversions-api
    consent_categories: [Advertising]
    sources: [web]
    mode: observe
    settings: {settings}
  - name: missing-one
    type: meta-conversions-api
    consent_categories: [Advertising]
    sources: [segment]
    mode: observe
    filter: 'properties.order_id != "o-3"'
    settings: {settings}
"""


def _traffic(url: str) -> list[dict[str, Any]]:
    client = Client(WRITE_KEY, host=url, sync_mode=True, max_retries=1)
    denied = {"consent": {"categoryPreferences": {"Advertising": False}}}
    email = {"traits": {"email": "ada@example.com", "phone": "+1 415 555 0100"}}
    calls = [
        client.identify("u1", {"email": "ada@example.com"}),
        client.track("u1", "Order Completed", {"order_id": "o-1", "revenue": 100}, email),
        client.track(
            "u2", "Order Completed", {"order_id": "o-2", "total": 20.5, "currency": "EUR"}
        ),
        client.track("u3", "Order Completed", {"order_id": "o-3", "revenue": 7}),
        client.track("u4", "Lead Generated", {"form": "demo"}),
        client.track("u5", "Order Completed", {"order_id": "o-5", "revenue": 9}, denied),
        client.track("u1", "Page Scrolled", {"depth": 50}),
    ]
    assert all(ok for ok, _ in calls)
    return [message for _, message in calls]


@pytest.fixture
def server_at(tmp_path: Path) -> Iterator[list[ServerProcess]]:
    started: list[ServerProcess] = []
    yield started
    for server in started:
        server.kill()


def _start(tmp_path: Path, fake: MetaFake, started: list[ServerProcess]) -> ServerProcess:
    """The server on a port chosen first: its own webhook destination posts to it."""
    port = free_port()
    path = tmp_path / "eventyard.yaml"
    path.write_text(_config(port, fake))
    server = ServerProcess(config=path, data_dir=tmp_path / "data", port=port)
    started.append(server)
    return server.start()


async def test_segment_and_direct_routes_compare_equal_and_a_gap_is_found(
    tmp_path: Path, server_at: list[ServerProcess]
) -> None:
    since = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    data_dir = tmp_path / "data"
    async with MetaFake() as fake:
        server = await asyncio.to_thread(_start, tmp_path, fake, server_at)

        await asyncio.to_thread(_traffic, server.url)
        # 4 conversions + 1 consent suppression per route; missing-one filters out o-3
        expected = {"direct": 5, "via-segment": 5, "missing-one": 4}
        await wait_for_ledger(data_dir, expected)

        code, output = await asyncio.to_thread(compare, data_dir, "via-segment", "direct", since)
        assert code == 0, output
        assert "the routes agree" in output

        code, output = await asyncio.to_thread(
            compare, data_dir, "via-segment", "direct", since, "--json"
        )
        report = orjson.loads(output)
        assert report["equal"] is True
        route = report["a"]
        assert route["events"] == {"lead": 1, "purchase": 3}
        assert route["values"] == {"EUR": 20.5, "USD": 107.0}
        assert route["suppressed"] == {"consent denied for Advertising": 1}
        assert report["dedup_keys"]["both"] == 4
        assert route["match_quality"] == report["b"]["match_quality"] is not None

        code, output = await asyncio.to_thread(compare, data_dir, "missing-one", "direct", since)
        assert code == 1, output
        assert "1 event_id(s) only in direct, e.g. purchase:o-3" in output
        assert "conversions purchase: 2 in missing-one, 3 in direct" in output

        assert fake.requests == []  # observe mode sends nothing
        assert server.stop() == 0
