"""The scale-out event log: PostgreSQL tables shared by several ingest nodes.

One asyncio writer task per process group-commits appends. Offsets stay contiguous across
processes because each transaction takes the row lock of every partition it writes (in
partition order, so nodes never deadlock), bumps `last_seq` and keeps the lock until commit:
commit order is offset order within a partition. A NOTIFY in the same transaction wakes
consumers in other processes; `wait`'s timeout is the fallback when a notification is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from eventyard.errors import LogError
from eventyard.log.base import (
    REJECTION_COUNTS,
    Entry,
    EventLog,
    LogRecord,
    Rejection,
    RejectionCount,
    partition_for,
)
from eventyard.log.signal import AppendSignal

__all__ = ["PostgresLog"]

_PREFIX = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS {p}meta (name text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS {p}partitions (part int PRIMARY KEY, last_seq bigint NOT NULL);
CREATE TABLE IF NOT EXISTS {p}records (
    part int NOT NULL, seq bigint NOT NULL, source text NOT NULL, key text NOT NULL,
    message_id text NOT NULL, payload bytea NOT NULL, appended_at double precision NOT NULL,
    PRIMARY KEY (part, seq)
);
CREATE TABLE IF NOT EXISTS {p}consumer_offsets (
    consumer text NOT NULL, part int NOT NULL, seq bigint NOT NULL, PRIMARY KEY (consumer, part)
);
CREATE TABLE IF NOT EXISTS {p}received (source text PRIMARY KEY, count bigint NOT NULL);
CREATE TABLE IF NOT EXISTS {p}rejections (
    id bigserial PRIMARY KEY, source text NOT NULL, code text NOT NULL, message text NOT NULL,
    payload bytea NOT NULL, at double precision NOT NULL
);
CREATE INDEX IF NOT EXISTS {p}rejections_at ON {p}rejections (at);
"""


@dataclass(slots=True)
class _Job:
    entries: Sequence[Entry]
    rejections: Sequence[Rejection]
    future: asyncio.Future[None]


