"""Following one source's new events in the log, for the live debugger.

The log has no index by source, so a tail reads every partition from where it stands and
keeps the source's records. It never falls far behind: past `max_behind` records in a
partition it jumps ahead and says how many it skipped (a debugger shows what happens now;
the trace and the archive keep the rest). The cursor (one offset per partition) is sent as
the SSE event id, so a reconnecting browser resumes where it left off.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from eventyard.log.base import EventLog, LogRecord
from eventyard.stopping import wait_or_stop

__all__ = ["Batch", "parse_cursor", "tail"]

_CURSOR = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,15}){0,1023}")


@dataclass(frozen=True, slots=True)
class Batch:
    """What the tail found in one pass; empty when it only woke up."""

    records: list[LogRecord]
    skipped: int
    """Records of any source jumped over because the tail was too far behind."""
    cursor: str


def _cursor(offsets: list[int]) -> str:
    return ".".join(map(str, offsets))


def parse_cursor(text: str | None, ends: list[int]) -> list[int] | None:
    """The offsets of a cursor sent back by a browser (`Last-Event-ID`), if it is one that
    fits this log: one offset per partition, none past the end."""
    if not text or not _CURSOR.fullmatch(text):
        return None
    offsets = [int(part) for part in text.split(".")]
    if len(offsets) != len(ends) or any(o > end for o, end in zip(offsets, ends, strict=True)):
        return None
    return offsets


async def tail(
    log: EventLog,
    source: str,
    offsets: list[int],
    stop: asyncio.Event,
    *,
    poll: float = 1.0,
    batch: int = 100,
    max_behind: int = 1000,
) -> AsyncGenerator[Batch, None]:
    """Yield the source's records appended after `offsets`, for as long as the caller reads
    and `stop` is not set, and an empty batch whenever a pass finds nothing (then wait up to
    `poll` seconds, or until `stop` is set).

    Waits are on behalf of the caller's task (`wait_or_stop` keeps that): the log remembers
    per task which appends it has seen, which is what makes an append between a read and
    the next wait wake that wait at once.
    """
    await log.wait(0)  # from here on, every append wakes this task's next wait
    while not stop.is_set():
        ends = await log.end_offsets()
        skipped = 0
        for partition, end in enumerate(ends):
            behind = end - offsets[partition]
            if behind > max_behind:
                skipped += behind - max_behind
                offsets[partition] = end - max_behind
        found: list[LogRecord] = []
        more = False
        for partition, end in enumerate(ends):
            if offsets[partition] >= end:
                continue
            records = await log.read(partition, offsets[partition], batch)
            if records:
                offsets[partition] = records[-1].offset
                found += [r for r in records if r.source == source]
            more = more or (bool(records) and offsets[partition] < end)
        found.sort(key=lambda r: (r.appended_at, r.partition, r.offset))
        if found or skipped or not more:
            yield Batch(found, skipped, _cursor(offsets))
        if not more:
            await wait_or_stop(stop, log.wait(poll))
