"""Background loops (router, archiver) sleep in a way that a shutdown cuts short."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable

__all__ = ["wait_or_stop"]


async def wait_or_stop(stop: asyncio.Event, waiting: Awaitable[None]) -> None:
    """Await `waiting` (a coroutine), returning early once `stop` is set."""
    sleeper = asyncio.ensure_future(waiting)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sleeper, stopper):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
