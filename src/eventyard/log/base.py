"""The event log: durable, append-only, partitioned by user key.

`append` returns only once its entries are durable. Backends group-commit: appends that
arrive while a write is in progress are collected and written together in the next
transaction, so many concurrent requests share one fsync.

Within a partition, offsets are contiguous integers starting at 1, assigned in commit order;
a consumer that has processed up to offset N reads `after=N` and never misses an entry.
"""

from __future__ import annotations

import zlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

__all__ = [
    "REJECTION_COUNTS",
    "Entry",
    "EventLog",
    "LogRecord",
    "Rejection",
    "RejectionCount",
    "partition_for",
]


class Entry(msgspec.Struct, frozen=True, array_like=True):
    """One accepted event to append (a Struct, so that a backend can encode many at once)."""

    source: str
    """The source name (not the write key)."""
    key: str
    """The user key: userId, else anonymousId (else previousId/groupId); decides the partition."""
    message_id: str
    payload: bytes
    """The enriched event as Segment JSON (UTF-8)."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message refused at ingest inside an otherwise accepted request, kept for inspection."""

    source: str
    code: str
    message: str
    payload: bytes
    """The message as received, cut to 32 KiB."""


@dataclass(frozen=True, slots=True)
class RejectionCount:
    """The rejections of one source with one code since some time; the newest is the sample."""

    source: str
    code: str
    count: int
    message: str
    payload: bytes
    last_at: float


REJECTION_COUNTS = (
    "SELECT r.source, r.code, c.n, r.message, r.payload, r.at FROM (SELECT source, code,"
    " COUNT(*) AS n, MAX(id) AS newest FROM {p}rejections WHERE at >= {mark}"
    " GROUP BY source, code) c JOIN {p}rejections r ON r.id = c.newest"
    " ORDER BY c.n DESC, r.source, r.code LIMIT {mark}"
)
"""The SQL of `rejection_counts` for both backends (table prefix `p`, parameter `mark`)."""


@dataclass(frozen=True, slots=True)
class LogRecord:
    """An entry as read back from the log."""

    partition: int
    offset: int
    source: str
    key: str
    message_id: str
    payload: bytes
    appended_at: float
    """Unix time of the durable append."""


def partition_for(key: str, partitions: int) -> int:
    """Stable across processes and versions (crc32, not Python's salted hash)."""
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % partitions


class EventLog(ABC):
    """One interface, one module per backend; `open_log(url)` picks the backend."""

    partitions: int

    @abstractmethod
    async def open(self) -> None:
        """Create tables if needed and start the group-commit writer."""

    @abstractmethod
    async def close(self) -> None:
        """Finish every pending append (each caller gets its answer), then release resources."""

    @abstractmethod
    async def append(self, entries: Sequence[Entry], rejections: Sequence[Rejection] = ()) -> None:
        """Durably append; returns after commit. Raises LogError if the write failed."""

    @abstractmethod
    def pending(self) -> int:
        """Entries handed to `append` and not yet committed (for overload answers)."""

    @abstractmethod
    async def read(self, partition: int, after: int, limit: int) -> list[LogRecord]:
        """Up to `limit` records of a partition with offset > after, in offset order."""

    @abstractmethod
    async def wait(self, timeout: float) -> None:
        """Return when something may have been appended since the last call, or on timeout."""

    @abstractmethod
    async def commit(self, consumer: str, partition: int, offset: int) -> None:
        """Record that `consumer` has processed `partition` up to and including `offset`."""

    @abstractmethod
    async def committed(self, consumer: str, partition: int) -> int:
        """The last committed offset of a consumer in a partition; 0 if none."""

    @abstractmethod
    async def end_offsets(self) -> list[int]:
        """The last offset of each partition (0 for an empty one), indexed by partition."""

    @abstractmethod
    async def trim(self, older_than: float) -> int:
        """Retention: delete records appended before the Unix time `older_than` that every
        consumer has committed past. Returns how many were deleted."""

    @abstractmethod
    async def received(self) -> dict[str, int]:
        """Events appended per source since the log was created (survives trimming)."""

    @abstractmethod
    async def rejections(self, limit: int = 100) -> list[Rejection]:
        """The most recent rejections, newest first."""

    @abstractmethod
    async def rejection_counts(self, since: float, limit: int = 200) -> list[RejectionCount]:
        """Rejections kept since the Unix time `since` per (source, code), most frequent
        first, each with its newest message as the sample."""
