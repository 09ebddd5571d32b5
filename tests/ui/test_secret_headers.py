"""The webhook's `headers` on its Settings tab: a map of secrets. The page lists the header
names with `********` for each value; submitting the form as shown keeps every value, and one
header can be changed, added or removed while the others are kept."""

from __future__ import annotations

from eventyard.control import store
from ui.config_setup import Site, seeded, site, text_of
from ui.form_fields import form_pairs

__all__ = ["seeded", "site"]

SECRETS = {"Authorization": "Bearer ui-hook-7c2e91", "X-Team": "team-ui-40d8"}
HOOK = {
    "name": "hook",
    "type": "webhook",
    "sources": ["web"],
    "settings": {"url": "https://h.test/in", "headers": SECRETS},
}
FIELD = "settings.headers"


async def headers_of(site: Site) -> dict[str, str]:
    """The headers the runtime sends (decrypted)."""
    _, destinations = await site.ctx.state.run(
        lambda conn: store.runtime_objects(conn, site.ctx.plane.box)
    )
    headers: dict[str, str] = {d.name: d for d in destinations}["hook"].settings.get("headers", {})
    return headers


async def shown_form(site: Site, role: str = "editor") -> tuple[str, dict[str, str]]:
    """The Settings tab's HTML, and the fields its form submits."""
    async with site.client(role) as client:
        page = (await client.get("/destinations/hook")).text
    return page, dict(form_pairs(page, "/destinations/hook"))


async def submit(site: Site, fields: dict[str, str], headers: str) -> tuple[int, str]:
    async with site.client("editor") as client:
        data = {**fields, FIELD: headers, "csrf_token": site.form("editor")["csrf_token"]}
        answer = await client.post("/destinations/hook", data=data)
    return answer.status_code, text_of(answer.text)


async def test_the_values_are_never_shown(site: Site) -> None:
    await site.put("destination", HOOK)
    for role in ("viewer", "editor"):
        page, fields = await shown_form(site, role)
        assert not any(value in page for value in SECRETS.values())
        assert "Authorization: ********" in page  # the yaml entry, masked too
    assert fields[FIELD] == "Authorization: ********\nX-Team: ********"


async def test_submitting_the_form_as_shown_keeps_every_value(site: Site) -> None:
    await site.put("destination", HOOK)
    _, fields = await shown_form(site)
    status, text = await submit(site, fields, fields[FIELD])
    assert status == 303, text
    assert await headers_of(site) == SECRETS


async def test_one_header_changes_one_is_added_and_the_others_are_kept(site: Site) -> None:
    await site.put("destination", HOOK)
    _, fields = await shown_form(site)
    edited = "Authorization: ********\nX-Team: team-ui-new\nX-Extra: added-1"
    status, text = await submit(site, fields, edited)
    assert status == 303, text
    assert await headers_of(site) == {
        "Authorization": SECRETS["Authorization"],
        "X-Team": "team-ui-new",
        "X-Extra": "added-1",
    }
    page, fields = await shown_form(site)
    assert fields[FIELD] == "Authorization: ********\nX-Team: ********\nX-Extra: ********"
    assert "team-ui-new" not in page and "added-1" not in page


async def test_a_deleted_line_removes_its_header(site: Site) -> None:
    await site.put("destination", HOOK)
    _, fields = await shown_form(site)
    status, text = await submit(site, fields, "X-Team: ********")
    assert status == 303, text
    assert await headers_of(site) == {"X-Team": SECRETS["X-Team"]}
    status, text = await submit(site, fields, "")
    assert status == 303, text
    assert await headers_of(site) == {}


async def test_a_mask_under_a_new_name_or_a_new_url_is_refused(site: Site) -> None:
    await site.put("destination", HOOK)
    _, fields = await shown_form(site)
    status, text = await submit(site, fields, "Authorisation: ********")
    assert status == 400
    assert "Authorisation: the value is masked (********) and none is stored" in text
    moved = {**fields, "settings.url": "https://evil.test/in"}
    status, text = await submit(site, moved, fields[FIELD])
    assert status == 400
    assert (
        "destinations.hook.settings.url changed: set settings.headers.Authorization, "
        "settings.headers.X-Team again (kept secrets are not sent to a new address)"
    ) in text
    assert await headers_of(site) == SECRETS
