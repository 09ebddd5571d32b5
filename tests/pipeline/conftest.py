"""An in-memory EventLog for pipeline tests, plus the delivery fixtures."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest

from delivery.conftest import client, receiver, state
from eventyard.log.base import Entry, EventLog, LogRecord, Rejection, RejectionCount, partition_for

__all__ = ["MemoryLog", "client", "memory_log", "receiver", "state"]


class MemoryLog(EventLog):
    """Implements the EventLog contract in memory; `fail_commits` simulates a crash."""

    def __init__(self, partitions: int = 2) -> None:
        self.partitions = partitions
        self.records: list[list[LogRecord]] = [[] for _ in range(partitions)]
        self.offsets: dict[tuple[str, int], int] = {}
        self.trims: list[float] = []
        self.fail_commits = 0
        self._appended = asyncio.Event()

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def append(self, entries: Sequence[Entry], rejections: Sequence[Rejection] = ()) -> None:
        for e in entries:
            part = partition_for(e.key, self.partitions)
            offset = len(self.records[part]) + 1
            self.records[part].append(
                LogRecord(part, offset, e.source, e.key, e.message_id, e.payload, time.time())
            )
        self._appended.set()

    def pending(self) -> int:
        return 0

    async def read(self, partition: int, after: int, limit: int) -> list[LogRecord]:
        return self.records[partition][after : after + limit]

    async def wait(self, timeout: float) -> None:
        try:
            async with asyncio.timeout(timeout):
                await self._appended.wait()
        except TimeoutError:
            pass
        self._appended.clear()

    async def commit(self, consumer: str, partition: int, offset: int) -> None:
        if self.fail_commits:
            self.fail_commits -= 1
            raise ConnectionError("simulated crash before the log commit")
        self.offsets[(consumer, partition)] = offset

    async def committed(self, consumer: str, partition: int) -> int:
        return self.offsets.get((consumer, partition), 0)

    async def end_offsets(self) -> list[int]:
        return [len(records) for records in self.records]

    async def trim(self, older_than: float) -> int:
        self.trims.append(older_than)
        return 0

    async def received(self) -> dict[str, int]:
        return {}

    async def rejections(self, limit: int = 100) -> list[Rejection]:
        return []

    async def rejection_counts(self, since: float, limit: int = 200) -> list[RejectionCount]:
        return []  # the router never reads rejections


@pytest.fixture
def memory_log() -> MemoryLog:
    return MemoryLog()
