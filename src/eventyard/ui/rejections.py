"""Rejected events on the Overview and the Source page: per source and reason, how many
messages ingest refused in the last 24 h (single calls answered `400`, whole batches
refused, and bad messages inside accepted batches), each reason with its newest message.

The log keeps rejections for `log.retention`; counting reads them with one grouped query.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from eventyard.log.base import EventLog
from eventyard.ui.jsonview import payload_view

__all__ = ["Rejected", "RejectedReason", "rejected"]

DAY = 86400.0


@dataclass(frozen=True, slots=True)
class RejectedReason:
    source: str
    code: str
    count: int
    message: str
    last_at: float
    preview: str
    sample: Markup
    """The newest rejected message (highlighted JSON, or text when it was not JSON)."""


@dataclass(frozen=True, slots=True)
class Rejected:
    per_source: dict[str, int]
    reasons: list[RejectedReason]


async def rejected(log: EventLog, sources: set[str], now: float) -> Rejected:
    """The last 24 h's rejections of these sources (a workspace's), most frequent first."""
    found = [r for r in await log.rejection_counts(now - DAY) if r.source in sources]
    per_source: dict[str, int] = {}
    reasons = []
    for r in found:
        per_source[r.source] = per_source.get(r.source, 0) + r.count
        preview, sample = payload_view(r.payload) if r.payload else ("(no body)", Markup(""))
        reasons.append(
            RejectedReason(r.source, r.code, r.count, r.message, r.last_at, preview, sample)
        )
    return Rejected(per_source, reasons)
