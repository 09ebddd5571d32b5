"""The archive: log -> Parquet by source and hour, read back equal, crash-safe, compacted."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest

from eventyard.log.sqlite import SQLiteLog
from eventyard.storage import Archiver, compact, read_archive
from eventyard.storage.archive_files import visible_files
from eventyard.storage.errors import StorageError
from eventyard.storage.fs import open_store
from storage.conftest import append, sdk_event

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 2, tzinfo=UTC)


def _files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.parquet"))


async def test_round_trip_equals_what_was_appended(event_log: SQLiteLog, tmp_path: Path) -> None:
    events = [sdk_event(i) for i in range(50)]
    events.append(sdk_event(50, type="identify", event=None, traits={"email": "a@b.c"}))
    await append(event_log, events)
    root = tmp_path / "archive"
    archiver = Archiver(event_log, str(root))
    assert await archiver.catch_up() == 51

    files = _files(root)
    assert files and all(pq.read_metadata(f).row_group(0).column(0).compression == "ZSTD"
                          for f in files)  # fmt: skip
    table = pq.read_table(root / "source=web").to_pylist()  # hive layout, read by pyarrow
    assert len(table) == 51
    by_id = {row["messageId"]: row for row in table}
    for event in events:
        row = by_id[event["messageId"]]
        assert orjson.loads(row["raw"]) == event
        assert row["type"] == event["type"]
        assert row["event"] == event.get("event")
        assert row["userId"] == event["userId"]
        assert row["anonymousId"] == event["anonymousId"]
        assert row["receivedAt"] == datetime(2026, 1, 1, 12, 0, 0, 100000, tzinfo=UTC)
        assert row["timestamp"] == datetime(2026, 1, 1, 12, tzinfo=UTC)
        assert str(row["date"]) == "2026-01-01" and str(row["hour"]) == "12"
    assert sorted(r["offset"] for r in table if r["partition"] == 0) == list(
        range(1, 1 + sum(1 for r in table if r["partition"] == 0))
    )
    assert [await event_log.committed("archive", p) for p in range(4)] == (
        await event_log.end_offsets()
    )

    back = read_archive(str(root), "web", START, END)
    assert sorted(back["messageId"].to_pylist()) == sorted(e["messageId"] for e in events)


async def test_hour_and_source_partitioning(event_log: SQLiteLog, tmp_path: Path) -> None:
    early = [sdk_event(i, receivedAt="2026-01-01T09:59:59.999Z") for i in range(5)]
    late = [sdk_event(i, receivedAt="2026-01-01T10:00:00.000Z") for i in range(5, 8)]
    await append(event_log, early + late)
    await append(event_log, [sdk_event(100, receivedAt="2026-01-02T00:30:00Z")], source="ios")
    root = tmp_path / "archive"
    await Archiver(event_log, str(root)).catch_up()

    relative = {str(f.relative_to(root).parent) for f in _files(root)}
    assert relative == {
        "source=web/date=2026-01-01/hour=09",
        "source=web/date=2026-01-01/hour=10",
        "source=ios/date=2026-01-02/hour=00",
    }
    nine = read_archive(str(root), "web", START.replace(hour=9), START.replace(hour=10))
    assert sorted(nine["messageId"].to_pylist()) == [e["messageId"] for e in early]
    filtered = read_archive(str(root), "web", START, END, where_sql="messageId = 'msg-000006'")
    assert filtered["messageId"].to_pylist() == ["msg-000006"]


async def test_run_flushes_on_interval_and_on_stop(event_log: SQLiteLog, tmp_path: Path) -> None:
    root = tmp_path / "archive"
    archiver = Archiver(event_log, str(root), flush_every=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(archiver.run(stop))
    await append(event_log, [sdk_event(i) for i in range(10)])
    for _ in range(100):
        if len(read_archive(str(root), "web", START, END)) == 10:
            break
        await asyncio.sleep(0.02)
    await append(event_log, [sdk_event(i) for i in range(10, 13)])
    stop.set()
    await task
    assert len(read_archive(str(root), "web", START, END)) == 13


class _Crash(Exception):
    pass


async def test_crash_between_rename_and_commit_rewrites_same_files(
    event_log: SQLiteLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "archive"
    await append(event_log, [sdk_event(i) for i in range(40)])
    crashing = Archiver(event_log, str(root))

    async def crash(*args: object) -> None:
        raise _Crash  # the files are renamed into place; the offset commit never happens

    monkeypatch.setattr(event_log, "commit", crash)
    await crashing.poll()
    with pytest.raises(_Crash):
        await crashing.flush()
    monkeypatch.undo()
    first_names = {f.name for f in _files(root)}
    assert first_names and await event_log.committed("archive", 0) == 0

    # More traffic arrives before the restart; the redo must still cover the same range.
    await append(event_log, [sdk_event(i) for i in range(40, 60)])
    restarted = Archiver(event_log, str(root))
    crashed_rows = sum(pq.read_metadata(f).num_rows for f in _files(root))
    # recover redoes the crashed flush (same range, not the 20 newer rows of its partition);
    # catch_up counts only what it archives after that
    assert await restarted.catch_up() == 60 - crashed_rows
    table = read_archive(str(root), "web", START, END)
    ids = table["messageId"].to_pylist()
    assert sorted(ids) == [f"msg-{i:06d}" for i in range(60)]  # no duplicates, no gaps
    assert first_names <= {f.name for f in _files(root)}
    intents = [json.loads(p.read_text()) for p in (root / "_archiver" / "archive").iterdir()]
    assert all(i["first"] <= i["last"] for i in intents)


async def test_crash_before_rename_leaves_nothing_visible(
    event_log: SQLiteLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "archive"
    await append(event_log, [sdk_event(i) for i in range(10)])
    archiver = Archiver(event_log, str(root))
    store = archiver.store
    original = store.write_atomic

    def fail_parquet(relative: str, data: bytes) -> None:
        if relative.endswith(".parquet"):
            raise OSError("disk full")
        original(relative, data)

    monkeypatch.setattr(store, "write_atomic", fail_parquet)
    await archiver.poll()
    with pytest.raises(OSError):
        await archiver.flush()
    assert _files(root) == []
    monkeypatch.undo()
    await Archiver(event_log, str(root)).catch_up()
    assert len(read_archive(str(root), "web", START, END)) == 10


async def test_compaction_merges_and_readers_see_each_row_once(
    event_log: SQLiteLog, tmp_path: Path
) -> None:
    root = tmp_path / "archive"
    archiver = Archiver(event_log, str(root))
    for round_ in range(3):  # three flushes -> several small files per partition
        await append(event_log, [sdk_event(round_ * 20 + i) for i in range(20)])
        await archiver.catch_up()
    hour = root / "source=web/date=2026-01-01/hour=12"
    parts = sorted(p.name for p in hour.iterdir())
    assert len(parts) > 4
    before = read_archive(str(root), "web", START, END)

    with pytest.raises(StorageError, match="not closed"):
        compact(str(root), "web", "2026-01-01", 12, now=START.timestamp() + 13 * 3600)
    result = compact(str(root), "web", "2026-01-01", 12)
    assert result["inputs"] == len(parts) and result["deleted"] == len(parts)
    after_files = [p.name for p in hour.iterdir()]
    assert after_files == [result["merged"]]
    after = read_archive(str(root), "web", START, END)
    assert after.to_pylist() == before.to_pylist()
    assert compact(str(root), "web", "2026-01-01", 12)["deleted"] == 0  # idempotent


async def test_half_finished_compaction_is_invisible(event_log: SQLiteLog, tmp_path: Path) -> None:
    root = tmp_path / "archive"
    archiver = Archiver(event_log, str(root))
    for round_ in range(2):
        await append(event_log, [sdk_event(round_ * 10 + i) for i in range(10)])
        await archiver.catch_up()
    directory = "source=web/date=2026-01-01/hour=12"
    parts = sorted(p.name for p in (root / directory).iterdir())
    saved = {name: (root / directory / name).read_bytes() for name in parts}
    result = compact(str(root), "web", "2026-01-01", 12)
    for name, data in saved.items():  # as if the deletes had not happened (crash)
        (root / directory / name).write_bytes(data)
    store = open_store(str(root))
    visible, hidden, _ = visible_files(store, directory)
    assert visible == [result["merged"]] and sorted(hidden) == parts
    assert len(read_archive(str(root), "web", START, END)) == 20
    # A flush after compaction (late rows of that hour) stays visible beside the merged file.
    await append(event_log, [sdk_event(99)])
    await archiver.catch_up()
    assert len(read_archive(str(root), "web", START, END)) == 21
    again = compact(str(root), "web", "2026-01-01", 12)
    assert [p.name for p in (root / directory).iterdir()] == [again["merged"]]
    assert len(read_archive(str(root), "web", START, END)) == 21
