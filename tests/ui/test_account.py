"""Your account: a signed-in user changes their own password, which ends their other
sessions and keeps this one."""

from __future__ import annotations

import pytest

from eventyard.control import accounts
from ui.config_setup import PASSWORD, Site, seeded, site, text_of

__all__ = ["seeded", "site"]

NEW = "a much better passphrase"


def change(
    site: Site, who: str, current: str, new: str, confirm: str | None = None
) -> dict[str, str]:
    fields = {"current": current, "new": new, "confirm": new if confirm is None else confirm}
    return site.form(who, **fields)


async def test_the_page_shows_who_you_are_and_your_workspaces(site: Site) -> None:
    async with site.client("viewer") as client:
        assert (await client.get("/settings")).headers["location"] == "/settings/account"
        page = await client.get("/settings/account")
    text = text_of(page.text)
    assert page.status_code == 200
    assert "viewer@example.com viewer in default" in text
    assert "Change your password" in text and "eventyard users passwd viewer@example.com" in text
    assert 'autocomplete="current-password"' in page.text


@pytest.mark.parametrize("role", ["viewer", "editor", "owner"])
async def test_every_role_changes_its_own_password_and_other_sessions_end(
    site: Site, role: str
) -> None:
    email = f"{role}@example.com"
    other = await site.ctx.state.run(lambda conn: accounts.create_session(conn, email))
    async with site.client(role) as client:
        answer = await client.post(
            "/settings/account/password", data=change(site, role, PASSWORD, NEW)
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/settings/account?done=password"
        assert "eventyard_session=" in answer.headers["set-cookie"]
        assert "HttpOnly" in answer.headers["set-cookie"]
        client.cookies.set("eventyard_session", answer.cookies["eventyard_session"])
        page = await client.get(answer.headers["location"])  # still signed in, with the new one
        assert page.status_code == 200 and "Password changed." in page.text
    ended = [site.sessions[role], other]
    for session in ended:
        assert (
            await site.ctx.state.run(lambda conn, s=session: accounts.session_user(conn, s)) is None
        )
    assert await site.ctx.state.run(lambda conn: accounts.verify_password(conn, email, NEW))
    assert not await site.ctx.state.run(
        lambda conn: accounts.verify_password(conn, email, PASSWORD)
    )


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "message"),
    [
        ("wrong password", NEW, NEW, "current", "That is not your current password."),
        ("", NEW, NEW, "current", "Type your current password."),
        (PASSWORD, "short", "short", "new", "Use 8 to 1024 characters."),
        (PASSWORD, "x" * 1025, "x" * 1025, "new", "Use 8 to 1024 characters."),
        (PASSWORD, NEW, NEW + "!", "confirm", "The two new passwords differ."),
        ("p" * 5000, NEW, NEW, "current", "That is not your current password."),
    ],
)
async def test_refusals_say_why_beside_the_field_and_change_nothing(
    site: Site, current: str, new: str, confirm: str, field: str, message: str
) -> None:
    async with site.client("editor") as client:
        answer = await client.post(
            "/settings/account/password", data=change(site, "editor", current, new, confirm)
        )
        assert answer.status_code == 400
        assert f'id="password-{field}-error">{message}' in answer.text.replace("&#39;", "'")
        assert NEW not in answer.text and PASSWORD not in answer.text
        assert (await client.get("/settings/account")).status_code == 200  # still signed in
    assert await site.ctx.state.run(
        lambda conn: accounts.verify_password(conn, "editor@example.com", PASSWORD)
    )


async def test_changing_needs_the_sessions_csrf_token(site: Site) -> None:
    fields = {"current": PASSWORD, "new": NEW, "confirm": NEW}
    async with site.client("owner") as client:
        answer = await client.post("/settings/account/password", data=fields)
    assert answer.status_code == 403
    assert await site.ctx.state.run(
        lambda conn: accounts.verify_password(conn, "owner@example.com", PASSWORD)
    )
