"""`ProfilesService`: the log consumer (offsets, crash safety, idempotency), event retention,
computed trait windows on a schedule, warehouse sync, and `profiles.enabled: false`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import duckdb
import orjson
import pytest

from eventyard.control.config import Config
from eventyard.control.duration import Duration
from eventyard.control.profiles_config import ComputedTraitConfig, ProfilesSettings
from eventyard.control.storage_config import WarehouseConfig
from eventyard.log.base import Entry
from eventyard.profiles import queries
from eventyard.profiles.consumer import CONSUMER, ProfilesService
from eventyard.profiles.store import ProfilesNotReady
from pipeline.conftest import MemoryLog
from profiles.test_journey import JANE, JOURNEY
from profiles.world import event

DAY = 86400.0


def _entries(bodies: list[dict[str, object]]) -> list[Entry]:
    return [
        Entry(
            "web",
            str(b.get("userId") or b.get("anonymousId")),
            str(b["messageId"]),
            orjson.dumps(b),
        )
        for b in bodies
    ]


def _service(
    tmp_path: Path,
    log: MemoryLog,
    settings: ProfilesSettings | None = None,
    warehouses: tuple[WarehouseConfig, ...] = (),
    idle_wait: float = 1.0,
    windows_every: float = 60.0,
) -> ProfilesService:
    config = Config(warehouses=list(warehouses), profiles=settings or ProfilesSettings())
    return ProfilesService(
        config, log, tmp_path, batch_size=4, idle_wait=idle_wait, windows_every=windows_every
    )


async def _drain(service: ProfilesService) -> None:
    while await service.process_once():
        pass


@contextlib.asynccontextmanager
async def opened(service: ProfilesService) -> AsyncIterator[ProfilesService]:
    await asyncio.to_thread(service.store.open)
    try:
        yield service
    finally:
        await asyncio.to_thread(service.store.close)


def _count(service: ProfilesService, table: str) -> int:
    return int(service.store.read(lambda sql: sql.one(f"SELECT COUNT(*) FROM {table}")[0]))


async def test_batches_move_the_offsets_of_every_partition(tmp_path: Path) -> None:
    log = MemoryLog(partitions=3)
    await log.append(_entries(JOURNEY))
    async with opened(_service(tmp_path, log)) as service:
        await _drain(service)
        assert _count(service, "events") == len(JOURNEY)
    ends = await log.end_offsets()
    assert [await log.committed(CONSUMER, p) for p in range(3)] == ends


async def test_a_crash_before_the_log_commit_applies_nothing_twice(
    tmp_path: Path, store_url: str | None
) -> None:
    log = MemoryLog(partitions=2)
    await log.append(_entries(JOURNEY))
    settings = ProfilesSettings(url=store_url)
    async with opened(_service(tmp_path, log, settings)) as service:
        log.fail_commits = 1
        with pytest.raises(ConnectionError):
            await service.process_once()
    async with opened(
        _service(tmp_path, log, settings)
    ) as again:  # a restart: offsets from the store
        await _drain(again)
        assert _count(again, "events") == len(JOURNEY)
        assert again.store.read(lambda sql: queries.resolve(sql, "user_id", "jane-42")) == JANE


async def test_records_read_again_change_nothing(tmp_path: Path, store_url: str | None) -> None:
    log = MemoryLog(partitions=2)
    await log.append(_entries(JOURNEY))
    settings = ProfilesSettings(url=store_url)
    async with opened(_service(tmp_path, log, settings)) as service:
        await _drain(service)
        before = service.store.read(lambda sql: sql.all("SELECT * FROM identifiers ORDER BY 1, 2"))
        service.store.write(
            lambda sql: sql.run("DELETE FROM offsets")
        )  # a store restored from a backup
    async with opened(_service(tmp_path, log, settings)) as again:
        await _drain(again)
        assert _count(again, "events") == len(JOURNEY)
        assert (
            again.store.read(lambda sql: sql.all("SELECT * FROM identifiers ORDER BY 1, 2"))
            == before
        )


async def test_run_follows_the_log_until_stopped(tmp_path: Path) -> None:
    log = MemoryLog()
    service = _service(tmp_path, log, idle_wait=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    await log.append(_entries(JOURNEY[:3]))
    for _ in range(200):
        with contextlib.suppress(ProfilesNotReady):
            if _count(service, "events") == 3:
                break
        await asyncio.sleep(0.02)
    assert _count(service, "events") == 3
    stop.set()
    await asyncio.wait_for(task, 5)


async def test_disabled_profiles_only_follow_the_end_of_the_log(tmp_path: Path) -> None:
    log = MemoryLog(partitions=2)
    await log.append(_entries(JOURNEY))
    service = _service(tmp_path, log, ProfilesSettings(enabled=False), windows_every=0.01)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    for _ in range(200):
        if [await log.committed(CONSUMER, p) for p in range(2)] == await log.end_offsets():
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert [await log.committed(CONSUMER, p) for p in range(2)] == await log.end_offsets()
    assert not (tmp_path / "profiles.db").exists()


async def test_event_bodies_go_after_the_retention_the_profile_stays(tmp_path: Path) -> None:
    log = MemoryLog()
    await log.append(_entries(JOURNEY))
    settings = ProfilesSettings(events_retention=Duration(DAY))
    async with opened(_service(tmp_path, log, settings)) as service:
        await service.process_once(now=1000.0)
        await _drain(service)
        await service.purge_once(now=1000.0 + DAY / 2)
        kept = service.store.read(lambda sql: queries.profile_events(sql, JANE, limit=50))
        await service.purge_once(now=2000.0 + 2 * DAY)
        gone = service.store.read(lambda sql: queries.profile_events(sql, JANE, limit=50))
        traits = service.store.read(lambda sql: queries.traits(sql, JANE))
    assert kept and len(gone) < len(kept)
    assert set(traits) == {"email", "name", "plan"}


async def test_windowed_computed_traits_expire_on_schedule(tmp_path: Path) -> None:
    settings = ProfilesSettings(
        computed_traits=[
            ComputedTraitConfig(key="orders_7d", type="counter", window=Duration(7 * DAY)),
            ComputedTraitConfig(key="orders", type="counter"),
        ]
    )
    start = 1_700_000_000.0
    stamps = ["2023-11-14T22:13:20Z", "2023-11-17T22:13:20Z"]  # start, start + 3 days
    log = MemoryLog()
    await log.append(_entries([event(f"o{i}", at, userId="u1") for i, at in enumerate(stamps)]))
    async with opened(_service(tmp_path, log, settings)) as service:
        await service.process_once(now=start + 3 * DAY)
        profile = service.store.read(lambda sql: queries.resolve(sql, "user_id", "u1"))
        assert profile is not None

        def values() -> dict[str, object]:
            found = service.store.read(lambda sql: queries.computed(sql, profile))
            return {key: orjson.loads(text or "null") for key, (text, _) in found.items()}

        assert values() == {"orders": 2, "orders_7d": 2}
        await service.expire_windows_once(now=start + 8 * DAY)
        assert values() == {"orders": 2, "orders_7d": 1}
        await service.expire_windows_once(now=start + 11 * DAY)
        assert values() == {"orders": 2, "orders_7d": 0}


async def test_the_service_syncs_to_each_sql_warehouse(tmp_path: Path) -> None:
    log = MemoryLog()
    await log.append(_entries(JOURNEY))
    warehouse = WarehouseConfig(
        name="local", type="duckdb", url=str(tmp_path / "wh.duckdb"), interval=Duration(0.05)
    )
    service = _service(tmp_path, log, warehouses=(warehouse,), idle_wait=0.05)
    assert [sync.target.name for sync in service.syncs] == ["local"]
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    for _ in range(300):
        with contextlib.suppress(ProfilesNotReady):
            if _count(service, "sync_cursors") and not _count(service, "feed"):
                break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, 5)
    with duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT DISTINCT canonical_segment_id FROM profiles.user_identifiers")
        assert len(rows.fetchall()) == 2


async def test_malformed_and_hostile_records_never_stop_the_consumer(tmp_path: Path) -> None:
    hostile: list[bytes] = [
        b"not json",
        b"[1, 2, 3]",
        b'"a string"',
        orjson.dumps({"type": 5, "userId": "u1", "timestamp": "yesterday"}),
        orjson.dumps(
            {"type": "identify", "userId": "u1", "traits": {f"k{i}": i for i in range(5000)}}
        ),
        orjson.dumps({"type": "identify", "userId": "u1", "traits": ["not", "an", "object"]}),
        orjson.dumps({"type": "group", "userId": "u1", "groupId": {"id": 1}}),
        orjson.dumps({"type": "track", "userId": "u1", "timestamp": "9999-12-31T23:59:59Z"}),
        orjson.dumps({"type": "track", "userId": "u1", "timestamp": "0001-01-01T00:00:00Z"}),
        orjson.dumps({"type": "alias", "userId": "u1", "previousId": "u1"}),
    ]
    log = MemoryLog()
    await log.append([Entry("web", "u1", f"h{i}", body) for i, body in enumerate(hostile)])
    async with opened(_service(tmp_path, log)) as service:
        await _drain(service)
        assert _count(service, "events") == len(hostile) - 3  # the three non-objects
        profile = service.store.read(lambda sql: queries.resolve(sql, "user_id", "u1"))
        assert profile is not None
        traits = service.store.read(lambda sql: queries.traits(sql, profile))
    assert len(traits) == 500  # MAX_TRAITS
    assert await log.committed(CONSUMER, 0) + await log.committed(CONSUMER, 1) == len(hostile)


async def test_a_store_that_cannot_be_opened_is_tried_again_until_stopped(tmp_path: Path) -> None:
    (tmp_path / "profiles.db").mkdir()  # a directory where the file should be
    service = _service(tmp_path, MemoryLog())
    service.retry_after = 0.01
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    await asyncio.sleep(0.1)
    assert not task.done()
    stop.set()
    await asyncio.wait_for(task, 5)
