"""Who may use the admin API and pages: users with passwords, their roles per workspace,
login sessions, and (re-exported from `tokens`) API tokens.

Session ids are random and shown once (in the cookie); only their SHA-256 is stored, so
reading state.db does not let anyone log in.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import time

from eventyard.control import audit
from eventyard.control.passwords import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    hash_password,
    password_matches,
)
from eventyard.control.roles import ROLES, Principal, Role, check_role
from eventyard.control.tokens import (
    TokenInfo,
    authenticate_token,
    create_token,
    digest,
    ensure_token,
    list_tokens,
    revoke_token,
)
from eventyard.control.workspaces import require_workspace
from eventyard.errors import ConfigError

__all__ = [
    "ROLES",
    "SCHEMA",
    "SESSION_DAYS",
    "Principal",
    "Role",
    "TokenInfo",
    "authenticate_token",
    "check_login",
    "check_role",
    "create_session",
    "create_token",
    "create_user",
    "delete_session",
    "ensure_token",
    "list_members",
    "list_tokens",
    "remove_membership",
    "revoke_token",
    "session_user",
    "set_membership",
    "set_password",
    "stored_password",
    "user_exists",
    "user_workspaces",
    "verify_password",
]

SESSION_DAYS = 14
_LOGIN = re.compile(r"[a-z0-9._%+-]{1,64}(@[a-z0-9.-]{1,190})?")

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    email TEXT PRIMARY KEY,
    password TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS memberships (
    email TEXT NOT NULL,
    workspace TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (email, workspace)
);
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL,
    last_used_at REAL,
    UNIQUE (workspace, name)
);
CREATE TABLE IF NOT EXISTS sessions (
    hash TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    expires_at REAL NOT NULL
);
"""


def check_login(email: str) -> str:
    """The login lowercased: an email address, or a plain name such as `admin`."""
    login = email.strip().lower()
    if _LOGIN.fullmatch(login) is None:
        raise ConfigError(f"{email[:80]!r} is not a valid login; use an email address")
    if not all(part.strip(".") for part in login.split("@")):
        raise ConfigError(f"{login!r} is not a valid login: a part made only of dots")
    return login


def _check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ConfigError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")


def user_exists(conn: sqlite3.Connection, email: str) -> bool:
    login = email.strip().lower()
    return conn.execute("SELECT 1 FROM users WHERE email = ?", (login,)).fetchone() is not None


def create_user(
    conn: sqlite3.Connection, email: str, password: str, workspace: str, role: Role, actor: str
) -> None:
    """A new user with a role in one workspace (more with `set_membership`)."""
    login = check_login(email)
    _check_password(password)
    if user_exists(conn, login):
        raise ConfigError(f"user {login!r} already exists; add a workspace with set_membership")
    require_workspace(conn, workspace)
    conn.execute(
        "INSERT INTO users (email, password, created_at) VALUES (?, ?, ?)",
        (login, hash_password(password), time.time()),
    )
    audit.record(conn, workspace, actor, "create", "user", login, None, {"email": login})
    set_membership(conn, login, workspace, role, actor)


def set_password(conn: sqlite3.Connection, email: str, password: str, actor: str) -> None:
    login = check_login(email)
    _check_password(password)
    if not user_exists(conn, login):
        raise ConfigError(f"no user {login!r}")
    conn.execute("UPDATE users SET password = ? WHERE email = ?", (hash_password(password), login))
    conn.execute("DELETE FROM sessions WHERE email = ?", (login,))  # log out everywhere
    for workspace in user_workspaces(conn, login):
        audit.record(conn, workspace, actor, "set_password", "user", login, None, None)


