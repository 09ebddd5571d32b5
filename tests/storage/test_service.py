"""Storage as `eventyard serve` runs it: archiver, warehouse loaders and compaction together,
each a failure-isolated log consumer."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

import psycopg
import pyarrow.parquet as pq

from eventyard.control.config import parse_config
from eventyard.log.sqlite import SQLiteLog
from eventyard.storage.archive_files import visible_files
from eventyard.storage.fs import open_store
from eventyard.storage.query import run_query
from eventyard.storage.service import StorageService
from storage.conftest import append, sdk_event


async def _running(
    service: StorageService, until: Callable[[], Awaitable[bool]], timeout: float = 15
) -> None:
    """Run the service until `until()` holds, then stop it (as SIGTERM would)."""
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    deadline = asyncio.get_running_loop().time() + timeout
    try:
        while not await until():
            assert asyncio.get_running_loop().time() < deadline, await service.status()
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task


async def test_archive_and_embedded_warehouse_by_default(
    event_log: SQLiteLog, tmp_path: Path
) -> None:
    config = parse_config(
        "sources: [{name: web, write_key: k}]\n"
        "archive: {flush_every: 100ms}\n"
        "warehouses: [{name: duckdb, type: duckdb, interval: 100ms}]\n"
    )
    service = StorageService(config, event_log, tmp_path)
    await append(event_log, [sdk_event(i) for i in range(30)])

    async def caught_up() -> bool:
        status = await service.status()
        return status["archive"]["lag"] == 0 and status["warehouses"][0]["lag"] == 0

    await _running(service, caught_up)
    status = await service.status()
    assert status["warehouses"][0]["name"] == "duckdb"
    assert status["warehouses"][0]["last_load_at"] is not None
    assert pq.read_table(tmp_path / "archive" / "source=web").num_rows == 30
    _, rows = run_query(tmp_path, "SELECT count(*), count(DISTINCT id) FROM web.tracks")
    assert rows == [(30, 30)]
    _, rows = run_query(tmp_path, "SELECT count(*) FROM archive.web")
    assert rows == [(30,)]


async def test_postgres_warehouse_is_wired_by_config(
    event_log: SQLiteLog, tmp_path: Path, postgres_url: str
) -> None:
    source = f"svc_{secrets.token_hex(4)}"
    config = parse_config(
        f"sources: [{{name: {source}, write_key: k}}]\narchive: {{enabled: false}}\n"
        f"warehouses: [{{name: pg, type: postgres, url: '{postgres_url}', interval: 100ms}}]\n"
    )
    service = StorageService(config, event_log, tmp_path)
    assert service.archiver is None
    await append(event_log, [sdk_event(i) for i in range(12)], source=source)

    async def loaded() -> bool:
        return (await service.status())["warehouses"][0]["lag"] == 0

    await _running(service, loaded)
    with psycopg.connect(postgres_url) as conn:
        rows = conn.execute(f'SELECT count(*) FROM "{source}".order_completed').fetchall()
    assert rows == [(12,)]
    assert (await service.status())["archive"] is None


async def test_a_failing_warehouse_never_holds_back_the_archive(
    event_log: SQLiteLog, tmp_path: Path
) -> None:
    config = parse_config(
        "sources: [{name: web, write_key: k}]\narchive: {flush_every: 100ms}\n"
        "warehouses: [{name: down, type: postgres, "
        "url: 'postgresql://postgres@127.0.0.1:1/none?connect_timeout=1', interval: 100ms}]\n"
    )
    service = StorageService(config, event_log, tmp_path)
    await append(event_log, [sdk_event(i) for i in range(5)])

    async def archived() -> bool:
        return (await service.status())["archive"]["lag"] == 0

    await _running(service, archived)
    assert (await service.status())["warehouses"] == [
        {"name": "down", "lag": 5, "last_load_at": None}
    ]


async def test_closed_hours_are_compacted_once(event_log: SQLiteLog, tmp_path: Path) -> None:
    config = parse_config("sources: [{name: web, write_key: k}]\narchive: {compact_after: 1h}\n")
    service = StorageService(config, event_log, tmp_path)
    assert service.archiver is not None
    for i in range(3):  # three flushes: small files (per partition) in the same hour
        await append(event_log, [sdk_event(10 * i + j) for j in range(4)])
        await service.archiver.catch_up()
    store = open_store(str(tmp_path / "archive"))
    hour = "source=web/date=2026-01-01/hour=12"
    assert len(visible_files(store, hour)[0]) > 3

    assert service.compact_closed_hours(now=1767272400.0) == 0  # 13:00: not closed an hour ago
    assert service.compact_closed_hours(now=1767283200.0) == 1  # 16:00
    [merged] = visible_files(store, hour)[0]
    assert merged.startswith("merged-") and store.names(hour) == [merged]
    assert service.compact_closed_hours(now=1767283200.0) == 0
