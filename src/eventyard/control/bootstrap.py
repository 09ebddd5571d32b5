"""First start: an admin user and an owner API token, so a fresh install can be used at once.

With no user in state.db, the server creates user `admin` (owner of "default") and the
owner token "cli", and writes them to `<data-dir>/admin-password` and `<data-dir>/admin-token`
(0600); CLI commands that call the server read the token file. `EVENTYARD_ADMIN_PASSWORD` /
`EVENTYARD_ADMIN_TOKEN` replace the random values and are re-ensured on every start, so
tests and automation can rely on them.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from eventyard.control import accounts
from eventyard.control.roles import Principal
from eventyard.control.tokens import new_token
from eventyard.control.workspaces import DEFAULT_WORKSPACE
from eventyard.delivery.state import StateStore

__all__ = [
    "ADMIN_LOGIN",
    "ADMIN_TOKEN_NAME",
    "PASSWORD_ENV",
    "PASSWORD_FILE",
    "TOKEN_ENV",
    "TOKEN_FILE",
    "Bootstrapped",
    "bootstrap",
    "ensure_admin",
    "write_private",
]

ADMIN_LOGIN = "admin"
ADMIN_TOKEN_NAME = "cli"
PASSWORD_FILE = "admin-password"
TOKEN_FILE = "admin-token"
PASSWORD_ENV = "EVENTYARD_ADMIN_PASSWORD"
TOKEN_ENV = "EVENTYARD_ADMIN_TOKEN"
_ACTOR = "system:bootstrap"


@dataclass(frozen=True, slots=True)
class Bootstrapped:
    """The credential files written at this start (empty on most starts)."""

    password_file: Path | None = None
    token_file: Path | None = None

    def messages(self) -> list[str]:
        """What the server prints once, saying where the credentials are."""
        lines = []
        if self.password_file is not None:
            lines.append(f"admin login: user {ADMIN_LOGIN}, password in {self.password_file}")
        if self.token_file is not None:
            lines.append(f"owner API token {ADMIN_TOKEN_NAME!r} in {self.token_file}")
        return lines


def write_private(path: Path, text: str) -> Path:
    """Replace `path` atomically with `text`, readable by this user only (0600)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    temporary.replace(path)
    return path


def _ensure_password(conn: sqlite3.Connection, first: bool, password: str | None) -> str | None:
    if first:
        chosen = password or secrets.token_urlsafe(18)
        accounts.create_user(conn, ADMIN_LOGIN, chosen, DEFAULT_WORKSPACE, "owner", _ACTOR)
        return chosen
    if password is None:
        return None
    if not accounts.user_exists(conn, ADMIN_LOGIN):
        accounts.create_user(conn, ADMIN_LOGIN, password, DEFAULT_WORKSPACE, "owner", _ACTOR)
        return password
    changed = not accounts.verify_password(conn, ADMIN_LOGIN, password)
    if changed:
        accounts.set_password(conn, ADMIN_LOGIN, password, _ACTOR)
    if accounts.user_workspaces(conn, ADMIN_LOGIN).get(DEFAULT_WORKSPACE) != "owner":
        accounts.set_membership(conn, ADMIN_LOGIN, DEFAULT_WORKSPACE, "owner", _ACTOR)
    return password if changed else None


def _ensure_token(conn: sqlite3.Connection, first: bool, token: str | None) -> str | None:
    wanted = Principal(f"token:{ADMIN_TOKEN_NAME}", DEFAULT_WORKSPACE, "owner")
    if token is not None and accounts.authenticate_token(conn, token) == wanted:
        return None
    if token is None and not first:
        return None
    chosen = token or new_token()
    accounts.ensure_token(conn, DEFAULT_WORKSPACE, "owner", ADMIN_TOKEN_NAME, chosen, _ACTOR)
    return chosen


def ensure_admin(
    conn: sqlite3.Connection, password: str | None, token: str | None
) -> tuple[str | None, str | None]:
    """Create or re-ensure the admin credentials; returns the (password, token) that are new
    and must be written to the data dir (None: nothing new)."""
    first = conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is None
    return _ensure_password(conn, first, password), _ensure_token(conn, first, token)


async def bootstrap(
    state: StateStore, data_dir: Path, environ: Mapping[str, str] = os.environ
) -> Bootstrapped:
    """Run `ensure_admin` (after `ensure_schema`), then write what is new, 0600."""
    password, token = await state.run(
        lambda conn: ensure_admin(
            conn, environ.get(PASSWORD_ENV) or None, environ.get(TOKEN_ENV) or None
        )
    )
    written: dict[str, Path] = {}
    for key, value, name in (("password", password, PASSWORD_FILE), ("token", token, TOKEN_FILE)):
        if value is not None:
            written[key] = write_private(data_dir / name, value + "\n")
    return Bootstrapped(written.get("password"), written.get("token"))
