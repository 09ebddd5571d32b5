"""Protocols pages: plans (create, import, schema view, settings, JSON edit, downloads),
transformations, and violations per day linking to the example event's trace."""

from __future__ import annotations

import html
import sqlite3
import time
from collections.abc import AsyncIterator

import orjson
import pytest
from starlette.applications import Starlette

from eventyard.control import store
from eventyard.protocols import store as protocol_store
from eventyard.ui.app import ui_routes
from eventyard.ui.protocols import protocol_ui_routes
from protocols.ecommerce import ecommerce_plan
from protocols.test_segment_format import PUBLIC_API
from ui.config_setup import Site, seeded, site
from ui.config_setup import text_of as tagless

__all__ = ["seeded", "site"]


@pytest.fixture
async def pages(site: Site) -> AsyncIterator[Site]:
    """The admin UI with the Protocols pages, and a quarantine source."""
    await site.put("source", {"name": "quarantine"})
    routes = [*protocol_ui_routes(site.ctx), *ui_routes(site.ctx)]
    yield Site(site.ctx, Starlette(routes=routes), site.sessions)


def text_of(page: str) -> str:
    """What a reader sees: no tags, entities decoded."""
    return html.unescape(tagless(page))


async def put_plan(pages: Site, **extra: object) -> None:
    await pages.put("tracking_plan", ecommerce_plan(sources=["web"], **extra))


async def test_the_empty_page_invites_to_create_or_import(pages: Site) -> None:
    async with pages.client("editor") as client:
        page = await client.get("/protocols")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "No tracking plans yet" in text and "Import a plan" in text


async def test_viewers_see_plans_but_no_forms(pages: Site) -> None:
    await put_plan(pages)
    async with pages.client("viewer") as client:
        page = await client.get("/protocols")
        assert "shop" in page.text and 'action="/protocols/plans"' not in page.text
        refused = await client.post("/protocols/plans", data=pages.form("viewer", name="x"))
    assert refused.status_code == 403


async def test_creating_a_plan_opens_its_page(pages: Site) -> None:
    async with pages.client("editor") as client:
        answer = await client.post("/protocols/plans", data=pages.form("editor", name="shop"))
        assert answer.status_code == 303
        assert answer.headers["location"] == "/protocols/plans/shop?done=created"
        page = await client.get(answer.headers["location"])
        assert "No events planned yet" in text_of(page.text)
        again = await client.post("/protocols/plans", data=pages.form("editor", name="shop"))
        assert again.status_code == 400 and "already exists" in again.text
        odd = await client.post("/protocols/plans", data=pages.form("editor", name="<b>x</b>"))
        assert odd.status_code == 400 and "<b>x</b>" not in odd.text


async def test_a_csrf_token_is_required(pages: Site) -> None:
    async with pages.client("editor") as client:
        answer = await client.post("/protocols/plans", data={"name": "x"})
    assert answer.status_code == 403


async def test_the_plan_page_shows_each_schema_and_the_settings(pages: Site) -> None:
    await put_plan(pages, settings={"violations": "block"})
    async with pages.client("viewer") as client:
        page = await client.get("/protocols/plans/shop")
    text = text_of(page.text)
    assert "track · Order Completed" in text and "identify" in text
    assert "products[].price" in text and ">= 0" in text and "matches ^[A-Z]{3}$" in text
    assert '<option value="block" selected>' in page.text
    assert "No violations recorded" in text


async def test_settings_and_sources_are_saved_and_live(pages: Site) -> None:
    await put_plan(pages)
    form = pages.form(
        "editor",
        sources="web",
        unplanned_events="block",
        unplanned_properties="omit",
        unplanned_traits="allow",
        violations="forward",
        forward_to="quarantine",
    )
    async with pages.client("editor") as client:
        answer = await client.post("/protocols/plans/shop/settings", data=form)
        assert answer.status_code == 303
        [plan] = pages.ctx.config.tracking_plans
        assert plan.settings.violations == "forward" and plan.settings.forward_to == "quarantine"
        assert plan.sources == ["web"]
        refused = await client.post(
            "/protocols/plans/shop/settings", data={**form, "forward_to": ""}
        )
    assert refused.status_code == 400
    assert "name the quarantine source" in text_of(refused.text)


async def test_omit_and_the_common_schemas_own_control_are_saved(pages: Site) -> None:
    await put_plan(pages)
    form = pages.form("editor", sources="web", violations="omit", common_violations="block")
    async with pages.client("editor") as client:
        answer = await client.post("/protocols/plans/shop/settings", data=form)
        assert answer.status_code == 303
        [plan] = pages.ctx.config.tracking_plans
        assert (plan.settings.violations, plan.settings.common_violations) == ("omit", "block")
        page = await client.get("/protocols/plans/shop")
        assert 'value="block" selected' in page.text.split('id="s-common_violations"')[1]
        same = {**form, "common_violations": ""}  # "as events with violations"
        assert (await client.post("/protocols/plans/shop/settings", data=same)).status_code == 303
    assert pages.ctx.config.tracking_plans[0].settings.common_violations is None


