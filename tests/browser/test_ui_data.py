"""In Chromium against `eventyard serve`, with traffic from Segment's Python library and raw
tracking calls: the source Schema page and its block toggle (the blocked event's trace says
why), the debugger's server search with "Load older", rejected events on the Overview and
the Source page, and the mapping field picker. Screenshots of these pages go to
test-artifacts/screenshots/ (this file runs after test_screenshots.py, which clears them)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from playwright.async_api import Page, expect
from segment.analytics.client import Client

from e2e.server_process import ServerProcess
from fakes.webhook_receiver import WebhookReceiver

from .admin import create_source, create_webhook, log_in
from .conftest import ARTIFACTS, Tab
from .filled import Filled, filled, signed_in
from .test_accessibility import axe_problems

__all__ = ["filled"]

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

SHOTS = ARTIFACTS / "screenshots"


async def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SHOTS / f"{name}.png", full_page=True, animations="disabled")


async def send(base: str, write_key: str, calls: list[tuple[str, dict[str, object]]]) -> None:
    """Calls through Segment's Python library, in its batches, all sent before returning."""

    def run() -> None:
        client = Client(write_key, host=base, max_retries=1, upload_interval=0.05)
        for method, fields in calls:
            getattr(client, method)(**fields)
        client.flush()
        client.join()

    await asyncio.to_thread(run)


async def website(tab: Tab, server: ServerProcess) -> tuple[str, Page, str]:
    """Signed in, with source `website` made on its page: (base URL, page, write key)."""
    await log_in(tab.page, server.url)
    write_key, _ = await create_source(tab.page, server.url, "website")
    return server.url, tab.page, write_key


async def reload_until(page: Page, url: str, text: str) -> None:
    """The router counts a batch within about a second: reload until the page shows it."""
    for _ in range(40):
        await page.goto(url)
        if await page.get_by_text(text, exact=True).count():
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"{url} never showed {text!r}")


ORDER = {"revenue": 42.5, "currency": "EUR", "shipping": {"method": "express"}}


async def test_schema_page_blocks_an_event_and_its_trace_says_why(
    tab: Tab, hook: WebhookReceiver, admin_server: ServerProcess
) -> None:
    base, page, write_key = await website(tab, admin_server)
    await create_webhook(page, base, "orders-hook", "website", hook.url)
    await send(
        base,
        write_key,
        [
            ("track", {"user_id": "u1", "event": "Order Completed", "properties": ORDER}),
            ("track", {"user_id": "u2", "event": "Order Completed", "properties": ORDER}),
            ("identify", {"user_id": "u1", "traits": {"email": "ada@example.com"}}),
        ],
    )
    await hook.wait_for(3, timeout=10)
    schema = f"{base}/sources/website/schema"
    await reload_until(page, schema, "properties.shipping.method")
    row = page.locator("tbody.schema-event", has_text="Order Completed")
    await expect(row.locator("tr").first).to_contain_text("no plan")
    await expect(row.locator("tr.schema-path", has_text="properties.revenue")).to_contain_text("2")
    await expect(page.locator("tbody.schema-event", has_text="traits.email")).to_be_visible()

    await page.get_by_role("button", name="Block Order Completed").click()
    await page.wait_for_url(f"{schema}?done=saved#event-Order%20Completed")
    await expect(page.get_by_role("button", name="Unblock Order Completed")).to_be_visible()
    blocked = {"user_id": "u3", "event": "Order Completed", "message_id": "blocked-1"}
    await send(
        base, write_key, [("track", blocked), ("track", {"user_id": "u3", "event": "Other"})]
    )
    await hook.wait_for(4, timeout=10)  # "Other" arrives; the blocked one never does
    await reload_until(page, schema, "Other")
    await expect(row.locator("tr").first).to_contain_text("(1 blocked)")
    await shoot(page, "30-source-schema")

    await page.goto(f"{base}/debugger/website")
    event = page.locator('tbody[data-message-id="blocked-1"]')
    await event.locator("tr.summary").click()
    trace = event.locator("[data-trace]")
    await expect(trace).to_contain_text("Blocked")
    await expect(trace).to_contain_text("blocked by schema: source 'website' blocks")
    await shoot(page, "31-debugger-blocked-by-schema")
    assert all(b"blocked-1" not in r.body for r in hook.requests)
    assert not tab.errors


