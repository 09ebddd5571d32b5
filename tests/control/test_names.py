"""Names made only of dots (`.`, `..`) are refused wherever a name is checked: clients and
proxies rewrite them as path steps, so such an object could never be addressed by URL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from control.api_world import World, api_world, assert_error, hook_doc
from eventyard.control import accounts, store
from eventyard.control.apply import plan_changes
from eventyard.control.config import parse_config
from eventyard.control.secrets import SecretBox
from eventyard.errors import ConfigError
from eventyard.sqlite_writer import connect

__all__ = ["api_world"]

DOTS = [".", "..", "...", "." * 64]


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = connect(tmp_path / "state.db")
    store.ensure_schema(conn)
    yield conn
    conn.close()


@pytest.mark.parametrize("name", DOTS)
def test_objects_workspaces_and_tokens_refuse_dot_names(
    conn: sqlite3.Connection, tmp_path: Path, name: str
) -> None:
    box = SecretBox.load(tmp_path)
    with pytest.raises(ConfigError, match=rf"^sources.name: '{name}' is made only of dots"):
        store.put_object(conn, box, "source", "default", {"name": name, "write_key": "k"}, "t")
    with pytest.raises(ConfigError, match=r"^destinations.name: .* only of dots"):
        store.put_object(conn, box, "destination", "default", hook_doc(name, "web"), "t")
    with pytest.raises(ConfigError, match=r"^workspace: .* only of dots"):
        store.create_workspace(conn, name, "t")
    with pytest.raises(ConfigError, match=r"^token name: .* only of dots"):
        accounts.create_token(conn, "default", "viewer", name, "t")
    assert store.list_objects(conn, "source", "default") == []
    assert store.list_workspaces(conn) == ["default"]


@pytest.mark.parametrize("name", [".web", "web.", "a..b", "v1.2", "_", "-"])
def test_names_with_dots_and_something_else_are_fine(
    conn: sqlite3.Connection, tmp_path: Path, name: str
) -> None:
    box = SecretBox.load(tmp_path)
    store.put_object(conn, box, "source", "default", {"name": name, "write_key": "k"}, "t")
    assert [s.name for s in store.list_objects(conn, "source", "default")] == [name]


@pytest.mark.parametrize("login", [".", "..", "..@example.com", "ana@..", ".@."])
def test_logins_with_a_part_made_only_of_dots_are_refused(
    conn: sqlite3.Connection, login: str
) -> None:
    with pytest.raises(ConfigError, match="not a valid login"):
        accounts.create_user(conn, login, "a long passphrase", "default", "viewer", "t")
    assert accounts.check_login("a.b@example.com") == "a.b@example.com"


def test_eventyard_apply_refuses_a_file_with_a_dot_name(
    conn: sqlite3.Connection, tmp_path: Path
) -> None:
    config = parse_config('sources:\n  - {name: "..", write_key: k}\n')
    with pytest.raises(ConfigError, match="only of dots"):
        plan_changes(conn, SecretBox.load(tmp_path), "default", config)
    with pytest.raises(ConfigError, match="only of dots"):
        plan_changes(conn, SecretBox.load(tmp_path), "..", parse_config(""))


@pytest.mark.parametrize("name", DOTS)
async def test_the_api_refuses_dot_names_with_a_clear_error(api_world: World, name: str) -> None:
    calls = [
        ("/api/v1/sources", {"name": name, "write_key": "wk-dots"}),
        ("/api/v1/destinations", hook_doc(name, "web")),
        ("/api/v1/workspaces", {"name": name}),
        ("/api/v1/tokens", {"name": name, "role": "viewer"}),
    ]
    for path, body in calls:
        response = await api_world.call("POST", path, json=body)
        assert_error(response, 400, "invalid_config", "only of dots")
    sources = (await api_world.call("GET", "/api/v1/sources")).json()
    assert [s["name"] for s in sources] == ["web"]
