"""The EventLog contract: every backend must pass every test here unchanged."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import psycopg
import pytest

from eventyard.errors import LogError
from eventyard.log import Entry, EventLog, Rejection, partition_for
from eventyard.log.postgres import PostgresLog
from eventyard.log.sqlite import SQLiteLog
from eventyard.stopping import wait_or_stop

PARTITIONS = 4
MakeLog = Callable[..., EventLog]


@pytest.fixture(params=["sqlite", "postgresql"])
def make_log(request: pytest.FixtureRequest, tmp_path: Path) -> MakeLog:
    """Builds (unopened) logs that all point at the same storage, to test reopening."""
    if request.param == "sqlite":
        path = tmp_path / "log.db"
        return lambda partitions=PARTITIONS: SQLiteLog(path, partitions)
    url = request.getfixturevalue("postgres_url")
    prefix = f"t{uuid.uuid4().hex[:12]}_"
    return lambda partitions=PARTITIONS: PostgresLog(url, partitions, prefix=prefix)


@pytest.fixture
async def event_log(make_log: MakeLog) -> AsyncIterator[EventLog]:
    log = make_log()
    await log.open()
    yield log
    await log.close()


def entry(key: str, n: int, source: str = "web") -> Entry:
    return Entry(source=source, key=key, message_id=f"{key}-{n}", payload=f'{{"n":{n}}}'.encode())


def commits(log: EventLog) -> int:
    assert isinstance(log, SQLiteLog | PostgresLog)
    return log.commits


async def read_all(log: EventLog, partition: int) -> list[tuple[int, str]]:
    records = await log.read(partition, 0, 1_000_000)
    return [(r.offset, r.message_id) for r in records]


async def test_append_then_read_round_trip(event_log: EventLog) -> None:
    before = time.time()
    await event_log.append([entry("alice", 1), entry("alice", 2, source="ios")])
    p = partition_for("alice", PARTITIONS)
    records = await event_log.read(p, 0, 10)
    assert [(r.partition, r.offset, r.source, r.key, r.message_id) for r in records] == [
        (p, 1, "web", "alice", "alice-1"),
        (p, 2, "ios", "alice", "alice-2"),
    ]
    assert records[0].payload == b'{"n":1}'
    assert before <= records[0].appended_at <= time.time()


async def test_offsets_contiguous_per_partition_and_order_kept(event_log: EventLog) -> None:
    keys = [f"user-{i}" for i in range(20)]
    for n in range(5):
        await event_log.append([entry(key, n) for key in keys])
    total = 0
    for p in range(PARTITIONS):
        records = await event_log.read(p, 0, 1000)
        assert [r.offset for r in records] == list(range(1, len(records) + 1))
        assert all(partition_for(r.key, PARTITIONS) == p for r in records)
        for key in {r.key for r in records}:
            assert [r.message_id for r in records if r.key == key] == [
                f"{key}-{n}" for n in range(5)
            ]
        total += len(records)
    assert total == 100
    ends = await event_log.end_offsets()
    assert ends == [len(await event_log.read(p, 0, 1000)) for p in range(PARTITIONS)]


def test_partition_for_is_stable_across_processes() -> None:
    keys = ["user-1", "anon-\u00e9", "", "\ud800"]
    here = [partition_for(k, 16) for k in keys]
    code = (
        f"from eventyard.log import partition_for;print([partition_for(k, 16) for k in {keys!r}])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    ).stdout
    assert out.strip() == repr(here)
    assert here == [4, 11, 0, 8]  # crc32 values; changing them would reorder every user


async def test_concurrent_appends_are_durable_and_share_commits(event_log: EventLog) -> None:
    start = commits(event_log)
    await asyncio.gather(
        *(event_log.append([entry(f"u{t}", n) for n in range(10)]) for t in range(50))
    )
    assert commits(event_log) - start < 10
    assert event_log.pending() == 0
    seen = [mid for p in range(PARTITIONS) for _, mid in await read_all(event_log, p)]
    assert sorted(seen) == sorted(f"u{t}-{n}" for t in range(50) for n in range(10))


async def test_pending_counts_entries_until_committed(event_log: EventLog) -> None:
    tasks = [
        asyncio.create_task(event_log.append([entry("k", n), entry("j", n)])) for n in range(5)
    ]
    await asyncio.sleep(0)
    assert 0 < event_log.pending() <= 10
    await asyncio.gather(*tasks)
    assert event_log.pending() == 0


async def test_read_pages_with_after_and_limit(event_log: EventLog) -> None:
    await event_log.append([entry("bob", n) for n in range(25)])
    p = partition_for("bob", PARTITIONS)
    pages = [[r.offset for r in await event_log.read(p, after, 10)] for after in (0, 10, 20, 25)]
    assert pages == [list(range(1, 11)), list(range(11, 21)), list(range(21, 26)), []]
    other = (p + 1) % PARTITIONS
    assert await event_log.read(other, 0, 10) == []


async def test_consumer_offsets_are_per_consumer_and_partition(event_log: EventLog) -> None:
    assert await event_log.committed("pipeline", 0) == 0
    await event_log.commit("pipeline", 0, 5)
    await event_log.commit("archive", 0, 2)
    await event_log.commit("pipeline", 1, 7)
    await event_log.commit("pipeline", 0, 6)
    assert await event_log.committed("pipeline", 0) == 6
    assert await event_log.committed("archive", 0) == 2
    assert await event_log.committed("pipeline", 1) == 7
    assert await event_log.committed("archive", 1) == 0


async def test_end_offsets_of_empty_log(event_log: EventLog) -> None:
    assert await event_log.end_offsets() == [0] * PARTITIONS


async def test_trim_respects_retention_and_every_consumer(event_log: EventLog) -> None:
    p = partition_for("carol", PARTITIONS)
    await event_log.append([entry("carol", n) for n in range(6)])
    await asyncio.sleep(0.02)
    middle = time.time()
    await asyncio.sleep(0.02)
    await event_log.append([entry("carol", n) for n in range(6, 10)])
    future = time.time() + 60

    assert await event_log.trim(future) == 0  # no consumer has committed anything yet
    await event_log.commit("fast", p, 10)
    await event_log.commit("slow", p, 4)
    assert await event_log.trim(future) == 4  # the slowest consumer holds the rest
    assert [o for o, _ in await read_all(event_log, p)] == list(range(5, 11))

    await event_log.commit("slow", p, 10)
    assert await event_log.trim(middle) == 2  # offsets 5-6 are past retention, 7-10 are not
    assert [o for o, _ in await read_all(event_log, p)] == [7, 8, 9, 10]

    assert await event_log.trim(future) == 4
    assert (await event_log.end_offsets())[p] == 10  # trimming never rewinds offsets
    await event_log.append([entry("carol", 10)])
    assert await read_all(event_log, p) == [(11, "carol-10")]
    assert await event_log.received() == {"web": 11}


async def test_received_counts_per_source(event_log: EventLog) -> None:
    assert await event_log.received() == {}
    await event_log.append([entry("a", 1), entry("b", 1, "ios"), entry("c", 1)])
    await event_log.append([entry("a", 2, "ios")], [Rejection("web", "invalid", "bad", b"{}")])
    assert await event_log.received() == {"web": 2, "ios": 2}


async def test_rejections_newest_first(event_log: EventLog) -> None:
    first = Rejection("web", "too_large", "message over 32 KiB", b"x" * 10)
    second = Rejection("web", "invalid_type", "unknown type 'foo'", b'{"type":"foo"}')
    third = Rejection("ios", "missing_id", "userId or anonymousId is required", b"{}")
    await event_log.append([], [first])
    await event_log.append([entry("a", 1)], [second, third])
    assert await event_log.rejections() == [third, second, first]
    assert await event_log.rejections(limit=2) == [third, second]


async def test_close_flushes_pending_appends(make_log: MakeLog) -> None:
    log = make_log()
    await log.open()
    tasks = [asyncio.create_task(log.append([entry(f"u{n}", n)])) for n in range(20)]
    await asyncio.sleep(0)
    await log.close()
    await asyncio.gather(*tasks)  # every caller was answered, none with an error
    with pytest.raises(LogError, match="closed"):
        await log.append([entry("late", 1)])

    reopened = make_log()
    await reopened.open()
    try:
        assert sum(await reopened.end_offsets()) == 20
    finally:
        await reopened.close()


async def test_data_survives_close_and_reopen(make_log: MakeLog) -> None:
    log = make_log()
    await log.open()
    await log.append([entry("dave", n) for n in range(3)], [Rejection("web", "c", "m", b"p")])
    p = partition_for("dave", PARTITIONS)
    await log.commit("pipeline", p, 2)
    before = await log.read(p, 0, 10)
    await log.close()

    log = make_log()
    await log.open()
    try:
        assert await log.read(p, 0, 10) == before
        assert await log.committed("pipeline", p) == 2
        assert await log.received() == {"web": 3}
        assert await log.rejections() == [Rejection("web", "c", "m", b"p")]
        await log.append([entry("dave", 3)])
        assert [r.offset for r in await log.read(p, 0, 10)] == [1, 2, 3, 4]
    finally:
        await log.close()


async def test_reopen_with_other_partition_count_is_refused(make_log: MakeLog) -> None:
    log = make_log()
    await log.open()
    await log.close()
    with pytest.raises(LogError, match=f"created with {PARTITIONS} partitions"):
        await make_log(PARTITIONS * 2).open()


async def test_wait_returns_early_on_append_else_on_timeout(event_log: EventLog) -> None:
    started = time.monotonic()
    await event_log.wait(0.1)
    assert time.monotonic() - started >= 0.09

    waiter = asyncio.create_task(event_log.wait(10))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await event_log.append([entry("erin", 1)])
    await asyncio.wait_for(waiter, 5)
    assert time.monotonic() - started < 5


async def test_every_consumer_wakes_and_none_misses_an_append(event_log: EventLog) -> None:
    """Router, archiver and loaders wait on one log at once; none may swallow another's
    wake-up, and an append landing between a consumer's waits is seen at its next wait."""
    await event_log.append([entry("ivy", 0)])
    consumers = [asyncio.create_task(event_log.wait(10)) for _ in range(3)]
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await event_log.append([entry("ivy", 1)])
    await asyncio.wait_for(asyncio.gather(*consumers), 5)
    assert time.monotonic() - started < 2  # each woke on the append, not on its timeout

    # consumer B has waited before; while it is busy reading, consumer A is waiting, an
    # append lands, and A wakes: B's next wait must still return at once
    await event_log.wait(0.01)
    other = asyncio.create_task(event_log.wait(10))
    await asyncio.sleep(0.05)
    await event_log.append([entry("ivy", 2)])
    await asyncio.wait_for(other, 5)
    started = time.monotonic()
    await event_log.wait(3)
    assert time.monotonic() - started < 1


