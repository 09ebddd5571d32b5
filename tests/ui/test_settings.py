"""Settings: API tokens (shown once, revocable), users and roles, and the audit log."""

from __future__ import annotations

import re

import pytest

from eventyard.control import accounts
from eventyard.control.secrets import SECRET_MASK
from eventyard.ui.pages_audit import Change, diff, flatten
from ui.config_setup import PASSWORD, Site, seeded, site, text_of

__all__ = ["seeded", "site"]


async def test_a_new_token_is_shown_once_and_works(site: Site) -> None:
    async with site.client("owner") as client:
        answer = await client.post(
            "/settings/tokens", data=site.form("owner", name="ci-deploy", role="editor")
        )
        assert answer.status_code == 200
        token = re.search(r'<code id="new-token">(ey_[^<]+)</code>', answer.text)
        assert token, answer.text
        listing = await client.get("/settings/tokens")
    assert token.group(1) not in listing.text
    assert "ci-deploy" in listing.text and "never" in text_of(listing.text)
    principal = await site.ctx.state.run(
        lambda conn: accounts.authenticate_token(conn, token.group(1))
    )
    assert principal is not None and principal.role == "editor"
    assert principal.workspace == "default"


async def test_revoking_a_token(site: Site) -> None:
    token = await site.ctx.state.run(
        lambda conn: accounts.create_token(conn, "default", "viewer", "old", "test")
    )
    infos = await site.ctx.state.run(lambda conn: accounts.list_tokens(conn, "default"))
    token_id = next(info.id for info in infos if info.name == "old")
    async with site.client("owner") as client:
        answer = await client.post(f"/settings/tokens/{token_id}/revoke", data=site.form("owner"))
        assert answer.headers["location"] == "/settings/tokens?done=revoked"
        for bad in ("999999", "-1", "1e3", "9" * 40):
            missing = await client.post(f"/settings/tokens/{bad}/revoke", data=site.form("owner"))
            assert missing.status_code == 404
    assert await site.ctx.state.run(lambda conn: accounts.authenticate_token(conn, token)) is None


async def test_another_workspaces_token_cannot_be_revoked_from_here(site: Site) -> None:
    await site.ctx.state.run(
        lambda conn: accounts.create_token(conn, "other", "owner", "theirs", "test")
    )
    infos = await site.ctx.state.run(lambda conn: accounts.list_tokens(conn, "other"))
    async with site.client("owner") as client:
        answer = await client.post(
            f"/settings/tokens/{infos[0].id}/revoke", data=site.form("owner")
        )
        assert answer.status_code == 404
        assert "theirs" not in (await client.get("/settings/tokens")).text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "cli", "role": "viewer"}, "already has a token named"),
        ({"name": "<b>x</b>", "role": "viewer"}, "is not a valid name"),
    ],
)
async def test_bad_token_requests_say_why(site: Site, fields: dict[str, str], message: str) -> None:
    async with site.client("owner") as client:
        answer = await client.post("/settings/tokens", data=site.form("owner", **fields))
    assert answer.status_code == 400
    assert message in text_of(answer.text).replace("&#39;", "'")
    assert "<b>x</b>" not in answer.text


async def test_an_unknown_role_is_refused(site: Site) -> None:
    async with site.client("owner") as client:
        answer = await client.post(
            "/settings/tokens", data=site.form("owner", name="x", role="superuser")
        )
    assert answer.status_code == 400 and "Choose one of: owner, editor, viewer" in answer.text


async def test_adding_a_user(site: Site) -> None:
    form = site.form("owner", email="Ada@Example.com", password="a very long one", role="editor")
    async with site.client("owner") as client:
        answer = await client.post("/settings/users", data=form)
        assert answer.headers["location"] == "/settings/users?done=added"
        page = await client.get(answer.headers["location"])
    assert "ada@example.com" in page.text and "User added." in page.text
    roles = await site.ctx.state.run(lambda c: accounts.user_workspaces(c, "ada@example.com"))
    assert roles == {"default": "editor"}
    assert await site.ctx.state.run(
        lambda c: accounts.verify_password(c, "ada@example.com", "a very long one")
    )


async def test_adding_an_existing_user_gives_a_role_and_keeps_the_password(site: Site) -> None:
    form = site.form("owner", email="stranger@example.com", password="", role="viewer")
    async with site.client("owner") as client:
        assert (await client.post("/settings/users", data=form)).status_code == 303
    roles = await site.ctx.state.run(lambda c: accounts.user_workspaces(c, "stranger@example.com"))
    assert roles == {"default": "viewer", "other": "owner"}
    assert await site.ctx.state.run(
        lambda c: accounts.verify_password(c, "stranger@example.com", PASSWORD)
    )


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not an email", "long enough pw", "is not a valid login"),
        ("x@example.com", "short", "a password has"),
        ("<script>@x.com", "long enough pw", "is not a valid login"),
    ],
)
async def test_bad_users_are_refused(site: Site, email: str, password: str, message: str) -> None:
    form = site.form("owner", email=email, password=password, role="viewer")
    async with site.client("owner") as client:
        answer = await client.post("/settings/users", data=form)
    assert answer.status_code == 400 and message in answer.text
    assert "<script>@" not in answer.text and password not in answer.text.replace(
        'name="password"', ""
    )


async def test_the_audit_log_shows_who_changed_what_with_secrets_masked(site: Site) -> None:
    async with site.client("editor") as client:
        await client.post(
            "/catalog/webhook",
            data=site.form(
                "editor",
                name="hook",
                sources="web",
                **{"settings.url": "https://h/1", "settings.shared_secret": "very-secret-value"},
            ),
        )
        moved = {"settings.url": "https://h/2", "settings.shared_secret": "very-secret-value"}
        await client.post(  # a new address needs the kept secret again (docs/security.md)
            "/destinations/hook", data=site.form("editor", name="hook", sources="web", **moved)
        )
    async with site.client("viewer") as client:
        page = await client.get("/settings/audit")
    text = text_of(page.text)
    assert "very-secret-value" not in page.text
    assert "user:editor@example.com update destination hook · 1 change" in text
    assert "settings.url https://h/1 https://h/2" in text
    assert f"settings.shared_secret — {SECRET_MASK}" in text


async def test_the_audit_log_pages_back(site: Site) -> None:
    for i in range(55):
        await site.put("source", {"name": f"s{i}"})
    async with site.client("viewer") as client:
        first = await client.get("/settings/audit")
        older = re.search(r'href="/settings/audit\?before=(\d+)"', first.text)
        assert older
        second = await client.get(f"/settings/audit?before={older.group(1)}")
        assert (await client.get("/settings/audit?before=abc")).status_code == 200
    assert "s54" in first.text and "s54" not in second.text
    assert "Newest" in second.text


def test_diff_lists_changed_added_and_removed_paths() -> None:
    before = {"settings": {"url": "a", "headers": {"X": "1"}}, "sources": ["web"]}
    after = {"settings": {"url": "b"}, "sources": ["web", "app"], "enabled": False}
    assert diff(before, after) == [
        Change("settings.url", "a", "b"),
        Change("settings.headers.X", "1", "—"),
        Change("sources[1]", "—", "app"),
        Change("enabled", "—", "false"),
    ]
    assert diff(None, None) == []
    assert flatten({"a": [], "b": {}}) == {"a": [], "b": {}}
