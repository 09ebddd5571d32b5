"""The adaptive concurrency limit as a unit (a clock of our own, answers of our choosing),
and the `delivery:` keys that set its range."""

from __future__ import annotations

import pytest

from eventyard.control.config import parse_config
from eventyard.delivery.limiter import ConcurrencyLimit
from eventyard.errors import ConfigError

RTT = 0.03


def flat_round(limit: ConcurrencyLimit, start: float, rtt: float = RTT) -> float:
    """One round trip with the whole limit in use, every answer a success; returns its end."""
    used = limit.limit
    for _ in range(used):
        limit.on_success(start, start + rtt, in_flight=used)
    return start + rtt


def test_grows_while_latency_stays_flat_up_to_the_max() -> None:
    limit = ConcurrencyLimit(1, 64, initial=1)
    now, seen = 0.0, [limit.limit]
    for _ in range(10):
        now = flat_round(limit, now)
        seen.append(limit.limit)
    assert seen[:4] == [1, 2, 4, 8]  # doubles per round trip
    assert seen[-1] == 64 and max(seen) == 64


def test_does_not_grow_when_the_limit_is_not_in_use() -> None:
    limit = ConcurrencyLimit(1, 64, initial=16)
    for i in range(100):
        limit.on_success(i * RTT, i * RTT + RTT, in_flight=2)
    assert limit.limit == 16


def test_rising_latency_shrinks_the_limit() -> None:
    limit = ConcurrencyLimit(1, 64, initial=32)
    now = 0.0
    for _ in range(20):
        now = flat_round(limit, now, rtt=RTT)
    before = limit.limit
    for _ in range(5):
        now = flat_round(limit, now, rtt=10 * RTT)  # the receiver queues our requests
    assert limit.limit < before


def test_429_with_retry_after_halves_once_per_round_and_pauses() -> None:
    limit = ConcurrencyLimit(2, 64, initial=40)
    for _ in range(40):  # a whole window of requests sent at t=0 all get 429
        limit.on_failure(started=0.0, now=RTT)
    assert limit.limit == 20
    limit.pause(RTT + 5.0)
    limit.pause(RTT + 1.0)  # a shorter Retry-After never shortens the pause
    assert limit.paused_until == RTT + 5.0
    limit.on_failure(started=RTT, now=2 * RTT)  # sent after the cut: cuts again
    assert limit.limit == 10


@pytest.mark.parametrize("failures", [1, 3, 30])
def test_5xx_and_timeouts_never_go_below_the_min(failures: int) -> None:
    limit = ConcurrencyLimit(3, 64, initial=8)
    now = 0.0
    for _ in range(failures):
        limit.on_failure(started=now, now=now + 1.0)
        now += 1.0
    assert limit.limit >= 3
    if failures >= 3:
        assert limit.limit == 3


def test_starts_at_4_within_the_range() -> None:
    assert [ConcurrencyLimit(*r).limit for r in [(1, 64), (8, 64), (1, 2)]] == [4, 8, 2]


def test_a_fixed_limit_stays_fixed() -> None:
    limit = ConcurrencyLimit(4, 4)
    limit.in_flight = 3
    flat_round(limit, 0.0)
    limit.on_failure(started=1.0, now=2.0)
    snapshot = limit.snapshot()
    assert (snapshot.limit, snapshot.in_flight) == (4, 3)
    assert snapshot.latency_s == pytest.approx(RTT)


def test_a_bad_range_is_refused() -> None:
    with pytest.raises(ValueError, match="minimum"):
        ConcurrencyLimit(8, 4)


DESTINATION = """
sources: [{name: web, write_key: wk}]
destinations:
  - name: hook
    type: webhook
    sources: [web]
    settings: {url: "http://127.0.0.1:9/in"}
    delivery: %s
"""


@pytest.mark.parametrize(
    ("delivery", "expected"),
    [("{}", (1, 64)), ("{concurrency: 8}", (8, 8)), ("{max_concurrency: 16}", (1, 16))],
)
def test_the_delivery_keys_give_the_range(delivery: str, expected: tuple[int, int]) -> None:
    (destination,) = parse_config(DESTINATION % delivery).destinations
    assert destination.delivery.concurrency_range == expected


def test_a_min_above_the_max_is_a_config_error_naming_both() -> None:
    with pytest.raises(ConfigError, match="min_concurrency \\(8\\) is above max_concurrency"):
        parse_config(DESTINATION % "{min_concurrency: 8, max_concurrency: 2}")
