"""The audit log: who changed what in the configuration, with the documents before and after.

Callers pass documents with secrets already masked, so nothing here can leak a credential;
an entry is never changed or removed by eventyard, except that a value a newer version
declares secret is masked in old entries (`store_upgrade`).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["MAX_ENTRIES", "SCHEMA", "AuditEntry", "list_entries", "record"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    workspace TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX IF NOT EXISTS audit_by_workspace ON audit_log (workspace, id);
"""

MAX_ENTRIES = 1000
"""Most entries one call lists, whatever the caller asks."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: float
    workspace: str
    actor: str
    """`token:<name>`, `user:<email>`, `cli:<os user>`, or `system:<what>`."""
    action: str
    """create, update, delete, rotate_write_key, revoke, ..."""
    kind: str
    name: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _json(doc: dict[str, Any] | None) -> str | None:
    return None if doc is None else orjson.dumps(doc).decode()


def record(
    conn: sqlite3.Connection,
    workspace: str,
    actor: str,
    action: str,
    kind: str,
    name: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Append one entry; `before`/`after` must be MASKED documents (None: did not exist)."""
    conn.execute(
        "INSERT INTO audit_log (at, workspace, actor, action, kind, name, before, after)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (time.time(), workspace, actor, action, kind, name, _json(before), _json(after)),
    )


def list_entries(
    conn: sqlite3.Connection, workspace: str, limit: int = 100, before_id: int | None = None
) -> list[AuditEntry]:
    """A workspace's entries, newest first; pass the last id seen as `before_id` for more."""
    limit = max(1, min(limit, MAX_ENTRIES))
    rows = conn.execute(
        "SELECT id, at, workspace, actor, action, kind, name, before, after FROM audit_log"
        " WHERE workspace = ? AND id < ? ORDER BY id DESC LIMIT ?",
        (workspace, before_id if before_id is not None else 2**63 - 1, limit),
    ).fetchall()
    return [
        AuditEntry(
            id=row[0],
            at=row[1],
            workspace=row[2],
            actor=row[3],
            action=row[4],
            kind=row[5],
            name=row[6],
            before=None if row[7] is None else orjson.loads(row[7]),
            after=None if row[8] is None else orjson.loads(row[8]),
        )
        for row in rows
    ]
