"""The Advanced section of the destination form: mode, consent, conversion events and
delivery, saved through the same store as the API and eventyard.yaml (filter rules are on
the Filter tab: tests/ui/test_filter_rules.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ui.config_setup import Site, seeded, site, text_of
from ui.form_fields import form_pairs

__all__ = ["seeded", "site"]

HOOK = {"name": "hook", "type": "webhook", "sources": ["web"], "settings": {"url": "https://h/"}}
META = {
    "name": "meta",
    "type": "meta-conversions-api",
    "sources": ["web"],
    "settings": {"pixel_id": "1234567890", "access_token": "meta-token-value"},
}
FULL = {
    **META,
    "mode": "observe",
    "consent_categories": ["Advertising", "Functional"],
    "consent_fallback": "limited",
    "conversion_events": ["purchase", "lead"],
    "delivery": {"concurrency": 8, "timeout": "30s", "max_age": 3600},
    "filters": [
        {"name": "no tests", "if": 'event = "Test"', "drop": True},
        {"sample": 0.25, "sample_path": "userId"},
        {"if": 'type = "identify"', "drop_properties": {"traits": ["email"], "": ["userId"]}},
        {"allow_properties": {"properties": ["revenue", "currency"]}},
    ],
}


def advanced(site: Site, **fields: Any) -> dict[str, Any]:
    """The Settings form of `hook` with the Advanced section as the page sends it."""
    values: dict[str, Any] = {
        "name": "hook",
        "sources": "web",
        "settings.url": "https://h/",
        "advanced": "on",
        "mode": "send",
        "consent": "default",
        "consent_fallback": "suppress",
    }
    return site.form("editor", **values | fields)


async def stored(site: Site, name: str = "hook") -> dict[str, Any]:
    return (await site.objects("destination"))[name].doc


async def test_the_section_starts_collapsed_and_says_everything_is_default(site: Site) -> None:
    await site.put("destination", HOOK)
    async with site.client("editor") as client:
        page = (await client.get("/destinations/hook")).text
    assert '<details class="form-section advanced" id="advanced" >' in page
    assert "all at their defaults" in text_of(page)
    assert 'name="conversion_events"' not in page  # the webhook is no conversions API
    assert "This type has no limited mode" in page
    assert 'href="/destinations/hook/filter">Filter tab</a>' in page  # filters: one place
    assert 'name="filters.row"' not in page


async def test_an_ad_destination_offers_canonical_events_with_its_defaults_ticked(
    site: Site,
) -> None:
    await site.put("destination", META)
    async with site.client("editor") as client:
        page = (await client.get("/destinations/meta")).text
    ticked = re.findall(r'name="conversion_events" value="(\w+)" checked', page)
    assert sorted(ticked) == ["contact", "lead", "purchase", "sign_up", "start_trial", "subscribe"]
    assert re.search(r'name="conversions" value="default" checked', page)
    assert "The default: contact, lead, purchase" in text_of(page)
    assert "Suggested for this type: Advertising" in text_of(page)
    assert re.search(r'name="consent" value="default" checked', page)  # a suggestion, no rule
    assert "This platform has a limited mode" in page


async def test_a_document_written_elsewhere_is_shown_and_saved_back_unchanged(site: Site) -> None:
    """The API and eventyard.yaml write the store; the page's own form, sent unchanged, must
    save the very same document (the three ways agree)."""
    await site.put("destination", FULL)
    before = await stored(site, "meta")
    async with site.client("editor") as client:
        page = (await client.get("/destinations/meta")).text
        summary = text_of(page)
        for shown in ("observe mode", "consent: Advertising, Functional", "limited mode on denial"):
            assert shown in summary
        assert "2 conversion events · delivery tuned" in summary
        pairs = form_pairs(page, "/destinations/meta")
        answer = await client.post("/destinations/meta", data=dict_of(pairs))
        assert answer.status_code == 303, text_of(answer.text)
    after = await stored(site, "meta")
    assert after == before
    assert after["settings"]["access_token"] == "********"  # masked, and kept


def dict_of(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name, []).append(value)
    return fields


async def test_saving_the_section_stores_the_keys_as_yaml_writes_them(site: Site) -> None:
    await site.put("destination", HOOK)
    form = advanced(
        site,
        mode="observe",
        consent="custom",
        consent_categories=" Analytics ,Functional,Analytics",
        consent_fallback="limited",
        **{
            "delivery.concurrency": "2",
            "delivery.timeout": "1.5",
            "delivery.backoff_max": "5m",
        },
    )
    async with site.client("editor") as client:
        answer = await client.post("/destinations/hook", data=form)
        assert answer.status_code == 303, text_of(answer.text)
    doc = await stored(site)
    assert doc["mode"] == "observe"
    assert doc["consent_categories"] == ["Analytics", "Functional"]
    assert doc["consent_fallback"] == "limited"
    assert doc["delivery"] == {"concurrency": 2, "timeout": "1500ms", "backoff_max": "5m"}
    (dest,) = site.ctx.config.destinations  # applied to the running configuration at once
    assert dest.delivery.backoff_max == 300


async def test_back_to_defaults_removes_the_keys(site: Site) -> None:
    await site.put("destination", {**FULL, "name": "meta"})
    pairs = dict_of(form_pairs(await page_of(site, "/destinations/meta"), "/destinations/meta"))
    for key in [key for key in pairs if key.startswith(("filters.", "delivery."))]:
        del pairs[key]
    pairs |= {"mode": ["send"], "consent": ["none"], "consent_fallback": ["suppress"]}
    pairs |= {"conversions": ["default"]}
    async with site.client("editor") as client:
        answer = await client.post("/destinations/meta", data=pairs)
        assert answer.status_code == 303, text_of(answer.text)
    doc = await stored(site, "meta")
    keys = ("consent_categories", "mode", "consent_fallback", "conversion_events", "delivery")
    for key in keys:  # no category: the default, as in Segment
        assert key not in doc, key
    assert doc["filters"] == FULL["filters"]  # the Filter tab's, left alone


async def page_of(site: Site, path: str) -> str:
    async with site.client("editor") as client:
        return (await client.get(path)).text


async def test_a_post_without_the_section_leaves_its_keys_alone(site: Site) -> None:
    kept = {"filters": [{"drop": True}], "delivery": {"timeout": 3}, "mode": "observe"}
    await site.put("destination", {**HOOK, **kept})
    form = site.form("editor", name="hook", sources="web", **{"settings.url": "https://h/2"})
    async with site.client("editor") as client:
        assert (await client.post("/destinations/hook", data=form)).status_code == 303
    doc = await stored(site)
    assert doc["filters"] == [{"drop": True}] and doc["delivery"] == {"timeout": "3s"}
    assert doc["mode"] == "observe" and doc["settings"]["url"] == "https://h/2"


async def test_custom_conversion_events(site: Site) -> None:
    await site.put("destination", META)
    pairs = dict_of(form_pairs(await page_of(site, "/destinations/meta"), "/destinations/meta"))
    pairs |= {"conversions": ["custom"], "conversion_events": ["refund", "purchase", "refund"]}
    async with site.client("editor") as client:
        assert (await client.post("/destinations/meta", data=pairs)).status_code == 303
    assert (await stored(site, "meta"))["conversion_events"] == ["refund", "purchase"]
    plan_events = site.ctx.config.destinations[0].conversion_events
    assert plan_events == ["refund", "purchase"]


async def test_an_unknown_conversion_event_is_refused_by_the_store_beside_the_list(
    site: Site,
) -> None:
    await site.put("destination", META)
    pairs = dict_of(form_pairs(await page_of(site, "/destinations/meta"), "/destinations/meta"))
    pairs |= {"conversions": ["custom"], "conversion_events": ["purchase", "<b>bought</b>"]}
    async with site.client("editor") as client:
        answer = await client.post("/destinations/meta", data=pairs)
    assert answer.status_code == 400
    assert re.search(r'id="f-conversion_events-error">[^<]*is no canonical event', answer.text)
    assert "<b>bought</b>" not in answer.text
    assert '<details class="form-section advanced" id="advanced" open>' in answer.text
    assert "conversion_events" not in await stored(site, "meta")


async def test_events_are_ignored_for_a_type_without_conversions(site: Site) -> None:
    await site.put("destination", HOOK)
    form = advanced(site, conversions="custom", conversion_events="purchase")
    async with site.client("editor") as client:
        assert (await client.post("/destinations/hook", data=form)).status_code == 303
    assert "conversion_events" not in await stored(site)


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"consent": "custom", "consent_categories": " , "}, "f-consent_categories", "Name a"),
        ({"consent": "everyone"}, "f-consent_categories", "Choose which consent"),
        ({"consent_fallback": "shout"}, "f-consent_fallback", "Choose suppress or limited"),
        ({"mode": "yolo"}, "f-mode", "Choose send or observe"),
        ({"delivery.timeout": "soon"}, "f-delivery.timeout", "Enter seconds, or e.g."),
        ({"delivery.max_age": "9" * 30}, "f-delivery.max_age", "Enter seconds"),
        ({"delivery.concurrency": "1.5"}, "f-delivery.concurrency", "Enter a whole number"),
        ({"delivery.concurrency": "-3"}, "f-delivery.concurrency", "Enter a whole number"),
        ({"delivery.concurrency": "²"}, "f-delivery.concurrency", "Enter a whole number"),
        ({"delivery.concurrency": "0"}, "f-delivery.concurrency", "Expected `int` &gt;= 1"),
    ],
)
async def test_bad_values_are_shown_beside_their_field_and_nothing_changes(
    site: Site, fields: dict[str, str], field_id: str, message: str
) -> None:
    await site.put("destination", HOOK)
    async with site.client("editor") as client:
        answer = await client.post("/destinations/hook", data=advanced(site, **fields))
    assert answer.status_code == 400
    found = re.search(rf'id="{re.escape(field_id)}-error">([^<]*)', answer.text)
    assert found and message in found.group(1), text_of(answer.text)[:2000]
    assert "open>" in answer.text  # the section opens to show it
    assert await stored(site) == HOOK


async def test_the_setup_page_creates_a_destination_with_the_section(site: Site) -> None:
    form = site.form(
        "editor",
        name="meta-prod",
        sources="web",
        **{
            "settings.pixel_id": "99",
            "settings.access_token": "tok-123456",
            "advanced": "on",
            "mode": "send",
            "consent": "default",
            "consent_fallback": "limited",
            "conversions": "custom",
            "conversion_events": ["purchase"],
        },
    )
    async with site.client("editor") as client:
        created = await client.post("/catalog/meta-conversions-api", data=form)
        assert created.status_code == 303, text_of(created.text)
    doc = await stored(site, "meta-prod")
    assert doc["consent_fallback"] == "limited" and doc["conversion_events"] == ["purchase"]
    assert "filters" not in doc
    assert "mode" not in doc and "consent_categories" not in doc


async def test_google_ads_defaults_follow_its_settings(site: Site) -> None:
    async with site.client("editor") as client:
        page = await client.get("/catalog/google-ads")
    assert "the events that have a conversion action in Settings (now: none yet)" in page.text


async def test_google_ads_defaults_are_the_events_with_a_conversion_action(site: Site) -> None:
    settings = {
        "customer_id": "1234567890",
        "developer_token": "dev-token",
        "access_token": "access-token",
        "conversion_actions": {"purchase": "111", "lead": "222"},
    }
    doc = {"name": "ads", "type": "google-ads", "sources": ["web"], "settings": settings}
    await site.put("destination", doc)
    page = text_of(await page_of(site, "/destinations/ads"))
    assert "conversion action in Settings (now: lead, purchase, refund)" in page
