"""Sign-in throttling: failed logins counted per client address and per account.

After MAX_FAILURES failed sign-ins within WINDOW seconds from one address (an IPv6 client
counts by its /64) or for one login, further attempts are refused with 429 before any
password is checked, until the oldest failure leaves the window: a correct password is
refused too, so that a lockout cannot be used to confirm a guess. An attempt still being
checked counts against the limits already, so a burst of parallel guesses cannot slip
past them. Counts live in this process (a restart forgets them) and are bounded in number.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = ["MAX_FAILURES", "MAX_IN_FLIGHT", "WINDOW", "Attempt", "LoginGuard", "Throttled"]

MAX_FAILURES = 10
WINDOW = 300.0
"""Seconds a failed sign-in counts against its address and its login."""
MAX_IN_FLIGHT = 32
"""Password checks waiting or running at once, install-wide; more are answered 429."""
_MAX_KEYS = 20_000
_LIMITS = ("ip", "account", "busy")


class Throttled(Exception):
    """Refused before the password was checked; retry after `retry_after` seconds."""

    def __init__(self, retry_after: int, limit: str) -> None:
        super().__init__(f"too many sign-ins ({limit}); retry after {retry_after} s")
        self.retry_after = retry_after
        self.limit = limit


@dataclass(slots=True)
class _Counts:
    failures: deque[float] = field(default_factory=deque)
    pending: int = 0


@dataclass(slots=True)
class Attempt:
    """One sign-in being checked; call `succeeded()` when the password matched."""

    keys: tuple[str, str]
    ok: bool = False

    def succeeded(self) -> None:
        self.ok = True


def _address_key(ip: str | None) -> str:
    try:
        parsed = ipaddress.ip_address(ip or "")
    except ValueError:
        return f"ip:{(ip or 'unknown')[:64]}"
    if parsed.version == 6:
        return f"ip:{ipaddress.ip_network(f'{parsed}/64', strict=False)}"
    return f"ip:{parsed}"


class LoginGuard:
    """The limits and the counters of /metrics; used from the event loop only."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        max_failures: int = MAX_FAILURES,
        window: float = WINDOW,
    ) -> None:
        self._clock = clock
        self._max = max_failures
        self._window = window
        self._counts: OrderedDict[str, _Counts] = OrderedDict()
        self._in_flight = 0
        self.failures_total = 0
        self.throttled_total = dict.fromkeys(_LIMITS, 0)

    def _get(self, key: str, now: float) -> _Counts:
        counts = self._counts.get(key)
        if counts is None:
            counts = self._counts[key] = _Counts()
            self._evict(now)
        while counts.failures and counts.failures[0] <= now - self._window:
            counts.failures.popleft()
        return counts

    def _evict(self, now: float) -> None:
        """Keep at most _MAX_KEYS: drop quiet keys first, then the longest known."""
        if len(self._counts) <= _MAX_KEYS:
            return
        quiet = [
            key
            for key, c in self._counts.items()
            if not c.pending and (not c.failures or c.failures[-1] <= now - self._window)
        ]
        for key in quiet:
            del self._counts[key]
        while len(self._counts) > _MAX_KEYS:
            self._counts.popitem(last=False)

    def _wait(self, counts: _Counts, now: float) -> int | None:
        """Seconds until one more attempt fits under the limit; None when it fits now."""
        over = len(counts.failures) + counts.pending - self._max
        if over < 0:
            return None
        if over >= len(counts.failures):  # attempts in progress fill the limit
            return 1
        return max(1, math.ceil(counts.failures[over] + self._window - now))

    @contextmanager
    def attempt(self, ip: str | None, login: str) -> Iterator[Attempt]:
        """Reserve a sign-in attempt (raises Throttled); on exit, a failure is counted
        unless `succeeded()` was called. A success clears the account's failures only:
        signing in to one account must not reset an address that guesses at others."""
        now = self._clock()
        keys = (_address_key(ip), f"login:{login.strip().lower()[:320]}")
        if self._in_flight >= MAX_IN_FLIGHT:
            self._refuse(1, "busy")
        for key, limit in zip(keys, ("ip", "account"), strict=True):
            wait = self._wait(self._get(key, now), now)
            if wait is not None:
                self._refuse(wait, limit)
        held = [self._get(key, now) for key in keys]
        for counts in held:
            counts.pending += 1
        self._in_flight += 1
        attempt = Attempt(keys)
        try:
            yield attempt
        finally:
            self._in_flight -= 1
            for counts in held:
                counts.pending -= 1
            if attempt.ok:
                held[1].failures.clear()
            else:
                self.failures_total += 1
                for counts in held:
                    counts.failures.append(self._clock())

    def _refuse(self, wait: int, limit: str) -> None:
        self.throttled_total[limit] += 1
        raise Throttled(wait, limit)

    def prometheus(self) -> str:
        """The two counters in Prometheus text format."""
        lines = [
            "# HELP eventyard_login_failures_total Sign-ins refused for a wrong login or password.",
            "# TYPE eventyard_login_failures_total counter",
            f"eventyard_login_failures_total {self.failures_total}",
            "# HELP eventyard_login_throttled_total Sign-ins answered 429 before the password "
            "was checked, by the limit reached (ip, account, busy).",
            "# TYPE eventyard_login_throttled_total counter",
        ]
        lines += [
            f'eventyard_login_throttled_total{{limit="{limit}"}} {count}'
            for limit, count in self.throttled_total.items()
        ]
        return "\n".join(lines) + "\n"
