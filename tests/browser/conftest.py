"""Headless Debian Chromium driven by Playwright: one browser for the whole session, one
fresh context (cookies, storage) per test, and no request allowed off this machine.

Every request a page makes to anything but 127.0.0.1 is aborted and recorded, and the test
fails: analytics.js must load, configure itself and send everything through eventyard.
Browser tests never skip: without /usr/bin/chromium they fail and say how to install it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, Route, async_playwright

from browser.admin import ADMIN_PASSWORD
from e2e.server_process import ServerProcess
from fakes.webhook_receiver import Answer, Received, WebhookReceiver

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives headless Chromium (tests/browser)")


def _require_chromium() -> None:
    if not CHROMIUM.exists():
        how = "run `bash scripts/services.sh` (it installs Debian's chromium package)"
        where = "CI=true and " if os.environ.get("CI") == "true" else ""
        pytest.fail(f"{where}{CHROMIUM} is missing: {how}")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    _require_chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


@dataclass
class Tab:
    """A page in its own context; `blocked` lists every request that tried to leave."""

    page: Page
    context: BrowserContext
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)


@pytest_asyncio.fixture(loop_scope="session")
async def tab(browser: Browser) -> AsyncIterator[Tab]:
    async for opened in open_tab(browser):
        yield opened


@pytest_asyncio.fixture(loop_scope="session")
async def axe_tab(browser: Browser) -> AsyncIterator[Tab]:
    """A tab whose pages take an injected <script> (axe-core) despite their CSP."""
    async for opened in open_tab(browser, bypass_csp=True):
        yield opened


async def open_tab(browser: Browser, bypass_csp: bool = False) -> AsyncIterator[Tab]:
    context = await browser.new_context(
        viewport={"width": 1280, "height": 900}, bypass_csp=bypass_csp
    )
    context.set_default_timeout(10_000)
    tab = Tab(page=await context.new_page(), context=context)

    async def only_this_machine(route: Route) -> None:
        url = route.request.url
        tab.requested.append(url)
        if urlsplit(url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            tab.blocked.append(url)
            await route.abort("blockedbyclient")

    await context.route("**/*", only_this_machine)
    tab.page.on("pageerror", lambda error: tab.errors.append(str(error)))
    yield tab
    await context.close()
    assert not tab.blocked, f"the page tried to reach other hosts: {tab.blocked}"


@dataclass
class Site:
    """A customer's web site on its own port: every GET is answered with `page` (HTML)."""

    server: WebhookReceiver
    page: bytes = b""

    @property
    def url(self) -> str:
        return f"{self.server.base_url}/shop/checkout"

    def answer(self, request: Received) -> Answer:
        return Answer(200, {"Content-Type": "text/html; charset=utf-8"}, self.page)


@pytest_asyncio.fixture(loop_scope="session")
async def site() -> AsyncIterator[Site]:
    async with WebhookReceiver() as server:
        served = Site(server)
        server.on_request = served.answer
        yield served


@pytest_asyncio.fixture(loop_scope="session")
async def hook() -> AsyncIterator[WebhookReceiver]:
    """Where eventyard's webhook destination delivers: what arrives is what eventyard sent."""
    async with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def admin_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerProcess]:
    """`eventyard serve` with no sources or destinations and a known admin password, for a
    person to configure through the UI (no archive or warehouse: it starts faster)."""
    monkeypatch.setenv("EVENTYARD_ADMIN_PASSWORD", ADMIN_PASSWORD)
    config = tmp_path / "eventyard.yaml"
    config.write_text("archive: {enabled: false}\nwarehouses: []\n")
    server = ServerProcess(config=config, data_dir=tmp_path / "data").start()
    yield server
    server.stop()
