"""Fixtures for storage tests: a SQLite event log, SDK-shaped events, a local S3 server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest

from eventyard.log.base import Entry
from eventyard.log.sqlite import SQLiteLog
from eventyard.testing.events import make_event

PARTITIONS = 4


def sdk_event(i: int, **overrides: Any) -> dict[str, Any]:
    """An enriched event as analytics-python's track/identify would produce it."""
    fields: dict[str, Any] = {
        "messageId": f"msg-{i:06d}",
        "userId": f"user-{i % 7}",
        "event": "Order Completed",
        "properties": {"orderId": f"o-{i}", "revenue": 10 + i, "currency": "EUR"},
        "context": {
            **make_event()["context"],
            "library": {"name": "analytics-python", "version": "2.4.0"},
        },
    }
    fields.update(overrides)
    return make_event(**fields)


def entry(event: dict[str, Any], source: str = "web") -> Entry:
    key = str(event.get("userId") or event.get("anonymousId") or "")
    return Entry(source, key, str(event["messageId"]), orjson.dumps(event))


async def append(log: SQLiteLog, events: Sequence[dict[str, Any]], source: str = "web") -> None:
    await log.append([entry(e, source) for e in events])


@pytest.fixture
async def event_log(tmp_path: Path) -> AsyncIterator[SQLiteLog]:
    log = SQLiteLog(tmp_path / "log.sqlite", PARTITIONS)
    await log.open()
    try:
        yield log
    finally:
        await log.close()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3-compatible server on 127.0.0.1 (a random free port)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
