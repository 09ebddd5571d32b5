"""test_connection for ad platforms: one page view through the destination's own action.

Most ad platforms have no cheap check of a token, only a test mode that validates events and
records none (Snap's /events/validate, Pinterest's ?test=true, TikTok's test_event_code,
Reddit's test_id). Sending one page view there through the action itself checks the
credentials, the ids in the URL and the event exactly as real conversions will be built, and
fails with the action's own messages.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from eventyard.destinations.base import ActionDefinition, TestConnection

__all__ = ["probe_connection"]

_PROBE_ID = "eventyard-connection-test"
_PAGE = "https://eventyard.invalid/connection-test"


def _probe_payload() -> dict[str, Any]:
    """A mapped payload: a page view now, from a documentation address (192.0.2.1)."""
    conversion = {
        "name": "page_view",
        "event_id": _PROBE_ID,
        "timestamp": time.time(),
        "action_source": "website",
        "page_url": _PAGE,
        "ip": "192.0.2.1",
        "user_agent": "eventyard connection test",
    }
    return {"conversion": conversion, "event_id": _PROBE_ID, "event_source_url": _PAGE}


def probe_connection(action: ActionDefinition, test_mode: Callable[[Any], Any]) -> TestConnection:
    """Sends the probe through `action` with the settings `test_mode` returns (which raises
    TerminalError, saying what to set, when the settings cannot test without recording)."""

    async def test_connection(client: httpx.AsyncClient, settings: Any) -> None:
        await action.perform(client, test_mode(settings), _probe_payload())

    return test_connection
