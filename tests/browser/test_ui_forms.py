"""In Chromium against `eventyard serve`: the tracking plan's form editor with the debugger's
violation marks, a destination's requests and test event, and the dead letters search, on
real traffic. Screenshots of these pages go to
test-artifacts/screenshots/ (this file runs after test_screenshots.py, which clears them)."""

from __future__ import annotations

import httpx
import orjson
import pytest
from playwright.async_api import Page, expect

from e2e.server_process import ServerProcess
from fakes.webhook_receiver import Answer, Received, WebhookReceiver

from .admin import create_source, create_webhook, log_in
from .conftest import ARTIFACTS, Tab
from .test_accessibility import axe_problems

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

SHOTS = ARTIFACTS / "screenshots"


async def shoot(page: Page, name: str) -> None:
    """Screenshot the page, after an axe-core scan finds no serious or critical problem."""
    assert await axe_problems(page) == [], name
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SHOTS / f"{name}.png", full_page=True, animations="disabled")


async def send_tracks(base: str, write_key: str, *properties: dict[str, object]) -> None:
    """Track calls through the tracking API, as a Segment library sends them."""
    async with httpx.AsyncClient(base_url=base, auth=(write_key, "")) as client:
        for number, props in enumerate(properties):
            body = {"userId": f"u{number}", "event": "Signed Up", "properties": props}
            answer = await client.post("/v1/track", json=body)
            assert answer.status_code == 200, answer.text


async def test_a_plan_built_with_the_form_marks_violations_in_the_debugger(
    axe_tab: Tab, admin_server: ServerProcess
) -> None:
    tab = axe_tab  # pages take the injected axe-core script despite their CSP
    base, page = admin_server.url, tab.page
    await log_in(page, base)
    write_key, _ = await create_source(page, base, "website")
    await page.goto(f"{base}/protocols")
    await page.get_by_label("Name", exact=True).fill("growth")
    await page.get_by_role("button", name="Create plan").click()
    await page.wait_for_url(f"{base}/protocols/plans/growth?done=created")
    await page.get_by_role("checkbox", name="website").check()
    await page.get_by_role("button", name="Save settings").click()

    await page.get_by_label("Event name").fill("Signed Up")
    await page.get_by_role("button", name="Add event").click()
    card = page.locator("#schema-Signed-Up")
    await card.get_by_text("Add or change a property").click()
    await card.get_by_label("Property").fill("plan")
    await card.get_by_label("Allowed values").fill("free, pro")
    await card.get_by_label("Required").check()
    await card.get_by_role("button", name="Save property").click()
    await card.get_by_text("Add or change a property").click()
    await card.get_by_label("Property").fill("referrer")
    await card.get_by_label("Pattern").fill("^https://")
    await card.get_by_role("button", name="Save property").click()
    await expect(card.locator("tbody tr")).to_have_count(2)
    await expect(card).to_contain_text('one of ["free","pro"]')
    await expect(card).to_contain_text("matches ^https://")
    plan = orjson.loads(await page.get_by_label("Plan as JSON").input_value())
    assert plan["events"]["Signed Up"]["required"] == ["plan"]
    await card.get_by_text("Add or change a property").click()
    await shoot(page, "20-plan-form-editor")

    await card.get_by_role("button", name="Remove referrer").click()
    await expect(page.locator("#schema-Signed-Up tbody tr")).to_have_count(1)

    await send_tracks(base, write_key, {"plan": "pro"}, {"plan": "gold"}, {})
    await page.goto(f"{base}/debugger/website")
    rows = page.locator("tbody.event")
    await expect(rows).to_have_count(3)
    marked = page.locator("tbody.event.violating")
    await expect(marked).to_have_count(2)
    await marked.first.locator("tr.summary").click()
    detail = marked.first.locator("tr.detail")
    await expect(detail).to_contain_text("Tracking plan violations")
    await expect(detail).to_contain_text("properties.plan")
    await shoot(page, "21-debugger-violations")
    assert tab.errors == []


def refuse_refunds(request: Received) -> Answer | None:
    """The webhook takes every event but refunds, which it refuses for good."""
    if b'"Order Refunded"' in request.body:
        return Answer(400, body=b'{"error": "refunds are not accepted"}')
    return None


