"""An admin's steps in the UI (log in, create a source, set up a webhook with a mapping),
shared by the browser tests."""

from __future__ import annotations

from playwright.async_api import Page

__all__ = ["ADMIN_PASSWORD", "create_source", "create_webhook", "log_in", "save_mapping"]

ADMIN_PASSWORD = "browser-test-password-1"


async def log_in(page: Page, base: str) -> None:
    await page.goto(f"{base}/login")
    await page.get_by_label("Email or user name").fill("admin")
    await page.get_by_label("Password").fill(ADMIN_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{base}/")


async def create_source(page: Page, base: str, name: str) -> tuple[str, str]:
    """Creates the source on /sources; returns its write key and analytics.js snippet."""
    await page.goto(f"{base}/sources")
    await page.get_by_label("New source").fill(name)
    await page.get_by_role("button", name="Create source").click()
    await page.wait_for_url(f"{base}/sources/{name}?done=created")
    write_key = (await page.locator("#write-key").inner_text()).strip()
    snippet = await page.locator("#snippet-browser").inner_text()
    return write_key, snippet


async def create_webhook(page: Page, base: str, name: str, source: str, url: str) -> None:
    await page.goto(f"{base}/catalog")
    await page.locator('a[href="/catalog/webhook"]').click()
    await page.wait_for_url(f"{base}/catalog/webhook")
    await page.get_by_label("Name").first.fill(name)
    await page.get_by_role("checkbox", name=source).check()
    await page.locator('[name="settings.url"]').fill(url)
    await page.get_by_role("button", name="Create destination").click()
    await page.wait_for_url(f"{base}/destinations/{name}?done=created")


async def save_mapping(page: Page, base: str, destination: str, data: str) -> None:
    """Sets the webhook `send` action's `data` mapping (JSON text) and saves it."""
    await page.goto(f"{base}/destinations/{destination}/mappings")
    await page.locator('#action-send textarea[name="mapping.data"]').fill(data)
    await page.locator("#action-send").get_by_role("button", name="Save mapping").click()
    await page.wait_for_url(f"{base}/destinations/{destination}/mappings?done=saved*")