async def test_a_consumer_waiting_through_wait_or_stop_sees_appends_made_while_it_read(
    event_log: EventLog,
) -> None:
    """The router waits via `wait_or_stop`, which runs each wait in a task of its own: an
    append between its read and its next wait must still wake it at once."""
    stop = asyncio.Event()
    await wait_or_stop(stop, event_log.wait(0.01))  # the consumer has waited before
    await event_log.append([entry("jay", 0)])  # lands while it "reads"
    started = time.monotonic()
    await wait_or_stop(stop, event_log.wait(3))
    assert time.monotonic() - started < 1


async def test_failed_write_fails_its_callers_and_leaves_no_gap(event_log: EventLog) -> None:
    await _refuse_source(event_log, "poison")
    good = [event_log.append([entry("frank", n)]) for n in range(10)]
    results = await asyncio.gather(
        *good, event_log.append([entry("frank", 99, source="poison")]), return_exceptions=True
    )
    assert isinstance(results[-1], LogError)
    assert all(r is None or isinstance(r, LogError) for r in results)
    acknowledged = {f"frank-{n}" for n, r in enumerate(results[:-1]) if r is None}
    await event_log.append([entry("frank", 100)])
    records = await read_all(event_log, partition_for("frank", PARTITIONS))
    assert [o for o, _ in records] == list(range(1, len(records) + 1))
    assert {mid for _, mid in records} == acknowledged | {"frank-100"}
    assert event_log.pending() == 0


