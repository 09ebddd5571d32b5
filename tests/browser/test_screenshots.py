"""Every main admin page, filled with real data (a source, two webhooks, one of them failing,
events sent from a real browser through analytics.js), opened in Chromium: each must load
without script errors or off-machine requests. Full-page screenshots are saved under
test-artifacts/screenshots/ for people to look at (CI keeps them as artifacts)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from e2e.server_process import ServerProcess
from fakes.webhook_receiver import WebhookReceiver

from .admin import create_source, create_webhook, log_in, save_mapping
from .conftest import ARTIFACTS, Site, Tab
from .pages import shop_page

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

SHOTS = ARTIFACTS / "screenshots"
MAPPING = '{"order": {"@path": "$.properties"}, "user": {"@path": "$.userId"}}'


def _clear_shots() -> None:
    """Old files would pass for this run's pages (only this test's numbered ones: other
    tests save theirs beside them)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("[0-9][0-9]*.png"):
        old.unlink()


def _shot_path(name: str) -> Path:
    return SHOTS / f"{name}.png"


async def shoot(page: Page, name: str) -> None:
    await page.screenshot(path=_shot_path(name), full_page=True, animations="disabled")


async def visit(page: Page, url: str, name: str) -> None:
    """Open a page, check it answered 200 with a heading, and screenshot it."""
    response = await page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response}"
    await expect(page.locator("h1").first).to_be_visible()
    await shoot(page, name)


async def test_screenshots_of_the_main_pages(
    tab: Tab, site: Site, hook: WebhookReceiver, admin_server: ServerProcess
) -> None:
    base = admin_server.url
    page = tab.page
    _clear_shots()
    await page.goto(f"{base}/login")
    await shoot(page, "01-login")
    await log_in(page, base)
    await visit(page, f"{base}/", "02-overview-empty")

    _, snippet = await create_source(page, base, "website")
    await create_webhook(page, base, "orders-hook", "website", hook.url)
    await save_mapping(page, base, "orders-hook", MAPPING)
    async with WebhookReceiver() as broken:
        broken.respond(400, body=b'{"error": "invalid api key"}')
        await create_webhook(page, base, "crm-hook", "website", broken.url)
        site.page = shop_page(snippet)
        shop = await tab.context.new_page()
        await shop.goto(f"{site.url}?utm_source=newsletter")
        await shop.wait_for_function("window.analytics && window.analytics.initialized === true")
        await shop.click("#buy")
        await shop.click("#sign-in")
        await shop.click("#buy")
        await hook.wait_for(4, timeout=10)
        await broken.wait_for(4, timeout=10)
        await shop.close()

    await visit(page, f"{base}/", "03-overview")
    await visit(page, f"{base}/sources", "04-sources")
    await visit(page, f"{base}/sources/website", "05-source-snippets")
    await page.get_by_role("tab", name="Minified").click()
    minified = page.locator("#snippet-browser-minified")
    await expect(minified).to_be_visible()
    await expect(page.locator("#snippet-browser")).to_be_hidden()
    assert "\n" not in await minified.inner_text()
    await shoot(page, "05b-source-snippet-minified")
    await visit(page, f"{base}/catalog", "06-catalog")
    await visit(page, f"{base}/catalog/webhook", "07-destination-setup")
    await visit(page, f"{base}/destinations", "08-destinations")
    await visit(page, f"{base}/destinations/orders-hook", "09-destination-settings")
    await visit(page, f"{base}/destinations/orders-hook/filter", "10-destination-filter")
    await visit(page, f"{base}/destinations/orders-hook/mappings", "11-mappings-preview")
    await expect(page.locator("#preview-send")).to_contain_text('"user": "user-42"')

    await page.goto(f"{base}/debugger/website")
    rows = page.locator("tbody.event tr.summary")
    await expect(rows).to_have_count(4)
    await rows.first.click()
    await expect(page.locator("tbody.event tr.detail").first).to_contain_text("orders-hook")
    await shoot(page, "12-debugger")

    await visit(page, f"{base}/delivery", "13-delivery")
    await visit(page, f"{base}/delivery/orders-hook", "14-delivery-destination")
    await visit(page, f"{base}/delivery/crm-hook", "14b-delivery-failing")
    await expect(page.locator("rect.bar.series-dead")).to_have_count(1)
    await visit(page, f"{base}/deadletters", "15-deadletters")
    await expect(page.locator("body")).to_contain_text("invalid api key")
    await page.locator("details.payload summary").first.click()
    await shoot(page, "15-deadletters")
    await visit(page, f"{base}/settings/tokens", "16-settings-tokens")
    await visit(page, f"{base}/settings/users", "17-settings-users")
    await visit(page, f"{base}/settings/audit", "18-settings-audit")
    update = page.locator("details.entry", has_text="update")
    await update.locator("summary").click()
    await expect(update).to_contain_text("@path")  # the mapping change, before and after
    await shoot(page, "18-settings-audit")
    assert tab.errors == []
