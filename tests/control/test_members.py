"""Workspace members: listing, changing roles and removing them, in state.db and through
`/api/v1/users/{email}`. A workspace never loses its last owner, and every change is audited."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from control.api_world import World, api_world, assert_error, decoded
from eventyard.control import accounts, audit, store
from eventyard.control.api_schemas import Member
from eventyard.errors import ConfigError
from eventyard.sqlite_writer import connect

__all__ = ["api_world"]

PASSWORD = "a long passphrase"


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = connect(tmp_path / "state.db")
    store.ensure_schema(conn)
    store.create_workspace(conn, "acme", "t")
    accounts.create_user(conn, "Owner@Example.com", PASSWORD, "acme", "owner", "t")
    accounts.create_user(conn, "ed@example.com", PASSWORD, "acme", "editor", "t")
    yield conn
    conn.close()


def test_members_are_listed_by_email_with_their_roles(conn: sqlite3.Connection) -> None:
    accounts.create_user(conn, "ana@example.com", PASSWORD, "default", "viewer", "t")
    assert accounts.list_members(conn, "acme") == [
        ("ed@example.com", "editor"),
        ("owner@example.com", "owner"),
    ]
    assert accounts.list_members(conn, "default") == [("ana@example.com", "viewer")]
    assert accounts.list_members(conn, "nowhere") == []


def test_removing_a_member_keeps_the_user_and_is_audited(conn: sqlite3.Connection) -> None:
    accounts.set_membership(conn, "ed@example.com", "default", "viewer", "t")
    assert accounts.remove_membership(conn, "ED@example.com ", "acme", "user:owner@example.com")
    assert accounts.user_workspaces(conn, "ed@example.com") == {"default": "viewer"}
    assert accounts.verify_password(conn, "ed@example.com", PASSWORD)
    entry = audit.list_entries(conn, "acme", limit=1)[0]
    assert (entry.action, entry.kind, entry.name) == ("delete", "membership", "ed@example.com")
    assert (entry.actor, entry.before, entry.after) == (
        "user:owner@example.com",
        {"email": "ed@example.com", "role": "editor"},
        None,
    )
    assert not accounts.remove_membership(conn, "ed@example.com", "acme", "t")


@pytest.mark.parametrize("email", ["nobody@example.com", "", "x" * 500, "'; DELETE FROM users"])
def test_removing_someone_who_is_not_a_member_changes_nothing(
    conn: sqlite3.Connection, email: str
) -> None:
    assert not accounts.remove_membership(conn, email, "acme", "t")
    assert len(accounts.list_members(conn, "acme")) == 2


def test_the_last_owner_can_be_neither_removed_nor_demoted(conn: sqlite3.Connection) -> None:
    with pytest.raises(ConfigError, match="'owner@example\\.com' is the last owner of workspace"):
        accounts.remove_membership(conn, "owner@example.com", "acme", "t")
    with pytest.raises(ConfigError, match=r"owner first, then make 'owner@example.com' an editor"):
        accounts.set_membership(conn, "owner@example.com", "acme", "editor", "t")
    assert ("owner@example.com", "owner") in accounts.list_members(conn, "acme")
    accounts.set_membership(conn, "ed@example.com", "acme", "owner", "t")
    accounts.set_membership(conn, "owner@example.com", "acme", "viewer", "t")
    assert accounts.remove_membership(conn, "owner@example.com", "acme", "t")
    assert accounts.list_members(conn, "acme") == [("ed@example.com", "owner")]


async def test_an_owner_changes_a_role_and_removes_a_member(api_world: World) -> None:
    body = {"email": "ana@example.com", "role": "viewer", "password": PASSWORD}
    await api_world.call("POST", "/api/v1/users", json=body)
    changed = await api_world.call("PUT", "/api/v1/users/Ana@Example.com", json={"role": "editor"})
    assert decoded(changed, Member) == Member(email="ana@example.com", role="editor")
    users = decoded(await api_world.call("GET", "/api/v1/users"), list[Member])
    assert Member(email="ana@example.com", role="editor") in users
    removed = await api_world.call("DELETE", "/api/v1/users/ana%40example.com")
    assert removed.status_code == 204 and removed.content == b""
    users = decoded(await api_world.call("GET", "/api/v1/users"), list[Member])
    assert [u.email for u in users] == ["admin"]
    log = (await api_world.call("GET", "/api/v1/audit", params={"limit": "2"})).json()
    assert [(e["action"], e["kind"], e["actor"]) for e in log] == [
        ("delete", "membership", "token:cli"),
        ("update", "membership", "token:cli"),
    ]
    again = await api_world.call("DELETE", "/api/v1/users/ana@example.com")
    assert_error(again, 404, "unknown_user", "ana@example.com")


async def test_the_api_refuses_to_leave_a_workspace_without_an_owner(api_world: World) -> None:
    demote = await api_world.call("PUT", "/api/v1/users/admin", json={"role": "viewer"})
    assert_error(demote, 400, "invalid_config", "last owner", "make another user an owner")
    remove = await api_world.call("DELETE", "/api/v1/users/admin")
    assert_error(remove, 400, "invalid_config", "last owner")
    users = decoded(await api_world.call("GET", "/api/v1/users"), list[Member])
    assert users == [Member(email="admin", role="owner")]


async def test_members_of_another_workspace_are_unknown_here(api_world: World) -> None:
    await api_world.ctx.plane.change(
        lambda conn: accounts.create_user(conn, "ana@example.com", PASSWORD, "other", "owner", "t")
    )
    for method, json in (("PUT", {"role": "viewer"}), ("DELETE", None)):
        response = await api_world.call(method, "/api/v1/users/ana@example.com", json=json)
        assert_error(response, 404, "unknown_user")
    roles = await api_world.ctx.plane.read(
        lambda conn: accounts.user_workspaces(conn, "ana@example.com")
    )
    assert roles == {"other": "owner"}


@pytest.mark.parametrize(("method", "json"), [("PUT", {"role": "viewer"}), ("DELETE", None)])
@pytest.mark.parametrize("who", ["editor", "viewer"])
async def test_only_owners_change_members(
    api_world: World, method: str, json: dict[str, str] | None, who: str
) -> None:
    response = await api_world.call(method, "/api/v1/users/admin", who, json=json)
    assert_error(response, 403, "forbidden", "owner")


@pytest.mark.parametrize(
    "email", ["%2e%2e", "a%20b", "<script>", "x" * 300, "%00", "a@b@c", "..@example.com", "a@.."]
)
async def test_impossible_logins_in_the_path_are_not_found(api_world: World, email: str) -> None:
    for method, json in (("PUT", {"role": "viewer"}), ("DELETE", None)):
        response = await api_world.call(method, f"/api/v1/users/{email}", json=json)
        assert_error(response, 404, "unknown_user")
    users = decoded(await api_world.call("GET", "/api/v1/users"), list[Member])
    assert users == [Member(email="admin", role="owner")]


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({"role": "root"}, "role"),
        ({}, "role"),
        ({"role": "viewer", "email": "x@y.z"}, "email"),
        ({"role": ["owner"]}, "Expected"),
        ({"role": "viewer", "password": "new password!"}, "password"),
    ],
)
async def test_changing_a_role_refuses_bad_bodies(
    api_world: World, body: dict[str, object], word: str
) -> None:
    response = await api_world.call("PUT", "/api/v1/users/admin", json=body)
    assert_error(response, 400, "invalid_json", word)


async def test_an_oversized_role_body_is_refused(api_world: World) -> None:
    body = b'{"role": "viewer", "x": "' + b"a" * 1_100_000 + b'"}'
    response = await api_world.call("PUT", "/api/v1/users/admin", content=body)
    assert_error(response, 413, "payload_too_large")