async def test_debugger_searches_the_whole_log_and_loads_older(
    tab: Tab, admin_server: ServerProcess
) -> None:
    base, page, write_key = await website(tab, admin_server)
    calls: list[tuple[str, dict[str, object]]] = [
        ("track", {"user_id": "needle-user", "event": "Signed Up", "message_id": "needle-1"})
    ]
    calls += [("track", {"user_id": f"u{n}", "event": "Viewed"}) for n in range(120)]
    await send(base, write_key, calls)

    await page.goto(f"{base}/debugger/website")
    rows = page.locator("table.events tbody.event")
    await expect(rows).to_have_count(50)
    await expect(page.locator('tbody[data-message-id="needle-1"]')).to_have_count(0)
    await page.get_by_role("link", name="Load older").click()
    await expect(rows).to_have_count(100)
    await page.get_by_role("link", name="Load older").click()
    await expect(rows).to_have_count(121)
    await expect(page.get_by_text("Start of the log")).to_be_visible()

    await page.get_by_label("Search everything in the log").fill("needle-user")
    await page.get_by_label("Search in").select_option("userId")
    await page.get_by_role("button", name="Search").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-message-id", "needle-1")
    await expect(page.get_by_role("status").first).to_contain_text("Events matching")
    await shoot(page, "32-debugger-search")
    assert not tab.errors


async def test_rejected_events_are_counted_on_the_overview_and_the_source_page(
    tab: Tab, admin_server: ServerProcess
) -> None:
    base, page, write_key = await website(tab, admin_server)
    async with httpx.AsyncClient(base_url=base, auth=(write_key, "")) as client:
        for _ in range(3):  # no userId nor anonymousId: a 400
            assert (await client.post("/v1/track", json={"event": "Lost"})).status_code == 400
        refused = await client.post("/v1/batch", json={"batch": {"not": "a list"}})
        assert refused.status_code == 400
    await send(base, write_key, [("track", {"user_id": "u1", "event": "Fine"})])

    await page.goto(f"{base}/")
    link = page.locator('a[href="/sources/website#rejected"]').first
    await expect(link).to_have_text("4 rejected")
    await shoot(page, "33-overview-rejections")
    await link.click()
    card = page.locator("#rejected")
    await expect(card).to_contain_text("no_user_anon_id")
    await expect(card).to_contain_text("invalid_request")
    await card.locator("details summary").first.click()
    await expect(card.locator("pre.json").first).to_contain_text('"Lost"')
    await card.scroll_into_view_if_needed()
    await shoot(page, "34-source-rejections")
    assert not tab.errors


async def test_mapping_field_picker_fills_the_json_and_updates_the_preview(
    tab: Tab, hook: WebhookReceiver, admin_server: ServerProcess
) -> None:
    base, page, write_key = await website(tab, admin_server)
    await create_webhook(page, base, "orders-hook", "website", hook.url)
    order = {"user_id": "u1", "event": "Order Completed", "properties": ORDER}
    await send(base, write_key, [("track", order)])
    await hook.wait_for(1, timeout=10)

    mappings = f"{base}/destinations/orders-hook/mappings"
    for _ in range(40):  # until the router has counted the event's paths
        await page.goto(mappings)
        if await page.locator('option[value="properties.shipping"]').count():
            break
        await asyncio.sleep(0.25)
    card = page.locator("#action-send")
    await card.get_by_label("Or pick a field").last.select_option("properties.shipping")
    data = card.locator('textarea[name="mapping.data"]')
    await expect(data).to_have_value('{\n  "@path": "$.properties.shipping"\n}')
    preview = card.locator(".preview")
    await expect(preview).to_contain_text('"data": {')
    await expect(preview).to_contain_text('"method": "express"')
    await shoot(page, "35-mapping-field-picker")
    await card.get_by_role("button", name="Save mapping").click()
    await page.wait_for_url(f"{mappings}?done=saved*")
    await expect(card.locator('textarea[name="mapping.data"]')).to_have_value(
        '{\n  "@path": "$.properties.shipping"\n}'
    )
    assert not tab.errors


async def test_the_new_pages_pass_the_axe_scan(axe_tab: Tab, filled: Filled) -> None:
    """The schema page, a search's results and a page of older events, with data in them
    (the Overview, Source, debugger and mappings pages are in test_accessibility's list)."""
    page = await signed_in(axe_tab, filled)
    found = {}
    for path in ("/sources/web/schema", "/debugger/web?q=u&field=userId", "/debugger/web?q=zzz"):
        answer = await page.goto(f"{filled.url}{path}")
        assert answer is not None and answer.status == 200, path
        if path.endswith("/schema"):  # with rows in it
            await expect(page.locator("tbody.schema-event").first).to_be_visible()
        if problems := await axe_problems(page):
            found[path] = problems
    assert not found, "\n".join(f"{path}: {p}" for path, ps in found.items() for p in ps)
    assert axe_tab.errors == []
