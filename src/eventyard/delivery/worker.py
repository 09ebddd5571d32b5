"""One destination's delivery loop: claim due jobs, perform them, settle the outcomes.

Each destination runs in its own tasks, so a slow or failing destination only ever holds
its own requests. Only claimed jobs are in memory; the backlog stays on disk in the state
database.

One dispatcher claims, in one state transaction, as many units as the destination's
adaptive limit has room for (`delivery/limiter.py`) and starts one task per unit; one
settler writes every finished unit's outcome in one state transaction. So the bookkeeping
costs two transactions per round of requests, not two per request. A unit is one job, or,
when its action batches (its `batch` gives BatchLimits and it has `perform_batch`), up to
a batch of jobs of that action, waiting up to max_wait for the batch to fill. A `429`, a
`5xx` or a timeout shrinks the limit; `Retry-After` holds every request of the destination
until it passes (at most `max_age`, after which its events would be given up on).

Ordered destinations keep each user's order whatever the limit: a job is claimable only
when no earlier job of its user is left (`jobs.claim`), and a job leaves only once settled.

A destination in observe mode (`mode: observe`, a dry run beside a live route) never calls
`perform`: each claimed job's payload is kept in the `observed` table, and the job settles
with an `observed` trace step, in one state transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from eventyard.control.config import DeliverySettings
from eventyard.conversions import store
from eventyard.delivery import exchanges, jobs, settle, trace
from eventyard.delivery.http import from_http_error
from eventyard.delivery.jobs import Job
from eventyard.delivery.limiter import ConcurrencyLimit
from eventyard.delivery.state import StateStore
from eventyard.destinations.base import ActionDefinition, BatchLimits, DestinationDefinition
from eventyard.errors import DeliveryError, TerminalError, TransientError

__all__ = ["DestinationWorker", "Lane", "Wakeup"]

log = logging.getLogger(__name__)

_IDLE_POLL = 5.0
"""Longest sleep without a wake-up, a safety net against missed notifications."""
_LEASE_MARGIN = 60.0


class Wakeup:
    """A wake-up that cannot be missed: a waiter passes the generation it saw before looking."""

    def __init__(self) -> None:
        self.generation = 0
        self._event = asyncio.Event()

    def fire(self) -> None:
        self.generation += 1
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seen: int, timeout: float) -> None:
        """Return at once if fired since `seen`, else on the next fire or after timeout."""
        if self.generation != seen:
            return
        event = self._event
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            pass


@dataclass(frozen=True, slots=True)
class Lane:
    """How one action is delivered: its definition and, when it batches, its limits."""

    key: str
    action: ActionDefinition
    limits: BatchLimits | None

    @classmethod
    def of(cls, key: str, action: ActionDefinition, settings: Any) -> Lane:
        limits = action.batch(settings) if action.batch is not None else None
        if action.perform_batch is None or limits is None or limits.max_events < 1:
            limits = None
        return cls(key, action, limits)


class DestinationWorker:
    """Delivers one destination's queue with as many requests in flight as its limit allows."""

    def __init__(
        self,
        name: str,
        delivery: DeliverySettings,
        definition: DestinationDefinition,
        settings: Any,
        *,
        state: StateStore,
        client: httpx.AsyncClient,
        observe: bool = False,
    ) -> None:
        self.name = name
        self.observe = observe
        """Keep payloads instead of sending them (`mode: observe`)."""
        self.delivery = delivery
        self.definition = definition
        self.settings = settings
        self.ordered = definition.ordered
        self.state = state
        self.client = client
        exchanges.install(client)  # its hooks note requests only inside exchanges.capture()
        self.wakeup = Wakeup()
        lowest, highest = delivery.concurrency_range
        self.limit = ConcurrencyLimit(lowest, highest)
        self.lanes = {
            key: Lane.of(key, action, settings) for key, action in definition.actions.items()
        }
        self._batched = any(lane.limits is not None for lane in self.lanes.values())
        self._max_wait = max(
            (max(0.0, lane.limits.max_wait) for lane in self.lanes.values() if lane.limits),
            default=0.0,
        )
        self._lease = float(delivery.timeout) + self._max_wait + _LEASE_MARGIN
        self._freed = asyncio.Event()
        """Set when room may have grown: a request finished or outcomes were settled."""
        self._finished: list[tuple[list[Job], list[DeliveryError | None], exchanges.Capture]] = []
        self._to_settle = asyncio.Event()
        self._unsettled = 0
        """Units claimed and not yet settled; they count against the limit."""
        self._settling: asyncio.Task[None] | None = None
        """The settle write in progress, which the next one waits for."""

    async def run(self) -> None:
        """Deliver until cancelled; jobs leased by an earlier run of this process are retried."""
        await self.release()
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._settler())
                await self._dispatch(group)
        finally:  # answers already received are written, so they are not sent again
            await asyncio.shield(self._settle())

    async def release(self) -> None:
        """Put leased jobs back in the queue (their sends did not finish)."""
        now = time.time()
        await self.state.run(lambda conn: jobs.release_leases(conn, self.name, now))

    def _room(self) -> int:
        """Units that may be claimed now: a unit holds its place until it is settled, so a
        crash can send again at most `limit` units that the destination already took."""
        return self.limit.limit - self._unsettled

    async def _dispatch(self, group: asyncio.TaskGroup) -> None:
        while True:
            try:
                await self._gate()
                seen = self.wakeup.generation
                units = await self._claim(self._room())
                if not units:
                    await self._idle(seen)
                for unit in units:
                    self.limit.in_flight += 1
                    self._unsettled += 1
                    group.create_task(self._send(unit))
            except Exception:  # the state database failed; keep delivering and retry
                log.exception("delivery to %s failed; retrying in 1s", self.name)
                await asyncio.sleep(1.0)

    async def _gate(self) -> None:
        """Return once a request may start: no Retry-After holds and the limit has room."""
        while True:
            await self._paused()
            if self._room() > 0:
                return
            self._freed.clear()
            await self._freed.wait()

    async def _paused(self) -> None:
        """Sleep through a Retry-After pause of the destination (it may grow meanwhile)."""
        loop = asyncio.get_running_loop()
        while (wait := self.limit.paused_until - loop.time()) > 0:  # noqa: ASYNC110 - a deadline
            await asyncio.sleep(wait)

    def _claim_first(self, conn: sqlite3.Connection, now: float) -> list[Job]:
        """The first due job and, when its action batches, as many of that action as fit."""
        head = jobs.head_action(conn, self.name, ordered=self.ordered, now=now)
        if head is None:
            return []
        lane = self.lanes.get(head)
        limits = lane.limits if lane is not None else None
        return jobs.claim(
            conn,
            self.name,
            ordered=self.ordered,
            limit=limits.max_events if limits else 1,
            now=now,
            lease=self._lease,
            action=head,
            max_bytes=limits.max_bytes if limits else None,
        )

    def _claim_units(self, conn: sqlite3.Connection, now: float, room: int) -> list[list[Job]]:
        """Up to `room` units; stops after a batch that is not full (nothing more is due)."""
        if not self._batched:
            claimed = jobs.claim(
                conn, self.name, ordered=self.ordered, limit=room, now=now, lease=self._lease
            )
            return [[job] for job in claimed]
        units: list[list[Job]] = []
        while len(units) < room and (unit := self._claim_first(conn, now)):
            units.append(unit)
            lane = self.lanes.get(unit[0].action)
            if lane is not None and lane.limits is not None and not _full(lane.limits, unit):
                break
        return units

    async def _claim(self, room: int) -> list[list[Job]]:
        """Claim units; a last batch that is not full waits up to max_wait to fill."""
        now = time.time()
        units = await self.state.run(lambda conn: self._claim_units(conn, now, room))
        if units:
            lane = self.lanes.get(units[-1][0].action)
            if lane is not None and lane.limits is not None:
                await self._fill(lane, units[-1])
        return units

    async def _claim_more(self, lane: Lane, batch: list[Job]) -> list[Job]:
        assert lane.limits is not None
        limits = lane.limits
        room = None if limits.max_bytes is None else limits.max_bytes - _size(batch)
        now = time.time()
        return await self.state.run(
            lambda conn: jobs.claim(
                conn,
                self.name,
                ordered=self.ordered,
                limit=limits.max_events - len(batch),
                now=now,
                lease=self._lease,
                action=lane.key,
                max_bytes=room,
                first_may_exceed=False,
            )
        )

    async def _fill(self, lane: Lane, batch: list[Job]) -> None:
        """With fewer than a full batch, wait up to max_wait for more jobs of its action."""
        assert lane.limits is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, lane.limits.max_wait)
        while not _full(lane.limits, batch) and (left := deadline - loop.time()) > 0:
            seen = self.wakeup.generation
            await self.wakeup.wait(seen, left)
            batch += await self._claim_more(lane, batch)

    async def _idle(self, seen: int) -> None:
        due = await self.state.run(
            lambda conn: jobs.next_due(conn, self.name, ordered=self.ordered)
        )
        delay = _IDLE_POLL if due is None else min(_IDLE_POLL, max(0.001, due - time.time()))
        await self.wakeup.wait(seen, delay)

    async def _send(self, batch: list[Job]) -> None:
        """One unit: perform it (after any Retry-After), teach the limit, queue the outcome."""
        loop = asyncio.get_running_loop()
        try:
            await self._paused()  # a Retry-After may have come since this unit was claimed
            if self.observe:
                await self._observe(batch)
                return
            in_flight, started = self._unsettled, loop.time()
            with exchanges.capture() as noted:
                outcomes = await self._attempt(batch)
            self._learn(outcomes, started, loop.time(), in_flight)
            self._finished.append((batch, outcomes, noted))
            self._to_settle.set()
        finally:
            self.limit.in_flight -= 1
            self._freed.set()

    def _learn(
        self, outcomes: list[DeliveryError | None], started: float, now: float, in_flight: int
    ) -> None:
        """A TransientError (429, 5xx, timeout, connection) shrinks the limit; any other
        answer came back in time and counts as a success."""
        failures = [error for error in outcomes if isinstance(error, TransientError)]
        if not failures:
            self.limit.on_success(started, now, in_flight)
            return
        self.limit.on_failure(started, now)
        waits = [error.retry_after for error in failures if error.retry_after is not None]
        if waits:
            self.limit.pause(now + min(max(waits), float(self.delivery.max_age)))

    async def _attempt(self, batch: list[Job]) -> list[DeliveryError | None]:
        """Perform once; one outcome per job, every failure a TransientError or TerminalError."""
        lane = self.lanes.get(batch[0].action)
        if lane is None:
            known = ", ".join(self.lanes) or "none"
            error = TerminalError(
                f"{self.definition.slug} has no action {batch[0].action!r} (its actions: {known})"
            )
            return [error] * len(batch)
        timeout = float(self.delivery.timeout)
        try:
            payloads = orjson.loads(b"[" + b",".join(job.payload for job in batch) + b"]")
            async with asyncio.timeout(timeout):
                if lane.limits is not None and lane.action.perform_batch is not None:
                    result = await lane.action.perform_batch(self.client, self.settings, payloads)
                    return _per_item(result, len(batch))
                for payload in payloads:  # one job per claim unless the action batches
                    await lane.action.perform(self.client, self.settings, payload)
                return [None] * len(batch)
        except DeliveryError as error:
            failure: DeliveryError = error
        except httpx.HTTPError as error:
            failure = from_http_error(error)
        except TimeoutError:
            failure = TransientError(f"no answer within {timeout:g}s (delivery.timeout)")
        except Exception as error:
            log.exception("destination %s raised an unexpected error", self.name)
            failure = TransientError(f"destination code failed: {type(error).__name__}: {error}")
        return [failure] * len(batch)

    async def _observe(self, batch: list[Job]) -> None:
        try:
            await self._keep(batch)
        except Exception:  # the state database failed; the lease runs out and it is retried
            log.exception("keeping observed payloads of %s failed", self.name)
        finally:
            self._unsettled -= 1

    async def _keep(self, batch: list[Job]) -> None:
        """Observe mode: keep the payloads and settle the jobs as observed; nothing is sent."""
        now = time.time()
        steps = [
            trace.Step(
                job.message_id,
                self.name,
                job.action,
                "observed",
                f"observe mode: payload kept ({len(job.payload)} bytes), nothing sent",
                None,
                now,
            )
            for job in batch
        ]

        def write(conn: sqlite3.Connection) -> None:
            kept = [(job.action, job.message_id, job.payload) for job in batch]
            store.keep_observed(conn, self.name, kept, now)
            jobs.complete(conn, self.name, [job.id for job in batch])
            trace.record(conn, steps)

        await self.state.run(write)
        self.wakeup.fire()

    def _settlement(
        self,
        batch: list[Job],
        outcomes: list[DeliveryError | None],
        noted: exchanges.Capture,
        kept: bool = True,
    ) -> settle.Settlement:
        now = time.time()
        failed = any(outcome is not None for outcome in outcomes)
        shown = kept and bool(noted.sent)
        secrets: list[Any] = []
        if failed or shown:  # error texts and kept exchanges never show a secret
            payloads = (job.payload for job in batch)
            secrets = exchanges.secrets_of(self.definition, self.settings, payloads)
        result = settle.settle(self.name, self.delivery, batch, outcomes, now, secrets)
        if shown:  # kept with the outcome, in its transaction
            error = next((str(e) for e in outcomes if e is not None), "")
            result.exchanges = exchanges.shown(noted, secrets, error)
        return result

    async def _settler(self) -> None:
        """Write every finished unit's outcome, all of them in one state transaction."""
        while True:
            await self._to_settle.wait()
            self._to_settle.clear()
            try:
                await asyncio.shield(self._settle())
            except Exception:  # the state database failed; the outcomes wait for the next try
                log.exception("settling deliveries to %s failed; retrying in 1s", self.name)
                await asyncio.sleep(1.0)
                self._to_settle.set()

    def _settle(self) -> asyncio.Task[None]:
        """Settle what has finished, after the write in progress; shielded by the callers,
        since a write cut short in the event loop still commits in the state thread."""
        previous = self._settling
        self._settling = asyncio.ensure_future(self._settle_after(previous))
        return self._settling

    async def _settle_after(self, previous: asyncio.Task[None] | None) -> None:
        if previous is not None and not previous.done():
            with contextlib.suppress(Exception):
                await previous
        await self._settle_finished()

    async def _settle_finished(self) -> None:
        finished, self._finished = self._finished, []
        if not finished:
            return
        # only the newest KEEP units' exchanges would survive the trim: show just those
        oldest_kept = len(finished) - exchanges.KEEP
        results = [
            self._settlement(*unit, kept=i >= oldest_kept) for i, unit in enumerate(finished)
        ]
        now = time.time()

        def write(conn: sqlite3.Connection) -> None:
            for result in results:
                result.apply(conn, now)

        try:
            await self.state.run(write)
        except Exception:
            self._finished[:0] = finished  # not written: keep them for the next try
            raise
        self._unsettled -= len(finished)
        self._freed.set()
        for result in results:
            self._report(result)
        # The dispatcher re-plans its sleep: a retry time or a user's next event may be due.
        self.wakeup.fire()

    def _report(self, result: settle.Settlement) -> None:
        settle.observe(result)
        if result.retry:
            failed = sum(len(due) for due in result.retry.values())
            errors = "; ".join(result.retry)
            log.info("delivery to %s failed, %d to retry: %s", self.name, failed, errors)
        for message, ids in result.dead.items():
            log.warning("giving up on %d event(s) for %s: %s", len(ids), self.name, message)


def _size(batch: Sequence[Job]) -> int:
    return sum(len(job.payload) for job in batch)


def _full(limits: BatchLimits, batch: Sequence[Job]) -> bool:
    if len(batch) >= limits.max_events:
        return True
    return limits.max_bytes is not None and _size(batch) >= limits.max_bytes


def _per_item(result: Sequence[DeliveryError | None] | None, n: int) -> list[DeliveryError | None]:
    """perform_batch's answer as one outcome per job (None: every payload was taken)."""
    if result is None:
        return [None] * n
    if len(result) != n:
        error = TerminalError(f"perform_batch answered {len(result)} results for {n} payloads")
        return [error] * n
    return list(result)
