"""One destination's delivery loop: claim due jobs, send them as a batch, settle the outcome.

Each destination runs in its own tasks with its own `concurrency` slots, so a slow or failing
destination only ever holds its own slots. Only claimed batches are in memory; the backlog
stays on disk in the state database.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time

import httpx

from eventyard.control.config import DeliverySettings
from eventyard.delivery import jobs
from eventyard.delivery.backoff import backoff_delay
from eventyard.delivery.http import from_http_error
from eventyard.delivery.jobs import Job
from eventyard.delivery.state import StateStore
from eventyard.destinations.base import Sender
from eventyard.errors import DeliveryError, TransientError

__all__ = ["DestinationWorker", "Wakeup"]

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


class DestinationWorker:
    """Delivers one destination's queue with up to `settings.concurrency` sends in flight."""

    def __init__(
        self,
        name: str,
        settings: DeliverySettings,
        sender: Sender,
        *,
        ordered: bool,
        state: StateStore,
        client: httpx.AsyncClient,
    ) -> None:
        self.name = name
        self.settings = settings
        self.sender = sender
        self.ordered = ordered
        self.state = state
        self.client = client
        self.wakeup = Wakeup()
        self._fill = asyncio.Lock()
        self._max_batch = max(1, int(sender.max_batch))
        self._max_wait = max(0.0, float(sender.max_wait)) if self._max_batch > 1 else 0.0
        self._lease = float(settings.timeout) + self._max_wait + _LEASE_MARGIN

    async def run(self) -> None:
        """Deliver until cancelled; jobs leased by an earlier run of this process are retried."""
        await self.release()
        async with asyncio.TaskGroup() as group:
            for _ in range(max(1, self.settings.concurrency)):
                group.create_task(self._slot())

    async def release(self) -> None:
        """Put leased jobs back in the queue (their sends did not finish)."""
        now = time.time()
        await self.state.run(lambda conn: jobs.release_leases(conn, self.name, now))

    async def _slot(self) -> None:
        while True:
            try:
                batch = await self._next_batch()
                if batch:
                    await self._settle(batch, await self._attempt(batch))
            except Exception:  # the state database failed; keep the slot alive and retry
                log.exception("delivery to %s failed; retrying in 1s", self.name)
                await asyncio.sleep(1.0)

    async def _claim(self, limit: int) -> list[Job]:
        now = time.time()
        return await self.state.run(
            lambda conn: jobs.claim(
                conn, self.name, ordered=self.ordered, limit=limit, now=now, lease=self._lease
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
        batch = await self._claim(self._max_batch)
        if not batch:
            await self._idle(seen)
            return []
        deadline = loop.time() + self._max_wait
        while len(batch) < self._max_batch and (left := deadline - loop.time()) > 0:
            seen = self.wakeup.generation
            await self.wakeup.wait(seen, left)
            batch += await self._claim(self._max_batch - len(batch))
        return batch

    async def _idle(self, seen: int) -> None:
        due = await self.state.run(
            lambda conn: jobs.next_due(conn, self.name, ordered=self.ordered)
        )
        delay = _IDLE_POLL if due is None else min(_IDLE_POLL, max(0.001, due - time.time()))
        await self.wakeup.wait(seen, delay)

    async def _attempt(self, batch: list[Job]) -> DeliveryError | None:
        """Send once; every failure becomes a TransientError or a TerminalError."""
        timeout = float(self.settings.timeout)
        try:
            async with asyncio.timeout(timeout):
                await self.sender.send(self.client, [job.payload for job in batch])
        except DeliveryError as error:
            return error
        except httpx.HTTPError as error:
            return from_http_error(error)
        except TimeoutError:
            return TransientError(f"no answer within {timeout:g}s (delivery.timeout)")
        except Exception as error:
            log.exception("destination %s raised an unexpected error", self.name)
            return TransientError(f"destination code failed: {type(error).__name__}: {error}")
        return None

    async def _settle(self, batch: list[Job], error: DeliveryError | None) -> None:
        now = time.time()
        ids = [job.id for job in batch]
        if error is None:
            await self.state.run(lambda conn: jobs.complete(conn, self.name, ids))
        elif isinstance(error, TransientError):
            await self._retry_or_bury(batch, error, now)
        else:
            message = str(error)
            log.warning("giving up on %d event(s) for %s: %s", len(ids), self.name, message)
            await self.state.run(lambda conn: jobs.bury(conn, self.name, ids, message, now))
        # Idle slots re-plan their sleep: a retry time or a user's next event may be due now.
        self.wakeup.fire()

    async def _retry_or_bury(self, batch: list[Job], error: TransientError, now: float) -> None:
        max_age = float(self.settings.max_age)
        message = str(error)
        expired = [job for job in batch if now - job.created_at > max_age]
        due = [
            (job.id, now + backoff_delay(job.attempts + 1, self.settings, error.retry_after))
            for job in batch
            if now - job.created_at <= max_age
        ]
        final = f"{message} (still failing after max_age {max_age:g}s)"
        log.info("delivery to %s failed, %d to retry: %s", self.name, len(due), message)

        def write(conn: sqlite3.Connection) -> None:
            if due:
                jobs.reschedule(conn, self.name, due, message, now)
            if expired:
                jobs.bury(conn, self.name, [job.id for job in expired], final, now)

        await self.state.run(write)
