"""Workspaces: the unit of access. Tokens and memberships name one; objects live in one.

The runtime merges every workspace into one configuration, so a workspace separates who may
see and change what, not how events flow. "default" always exists. A workspace is deleted
only once it holds no objects, so that deleting one never stops events from flowing.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from eventyard.control import audit
from eventyard.control.store_validate import SECTIONS, check_name
from eventyard.errors import ConfigError

__all__ = [
    "DEFAULT_WORKSPACE",
    "SCHEMA",
    "create_workspace",
    "delete_workspace",
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


def delete_workspace(conn: sqlite3.Connection, name: str, actor: str) -> bool:
    """Delete an empty workspace with its tokens, memberships and invitations (the users
    stay); False when there is no such workspace. Its audit entries are kept."""
    if name == DEFAULT_WORKSPACE:
        raise ConfigError(f"workspace {DEFAULT_WORKSPACE!r} always exists; it cannot be deleted")
    if conn.execute("SELECT 1 FROM workspaces WHERE name = ?", (name,)).fetchone() is None:
        return False
    held = conn.execute(
        "SELECT kind, count(*) FROM objects WHERE workspace = ? GROUP BY kind ORDER BY kind",
        (name,),
    ).fetchall()
    if held:
        counts = ", ".join(f"{SECTIONS.get(kind, kind)}: {count}" for kind, count in held)
        raise ConfigError(
            f"workspace {name!r} is not empty ({counts}); delete those first "
            f"(`eventyard apply -w {name} -f <empty file>` deletes them all)"
        )
    before: dict[str, Any] = {"name": name}
    for table, column in (("tokens", "name"), ("memberships", "email"), ("invitations", "email")):
        rows = conn.execute(f"SELECT {column} FROM {table} WHERE workspace = ?", (name,))
        before[table] = sorted(row[0] for row in rows)
        conn.execute(f"DELETE FROM {table} WHERE workspace = ?", (name,))
    conn.execute("DELETE FROM workspaces WHERE name = ?", (name,))
    audit.record(conn, name, actor, "delete", "workspace", name, before, None)
    return True
