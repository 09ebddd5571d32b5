"""The raw archive: every log record, as received and enriched, in Parquet by source and hour.

The archiver is a log consumer (`archive` by default). It buffers records per partition and
flushes every `flush_every` seconds or `max_rows` rows. One flush of partition P covering
log offsets F..L does, in this order:

1. writes an intent `_archiver/<consumer>/partition=P.json` = {first: F, last: L};
2. writes one Parquet file per (source, hour) touched, each named `part-P-F-L.parquet` in
   its `source=/date=/hour=` directory, through `Store.write_atomic` (local disk: temp
   name, fsync, rename, fsync directory; object stores: one atomic PUT);
3. commits offset L for the consumer in the log.

Why a crash never loses or duplicates a row:
- Crash before 3: the offset was not committed, so the records are still in the log (the
  log trims only what every consumer committed). On start, `recover` finds an intent with
  F > committed and re-reads exactly F..L - not "whatever is there now", which could be
  more - and rewrites the same files under the same names. A file that was already renamed
  into place is replaced by an identical one; one that was not is now written. Same names,
  same rows: no duplicates, no gaps.
- Crash after 3: the intent's F is <= committed; nothing to redo, and the next flush starts
  at L + 1, so ranges never overlap.
A file under a final name is always complete, so readers never see a torn file.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from eventyard.log.base import EventLog, LogRecord
from eventyard.stopping import wait_or_stop
from eventyard.storage.archive_files import hour_dir, part_name
from eventyard.storage.archive_table import decode, received_at, to_table
from eventyard.storage.fs import Store, open_store

__all__ = ["Archiver", "parquet_bytes"]

log = logging.getLogger(__name__)


def parquet_bytes(table: pa.Table, metadata: dict[bytes, bytes] | None = None) -> bytes:
    """A table as a zstd-compressed Parquet file in memory (written with one PUT/rename)."""
    if metadata:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


class Archiver:
    """Log -> Parquet archive, crash-safe (see the module docstring)."""

    def __init__(
        self,
        log: EventLog,
        root: str,
        *,
        consumer: str = "archive",
        flush_every: float = 60.0,
        max_rows: int = 100_000,
        read_batch: int = 5_000,
        storage_options: dict[str, Any] | None = None,
    ) -> None:
        self.log = log
        self.store: Store = open_store(root, **(storage_options or {}))
        self.consumer = consumer
        self.flush_every = flush_every
        self.max_rows = max_rows
        self.read_batch = read_batch
        self._buffers: dict[int, list[LogRecord]] = {}
        self._positions: list[int] | None = None
        self._last_flush = time.monotonic()

    @property
    def buffered(self) -> int:
        return sum(len(b) for b in self._buffers.values())

    async def run(self, stop: asyncio.Event) -> None:
        """Archive until `stop` is set, then archive what the log holds (up to `max_rows`)."""
        while not stop.is_set():
            try:
                if self._positions is None:  # at start, and after a failure: redo first
                    await self.recover()
                moved = await self.poll()
                due = time.monotonic() - self._last_flush >= self.flush_every
                if self.buffered >= self.max_rows or (due and self.buffered):
                    await self.flush()
            except Exception:  # storage hiccup: nothing was committed, so retry later
                log.exception("archiving failed; retrying in 1s")
                self._drop_buffers()
                await wait_or_stop(stop, asyncio.sleep(1.0))
                continue
            if not moved:
                left = max(0.05, self.flush_every - (time.monotonic() - self._last_flush))
                await wait_or_stop(stop, self.log.wait(min(1.0, left)))
        if self._positions is not None:  # stopping: take what has arrived, then flush
            await self.poll()
            await self.flush()

    async def _start(self) -> list[int]:
        if self._positions is None:
            self._positions = [
                await self.log.committed(self.consumer, p) for p in range(self.log.partitions)
            ]
        return self._positions

    def _drop_buffers(self) -> None:
        """Forget unflushed records; they are re-read from the committed offsets."""
        self._buffers.clear()
        self._positions = None

    async def poll(self) -> bool:
        """Read what the log has into the buffers (up to `max_rows`); True if anything."""
        positions = await self._start()
        moved = False
        for partition in range(self.log.partitions):
            room = self.max_rows - self.buffered
            if room <= 0:
                break
            records = await self.log.read(
                partition, positions[partition], min(self.read_batch, room)
            )
            if records:
                self._buffers.setdefault(partition, []).extend(records)
                positions[partition] = records[-1].offset
                moved = True
        return moved

    async def catch_up(self) -> int:
        """Archive everything the log holds now (flushing every `max_rows`); rows archived."""
        await self.recover()
        done = 0
        while await self.poll():
            if self.buffered >= self.max_rows:
                done += self.buffered
                await self.flush()
        done += self.buffered
        await self.flush()
        return done

    async def flush(self) -> None:
        """Write the buffered records of every partition, then commit their offsets."""
        for partition in sorted(self._buffers):
            records = self._buffers[partition]
            if records:
                await self._flush_partition(partition, records)
            del self._buffers[partition]
        self._last_flush = time.monotonic()

    async def _flush_partition(self, partition: int, records: Sequence[LogRecord]) -> None:
        first, last = records[0].offset, records[-1].offset
        await asyncio.to_thread(self._write, partition, records)
        await self.log.commit(self.consumer, partition, last)
        log.debug("archived partition %d offsets %d..%d", partition, first, last)

    def _write(self, partition: int, records: Sequence[LogRecord]) -> None:
        """Steps 1 and 2 of a flush (see the module docstring); runs in a worker thread."""
        first, last = records[0].offset, records[-1].offset
        intent = json.dumps({"first": first, "last": last}).encode()
        self.store.write_atomic(self._intent_path(partition), intent)
        groups: dict[str, list[Any]] = {}
        for record in records:
            message = decode(record)
            received = received_at(message, record)
            groups.setdefault(f"{hour_dir(record.source, received)}", []).append(
                (record, message, received)
            )
        name = part_name(partition, first, last)
        for directory, rows in sorted(groups.items()):
            self.store.write_atomic(f"{directory}/{name}", parquet_bytes(to_table(rows)))

    def _intent_path(self, partition: int) -> str:
        return f"_archiver/{self.consumer}/partition={partition}.json"

    async def recover(self) -> int:
        """Redo any flush that was written but not committed (a crash between steps 2 and 3,
        or between 1 and 3); returns how many were redone."""
        redone = 0
        for partition in range(self.log.partitions):
            path = self._intent_path(partition)
            exists = await asyncio.to_thread(self.store.exists, path)
            if not exists:
                continue
            intent = json.loads(await asyncio.to_thread(self.store.read, path))
            first, last = int(intent["first"]), int(intent["last"])
            committed = await self.log.committed(self.consumer, partition)
            if first <= committed:
                continue
            records = await self._read_range(partition, first, last)
            if records:
                await self._flush_partition(partition, records)
                redone += 1
        self._positions = None
        return redone

    async def _read_range(self, partition: int, first: int, last: int) -> list[LogRecord]:
        records: list[LogRecord] = []
        after = first - 1
        while after < last:
            batch = await self.log.read(partition, after, min(self.read_batch, last - after))
            if not batch:
                break
            records.extend(r for r in batch if r.offset <= last)
            after = batch[-1].offset
        return records
