"""Prometheus metrics: step counts from the trace, queue gauges, delivery latency, and
each destination's adaptive concurrency (limit, requests in flight, request latency).

Counts and gauges are read from the state database when scraped (they survive restarts);
the latency histogram lives in this process (`observe` is called on every delivery), as a
Prometheus client library's would. `render_prometheus` writes text exposition format 0.0.4.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from eventyard.delivery.jobs import DestinationStatus
from eventyard.delivery.limiter import LimitSnapshot

__all__ = ["BUCKETS", "CONTENT_TYPE", "observe", "observe_many", "render_prometheus", "reset"]

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
"""Upper bounds in seconds (Prometheus' defaults, extended to a minute)."""
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(slots=True)
class _Series:
    buckets: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    count: int = 0
    total: float = 0.0


_lock = threading.Lock()
_latency: dict[tuple[str, str], _Series] = {}


def observe(destination: str, action: str, seconds: float) -> None:
    """Record one delivery's latency (delivered at - the event's receivedAt)."""
    observe_many(destination, action, (seconds,))


def observe_many(destination: str, action: str, latencies: Iterable[float]) -> None:
    """Record the latencies of a batch of deliveries of one action at once."""
    with _lock:
        series = _latency.setdefault((destination, action), _Series())
        for seconds in latencies:
            seconds = max(0.0, seconds)
            index = bisect.bisect_left(BUCKETS, seconds)
            if index < len(BUCKETS):
                series.buckets[index] += 1
            series.count += 1
            series.total += seconds


def reset() -> None:
    """Forget every observation (tests)."""
    with _lock:
        _latency.clear()


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def _family(name: str, kind: str, doc: str) -> list[str]:
    return [f"# HELP {name} {doc}", f"# TYPE {name} {kind}"]


def _histogram() -> list[str]:
    name = "eventyard_delivery_latency_seconds"
    lines = _family(name, "histogram", "Seconds from receivedAt to a successful delivery.")
    with _lock:
        snapshot = sorted((key, list(s.buckets), s.count, s.total) for key, s in _latency.items())
    for (destination, action), buckets, count, total in snapshot:
        running = 0
        for bound, n in zip(BUCKETS, buckets, strict=True):
            running += n
            le = _labels(destination=destination, action=action, le=_number(bound))
            lines.append(f"{name}_bucket{le} {running}")
        inf = _labels(destination=destination, action=action, le="+Inf")
        lines.append(f"{name}_bucket{inf} {count}")
        both = _labels(destination=destination, action=action)
        lines.append(f"{name}_sum{both} {_number(total)}")
        lines.append(f"{name}_count{both} {count}")
    return lines


_GAUGES = (
    ("eventyard_queue_pending", "Jobs queued, in flight or waiting to retry.", "pending"),
    ("eventyard_queue_retrying", "Queued jobs that failed at least once.", "retrying"),
    ("eventyard_dead_letters", "Jobs given up on and kept as dead letters.", "dead"),
)


def _gauges(statuses: Sequence[DestinationStatus]) -> list[str]:
    lines: list[str] = []
    for name, doc, attribute in _GAUGES:
        lines += _family(name, "gauge", doc)
        for status in statuses:
            value = getattr(status, attribute)
            lines.append(f"{name}{_labels(destination=status.name)} {value}")
    name = "eventyard_oldest_pending_seconds"
    lines += _family(name, "gauge", "Age of the oldest queued job (0 when none).")
    for status in statuses:
        age = status.oldest_pending_age_s or 0.0
        lines.append(f"{name}{_labels(destination=status.name)} {_number(age)}")
    return lines


_LIMITS = (
    ("eventyard_delivery_concurrency_limit", "Requests the destination may have in flight now."),
    ("eventyard_delivery_in_flight", "Requests of the destination in flight now."),
    ("eventyard_delivery_request_seconds", "Recent request latency (moving average)."),
)


def _limits(limits: Mapping[str, LimitSnapshot]) -> list[str]:
    """The adaptive concurrency of each running destination (`delivery/limiter.py`)."""
    lines: list[str] = []
    for (name, doc), attribute in zip(_LIMITS, ("limit", "in_flight", "latency_s"), strict=True):
        lines += _family(name, "gauge", doc)
        for destination, snapshot in sorted(limits.items()):
            value = getattr(snapshot, attribute)
            if value is not None:
                lines.append(f"{name}{_labels(destination=destination)} {_number(value)}")
    return lines


def render_prometheus(
    counts_rows: Iterable[tuple[str, str, str, str, int]],
    destination_statuses: Sequence[DestinationStatus],
    limits: Mapping[str, LimitSnapshot] | None = None,
) -> str:
    """The whole exposition: `counts_rows` from `trace.counts`, statuses from jobs.status,
    `limits` from the running workers."""
    name = "eventyard_events_total"
    lines = _family(name, "counter", "Events per destination, action, trace step and reason.")
    for destination, action, step, reason, count in counts_rows:
        labels = _labels(destination=destination, action=action, step=step, reason=reason)
        lines.append(f"{name}{labels} {count}")
    lines += _histogram()
    lines += _gauges(destination_statuses)
    lines += _limits(limits or {})
    return "\n".join(lines) + "\n"
