"""What a first-time user found wrong on the admin pages, checked in Chromium against a real
`eventyard serve` with real traffic (tests/browser/filled.py): delivery detail, dead
letters, violations, profiles, wording, mappings and form errors."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Dialog, Page, expect

from .conftest import ARTIFACTS, Tab
from .filled import Filled, filled, signed_in
from .test_accessibility import profile_of

__all__ = ["filled"]

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

SHOTS = ARTIFACTS / "screenshots"


async def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SHOTS / f"{name}.png", full_page=True, animations="disabled")


async def leaving_asks_first(page: Page) -> None:
    """Clicking away from the page raises the browser's "Leave site?" question; the answer
    is to stay."""
    asked: list[str] = []

    async def stay(dialog: Dialog) -> None:
        asked.append(dialog.type)
        await dialog.dismiss()

    page.once("dialog", stay)
    async with page.expect_event("dialog"):
        await page.get_by_role("link", name="Sources", exact=True).click()
    assert asked == ["beforeunload"]


async def test_delivery_detail_says_failing_and_counts_events_apart_from_attempts(
    tab: Tab, filled: Filled
) -> None:
    page = await signed_in(tab, filled)
    await page.goto(f"{filled.url}/delivery/flaky-hook")
    subtitle = page.locator(".page-title .subtitle")
    await expect(subtitle.locator(".badge.danger")).to_have_text("Failing")
    await expect(page.locator("body")).not_to_contain_text("Sending")
    events, attempts = page.locator("svg.chart").nth(0), page.locator("svg.chart").nth(1)
    await expect(events).to_have_attribute("aria-label", "Events per hour by outcome")
    await expect(events.locator("rect.bar.series-retried")).to_have_count(0)
    await expect(events.locator("rect.bar.series-dead")).to_have_count(1)
    await expect(attempts).to_have_attribute("aria-label", "Failed attempts per hour")
    await expect(attempts.locator("rect.bar.series-retried")).to_have_count(1)

    # one cause, whether an attempt failed with it or the event died of it past max_age
    errors = page.locator(".error-list li")
    await expect(errors).to_have_count(1)
    await expect(errors).to_contain_text("HTTP 503")
    await expect(errors).not_to_contain_text("max_age")

    # the numbers behind the bars, by keyboard: Tab to the summary, Enter opens the table
    summary = page.locator("details.chart-numbers > summary")
    await summary.focus()
    await page.keyboard.press("Enter")
    row = page.locator("details.chart-numbers tbody tr")
    await expect(row).to_have_count(1)
    cells = await row.locator("td").all_inner_texts()
    heads = await page.locator("details.chart-numbers thead th").all_inner_texts()
    numbers = dict(zip(heads[1:], cells, strict=True))
    assert numbers["Dead"] == "4" and int(numbers["Failed attempts"]) >= 4, numbers
    assert "Delivered" in numbers and numbers["Delivered"] == "0"
    await shoot(page, "fix-delivery-failing")


async def test_dead_letters_name_the_original_event_despite_a_renaming_mapping(
    tab: Tab, filled: Filled
) -> None:
    page = await signed_in(tab, filled)
    await page.goto(f"{filled.url}/deadletters?destination=crm-hook")
    summaries = page.locator(".letter-summary")
    await expect(summaries).to_have_count(4)
    texts = sorted(" ".join(t.split()) for t in await summaries.all_inner_texts())
    assert texts == [
        "identify —",
        "page Getting Started",
        "track Order Completed",
        "track Order Completed",
    ], texts
    order = page.locator("tr", has=page.locator(".letter-summary", has_text="Order Completed"))
    payload = order.first.locator("details.payload pre")
    assert "Order Completed" in (await payload.text_content() or "")  # `what`, not `event`
    await shoot(page, "fix-deadletters-names")


async def test_a_violation_trace_opens_in_a_full_width_row(tab: Tab, filled: Filled) -> None:
    page = await signed_in(tab, filled)
    await page.goto(f"{filled.url}/protocols/violations")
    table = page.locator("main table.table").first
    await page.get_by_role("link", name=re.compile("^Trace")).first.click()
    pane = page.locator(".trace-pane").first
    await expect(pane.locator("ol.trace")).to_be_visible()
    await expect(pane).to_contain_text("orders-hook")
    list_style = await pane.locator("ol.trace").evaluate("e => getComputedStyle(e).listStyleType")
    assert list_style == "none"  # styled as in the debugger
    pane_box, table_box = await pane.bounding_box(), await table.bounding_box()
    assert pane_box is not None and table_box is not None
    assert pane_box["width"] > table_box["width"] * 0.9  # not squeezed into a narrow cell
    await pane.get_by_role("button", name="Refresh").click()
    await expect(pane.locator("ol.trace")).to_be_visible()
    await shoot(page, "fix-violations-trace")


async def test_a_profile_is_headed_by_the_persons_name(tab: Tab, filled: Filled) -> None:
    page = await signed_in(tab, filled)
    path = await profile_of(page, filled.url, "ada@example.com")
    await page.goto(f"{filled.url}{path}")
    await expect(page.locator("h1")).to_have_text("Ada Lovelace")
    await expect(page).to_have_title(re.compile("^Ada Lovelace"))
    await expect(page.locator(".page-title .subtitle")).to_contain_text(path.split("/")[-1])
    await shoot(page, "fix-profile-heading")


async def test_counts_and_dates_read_unambiguously(tab: Tab, filled: Filled) -> None:
    page = await signed_in(tab, filled)
    await page.goto(f"{filled.url}/protocols/plans/shop")
    await expect(page.locator(".page-title .subtitle")).not_to_contain_text("(s)")
    subtitle = await page.locator(".page-title .subtitle").inner_text()
    count, word = re.search(r"(\d+) (schemas?)", subtitle).groups()  # type: ignore[union-attr]
    assert (count == "1") == (word == "schema"), subtitle

    await page.goto(f"{filled.url}/debugger/web")
    times = page.locator("tbody.event tr.summary td.time")
    await expect(times).to_have_count(4)
    for text in await times.all_inner_texts():
        assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d\d:\d\d:\d\d", text), text
    await page.locator('tbody.event[data-type="page"] tr.summary').click()
    detail = page.locator('tbody.event[data-type="page"] tr.detail')
    await expect(detail).to_contain_text("delivered in 1 attempt,")
    await expect(detail).not_to_contain_text("attempt(s)")


async def test_saved_stays_in_view_and_leaving_unsaved_edits_asks_first(
    tab: Tab, filled: Filled
) -> None:
    page, base = await signed_in(tab, filled), filled.url
    mappings = f"{base}/destinations/orders-hook/mappings"
    await page.goto(mappings)
    card = page.locator("#action-send")
    await card.locator('textarea[name="mapping.data"]').fill('{"what": {"@path": "$.event"}}')
    await card.get_by_role("button", name="Save mapping").click()
    await page.wait_for_url(re.compile(r".*done=saved.*#action-send$"))
    saved = card.get_by_role("status")
    await expect(saved).to_have_text("Saved.")
    await expect(saved).to_be_in_viewport()
    await shoot(page, "fix-mapping-saved")

    # nothing edited: it leaves (a dialog would be dismissed, and the page would stay)
    await page.get_by_role("link", name="Sources", exact=True).click()
    await page.wait_for_url(f"{base}/sources")
    await page.goto(mappings)
    await page.locator('#action-send textarea[name="mapping.data"]').fill('{"x": 1}')
    await leaving_asks_first(page)
    assert page.url.startswith(mappings)  # stayed, with the edit
    value = page.locator('#action-send textarea[name="mapping.data"]')
    await expect(value).to_have_value('{"x": 1}')


async def test_a_form_shows_every_error_at_once_and_keeps_what_was_typed(
    tab: Tab, filled: Filled
) -> None:
    page, base = await signed_in(tab, filled), filled.url
    await page.goto(f"{base}/catalog/webhook")
    await page.locator('[name="settings.url"]').fill("ftp://files.example.com/in")
    await page.locator('[name="settings.shared_secret"]').fill("typed-signing-secret")
    await page.locator('[name="settings.headers"]').fill("Host: internal")
    await page.get_by_role("button", name="Create destination").click()
    errors = page.locator(".field-error")
    await expect(errors).to_have_count(3)  # name, url and headers: all in one answer
    text = " ".join(await errors.all_inner_texts())
    for expected in ("a name", "http:// or https://", "set by eventyard"):
        assert expected in text, text
    await expect(page.locator('[name="settings.shared_secret"]')).to_have_value(
        "typed-signing-secret"
    )
    await expect(page.locator('[name="settings.url"]')).to_have_value("ftp://files.example.com/in")
    await shoot(page, "fix-form-errors")
    await leaving_asks_first(page)  # what was typed is not saved yet
