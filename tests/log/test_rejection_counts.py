"""`rejection_counts`: rejections per (source, code) since a time, the newest as the sample,
on both backends (the Overview and the Source page read it)."""

from __future__ import annotations

import time

from eventyard.log.base import EventLog, Rejection
from log.test_contract import entry, event_log, make_log

__all__ = ["event_log", "make_log"]


async def test_counts_per_source_and_code_with_the_newest_sample(event_log: EventLog) -> None:
    before = time.time() - 1
    await event_log.append([], [Rejection("web", "no_user_anon_id", "old text", b"{}")])
    await event_log.append(
        [entry("a", 1)],
        [
            Rejection("web", "no_user_anon_id", "userId or anonymousId is required", b'{"n":2}'),
            Rejection("ios", "invalid_request", "bad batch", b""),
        ],
    )
    counts = await event_log.rejection_counts(before)
    shown = [(c.source, c.code, c.count, c.message, c.payload) for c in counts]
    assert shown == [
        ("web", "no_user_anon_id", 2, "userId or anonymousId is required", b'{"n":2}'),
        ("ios", "invalid_request", 1, "bad batch", b""),
    ]
    assert all(c.last_at >= before for c in counts)
    assert await event_log.rejection_counts(time.time() + 60) == []
    assert len(await event_log.rejection_counts(before, limit=1)) == 1
