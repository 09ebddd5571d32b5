"""Signing in and out, redirects to the page asked for (never to another site), workspaces."""

from __future__ import annotations

import re

import httpx
import pytest

from eventyard.control import accounts
from eventyard.ui.session import safe_next
from ui.config_setup import PASSWORD, Site, seeded, site, text_of

__all__ = ["seeded", "site"]


def login_token(page: httpx.Response) -> str:
    found = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str, next_path: str = "/"
) -> httpx.Response:
    page = await client.get("/login", params={"next": next_path})
    assert page.status_code == 200
    form = {
        "email": email,
        "password": password,
        "next": next_path,
        "login_token": login_token(page),
    }
    return await client.post("/login", data=form)


async def test_a_page_without_a_session_sends_to_login_and_back(site: Site) -> None:
    async with site.client(role=None) as client:
        asked = await client.get("/destinations/x/filter?event=1")
        assert asked.status_code == 303
        assert asked.headers["location"] == "/login?next=/destinations/x/filter%3Fevent%3D1"
        answer = await sign_in(client, "editor@example.com", PASSWORD, "/sources?done=created")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/sources?done=created"
        cookie = answer.headers["set-cookie"]
        assert "eventyard_session=" in cookie and "HttpOnly" in cookie
        assert "samesite=lax" in cookie.lower()
        page = await client.get("/sources")
        assert page.status_code == 200
        assert "editor@example.com" in page.text


async def test_a_wrong_password_or_unknown_user_is_refused_without_saying_which(
    site: Site,
) -> None:
    async with site.client(role=None) as client:
        wrong = await sign_in(client, "editor@example.com", "not the password")
        unknown = await sign_in(client, "nobody@example.com", PASSWORD)
        for answer in (wrong, unknown):
            assert answer.status_code == 401
            assert "Wrong email or password" in answer.text
            assert "eventyard_session" not in answer.headers.get("set-cookie", "")
        assert 'value="nobody@example.com"' in unknown.text  # the email stays filled in
        assert (await client.get("/sources")).status_code == 303


async def test_the_bootstrap_admin_signs_in_with_its_password(site: Site) -> None:
    async with site.client(role=None) as client:
        answer = await sign_in(client, "admin", PASSWORD)
        assert answer.status_code == 303 and answer.headers["location"] == "/"


@pytest.mark.parametrize(
    "hostile",
    [
        "//evil.example/steal",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/ok\r\nLocation: https://evil.example",
        "/\t/evil.example",
        "",
    ],
)
async def test_next_never_leaves_the_site(site: Site, hostile: str) -> None:
    assert safe_next(hostile) == "/"
    async with site.client(role=None) as client:
        answer = await sign_in(client, "viewer@example.com", PASSWORD, hostile)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/"


def test_local_paths_are_kept() -> None:
    assert safe_next("/destinations/a?b=c#d") == "/destinations/a?b=c#d"
    assert safe_next("/" + "a" * 3000) == "/"


async def test_the_login_form_needs_its_own_token(site: Site) -> None:
    async with site.client(role=None) as client:
        form = {"email": "owner@example.com", "password": PASSWORD, "login_token": "forged"}
        answer = await client.post("/login", data=form)
        assert answer.status_code == 403
        assert "expired" in answer.text
        assert "eventyard_session" not in answer.headers.get("set-cookie", "")


async def test_hostile_login_input_is_refused_and_escaped(site: Site) -> None:
    async with site.client(role=None) as client:
        answer = await sign_in(client, "<script>alert(1)</script>", "x" * 100_000)
        assert answer.status_code == 401
        assert "<script>alert(1)" not in answer.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
        huge = await client.post(
            "/login", data={"email": "a" * 300_000}, headers={"content-length": "300000"}
        )
        assert huge.status_code == 413


async def test_sign_out_ends_the_session(site: Site) -> None:
    session = site.sessions["viewer"]
    async with site.client("viewer") as client:
        assert (await client.get("/logout")).status_code == 200
        answer = await client.post("/logout", data=site.form("viewer"))
        assert answer.status_code == 303 and answer.headers["location"] == "/login"
    async with site.client(role=None) as client:
        client.cookies.set("eventyard_session", session)
        assert (await client.get("/sources")).status_code == 303


async def test_htmx_requests_without_a_session_get_a_client_side_redirect(site: Site) -> None:
    async with site.client(role=None) as client:
        answer = await client.post(
            "/destinations/x/filter/preview", headers={"HX-Request": "true"}, data={}
        )
        assert answer.status_code == 200
        assert answer.headers["hx-redirect"] == "/login"


async def test_a_member_of_two_workspaces_switches_between_them(site: Site) -> None:
    await site.ctx.state.run(
        lambda conn: accounts.set_membership(conn, "viewer@example.com", "other", "owner", "t")
    )
    async with site.client("viewer") as client:
        before = await client.get("/sources")
        assert "web" in text_of(before.text) and "elsewhere" not in text_of(before.text)
        form = site.form("viewer", workspace="other", next="/sources")
        switched = await client.post("/workspace", data=form)
        assert switched.status_code == 303 and switched.headers["location"] == "/sources"
        after = await client.get("/sources")
        assert "elsewhere" in text_of(after.text)
        assert "Create source" in after.text  # owner there: the form is offered
        refused = await client.post("/workspace", data=site.form("viewer", workspace="nope"))
        assert refused.status_code == 400


async def test_a_workspace_cookie_for_a_foreign_workspace_is_ignored(site: Site) -> None:
    async with site.client("viewer") as client:
        client.cookies.set("eventyard_workspace", "other")
        page = await client.get("/sources")
        assert "elsewhere" not in page.text and "web" in page.text
