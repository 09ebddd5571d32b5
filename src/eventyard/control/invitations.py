"""Invitations: how a workspace owner adds an existing login to their workspace.

Logins belong to the whole install, workspaces to their owners. An owner of one workspace
must neither learn which logins exist nor give someone a role they did not ask for (and so
reach into their account): they invite a login, and the person signed in as that login
accepts or declines. An invitation is made, and answered, the same way whether or not the
login exists; one to a login that nobody has simply expires.

An install admin (an owner of workspace "default", like the first-start `admin` user and
`cli` token, or anyone running the CLI on the data dir) creates logins and adds users to any
workspace directly.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass

from eventyard.control import accounts, audit
from eventyard.control.roles import Role, check_role
from eventyard.control.workspaces import DEFAULT_WORKSPACE, require_workspace
from eventyard.errors import ConfigError

__all__ = [
    "DAYS",
    "MAX_PENDING",
    "SCHEMA",
    "Invitation",
    "answer",
    "install_admin",
    "invitations_for",
    "invite",
    "pending",
    "withdraw",
]

DAYS = 14
"""How long an invitation waits to be accepted."""
MAX_PENDING = 500
"""Pending invitations one workspace may have."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS invitations (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    workspace TEXT NOT NULL,
    role TEXT NOT NULL,
    invited_by TEXT NOT NULL,
    expires_at REAL NOT NULL,
    UNIQUE (email, workspace)
);
"""

_COLUMNS = "id, email, workspace, role, invited_by, expires_at"


@dataclass(frozen=True, slots=True)
class Invitation:
    id: str
    """Random: knowing one invitation tells nothing about another."""
    email: str
    workspace: str
    role: Role
    invited_by: str
    expires_at: float


def install_admin(roles: Mapping[str, Role]) -> bool:
    """Whether someone with these roles (workspace -> role) is an install admin."""
    return roles.get(DEFAULT_WORKSPACE) == "owner"


def _rows(conn: sqlite3.Connection, where: str, args: tuple[object, ...]) -> list[Invitation]:
    conn.execute("DELETE FROM invitations WHERE expires_at <= ?", (time.time(),))
    rows = conn.execute(f"SELECT {_COLUMNS} FROM invitations WHERE {where} ORDER BY email", args)
    return [Invitation(i, e, w, check_role(r), by, at) for i, e, w, r, by, at in rows]


def invite(
    conn: sqlite3.Connection, email: str, workspace: str, role: Role, actor: str
) -> Invitation:
    """Invite a login to `workspace` (a new invitation replaces the login's earlier one
    there). Whether the login exists is neither checked nor told."""
    login = accounts.check_login(email)
    check_role(role)
    require_workspace(conn, workspace)
    if login in dict(accounts.list_members(conn, workspace)):
        raise ConfigError(f"{login!r} is already a member; change their role instead")
    known = pending(conn, workspace)
    if len(known) >= MAX_PENDING and all(i.email != login for i in known):
        raise ConfigError(
            f"workspace {workspace!r} has {MAX_PENDING} pending invitations; withdraw some"
        )
    made = Invitation(
        secrets.token_urlsafe(12), login, workspace, role, actor, time.time() + DAYS * 86400
    )
    conn.execute(
        f"INSERT OR REPLACE INTO invitations ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
        (made.id, login, workspace, role, actor, made.expires_at),
    )
    audit.record(conn, workspace, actor, "create", "invitation", login, None, _doc(made))
    return made


def _doc(invitation: Invitation) -> dict[str, str]:
    return {"email": invitation.email, "role": invitation.role}


def pending(conn: sqlite3.Connection, workspace: str) -> list[Invitation]:
    """The workspace's invitations not yet answered, by login."""
    return _rows(conn, "workspace = ?", (workspace,))


def invitations_for(conn: sqlite3.Connection, email: str) -> list[Invitation]:
    """The invitations waiting for this login, by workspace."""
    found = _rows(conn, "email = ?", (email.strip().lower(),))
    return sorted(found, key=lambda invitation: invitation.workspace)


def withdraw(conn: sqlite3.Connection, workspace: str, invitation_id: str, actor: str) -> bool:
    """An owner takes back an invitation of their workspace; False when there is none."""
    found = _rows(conn, "workspace = ? AND id = ?", (workspace, invitation_id))
    if not found:
        return False
    conn.execute("DELETE FROM invitations WHERE id = ?", (invitation_id,))
    audit.record(
        conn, workspace, actor, "delete", "invitation", found[0].email, _doc(found[0]), None
    )
    return True


def answer(conn: sqlite3.Connection, email: str, invitation_id: str, accept: bool) -> Invitation:
    """The invited user accepts (becoming a member with the invited role) or declines.
    Only an invitation addressed to `email` is found: ConfigError for any other."""
    login = email.strip().lower()
    found = _rows(conn, "email = ? AND id = ?", (login, invitation_id))
    if not found:
        raise ConfigError("no such invitation for you: it was withdrawn, answered or expired")
    invitation = found[0]
    actor = f"user:{login}"
    conn.execute("DELETE FROM invitations WHERE id = ?", (invitation_id,))
    action = "accept" if accept else "decline"
    audit.record(
        conn, invitation.workspace, actor, action, "invitation", login, _doc(invitation), None
    )
    if accept:
        accounts.set_membership(conn, login, invitation.workspace, invitation.role, actor)
    return invitation
