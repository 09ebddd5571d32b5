"""Turning one attempt's per-job outcomes into state writes, trace steps and metrics.

A `perform` or a failed `perform_batch` gives every job the same outcome; a multistatus
`perform_batch` gives each its own: taken jobs complete, TransientError jobs are retried
with backoff (or dead-lettered past max_age), TerminalError jobs are dead-lettered. All of
it, trace steps included, is written in one state transaction.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eventyard.control.config import DeliverySettings
from eventyard.control.documents import redact
from eventyard.delivery import exchanges, jobs, metrics, trace
from eventyard.delivery.backoff import backoff_delay
from eventyard.delivery.jobs import Job
from eventyard.delivery.outbound import OutboundRefused
from eventyard.errors import DeliveryError, TransientError

__all__ = ["Settlement", "failure_reason", "latency", "observe", "settle"]


def failure_reason(error: DeliveryError) -> str:
    """A short label for an attempt that failed without an HTTP status."""
    text = str(error)
    if text.startswith(("timed out", "no answer")):
        return "timeout"
    if text.startswith("connection failed"):
        return "connection"
    if isinstance(error, OutboundRefused):
        return "outbound_policy"
    return "transient" if isinstance(error, TransientError) else "terminal"


def latency(job: Job, now: float) -> float:
    """Seconds since the event was received (or, failing that, queued)."""
    return max(0.0, now - (job.received_at if job.received_at is not None else job.created_at))


@dataclass(slots=True)
class Settlement:
    """What to write for one attempt; `apply` runs in the state thread."""

    destination: str
    done: list[Job] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    """Per action, the delivered jobs' latencies, for the histogram."""
    retry: dict[str, list[tuple[int, float]]] = field(default_factory=lambda: defaultdict(list))
    dead: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    steps: list[trace.Step] = field(default_factory=list)
    exchanges: list[exchanges.Exchange] = field(default_factory=list)
    """The attempt's requests and responses as shown (`delivery.exchanges`), if any."""

    def apply(self, conn: sqlite3.Connection, now: float) -> None:
        if self.done:
            jobs.complete(conn, self.destination, [job.id for job in self.done])
        for message, due in self.retry.items():
            jobs.reschedule(conn, self.destination, due, message, now)
        for message, ids in self.dead.items():
            jobs.bury(conn, self.destination, ids, message, now)
        trace.record(conn, self.steps)
        if self.exchanges:
            message_ids = [step.message_id for step in self.steps]
            exchanges.record(conn, self.destination, message_ids, self.exchanges, now)


def settle(
    destination: str,
    settings: DeliverySettings,
    batch: list[Job],
    outcomes: list[DeliveryError | None],
    now: float,
    secrets: Sequence[Any] = (),
) -> Settlement:
    """Decide every job's fate (pure: no I/O); the caller applies it and then `observe`s.

    `secrets` (the destination's secret values) are masked in every error message: a
    platform that echoes the key it refused ("invalid key sk_...") must not put it into the
    trace, the dead letters or the log.
    """
    result = Settlement(destination)
    max_age = float(settings.max_age)
    for job, error in zip(batch, outcomes, strict=True):
        attempt = job.attempts + 1
        if error is None:
            seconds = latency(job, now)
            result.done.append(job)
            result.latencies[job.action].append(seconds)
            attempts = "1 attempt" if attempt == 1 else f"{attempt} attempts"
            detail = f"delivered in {attempts}, {round(seconds * 1000)} ms"
            result.steps.append(_step(job, destination, "delivered", detail, None, "", now))
            continue
        status = getattr(error, "status", None)
        reason = "" if status is not None else failure_reason(error)
        message = redact(str(error), secrets)
        if isinstance(error, TransientError) and now - job.created_at <= max_age:
            delay = backoff_delay(attempt, settings, error.retry_after)
            result.retry[message].append((job.id, now + delay))
            detail = f"attempt {attempt}: {message}"
            result.steps.append(
                _step(job, destination, "attempt_failed", detail, status, reason, now)
            )
            continue
        if isinstance(error, TransientError):
            message = f"{message} (still failing after max_age {max_age:g}s)"
        result.dead[message].append(job.id)
        detail = f"attempt {attempt}: {message}"
        result.steps.append(_step(job, destination, "dead", detail, status, reason, now))
    return result


def _step(
    job: Job,
    destination: str,
    name: str,
    detail: str,
    status: int | None,
    reason: str,
    now: float,
) -> trace.Step:
    return trace.Step(job.message_id, destination, job.action, name, detail, status, now, reason)


def observe(settlement: Settlement) -> None:
    """Record delivery latencies once the settlement is committed."""
    for action, seconds in settlement.latencies.items():
        metrics.observe_many(settlement.destination, action, seconds)
