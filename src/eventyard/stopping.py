"""Background loops (router, archiver) sleep in a way that a shutdown cuts short."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from contextvars import ContextVar
from typing import Any

__all__ = ["OWNER", "wait_or_stop"]

OWNER: ContextVar[asyncio.Task[Any] | None] = ContextVar("eventyard_owner", default=None)
"""The long-running task that a helper task waits on behalf of. `wait_or_stop` runs the wait
in a task of its own; whatever remembers "what this waiter has seen" (the log's append
signal) must key it by the loop that keeps calling, not by each short-lived helper task."""


async def wait_or_stop(stop: asyncio.Event, waiting: Awaitable[None]) -> None:
    """Await `waiting` (a coroutine), returning early once `stop` is set."""
    token = OWNER.set(OWNER.get() or asyncio.current_task())
    try:
        sleeper = asyncio.ensure_future(waiting)  # the task copies the context, OWNER included
    finally:
        OWNER.reset(token)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sleeper, stopper):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
