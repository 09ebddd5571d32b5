"""One workspace's view of the running configuration.

The runtime merges every workspace's sources and destinations into one `Config`; an API
caller sees only the part its token's workspace owns. Names come from the control store,
settings (decrypted, validated) from the running Config.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import msgspec

from eventyard.control import store
from eventyard.control.config import Config

if TYPE_CHECKING:
    from eventyard.control.context import ServerContext

__all__ = ["workspace_config", "workspace_names"]


def workspace_names(conn: sqlite3.Connection, workspace: str) -> tuple[set[str], set[str]]:
    """The names of the workspace's sources and destinations."""
    sources = {o.name for o in store.list_objects(conn, "source", workspace)}
    destinations = {o.name for o in store.list_objects(conn, "destination", workspace)}
    return sources, destinations


async def workspace_config(ctx: ServerContext, workspace: str) -> Config:
    """The running Config with only this workspace's sources and destinations."""
    sources, destinations = await ctx.state.run(lambda conn: workspace_names(conn, workspace))
    config = ctx.config
    return msgspec.structs.replace(
        config,
        sources=[s for s in config.sources if s.name in sources],
        destinations=[d for d in config.destinations if d.name in destinations],
    )
