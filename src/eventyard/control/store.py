"""The configuration objects in state.db: sources and destinations, in workspaces.

Each object is stored as its canonical document (the eventyard.yaml entry, secrets masked)
plus its secrets, each encrypted on its own and addressed by its path in the document, so
that the masked document is what every reader sees and only `runtime_objects` decrypts.
Every change writes an audit entry and bumps `config_version`, which servers poll to pick up
changes made by another process (`eventyard apply`).

All functions take the state connection inside a transaction and never commit.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

import orjson

from eventyard.control import audit
from eventyard.control.config import DestinationConfig, SourceConfig
from eventyard.control.documents import KeyPath, get_at, mask_secrets, secret_leaves, to_doc
from eventyard.control.schema import bump_version, config_version, ensure_schema, verify_key
from eventyard.control.secrets import SecretBox
from eventyard.control.store_protocols import protocol_users
from eventyard.control.store_secrets import StoredSecrets, restore_masked
from eventyard.control.store_validate import (
    SECTIONS,
    check_composed,
    check_document,
    check_kind,
    decode_stored,
    elsewhere,
    moved_locations,
    secret_roots,
    validate_document,
)
from eventyard.control.workspaces import (
    DEFAULT_WORKSPACE,
    create_workspace,
    list_workspaces,
    require_workspace,
)
from eventyard.errors import ConfigError

__all__ = [
    "DEFAULT_WORKSPACE",
    "Revealed",
    "StoredObject",
    "config_version",
    "create_workspace",
    "delete_object",
    "ensure_schema",
    "get_object",
    "list_objects",
    "list_workspaces",
    "put_object",
    "require_workspace",
    "reveal_object",
    "rotate_write_key",
    "runtime_objects",
    "update_object",
    "verify_key",
    "write_object",
]


@dataclass(frozen=True, slots=True)
class StoredObject:
    workspace: str
    kind: str
    name: str
    doc: dict[str, Any]
    """The eventyard.yaml entry; every secret is SECRET_MASK."""
    updated_at: float


def _row(conn: sqlite3.Connection, kind: str, name: str) -> tuple[str, str, str, float] | None:
    row: tuple[str, str, str, float] | None = conn.execute(
        "SELECT workspace, doc, secrets, updated_at FROM objects WHERE kind = ? AND name = ?",
        (kind, name),
    ).fetchone()
    return row


def list_objects(conn: sqlite3.Connection, kind: str, workspace: str) -> list[StoredObject]:
    """A workspace's objects of one kind, oldest first (the order of the file they came from)."""
    check_kind(kind)
    rows = conn.execute(
        "SELECT name, doc, updated_at FROM objects WHERE kind = ? AND workspace = ? ORDER BY rowid",
        (kind, workspace),
    )
    return [StoredObject(workspace, kind, n, orjson.loads(d), at) for n, d, at in rows]


def get_object(
    conn: sqlite3.Connection, kind: str, workspace: str, name: str
) -> StoredObject | None:
    check_kind(kind)
    row = _row(conn, kind, name)
    if row is None or row[0] != workspace:
        return None
    return StoredObject(workspace, kind, name, orjson.loads(row[1]), row[3])


@dataclass(frozen=True, slots=True)
class Revealed:
    """An object with its secrets decrypted: only for comparing, never for showing."""

    workspace: str
    doc: dict[str, Any]
    secrets: dict[KeyPath, str]


def reveal_object(
    conn: sqlite3.Connection, box: SecretBox, kind: str, name: str
) -> Revealed | None:
    """The object named `name` in whichever workspace holds it, secrets decrypted."""
    row = _row(conn, kind, name)
    if row is None:
        return None
    sealed = StoredSecrets.load(row[2])
    return Revealed(row[0], sealed.reveal(box, orjson.loads(row[1])), sealed.plain(box))


def new_write_key() -> str:
    return secrets.token_urlsafe(24)


def write_object(
    conn: sqlite3.Connection,
    box: SecretBox,
    kind: str,
    workspace: str,
    doc: dict[str, Any],
    actor: str,
) -> StoredObject:
    """`put_object` without the checks across objects (the caller runs `check_composed`)."""
    name = check_document(kind, doc)
    require_workspace(conn, workspace)
    key = f"{SECTIONS[kind]}.{name}"
    row = _row(conn, kind, name)
    if row is not None and row[0] != workspace:
        raise elsewhere(key, kind, name)
    kept = StoredSecrets.load(row[2] if row else "[]")
    before = orjson.loads(row[1]) if row else None
    moved = moved_locations(kind, before, doc)
    doc = restore_masked(key, doc, secret_roots(kind, doc), kept.plain(box), moved)
    if kind == "source" and "write_key" not in doc:  # keep it, or make one (API callers)
        doc = {**doc, "write_key": orjson.loads(row[1])["write_key"] if row else new_write_key()}
    canonical = to_doc(validate_document(kind, name, doc))
    roots = secret_roots(kind, canonical)
    masked = mask_secrets(canonical, roots)
    leaves = secret_leaves(canonical, roots)
    sealed = kept.seal(box, {path: get_at(canonical, path) for path in leaves})
    if row is not None and before == masked and sealed == kept:
        return StoredObject(workspace, kind, name, masked, row[3])  # nothing changed
    now = time.time()
    if row is None:
        conn.execute(
            "INSERT INTO objects (kind, name, workspace, doc, secrets, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (kind, name, workspace, orjson.dumps(masked).decode(), sealed.dumps(), now),
        )
    else:
        conn.execute(
            "UPDATE objects SET doc = ?, secrets = ?, updated_at = ? WHERE kind = ? AND name = ?",
            (orjson.dumps(masked).decode(), sealed.dumps(), now, kind, name),
        )
    action = "create" if row is None else "update"
    audit.record(conn, workspace, actor, action, kind, name, before, masked)
    bump_version(conn)
    return StoredObject(workspace, kind, name, masked, now)


