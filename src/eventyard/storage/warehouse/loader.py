"""The warehouse loader: a log consumer that loads micro-batches into one warehouse.

Order per batch: read up to `batch_size` records from the committed offsets, flatten them,
load them in ONE warehouse transaction (`load.py`; a `BatchTarget` loads them itself, idempotent
by id), and only then commit the offsets.
- kill -9 before the warehouse commit: the transaction is rolled back by the database, the
  offsets were not committed, the batch is read again. No loss.
- kill -9 between the warehouse commit and the offset commit: the batch is read again and
  the insert skips every id that is already there. No duplicates.

With `protocols` (`warehouse.protocols`), a source's tracking plan and its transformations
marked `warehouse: true` apply before flattening: blocked events are not loaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from eventyard.log.base import EventLog, LogRecord
from eventyard.protocols.compile import Protocols
from eventyard.storage.archive_table import decode
from eventyard.storage.warehouse.flatten import Row, flatten
from eventyard.storage.warehouse.load import LoadStats, load_schema
from eventyard.storage.warehouse.naming import snake_case
from eventyard.storage.warehouse.target import BatchTarget, SqlTarget, Target

__all__ = ["WarehouseLoader"]

log = logging.getLogger(__name__)


class WarehouseLoader:
    """Log -> warehouse, exactly once per messageId (see the module docstring)."""

    def __init__(
        self,
        log: EventLog,
        target: Target,
        *,
        consumer: str | None = None,
        interval: float = 30.0,
        batch_size: int = 20_000,
        sources: frozenset[str] | None = None,
        protocols: Callable[[], Protocols | None] | None = None,
    ) -> None:
        self.log = log
        self.target = target
        self.consumer = consumer or f"warehouse:{target.name}"
        self.interval = interval
        self.batch_size = batch_size
        self.sources = sources
        """Only these sources are loaded (the others' records are passed over); None: all."""
        self.protocols = protocols
        """The tracking plans and transformations to apply (`warehouse.protocols`), if any."""
        self.last_stats: dict[str, LoadStats] = {}
        self.last_load_at: float | None = None
        """Unix time of the last load that committed (whatever it covered)."""

    async def run(self, stop: asyncio.Event) -> None:
        """Load every `interval` seconds (at once again while a backlog remains)."""
        while not stop.is_set():
            try:
                loaded = await self.load_once()
            except Exception:  # nothing was committed; the same batch is tried again
                log.exception("warehouse %s: load failed; retrying", self.target.name)
                loaded = 0
            if loaded < self.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.interval)

    async def load_once(self) -> int:
        """Load one micro-batch; returns how many log records it covered."""
        batches: list[list[LogRecord]] = []
        room = self.batch_size
        for partition in range(self.log.partitions):
            if room <= 0:
                break
            after = await self.log.committed(self.consumer, partition)
            records = await self.log.read(partition, after, room)
            if records:
                batches.append(records)
                room -= len(records)
        records = [r for batch in batches for r in batch]
        if not records:
            return 0
        self.last_stats = await asyncio.to_thread(self._load, records)
        for batch in batches:
            await self.log.commit(self.consumer, batch[0].partition, batch[-1].offset)
        self.last_load_at = time.time()
        return len(records)

    def _load(self, records: Sequence[LogRecord]) -> dict[str, LoadStats]:
        """Flatten and load in one transaction (a worker thread)."""
        now = datetime.now(UTC)
        by_schema: dict[str, list[tuple[str, Row]]] = {}
        protocols = None if self.protocols is None else self.protocols()
        for record in records:
            if self.sources is not None and record.source not in self.sources:
                continue
            message: dict[str, Any] = decode(record)
            if protocols is not None:
                screened = protocols.screen_for_warehouse(record.source, message)
                if screened is not None:
                    if screened.event is None:
                        continue  # blocked by the source's tracking plan
                    message = screened.event
            rows = flatten(message, now)
            if rows:
                by_schema.setdefault(snake_case(record.source), []).extend(rows)
        if isinstance(self.target, BatchTarget):
            return self.target.load(by_schema)
        assert isinstance(self.target, SqlTarget)
        stats: dict[str, LoadStats] = {}
        with self.target.session() as session:
            for schema, rows in by_schema.items():
                stats[schema] = load_schema(session, schema, rows)
        return stats