async def _refuse_source(log: EventLog, source: str) -> None:
    """Make the backend's storage reject inserts from one source, as a failing disk would."""
    if isinstance(log, SQLiteLog):
        conn = sqlite3.connect(log.path)
        conn.execute(
            # inside the append transaction, whatever the format of the stored chunks
            f"CREATE TRIGGER refuse BEFORE INSERT ON received WHEN NEW.source = '{source}' "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
        conn.commit()
        conn.close()
        return
    assert isinstance(log, PostgresLog)
    async with await psycopg.AsyncConnection.connect(log.url, autocommit=True) as conn:
        await conn.execute(
            f"CREATE FUNCTION {log.prefix}refuse() RETURNS trigger AS $$ BEGIN "
            f"IF NEW.source = '{source}' THEN RAISE EXCEPTION 'refused'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        await conn.execute(
            f"CREATE TRIGGER refuse BEFORE INSERT ON {log.prefix}records "
            f"FOR EACH ROW EXECUTE FUNCTION {log.prefix}refuse()"
        )


async def test_postgres_wait_wakes_on_another_nodes_append(postgres_url: str) -> None:
    prefix = f"t{uuid.uuid4().hex[:12]}_"
    consumer, producer = (PostgresLog(postgres_url, PARTITIONS, prefix=prefix) for _ in "ab")
    await consumer.open()
    await producer.open()
    try:
        await asyncio.sleep(0.2)  # let the consumer's LISTEN connection start
        await consumer.wait(0)
        waiter = asyncio.create_task(consumer.wait(10))
        await asyncio.sleep(0.05)
        await producer.append([entry("gina", 1)])
        started = time.monotonic()
        await asyncio.wait_for(waiter, 5)
        assert time.monotonic() - started < 5
    finally:
        await producer.close()
        await consumer.close()


async def test_postgres_nodes_appending_together_keep_offsets_contiguous(
    postgres_url: str,
) -> None:
    prefix = f"t{uuid.uuid4().hex[:12]}_"
    nodes = [PostgresLog(postgres_url, PARTITIONS, prefix=prefix) for _ in range(3)]
    for node in nodes:
        await node.open()
    try:
        await asyncio.gather(
            *(
                node.append([entry(f"k{i % 7}", i * 100 + n) for i in range(7)])
                for node in nodes
                for n in range(30)
            )
        )
        total = 0
        for p in range(PARTITIONS):
            offsets = [o for o, _ in await read_all(nodes[0], p)]
            assert offsets == list(range(1, len(offsets) + 1))
            total += len(offsets)
        assert total == 3 * 30 * 7
    finally:
        for node in nodes:
            await node.close()
