"""The Mappings tab: live previews of an action's payload on real recent events, and saving
subscriptions and field mappings as `actions:` overrides."""

from __future__ import annotations

import dataclasses
import html
import re

import orjson
import pytest

from eventyard.control import store
from eventyard.conversions.spec import ConversionSpec
from eventyard.destinations import registry
from eventyard.destinations.webhook import definition as webhook
from eventyard.ui.mapping_editor import MAX_ROWS, field_editors
from ui.config_setup import Site, seeded, site, text_of, track

__all__ = ["seeded", "site"]

HOOK = {"name": "hook", "type": "webhook", "sources": ["web"], "settings": {"url": "https://h/"}}
DATA = {"order": {"@path": "$.properties.order_id"}, "who": {"@path": "$.userId"}}


async def with_events(site: Site) -> None:
    await site.put("destination", HOOK)
    await site.append(track("m-old", properties={"order_id": "o-1"}))
    await site.append(track("m-new", event="Signed Up", userId="ada"))


def mapping_form(site: Site, role: str = "editor", **fields: str) -> dict[str, str]:
    values = {
        "event": "m-old",
        "enabled": "on",
        "subscription": 'type = "track"',
        "mapping.data": orjson.dumps(DATA).decode(),
        "mapping.method": '"PUT"',
    }
    values.update(fields)
    return site.form(role, **values)


async def preview(site: Site, form: dict[str, str]) -> str:
    async with site.client("viewer") as client:
        answer = await client.post(
            "/destinations/hook/mappings/send/preview", data=form, headers={"HX-Request": "true"}
        )
    assert answer.status_code == 200
    return answer.text


async def test_the_preview_maps_the_chosen_real_event(site: Site) -> None:
    await with_events(site)
    shown = await preview(site, mapping_form(site, "viewer"))
    assert "Triggers" in shown
    payload = text_of(shown)
    assert '"method": "PUT"' in payload.replace("&#34;", '"')
    assert '"order": "o-1"' in payload.replace("&#34;", '"')
    assert '"who": "u1"' in payload.replace("&#34;", '"')


async def test_a_subscription_that_does_not_match_says_so(site: Site) -> None:
    await with_events(site)
    shown = await preview(site, mapping_form(site, "viewer", subscription='type = "page"'))
    assert "Does not trigger" in shown and "nothing is sent for it" in shown


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"mapping.data": "{not json"}, "Not valid JSON"),
        ({"mapping.data": '{"@nope": 1}'}, "mapping.data"),
        ({"mapping.method": '"DELETE"'}, "must be one of"),
        ({"subscription": 'type = "track" and'}, "at column"),
        ({"mapping.data": "[" * 40 + "]" * 40}, "Nested more than 32 levels"),
    ],
)
async def test_errors_in_the_edited_action_are_shown_in_the_preview(
    site: Site, fields: dict[str, str], message: str
) -> None:
    await with_events(site)
    shown = await preview(site, mapping_form(site, "viewer", **fields))
    assert 'class="result bad"' in shown
    assert message in text_of(shown).replace("&#39;", "'")


async def test_missing_required_values_are_listed(site: Site) -> None:
    await with_events(site)
    shown = await preview(
        site, mapping_form(site, "viewer", **{"mapping.data": '{"@path": "$.nope"}'})
    )
    assert "Would not be sent" in shown and "data" in shown


async def test_the_page_lists_recent_events_newest_first_and_previews_the_first(
    site: Site,
) -> None:
    await with_events(site)
    async with site.client("viewer") as client:
        page = (await client.get("/destinations/hook/mappings")).text
    assert page.index('value="m-new"') < page.index('value="m-old"')
    assert "track · Signed Up · ada" in page
    assert "Triggers" in page  # the default subscription takes every track
    again = await client_get(site, "/destinations/hook/mappings?event=m-old")
    assert 'value="m-old" selected' in again


async def client_get(site: Site, path: str) -> str:
    async with site.client("viewer") as client:
        return (await client.get(path)).text


