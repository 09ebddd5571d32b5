"""An automated accessibility scan (axe-core, WCAG 2.1 A and AA rules) of every admin page with
data in it, and the keyboard paths a person without a mouse takes: the skip link, the
workspace switch, the chart's numbers. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from playwright.async_api import Page, expect

from .conftest import ARTIFACTS, Tab
from .filled import AXE, Filled, filled, signed_in

__all__ = ["filled"]

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

SHOTS = ARTIFACTS / "screenshots"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PAGES = [
    "/",
    "/sources",
    "/sources/web",
    "/destinations",
    "/catalog",
    "/catalog/webhook",
    "/destinations/orders-hook",
    "/destinations/orders-hook/mappings",
    "/destinations/orders-hook/filter",
    "/delivery",
    "/delivery/crm-hook",
    "/delivery/flaky-hook",
    "/debugger",
    "/debugger/web",
    "/deadletters",
    "/protocols",
    "/protocols/plans/shop",
    "/protocols/violations",
    "/profiles?q=ada%40example.com",
    "/settings/account",
    "/settings/workspaces",
    "/settings/tokens",
    "/settings/users",
    "/settings/audit",
]


async def axe_problems(page: Page) -> list[str]:
    """The serious and critical WCAG 2.1 A/AA violations axe-core finds on the page."""
    await page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = await page.evaluate(
        "rules => axe.run(document, {runOnly: {type: 'tag', values: rules}})", RULES
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def profile_of(page: Page, base: str, email: str) -> str:
    """The profile page's path, once the profile builder has read the identify."""
    profile = page.locator("main a[href^='/profiles/']").first
    for _ in range(100):
        await page.goto(f"{base}/profiles?q={quote(email)}")
        if await profile.count():
            path = await profile.get_attribute("href")
            assert path
            return path
        await page.wait_for_timeout(100)
    raise AssertionError(f"no profile found for {email}")


def _shot_name(path: str) -> str:
    if path.startswith("/profiles/"):
        return "a11y-profile"  # one file, whatever the profile's id
    cleaned = path.strip("/").split("?")[0].replace("/", "-") or "overview"
    return f"a11y-{cleaned}"


async def test_every_admin_page_passes_the_axe_scan(axe_tab: Tab, filled: Filled) -> None:
    page = await signed_in(axe_tab, filled)
    profile_path = await profile_of(page, filled.url, "ada@example.com")
    SHOTS.mkdir(parents=True, exist_ok=True)
    found = {}
    for path in [*PAGES, profile_path]:
        answer = await page.goto(f"{filled.url}{path}")
        assert answer is not None and answer.status == 200, path
        problems = await axe_problems(page)
        if problems:
            found[path] = problems
        shot = SHOTS / f"{_shot_name(path)}.png"
        await page.screenshot(path=shot, full_page=True, animations="disabled")
    assert not found, "\n".join(f"{path}: {p}" for path, ps in found.items() for p in ps)
    assert axe_tab.errors == []


async def test_the_skip_link_leads_past_the_sidebar(tab: Tab, filled: Filled) -> None:
    page = await signed_in(tab, filled)
    await page.goto(f"{filled.url}/delivery")
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    await expect(skip).to_be_focused()
    await expect(skip).to_be_in_viewport()
    await page.keyboard.press("Enter")
    await expect(page.locator("main#main")).to_be_focused()
    await page.keyboard.press("Tab")  # the next stop is in the content, not the sidebar
    inside = await page.evaluate("document.activeElement.closest('main') !== null")
    assert inside


async def test_arrow_keys_on_the_workspace_selector_do_not_switch(tab: Tab, filled: Filled) -> None:
    page, base = await signed_in(tab, filled), filled.url
    await page.goto(f"{base}/settings/workspaces")
    await page.locator("#workspace-name").fill("staging")
    await page.get_by_role("button", name="Create workspace").click()
    await page.goto(f"{base}/sources")
    selector = page.get_by_label("Workspace", exact=True)
    await expect(selector).to_have_value("staging")
    await selector.focus()
    await page.keyboard.press("ArrowUp")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("ArrowUp")
    await expect(selector).to_have_value("default")  # chosen, not yet switched
    assert page.url == f"{base}/sources"
    web = page.locator('main a[href="/sources/web"]')
    await expect(web).to_have_count(0)  # still staging's page
    await page.get_by_role("button", name="Switch").click()
    await page.wait_for_url(f"{base}/sources")
    await expect(web).to_have_count(1)
    await expect(selector).to_have_value("default")


async def test_links_and_buttons_name_what_they_act_on(tab: Tab, filled: Filled) -> None:
    page = await signed_in(tab, filled)
    await page.goto(f"{filled.url}/catalog")
    await expect(page.get_by_role("link", name="Set up Webhook", exact=True)).to_have_count(1)
    await page.goto(f"{filled.url}/deadletters?destination=crm-hook")
    retry = page.get_by_role("button", name="Retry dead letter")
    await expect(retry).to_have_count(4)
    names = await retry.evaluate_all("all => all.map(b => b.textContent.replace(/\\s+/g, ' '))")
    assert len(set(names)) == 4, names  # each one its own name
    assert sum("(Order Completed)" in name for name in names) == 2, names
    await expect(
        page.get_by_role("button", name="Retry 4 dead letters of crm-hook")
    ).to_be_visible()
