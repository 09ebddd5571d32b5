"""Who may do what: viewers read, editors change configuration, owners also manage tokens and
users; every change needs the session's CSRF token; other workspaces stay invisible."""

from __future__ import annotations

import re

import pytest

from ui.config_setup import Site, seeded, site

__all__ = ["seeded", "site"]

PAGES = [
    "/sources",
    "/sources/web",
    "/catalog",
    "/catalog/webhook",
    "/destinations",
    "/destinations/hook",
    "/destinations/hook/filter",
    "/destinations/hook/mappings",
    "/settings/tokens",
    "/settings/users",
    "/settings/audit",
]

HOOK = {
    "name": "hook",
    "type": "webhook",
    "sources": ["web"],
    "settings": {"url": "https://h.test/"},
}


@pytest.mark.parametrize("role", ["viewer", "editor", "owner"])
async def test_every_role_reads_every_page(site: Site, role: str) -> None:
    await site.put("destination", HOOK)
    async with site.client(role) as client:
        for path in PAGES:
            page = await client.get(path)
            assert page.status_code == 200, (path, page.text[:500])
            assert page.headers["content-type"].startswith("text/html")
            assert "script-src 'self'" in page.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_viewers_get_forms_they_cannot_submit(site: Site) -> None:
    await site.put("destination", HOOK)
    async with site.client("viewer") as client:
        sources = await client.get("/sources")
        assert "Create source" not in sources.text and "Delete" not in sources.text
        settings = await client.get("/destinations/hook")
        assert '<fieldset class="plain" disabled>' in settings.text
        assert "Save changes" not in settings.text
        assert "changing it needs the editor role" in settings.text
        assert "Save filter" not in (await client.get("/destinations/hook/filter")).text
        assert "Save mapping" not in (await client.get("/destinations/hook/mappings")).text
        toggle = await client.get("/destinations")
        assert re.search(r'role="switch"[^>]*disabled', toggle.text, re.S)


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/sources", {"name": "new"}),
        ("/sources/web/rotate", {}),
        ("/sources/web/delete", {}),
        ("/catalog/webhook", {"name": "h2", "sources": "web", "settings.url": "https://h.test/"}),
        ("/destinations/hook", {"sources": "web", "settings.url": "https://h.test/"}),
        ("/destinations/hook/enabled", {"enabled": "false"}),
        ("/destinations/hook/filter", {"filter": "type = 'track'"}),
        ("/destinations/hook/mappings/send", {"enabled": "on"}),
        ("/destinations/hook/delete", {}),
    ],
)
async def test_viewers_cannot_change_configuration(
    site: Site, path: str, fields: dict[str, str]
) -> None:
    await site.put("destination", HOOK)
    before = await site.objects("destination"), await site.objects("source")
    async with site.client("viewer") as client:
        answer = await client.post(path, data=site.form("viewer", **fields))
        assert answer.status_code == 403
        assert "needs the editor role" in answer.text
    assert (await site.objects("destination"), await site.objects("source")) == before


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/settings/tokens", {"name": "ci", "role": "viewer"}),
        ("/settings/tokens/1/revoke", {}),
        (
            "/settings/users",
            {"email": "x@example.com", "password": "long enough pw", "role": "owner"},
        ),
    ],
)
async def test_editors_cannot_manage_tokens_or_users(
    site: Site, path: str, fields: dict[str, str]
) -> None:
    async with site.client("editor") as client:
        answer = await client.post(path, data=site.form("editor", **fields))
        assert answer.status_code == 403
        assert "needs the owner role" in answer.text
        assert "x@example.com" not in (await client.get("/settings/users")).text


@pytest.mark.parametrize("token", [None, "", "0" * 64, "forged"])
async def test_changes_without_the_sessions_csrf_token_are_refused(
    site: Site, token: str | None
) -> None:
    fields = {"name": "sneaky"} if token is None else {"name": "sneaky", "csrf_token": token}
    async with site.client("owner") as client:
        answer = await client.post("/sources", data=fields)
        assert answer.status_code == 403
        assert "Reload the page" in answer.text
    assert "sneaky" not in await site.objects("source")


async def test_another_sessions_token_is_refused(site: Site) -> None:
    async with site.client("owner") as client:
        answer = await client.post("/sources", data=site.form("editor", name="sneaky"))
        assert answer.status_code == 403


async def test_htmx_sends_the_token_from_the_page_header(site: Site) -> None:
    await site.put("destination", HOOK)
    async with site.client("editor") as client:
        page = await client.get("/destinations")
        found = re.search(r"hx-headers='\{\"X-CSRF-Token\":\"([0-9a-f]{64})\"\}'", page.text)
        assert found, page.text[:800]
        hidden = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text)
        assert hidden and hidden.group(1) == found.group(1)
        answer = await client.post(
            "/destinations/hook/enabled",
            data={"enabled": "false"},
            headers={"HX-Request": "true", "X-CSRF-Token": found.group(1)},
        )
        assert answer.status_code == 200
    assert (await site.objects("destination"))["hook"].doc["enabled"] is False


async def test_other_workspaces_are_invisible(site: Site) -> None:
    async with site.client("stranger") as client:
        assert "elsewhere" in (await client.get("/sources")).text
        listing = await client.get("/sources")
        assert ">web<" not in listing.text
        missing = await client.get("/sources/web")
        assert missing.status_code == 404
        assert "no source named" in missing.text
        refused = await client.post("/sources/web/delete", data=site.form("stranger"))
        assert refused.status_code == 404
        taken = await client.post("/sources", data=site.form("stranger", name="web"))
        assert taken.status_code == 400
        assert "another workspace" in taken.text
    assert "web" in await site.objects("source")
