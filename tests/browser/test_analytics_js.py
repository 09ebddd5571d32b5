"""Segment's snippet, with only the CDN host changed, sends a real browser's page, track and
identify calls to a real `eventyard serve`, which delivers them to a webhook; nothing is
fetched from anywhere but this machine (the `tab` fixture fails the test otherwise)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import pytest_asyncio

from e2e.server_process import ServerProcess
from eventyard.ui.snippets import install_snippets
from fakes.webhook_receiver import WebhookReceiver

from .conftest import Site, Tab
from .pages import shop_page, snippet

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

WRITE_KEY = "wk_browser_web"


@pytest.fixture
def eventyard(tmp_path: Path, hook: WebhookReceiver) -> Iterator[ServerProcess]:
    config = tmp_path / "eventyard.yaml"
    config.write_text(
        f"""
sources:
  - name: web
    write_key: {WRITE_KEY}
destinations:
  - name: browser-hook
    type: webhook
    sources: [web]
    settings: {{url: "{hook.url}"}}
"""
    )
    server = ServerProcess(config=config, data_dir=tmp_path / "data").start()
    yield server
    server.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def shop(site: Site, eventyard: ServerProcess) -> AsyncIterator[Site]:
    site.page = shop_page(snippet(eventyard.url, WRITE_KEY))
    yield site


async def delivered(hook: WebhookReceiver, count: int) -> list[dict[str, Any]]:
    requests = await hook.wait_for(count, timeout=15)
    return [orjson.loads(request.body) for request in requests]


def one(events: list[dict[str, Any]], kind: str, event: str | None = None) -> dict[str, Any]:
    found = [e for e in events if e["type"] == kind and e.get("event") == event]
    assert len(found) == 1, f"expected one {kind} {event or ''}, got {events}"
    return found[0]


async def test_page_track_identify_reach_eventyard(
    tab: Tab, shop: Site, hook: WebhookReceiver, eventyard: ServerProcess
) -> None:
    page = tab.page
    await page.goto(shop.url)
    await page.wait_for_function("window.analytics && window.analytics.initialized === true")
    await page.click("#buy")
    await page.click("#sign-in")
    events = await delivered(hook, 3)
    anonymous_id = await page.evaluate("analytics.user().anonymousId()")

    viewed = one(events, "page")
    assert viewed["context"]["page"]["url"] == shop.url
    assert viewed["context"]["page"]["path"] == "/shop/checkout"
    assert viewed["context"]["page"]["title"] == "Checkout - Test Shop"
    clicked = one(events, "track", "Button Clicked")
    assert clicked["properties"] == {
        "button": "buy",
        "plan": "pro",
        "price": 49.5,
        "tags": ["a", "b"],
        "nested": {"level": 2},
    }
    assert clicked["context"]["page"]["url"] == shop.url
    identified = one(events, "identify")
    assert identified["userId"] == "user-42"
    assert identified["traits"] == {"email": "ada@example.com", "name": "Ada Lovelace"}
    for event in events:
        assert event["anonymousId"] == anonymous_id
        assert event["messageId"].startswith("ajs-next-")
        assert event["context"]["library"]["name"] == "analytics.js"
        assert event["context"]["library"]["version"].startswith("next-")
        assert event["context"]["userAgent"] == await page.evaluate("navigator.userAgent")
        assert event["context"]["ip"] == "127.0.0.1"
        assert "writeKey" not in event
    assert tab.errors == []
    library = f"{eventyard.url}/analytics.js/v1/{WRITE_KEY}/analytics.min.js"
    settings = f"{eventyard.url}/v1/projects/{WRITE_KEY}/settings"
    assert library in tab.requested and settings in tab.requested


async def test_lazily_loaded_chunks_come_from_eventyard(
    tab: Tab, shop: Site, hook: WebhookReceiver, eventyard: ServerProcess
) -> None:
    """`?ajs_event=` makes analytics.js load its queryString chunk before it tracks."""
    await tab.page.goto(f"{shop.url}?ajs_event=Promo%20Seen&ajs_prop_campaign=spring")
    events = await delivered(hook, 2)
    promo = one(events, "track", "Promo Seen")
    assert promo["properties"] == {"campaign": "spring"}
    chunks = [url for url in tab.requested if "/analytics-next/bundles/" in url]
    assert chunks and all(url.startswith(f"{eventyard.url}/") for url in chunks)
    assert any("queryString.bundle." in url for url in chunks)
    assert tab.errors == []


@pytest.mark.parametrize("form", ["readable", "minified"])
async def test_the_snippets_the_source_page_hands_out_work_in_a_browser(
    tab: Tab, site: Site, hook: WebhookReceiver, eventyard: ServerProcess, form: str
) -> None:
    """Both forms the source page offers, as a user copies them (origin: this server)."""
    browser = install_snippets(eventyard.url, WRITE_KEY)[0]
    code = browser.code if form == "readable" else browser.minified
    assert code is not None and (form == "readable") == ("\n" in code)
    site.page = shop_page(code)
    page = tab.page
    await page.goto(site.url)
    await page.wait_for_function("window.analytics && window.analytics.initialized === true")
    await page.click("#buy")
    events = await delivered(hook, 2)
    assert one(events, "track", "Button Clicked")["context"]["page"]["path"] == "/shop/checkout"
    one(events, "page")
    loader = page.locator("script[data-global-segment-analytics-key]")
    assert await loader.get_attribute("data-global-segment-analytics-key") == "analytics"
    assert await loader.get_attribute("src") == (
        f"{eventyard.url}/analytics.js/v1/{WRITE_KEY}/analytics.min.js"
    )
    assert tab.errors == []
