"""The issue's flow, as a person does it in a browser against a real `eventyard serve`: log
in, create a source, add a webhook destination with a mapping, paste the source's snippet
into a web page, click, and see the event in the live debugger and, mapped, at the webhook."""

from __future__ import annotations

import orjson
import pytest
from playwright.async_api import expect

from e2e.server_process import ServerProcess
from fakes.webhook_receiver import WebhookReceiver

from .admin import create_source, create_webhook, log_in, save_mapping
from .conftest import Site, Tab
from .pages import shop_page

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

MAPPING = """{
  "event": {"@path": "$.event"},
  "who": {"@path": "$.anonymousId"},
  "plan": {"@path": "$.properties.plan"},
  "library": {"@path": "$.context.library.name"}
}"""


async def test_set_up_in_the_ui_then_see_a_click_arrive(
    tab: Tab, site: Site, hook: WebhookReceiver, admin_server: ServerProcess
) -> None:
    base = admin_server.url
    admin = tab.page
    await log_in(admin, base)
    write_key, snippet = await create_source(admin, base, "shop")
    assert write_key and write_key in snippet
    assert f"{base}" in snippet and "cdn.segment.com" not in snippet
    await create_webhook(admin, base, "shop-hook", "shop", hook.url)
    await save_mapping(admin, base, "shop-hook", MAPPING)

    await admin.goto(f"{base}/debugger/shop")
    await expect(admin.locator("[data-status]")).to_have_attribute("data-state", "live")
    site.page = shop_page(snippet)
    shop = await tab.context.new_page()
    await shop.goto(site.url)
    await shop.wait_for_function("window.analytics && window.analytics.initialized === true")
    await shop.click("#buy")
    anonymous_id = await shop.evaluate("analytics.user().anonymousId()")

    row = admin.locator('tbody.event[data-type="track"] tr.summary')
    await expect(row).to_contain_text("Button Clicked", timeout=10_000)
    await expect(admin.locator('tbody.event[data-type="page"]')).to_have_count(1)
    await row.click()
    detail = admin.locator('tbody.event[data-type="track"] tr.detail')
    await expect(detail).to_contain_text('"plan": "pro"')
    await expect(detail).to_contain_text("delivered", timeout=10_000)

    await hook.wait_for(2, timeout=10)
    bodies = [orjson.loads(request.body) for request in hook.requests]
    clicked = {"event": "Button Clicked", "who": anonymous_id, "plan": "pro"}
    assert {**clicked, "library": "analytics.js"} in bodies
    assert {"who": anonymous_id, "library": "analytics.js"} in bodies  # the page view

    await admin.goto(f"{base}/destinations/shop-hook/mappings")
    preview = admin.locator("#preview-send")
    await expect(preview).to_contain_text('"event": "Button Clicked"')
    assert tab.errors == []
