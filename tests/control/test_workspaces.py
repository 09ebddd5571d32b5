"""Deleting a workspace: only an empty one, never "default"; its tokens stop working and its
memberships go, while its users and its audit history stay."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from control.api_world import World, api_world, assert_error, decoded, hook_doc
from eventyard.control import accounts, audit, store, workspaces
from eventyard.control.api_schemas import CreatedWorkspace
from eventyard.control.secrets import SecretBox
from eventyard.errors import ConfigError
from eventyard.sqlite_writer import connect

__all__ = ["api_world"]

PASSWORD = "a long passphrase"


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = connect(tmp_path / "state.db")
    store.ensure_schema(conn)
    store.create_workspace(conn, "acme", "t")
    yield conn
    conn.close()


def test_an_empty_workspace_is_deleted_with_its_tokens_and_memberships(
    conn: sqlite3.Connection,
) -> None:
    token = accounts.create_token(conn, "acme", "owner", "ci", "t")
    kept = accounts.create_token(conn, "default", "owner", "ci", "t")
    accounts.create_user(conn, "ana@example.com", PASSWORD, "acme", "owner", "t")
    accounts.set_membership(conn, "ana@example.com", "default", "viewer", "t")
    assert workspaces.delete_workspace(conn, "acme", "token:ci")
    assert store.list_workspaces(conn) == ["default"]
    assert accounts.authenticate_token(conn, token) is None
    assert accounts.authenticate_token(conn, kept) is not None
    assert accounts.list_tokens(conn, "acme") == []
    assert accounts.user_workspaces(conn, "ana@example.com") == {"default": "viewer"}
    assert accounts.verify_password(conn, "ana@example.com", PASSWORD)
    entry = audit.list_entries(conn, "acme", limit=1)[0]
    assert (entry.action, entry.kind, entry.name, entry.actor) == (
        "delete", "workspace", "acme", "token:ci",
    )  # fmt: skip
    assert entry.before == {
        "name": "acme",
        "tokens": ["ci"],
        "memberships": ["ana@example.com"],
        "invitations": [],
    }
    assert token not in str(entry)


def test_a_recreated_workspace_does_not_revive_old_access(conn: sqlite3.Connection) -> None:
    token = accounts.create_token(conn, "acme", "owner", "ci", "t")
    accounts.create_user(conn, "ana@example.com", PASSWORD, "acme", "owner", "t")
    workspaces.delete_workspace(conn, "acme", "t")
    store.create_workspace(conn, "acme", "t")
    assert accounts.authenticate_token(conn, token) is None
    assert accounts.list_members(conn, "acme") == []


def test_a_token_whose_workspace_is_gone_does_not_authenticate(conn: sqlite3.Connection) -> None:
    token = accounts.create_token(conn, "acme", "owner", "ci", "t")
    conn.execute("DELETE FROM workspaces WHERE name = 'acme'")  # a row left by older code
    assert accounts.authenticate_token(conn, token) is None


def test_default_cannot_be_deleted(conn: sqlite3.Connection) -> None:
    with pytest.raises(ConfigError, match="'default' always exists"):
        workspaces.delete_workspace(conn, "default", "t")
    assert "default" in store.list_workspaces(conn)


def test_a_workspace_with_objects_is_refused_saying_what_it_holds(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    box = SecretBox.load(tmp_path)
    store.put_object(conn, box, "source", "acme", {"name": "web", "write_key": "wk"}, "t")
    store.put_object(conn, box, "destination", "acme", hook_doc("d", "web"), "t")
    with pytest.raises(ConfigError) as refused:
        workspaces.delete_workspace(conn, "acme", "t")
    message = str(refused.value)
    assert "workspace 'acme' is not empty (destinations: 1, sources: 1)" in message
    assert "eventyard apply -w acme" in message
    assert "acme" in store.list_workspaces(conn)


@pytest.mark.parametrize("name", ["nowhere", "", "..", "x" * 500, "'; DROP TABLE tokens; --"])
def test_deleting_an_unknown_workspace_changes_nothing(conn: sqlite3.Connection, name: str) -> None:
    assert not workspaces.delete_workspace(conn, name, "t")
    assert store.list_workspaces(conn) == ["acme", "default"]


async def new_workspace(world: World, name: str) -> str:
    response = await world.call("POST", "/api/v1/workspaces", json={"name": name})
    return decoded(response, CreatedWorkspace, 201).token


async def test_its_owner_deletes_an_empty_workspace_and_its_tokens_stop(api_world: World) -> None:
    token = await new_workspace(api_world, "trial")
    headers = {"Authorization": f"Bearer {token}"}
    response = await api_world.call("DELETE", "/api/v1/workspaces/trial", None, headers=headers)
    assert response.status_code == 204 and response.content == b""
    after = await api_world.call("GET", "/api/v1/workspaces", None, headers=headers)
    assert_error(after, 401, "invalid_token")
    names = await api_world.ctx.plane.read(store.list_workspaces)
    assert names == ["default", "other"]
    assert await new_workspace(api_world, "trial") != token  # the name is free again


async def test_a_workspace_is_deleted_only_by_its_own_owner_token(api_world: World) -> None:
    await new_workspace(api_world, "trial")
    for who in ("owner", "other"):
        response = await api_world.call("DELETE", "/api/v1/workspaces/trial", who)
        assert_error(response, 403, "forbidden", "own workspace", "'trial'")
    for who in ("editor", "viewer"):
        response = await api_world.call("DELETE", "/api/v1/workspaces/default", who)
        assert_error(response, 403, "forbidden", "owner")
    assert "trial" in await api_world.ctx.plane.read(store.list_workspaces)


async def test_the_api_refuses_default_and_non_empty_workspaces(api_world: World) -> None:
    default = await api_world.call("DELETE", "/api/v1/workspaces/default")
    assert_error(default, 400, "invalid_config", "always exists")
    other = await api_world.call("DELETE", "/api/v1/workspaces/other", "other")
    assert_error(other, 400, "invalid_config", "not empty", "sources: 1", "destinations: 1")
    still = await api_world.call("GET", "/api/v1/sources", "other")
    assert [s["name"] for s in still.json()] == ["shop"]


@pytest.mark.parametrize("name", ["%2e%2e", "a%20b", "x" * 300, "%00", "default%2f..", "Other"])
async def test_odd_names_in_the_path_are_refused(api_world: World, name: str) -> None:
    response = await api_world.call("DELETE", f"/api/v1/workspaces/{name}", "other")
    assert response.status_code in (403, 404), response.text
    assert await api_world.ctx.plane.read(store.list_workspaces) == ["default", "other"]