async def test_without_events_the_page_says_how_to_get_some(site: Site) -> None:
    await site.put("destination", HOOK)
    page = await client_get(site, "/destinations/hook/mappings")
    assert "No recent events" in page and "Send events to web" in page


async def test_saving_stores_only_what_differs_from_the_defaults(site: Site) -> None:
    await with_events(site)
    async with site.client("editor") as client:
        answer = await client.post("/destinations/hook/mappings/send", data=mapping_form(site))
        assert answer.status_code == 303, text_of(answer.text)
        assert answer.headers["location"].startswith("/destinations/hook/mappings?done=saved")
        page = await client.get(answer.headers["location"])
    actions = (await site.objects("destination"))["hook"].doc["actions"]
    assert actions == {
        "send": {"subscription": 'type = "track"', "mapping": {"data": DATA, "method": "PUT"}}
    }
    assert page.text.count(">changed<") == 3  # subscription, data, method
    assert answer.headers["location"].endswith("#action-send")  # where the page scrolls to
    card = page.text[page.text.index('id="action-send"') :]
    assert card.index('role="status">Saved.<') < card.index("<form")  # in the card, at its top
    assert page.text.count(">Saved.<") == 1  # not also above the page, out of view
    live = site.ctx.config.destinations[0].actions["send"]
    assert live.mapping == {"data": DATA, "method": "PUT"}


async def test_a_saved_mapping_comes_back_indented_in_a_box_of_its_size(site: Site) -> None:
    await with_events(site)
    compact = orjson.dumps(DATA).decode()  # typed on one line
    async with site.client("editor") as client:
        saved = await client.post(
            "/destinations/hook/mappings/send", data=mapping_form(site, **{"mapping.data": compact})
        )
        page = (await client.get(saved.headers["location"])).text
    indented = orjson.dumps(DATA, option=orjson.OPT_INDENT_2).decode()
    assert indented.count("\n") == 7
    box = re.search(r'<textarea id="form-send-data"[^>]*rows="(\d+)"[^>]*>([^<]*)</textarea>', page)
    assert box is not None
    assert box.group(1) == "8" and html.unescape(box.group(2)) == indented
    method = re.search(r'<textarea id="form-send-method"[^>]*rows="(\d+)"[^>]*>([^<]*)<', page)
    assert method is not None and (method.group(1), method.group(2)) == ("1", "&#34;PUT&#34;")
    assert 'id="preview-send"' in page and "hx-post" in page  # the live preview stays


def test_a_huge_mapping_gets_a_bounded_box() -> None:
    definition = webhook.actions["send"]
    override = {"mapping": {"data": {f"k{n}": n for n in range(200)}}}
    data = next(f for f in field_editors(definition, override) if f.key == "data")
    assert data.text.count("\n") == 201 and data.rows == MAX_ROWS


async def test_restoring_every_default_removes_the_override(site: Site) -> None:
    await with_events(site)
    await site.put("destination", {**HOOK, "actions": {"send": {"mapping": {"method": "PUT"}}}})
    form = site.form("editor", enabled="on", subscription="", **{"mapping.method": '"POST"'})
    async with site.client("editor") as client:
        answer = await client.post("/destinations/hook/mappings/send", data=form)
    assert answer.status_code == 303
    assert "actions" not in (await site.objects("destination"))["hook"].doc


async def test_disabling_an_action(site: Site) -> None:
    await with_events(site)
    async with site.client("editor") as client:
        answer = await client.post("/destinations/hook/mappings/send", data=site.form("editor"))
    assert answer.status_code == 303
    assert (await site.objects("destination"))["hook"].doc["actions"] == {
        "send": {"enabled": False}
    }


