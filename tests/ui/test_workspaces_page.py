"""Settings → Workspaces: the user's workspaces with a switch, and owners creating one (they
own it and are switched into it); tokens and users are for owners only, as in the API."""

from __future__ import annotations

import pytest

from eventyard.control import accounts, audit, store
from ui.config_setup import Site, seeded, site, text_of

__all__ = ["seeded", "site"]


async def test_the_page_lists_the_users_workspaces_with_a_switch(site: Site) -> None:
    await site.ctx.state.run(
        lambda conn: accounts.set_membership(conn, "editor@example.com", "other", "viewer", "t")
    )
    async with site.client("editor") as client:
        page = await client.get("/settings/workspaces")
    text = text_of(page.text)
    assert "default editor current" in text and "other viewer Switch to other" in text
    assert 'name="workspace" value="other"' in page.text
    assert "Owners create workspaces. You are editor in default." in text
    assert 'action="/settings/workspaces"' not in page.text


async def test_an_owner_creates_a_workspace_owns_it_and_is_switched_into_it(site: Site) -> None:
    async with site.client("owner") as client:
        answer = await client.post(
            "/settings/workspaces", data=site.form("owner", name="marketing")
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/settings/workspaces?done=created"
        assert "eventyard_workspace=marketing" in answer.headers["set-cookie"]
        client.cookies.set("eventyard_workspace", "marketing")
        page = await client.get(answer.headers["location"])
        assert "marketing owner current" in text_of(page.text)
        assert "Created." in page.text
        sources = await client.get("/sources")
        assert ">web<" not in sources.text  # an empty workspace
    roles = await site.ctx.state.run(lambda c: accounts.user_workspaces(c, "owner@example.com"))
    assert roles == {"default": "owner", "marketing": "owner"}
    assert "marketing" in await site.ctx.state.run(store.list_workspaces)
    entries = await site.ctx.state.run(lambda c: audit.list_entries(c, "marketing"))
    assert {(e.actor, e.action, e.kind) for e in entries} == {
        ("user:owner@example.com", "create", "workspace"),
        ("user:owner@example.com", "create", "membership"),
    }


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "is not a valid name"),
        ("default", "workspace 'default' already exists"),
        ("other", "workspace 'other' already exists"),
        ("<b>bold</b>", "is not a valid name"),
        ("..", "made only of dots"),
        ("x" * 300, "is not a valid name"),
    ],
)
async def test_bad_names_are_refused_beside_the_field(site: Site, name: str, message: str) -> None:
    before = await site.ctx.state.run(store.list_workspaces)
    async with site.client("owner") as client:
        answer = await client.post("/settings/workspaces", data=site.form("owner", name=name))
    assert answer.status_code == 400
    assert message in text_of(answer.text).replace("&#39;", "'")
    assert 'id="workspace-name-error"' in answer.text and "<b>bold</b>" not in answer.text
    assert await site.ctx.state.run(store.list_workspaces) == before


@pytest.mark.parametrize("role", ["viewer", "editor"])
async def test_only_owners_create_workspaces(site: Site, role: str) -> None:
    async with site.client(role) as client:
        answer = await client.post("/settings/workspaces", data=site.form(role, name="mine"))
    assert answer.status_code == 403 and "needs the owner role" in answer.text
    assert "mine" not in await site.ctx.state.run(store.list_workspaces)


@pytest.mark.parametrize("role", ["viewer", "editor"])
async def test_tokens_and_users_are_shown_to_owners_only(site: Site, role: str) -> None:
    await site.ctx.state.run(
        lambda conn: accounts.create_token(conn, "default", "viewer", "deploy-bot", "test")
    )
    async with site.client(role) as client:
        tokens = await client.get("/settings/tokens")
        users = await client.get("/settings/users")
    for page in (tokens, users):
        assert page.status_code == 200
        assert "Owners manage tokens and users" in page.text
        assert f"You are {role} here" in text_of(page.text)
    assert "deploy-bot" not in tokens.text and "Create token" not in tokens.text
    assert "owner@example.com" not in users.text and "Add user" not in users.text


async def test_owners_see_tokens_and_users(site: Site) -> None:
    async with site.client("owner") as client:
        assert (await client.get("/settings")).headers["location"] == "/settings/tokens"
        tokens = await client.get("/settings/tokens")
        users = await client.get("/settings/users")
    assert "Owners manage" not in tokens.text and "Create token" in tokens.text
    assert "viewer@example.com" in users.text and "Add user" in users.text
