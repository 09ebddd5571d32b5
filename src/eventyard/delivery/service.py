"""The delivery service: one worker per enabled destination, all sharing one HTTP client.

The server wires it as: `service = DeliveryService(config, state, client)`, the router's
`on_enqueued=service.notify`, then `await service.run(stop)`. Status and dead letters read
the state database, so they are correct even for destinations that are disabled now.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx

from eventyard.control.config import Config, resolve_settings
from eventyard.delivery import jobs
from eventyard.delivery.jobs import DeadLetter, DestinationStatus
from eventyard.delivery.state import StateStore
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
            definition = get_definition(dest.type)
            self.workers[dest.name] = DestinationWorker(
                dest.name,
                dest.delivery,
                definition.create(resolve_settings(dest)),
                ordered=definition.ordered,
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