def set_membership(
    conn: sqlite3.Connection, email: str, workspace: str, role: Role, actor: str
) -> None:
    """Give a user `role` in `workspace` (replacing the role it had there)."""
    login = check_login(email)
    check_role(role)
    if not user_exists(conn, login):
        raise ConfigError(f"no user {login!r}; create it first")
    require_workspace(conn, workspace)
    before = user_workspaces(conn, login).get(workspace)
    if before == "owner" and role != "owner":
        _keep_an_owner(conn, login, workspace, f"make {login!r} {_article(role)} {role}")
    conn.execute(
        "INSERT INTO memberships (email, workspace, role) VALUES (?, ?, ?)"
        " ON CONFLICT (email, workspace) DO UPDATE SET role = excluded.role",
        (login, workspace, role),
    )
    audit.record(
        conn,
        workspace,
        actor,
        "create" if before is None else "update",
        "membership",
        login,
        None if before is None else {"email": login, "role": before},
        {"email": login, "role": role},
    )


def _article(role: Role) -> str:
    return "an" if role == "editor" else "a"


def _keep_an_owner(conn: sqlite3.Connection, login: str, workspace: str, then: str) -> None:
    """Refuse to leave a workspace without an owner user: nobody could add users to it."""
    owners = [email for email, role in list_members(conn, workspace) if role == "owner"]
    if owners == [login]:
        raise ConfigError(
            f"{login!r} is the last owner of workspace {workspace!r}; make another user an "
            f"owner first, then {then}"
        )


def list_members(conn: sqlite3.Connection, workspace: str) -> list[tuple[str, Role]]:
    """The workspace's users and their roles, by email."""
    rows = conn.execute(
        "SELECT email, role FROM memberships WHERE workspace = ? ORDER BY email", (workspace,)
    )
    return [(email, check_role(role)) for email, role in rows]


def remove_membership(conn: sqlite3.Connection, email: str, workspace: str, actor: str) -> bool:
    """Take a user out of a workspace (the user and their other workspaces stay); False when
    they are not in it. The last owner cannot be removed."""
    login = email.strip().lower()
    role = user_workspaces(conn, login).get(workspace)
    if role is None:
        return False
    if role == "owner":
        _keep_an_owner(conn, login, workspace, f"remove {login!r}")
    conn.execute("DELETE FROM memberships WHERE email = ? AND workspace = ?", (login, workspace))
    before = {"email": login, "role": role}
    audit.record(conn, workspace, actor, "delete", "membership", login, before, None)
    return True


def stored_password(conn: sqlite3.Connection, email: str) -> str | None:
    """The user's password hash (None: no such user), to check off the state thread with
    `passwords.matches_in_pool`."""
    row = conn.execute(
        "SELECT password FROM users WHERE email = ?", (email.strip().lower(),)
    ).fetchone()
    return None if row is None else str(row[0])


def verify_password(conn: sqlite3.Connection, email: str, password: str) -> bool:
    """Constant time whether or not the user exists (scrypt). Hashes on the calling thread:
    for the CLI and start-up; the server checks sign-ins with `passwords.matches_in_pool`."""
    return password_matches(password[:MAX_PASSWORD], stored_password(conn, email))


def user_workspaces(conn: sqlite3.Connection, email: str) -> dict[str, Role]:
    rows = conn.execute(
        "SELECT workspace, role FROM memberships WHERE email = ? ORDER BY workspace",
        (email.strip().lower(),),
    )
    return {workspace: check_role(role) for workspace, role in rows}


def create_session(conn: sqlite3.Connection, email: str) -> str:
    """A new login session (the cookie value), valid for SESSION_DAYS."""
    now = time.time()
    conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
    session = secrets.token_urlsafe(32)
    conn.execute(
        "INSERT INTO sessions (hash, email, expires_at) VALUES (?, ?, ?)",
        (digest(session), email.strip().lower(), now + SESSION_DAYS * 86400),
    )
    return session


def session_user(conn: sqlite3.Connection, session: str) -> str | None:
    """The logged-in user's email, or None (unknown, expired, or the user is gone)."""
    if not session or len(session) > 200:
        return None
    row = conn.execute(
        "SELECT s.email FROM sessions s JOIN users u ON u.email = s.email"
        " WHERE s.hash = ? AND s.expires_at > ?",
        (digest(session), time.time()),
    ).fetchone()
    return None if row is None else str(row[0])


def delete_session(conn: sqlite3.Connection, session: str) -> None:
    conn.execute("DELETE FROM sessions WHERE hash = ?", (digest(session),))
