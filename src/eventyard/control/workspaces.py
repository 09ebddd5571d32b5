"""Workspaces: the unit of access. Tokens and memberships name one; objects live in one.

The runtime merges every workspace into one configuration, so a workspace separates who may
see and change what, not how events flow. "default" always exists.
"""

from __future__ import annotations

import sqlite3
import time

from eventyard.control import audit
from eventyard.control.store_validate import check_name
from eventyard.errors import ConfigError

__all__ = [
    "DEFAULT_WORKSPACE",
    "SCHEMA",
    "create_workspace",
    "ensure_default",
    "list_workspaces",
    "require_workspace",
]

DEFAULT_WORKSPACE = "default"

SCHEMA = """
CREATE TABLE IF NOT EXISTS workspaces (
    name TEXT PRIMARY KEY,
    created_at REAL NOT NULL
);
"""


def ensure_default(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO workspaces (name, created_at) VALUES (?, ?)",
        (DEFAULT_WORKSPACE, time.time()),
    )


def list_workspaces(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute("SELECT name FROM workspaces ORDER BY name")]


def require_workspace(conn: sqlite3.Connection, name: str) -> None:
    if conn.execute("SELECT 1 FROM workspaces WHERE name = ?", (name,)).fetchone() is None:
        known = ", ".join(list_workspaces(conn))
        raise ConfigError(f"no workspace named {name!r}; workspaces: {known}")


def create_workspace(conn: sqlite3.Connection, name: str, actor: str) -> None:
    check_name("workspace", name)
    if conn.execute("SELECT 1 FROM workspaces WHERE name = ?", (name,)).fetchone():
        raise ConfigError(f"workspace {name!r} already exists")
    conn.execute("INSERT INTO workspaces (name, created_at) VALUES (?, ?)", (name, time.time()))
    audit.record(conn, name, actor, "create", "workspace", name, None, {"name": name})