async def test_requests_test_events_and_dead_letter_search(
    axe_tab: Tab, hook: WebhookReceiver, admin_server: ServerProcess
) -> None:
    tab = axe_tab  # pages take the injected axe-core script despite their CSP
    base, page = admin_server.url, tab.page
    hook.on_request = refuse_refunds
    await log_in(page, base)
    write_key, _ = await create_source(page, base, "website")
    await create_webhook(page, base, "orders-hook", "website", hook.url)
    async with httpx.AsyncClient(base_url=base, auth=(write_key, "")) as client:
        for number, name in enumerate(["Order Completed", "Order Refunded"] * 3):
            body = {"userId": f"u{number}", "event": name, "properties": {"n": number}}
            assert (await client.post("/v1/track", json=body)).status_code == 200
    await hook.wait_for(6, timeout=10)

    await page.goto(f"{base}/destinations/orders-hook/requests")
    attempts = page.locator("#last-attempts details.exchange")
    await expect(attempts).to_have_count(6)
    await expect(page.locator("#last-attempts")).to_contain_text("HTTP 400")
    await attempts.first.locator("summary").click()
    await expect(attempts.first).to_contain_text("Request")
    await page.get_by_label("Event (Segment JSON)").fill(
        '{"type": "track", "event": "Checkout Started", "userId": "tester"}'
    )
    await page.get_by_role("button", name="Send test event").click()
    result = page.locator(".test-result")
    await expect(result).to_contain_text("delivered")
    await expect(result).to_contain_text("HTTP 200")
    await expect(result).to_contain_text('"Checkout Started"')
    assert b'"Checkout Started"' in hook.requests[-1].body
    await shoot(page, "22-destination-requests")

    await page.goto(f"{base}/deadletters")
    await page.get_by_label("Error").fill("REFUNDS")
    await page.get_by_role("button", name="Search").click()
    await page.wait_for_url("**/deadletters?*error=REFUNDS*")
    await expect(page.locator("code.message-id")).to_have_count(3)
    await page.get_by_label("Event").fill("no such event")
    await page.get_by_role("button", name="Search").click()
    await expect(page.locator("body")).to_contain_text("No dead letters match")
    await page.get_by_label("Event").fill("")
    await page.get_by_role("button", name="Search").click()
    await expect(page.locator("code.message-id")).to_have_count(3)
    await shoot(page, "23-deadletters-search")
    assert tab.errors == []


async def test_filters_in_one_place_with_the_live_count(
    axe_tab: Tab, hook: WebhookReceiver, admin_server: ServerProcess
) -> None:
    tab = axe_tab  # pages take the injected axe-core script despite their CSP
    base, page = admin_server.url, tab.page
    await log_in(page, base)
    write_key, _ = await create_source(page, base, "website")
    await create_webhook(page, base, "orders-hook", "website", hook.url)
    async with httpx.AsyncClient(base_url=base, auth=(write_key, "")) as client:
        for number, name in enumerate(["Order Completed", "Debug Ping", "Order Completed"]):
            body = {"userId": f"u{number}", "event": name, "properties": {"email": "a@b.c"}}
            assert (await client.post("/v1/track", json=body)).status_code == 200
        identify = {"userId": "u9", "traits": {"plan": "pro"}}
        assert (await client.post("/v1/identify", json=identify)).status_code == 200
    await hook.wait_for(4, timeout=10)

    await page.goto(f"{base}/destinations/orders-hook")
    await expect(page.locator("#filter-rules")).to_contain_text("Filter tab")
    await page.goto(f"{base}/destinations/orders-hook/filter")
    result = page.locator("#filter-result")
    await expect(result).to_contain_text("every event is sent (4 of the last 4)")
    await page.get_by_label("Only send events that match").fill('type = "track"')
    await expect(result).to_contain_text("Keeps 3 of the last 4 events")
    await page.get_by_role("button", name="+ Add rule").click()
    await page.locator('[name="filters.0.if"]').fill('event = "Debug Ping"')
    await expect(result).to_contain_text("Keeps 2 of the last 4 events")
    await expect(result).to_contain_text("1 dropped · filters[0] drop")
    await page.get_by_role("button", name="+ Add rule").click()
    await page.locator('[name="filters.1.then"]').select_option("drop_properties")
    await page.locator('[name="filters.1.properties"]').fill("properties.email")
    await expect(result).to_contain_text("2 of them with properties dropped")
    await shoot(page, "24-destination-filters")
    await page.get_by_role("button", name="Save filters").click()
    await page.wait_for_url(f"{base}/destinations/orders-hook/filter?done=saved")
    await expect(page.locator('[name="filters.1.properties"]')).to_have_value("properties.email")

    await page.goto(f"{base}/destinations/orders-hook")
    entry = page.locator("body")
    await expect(entry).to_contain_text('filter: type = "track"')
    await expect(entry).to_contain_text("drop_properties")
    assert tab.errors == []
