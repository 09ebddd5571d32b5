"""One destination's delivery loop: claim due jobs, perform them, settle each outcome.

Each destination runs in its own tasks with its own `concurrency` slots, so a slow or failing
destination only ever holds its own slots. Only claimed batches are in memory; the backlog
stays on disk in the state database.

A slot claims the job that is due first and, when that job's action batches (its `batch`
gives BatchLimits and it has `perform_batch`), more jobs of the same action up to the
limits, waiting up to max_wait for the batch to fill. Other actions get one `perform` per job.

A destination in observe mode (`mode: observe`, a dry run beside a live route) never calls
`perform`: each claimed job's payload is kept in the `observed` table, and the job settles
with an `observed` trace step, in one state transaction.
"""

from __future__ import annotations

import asyncio
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
from eventyard.delivery import jobs, settle, trace
from eventyard.delivery.http import from_http_error
from eventyard.delivery.jobs import Job
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
    """Delivers one destination's queue with up to `delivery.concurrency` sends in flight."""

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
        self.wakeup = Wakeup()
        self._fill = asyncio.Lock()
        self.lanes = {
            key: Lane.of(key, action, settings) for key, action in definition.actions.items()
        }
        self._batched = any(lane.limits is not None for lane in self.lanes.values())
        self._max_wait = max(
            (max(0.0, lane.limits.max_wait) for lane in self.lanes.values() if lane.limits),
            default=0.0,
        )
        self._lease = float(delivery.timeout) + self._max_wait + _LEASE_MARGIN

    async def run(self) -> None:
        """Deliver until cancelled; jobs leased by an earlier run of this process are retried."""
        await self.release()
        async with asyncio.TaskGroup() as group:
            for _ in range(max(1, self.delivery.concurrency)):
                group.create_task(self._slot())

    async def release(self) -> None:
        """Put leased jobs back in the queue (their sends did not finish)."""
        now = time.time()
        await self.state.run(lambda conn: jobs.release_leases(conn, self.name, now))

    async def _slot(self) -> None:
        while True:
            try:
                batch = await self._next_batch()
                if batch and self.observe:
                    await self._keep(batch)
                elif batch:
                    await self._settle(batch, await self._attempt(batch))
            except Exception:  # the state database failed; keep the slot alive and retry
                log.exception("delivery to %s failed; retrying in 1s", self.name)
                await asyncio.sleep(1.0)

    def _claim_first(self, conn: sqlite3.Connection, now: float) -> list[Job]:
        """The first due job and, when its action batches, as many of that action as fit."""
        if not self._batched:
            return jobs.claim(
                conn, self.name, ordered=self.ordered, limit=1, now=now, lease=self._lease
            )
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

    async def _next_batch(self) -> list[Job]:
        """Claim due jobs; with fewer than a full batch, wait up to max_wait for more.

        Only one slot at a time may wait to fill a batch (else every slot would hold a
        partial one); without a wait, slots claim concurrently and share state commits.
        """
        if self._max_wait == 0:
            return await self._fill_batch()
        async with self._fill:
            return await self._fill_batch()

    async def _fill_batch(self) -> list[Job]:
        loop = asyncio.get_running_loop()
        seen = self.wakeup.generation
        now = time.time()
        batch = await self.state.run(lambda conn: self._claim_first(conn, now))
        if not batch:
            await self._idle(seen)
            return []
        lane = self.lanes.get(batch[0].action)
        if lane is None or lane.limits is None:
            return batch
        deadline = loop.time() + max(0.0, lane.limits.max_wait)
        while not _full(lane.limits, batch) and (left := deadline - loop.time()) > 0:
            seen = self.wakeup.generation
            await self.wakeup.wait(seen, left)
            batch += await self._claim_more(lane, batch)
        return batch

    async def _idle(self, seen: int) -> None:
        due = await self.state.run(
            lambda conn: jobs.next_due(conn, self.name, ordered=self.ordered)
        )
        delay = _IDLE_POLL if due is None else min(_IDLE_POLL, max(0.001, due - time.time()))
        await self.wakeup.wait(seen, delay)

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

    async def _settle(self, batch: list[Job], outcomes: list[DeliveryError | None]) -> None:
        now = time.time()
        result = settle.settle(self.name, self.delivery, batch, outcomes, now)
        await self.state.run(lambda conn: result.apply(conn, now))
        settle.observe(result)
        if result.retry:
            failed = sum(len(due) for due in result.retry.values())
            errors = "; ".join(result.retry)
            log.info("delivery to %s failed, %d to retry: %s", self.name, failed, errors)
        for message, ids in result.dead.items():
            log.warning("giving up on %d event(s) for %s: %s", len(ids), self.name, message)
        # Idle slots re-plan their sleep: a retry time or a user's next event may be due now.
        self.wakeup.fire()


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
