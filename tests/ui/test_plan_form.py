"""The tracking plan's form editor (add and remove events and properties, saved to the plan's
JSON and checked like it) and the debugger's violation marks."""

from __future__ import annotations

import orjson

from protocols.ecommerce import ecommerce_plan
from ui.config_setup import Site, seeded, site, track
from ui.test_protocols_pages import pages, text_of

__all__ = ["pages", "seeded", "site"]

BASE = "/protocols/plans/shop/form"


async def _plan(pages: Site) -> dict[str, object]:
    return (await pages.objects("tracking_plan"))["shop"].doc


async def test_events_and_properties_are_added_and_removed_in_the_plans_json(
    pages: Site,
) -> None:
    await pages.put("tracking_plan", {"name": "shop", "sources": ["web"]})
    property_form = {
        "part": "events",
        "event": "Signed Up",
        "property": "plan",
        "type": "string",
        "required": "1",
        "enum": "free, pro, free",
        "pattern": "^[a-z]+$",
        "description": "The plan chosen",
    }
    async with pages.client("editor") as client:
        added = await client.post(f"{BASE}/events", data=pages.form("editor", event="Signed Up"))
        assert added.status_code == 303
        saved = await client.post(f"{BASE}/properties", data=pages.form("editor", **property_form))
        assert saved.status_code == 303
        count = {**property_form, "property": "seats", "type": "integer", "enum": "1, 5"}
        count.pop("pattern"), count.pop("required")
        assert (
            await client.post(f"{BASE}/properties", data=pages.form("editor", **count))
        ).is_redirect
        page = await client.get("/protocols/plans/shop")
    schema = (await _plan(pages))["events"]["Signed Up"]  # type: ignore[index]
    assert schema == {
        "type": "object",
        "properties": {
            "plan": {
                "type": "string",
                "description": "The plan chosen",
                "enum": ["free", "pro"],
                "pattern": "^[a-z]+$",
            },
            "seats": {"type": "integer", "description": "The plan chosen", "enum": [1, 5]},
        },
        "required": ["plan"],
    }
    [running] = pages.ctx.config.tracking_plans
    assert "Signed Up" in running.events
    text = text_of(page.text)
    assert "track · Signed Up" in text and 'one of ["free","pro"]' in text
    assert 'action="/protocols/plans/shop/form/properties/remove"' in page.text

    async with pages.client("editor") as client:
        gone = {"part": "events", "event": "Signed Up", "property": "plan"}
        removed = await client.post(f"{BASE}/properties/remove", data=pages.form("editor", **gone))
        assert removed.status_code == 303
        assert (await _plan(pages))["events"]["Signed Up"] == {  # type: ignore[index]
            "type": "object",
            "properties": {
                "seats": {"type": "integer", "description": "The plan chosen", "enum": [1, 5]}
            },
        }
        event = pages.form("editor", event="Signed Up")
        assert (await client.post(f"{BASE}/events/remove", data=event)).status_code == 303
    assert not (await _plan(pages)).get("events")


async def test_refused_changes_say_why_and_keep_what_was_typed(pages: Site) -> None:
    await pages.put("tracking_plan", ecommerce_plan(sources=["web"]))
    before = await _plan(pages)
    typed = {
        "part": "events",
        "event": "Order Completed",
        "property": "coupon",
        "type": "string",
        "pattern": "(?=lookahead)",
    }
    async with pages.client("editor") as client:
        bad = await client.post(f"{BASE}/properties", data=pages.form("editor", **typed))
        numbers = {**typed, "type": "number", "pattern": "", "enum": "1, two"}
        not_number = await client.post(f"{BASE}/properties", data=pages.form("editor", **numbers))
        twice = await client.post(
            f"{BASE}/events", data=pages.form("editor", event="Order Completed")
        )
        unknown = {**typed, "event": "Nope", "pattern": ""}
        missing = await client.post(f"{BASE}/properties", data=pages.form("editor", **unknown))
        viewer = await client.post(f"{BASE}/events", data={"event": "X"})
    assert bad.status_code == 400
    assert "events.`Order Completed`.properties.coupon.pattern" in text_of(bad.text)
    assert "lookaround" in text_of(bad.text)
    assert 'value="(?=lookahead)"' in bad.text and 'value="coupon"' in bad.text
    assert not_number.status_code == 400 and "'two' is not a number" in text_of(not_number.text)
    assert twice.status_code == 400 and "already has an event" in text_of(twice.text)
    assert missing.status_code == 400 and "add the event first" in text_of(missing.text)
    assert viewer.status_code == 403
    assert await _plan(pages) == before


async def test_viewers_get_no_form_editor(pages: Site) -> None:
    await pages.put("tracking_plan", ecommerce_plan(sources=["web"]))
    async with pages.client("viewer") as client:
        page = await client.get("/protocols/plans/shop")
        refused = await client.post(f"{BASE}/events", data=pages.form("viewer", event="Signed Up"))
    assert "/form/" not in page.text and refused.status_code == 403


async def test_the_debugger_marks_events_that_break_the_sources_plan(pages: Site) -> None:
    await pages.put("tracking_plan", ecommerce_plan(sources=["web"]))
    good = {"order_id": "o1", "revenue": 5, "currency": "EUR", "products": []}
    await pages.append(
        track("m-good", properties=good),
        track("m-bad", properties={**good, "currency": "euro"}),
    )
    async with pages.client("viewer") as client:
        page = await client.get("/debugger/web")
    rows = {chunk.split('"', 1)[0]: chunk for chunk in page.text.split('data-message-id="')[1:]}
    assert "violation" not in text_of(rows["m-good"].split("</tbody>")[0])
    bad = text_of(rows["m-bad"].split("</tbody>")[0])
    assert "1 violation" in bad and "properties.currency" in bad and "pattern" in bad


async def test_sources_without_a_plan_show_no_marks(pages: Site) -> None:
    await pages.append(track("m-1", properties={"anything": orjson.dumps([1]).decode()}))
    async with pages.client("viewer") as client:
        page = await client.get("/debugger/web")
    assert "m-1" in page.text and "violation" not in text_of(page.text)


async def test_traits_get_properties_like_events(pages: Site) -> None:
    await pages.put("tracking_plan", ecommerce_plan(sources=["web"]))
    form = {"part": "identify_traits", "property": "age", "type": "integer", "required": "1"}
    async with pages.client("editor") as client:
        saved = await client.post(f"{BASE}/properties", data=pages.form("editor", **form))
        odd = {**form, "part": "common"}
        refused = await client.post(f"{BASE}/properties", data=pages.form("editor", **odd))
    assert saved.status_code == 303
    traits = (await _plan(pages))["identify_traits"]
    assert traits["properties"]["age"] == {"type": "integer"}  # type: ignore[index]
    assert "age" in traits["required"]  # type: ignore[index]
    assert refused.status_code == 400 and "choose what to edit" in text_of(refused.text)
