"""Tokens, users, memberships and sessions: what a caller may do is decided here, so every
hostile or stale credential must come out as "nobody"."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from eventyard.control import accounts, audit, store
from eventyard.control.accounts import Principal
from eventyard.errors import ConfigError
from eventyard.sqlite_writer import connect


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = connect(tmp_path / "state.db")
    store.ensure_schema(conn)
    store.create_workspace(conn, "acme", "t")
    yield conn
    conn.close()


@pytest.mark.parametrize(
    ("role", "write", "admin"),
    [("viewer", False, False), ("editor", True, False), ("owner", True, True)],
)
def test_a_token_authenticates_as_its_workspace_and_role(
    conn: sqlite3.Connection, role: accounts.Role, write: bool, admin: bool
) -> None:
    token = accounts.create_token(conn, "acme", role, "ci", "user:a@b.c")
    assert token.startswith("ey_") and len(token) >= 40
    principal = accounts.authenticate_token(conn, token)
    assert principal == Principal("token:ci", "acme", role)
    assert (principal.can_write(), principal.can_admin()) == (write, admin)


def test_tokens_are_listed_without_values_and_stored_only_hashed(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    token = accounts.create_token(conn, "acme", "editor", "deploy", "t")
    (info,) = accounts.list_tokens(conn, "acme")
    assert (info.name, info.role, info.last_used_at) == ("deploy", "editor", None)
    assert accounts.list_tokens(conn, "default") == []
    accounts.authenticate_token(conn, token)
    (used,) = accounts.list_tokens(conn, "acme")
    assert used.last_used_at is not None and used.last_used_at >= info.created_at
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for path in tmp_path.glob("state.db*"):
        assert token.encode() not in path.read_bytes()
        assert token[3:].encode() not in path.read_bytes()


def test_a_revoked_token_stops_working(conn: sqlite3.Connection) -> None:
    token = accounts.create_token(conn, "acme", "owner", "ci", "t")
    (info,) = accounts.list_tokens(conn, "acme")
    assert not accounts.revoke_token(conn, "default", info.id, "t")  # another workspace's
    assert accounts.authenticate_token(conn, token) is not None
    assert accounts.revoke_token(conn, "acme", info.id, "user:a@b.c")
    assert accounts.authenticate_token(conn, token) is None
    assert not accounts.revoke_token(conn, "acme", info.id, "t")
    actions = [(e.action, e.kind, e.name) for e in audit.list_entries(conn, "acme")]
    assert actions[:2] == [("revoke", "token", "ci"), ("create", "token", "ci")]


@pytest.mark.parametrize(
    "token",
    ["", "ey_", "ey_" + "A" * 43, "Bearer ey_x", "x" * 10_000, "ey_" + "a" * 10_000, "\x00", "é"],
)
def test_unknown_or_hostile_tokens_are_nobody(conn: sqlite3.Connection, token: str) -> None:
    accounts.create_token(conn, "acme", "owner", "ci", "t")
    assert accounts.authenticate_token(conn, token) is None


@pytest.mark.parametrize(
    ("workspace", "role", "name", "expected"),
    [
        ("acme", "admin", "ci", "role 'admin' is not one of: owner, editor, viewer"),
        ("acme", "owner", "a b", "token name: 'a b' is not a valid name"),
        ("nope", "owner", "ci", "no workspace named 'nope'"),
    ],
)
def test_bad_token_requests_are_refused(
    conn: sqlite3.Connection, workspace: str, role: accounts.Role, name: str, expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected):
        accounts.create_token(conn, workspace, role, name, "t")


def test_token_names_are_unique_per_workspace(conn: sqlite3.Connection) -> None:
    accounts.create_token(conn, "acme", "owner", "ci", "t")
    accounts.create_token(conn, "default", "owner", "ci", "t")
    with pytest.raises(ConfigError, match="already has a token named 'ci'"):
        accounts.create_token(conn, "acme", "viewer", "ci", "t")


def test_ensure_token_replaces_a_named_token_but_never_borrows_another(
    conn: sqlite3.Connection,
) -> None:
    old = accounts.create_token(conn, "acme", "owner", "cli", "t")
    chosen = "ey_" + "k" * 40
    accounts.ensure_token(conn, "acme", "owner", "cli", chosen, "t")
    assert accounts.authenticate_token(conn, old) is None
    assert accounts.authenticate_token(conn, chosen) == Principal("token:cli", "acme", "owner")
    with pytest.raises(ConfigError, match="already in use under another name"):
        accounts.ensure_token(conn, "acme", "owner", "other", chosen, "t")
    with pytest.raises(ConfigError, match="a token starts with ey_"):
        accounts.ensure_token(conn, "acme", "owner", "cli", "short", "t")


def test_users_log_in_with_their_password_only(conn: sqlite3.Connection, tmp_path: Path) -> None:
    accounts.create_user(conn, " Ada@Example.com ", "correct horse", "acme", "editor", "t")
    assert accounts.verify_password(conn, "ada@example.com", "correct horse")
    assert accounts.verify_password(conn, "ADA@example.com", "correct horse")
    assert not accounts.verify_password(conn, "ada@example.com", "correct horsE")
    assert not accounts.verify_password(conn, "nobody@example.com", "correct horse")
    assert not accounts.verify_password(conn, "ada@example.com", "x" * 100_000)
    assert accounts.user_workspaces(conn, "ada@example.com") == {"acme": "editor"}
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for path in tmp_path.glob("state.db*"):
        assert b"correct horse" not in path.read_bytes()


def test_verifying_an_unknown_user_costs_as_much_as_a_known_one(
    conn: sqlite3.Connection,
) -> None:
    accounts.create_user(conn, "ada@example.com", "correct horse", "acme", "editor", "t")

    def timed(email: str) -> float:
        start = time.perf_counter()
        accounts.verify_password(conn, email, "wrong password")
        return time.perf_counter() - start

    known = min(timed("ada@example.com") for _ in range(3))
    unknown = min(timed("eve@example.com") for _ in range(3))
    assert unknown > known / 3


@pytest.mark.parametrize(
    ("email", "password", "workspace", "expected"),
    [
        ("not an email", "long enough", "acme", "is not a valid login"),
        ("a@b\nc", "long enough", "acme", "is not a valid login"),
        ("", "long enough", "acme", "is not a valid login"),
        ("a" * 300 + "@b.c", "long enough", "acme", "is not a valid login"),
        ("a@b.c", "short", "acme", "a password has 8 to 1024 characters"),
        ("a@b.c", "x" * 1025, "acme", "a password has 8 to 1024 characters"),
        ("a@b.c", "long enough", "nope", "no workspace named 'nope'"),
    ],
)
def test_bad_users_are_refused(
    conn: sqlite3.Connection, email: str, password: str, workspace: str, expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected):
        accounts.create_user(conn, email, password, workspace, "viewer", "t")
    assert not accounts.user_exists(conn, "a@b.c")


def test_memberships(conn: sqlite3.Connection) -> None:
    accounts.create_user(conn, "ada@example.com", "correct horse", "acme", "viewer", "t")
    with pytest.raises(ConfigError, match="already exists; add a workspace"):
        accounts.create_user(conn, "ada@example.com", "another one", "default", "viewer", "t")
    accounts.set_membership(conn, "ada@example.com", "default", "owner", "user:root")
    accounts.set_membership(conn, "ada@example.com", "acme", "editor", "user:root")
    assert accounts.user_workspaces(conn, "ada@example.com") == {
        "acme": "editor",
        "default": "owner",
    }
    (entry, *_) = audit.list_entries(conn, "acme")
    assert (entry.kind, entry.action, entry.before, entry.after) == (
        "membership",
        "update",
        {"email": "ada@example.com", "role": "viewer"},
        {"email": "ada@example.com", "role": "editor"},
    )
    with pytest.raises(ConfigError, match=r"no user 'eve@example\.com'"):
        accounts.set_membership(conn, "eve@example.com", "acme", "owner", "t")
    with pytest.raises(ConfigError, match="no workspace named 'nope'"):
        accounts.set_membership(conn, "ada@example.com", "nope", "owner", "t")
    with pytest.raises(ConfigError, match="role 'root'"):
        accounts.set_membership(conn, "ada@example.com", "acme", "root", "t")
    assert accounts.user_workspaces(conn, "eve@example.com") == {}


def test_sessions(conn: sqlite3.Connection) -> None:
    accounts.create_user(conn, "ada@example.com", "correct horse", "acme", "viewer", "t")
    session = accounts.create_session(conn, "ada@example.com")
    assert len(session) >= 40
    assert accounts.session_user(conn, session) == "ada@example.com"
    other = accounts.create_session(conn, "ada@example.com")
    accounts.delete_session(conn, session)
    assert accounts.session_user(conn, session) is None
    assert accounts.session_user(conn, other) == "ada@example.com"
    conn.execute("UPDATE sessions SET expires_at = ?", (time.time() - 1,))
    assert accounts.session_user(conn, other) is None


@pytest.mark.parametrize("session", ["", "x", "x" * 100_000, "\x00", "' OR 1=1 --"])
def test_hostile_sessions_are_nobody(conn: sqlite3.Connection, session: str) -> None:
    accounts.create_user(conn, "ada@example.com", "correct horse", "acme", "viewer", "t")
    accounts.create_session(conn, "ada@example.com")
    assert accounts.session_user(conn, session) is None


def test_a_new_password_ends_every_session(conn: sqlite3.Connection) -> None:
    accounts.create_user(conn, "ada@example.com", "correct horse", "acme", "viewer", "t")
    session = accounts.create_session(conn, "ada@example.com")
    accounts.set_password(conn, "ada@example.com", "battery staple", "user:ada@example.com")
    assert accounts.session_user(conn, session) is None
    assert accounts.verify_password(conn, "ada@example.com", "battery staple")
    assert not accounts.verify_password(conn, "ada@example.com", "correct horse")
    with pytest.raises(ConfigError, match="no user"):
        accounts.set_password(conn, "eve@example.com", "battery staple", "t")
