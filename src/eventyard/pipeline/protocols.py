"""The Protocols stage: tracking plans and transformations, in the router's transaction,
after dedup and before any destination.

For each fresh event of a source with a plan or transformations (`protocols.screen`):
violations are counted per day (`protocols.store`); a blocked event gets a `blocked` trace
step for every destination connected to its source (reason `unplanned_event`, `violation`, or
`forwarded:<source>`) and goes no further; a forwarded one, and "Violation Generated" events
when the plan asks for them, are put in the outbox; an event with omitted properties or
transformations continues as the changed copy.

Crash safety: counts, trace steps and outbox rows are written in the same transaction as
the dedup entries, so an event is screened exactly once (read again after a crash, it is a
duplicate). The outbox is emptied into the log after that transaction commits and before
the router commits its log offset (`flush`); a crash in between appends some entries
twice, with the same messageIds, and dedup drops the second copy.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import orjson

from eventyard.control.config import Config
from eventyard.delivery.state import StateStore
from eventyard.delivery.trace import Step
from eventyard.log.base import Entry, EventLog, LogRecord
from eventyard.protocols import store
from eventyard.protocols.compile import compile_protocols
from eventyard.protocols.forward import blocked_entry, violation_entries
from eventyard.protocols.screen import Screened
from eventyard.protocols.violations import UNPLANNED_EVENT

__all__ = ["OUTBOX_BATCH", "ProtocolStage"]

OUTBOX_BATCH = 1000
_SHOWN_VIOLATIONS = 3

Routed = list[tuple[LogRecord, list[str]]]


def _decode(payload: bytes) -> dict[str, Any] | None:
    try:
        event = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    return event if isinstance(event, dict) else None


def _event_name(event: dict[str, Any]) -> str:
    kind = event.get("type")
    if kind == "track":
        name = event.get("event")
        return name if isinstance(name, str) else "(no event name)"
    return kind if isinstance(kind, str) else "(no type)"


def _detail(screened: Screened) -> str:
    assert screened.verdict is not None
    if screened.blocked == UNPLANNED_EVENT:
        why = screened.verdict.violations[0].description + " (unplanned_events: block)"
    else:
        broken = [v for v in screened.verdict.violations if not v.rule.startswith("unplanned")]
        shown = "; ".join(
            f"{v.path or '(event)'}: {v.rule}: expected {v.expected}, got {v.actual}"
            for v in broken[:_SHOWN_VIOLATIONS]
        )
        more = len(broken) - _SHOWN_VIOLATIONS
        why = f"tracking plan {screened.plan!r}: {shown}" + (f" (+{more} more)" if more > 0 else "")
    if screened.forward_to is not None:
        why += f"; forwarded to source {screened.forward_to!r}"
    return why


@dataclass
class _Batch:
    """What one batch writes, in the router's transaction."""

    now: float
    day: str
    steps: list[Step]
    rows: dict[tuple[str, str, str, str], store.ViolationRow] = field(default_factory=dict)
    """By (source, event, path, rule): one row per batch, counted, with the latest example."""
    tallies: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    """By (source, event): [plan, checked, violating, blocked]."""
    outbox: list[Entry] = field(default_factory=list)

    def count(self, record: LogRecord, event: dict[str, Any], screened: Screened) -> None:
        verdict, plan = screened.verdict, screened.plan
        if verdict is None or plan is None:
            return
        name = _event_name(event)
        for v in verdict.violations:
            key = (record.source, name, v.path, v.rule)
            earlier = self.rows.get(key)
            seen = 1 if earlier is None else earlier.count + 1
            self.rows[key] = store.ViolationRow(
                self.day, record.source, name, v.path, v.rule, plan, v.expected, v.actual,
                v.description, record.message_id, self.now, seen,
            )  # fmt: skip
        tally = self.tallies.setdefault((record.source, name), [plan, 0, 0, 0])
        tally[1] += 1
        tally[2] += bool(verdict.violations)
        tally[3] += screened.blocked is not None

    def block(
        self, record: LogRecord, connected: list[str], event: dict[str, Any], screened: Screened
    ) -> None:
        target = screened.forward_to
        reason = f"forwarded:{target}" if target is not None else str(screened.blocked)
        detail = _detail(screened)
        self.steps += [
            Step(record.message_id, name, None, "blocked", detail, None, self.now, reason)
            for name in connected  # a tracking plan acts before the integrations object
        ]
        if target is not None:
            entry = blocked_entry(record, event, target, str(screened.plan), str(screened.blocked))
            self.outbox.append(entry)

    def finish(self, conn: sqlite3.Connection) -> None:
        store.record_violations(conn, self.rows.values())
        store.record_events(
            conn,
            [
                store.EventTally(self.day, source, name, *counts)
                for (source, name), counts in self.tallies.items()
            ],
        )
        store.add_outbox(conn, self.outbox)


