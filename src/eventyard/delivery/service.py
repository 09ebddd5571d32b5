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

from eventyard.control.config import Config, DestinationConfig, resolve_settings
from eventyard.delivery import jobs, metrics, trace
from eventyard.delivery.jobs import DeadLetter, DestinationStatus
from eventyard.delivery.limiter import LimitSnapshot
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
        self._specs: dict[str, DestinationConfig] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._running = False
        self._swaps: asyncio.Lock | None = None
        self._pending_swap: asyncio.Task[None] | None = None  # referenced so it is not collected
        for dest in config.destinations:
            if dest.enabled:
                self._add(dest)

    def _add(self, dest: DestinationConfig) -> None:
        self._specs[dest.name] = dest
        self.workers[dest.name] = DestinationWorker(
            dest.name,
            dest.delivery,
            get_definition(dest.type),
            resolve_settings(dest),
            state=self.state,
            client=self.client,
            observe=dest.mode == "observe",
        )
        if self._running:
            self._start(dest.name)

    def _start(self, name: str) -> None:
        self._tasks[name] = asyncio.create_task(self.workers[name].run(), name=f"deliver:{name}")

    async def _stop(self, name: str) -> None:
        """Stop one worker's task; its unfinished sends go back to the queue."""
        task = self._tasks.pop(name, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.workers[name].release()

    async def _remove(self, name: str) -> None:
        await self._stop(name)
        del self.workers[name], self._specs[name]

    def _lock(self) -> asyncio.Lock:
        if self._swaps is None:
            self._swaps = asyncio.Lock()
        return self._swaps

    def reconfigure(self, config: Config) -> None:
        """Follow a configuration change without a restart: workers of removed, disabled or
        changed destinations stop (their leased jobs go back to the queue), new ones start.
        Jobs already queued for a removed destination stay in the queue (and its dead letters
        stay readable) until it comes back or retention ends."""
        self.config = config
        self._pending_swap = asyncio.get_running_loop().create_task(self._swap(config))

    async def _swap(self, config: Config) -> None:
        async with self._lock():
            wanted = {dest.name: dest for dest in config.destinations if dest.enabled}
            for name in [n for n, spec in self._specs.items() if wanted.get(n) != spec]:
                await self._remove(name)
            for name, dest in wanted.items():
                if name not in self.workers:
                    self._add(dest)
            self.notify()

    def notify(self) -> None:
        """New jobs were queued: wake every destination (cheap; safe from any task)."""
        for worker in self.workers.values():
            worker.wakeup.fire()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; sends cut short are put back and retried next run."""
        self._running = True
        for name in self.workers:
            self._start(name)
        try:
            await stop.wait()
        finally:
            async with self._lock():  # a swap in progress finishes first
                self._running = False
                for name in list(self.workers):
                    await self._stop(name)

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
        return metrics.render_prometheus(counts, statuses, self.limits())

    def limits(self) -> dict[str, LimitSnapshot]:
        """Each running destination's concurrency limit, requests in flight and latency."""
        return {name: worker.limit.snapshot() for name, worker in self.workers.items()}
