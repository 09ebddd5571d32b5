"""The profile pages: search, the identity graph picture, traits and timeline, access."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from eventyard.control import accounts
from eventyard.ui.profiles import TIMELINE
from profiles.test_journey import FAMILY, JANE, JOHN, JOURNEY, PHONE
from profiles.world import World, event
from ui.config_setup import Site, seeded, site, text_of

__all__ = ["seeded", "site"]


def _client(site: Site, role: str | None = "owner") -> httpx.AsyncClient:
    """Signed in as `role` of workspace default ("owner": an install admin)."""
    return site.client(role)


@pytest.fixture
def journey(site: Site) -> Site:
    world = World(site.ctx.data_dir)
    world.apply(JOURNEY)
    world.close()
    return site


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("jane.doe@example.com", [JANE]),
        ("JANE", [JANE]),
        ("jane", [JANE]),
        ("john-7", [JOHN]),
        ("family-pc", [JANE]),
        (PHONE, [JANE]),
        ("nobody", []),
    ],
)
async def test_search_by_any_identifier(journey: Site, query: str, found: list[str]) -> None:
    async with _client(journey) as client:
        page = await client.get("/profiles", params={"q": query})
    assert page.status_code == 200
    shown = [p for p in (JANE, JOHN) if f'href="/profiles/{p}"' in page.text]
    assert shown == found
    if not found:
        assert "No profile found" in page.text


async def test_the_profile_page_draws_the_graph_and_explains_it(journey: Site) -> None:
    async with _client(journey) as client:
        page = await client.get(f"/profiles/{JANE}")
    assert page.status_code == 200
    html = page.text
    assert html.count('<g class="node ') == 7  # six identifiers and John's profile
    assert html.count('<g class="node first">') == 1
    assert html.count('<g class="node merged">') == 2  # phone-1 and family-pc
    assert html.count('<g class="edge merge">') == 2
    assert html.count('<g class="edge blocked">') == 1
    text = text_of(html)
    assert f"{PHONE} merged into {JANE}: identify m05 carried user_id:jane-42 and" in text
    assert f"anonymous_id:family-pc not linked to {JOHN} by identify m09" in text
    assert "jane@newmail.com" in text and "Jane Doe" in text
    timeline = html[html.index('class="timeline"') :]
    assert timeline.index(">m08<") < timeline.index(">m01<")  # newest first


async def test_a_merged_id_redirects_to_the_profile_it_joined(journey: Site) -> None:
    async with _client(journey) as client:
        answer = await client.get(f"/profiles/{FAMILY}")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/profiles/{JANE}"


async def test_the_timeline_pages(site: Site) -> None:
    world = World(site.ctx.data_dir)
    world.apply(
        event(f"t{i:03d}", f"2024-01-01T10:{i // 60:02d}:{i % 60:02d}Z", userId="u", event=f"E{i}")
        for i in range(TIMELINE + 5)
    )
    profile = world.read(lambda sql: sql.one("SELECT id FROM profiles")[0])
    world.close()
    async with _client(site) as client:
        first = await client.get(f"/profiles/{profile}")
        older = first.text.split("?before=")[1].split('"')[0]
        second = await client.get(f"/profiles/{profile}", params={"before": older})
    assert "t054" in first.text and "t004" not in text_of(first.text)
    assert "t004" in second.text and "t054" not in second.text


@pytest.mark.parametrize(
    "path",
    [
        "/profiles/use_nope",
        "/profiles/" + "x" * 3000,
        "/profiles/%3Cscript%3E",
        "/profiles/..%2F..%2Fetc%2Fpasswd",
        "/profiles/%00",
    ],
)
async def test_unknown_or_hostile_profile_ids_are_404(journey: Site, path: str) -> None:
    async with _client(journey) as client:
        answer = await client.get(path)
    assert answer.status_code == 404
    assert "<script>" not in answer.text


async def test_hostile_search_text_is_escaped(journey: Site) -> None:
    async with _client(journey) as client:
        page = await client.get("/profiles", params={"q": "<script>alert(1)</script>" * 100})
    assert page.status_code == 200
    assert "<script>alert" not in page.text


async def test_before_any_event(site: Site) -> None:
    async with _client(site) as client:
        assert "No profile found" in (await client.get("/profiles?q=jane")).text
        assert (await client.get(f"/profiles/{JANE}")).status_code == 404


async def test_sign_in_is_required(journey: Site) -> None:
    async with _client(journey, role=None) as client:
        answer = await client.get("/profiles")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


@pytest.mark.parametrize("role", ["viewer", "editor", "stranger"])
async def test_only_install_admins_see_profiles(journey: Site, role: str) -> None:
    """Profiles hold every workspace's events: a viewer or editor of default, and the owner
    of another workspace, neither read them nor see the link."""
    async with _client(journey, role) as client:
        for path in ("/profiles?q=jane", f"/profiles/{quote(JANE)}"):
            denied = await client.get(path)
            assert denied.status_code == 403
            assert "only install admins" in text_of(denied.text)
            assert "jane" not in denied.text.lower().replace("q=jane", "")
        assert 'href="/profiles"' not in (await client.get("/sources")).text


async def test_an_install_admin_sees_them_from_any_workspace(journey: Site) -> None:
    await journey.ctx.plane.change(
        lambda conn: accounts.set_membership(conn, "owner@example.com", "other", "viewer", "t")
    )
    async with _client(journey) as client:
        client.cookies.set("eventyard_workspace", "other")
        sources = await client.get("/sources")
        assert "elsewhere" in sources.text and 'href="/profiles"' in sources.text
        found = await client.get("/profiles", params={"q": "jane"})
        assert found.status_code == 200 and f'href="/profiles/{JANE}"' in found.text
        assert (await client.get(f"/profiles/{quote(JANE)}")).status_code == 200
