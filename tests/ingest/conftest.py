"""An in-memory EventLog and an HTTP client bound to the tracking app."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import orjson
import pytest

from eventyard.control.config import Config, ServerSettings, SourceConfig
from eventyard.errors import LogError
from eventyard.ingest.app import create_app
from eventyard.log.base import Entry, EventLog, LogRecord, Rejection, RejectionCount, partition_for

WRITE_KEY = "wk_web"
OTHER_KEY = "wk_server"


class MemoryLog(EventLog):
    """Lists instead of disk; `fail` makes append raise LogError, `backlog` fakes pending."""

    def __init__(self, partitions: int = 4) -> None:
        self.partitions = partitions
        self.records: list[LogRecord] = []
        self.rejected: list[Rejection] = []
        self.appends = 0
        """Appends that stored events (a refused request stores at most its rejection)."""
        self.fail = False
        self.backlog = 0
        self._commits: dict[tuple[str, int], int] = {}

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def append(self, entries: Sequence[Entry], rejections: Sequence[Rejection] = ()) -> None:
        if self.fail:
            raise LogError("disk full")
        self.appends += bool(entries)
        for entry in entries:
            partition = partition_for(entry.key, self.partitions)
            offset = sum(1 for r in self.records if r.partition == partition) + 1
            self.records.append(
                LogRecord(
                    partition, offset, entry.source, entry.key, entry.message_id, entry.payload, 0.0
                )
            )
        self.rejected.extend(rejections)

    def pending(self) -> int:
        return self.backlog

    async def read(self, partition: int, after: int, limit: int) -> list[LogRecord]:
        found = [r for r in self.records if r.partition == partition and r.offset > after]
        return found[:limit]

    async def wait(self, timeout: float) -> None:
        pass

    async def commit(self, consumer: str, partition: int, offset: int) -> None:
        self._commits[consumer, partition] = offset

    async def committed(self, consumer: str, partition: int) -> int:
        return self._commits.get((consumer, partition), 0)

    async def end_offsets(self) -> list[int]:
        return [
            max((r.offset for r in self.records if r.partition == p), default=0)
            for p in range(self.partitions)
        ]

    async def trim(self, older_than: float) -> int:
        return 0

    async def received(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for record in self.records:
            counts[record.source] = counts.get(record.source, 0) + 1
        return counts

    async def rejections(self, limit: int = 100) -> list[Rejection]:
        return list(reversed(self.rejected))[:limit]

    async def rejection_counts(self, since: float, limit: int = 200) -> list[RejectionCount]:
        return []  # tests read `rejected`

    def events(self) -> list[dict[str, Any]]:
        """The stored payloads, decoded, in append order."""
        return [orjson.loads(record.payload) for record in self.records]


def make_config(**server: Any) -> Config:
    return Config(
        server=ServerSettings(**server),
        sources=[
            SourceConfig(name="web", write_key=WRITE_KEY),
            SourceConfig(name="server", write_key=OTHER_KEY),
        ],
    )


def basic(key: str, colon: bool = True) -> dict[str, str]:
    token = base64.b64encode(f"{key}{':' if colon else ''}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def log() -> MemoryLog:
    return MemoryLog()


@pytest.fixture
def config() -> Config:
    return make_config()


@pytest.fixture
async def client(config: Config, log: MemoryLog) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(config, log)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://collector.test") as c:
        yield c
