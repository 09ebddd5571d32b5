"""`eventyard serve` posts to a live fake of Slack's incoming webhooks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import pytest
from segment.analytics.client import Client

from e2e.conftest import WRITE_KEY, wait_until
from e2e.server_process import ServerProcess
from fakes.slack import HOOK_PATH, SlackWebhooks


def config(slack: SlackWebhooks) -> str:
    mapping = {"url": slack.hook_url, "channel": {"@path": "$.properties.channel"}}
    return f"""
sources:
  - name: web
    write_key: {WRITE_KEY}
destinations:
  - name: chat
    type: slack
    sources: [web]
    settings:
      endpoint: {slack.endpoint}
    actions:
      postToChannel:
        mapping: {orjson.dumps(mapping).decode()}
    delivery:
      backoff_initial: 50ms
      backoff_max: 500ms
"""


@pytest.fixture
async def slack() -> AsyncIterator[SlackWebhooks]:
    async with SlackWebhooks() as fake:
        yield fake


def track(url: str, event: str, channel: str) -> None:
    client = Client(WRITE_KEY, host=url, sync_mode=True, max_retries=1)
    ok, _ = client.track("ada", event, {"channel": channel})
    assert ok


def status_of(server: ServerProcess) -> dict[str, Any]:
    destinations = server.status()["destinations"]
    assert isinstance(destinations, list) and len(destinations) == 1
    dest: dict[str, Any] = destinations[0]
    return dest


async def test_post_rate_limit_and_dead_letter(
    slack: SlackWebhooks, start_server: Callable[[str], ServerProcess]
) -> None:
    server = await asyncio.to_thread(start_server, config(slack))

    await asyncio.to_thread(track, server.url, "Signed Up", "general")
    (request,) = await slack.wait_for(1, timeout=10)
    assert request.path == HOOK_PATH
    assert orjson.loads(request.body) == {
        "channel": "general",
        "text": "Signed Up by ada",
        "username": "Segment",
        "icon_url": "https://logo.clearbit.com/segment.com",
    }

    slack.rate_limit(1, retry_after=0)
    await asyncio.to_thread(track, server.url, "Order Completed", "alerts")
    await slack.wait_for(3, timeout=10)
    assert [m["text"] for m in slack.messages()[1:]] == ["Order Completed by ada"] * 2

    await asyncio.to_thread(track, server.url, "Refund", "nowhere")
    await wait_until(lambda: status_of(server)["dead"] == 1, 10, "a dead letter")
    await asyncio.sleep(0.3)  # a retry, if any, would arrive now
    assert len(slack.requests) == 4
    dest = status_of(server)
    assert dest["delivered"] == 2 and dest["dead"] == 1
    assert "channel_not_found" in str(dest["last_error"])
    assert "XXXXXXXX" not in str(dest["last_error"])
