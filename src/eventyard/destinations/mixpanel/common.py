"""Helpers every Mixpanel action shares: timestamps, dedup ids, Mixpanel's answer formats."""

from __future__ import annotations

import hashlib
import re
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from eventyard.delivery.http import raise_for_status
from eventyard.errors import TerminalError

__all__ = ["check_verbose", "epoch_ms", "insert_id", "post_json"]

_INSERT_ID = re.compile(r"^[A-Za-z0-9-]{1,36}$")


def epoch_ms(value: str | None) -> int:
    """An ISO-8601 time as milliseconds since the epoch (Mixpanel takes ms); now if absent."""
    if not value:
        return int(time.time() * 1000)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def insert_id(message_id: str) -> str:
    """`$insert_id` from the messageId, stable across retries so Mixpanel deduplicates.

    Mixpanel takes at most 36 characters of [A-Za-z0-9-]; other ids are hashed (its docs'
    advice), so the same messageId always gives the same `$insert_id`.
    """
    if _INSERT_ID.match(message_id):
        return message_id
    return hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:36]


async def post_json(client: httpx.AsyncClient, url: str, body: Any) -> httpx.Response:
    return await client.post(
        url,
        params={"verbose": "1"},
        content=orjson.dumps(body),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )


def check_verbose(response: httpx.Response, what: str) -> None:
    """/track, /engage and /groups answer 200 even for bad data; verbose=1 says why."""
    raise_for_status(response)
    try:
        answer = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        answer = None
    if isinstance(answer, dict) and answer.get("status") == 1:
        return
    reason = answer.get("error") if isinstance(answer, dict) else response.text[:200]
    raise TerminalError(
        f"Mixpanel did not accept the {what}: {reason or 'no reason given'}; "
        "check project_token in the destination settings and the mapped fields"
    )
