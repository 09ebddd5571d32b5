"""Tokens, users and the audit log through the API: owners only for accounts, every change
audited, each workspace seeing only its own."""

from __future__ import annotations

from typing import Any

import pytest

from control.api_world import OWNER_TOKEN, World, api_world, assert_error, decoded
from eventyard.control import accounts
from eventyard.control.api_schemas import AuditRecord, CreatedToken, Member, TokenOut

__all__ = ["api_world"]

PASSWORD = "a long passphrase"


async def test_an_owner_lists_the_workspace_tokens_without_their_secrets(api_world: World) -> None:
    response = await api_world.call("GET", "/api/v1/tokens")
    tokens = decoded(response, list[TokenOut])
    assert [(t.name, t.role) for t in tokens] == [
        ("cli", "owner"), ("editor", "editor"), ("viewer", "viewer"),
    ]  # fmt: skip
    assert tokens[0].last_used_at is not None  # this very request used it
    assert OWNER_TOKEN not in response.text and "ey_" not in response.text
    theirs = (await api_world.call("GET", "/api/v1/tokens", "other")).json()
    assert [t["name"] for t in theirs] == ["other-owner"]


async def test_a_created_token_is_shown_once_and_works_with_its_role(api_world: World) -> None:
    response = await api_world.call("POST", "/api/v1/tokens", json={"name": "ci", "role": "editor"})
    created = decoded(response, CreatedToken, 201)
    assert (created.name, created.role) == ("ci", "editor")
    headers = {"Authorization": f"Bearer {created.token}"}
    ok = await api_world.call("PATCH", "/api/v1/destinations/a", None, headers=headers, json={})
    assert ok.status_code == 200
    refused = await api_world.call("GET", "/api/v1/tokens", None, headers=headers)
    assert_error(refused, 403, "forbidden", "owner", "editor")
    listed = (await api_world.call("GET", "/api/v1/tokens")).json()
    assert {"id": created.id, "name": "ci", "role": "editor"}.items() <= listed[-1].items()
    assert created.token not in str(listed)
    entry = (await api_world.call("GET", "/api/v1/audit")).json()
    assert any(e["kind"] == "token" and e["name"] == "ci" for e in entry)
    assert created.token not in str(entry)


@pytest.mark.parametrize(
    ("body", "status", "code", "word"),
    [
        ({"name": "editor", "role": "viewer"}, 409, "token_exists", "'editor'"),
        ({"name": "x", "role": "admin"}, 400, "invalid_json", "role"),
        ({"name": "x"}, 400, "invalid_json", "role"),
        ({"name": "a b", "role": "viewer"}, 400, "invalid_config", "a b"),
        ({"name": "x" * 65, "role": "viewer"}, 400, "invalid_config", "not a valid name"),
        ({"name": "x", "role": "viewer", "token": "ey_mine"}, 400, "invalid_json", "token"),
        ({"name": ["x"], "role": "viewer"}, 400, "invalid_json", "Expected `str`"),
    ],
)
async def test_creating_a_token_refuses_bad_input(
    api_world: World, body: dict[str, Any], status: int, code: str, word: str
) -> None:
    response = await api_world.call("POST", "/api/v1/tokens", json=body)
    assert_error(response, status, code, word)
    assert len((await api_world.call("GET", "/api/v1/tokens")).json()) == 3


async def test_a_token_of_another_workspace_cannot_be_revoked_from_here(api_world: World) -> None:
    (theirs,) = (await api_world.call("GET", "/api/v1/tokens", "other")).json()
    response = await api_world.call("DELETE", f"/api/v1/tokens/{theirs['id']}")
    assert_error(response, 404, "unknown_token")
    assert (await api_world.call("GET", "/api/v1/tokens", "other")).status_code == 200


@pytest.mark.parametrize("token_id", ["999", "0", "-1", "abc", "1.5", "9" * 40, "%20"])
async def test_revoking_an_unknown_token_id_is_404(api_world: World, token_id: str) -> None:
    response = await api_world.call("DELETE", f"/api/v1/tokens/{token_id}")
    assert_error(response, 404, "unknown_token")


