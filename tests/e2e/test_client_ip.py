"""context.ip through the real server: X-Forwarded-For counts only from trusted proxies, and
only client-side events (here: a browser's) get an address at all."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from e2e.conftest import WRITE_KEY, config_text, delivered_events
from e2e.server_process import ServerProcess
from fakes.webhook_receiver import WebhookReceiver


@pytest.mark.parametrize(
    ("server_section", "expected_ip"),
    [
        ("", "127.0.0.1"),  # nobody is trusted: the header is a client's claim, ignored
        ("server:\n  trusted_proxies: [127.0.0.1/32]\n", "203.0.113.9"),
    ],
)
async def test_forwarded_for_is_believed_only_from_configured_proxies(
    receiver: WebhookReceiver,
    start_server: Callable[[str], ServerProcess],
    server_section: str,
    expected_ip: str,
) -> None:
    server = await asyncio.to_thread(start_server, server_section + config_text(receiver.url))
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{server.url}/v1/t",  # analytics.js's path: a browser's address is the user's
            json={"userId": "u1", "event": "Signed Up"},
            auth=(WRITE_KEY, ""),
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
    assert response.status_code == 200
    (event,) = delivered_events(await receiver.wait_for(1, timeout=10))
    assert event["context"]["ip"] == expected_ip