class PostgresLog(EventLog):
    """PostgreSQL log; `prefix` names its tables (and NOTIFY channel), e.g. per test."""

    def __init__(self, url: str, partitions: int, *, prefix: str = "eventyard_log_") -> None:
        if not _PREFIX.match(prefix):
            raise LogError(f"table prefix {prefix!r} must be lower-case letters, digits and _")
        self.url = url
        self.partitions = partitions
        self.prefix = prefix
        self.commits = 0
        self._channel = prefix + "appended"
        self._queue: list[_Job] = []
        self._wakeup = asyncio.Event()
        self._appended = AppendSignal()
        self._pending = 0
        self._closed = True
        self._writer: psycopg.AsyncConnection | None = None
        self._reader: psycopg.AsyncConnection | None = None
        self._read_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []

    def _sql(self, text: str) -> str:
        return text.replace("{p}", self.prefix)

    async def _connect(self, autocommit: bool) -> psycopg.AsyncConnection:
        try:
            return await psycopg.AsyncConnection.connect(self.url, autocommit=autocommit)
        except psycopg.Error as error:
            raise LogError(f"cannot connect to the event log database: {error}") from None

    async def open(self) -> None:
        self._writer = await self._connect(autocommit=False)
        self._reader = await self._connect(autocommit=True)
        try:
            await self._create_schema(self._writer)
        except BaseException:
            await self._writer.close()
            await self._reader.close()
            raise
        self._closed = False
        self._tasks = [asyncio.create_task(self._run()), asyncio.create_task(self._listen())]

    async def _create_schema(self, conn: psycopg.AsyncConnection) -> None:
        """Idempotent, and serialised by an advisory lock so nodes can start together."""
        try:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.prefix,))
                await conn.execute(self._sql(_SCHEMA))
                await conn.execute(
                    self._sql(
                        "INSERT INTO {p}meta VALUES ('partitions', %s) ON CONFLICT DO NOTHING"
                    ),
                    (str(self.partitions),),
                )
                cursor = await conn.execute(
                    self._sql("SELECT value FROM {p}meta WHERE name = 'partitions'")
                )
                row = await cursor.fetchone()
                stored = int(row[0]) if row else self.partitions
                if stored != self.partitions:
                    raise LogError(
                        f"the event log tables {self.prefix}* were created with {stored} "
                        f"partitions but the configuration says {self.partitions}; changing it "
                        f"would reorder users' events, so set log.partitions back to {stored}"
                    )
                await conn.execute(
                    self._sql(
                        "INSERT INTO {p}partitions SELECT g, 0 FROM generate_series(0, %s) g "
                        "ON CONFLICT DO NOTHING"
                    ),
                    (self.partitions - 1,),
                )
        except psycopg.Error as error:
            raise LogError(f"cannot create the event log tables: {error}") from None

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._wakeup.set()
        writer, listener = self._tasks
        await writer
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        for conn in (self._writer, self._reader):
            if conn is not None:
                await conn.close()
        self._writer = self._reader = None

    async def append(self, entries: Sequence[Entry], rejections: Sequence[Rejection] = ()) -> None:
        if self._closed:
            raise LogError("the event log is closed")
        if not entries and not rejections:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending += len(entries)
        self._queue.append(_Job(tuple(entries), tuple(rejections), future))
        self._wakeup.set()
        await future

    def pending(self) -> int:
        return self._pending

    async def _run(self) -> None:
        """The writer task: whatever queued while the last transaction ran goes in the next."""
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            jobs, self._queue = self._queue, []
            if jobs:
                error = await self._write(jobs)
                for job in jobs:
                    self._pending -= len(job.entries)
                    if job.future.done():
                        continue
                    if error is None:
                        job.future.set_result(None)
                    else:
                        job.future.set_exception(LogError(f"event log write failed: {error}"))
                if error is None:
                    self._appended.notify()
            if self._closed and not self._queue:
                return

    async def _write(self, jobs: list[_Job]) -> BaseException | None:
        now = time.time()
        by_part: dict[int, list[Entry]] = {}
        counts: dict[str, int] = {}
        rejected: list[tuple[str, str, str, bytes, float]] = []
        for job in jobs:
            for e in job.entries:
                by_part.setdefault(partition_for(e.key, self.partitions), []).append(e)
                counts[e.source] = counts.get(e.source, 0) + 1
            rejected.extend((r.source, r.code, r.message, r.payload, now) for r in job.rejections)
        try:
            if self._writer is None or self._writer.closed:
                self._writer = await self._connect(autocommit=False)
            async with self._writer.transaction():
                await self._write_entries(self._writer, by_part, now)
                await self._write_side_tables(self._writer, counts, rejected)
        except Exception as error:  # every caller in the group must hear about it
            return error
        self.commits += 1
        return None

    async def _write_entries(
        self, conn: psycopg.AsyncConnection, by_part: dict[int, list[Entry]], now: float
    ) -> None:
        if not by_part:
            return
        parts = sorted(by_part)
        sizes = [len(by_part[p]) for p in parts]
        # Lock in partition order first (an UPDATE's row order is not guaranteed).
        await conn.execute(
            self._sql("SELECT 1 FROM {p}partitions WHERE part = ANY(%s) ORDER BY part FOR UPDATE"),
            (parts,),
        )
        cursor = await conn.execute(
            self._sql(
                "UPDATE {p}partitions t SET last_seq = t.last_seq + v.n "
                "FROM unnest(%s::int[], %s::bigint[]) AS v(part, n) WHERE t.part = v.part "
                "RETURNING t.part, t.last_seq"
            ),
            (parts, sizes),
        )
        last: dict[int, int] = {int(p): int(s) for p, s in await cursor.fetchall()}
        copy_sql = self._sql(
            "COPY {p}records (part, seq, source, key, message_id, payload, appended_at) "
            "FROM STDIN (FORMAT BINARY)"
        )
        async with conn.cursor().copy(copy_sql) as copy:
            copy.set_types(["int4", "int8", "text", "text", "text", "bytea", "float8"])
            for p in parts:
                entries = by_part[p]
                seq = last[p] - len(entries)
                for e in entries:
                    seq += 1
                    await copy.write_row((p, seq, e.source, e.key, e.message_id, e.payload, now))

    async def _write_side_tables(
        self,
        conn: psycopg.AsyncConnection,
        counts: dict[str, int],
        rejected: list[tuple[str, str, str, bytes, float]],
    ) -> None:
        if counts:
            sources = sorted(counts)
            await conn.execute(
                self._sql(
                    "INSERT INTO {p}received SELECT * FROM unnest(%s::text[], %s::bigint[]) "
                    "ON CONFLICT (source) DO UPDATE "
                    "SET count = {p}received.count + excluded.count"
                ),
                (sources, [counts[s] for s in sources]),
            )
        if rejected:
            async with conn.cursor() as cursor:
                await cursor.executemany(
                    self._sql(
                        "INSERT INTO {p}rejections (source, code, message, payload, at) "
                        "VALUES (%s, %s, %s, %s, %s)"
                    ),
                    rejected,
                )
        await conn.execute("SELECT pg_notify(%s, '')", (self._channel,))

    async def _listen(self) -> None:
        """Wake `wait` on other nodes' appends; reconnects, and `wait` times out meanwhile."""
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
                async with conn:
                    await conn.execute(f'LISTEN "{self._channel}"')
                    async for _ in conn.notifies():
                        self._appended.notify()
            except (psycopg.Error, OSError):
                await asyncio.sleep(1.0)

    async def _fetch(self, query: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        async with self._read_lock:
            if self._reader is None:
                raise LogError("the event log is closed")
            try:
                if self._reader.closed:
                    self._reader = await self._connect(autocommit=True)
                cursor = await self._reader.execute(self._sql(query), params)
                return await cursor.fetchall() if cursor.description else []
            except psycopg.Error as error:
                raise LogError(f"event log query failed: {error}") from None

    async def read(self, partition: int, after: int, limit: int) -> list[LogRecord]:
        rows = await self._fetch(
            "SELECT part, seq, source, key, message_id, payload, appended_at FROM {p}records "
            "WHERE part = %s AND seq > %s ORDER BY seq LIMIT %s",
            (partition, after, limit),
        )
        return [LogRecord(*row) for row in rows]

    async def wait(self, timeout: float) -> None:
        await self._appended.wait(timeout)

    async def commit(self, consumer: str, partition: int, offset: int) -> None:
        await self._fetch(
            "INSERT INTO {p}consumer_offsets VALUES (%s, %s, %s) "
            "ON CONFLICT (consumer, part) DO UPDATE SET seq = excluded.seq",
            (consumer, partition, offset),
        )

    async def committed(self, consumer: str, partition: int) -> int:
        rows = await self._fetch(
            "SELECT seq FROM {p}consumer_offsets WHERE consumer = %s AND part = %s",
            (consumer, partition),
        )
        return int(rows[0][0]) if rows else 0

    async def end_offsets(self) -> list[int]:
        ends = [0] * self.partitions
        for part, last in await self._fetch("SELECT part, last_seq FROM {p}partitions"):
            ends[part] = last
        return ends

    async def trim(self, older_than: float) -> int:
        rows = await self._fetch(
            "WITH floors AS (SELECT part, MIN(seq) AS seq FROM {p}consumer_offsets GROUP BY part),"
            " gone AS (DELETE FROM {p}records r USING floors f WHERE r.part = f.part "
            "AND r.seq <= f.seq AND r.appended_at < %s RETURNING 1),"
            " old AS (DELETE FROM {p}rejections WHERE at < %s) "
            "SELECT count(*) FROM gone",
            (older_than, older_than),
        )
        return int(rows[0][0])

    async def received(self) -> dict[str, int]:
        rows = await self._fetch("SELECT source, count FROM {p}received")
        return {str(source): int(count) for source, count in rows}

    async def rejections(self, limit: int = 100) -> list[Rejection]:
        rows = await self._fetch(
            "SELECT source, code, message, payload FROM {p}rejections ORDER BY id DESC LIMIT %s",
            (limit,),
        )
        return [Rejection(*row) for row in rows]

    async def rejection_counts(self, since: float, limit: int = 200) -> list[RejectionCount]:
        rows = await self._fetch(REJECTION_COUNTS.format(p="{p}", mark="%s"), (since, limit))
        return [
            RejectionCount(str(s), str(c), int(n), str(m), bytes(b), float(t))
            for s, c, n, m, b, t in rows
        ]
