"""Segment's Actions types in the admin pages, as a person uses them against a real `eventyard
serve` with the Node-based parts installed: search the catalog, set up Segment's Webhook
(Actions), turn its action on with a URL in the mappings editor, send an event with the real
Segment Python client and see it delivered, signed, at a local receiver. The pages pass the
axe-core scan; a screenshot of the searched catalog goes to test-artifacts/screenshots/."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from playwright.async_api import expect
from segment.analytics.client import Client

from e2e.server_process import ServerProcess
from eventyard.ops.node_parts import FOLDER
from fakes.webhook_receiver import WebhookReceiver

from .admin import ADMIN_PASSWORD, create_source, log_in
from .conftest import ARTIFACTS, Tab
from .test_accessibility import axe_problems

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

SECRET = "browser-shared-s3cret"


@pytest.fixture
def actions_server(
    tmp_path: Path, node_parts_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ServerProcess]:
    """`eventyard serve` with nothing configured, whose data dir shares the installed
    Node-based parts (so the `actions/` types are in its catalog)."""
    monkeypatch.setenv("EVENTYARD_ADMIN_PASSWORD", ADMIN_PASSWORD)
    data = tmp_path / "data"
    data.mkdir()
    (data / FOLDER).symlink_to(node_parts_dir / FOLDER)
    config = tmp_path / "eventyard.yaml"
    config.write_text("archive: {enabled: false}\nwarehouses: []\n")
    server = ServerProcess(config=config, data_dir=data).start()
    yield server
    server.stop()


async def test_search_set_up_and_deliver_through_segments_webhook(
    axe_tab: Tab, hook: WebhookReceiver, actions_server: ServerProcess
) -> None:
    base, page = actions_server.url, axe_tab.page
    await log_in(page, base)
    write_key, _ = await create_source(page, base, "shop")

    await page.goto(f"{base}/catalog")
    hubspot = page.locator('a[href="/catalog/actions/hubspot"]')
    await expect(hubspot).to_have_count(1)
    await page.get_by_label("Search destinations").fill("webhook")
    await expect(hubspot).to_have_count(0)  # htmx swapped in the filtered results
    await page.wait_for_url(f"{base}/catalog?q=webhook*")
    segment_card = page.locator("article", has=page.locator('a[href="/catalog/actions/webhook"]'))
    await expect(segment_card).to_contain_text("Segment's own code")
    assert await axe_problems(page) == []
    shots = ARTIFACTS / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=shots / "catalog-actions-search.png", full_page=True)

    await segment_card.get_by_role("link", name="Set up").click()
    await page.wait_for_url(f"{base}/catalog/actions/webhook")
    await page.get_by_label("Name").first.fill("seg-hook")
    await page.get_by_role("checkbox", name="shop").check()
    await expect(page.get_by_label("Shared Secret")).to_have_attribute("type", "password")
    assert await axe_problems(page) == []
    await page.get_by_role("button", name="Create destination").click()
    await page.wait_for_url(f"{base}/destinations/seg-hook?done=created")

    await page.goto(f"{base}/destinations/seg-hook/mappings")
    card = page.locator("#action-send")
    enabled = card.get_by_role("checkbox", name="Enabled")
    await expect(enabled).not_to_be_checked()  # Webhook's `send` is no preset
    await enabled.check()
    await card.locator('textarea[name="subscription"]').fill('type = "track"')
    await card.locator('textarea[name="mapping.url"]').fill(f'"{hook.url}"')
    assert await axe_problems(page) == []
    await card.get_by_role("button", name="Save mapping").click()
    await page.wait_for_url(f"{base}/destinations/seg-hook/mappings?done=saved*")
    # the secret is given once the action's address is set (a kept secret never follows a
    # changed address: docs/security.md)
    await page.goto(f"{base}/destinations/seg-hook")
    await page.get_by_label("Shared Secret").fill(SECRET)
    await page.get_by_role("button", name="Save changes").click()
    await page.wait_for_url(f"{base}/destinations/seg-hook?done=*")

    client = Client(write_key, host=base, sync_mode=True, max_retries=1)
    ok, message = client.track("user-1", "Order Completed", {"revenue": 42})
    assert ok
    (request,) = await hook.wait_for(1, timeout=30)
    body = orjson.loads(request.body)
    assert body["messageId"] == message["messageId"] and body["properties"] == {"revenue": 42}
    signed = hmac.new(SECRET.encode(), request.body, hashlib.sha1).hexdigest()
    assert request.headers["x-signature"] == signed
    assert axe_tab.errors == []
