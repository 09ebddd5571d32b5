"""Default conversion events that depend on a destination's settings: Google Ads uploads only
to the conversion actions its settings name, so by default it gets exactly those events (and
refunds, which adjust the purchase action)."""

from __future__ import annotations

from typing import Any

import pytest

from eventyard.control.config import DestinationConfig
from eventyard.delivery import StateStore
from eventyard.pipeline import Router
from pipeline.conftest import MemoryLog
from pipeline.conversion_world import entry, ledger_of, route, steps_of, world

ORDER = {"order_id": "1001", "revenue": 50, "currency": "EUR"}
CLICK = {"page": {"url": "https://shop.example/?gclid=Cj0KCQ-abc"}}


def google_ads(actions: dict[str, str], **extra: Any) -> DestinationConfig:
    settings = {
        "customer_id": "123-456-7890",
        "developer_token": "dev-token",
        "access_token": "access-token",
        "conversion_actions": actions,
    }
    return DestinationConfig(
        name="gads", type="google-ads", sources=["web"], settings=settings, **extra
    )


async def routed(state: StateStore, log: MemoryLog, dest: DestinationConfig) -> list[str]:
    """Route one event of each kind; the canonical names that reached the destination."""
    router = Router(world(dest), log, state, on_enqueued=lambda: None)
    await route(
        router,
        log,
        entry("m1", userId="u1", event="Order Completed", properties=ORDER, context=CLICK),
        entry("m2", userId="u1", event="Order Refunded", properties=ORDER, context=CLICK),
        entry("m3", userId="u1", event="Signed Up", context=CLICK),
        entry("m4", userId="u1", event="Lead Generated", context=CLICK),
        entry("m5", userId="u1", event="Product Viewed", properties={"product_id": "p"}),
    )
    return [row["name"] for row in await ledger_of(state, "gads")]


async def test_by_default_only_events_with_a_conversion_action_are_sent(
    state: StateStore, memory_log: MemoryLog
) -> None:
    sent = await routed(state, memory_log, google_ads({"purchase": "111", "lead": "222"}))
    assert sent == ["purchase", "refund", "lead"]
    (_, step, detail) = (await steps_of(state, "m3"))[0]
    assert step == "filtered"
    assert detail == "'Signed Up' is sign_up; conversion_events: lead, purchase, refund"


async def test_an_action_for_any_canonical_event_makes_it_a_default(
    state: StateStore, memory_log: MemoryLog
) -> None:
    sent = await routed(state, memory_log, google_ads({"view_item": "333"}))
    assert sent == ["view_item"]  # no purchase action: refunds have nothing to adjust
    (_, step, detail) = (await steps_of(state, "m2"))[0]
    assert (step, detail) == (
        "filtered",
        "'Order Refunded' is refund; conversion_events: view_item",
    )


@pytest.mark.parametrize(
    ("events", "expected"),
    [(["sign_up"], ["sign_up"]), (["purchase", "sign_up"], ["purchase", "sign_up"]), ([], [])],
)
async def test_conversion_events_still_choose_when_set(
    state: StateStore, memory_log: MemoryLog, events: list[str], expected: list[str]
) -> None:
    dest = google_ads({"purchase": "111"}, conversion_events=events)
    assert await routed(state, memory_log, dest) == expected
