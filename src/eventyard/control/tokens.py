"""API tokens: `ey_` + 32 random bytes, scoped to one workspace with one role.

Shown once when created; only the SHA-256 is stored, so reading state.db does not let
anyone call the API. (A token has full entropy, so a fast hash is enough, unlike passwords.)
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from dataclasses import dataclass

from eventyard.control import audit
from eventyard.control.roles import Principal, Role, check_role
from eventyard.control.store_validate import check_name
from eventyard.control.workspaces import require_workspace
from eventyard.errors import ConfigError

__all__ = [
    "TOKEN_PREFIX",
    "TokenInfo",
    "authenticate_token",
    "create_token",
    "digest",
    "ensure_token",
    "list_tokens",
    "new_token",
    "revoke_token",
]

TOKEN_PREFIX = "ey_"
_LAST_USED_EVERY = 60.0  # seconds: authenticate every request, write at most this often


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    name: str
    role: Role
    created_at: float
    last_used_at: float | None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create_token(
    conn: sqlite3.Connection, workspace: str, role: Role, name: str, actor: str
) -> str:
    """A new API token (`ey_...`), returned in plain text this once."""
    token = new_token()
    ensure_token(conn, workspace, role, name, token, actor, replace=False)
    return token


def ensure_token(
    conn: sqlite3.Connection,
    workspace: str,
    role: Role,
    name: str,
    token: str,
    actor: str,
    replace: bool = True,
) -> None:
    """Make `token` the secret of token `name` (created if missing; replaced if `replace`)."""
    check_role(role)
    check_name("token name", name)
    require_workspace(conn, workspace)
    if not token.startswith(TOKEN_PREFIX) or len(token) < 24:
        raise ConfigError(f"a token starts with {TOKEN_PREFIX} and has at least 24 characters")
    taken = conn.execute(
        "SELECT 1 FROM tokens WHERE hash = ? AND NOT (workspace = ? AND name = ?)",
        (digest(token), workspace, name),
    ).fetchone()
    if taken is not None:
        raise ConfigError("that token is already in use under another name; choose another")
    existing = conn.execute(
        "SELECT id FROM tokens WHERE workspace = ? AND name = ?", (workspace, name)
    ).fetchone()
    if existing is not None and not replace:
        raise ConfigError(f"workspace {workspace!r} already has a token named {name!r}")
    conn.execute("DELETE FROM tokens WHERE workspace = ? AND name = ?", (workspace, name))
    conn.execute(
        "INSERT INTO tokens (workspace, name, role, hash, created_at) VALUES (?, ?, ?, ?, ?)",
        (workspace, name, role, digest(token), time.time()),
    )
    action = "create" if existing is None else "replace"
    audit.record(conn, workspace, actor, action, "token", name, None, {"name": name, "role": role})


def authenticate_token(conn: sqlite3.Connection, token: str) -> Principal | None:
    """The token's principal, or None when it is unknown, revoked or its workspace is gone."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = conn.execute(
        "SELECT t.id, t.workspace, t.name, t.role, t.last_used_at FROM tokens t"
        " JOIN workspaces w ON w.name = t.workspace WHERE t.hash = ?",
        (digest(token),),
    ).fetchone()
    if row is None:
        return None
    token_id, workspace, name, role, last_used = row
    now = time.time()
    if last_used is None or now - last_used > _LAST_USED_EVERY:
        conn.execute("UPDATE tokens SET last_used_at = ? WHERE id = ?", (now, token_id))
    return Principal(f"token:{name}", workspace, check_role(role))


def list_tokens(conn: sqlite3.Connection, workspace: str) -> list[TokenInfo]:
    rows = conn.execute(
        "SELECT id, name, role, created_at, last_used_at FROM tokens WHERE workspace = ?"
        " ORDER BY id",
        (workspace,),
    )
    return [TokenInfo(i, name, check_role(role), at, used) for i, name, role, at, used in rows]


def revoke_token(conn: sqlite3.Connection, workspace: str, token_id: int, actor: str) -> bool:
    """False when the workspace has no token with that id."""
    row = conn.execute(
        "SELECT name, role FROM tokens WHERE id = ? AND workspace = ?", (token_id, workspace)
    ).fetchone()
    if row is None:
        return False
    conn.execute("DELETE FROM tokens WHERE id = ?", (token_id,))
    before = {"name": row[0], "role": row[1]}
    audit.record(conn, workspace, actor, "revoke", "token", row[0], before, None)
    return True
