"""recent_events: the newest events of some sources, across partitions, from a real SQLite log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest

from eventyard.log import open_log
from eventyard.log.base import Entry, EventLog
from eventyard.ui import recent
from eventyard.ui.recent import recent_events


@pytest.fixture
async def log(tmp_path: Path) -> AsyncIterator[EventLog]:
    opened = open_log(None, tmp_path, 4)
    await opened.open()
    yield opened
    await opened.close()


def entry(n: int, source: str = "web", user: str | None = None) -> Entry:
    body = {"type": "track", "event": f"E{n}", "messageId": f"m{n}", "userId": user or f"u{n}"}
    return Entry(source, user or f"u{n}", f"m{n}", orjson.dumps(body))


async def test_newest_first_across_partitions_only_the_sources_asked(log: EventLog) -> None:
    for n in range(12):
        await log.append([entry(n, "web" if n % 3 else "app")])
    events = await recent_events(log, {"web"})
    assert [e["messageId"] for e in events] == [f"m{n}" for n in reversed(range(12)) if n % 3]
    assert len({e["userId"] for e in events}) == 8  # they came from several partitions
    assert [e["messageId"] for e in await recent_events(log, {"web", "app"}, limit=3)] == [
        "m11",
        "m10",
        "m9",
    ]


async def test_nothing_asked_nothing_read(log: EventLog) -> None:
    await log.append([entry(1)])
    assert await recent_events(log, set()) == []
    assert await recent_events(log, {"web"}, limit=0) == []
    assert await recent_events(log, {"other"}) == []


async def test_records_that_are_not_json_objects_are_skipped(log: EventLog) -> None:
    await log.append([Entry("web", "u", "bad", b"not json"), Entry("web", "u", "list", b"[1]")])
    await log.append([entry(1, user="u")])
    assert [e["messageId"] for e in await recent_events(log, {"web"})] == ["m1"]


async def test_the_scan_is_bounded_when_other_sources_are_busy(
    log: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recent, "SCAN_PER_PARTITION", 20)
    await log.append([entry(0, "rare", user="same")])
    await log.append([entry(n, "busy", user="same") for n in range(1, 40)])
    assert await recent_events(log, {"rare"}) == []  # 39 newer records in its partition
    monkeypatch.setattr(recent, "SCAN_PER_PARTITION", 5000)
    assert [e["messageId"] for e in await recent_events(log, {"rare"})] == ["m0"]
