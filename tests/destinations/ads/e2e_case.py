"""End-to-end mechanics for ad destinations: a real Segment client sends purchases from a
browser source and from a server source to a real `eventyard serve`, which delivers them to a
local fake of the platform (tests/e2e/test_destination_<slug>.py use these).

The config routes both sources to the one destination and puts `US-CA` in limited mode, so a
test can show, with one server: first delivery (order A-1), deduplication of the same order
arriving from the browser and the server (A-1 again), consent suppression (B-2), limited data
use (C-3), a retry (D-4), a dead letter (E-5).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from segment.analytics.client import Client

from destinations.ads.events import UA
from e2e.conftest import WRITE_KEY, wait_until
from e2e.destination_case import wait_for_destination
from e2e.server_process import ServerProcess
from eventyard.destinations.registry import get_definition
from fakes.common import EventsApi
from fakes.webhook_receiver import Answer

__all__ = [
    "SERVER_WRITE_KEY",
    "Deliveries",
    "Scenario",
    "ads_config",
    "purchase",
    "run_scenario",
    "sent",
]

SERVER_WRITE_KEY = "wk_server_456"


def ads_config(kind: str, settings: dict[str, Any]) -> str:
    """eventyard.yaml: sources `web` and `server` into destination `ads` of type `kind`,
    mapped to the consent category the type suggests (Advertising; Analytics for GA4)."""
    category = get_definition(kind).consent_category
    return f"""
conversions:
  limited_regions: ["US-CA"]
sources:
  - name: web
    write_key: {WRITE_KEY}
  - name: server
    write_key: {SERVER_WRITE_KEY}
destinations:
  - name: ads
    type: {kind}
    sources: [web, server]
    consent_categories: [{category}]
    settings: {orjson.dumps({"batch_wait_ms": 20, **settings}).decode()}
    delivery:
      backoff_initial: 50ms
      backoff_max: 500ms
"""


def purchase(
    url: str,
    order_id: str,
    *,
    region: str = "NY",
    advertising: bool = True,
    from_server: bool = False,
) -> dict[str, Any]:
    """An Order Completed through the Segment client: from the shop's browser (page, user
    agent, ad cookie), or from its backend (`from_server`: the same order, no page)."""
    context: dict[str, Any] = {
        "ip": "203.0.113.7",
        "traits": {"email": "Ada@Example.com", "phone": "+1 650 555 1212"},
        "consent": {"categoryPreferences": {"Advertising": advertising, "Analytics": True}},
        "location": {"country": "US", "region": region},
    }
    if not from_server:
        context |= {
            "userAgent": UA,
            "page": {"url": "https://shop.example/thanks", "search": "?epik=epik-1"},
            "_fbp": "fb.1.1767000000000.1098115397",
        }
    properties = {
        "order_id": order_id,
        "revenue": 42.5,
        "currency": "USD",
        "products": [{"product_id": "SKU-1", "name": "Shoe", "quantity": 1, "price": 42.5}],
    }
    key = SERVER_WRITE_KEY if from_server else WRITE_KEY
    client = Client(key, host=url, sync_mode=True, max_retries=1)
    ok, message = client.track("u-1", "Order Completed", properties, context=context)
    assert ok
    return dict(message)


async def send_purchase(server: ServerProcess, order_id: str, **options: Any) -> None:
    """`purchase` to the server, off the event loop."""
    await asyncio.to_thread(purchase, server.url, order_id, **options)


def _without_advertising(url: str, order_id: str) -> None:
    purchase(url, order_id, advertising=False)


Check = Callable[[dict[str, Any]], None]


def _nothing(_: Any) -> None:
    return None


def sent(fake: EventsApi) -> list[dict[str, Any]]:
    """Every event of every request the fake accepted (duplicates included)."""
    return [event for body in fake.bodies for event in body.get("data", [])]


@dataclass(frozen=True)
class Deliveries:
    """What a fake accepted, each event known by `key` (its event_id, order id, ...)."""

    events: Callable[[], list[dict[str, Any]]]
    key: Callable[[dict[str, Any]], Any]

    @classmethod
    def by_event_id(cls, fake: EventsApi) -> Deliveries:
        """The events of every request (duplicates included), by `event_id`."""
        return cls(lambda: sent(fake), lambda event: event.get("event_id"))

    def ids(self) -> list[Any]:
        return [self.key(event) for event in self.events()]

    async def arrived(self, key: Any, timeout: float = 15) -> dict[str, Any]:
        """Wait until an event with this key was accepted; that event."""
        await wait_until(lambda: key in self.ids(), timeout, str(key))
        return self.events()[self.ids().index(key)]


@dataclass(frozen=True)
class Scenario:
    """One ad destination's end-to-end story: the steps are the same for every platform, the
    checks of what the platform received and the failures its fake answers are its own."""

    fake: EventsApi
    kind: str
    settings: dict[str, Any]
    first: Check
    """Checks A-1, the first delivery from the browser."""
    limited: Check
    """Checks C-3, from California (limited data use)."""
    retry: Answer
    """The fake's answer to D-4's first request, which is then retried."""
    refuse: Answer | Callable[[], None]
    """The fake's answer to E-5 (or what sets the fake to refuse it): a dead letter."""
    orders: Deliveries | None = None
    """What the fake accepted, by the key the order ids appear under (default: event_id)."""
    prefix: str = "purchase:"
    """How an order id appears under that key: `purchase:<order id>` in an event_id."""
    retried: Check = _nothing
    """Checks D-4, sent from the backend (no page) and retried."""
    deny: Callable[[str, str], None] = _without_advertising
    """`deny(url, "B-2")` sends B-2 from a user who denied the destination's consent."""
    landing: Callable[[str], None] | None = None
    """Sent first, before A-1: the user arriving from an ad."""
    repeated: Callable[[ServerProcess], Awaitable[None]] | None = None
    """Runs after A-1 came again from the backend."""


async def run_scenario(start_server: Callable[[str], ServerProcess], scenario: Scenario) -> None:
    """First delivery (A-1), one delivery of A-1 from browser and backend, consent suppression
    (B-2), limited data use (C-3), a retry (D-4), a dead letter (E-5); then the server stops."""
    server = await asyncio.to_thread(start_server, ads_config(scenario.kind, scenario.settings))
    fake, key = scenario.fake, scenario.prefix
    orders = scenario.orders or Deliveries.by_event_id(fake)
    if scenario.landing is not None:
        await asyncio.to_thread(scenario.landing, server.url)
    await send_purchase(server, "A-1")
    scenario.first(await orders.arrived(f"{key}A-1"))
    await send_purchase(server, "A-1", from_server=True)
    if scenario.repeated is not None:
        await scenario.repeated(server)
    await asyncio.to_thread(scenario.deny, server.url, "B-2")
    await send_purchase(server, "C-3", region="CA")
    scenario.limited(await orders.arrived(f"{key}C-3"))
    fake.fail_next(scenario.retry)
    await send_purchase(server, "D-4", from_server=True)
    scenario.retried(await orders.arrived(f"{key}D-4"))
    if isinstance(scenario.refuse, Answer):
        fake.fail_next(scenario.refuse)
    else:
        scenario.refuse()
    await send_purchase(server, "E-5")
    await wait_for_destination(server, lambda d: d["dead"] == 1, timeout=15)
    ids = orders.ids()
    assert ids.count(f"{key}A-1") == 1  # browser and backend copies: one delivery
    assert f"{key}B-2" not in ids  # consent denied
    assert f"{key}E-5" not in ids  # dead-lettered
    assert server.stop() == 0
