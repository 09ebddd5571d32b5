"""`eventyard serve` posts to a live fake of Slack's incoming webhooks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import orjson
import pytest

from e2e.conftest import wait_until
from e2e.destination_case import config, destination_status, track
from e2e.server_process import ServerProcess
from fakes.slack import HOOK_PATH, SlackWebhooks


def _config(slack: SlackWebhooks) -> str:
    mapping = {"url": slack.hook_url, "channel": {"@path": "$.properties.channel"}}
    return config("chat", "slack", {"endpoint": slack.endpoint}, {"postToChannel": mapping})


@pytest.fixture
async def slack() -> AsyncIterator[SlackWebhooks]:
    async with SlackWebhooks() as fake:
        yield fake


def _track(url: str, event: str, channel: str) -> None:
    track(url, "ada", event, {"channel": channel})


async def test_post_rate_limit_and_dead_letter(
    slack: SlackWebhooks, start_server: Callable[[str], ServerProcess]
) -> None:
    server = await asyncio.to_thread(start_server, _config(slack))

    await asyncio.to_thread(_track, server.url, "Signed Up", "general")
    (request,) = await slack.wait_for(1, timeout=10)
    assert request.path == HOOK_PATH
    assert orjson.loads(request.body) == {
        "channel": "general",
        "text": "Signed Up by ada",
        "username": "Segment",
        "icon_url": "https://logo.clearbit.com/segment.com",
    }

    slack.rate_limit(1, retry_after=0)
    await asyncio.to_thread(_track, server.url, "Order Completed", "alerts")
    await slack.wait_for(3, timeout=10)
    assert [m["text"] for m in slack.messages()[1:]] == ["Order Completed by ada"] * 2

    await asyncio.to_thread(_track, server.url, "Refund", "nowhere")
    await wait_until(lambda: destination_status(server)["dead"] == 1, 10, "a dead letter")
    await asyncio.sleep(0.3)  # a retry, if any, would arrive now
    assert len(slack.requests) == 4
    dest = destination_status(server)
    assert dest["delivered"] == 2 and dest["dead"] == 1
    assert "channel_not_found" in str(dest["last_error"])
    assert "XXXXXXXX" not in str(dest["last_error"])