def put_object(
    conn: sqlite3.Connection,
    box: SecretBox,
    kind: str,
    workspace: str,
    doc: dict[str, Any],
    actor: str,
) -> StoredObject:
    """Create or replace the object named `doc["name"]`, validated like eventyard.yaml.

    SECRET_MASK in a secret setting keeps the stored value. A source without `write_key`
    keeps its key, or gets a new random one.
    """
    stored = write_object(conn, box, kind, workspace, doc, actor)
    if kind == "source":
        _check_write_key(conn, name=stored.name, key=stored.doc["write_key"])
    check_composed(conn)
    return stored


def _check_write_key(conn: sqlite3.Connection, name: str, key: str) -> None:
    """Refuse a write key another source has, in the same words whichever workspace holds
    it: naming that source, or saying "another workspace", would tell an editor about
    objects they cannot see."""
    taken = conn.execute(
        "SELECT 1 FROM objects WHERE kind = 'source' AND name != ?"
        " AND json_extract(doc, '$.write_key') = ?",
        (name, key),
    ).fetchone()
    if taken is not None:
        raise ConfigError(
            f"sources.{name}.write_key: this write key is taken; choose another, or leave "
            "write_key out to get a new random one"
        )


def update_object(
    conn: sqlite3.Connection,
    box: SecretBox,
    kind: str,
    workspace: str,
    name: str,
    change: dict[str, Any],
    actor: str,
) -> StoredObject:
    """Replace some top-level keys of a stored object (None removes a key), reading and
    writing in the caller's one transaction, so that two editors changing different keys
    at once cannot undo each other's change."""
    current = get_object(conn, kind, workspace, name)
    if current is None:
        raise ConfigError(f"{kind}s.{name}: it was deleted meanwhile")
    doc = {key: value for key, value in {**current.doc, **change}.items() if value is not None}
    return put_object(conn, box, kind, workspace, doc, actor)


def delete_object(
    conn: sqlite3.Connection, kind: str, workspace: str, name: str, actor: str
) -> bool:
    """False when the workspace has no such object; refuses a source destinations still use."""
    existing = get_object(conn, kind, workspace, name)
    if existing is None:
        return False
    if kind == "source":
        users = [
            dest.name
            for dest in list_objects(conn, "destination", workspace)
            if name in dest.doc.get("sources", [])
        ]
        if users:
            raise ConfigError(
                f"sources.{name}: destinations {', '.join(users)} send from this source; "
                "remove it from their sources first"
            )
        governed = protocol_users(conn, workspace, name)
        if governed:
            raise ConfigError(
                f"sources.{name}: {', '.join(governed)} name this source; remove it there first"
            )
    conn.execute("DELETE FROM objects WHERE kind = ? AND name = ?", (kind, name))
    audit.record(conn, workspace, actor, "delete", kind, name, existing.doc, None)
    bump_version(conn)
    return True


def rotate_write_key(conn: sqlite3.Connection, workspace: str, source: str, actor: str) -> str:
    """A new random write key for `source`; the old one stops working once published."""
    existing = get_object(conn, "source", workspace, source)
    if existing is None:
        raise ConfigError(f"no source named {source!r} in workspace {workspace!r}")
    key = new_write_key()
    doc = {**existing.doc, "write_key": key}
    conn.execute(
        "UPDATE objects SET doc = ?, updated_at = ? WHERE kind = 'source' AND name = ?",
        (orjson.dumps(doc).decode(), time.time(), source),
    )
    audit.record(conn, workspace, actor, "rotate_write_key", "source", source, existing.doc, doc)
    bump_version(conn)
    return key


def runtime_objects(
    conn: sqlite3.Connection, box: SecretBox
) -> tuple[list[SourceConfig], list[DestinationConfig]]:
    """Every workspace's sources and destinations with secrets decrypted, for the runtime."""
    sources: list[SourceConfig] = []
    destinations: list[DestinationConfig] = []
    for kind, doc, sealed in conn.execute(
        "SELECT kind, doc, secrets FROM objects"
        " WHERE kind IN ('source', 'destination') ORDER BY rowid"
    ):
        plain = StoredSecrets.load(sealed).reveal(box, orjson.loads(doc))
        obj = decode_stored(kind, plain)
        (sources if kind == "source" else destinations).append(obj)
    return sources, destinations