async def test_editing_as_json_checks_like_the_file_and_keeps_what_was_typed(pages: Site) -> None:
    await put_plan(pages)
    broken = orjson.dumps(ecommerce_plan(events={"X": {"type": "numbr"}})).decode()
    async with pages.client("editor") as client:
        answer = await client.post(
            "/protocols/plans/shop", data=pages.form("editor", document=broken)
        )
        assert answer.status_code == 400
        assert "tracking_plans.shop.events.X.type" in text_of(answer.text)
        assert "numbr" in answer.text
        renamed = await client.post(
            "/protocols/plans/shop", data=pages.form("editor", document='{"name": "other"}')
        )
        assert renamed.status_code == 400 and "cannot change" in renamed.text
        junk = await client.post("/protocols/plans/shop", data=pages.form("editor", document="{"))
        assert junk.status_code == 400 and "not valid JSON" in junk.text
        fixed = orjson.dumps({"name": "shop", "events": {"Signed Up": {}}}).decode()
        saved = await client.post(
            "/protocols/plans/shop", data=pages.form("editor", document=fixed)
        )
        assert saved.status_code == 303
    assert list((await pages.objects("tracking_plan"))["shop"].doc["events"]) == ["Signed Up"]


async def test_importing_a_segment_plan_from_the_page(pages: Site) -> None:
    document = orjson.dumps(PUBLIC_API).decode()
    form = pages.form("editor", format="segment", name="", event="", document=document)
    async with pages.client("editor") as client:
        answer = await client.post("/protocols/import", data=form)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/protocols/plans/kicks-app?done=saved"
        rules = {
            "rules": [
                *PUBLIC_API["data"]["trackingPlan"]["rules"],
                {"type": "PAGE", "jsonSchema": {}},
            ]
        }  # type: ignore[index]
        warned = await client.post(
            "/protocols/import",
            data={**form, "document": orjson.dumps(rules).decode(), "name": "kicks-app"},
        )
        assert warned.status_code == 200 and "PAGE rule was left out" in text_of(warned.text)
        bad = await client.post("/protocols/import", data={**form, "document": "[]"})
        assert bad.status_code == 400 and "write a JSON object" in bad.text


async def test_downloads(pages: Site) -> None:
    await put_plan(pages)
    async with pages.client("viewer") as client:
        segment = await client.get("/protocols/plans/shop/download/segment.json")
        assert segment.json()["rules"][0]["type"] == "TRACK"
        assert "shop-segment.json" in segment.headers["content-disposition"]
        python = await client.get("/protocols/plans/shop/download/tracking.py")
        assert "def order_completed(" in python.text
        typescript = await client.get("/protocols/plans/shop/download/tracking.ts")
        assert "export function orderCompleted(" in typescript.text
        assert (await client.get("/protocols/plans/shop/download/x.sh")).status_code == 404
        assert (await client.get("/protocols/plans/nope/download/tracking.py")).status_code == 404


async def test_violations_per_day_link_to_the_trace(pages: Site) -> None:
    await put_plan(pages)
    today = protocol_store.day_of(time.time())

    def seed(conn: sqlite3.Connection) -> None:
        row = protocol_store.ViolationRow(
            today, "web", "Order <Completed>", "properties.revenue", "type", "shop",
            "number", '"55" (string)', "d", "m-example/1", time.time(),
        )  # fmt: skip
        protocol_store.record_violations(conn, [row, row])
        tally = protocol_store.EventTally(today, "web", "Order <Completed>", "shop", 1, 1, 1)
        protocol_store.record_events(conn, [tally])
        store.create_workspace(conn, "elsewhere-ws", "t")

    await pages.ctx.state.run(seed)
    async with pages.client("viewer") as client:
        page = await client.get("/protocols/violations?days=7&plan=shop")
        summary = await client.get("/protocols")
        stranger = await client.get("/protocols/violations?days=abc&plan=<x>")
    text = text_of(page.text)
    assert today in text and "1 events checked · 1 with violations · 1 blocked" in text
    assert "properties.revenue" in text and '"55" (string)' in text and "Order <Completed>" in text
    assert "<Completed>" not in page.text  # escaped
    assert 'href="/debugger/web/trace/m-example/1"' in page.text
    assert 'href="/protocols/violations?plan=shop">1</a>' in summary.text
    assert stranger.status_code == 200


async def test_transformations_create_edit_delete(pages: Site) -> None:
    doc = {"name": "rename", "sources": ["web"], "if": 'event = "A"', "rename_event": "B"}
    async with pages.client("editor") as client:
        created = await client.post(
            "/protocols/transformations",
            data=pages.form("editor", document=orjson.dumps(doc).decode()),
        )
        assert created.headers["location"] == "/protocols/transformations/rename?done=created"
        listing = text_of((await client.get("/protocols")).text)
        assert "rename event to B" in listing
        bad = orjson.dumps({**doc, "if": "a = = b"}).decode()
        refused = await client.post(
            "/protocols/transformations/rename", data=pages.form("editor", document=bad)
        )
        assert refused.status_code == 400 and "transformations.rename.if" in text_of(refused.text)
        deleted = await client.post(
            "/protocols/transformations/rename/delete", data=pages.form("editor")
        )
        assert deleted.headers["location"] == "/protocols?done=deleted"
    assert pages.ctx.config.transformations == []


async def test_deleting_a_plan(pages: Site) -> None:
    await put_plan(pages)
    async with pages.client("editor") as client:
        answer = await client.post("/protocols/plans/shop/delete", data=pages.form("editor"))
        assert answer.headers["location"] == "/protocols?done=deleted"
        assert (await client.get("/protocols/plans/shop")).status_code == 404
    assert pages.ctx.config.tracking_plans == []


async def test_another_workspace_plans_are_not_found(pages: Site) -> None:
    await pages.put("tracking_plan", {"name": "secret"}, workspace="other")
    async with pages.client("owner") as client:
        assert (await client.get("/protocols/plans/secret")).status_code == 404
        assert "secret" not in (await client.get("/protocols")).text
