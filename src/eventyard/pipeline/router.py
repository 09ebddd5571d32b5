"""The router: reads the log per partition, deduplicates, and, per connected destination,
applies consent and conversions (`pipeline.conversions`), filters, matches action
subscriptions and maps, queueing one delivery job per (event, destination, subscribed
action) that carries the mapped payload.

Crash safety. For a batch of log records the router (1) in ONE state transaction records the
messageIds in the dedup table, runs the conversions stage (remembered click IDs, conversions
already sent, ledger rows, match quality), maps the fresh events, inserts their delivery
jobs and writes the trace steps of every decision, then (2) commits the log offset.
- Crash before (1) commits: nothing was written; the records are read again. No loss.
- Crash between (1) and (2): the records are read again, and dedup finds every messageId
  already seen, so no job is queued twice and no conversion state is written twice. No
  loss, no duplicates.
- Crash after (2): the records are never read again; their jobs are on disk. No loss.
Routing is a pure function of the event, the configuration and the state tables read in
that same transaction, so a re-read record could only ever map to the same payloads. The
one gap: if the process stays down longer than `pipeline.dedup_window`, the re-read events
are queued again (at-least-once, never loss), unless the conversions stage finds their
event_id already sent within `conversions.dedup_window`.
The `duplicate` trace steps also count those re-read records, which over-counts drops
after a crash but never loses events.

Events of a source that no enabled destination is connected to skip dedup entirely, and are
only counted in the source's schema (`pipeline.schema`, which also drops the events a source
blocks, before the Protocols stage); with no source configured at all, the router does not
even read the log back.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence

from eventyard.control.config import Config
from eventyard.delivery import jobs, trace
from eventyard.delivery.jobs import NewJob
from eventyard.delivery.state import StateStore
from eventyard.log.base import EventLog, LogRecord
from eventyard.pipeline import dedup
from eventyard.pipeline.conversions import ConversionStage
from eventyard.pipeline.enqueue import route_record
from eventyard.pipeline.fanout import routes
from eventyard.pipeline.plan import DestinationPlan, compile_plans
from eventyard.pipeline.protocols import ProtocolStage
from eventyard.pipeline.schema import SchemaStage
from eventyard.stopping import wait_or_stop

__all__ = ["CONSUMER", "Router"]

CONSUMER = "pipeline"
log = logging.getLogger(__name__)


class Router:
    """Moves events from the log into the delivery queues, in order per partition."""

    def __init__(
        self,
        config: Config,
        log: EventLog,
        state: StateStore,
        on_enqueued: Callable[[], None],
        *,
        batch_size: int = 500,
        housekeeping_every: float = 60.0,
        idle_wait: float = 1.0,
    ) -> None:
        self.config = config
        self.log = log
        self.state = state
        self.on_enqueued = on_enqueued
        self.batch_size = batch_size
        self.housekeeping_every = housekeeping_every
        self.idle_wait = idle_wait
        self._routes = routes(config)
        self._plans = compile_plans(config)
        self._protocols = ProtocolStage(config)
        self._schema = SchemaStage(config)
        self._own_scope = dedup.own_scope(config)
        self._window = float(config.pipeline.dedup_window)

    def reconfigure(self, config: Config) -> None:
        """Route the next batch with the new destinations, filters and mappings (a batch in
        flight finishes with the plans it started with)."""
        self._plans = compile_plans(config)
        self._protocols = ProtocolStage(config)
        self._schema = SchemaStage(config)
        self._own_scope = dedup.own_scope(config)
        self._routes = routes(config)
        self.config = config

    async def run(self, stop: asyncio.Event) -> None:
        """Route until `stop` is set; resumes from the committed offsets."""
        offsets = [await self.log.committed(CONSUMER, p) for p in range(self.log.partitions)]
        next_housekeeping = 0.0
        while not stop.is_set():
            moved = False
            try:
                if self._routes or self._schema.sources:
                    moved = await self._route_all(offsets)
                else:
                    await self._advance(offsets)
                if time.monotonic() >= next_housekeeping:
                    await self.housekeeping()
                    next_housekeeping = time.monotonic() + self.housekeeping_every
            except Exception:  # a backend hiccup: offsets only advanced on success, so retry
                log.exception("routing failed; retrying in 1s")
                await wait_or_stop(stop, asyncio.sleep(1.0))
                continue
            if not (self._routes or self._schema.sources):
                await wait_or_stop(stop, asyncio.sleep(self.idle_wait))
            elif not moved:
                await wait_or_stop(stop, self.log.wait(self.idle_wait))

    async def _route_all(self, offsets: list[int]) -> bool:
        """One pass over every partition; True if anything was routed."""
        moved = False
        for partition in range(self.log.partitions):
            records = await self.log.read(partition, offsets[partition], self.batch_size)
            if records:
                await self.process(records)
                offsets[partition] = records[-1].offset
                moved = True
        return moved

    async def _advance(self, offsets: list[int]) -> None:
        """Nothing is connected: move past the log without reading it (retention needs it)."""
        for partition, end in enumerate(await self.log.end_offsets()):
            if end > offsets[partition]:
                await self.log.commit(CONSUMER, partition, end)
                offsets[partition] = end

    async def process(self, records: Sequence[LogRecord]) -> int:
        """Route records of ONE partition (in offset order), then commit; returns jobs queued."""
        now = time.time()
        table, plans = self._routes, self._plans  # one consistent view for the whole batch
        routed: list[tuple[LogRecord, list[str]]] = []
        unrouted: list[LogRecord] = []
        for record in records:
            connected = table.get(record.source)
            if connected is not None:  # empty: a tracking plan's source without destinations
                routed.append((record, connected))
            else:
                unrouted.append(record)
        queued = 0
        if routed or self._schema.sources:
            queued = await self.state.run(
                lambda conn: self._enqueue(conn, routed, unrouted, plans, now)
            )
        await self._protocols.flush(self.state, self.log)
        last = records[-1]
        await self.log.commit(CONSUMER, last.partition, last.offset)
        if queued:
            self.on_enqueued()
        return queued

    def _enqueue(
        self,
        conn: sqlite3.Connection,
        routed: list[tuple[LogRecord, list[str]]],
        unrouted: list[LogRecord],
        plans: dict[str, DestinationPlan],
        now: float,
    ) -> int:
        keys = [(record.source, record.message_id) for record, _ in routed]
        fresh = dedup.first_seen(conn, keys, now, self._window, self._own_scope)
        new_jobs: list[NewJob] = []
        steps: list[trace.Step] = []
        routed, fresh = self._schema.screen(conn, unrouted, routed, fresh, now, steps)
        routed, fresh = self._protocols.screen(conn, routed, fresh, now, steps)
        rules = (plan.rules for plan in plans.values())
        stage = ConversionStage.for_batch(conn, now, rules, self.config)
        for (record, connected), is_new in zip(routed, fresh, strict=True):
            route_record(record, connected, plans, is_new, now, new_jobs, steps, stage)
        stage.finish()
        trace.record(conn, steps)
        return jobs.insert(conn, new_jobs, now)

    async def housekeeping(self) -> None:
        """Forget expired dedup entries and old trace steps, and apply log retention."""
        now = time.time()
        keep = float(self.config.pipeline.trace_retention)

        def purge(conn: sqlite3.Connection) -> tuple[int, int]:
            return dedup.purge(conn, now, self._window), trace.purge(conn, now - keep)

        purged, forgotten = await self.state.run(purge)
        trimmed = await self.log.trim(now - float(self.config.log.retention))
        if purged or trimmed or forgotten:
            log.debug(
                "housekeeping: %d dedup entries, %d trace steps, %d log records removed",
                purged,
                forgotten,
                trimmed,
            )