async def test_invalid_mappings_are_not_saved_and_stay_as_typed(site: Site) -> None:
    await with_events(site)
    bad = mapping_form(site, **{"mapping.method": '"DELETE"', "mapping.data": '{"x": <b>}'})
    async with site.client("editor") as client:
        answer = await client.post("/destinations/hook/mappings/send", data=bad)
        refused = await client.post(
            "/destinations/hook/mappings/send",
            data=mapping_form(site, **{"mapping.method": '"DELETE"'}),
        )
    assert answer.status_code == 400
    assert "Not valid JSON" in answer.text
    assert "{&#34;x&#34;: &lt;b&gt;}" in answer.text and "<b>" not in answer.text
    assert refused.status_code == 400
    assert "must be one of" in text_of(refused.text).replace("&#39;", "'")
    assert "actions" not in (await site.objects("destination"))["hook"].doc


async def test_unknown_actions_are_404(site: Site) -> None:
    await with_events(site)
    async with site.client("editor") as client:
        answer = await client.post("/destinations/hook/mappings/nope", data=mapping_form(site))
    assert answer.status_code == 404 and "has no action" in answer.text


AD_TYPE = dataclasses.replace(
    webhook,
    slug="ui-test-ads",
    name="UI Test Ads",
    conversion=ConversionSpec(
        platform="meta", default_events=frozenset({"purchase"}), match_weights={"email": 3.0}
    ),
)
VALUE = {"@path": "$.context.eventyard.conversion.value"}


async def test_ad_destinations_preview_the_event_after_the_conversions_stage(site: Site) -> None:
    with registry.registered(AD_TYPE):
        await site.put("destination", {**HOOK, "name": "ads", "type": "ui-test-ads"})
        await site.append(track("buy", properties={"order_id": "o-9", "revenue": 42.5}))
        await site.append(track("signup", event="Signed Up"))
        form = site.form(
            "viewer",
            event="buy",
            enabled="on",
            **{
                "mapping.data": orjson.dumps(
                    {"value": VALUE, "id": {"@path": "$.context.eventyard.conversion.event_id"}}
                ).decode()
            },
        )
        async with site.client("viewer") as client:
            bought = await client.post("/destinations/ads/mappings/send/preview", data=form)
            form["event"] = "signup"
            signed_up = await client.post("/destinations/ads/mappings/send/preview", data=form)
            page = await client.get("/destinations/ads/mappings?event=signup")
    shown = text_of(bought.text).replace("&#34;", '"')
    assert '"value": 42.5' in shown and '"id": "purchase:o-9"' in shown
    assert "Not sent to this destination: conversion_events" in text_of(signed_up.text)
    assert "&#39;Signed Up&#39; is sign_up; conversion_events: purchase" in signed_up.text
    assert "Not sent to this destination" in page.text


async def test_a_slack_webhook_url_stays_masked_on_the_tab_and_in_the_preview(site: Site) -> None:
    """Slack's `url` is the credential: the page shows the mask, the preview maps the event
    with it kept, and saving the mask back keeps the stored URL."""
    hook = "https://hooks.slack.com/services/T0/B0/s3cr3t-slack-path"
    chat = {"postToChannel": {"mapping": {"url": hook}}}
    await site.put(
        "destination", {"name": "chat", "type": "slack", "sources": ["web"], "actions": chat}
    )
    await site.append(track("m-1", userId="ada"))
    form = site.form("editor", event="m-1", enabled="on", **{"mapping.url": '"********"'})
    async with site.client("editor") as client:
        page = (await client.get("/destinations/chat/mappings")).text
        shown = await client.post("/destinations/chat/mappings/postToChannel/preview", data=form)
        saved = await client.post("/destinations/chat/mappings/postToChannel", data=form)
    assert "s3cr3t-slack-path" not in page + shown.text
    payload = text_of(shown.text).replace("&#34;", '"')
    assert '"url": "********"' in payload and "by ada" in payload
    assert saved.status_code == 303, text_of(saved.text)
    _, destinations = await site.ctx.state.run(
        lambda conn: store.runtime_objects(conn, site.ctx.plane.box)
    )
    assert destinations[0].actions["postToChannel"].mapping == {"url": hook}
