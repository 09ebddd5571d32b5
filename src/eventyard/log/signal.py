"""Waking the log's consumers (router, archiver, loaders) when something was appended.

Several consumers wait on one log at once. A single event that each waiter clears loses
wake-ups: one consumer swallows another's, which then sleeps its whole timeout (the router
delivered a second late whenever the archiver was on). Here every waiter wakes, and each
consumer remembers the appends it has already seen (keyed by its task, or the task it waits
for through `wait_or_stop`), so an append that lands between a consumer's read and its next
wait() is not missed either.
"""

from __future__ import annotations

import asyncio
from weakref import WeakKeyDictionary

from eventyard.stopping import OWNER

__all__ = ["AppendSignal"]


class AppendSignal:
    """`notify()` after each durable append; `wait(timeout)` in each consumer's loop."""

    def __init__(self) -> None:
        self._generation = 0
        self._event = asyncio.Event()
        self._seen: WeakKeyDictionary[asyncio.Task[object], int] = WeakKeyDictionary()

    def notify(self) -> None:
        self._generation += 1
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        """Return once something was appended since this task's last wait, or on timeout."""
        task = OWNER.get() or asyncio.current_task()
        seen = self._seen.get(task) if task is not None else None
        if seen is None or seen == self._generation:
            event = self._event
            try:
                async with asyncio.timeout(timeout):
                    await event.wait()
            except TimeoutError:
                pass
        if task is not None:
            self._seen[task] = self._generation