async def test_an_owner_adds_a_new_user_who_can_log_in(api_world: World) -> None:
    body = {"email": "Ana@Example.com", "role": "editor", "password": "a long passphrase"}
    response = await api_world.call("POST", "/api/v1/users", json=body)
    assert decoded(response, Member, 201) == Member(email="ana@example.com", role="editor")
    assert "a long passphrase" not in response.text
    users = decoded(await api_world.call("GET", "/api/v1/users"), list[Member])
    assert Member(email="ana@example.com", role="editor") in users
    can_log_in = await api_world.ctx.plane.read(
        lambda conn: accounts.verify_password(conn, "ana@example.com", "a long passphrase")
    )
    assert can_log_in
    assert (await api_world.call("GET", "/api/v1/users", "other")).json() == []


async def test_an_install_admin_adds_an_existing_user_without_a_password(
    api_world: World,
) -> None:
    """The owner token of "default" is an install admin's: it adds users directly."""
    await api_world.ctx.plane.change(
        lambda conn: accounts.create_user(conn, "ana@example.com", PASSWORD, "other", "owner", "t")
    )
    body = {"email": "ana@example.com", "role": "viewer"}
    response = await api_world.call("POST", "/api/v1/users", json=body)
    assert response.status_code == 201
    roles = await api_world.ctx.plane.read(
        lambda conn: accounts.user_workspaces(conn, "ana@example.com")
    )
    assert roles == {"default": "viewer", "other": "owner"}
    again = await api_world.call("POST", "/api/v1/users", json=body | {"password": PASSWORD})
    assert_error(again, 409, "user_exists", "send no password")


@pytest.mark.parametrize(
    ("body", "status", "code", "word"),
    [
        ({"email": "new@example.com", "role": "viewer"}, 400, "password_required", "password"),
        ({"email": "x@y.z", "role": "viewer", "password": "short"}, 400, "invalid_config",
         "password"),
        ({"email": "not an email", "role": "viewer", "password": "long enough!"}, 400,
         "invalid_config", "not a valid login"),
        ({"email": "x@y.z", "role": "root", "password": "long enough!"}, 400, "invalid_json",
         "role"),
        ({"email": "x@y.z", "role": "viewer", "password": 12345678}, 400, "invalid_json",
         "password"),
        ({"email": "<script>@x.y", "role": "viewer", "password": "long enough!"}, 400,
         "invalid_config", "login"),
        ({"email": "x@y.z", "role": "viewer", "password": "p" * 100_000}, 400,
         "invalid_config", "password"),
    ],
)  # fmt: skip
async def test_adding_a_user_refuses_bad_input(
    api_world: World, body: dict[str, Any], status: int, code: str, word: str
) -> None:
    response = await api_world.call("POST", "/api/v1/users", json=body)
    assert_error(response, status, code, word)
    assert [u["email"] for u in (await api_world.call("GET", "/api/v1/users")).json()] == ["admin"]


async def test_the_audit_log_pages_newest_first_within_the_workspace(api_world: World) -> None:
    for n in range(5):
        change = {"filter": f"n = {n}"}
        await api_world.call("PATCH", "/api/v1/destinations/a", "editor", json=change)
    page = decoded(
        await api_world.call("GET", "/api/v1/audit", "viewer", params={"limit": "2"}),
        list[AuditRecord],
    )
    assert [e.after["filter"] for e in page if e.after] == ["n = 4", "n = 3"]
    assert all(e.actor == "token:editor" and e.workspace == "default" for e in page)
    older = await api_world.call(
        "GET", "/api/v1/audit", "viewer", params={"limit": "2", "before": str(page[-1].id)}
    )
    assert [e["after"]["filter"] for e in older.json()] == ["n = 2", "n = 1"]
    theirs = (await api_world.call("GET", "/api/v1/audit", "other")).json()
    assert theirs and all(e["workspace"] == "other" for e in theirs)
    assert not any(e["name"] == "a" for e in theirs)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"limit": "0"}, "invalid_limit"),
        ({"limit": "1001"}, "invalid_limit"),
        ({"limit": "ten"}, "invalid_limit"),
        ({"limit": "9" * 30}, "invalid_limit"),
        ({"before": "-5"}, "invalid_before"),
        ({"before": "1e9"}, "invalid_before"),
        ({"before": "'; DROP TABLE audit_log; --"}, "invalid_before"),
    ],
)
async def test_the_audit_log_refuses_bad_paging(
    api_world: World, params: dict[str, str], code: str
) -> None:
    response = await api_world.call("GET", "/api/v1/audit", params=params)
    assert_error(response, 400, code, "whole number")
