"""OAuth 2 tokens the runner refreshed, written back into the destination's settings.

When a call gets a `401`, the runner refreshes the access token through the definition's
`refreshAccessToken` and retries; its answer carries the new `access_token` (and the new
`refresh_token` when the platform rotates it). The server stores them, encrypted like every
secret setting, in each destination of that type whose stored refresh token is the one
used, audited as `system:oauth-refresh`, so that a restart uses the new token instead of
refreshing again (and a rotated refresh token is not lost).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from eventyard.control.plane import ControlPlane
from eventyard.control.store import reveal_object, update_object

__all__ = ["ACTOR", "TokenSink", "keep_tokens_with", "refreshed", "store_in"]

log = logging.getLogger(__name__)

ACTOR = "system:oauth-refresh"
TOKEN_KEYS = ("access_token", "refresh_token")
TokenSink = Callable[[str, str, dict[str, str]], Coroutine[Any, Any, int]]
"""(destination type, refresh token used, new tokens) -> how many destinations changed."""

_sink: TokenSink | None = None
_writes: set[asyncio.Task[int]] = set()


def keep_tokens_with(sink: TokenSink | None) -> None:
    """Where refreshed tokens go (the server's control plane); None: memory only."""
    global _sink
    _sink = sink


def refreshed(slug: str, settings: Mapping[str, Any], tokens: Any) -> None:
    """Store the runner's new tokens in the background: the delivery that refreshed them
    goes on, and the destination's settings change after it."""
    used = settings.get("refresh_token")
    if _sink is None or not isinstance(used, str) or not isinstance(tokens, dict):
        return
    fresh = {k: v for k, v in tokens.items() if k in TOKEN_KEYS and isinstance(v, str) and v}
    if "access_token" not in fresh:
        return
    task = asyncio.get_running_loop().create_task(_sink(slug, used, fresh))
    _writes.add(task)
    task.add_done_callback(_written)


def _written(task: asyncio.Task[int]) -> None:
    _writes.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("could not store refreshed OAuth tokens: %s", task.exception())


def store_in(plane: ControlPlane) -> TokenSink:
    """A sink writing into the control plane's store (one transaction, audited)."""

    async def store(slug: str, used: str, fresh: dict[str, str]) -> int:
        def run(conn: sqlite3.Connection) -> int:
            names = conn.execute(
                "SELECT name FROM objects WHERE kind = 'destination'"
                " AND json_extract(doc, '$.type') = ?",
                (slug,),
            ).fetchall()
            changed = 0
            for (name,) in names:
                found = reveal_object(conn, plane.box, "destination", name)
                settings = dict((found.doc.get("settings") or {}) if found else {})
                if found is None or settings.get("refresh_token") != used:
                    continue
                change = {"settings": settings | fresh}
                update_object(conn, plane.box, "destination", found.workspace, name, change, ACTOR)
                changed += 1
            return changed

        changed = await plane.change(run)
        log.info("stored refreshed OAuth tokens in %d %s destination(s)", changed, slug)
        return changed

    return store
