"""The control plane's tables in state.db, its configuration version and its key check.

`config_version` counts configuration changes: servers poll it to notice what another
process (`eventyard apply`) changed. `secret_check` holds one value encrypted with the
secret key, so that a wrong key fails at start with a clear error instead of on the first
secret a request happens to read.
"""

from __future__ import annotations

import sqlite3

from eventyard.control import accounts, audit, invitations, workspaces
from eventyard.control.secrets import SecretBox
from eventyard.control.store_upgrade import seal_plain_secrets

__all__ = ["SCHEMA", "bump_version", "config_version", "ensure_schema", "verify_key"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    workspace TEXT NOT NULL,
    doc TEXT NOT NULL,
    secrets TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (kind, name)
);
CREATE INDEX IF NOT EXISTS objects_by_workspace ON objects (workspace, kind);
CREATE TABLE IF NOT EXISTS config_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS applied_files (
    workspace TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS secret_check (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    token TEXT NOT NULL
);
"""


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the control tables and the "default" workspace if they do not exist."""
    for script in (workspaces.SCHEMA, SCHEMA, accounts.SCHEMA, invitations.SCHEMA, audit.SCHEMA):
        # One statement at a time: executescript() would commit the caller's transaction.
        for statement in script.split(";"):
            if statement.strip():
                conn.execute(statement)
    workspaces.ensure_default(conn)
    conn.execute("INSERT OR IGNORE INTO config_version (id, version) VALUES (1, 0)")


def verify_key(conn: sqlite3.Connection, box: SecretBox) -> None:
    """Fail at start, with a clear ConfigError, when the secret key is not the one in use;
    with the right key, encrypt what an older eventyard stored in the clear (`store_upgrade`),
    before any reader (the server, `eventyard export`) can show it."""
    row = conn.execute("SELECT token FROM secret_check WHERE id = 1").fetchone()
    if row is None:
        conn.execute("INSERT INTO secret_check (id, token) VALUES (1, ?)", (box.encrypt("ok"),))
    else:
        box.decrypt(row[0])
    seal_plain_secrets(conn, box)


def config_version(conn: sqlite3.Connection) -> int:
    (version,) = conn.execute("SELECT version FROM config_version WHERE id = 1").fetchone()
    return int(version)


def bump_version(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE config_version SET version = version + 1 WHERE id = 1")
