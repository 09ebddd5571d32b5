"""Destinations: the list, the enabled switch (htmx), the Settings tab and deleting."""

from __future__ import annotations

import re

from eventyard.control import store
from eventyard.control.secrets import SECRET_MASK
from ui.config_setup import Site, seeded, site, text_of

__all__ = ["seeded", "site"]

HOOK = {
    "name": "hook",
    "type": "webhook",
    "sources": ["web"],
    "settings": {"url": "https://h.test/in", "shared_secret": "the-first-secret"},
    "filter": 'type = "track"',
}


async def secret_of(site: Site, name: str) -> object:
    _, destinations = await site.ctx.state.run(
        lambda conn: store.runtime_objects(conn, site.ctx.plane.box)
    )
    return {d.name: d for d in destinations}[name].settings.get("shared_secret")


async def test_the_list_shows_type_sources_mode_and_switch(site: Site) -> None:
    await site.put("destination", HOOK)
    await site.put("destination", {**HOOK, "name": "dry", "mode": "observe", "enabled": False})
    async with site.client("viewer") as client:
        page = (await client.get("/destinations")).text
    assert 'href="/destinations/hook"' in page and "Webhook" in page
    assert ">observe<" in page
    assert page.count('role="switch" aria-checked="true"') == 1
    assert page.count('role="switch" aria-checked="false"') == 1


async def test_an_empty_workspace_points_to_the_catalog(site: Site) -> None:
    async with site.client("editor") as client:
        page = (await client.get("/destinations")).text
    assert "No destinations yet" in page and 'href="/catalog"' in page


async def test_the_switch_turns_a_destination_off_and_on_with_htmx(site: Site) -> None:
    await site.put("destination", HOOK)
    headers = {"HX-Request": "true"}
    async with site.client("editor") as client:
        off = await client.post(
            "/destinations/hook/enabled", data=site.form("editor", enabled="false"), headers=headers
        )
        assert off.status_code == 200
        assert off.text.lstrip().startswith('<form class="toggle-form"')  # just the switch
        assert 'aria-checked="false"' in off.text
        assert (await site.objects("destination"))["hook"].doc["enabled"] is False
        assert site.ctx.config.destinations[0].enabled is False
        on = await client.post(
            "/destinations/hook/enabled", data=site.form("editor", enabled="true")
        )
        assert on.status_code == 303  # without htmx: back to the page
    assert "enabled" not in (await site.objects("destination"))["hook"].doc


async def test_saving_settings_keeps_a_secret_left_empty(site: Site) -> None:
    await site.put("destination", HOOK)
    form = site.form(
        "editor",
        name="hook",
        sources=["web"],
        mode="observe",
        **{
            "settings.url": "https://h.test/in",
            "settings.shared_secret": "",
            "settings.batch_size": "5",
        },
    )
    async with site.client("editor") as client:
        page = await client.get("/destinations/hook")
        assert "the-first-secret" not in page.text
        assert "Saved. Leave empty to keep it." in page.text
        answer = await client.post("/destinations/hook", data=form)
        assert answer.status_code == 303, text_of(answer.text)
    doc = (await site.objects("destination"))["hook"].doc
    assert doc["settings"] == {
        "url": "https://h.test/in",
        "shared_secret": SECRET_MASK,
        "batch_size": 5,
    }
    assert doc["mode"] == "observe"
    assert doc["filter"] == 'type = "track"'  # other tabs' keys are kept
    assert await secret_of(site, "hook") == "the-first-secret"


async def test_a_new_secret_replaces_the_old_and_clear_removes_it(site: Site) -> None:
    await site.put("destination", HOOK)
    base = {"name": "hook", "sources": ["web"], "settings.url": "https://h.test/in"}
    async with site.client("editor") as client:
        new = site.form("editor", **base, **{"settings.shared_secret": "second-secret"})
        assert (await client.post("/destinations/hook", data=new)).status_code == 303
        assert await secret_of(site, "hook") == "second-secret"
        clear = site.form("editor", **base, **{"settings.shared_secret.clear": "on"})
        assert (await client.post("/destinations/hook", data=clear)).status_code == 303
    assert "shared_secret" not in (await site.objects("destination"))["hook"].doc["settings"]
    assert await secret_of(site, "hook") is None


async def test_invalid_settings_are_shown_beside_the_field_and_nothing_changes(
    site: Site,
) -> None:
    await site.put("destination", HOOK)
    fields = {"settings.url": "mailto:x", "settings.shared_secret": "s"}
    form = site.form("editor", name="hook", sources=["web"], **fields)
    async with site.client("editor") as client:
        answer = await client.post("/destinations/hook", data=form)
    assert answer.status_code == 400
    assert re.search(r'id="f-settings.url-error">url &#39;mailto:x&#39; must be', answer.text)
    assert 'value="mailto:x"' in answer.text
    assert (await site.objects("destination"))["hook"].doc["settings"]["url"] == "https://h.test/in"


async def test_a_new_url_needs_the_secret_again(site: Site) -> None:
    """An editor who points the destination elsewhere cannot take the kept secret along."""
    await site.put("destination", HOOK)
    form = site.form(
        "editor", name="hook", sources=["web"], **{"settings.url": "https://evil.test"}
    )
    async with site.client("editor") as client:
        answer = await client.post("/destinations/hook", data=form)
    assert answer.status_code == 400
    assert (
        "Not saved.</strong> destinations.hook.settings.url changed: set "
        "settings.shared_secret again (kept secrets are not sent to a new address)"
    ) in answer.text
    assert (await site.objects("destination"))["hook"].doc["settings"]["url"] == "https://h.test/in"


async def test_the_settings_tab_shows_the_yaml_entry_with_secrets_masked(site: Site) -> None:
    await site.put("destination", HOOK)
    async with site.client("viewer") as client:
        page = (await client.get("/destinations/hook")).text
    assert "shared_secret: &#39;********&#39;" in page
    assert "the-first-secret" not in page


async def test_deleting_a_destination(site: Site) -> None:
    await site.put("destination", HOOK)
    async with site.client("editor") as client:
        answer = await client.post("/destinations/hook/delete", data=site.form("editor"))
        assert answer.headers["location"] == "/destinations?done=deleted"
        assert (await client.get("/destinations/hook")).status_code == 404
        gone = await client.post("/destinations/hook/enabled", data=site.form("editor"))
        assert gone.status_code == 404
    assert site.ctx.config.destinations == []


async def test_a_destination_of_an_uninstalled_type_still_lists(site: Site) -> None:
    """The list must not break on a document whose type is gone (a removed plugin)."""
    await site.put("destination", HOOK)
    await site.ctx.state.run(
        lambda conn: conn.execute(
            "UPDATE objects SET doc = json_set(doc, '$.type', 'gone') WHERE name = 'hook'"
        )
    )
    async with site.client("viewer") as client:
        listing = await client.get("/destinations")
        assert listing.status_code == 200 and ">gone<" in listing.text
        page = await client.get("/destinations/hook")
    assert page.status_code == 404 and "unknown destination type" in page.text