class ProtocolStage:
    """The stage for one configuration; the router keeps one and replaces it on change."""

    def __init__(self, config: Config) -> None:
        self.protocols = compile_protocols(config)
        self._violations_to = {
            plan.name: plan.settings.forward_violations_to for plan in config.tracking_plans
        }
        self._pending = True
        """The outbox may hold entries (from before a restart, or from the last batch)."""
        self._purged = ""

    def screen(
        self,
        conn: sqlite3.Connection,
        routed: Routed,
        fresh: list[bool],
        now: float,
        steps: list[Step],
    ) -> tuple[Routed, list[bool]]:
        """The records to route on (blocked ones left out, changed ones re-encoded), with
        their freshness; blocked steps go to `steps`, the rest to the state tables."""
        sources = self.protocols.sources
        if not sources:
            return routed, fresh
        batch = _Batch(now, store.day_of(now), steps)
        kept: Routed = []
        kept_fresh: list[bool] = []
        for (record, connected), is_new in zip(routed, fresh, strict=True):
            if is_new and record.source in sources:
                screened_record = self._screen_one(batch, record, connected)
                if screened_record is None:
                    continue
                record = screened_record
            kept.append((record, connected))
            kept_fresh.append(is_new)
        batch.finish(conn)
        self._pending = self._pending or bool(batch.outbox)
        if batch.day != self._purged:
            cutoff = datetime.fromtimestamp(now, UTC) - timedelta(days=store.RETENTION_DAYS)
            store.purge(conn, cutoff.strftime("%Y-%m-%d"))
            self._purged = batch.day
        return kept, kept_fresh

    def _screen_one(
        self, batch: _Batch, record: LogRecord, connected: list[str]
    ) -> LogRecord | None:
        event = _decode(record.payload)
        if event is None:  # the router traces it as an invalid payload
            return record
        screened = self.protocols.screen(record.source, event)
        if screened is None:
            return record
        batch.count(record, event, screened)
        target = self._violations_to.get(screened.plan or "")
        if target and screened.verdict is not None and screened.verdict.violations:
            found = screened.verdict.violations
            plan = str(screened.plan)
            batch.outbox += violation_entries(record, event, found, target, plan, batch.now)
        if screened.event is None:
            batch.block(record, connected, event, screened)
            return None
        if screened.changed:
            return replace(record, payload=orjson.dumps(screened.event))
        return record

    async def flush(self, state: StateStore, log: EventLog) -> int:
        """Append the outbox to the log, then empty it; returns the entries moved. Call
        after the router's transaction and before it commits the log offset."""
        if not self._pending:
            return 0
        moved = 0
        while True:
            taken = await state.run(lambda conn: store.take_outbox(conn, OUTBOX_BATCH))
            if taken:
                await log.append([entry for _, entry in taken])
                ids = [row_id for row_id, _ in taken]
                await state.run(partial(store.drop_outbox, ids=ids))
                moved += len(taken)
            if len(taken) < OUTBOX_BATCH:
                break
        self._pending = False
        return moved
