"""How many requests one destination may have in flight: an adaptive limit (AIMD with a
latency check, after Netflix's concurrency-limits).

A success while the limit is in use and the latency is flat grows the limit by one (so it
doubles each round trip, like TCP's slow start, up to `max_concurrency`). Flat means the
recent latency is within `tolerance` times the destination's unloaded latency (the lowest
seen, drifting slowly up so that a receiver that became slower for good is accepted) plus
a few milliseconds of slack. So a receiver 30 ms away gets many requests in flight, while
one on the same machine, whose latency only grows with more requests (they queue in it or
in our own event loop), keeps a few. A `429`, a `5xx` or a timeout halves the limit, latency
above the band cuts it by a tenth, never below `min_concurrency`. One cut per round trip:
answers to requests started before the last cut are already accounted for, so a burst of
failures from one window of requests halves the limit once, not once per request.

`Retry-After` pauses the whole destination: no request starts before that time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["ConcurrencyLimit", "LimitSnapshot"]

_SHORT = 0.2
"""Weight of the newest sample in the recent latency (about the last 5 answers)."""
_DRIFT = 0.002
"""How fast the unloaded latency follows slower answers (about the last 500 answers)."""
_TOLERANCE = 2.0
_SLACK = 0.005
"""Recent latency above TOLERANCE x unloaded + SLACK seconds means requests are queueing."""
_START = 4
"""A destination starts where the fixed default used to be (within its range), then adapts."""
_LATENCY_CUT = 0.9
_FAILURE_CUT = 0.5


@dataclass(frozen=True, slots=True)
class LimitSnapshot:
    """What /metrics and the delivery page show for one destination."""

    limit: int
    in_flight: int
    latency_s: float | None
    """Recent request latency (moving average), None before the first answer."""


class ConcurrencyLimit:
    """The adaptive limit of one destination; the caller counts requests in and out."""

    def __init__(self, minimum: int, maximum: int, initial: int | None = None) -> None:
        if not 1 <= minimum <= maximum:
            raise ValueError(f"need 1 <= minimum ({minimum}) <= maximum ({maximum})")
        self.minimum = minimum
        self.maximum = maximum
        self._limit = float(min(maximum, max(minimum, initial or _START)))
        self.in_flight = 0
        self.paused_until = 0.0
        """No request starts before this time (`time.monotonic()`), from Retry-After."""
        self._short: float | None = None
        self._floor: float | None = None
        """The unloaded latency: the lowest seen, drifting slowly up."""
        self._last_cut = -math.inf

    @property
    def limit(self) -> int:
        return int(self._limit)

    def pause(self, until: float) -> None:
        """Retry-After: hold every new request of the destination until `until`."""
        self.paused_until = max(self.paused_until, until)

    def on_success(self, started: float, now: float, in_flight: int) -> None:
        """An answer in time; `in_flight`: the requests under way (sent or being settled)
        when it started."""
        latency = max(0.0, now - started)
        self._short = latency if self._short is None else _mix(self._short, latency, _SHORT)
        if self._floor is None or latency < self._floor:
            self._floor = latency
        else:
            self._floor = _mix(self._floor, latency, _DRIFT)
        if self._short > _TOLERANCE * self._floor + _SLACK:
            self._cut(started, now, _LATENCY_CUT)
        elif 2 * in_flight >= self._limit:  # only a limit in use has shown it is enough
            self._limit = min(float(self.maximum), self._limit + 1.0)

    def on_failure(self, started: float, now: float) -> None:
        """A 429, 5xx, timeout or connection failure: the destination wants less."""
        self._cut(started, now, _FAILURE_CUT)

    def _cut(self, started: float, now: float, factor: float) -> None:
        if started < self._last_cut:  # sent before the last cut, which already counted it
            return
        self._limit = max(float(self.minimum), self._limit * factor)
        self._last_cut = now

    def snapshot(self) -> LimitSnapshot:
        return LimitSnapshot(self.limit, self.in_flight, self._short)


def _mix(average: float, sample: float, weight: float) -> float:
    return average + weight * (sample - average)
