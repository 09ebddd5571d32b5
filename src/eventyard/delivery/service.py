"""The delivery service: one worker per enabled destination, all sharing one HTTP client.

The server wires it as: `service = DeliveryService(config, state, client)`, the router's
`on_enqueued=service.notify`, then `await service.run(stop)`. Status, dead letters, traces
and metrics read the state database, so they are correct even for destinations that are
disabled now.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from typing import Any

import httpx

from eventyard.control.config import Config, resolve_settings
from eventyard.delivery import jobs, metrics, trace
from eventyard.delivery.jobs import DeadLetter, DestinationStatus
from eventyard.delivery.state import StateStore
from eventyard.delivery.trace import Step
from eventyard.delivery.worker import DestinationWorker
from eventyard.destinations.registry import get_definition

__all__ = ["DeliveryService", "DestinationStatus"]


class DeliveryService:
    """Runs every enabled destination's queue independently of the others."""

    def __init__(self, config: Config, state: StateStore, client: httpx.AsyncClient) -> None:
        self.config = config
        self.state = state
        self.client = client
        self.workers: dict[str, DestinationWorker] = {}
        for dest in config.destinations:
            if not dest.enabled:
                continue
            self.workers[dest.name] = DestinationWorker(
                dest.name,
                dest.delivery,
                get_definition(dest.type),
                resolve_settings(dest),
                state=state,
                client=client,
            )

    def notify(self) -> None:
        """New jobs were queued: wake every destination (cheap; safe from any task)."""
        for worker in self.workers.values():
            worker.wakeup.fire()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; sends cut short are put back and retried next run."""
        tasks = [
            asyncio.create_task(worker.run(), name=f"deliver:{name}")
            for name, worker in self.workers.items()
        ]
        try:
            await stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for worker in self.workers.values():
                await worker.release()

    async def status(self) -> list[DestinationStatus]:
        """Delivered, retrying, pending and dead counts per configured destination."""
        now = time.time()
        names = [dest.name for dest in self.config.destinations]
        return await self.state.run(lambda conn: [jobs.status(conn, n, now) for n in names])

    async def dead_letters(self, destination: str, limit: int = 100) -> list[DeadLetter]:
        """The most recent events given up on for a destination, newest first."""
        return await self.state.run(lambda conn: jobs.dead_letters(conn, destination, limit))

    async def requeue_dead(self, destination: str | None = None, since: float | None = None) -> int:
        """Dead letters (of one destination, failed since a time) back into the queue."""
        now = time.time()
        moved = await self.state.run(lambda conn: jobs.requeue_dead(conn, destination, since, now))
        if moved:
            self.notify()
        return moved

    async def trace(self, message_id: str) -> list[Step]:
        """Every kept decision about one event, for every destination, in time order."""
        return await self.state.run(lambda conn: trace.steps_for(conn, message_id))

    async def metrics(self) -> str:
        """The Prometheus text exposition (serve it with `metrics.CONTENT_TYPE`)."""
        now = time.time()
        names = [dest.name for dest in self.config.destinations]

        def read(conn: sqlite3.Connection) -> tuple[list[Any], list[DestinationStatus]]:
            return trace.counts(conn), [jobs.status(conn, n, now) for n in names]

        counts, statuses = await self.state.run(read)
        return metrics.render_prometheus(counts, statuses)
