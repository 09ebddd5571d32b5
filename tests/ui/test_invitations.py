"""The users page of an owner who is not an install admin invites (the same answer for any
login); the invited user declines or accepts under Settings > Workspaces."""

from __future__ import annotations

import re

from eventyard.control import accounts, invitations
from ui.config_setup import Site, seeded, site, text_of

__all__ = ["seeded", "site"]


async def test_an_owner_of_another_workspace_invites_instead_of_adding(site: Site) -> None:
    async with site.client("stranger") as client:
        page = await client.get("/settings/users")
        assert "Invite a user" in page.text and 'name="password"' not in page.text
        answers = [
            await client.post(
                "/settings/users",
                data=site.form("stranger", email=login, role="owner", password="ignored!!"),
            )
            for login in ("owner@example.com", "nobody@example.com")
        ]
        assert {a.headers["location"] for a in answers} == {"/settings/users?done=invited"}
        listed = text_of((await client.get("/settings/users?done=invited")).text)
    assert "Invitation saved" in listed
    assert "nobody@example.com" in listed and "owner@example.com" in listed
    roles = await site.ctx.state.run(lambda c: accounts.user_workspaces(c, "owner@example.com"))
    assert roles == {"default": "owner"}  # nothing changes until they accept


async def test_the_invited_user_declines_then_accepts_a_new_invitation(site: Site) -> None:
    async def invite() -> str:
        made = await site.ctx.state.run(
            lambda c: invitations.invite(c, "viewer@example.com", "other", "editor", "user:x")
        )
        return made.id

    first = await invite()
    async with site.client("viewer") as client:
        page = await client.get("/settings/workspaces")
        assert re.search(r"other\s*</td>\s*<td><span class=\"badge\">editor", page.text)
        declined = await client.post(
            f"/settings/invitations/{first}/decline", data=site.form("viewer")
        )
        assert declined.headers["location"] == "/settings/workspaces?done=declined"
        again = await client.post(f"/settings/invitations/{first}/accept", data=site.form("viewer"))
        assert again.status_code == 404
        second = await invite()
        accepted = await client.post(
            f"/settings/invitations/{second}/accept", data=site.form("viewer")
        )
        assert accepted.status_code == 303
        joined = text_of((await client.get("/settings/workspaces?done=joined")).text)
    assert "Invitation accepted" in joined and "Switch to other" in joined
    roles = await site.ctx.state.run(lambda c: accounts.user_workspaces(c, "viewer@example.com"))
    assert roles == {"default": "viewer", "other": "editor"}


async def test_an_invitation_needs_the_csrf_token(site: Site) -> None:
    made = await site.ctx.state.run(
        lambda c: invitations.invite(c, "viewer@example.com", "other", "owner", "user:x")
    )
    async with site.client("viewer") as client:
        forged = await client.post(f"/settings/invitations/{made.id}/accept", data={})
    assert forged.status_code == 403
    roles = await site.ctx.state.run(lambda c: accounts.user_workspaces(c, "viewer@example.com"))
    assert roles == {"default": "viewer"}
