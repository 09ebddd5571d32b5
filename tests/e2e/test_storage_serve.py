"""`eventyard serve` with the archive and the embedded DuckDB warehouse on: the real Segment
client's events become rows in `web.tracks` (read with `eventyard query --json`) and
archive Parquet files that read back, with pyarrow, equal to what was sent."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import orjson
import psycopg
import pyarrow.parquet as pq
from segment.analytics.client import Client

from e2e.conftest import WRITE_KEY, config_text, wait_until
from e2e.server_process import ServerProcess
from e2e.test_cli_trace import cli
from fakes.webhook_receiver import WebhookReceiver

STORAGE = """
archive:
  flush_every: 200ms
warehouses:
  - name: duckdb
    type: duckdb
    interval: 200ms
"""


def _send(url: str) -> list[dict[str, Any]]:
    client = Client(WRITE_KEY, host=url, sync_mode=True, max_retries=1)
    sent = [client.identify("u1", {"email": "ada@example.com", "plan": "pro"})]
    for i in range(6):
        event = "Order Completed" if i % 2 else "Product Viewed"
        sent.append(client.track(f"u{i % 3}", event, {"i": i, "price": 9.5 + i}))
    assert all(ok for ok, _ in sent)
    return [message for _, message in sent]


async def _query(server: ServerProcess, sql: str) -> list[dict[str, Any]]:
    done = await cli("query", "--data-dir", str(server.data_dir), "--json", sql)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


async def test_sdk_events_reach_the_warehouse_and_the_archive(
    receiver: WebhookReceiver, start_server: Callable[[str], ServerProcess]
) -> None:
    server = await asyncio.to_thread(start_server, config_text(receiver.url) + STORAGE)
    sent = await asyncio.to_thread(_send, server.url)
    tracks = [m for m in sent if m["type"] == "track"]

    rows: list[dict[str, Any]] = []
    for _ in range(100):  # the query runs while the server loads every 200ms
        sql = "SELECT event_text, count(*) AS n FROM web.tracks GROUP BY 1 ORDER BY 1"
        done = await cli("query", "--data-dir", str(server.data_dir), "--json", sql)
        rows = _lines(done.stdout) if done.returncode == 0 else []
        if sum(r["n"] for r in rows) == 6:
            break
        await asyncio.sleep(0.1)
    assert rows == [
        {"event_text": "Order Completed", "n": 3},
        {"event_text": "Product Viewed", "n": 3},
    ]
    ids = await _query(server, "SELECT id, user_id, price FROM web.order_completed ORDER BY id")
    expected = sorted(
        (m["messageId"], m["userId"], m["properties"]["price"])
        for m in tracks
        if m["event"] == "Order Completed"
    )
    assert [(r["id"], r["user_id"], r["price"]) for r in ids] == expected
    assert await _query(server, "SELECT email, plan FROM web.users WHERE id = 'u1'") == [
        {"email": "ada@example.com", "plan": "pro"}
    ]

    def archived() -> bool:
        status = server.status()["storage"]
        return status["archive"]["lag"] == 0  # type: ignore[index,call-overload]

    await wait_until(archived, 15, "the archive to catch up")
    table = pq.read_table(server.data_dir / "archive" / "source=web")
    by_id = {row["messageId"]: row for row in table.to_pylist()}
    assert set(by_id) == {m["messageId"] for m in sent}
    for message in sent:
        raw = orjson.loads(by_id[message["messageId"]]["raw"])
        assert by_id[message["messageId"]]["type"] == message["type"]
        assert by_id[message["messageId"]]["userId"] == message["userId"]
        for key in ("type", "userId", "event", "properties", "traits", "anonymousId"):
            assert raw.get(key) == message.get(key), key
        assert raw["receivedAt"] and raw["context"]["library"]["name"] == "analytics-python"

    status = await asyncio.to_thread(server.status)
    storage: Any = status["storage"]
    assert storage["warehouses"][0]["name"] == "duckdb"
    assert storage["warehouses"][0]["lag"] == 0 and storage["warehouses"][0]["last_load_at"]
    assert set(status) >= {"sources", "pipeline", "destinations"}

    refused = await cli("query", "--data-dir", str(server.data_dir), "DROP TABLE web.tracks")
    assert refused.returncode == 2 and "read-only" in refused.stderr
    broken = await cli("query", "--data-dir", str(server.data_dir), "SELECT * FROM web.nope")
    assert broken.returncode == 2 and "nope" in broken.stderr
    assert await asyncio.to_thread(server.stop) == 0


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


async def test_sdk_events_reach_a_postgresql_warehouse(
    receiver: WebhookReceiver, start_server: Callable[[str], ServerProcess], postgres_url: str
) -> None:
    """The scale-out warehouse: the same Segment layout, in the user's own PostgreSQL."""
    storage = (
        "archive:\n  enabled: false\nwarehouses:\n"
        f"  - name: pg\n    type: postgres\n    url: {postgres_url}\n    interval: 200ms\n"
    )
    server = await asyncio.to_thread(start_server, config_text(receiver.url) + storage)
    sent = await asyncio.to_thread(_send, server.url)
    orders = sorted(
        (m["messageId"], m["userId"], m["properties"]["price"])
        for m in sent
        if m.get("event") == "Order Completed"
    )

    async def rows(sql: str) -> list[tuple[Any, ...]]:
        async with await psycopg.AsyncConnection.connect(postgres_url) as conn:
            try:
                return await (await conn.execute(sql)).fetchall()
            except psycopg.errors.UndefinedTable:
                return []

    def loaded() -> bool:
        lag = server.status()["storage"]["warehouses"][0]  # type: ignore[index,call-overload]
        return bool(lag["lag"] == 0 and lag["last_load_at"])

    await wait_until(loaded, 20, "the PostgreSQL warehouse to catch up")
    assert await rows("SELECT count(*) FROM web.tracks") == [(6,)]
    got = await rows("SELECT id, user_id, price FROM web.order_completed ORDER BY id")
    assert got == orders
    assert await rows("SELECT email, plan FROM web.users WHERE id = 'u1'") == [
        ("ada@example.com", "pro")
    ]
    assert await asyncio.to_thread(server.stop) == 0
