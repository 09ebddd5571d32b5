"""The catalog, setup and mappings pages for Segment's Actions types (`actions/<slug>`), next
to the native ones: search, categories, twin notes, Segment's settings and presets, and the
mappings preview against what delivery hands the runner."""

from __future__ import annotations

import html
import re
from typing import Any

import orjson

from eventyard.control.secrets import SECRET_MASK
from eventyard.destinations.actions.catalog import ActionsCatalog
from eventyard.destinations.catalog import describe
from eventyard.destinations.registry import get_definition
from eventyard.pipeline.plan import compile_plan
from ui.config_setup import Site, seeded, site, text_of, track

__all__ = ["seeded", "site"]


def _cards(page: str) -> set[str]:
    return set(re.findall(r'href="/catalog/([^"]+)"', page))


async def test_the_search_box_filters_on_the_server(
    site: Site, actions_catalog: ActionsCatalog
) -> None:
    async with site.client("viewer") as client:
        every = _cards((await client.get("/catalog")).text)
        found = await client.get("/catalog", params={"q": "  MIXPANEL  "})
        nothing = await client.get("/catalog", params={"q": "no-such-tool-xyz"})
    assert len(every) >= 230 and {"actions/hubspot", "webhook"} <= every
    assert _cards(found.text) == {"mixpanel", "actions/mixpanel"}
    assert "2 of 230 destination types match “MIXPANEL”" in text_of(found.text)
    assert _cards(nothing.text) == set() and "No destination type matches" in nothing.text
    # works without scripts (a GET form) and htmx swaps only the results
    assert 'action="/catalog"' in found.text and 'hx-select="#catalog-results"' in found.text
    assert 'id="catalog-q" type="search" name="q" value="MIXPANEL"' in found.text


async def test_cards_are_grouped_by_category(site: Site, actions_catalog: ActionsCatalog) -> None:
    async with site.client("viewer") as client:
        crm = (await client.get("/catalog", params={"category": "CRM"})).text
        every = (await client.get("/catalog")).text
        words = (await client.get("/catalog", params={"q": "email"})).text
    assert {"actions/hubspot", "actions/salesforce", "actions/attio"} <= _cards(crm)
    assert not {"actions/mixpanel", "actions/salesforce-marketing-cloud"} & _cards(crm)
    headings = re.findall(r'class="catalog-heading">([^<]+?) <', every)
    assert headings == [
        "Analytics", "Advertising", "Email &amp; messaging", "CRM", "Data &amp; storage", "Other"
    ]  # fmt: skip
    assert re.search(r'<option value="CRM" selected>CRM \(\d+\)</option>', crm)
    assert "actions/customerio" in _cards(words)  # a category name is searched too


async def test_a_native_type_and_its_segment_twin_each_say_which_does_what(
    site: Site, actions_catalog: ActionsCatalog
) -> None:
    async with site.client("viewer") as client:
        page = html.unescape((await client.get("/catalog", params={"q": "webhook"})).text)
    cards = page.split('<article class="card type-card">')[1:]
    slug = '<span class="muted small"><code>{}</code>'
    native = next(card for card in cards if slug.format("webhook") in card)
    segment = next(card for card in cards if slug.format("actions/webhook") in card)
    assert "eventyard's own code, with headers kept encrypted as secrets" in native
    assert "<code>actions/webhook</code> sends what Segment sends" in native
    assert "Segment's own code, sending what Segment sends; <code>webhook</code> adds" in segment
    audiences = next(card for card in cards if slug.format("actions/webhook-audiences") in card)
    assert "twin-note" not in audiences


async def test_the_setup_form_uses_segments_settings_and_lists_the_presets(
    site: Site, actions_catalog: ActionsCatalog
) -> None:
    async with site.client("editor") as client:
        page = (await client.get("/catalog/actions/mixpanel")).text
        answer = await client.post(
            "/catalog/actions/mixpanel",
            data=site.form(
                "editor",
                name="mp",
                sources="web",
                mode="send",
                **{"settings.projectToken": "tok-1", "settings.apiSecret": "sec-ret-1"},
            ),
        )
    assert 'name="settings.projectToken"' in page and "Project Token" in page
    assert re.search(r'name="settings.apiSecret"[^>]*type="password"', page, re.S)
    assert "Secret Key" in page and "Mixpanel project secret." in page
    runs = re.findall(r"<strong>([^<]+)</strong>\s*<span class=\"badge success\">Runs", page)
    assert {"Track Event (Track Calls)", "Identify User (Identify Calls)"} <= set(runs)
    assert "Alias" not in runs and "<strong>Alias</strong>" in page
    assert answer.status_code == 303, text_of(answer.text)
    doc = (await site.objects("destination"))["mp"].doc
    assert doc["type"] == "actions/mixpanel"
    assert doc["settings"] == {"projectToken": "tok-1", "apiSecret": SECRET_MASK}


