"""Issue 13.11 through a real `eventyard serve` and its DuckDB warehouse: analytics-python's
long string cut to Segment's 512 characters, Segment's `uuid` on every row, and
`original_timestamp` empty for an HTTP API call without a time or with one that is no time
(its text kept in `context_invalid_timestamp`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
from segment.analytics.client import Client

from e2e.conftest import WRITE_KEY, config_text
from e2e.server_process import ServerProcess
from e2e.test_cli_trace import cli
from fakes.webhook_receiver import WebhookReceiver

STORAGE = """
warehouses:
  - name: duckdb
    type: duckdb
    interval: 200ms
"""


def _send(url: str) -> dict[str, Any]:
    """One track from analytics-python (it always sends a time), two from a hand-written
    HTTP API caller: without a timestamp, and with one that is no ISO-8601 time."""
    client = Client(WRITE_KEY, host=url, sync_mode=True, max_retries=1)
    ok, message = client.track("u1", "Note Saved", {"body": "x" * 700, "n": 1})
    assert ok
    for number, extra in ((2, {}), (3, {"timestamp": "last tuesday"})):
        body = {"userId": "u1", "event": "Note Saved", "messageId": f"http-{number}"} | extra
        answer = httpx.post(f"{url}/v1/track", json=body, auth=(WRITE_KEY, ""), timeout=5)
        assert answer.status_code == 200, answer.text
    return dict(message)


async def _rows(server: ServerProcess, sql: str, count: int) -> list[dict[str, Any]]:
    """The statement's rows once it returns `count` of them (the server loads every 200ms)."""
    rows: list[dict[str, Any]] = []
    async with asyncio.timeout(20):
        while len(rows) != count:
            await asyncio.sleep(0.1)
            done = await cli("query", "--data-dir", str(server.data_dir), "--json", sql)
            lines = done.stdout.splitlines() if done.returncode == 0 else []
            rows = [json.loads(line) for line in lines]
    return rows


async def test_segment_warehouse_columns(
    receiver: WebhookReceiver, start_server: Callable[[str], ServerProcess]
) -> None:
    server = await asyncio.to_thread(start_server, config_text(receiver.url) + STORAGE)
    sent = await asyncio.to_thread(_send, server.url)
    rows = await _rows(
        server,
        "SELECT id, uuid, original_timestamp IS NULL AS no_time, context_invalid_timestamp, "
        "length(body) AS body FROM web.note_saved",
        3,
    )
    found = {r["id"]: (r["no_time"], r["context_invalid_timestamp"], r["body"]) for r in rows}
    assert found == {
        "http-2": (True, None, None),
        "http-3": (True, "last tuesday", None),
        sent["messageId"]: (False, None, 512),
    }
    assert len({r["uuid"] for r in rows}) == 3 and all(r["uuid"] > 0 for r in rows)
    assert server.stop() == 0
