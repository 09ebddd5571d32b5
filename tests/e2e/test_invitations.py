"""Users across workspaces through the real server: the owner of another workspace can
neither list the install's logins, nor tell a known login from an unknown one, nor make
anyone a member; they invite, and the invited user accepts when signed in."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from e2e.server_process import ServerProcess
from e2e.test_login_limits import sign_in


def _hidden(page: httpx.Response, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def _same_shape(answer: dict[str, Any]) -> dict[str, Any]:
    """An invitation without what differs by design (its id, login and expiry)."""
    return {k: v for k, v in answer.items() if k not in ("id", "email", "expires_at")}


def test_an_owner_of_another_workspace_invites_and_the_user_accepts(
    start_server: Callable[[str], ServerProcess],
) -> None:
    server = start_server("")
    password = (server.data_dir / "admin-password").read_text().strip()
    with httpx.Client(base_url=server.url) as http:
        created = http.post("/api/v1/workspaces", json={"name": "other"}, headers=server.headers)
        other = {"Authorization": f"Bearer {created.json()['token']}"}

        # no list of the install's logins, and no direct membership, known login or not
        assert http.get("/api/v1/users", headers=other).json() == []
        refused = [
            http.post("/api/v1/users", json=body, headers=other)
            for body in (
                {"email": "admin", "role": "owner"},
                {"email": "nobody@example.com", "role": "owner"},
                {"email": "admin", "role": "owner", "password": "a long passphrase"},
                {"email": "nobody@example.com", "role": "owner", "password": "a long passphrase"},
            )
        ]
        assert {(r.status_code, r.text) for r in refused} == {(403, refused[0].text)}
        assert refused[0].json()["code"] == "install_admin_only"

        # an invitation is answered alike for a login that exists and one that does not
        invited = [
            http.post("/api/v1/invitations", json={"email": login, "role": "owner"}, headers=other)
            for login in ("admin", "nobody@example.com")
        ]
        assert [r.status_code for r in invited] == [201, 201]
        known, unknown = (r.json() for r in invited)
        assert (
            _same_shape(known)
            == _same_shape(unknown)
            == {
                "workspace": "other",
                "role": "owner",
                "invited_by": "token:owner",
            }
        )
        pending = http.get("/api/v1/invitations", headers=other).json()
        assert sorted(i["email"] for i in pending) == ["admin", "nobody@example.com"]
        assert http.get("/api/v1/users", headers=other).json() == []  # not a member yet

        # the invited user sees it once signed in, and accepts
        assert sign_in(http, "admin", password, "127.0.0.1").status_code == 303
        page = http.get("/settings/workspaces")
        assert "Invitations for you" in page.text
        assert f"/settings/invitations/{known['id']}/accept" in page.text
        assert unknown["id"] not in page.text  # only the invitations addressed to them
        form = {"csrf_token": _hidden(page, "csrf_token")}
        stolen = http.post(f"/settings/invitations/{unknown['id']}/accept", data=form)
        assert stolen.status_code == 404
        accepted = http.post(f"/settings/invitations/{known['id']}/accept", data=form)
        assert accepted.headers["location"] == "/settings/workspaces?done=joined"
        assert "Invitations for you" not in http.get("/settings/workspaces").text

        members = http.get("/api/v1/users", headers=other).json()
        assert members == [{"email": "admin", "role": "owner"}]
        withdrawn = http.delete(f"/api/v1/invitations/{unknown['id']}", headers=other)
        assert withdrawn.status_code == 204
        assert http.get("/api/v1/invitations", headers=other).json() == []
        again = http.delete(f"/api/v1/invitations/{unknown['id']}", headers=other)
        assert again.status_code == 404

        audit = http.get("/api/v1/audit", headers=other).json()
    done = [(e["actor"], e["action"], e["kind"], e["name"]) for e in reversed(audit)]
    assert done[-5:] == [
        ("token:owner", "create", "invitation", "admin"),
        ("token:owner", "create", "invitation", "nobody@example.com"),
        ("user:admin", "accept", "invitation", "admin"),
        ("user:admin", "create", "membership", "admin"),
        ("token:owner", "delete", "invitation", "nobody@example.com"),
    ]
