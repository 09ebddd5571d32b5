"""`/api/v1/invitations` over the real API: what an invitation refuses, replaces and forgets.
The whole path (invite, sign in, accept) is in e2e/test_invitations.py."""

from __future__ import annotations

import pytest

from control.api_world import World, api_world, assert_error, decoded
from eventyard.control import invitations
from eventyard.control.api_schemas import InvitationOut
from eventyard.errors import ConfigError

__all__ = ["api_world"]


async def test_a_login_that_no_user_can_have_or_a_member_is_refused(api_world: World) -> None:
    bad = await api_world.call(
        "POST", "/api/v1/invitations", json={"email": "a b", "role": "viewer"}
    )
    assert_error(bad, 400, "invalid_config", "not a valid login")
    member = await api_world.call(
        "POST", "/api/v1/invitations", json={"email": "Admin", "role": "viewer"}
    )
    assert_error(member, 400, "invalid_config", "already a member")
    assert (await api_world.call("GET", "/api/v1/invitations")).json() == []


async def test_a_new_invitation_replaces_the_one_before_and_expiry_forgets_it(
    api_world: World,
) -> None:
    for role in ("viewer", "editor"):
        body = {"email": "ana@example.com", "role": role}
        await api_world.call("POST", "/api/v1/invitations", "other", json=body)
    (pending,) = decoded(
        await api_world.call("GET", "/api/v1/invitations", "other"), list[InvitationOut]
    )
    assert (pending.email, pending.workspace, pending.role) == (
        "ana@example.com",
        "other",
        "editor",
    )
    assert (await api_world.call("GET", "/api/v1/invitations")).json() == []  # other's only

    await api_world.ctx.plane.change(
        lambda conn: conn.execute("UPDATE invitations SET expires_at = 0")
    )
    assert (await api_world.call("GET", "/api/v1/invitations", "other")).json() == []
    with pytest.raises(ConfigError, match="expired"):
        await api_world.ctx.plane.change(
            lambda conn: invitations.answer(conn, "ana@example.com", pending.id, accept=True)
        )


async def test_a_workspace_holds_a_bounded_number_of_pending_invitations(
    api_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(invitations, "MAX_PENDING", 2)
    answers = [
        await api_world.call(
            "POST", "/api/v1/invitations", json={"email": f"u{n}@example.com", "role": "viewer"}
        )
        for n in range(3)
    ]
    assert [a.status_code for a in answers[:2]] == [201, 201]
    assert_error(answers[2], 400, "invalid_config", "withdraw some")
