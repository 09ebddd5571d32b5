"""A replay under test: a config with two webhooks, a "day" of archived events, state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from eventyard.control.config import Config, parse_config
from eventyard.delivery.state import StateStore
from eventyard.log.sqlite import SQLiteLog
from eventyard.storage import Archiver
from storage.conftest import append, sdk_event

DAY = datetime(2026, 3, 4, tzinfo=UTC)

CONFIG = """
sources:
  - {name: web, write_key: k1}
destinations:
  - name: hook-a
    type: webhook
    sources: [web]
    settings: {url: "http://127.0.0.1:9/a"}
  - name: hook-b
    type: webhook
    sources: [web]
    filter: properties.revenue > 100
    settings: {url: "http://127.0.0.1:9/b"}
  - name: hook-off
    type: webhook
    sources: [web]
    enabled: false
    settings: {url: "http://127.0.0.1:9/c"}
"""


def config() -> Config:
    return parse_config(CONFIG)


def day_of_events(count: int, users: int = 7) -> list[dict[str, Any]]:
    """`count` events spread over DAY, `users` users, each with a per-user sequence number."""
    step = timedelta(days=1) / count
    events = []
    for i in range(count):
        at = DAY + step * i
        event = sdk_event(i, userId=f"user-{i % users}", receivedAt=at.isoformat())
        event["properties"]["seq"] = i // users
        event["event"] = "Order Completed" if i % 3 else "Cart Viewed"
        events.append(event)
    return events


async def archive(log: SQLiteLog, root: Path, events: Sequence[dict[str, Any]]) -> None:
    await append(log, events)
    await Archiver(log, str(root), consumer="seed").catch_up()


async def queued(state: StateStore, destination: str) -> list[tuple[str, dict[str, Any]]]:
    """(user_key, mapped payload) of a destination's queued jobs, in queue order."""

    def read(conn: Any) -> list[tuple[str, bytes]]:
        return conn.execute(
            "SELECT user_key, payload FROM jobs WHERE destination = ? ORDER BY id", (destination,)
        ).fetchall()

    return [(key, orjson.loads(payload)) for key, payload in await state.run(read)]