def test_segments_labels_leave_the_setting_types_that_the_cli_shows_plain(
    actions_catalog: ActionsCatalog,
) -> None:
    """The labels ride on the settings' types; `eventyard destinations TYPE` names them."""
    rows = {row["name"]: row["type"] for row in describe("actions/mixpanel")["settings"]}
    assert rows["projectToken"] == "str" and rows["apiSecret"] == "secret"
    assert rows["apiRegion"] == "str | None"


SIGNED_UP = track("m-1", event="Signed Up", properties={"plan": "pro"})


async def _mixpanel(site: Site) -> None:
    await site.put(
        "destination",
        {"name": "mp", "type": "actions/mixpanel", "sources": ["web"],
         "settings": {"projectToken": "tok-1", "apiSecret": "sec-ret-1"}},
    )  # fmt: skip
    await site.append(SIGNED_UP)


async def _previewed(site: Site, name: str, key: str, **fields: str) -> dict[str, Any]:
    """The payload the Mappings tab's live preview shows for the newest event."""
    async with site.client("viewer") as client:
        shown = await client.post(
            f"/destinations/{name}/mappings/{key}/preview",
            data=site.form("viewer", event="m-1", enabled="on", **fields),
            headers={"HX-Request": "true"},
        )
    assert "Triggers" in shown.text, text_of(shown.text)
    found = re.search(r'<pre class="json">(.*?)</pre>', shown.text, re.S)
    assert found is not None
    payload: dict[str, Any] = orjson.loads(html.unescape(found[1]))
    return payload


def _handed_to_runner(site: Site, key: str) -> dict[str, Any]:
    """The payload delivery's plan of the stored destination gives the runner for `key`."""
    (dest,) = site.ctx.config.destinations
    plan = compile_plan(dest, get_definition(dest.type))
    jobs = dict(plan.route(orjson.loads(SIGNED_UP.payload)).jobs)
    payload: dict[str, Any] = orjson.loads(jobs[key])
    return payload


async def test_the_mixpanel_preview_is_what_delivery_hands_the_runner(
    site: Site, actions_catalog: ActionsCatalog
) -> None:
    await _mixpanel(site)
    async with site.client("viewer") as client:
        page = (await client.get("/destinations/mp/mappings")).text
    assert "Distinct ID" in page and "A distinct ID specified by you." in page  # Segment's
    assert '"@path": "$.messageId"' in html.unescape(page)  # the preset's default mapping
    assert "Segment's presets run (the actions enabled below)" in html.unescape(page)
    payload = await _previewed(site, "mp", "trackEvent", subscription="")
    assert payload == _handed_to_runner(site, "trackEvent")
    assert payload["event"] == "Signed Up" and payload["distinct_id"] == "u1"


async def test_the_webhook_preview_is_what_delivery_hands_the_runner(
    site: Site, actions_catalog: ActionsCatalog
) -> None:
    url, subscription = "https://hooks.example.com/in", 'type = "track"'
    await site.put(
        "destination",
        {"name": "seg-hook", "type": "actions/webhook", "sources": ["web"],
         "actions": {"send": {"subscription": subscription, "mapping": {"url": url}}}},
    )  # fmt: skip
    await site.append(SIGNED_UP)
    fields = {"subscription": subscription, "mapping.url": f'"{url}"'}
    payload = await _previewed(site, "seg-hook", "send", **fields)
    assert payload == _handed_to_runner(site, "send")
    assert payload["url"] == url and payload["data"]["properties"] == {"plan": "pro"}


async def test_saving_one_action_keeps_the_other_presets_running(
    site: Site, actions_catalog: ActionsCatalog
) -> None:
    await _mixpanel(site)
    form = site.form(
        "editor", event="m-1", subscription="", enabled="on", **{"mapping.event": '"Renamed"'}
    )
    async with site.client("editor") as client:
        page = (await client.get("/destinations/mp/mappings")).text
        answer = await client.post("/destinations/mp/mappings/trackEvent", data=form)
    boxes = re.findall(
        r'id="action-(\w+)".*?(<input type="checkbox" name="enabled"[^>]*>)', page, re.S
    )
    enabled = frozenset(key for key, box in boxes if " checked" in box)
    presets = get_definition("actions/mixpanel").presets
    assert presets is not None and enabled == presets  # alias is off by default
    assert answer.status_code == 303, text_of(answer.text)
    actions = (await site.objects("destination"))["mp"].doc["actions"]
    assert set(actions) == presets
    assert actions["trackEvent"] == {"mapping": {"event": "Renamed"}}
    assert actions["identifyUser"] == {}
