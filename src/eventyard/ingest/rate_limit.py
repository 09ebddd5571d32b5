"""Per-source rate limits (`sources[].rate_limit`, segment.md §1.4): one token bucket per
source, counting events, so that a batch of 100 costs 100.

A request over the rate is refused whole with 429 and the seconds to wait, which clients
honour (analytics-node and the browser read Retry-After; analytics-python retries 429). A
batch larger than the burst passes when the bucket is full and leaves it in debt, so that a
client's normal batch size can never be refused forever and the long-run rate still holds.
The buckets live in this process; a restart starts them full.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from eventyard.control.config import RateLimit, SourceConfig

__all__ = ["SourceLimits"]


@dataclass(slots=True)
class _Bucket:
    limit: RateLimit
    tokens: float
    at: float


class SourceLimits:
    """The buckets of every limited source and the events each has had refused."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self.refused: dict[str, int] = {}
        """Events answered 429 (or dropped, for the pixel) per source since the start."""

    def configure(self, sources: Iterable[SourceConfig]) -> None:
        """Follow a configuration change; a source whose limit is unchanged keeps its bucket."""
        buckets: dict[str, _Bucket] = {}
        for source in sources:
            if source.rate_limit is None:
                continue
            bucket = self._buckets.get(source.name)
            if bucket is None or bucket.limit != source.rate_limit:
                bucket = _Bucket(source.rate_limit, source.rate_limit.capacity, self._clock())
            buckets[source.name] = bucket
        self._buckets = buckets

    def take(self, source: str, events: int) -> float | None:
        """None when `events` may pass now (and they are counted), else the seconds until
        they would; refused events are added to `refused`."""
        bucket = self._buckets.get(source)
        if bucket is None:
            return None
        limit = bucket.limit
        capacity = limit.capacity
        now = self._clock()
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.at) * limit.events_per_second)
        bucket.at = now
        needed = min(events, capacity)
        if bucket.tokens >= needed:
            bucket.tokens -= events
            return None
        self.refused[source] = self.refused.get(source, 0) + events
        return (needed - bucket.tokens) / limit.events_per_second
