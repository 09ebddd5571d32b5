"""The consent and conversions stage, as the router runs it on a real state.db."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
import pytest

from eventyard.control.config import parse_config
from eventyard.control.duration import Duration
from eventyard.conversions import store
from eventyard.delivery import StateStore, trace
from eventyard.delivery.jobs import NewJob
from eventyard.errors import ConfigError
from eventyard.log.base import LogRecord
from eventyard.pipeline import Router
from eventyard.pipeline.enqueue import route_record
from eventyard.pipeline.plan import compile_plans
from pipeline.conftest import MemoryLog
from pipeline.conversion_world import (
    ad,
    ad_type,
    conversion_of,
    entry,
    iso,
    jobs_of,
    ledger_of,
    plain,
    route,
    steps_of,
    world,
)

__all__ = ["ad_type"]

ORDER = {"order_id": "1001", "revenue": 129.9, "currency": "usd"}
DENIED = {"consent": {"categoryPreferences": {"Advertising": False, "Analytics": True}}}


def router_for(config: Any, state: StateStore, log: MemoryLog) -> Router:
    return Router(config, log, state, on_enqueued=lambda: None)


async def test_conversion_reaches_the_ad_destination_on_a_copy(
    ad_type: str, state: StateStore, memory_log: MemoryLog
) -> None:
    router = router_for(world(ad("meta"), plain("hook")), state, memory_log)
    context = {"traits": {"email": "Jane@Example.com"}, "ip": "203.0.113.7", "userAgent": "UA"}
    sent = entry("m1", userId="u1", event="Order Completed", properties=ORDER, context=context)
    assert await route(router, memory_log, sent) == 2
    (event,) = await jobs_of(state, "meta")
    conversion = conversion_of(event)
    assert conversion["name"] == "purchase"
    assert conversion["event_id"] == "purchase:1001"
    assert (conversion["value"], conversion["currency"]) == (129.9, "USD")
    assert conversion["user"]["email"] == "Jane@Example.com"  # raw: destinations hash
    assert conversion["limited_data_use"] is False
    (other,) = await jobs_of(state, "hook")
    assert "eventyard" not in other["context"]  # the other destination's event is untouched
    (row,) = await ledger_of(state, "meta")
    assert (row["source"], row["message_id"], row["event_id"]) == ("web", "m1", "purchase:1001")
    assert (row["name"], row["value"], row["currency"]) == ("purchase", 129.9, "USD")
    assert (row["consent"], row["mode"]) == ("send", "send")
    assert row["match_score"] == pytest.approx(10 * 7 / 13, abs=0.05)  # email, external_id, ip, UA
    assert row["missing"] == "fbc phone"


async def test_non_conversions_and_events_outside_the_allowlist_are_filtered(
    ad_type: str, state: StateStore, memory_log: MemoryLog
) -> None:
    router = router_for(world(ad("meta")), state, memory_log)
    await route(
        router,
        memory_log,
        entry("m1", userId="u1", event="Page Scrolled"),
        entry("m2", userId="u1", event="Product Added", properties={"product_id": "p"}),
        entry("m3", userId="u1", event="Lead Generated"),
    )
    assert [conversion_of(e)["name"] for e in await jobs_of(state, "meta")] == ["lead"]
    (_, step, detail) = (await steps_of(state, "m1"))[0]
    assert step == "filtered"
    assert "'Page Scrolled' is no conversion" in detail and "lead, purchase" in detail
    (_, step, detail) = (await steps_of(state, "m2"))[0]
    assert (step, detail) == (
        "filtered",
        "'Product Added' is add_to_cart; conversion_events: lead, purchase",
    )
    counts = await state.run(trace.counts)
    assert ("meta", "", "filtered", "conversion_events", 2) in counts


async def test_conversion_events_and_aliases_choose_what_is_sent(
    ad_type: str, state: StateStore, memory_log: MemoryLog
) -> None:
    config = world(
        ad("meta", conversion_events=["add_to_cart", "purchase"]), aliases={"Bought It": "purchase"}
    )
    router = router_for(config, state, memory_log)
    await route(
        router,
        memory_log,
        entry("m1", userId="u1", event="Lead Generated"),
        entry("m2", userId="u1", event="Product Added", properties={"product_id": "p", "price": 5}),
        entry("m3", userId="u1", event="Bought It", properties={"order_id": "7"}),
    )
    names = [conversion_of(e)["name"] for e in await jobs_of(state, "meta")]
    assert names == ["add_to_cart", "purchase"]


async def test_the_same_order_from_two_routes_is_one_conversion_within_the_window(
    ad_type: str, state: StateStore, memory_log: MemoryLog
) -> None:
    config = world(ad("meta", sources=("web", "server")), dedup_window=Duration(0.5))
    router = router_for(config, state, memory_log)
    browser = entry("b1", userId="u1", event="Order Completed", properties=ORDER)
    backend = entry("s1", "server", userId="u1", event="Order Completed", properties=ORDER)
    assert await route(router, memory_log, browser, backend) == 1
    (_, step, detail) = (await steps_of(state, "s1"))[0]
    assert step == "duplicate"
    assert "'purchase:1001' was sent to meta by messageId 'b1'" in detail
    counts = await state.run(trace.counts)
    assert ("meta", "", "duplicate", "conversion already sent", 1) in counts
    assert len(await ledger_of(state, "meta")) == 1
    await asyncio.sleep(0.55)
    again = entry("s2", "server", userId="u1", event="Order Completed", properties=ORDER)
    assert await route(router, memory_log, again) == 1


async def test_a_landing_page_click_id_reaches_a_later_server_side_purchase(
    ad_type: str, state: StateStore, memory_log: MemoryLog
) -> None:
    router = router_for(
        world(ad("meta", sources=("web", "server")), plain("hook")), state, memory_log
    )
    url = "https://shop.example/?fbclid=IwAR2F4-abc&gclid=G-123&utm_source=x"
    landing = entry("p1", kind="page", anonymousId="a1", context={"page": {"url": url}})
    login = entry("i1", userId="u1", anonymousId="a1", event="Signed In")
    purchase = entry("s1", "server", userId="u1", event="Order Completed", properties=ORDER)
    await route(router, memory_log, landing)
    await route(router, memory_log, login)
    await route(router, memory_log, purchase)
    (event,) = await jobs_of(state, "meta")
    click_ids = conversion_of(event)["click_ids"]
    assert click_ids["gclid"] == "G-123"
    assert click_ids["fbc"].startswith("fb.1.") and click_ids["fbc"].endswith(".IwAR2F4-abc")
    remembered = await state.run(lambda conn: store.remembered_click_ids(conn, [("user", "u1")]))
    first_seen = remembered[("user", "u1")]["fbc"][1]
    assert first_seen <= time.time()


async def test_a_later_click_replaces_the_remembered_one(
    ad_type: str, state: StateStore, memory_log: MemoryLog
) -> None:
    router = router_for(world(ad("meta")), state, memory_log)
    first = entry(
        "e1", userId="u1", event="Viewed", context={"page": {"url": "https://x/?gclid=OLD"}}
    )
    second = entry(
        "e2", userId="u1", event="Viewed", context={"page": {"url": "https://x/?gclid=NEW"}}
    )
    buy = entry("e3", userId="u1", event="Order Completed", properties=ORDER)
    await route(router, memory_log, first, second, buy)
    (event,) = await jobs_of(state, "meta")
    assert conversion_of(event)["click_ids"]["gclid"] == "NEW"


async def test_consent_denial_suppresses_with_the_reason_for_every_destination(
    ad_type: str, state: StateStore, memory_log: MemoryLog
) -> None:
    analytics = plain("analytics", consent_categories=["analytics", "Advertising"])
    meta = ad("meta", consent_categories=["Advertising"])
    router = router_for(world(meta, analytics, plain("hook")), state, memory_log)
    sent = entry("m1", userId="u1", event="Order Completed", properties=ORDER, context=DENIED)
    assert await route(router, memory_log, sent) == 1  # only the hook needs no consent
    steps = {(d, s): detail for d, s, detail in await steps_of(state, "m1")}
    assert steps[("meta", "consent")].startswith("consent denied for Advertising")
    assert "needs Advertising" in steps[("meta", "consent")]
    # category names are exact: "analytics" is not the event's "Analytics", so it is refused
    assert steps[("analytics", "consent")].startswith("consent denied for analytics, Advertising")
    assert ("hook", "queued") in steps
    counts = await state.run(trace.counts)
    assert ("meta", "", "consent", "consent denied for Advertising", 1) in counts
    (row,) = await ledger_of(state, "meta")
    assert (row["consent"], row["consent_reason"]) == ("suppress", "consent denied for Advertising")
    assert row["match_score"] is None


async def test_a_destination_needs_only_the_categories_it_maps_and_none_by_default(
    ad_type: str, state: StateStore, memory_log: MemoryLog
) -> None:
    config = world(ad("unmapped"), ad("empty", consent_categories=[]),
                   ad("custom", consent_categories=["C0004"]))  # fmt: skip
    router = router_for(config, state, memory_log)
    custom = {"consent": {"categoryPreferences": {"C0004": True, "Advertising": False}}}
    await route(
        router,
        memory_log,
        # C0004 left out of the preferences: refused
        entry("m1", userId="u1", event="Order Completed", properties=ORDER, context=DENIED),
        entry("m2", userId="u1", event="Lead Generated", context=custom),
    )
    for unmapped in ("unmapped", "empty"):  # the type's suggested Advertising is no rule
        ids = [conversion_of(e)["event_id"] for e in await jobs_of(state, unmapped)]
        assert ids == ["purchase:1001", "m2"]
    assert [conversion_of(e)["event_id"] for e in await jobs_of(state, "custom")] == ["m2"]


async def test_limited_mode_by_fallback_and_by_region(
    ad_type: str, state: StateStore, memory_log: MemoryLog
) -> None:
    meta = ad("meta", consent_categories=["Advertising"], consent_fallback="limited")
    config = world(meta, limited_regions=["US-CA"])
    router = router_for(config, state, memory_log)
    california = {"location": {"country": "US", "region": "California"}}
    await route(
        router,
        memory_log,
        entry("m1", userId="u1", event="Lead Generated", context=DENIED),
        entry("m2", userId="u1", event="Lead Generated", context=california),
        entry("m3", userId="u1", event="Lead Generated", context={"location": {"country": "FR"}}),
    )
    flags = [conversion_of(e)["limited_data_use"] for e in await jobs_of(state, "meta")]
    assert flags == [True, True, False]
    reasons = [row["consent_reason"] for row in await ledger_of(state, "meta")]
    assert "sent in limited-data-use mode" in reasons[0]
    assert reasons[1] == "region US-CA is in conversions.limited_regions"


async def test_events_older_than_the_platform_accepts_are_filtered(
    ad_type: str, state: StateStore, memory_log: MemoryLog
) -> None:
    router = router_for(world(ad("meta")), state, memory_log)
    old = entry("m1", userId="u1", event="Lead Generated", timestamp=iso(time.time() - 8 * 86400))
    assert await route(router, memory_log, old) == 0
    (_, step, detail) = (await steps_of(state, "m1"))[0]
    assert step == "filtered"
    assert detail.startswith("the event is 8.0 days old; meta refuses events older than 7 days")


async def test_match_quality_is_kept_per_destination_and_event(
    ad_type: str, state: StateStore, memory_log: MemoryLog
) -> None:
    router = router_for(world(ad("meta")), state, memory_log)
    rich = {
        "traits": {"email": "a@b.co", "phone": "+14155550100"},
        "ip": "1.2.3.4",
        "userAgent": "UA",
    }
    await route(
        router,
        memory_log,
        entry("m1", userId="u1", event="Lead Generated", context=rich),
        entry("m2", anonymousId="a2", event="Lead Generated"),
        entry("m3", userId="u3", event="Order Completed", properties=ORDER),
    )
    since = time.time() - 60
    by_event = await state.run(lambda conn: store.match_quality_by_event(conn, "meta", since))
    assert sorted(by_event) == ["lead", "purchase"]
    lead = by_event["lead"]
    # m2 is anonymous: its anonymousId is the external_id (weight 2 of 13), not the minimum
    assert lead.count == 2 and lead.meeting_minimum == 1
    assert lead.mean == pytest.approx((10 * 10 / 13 + 10 * 2 / 13) / 2, abs=0.1)
    total = await state.run(lambda conn: store.summary(conn, "meta", since))
    assert total.count == 3
    assert total.missing_shares()[0] == ("fbc", 1.0)


async def test_a_crash_before_the_log_commit_routes_nothing_twice(
    ad_type: str, state: StateStore, memory_log: MemoryLog
) -> None:
    router = router_for(world(ad("meta")), state, memory_log)
    url = {"page": {"url": "https://x/?gclid=G1"}}
    sent = entry("m1", userId="u1", event="Order Completed", properties=ORDER, context=url)
    memory_log.fail_commits = 1
    with pytest.raises(ConnectionError):
        await route(router, memory_log, sent)
    await route(router, memory_log)  # the restarted router reads the record again
    assert len(await jobs_of(state, "meta")) == 1
    assert len(await ledger_of(state, "meta")) == 1
    steps = [step for _, step, _ in await steps_of(state, "m1")]
    assert steps == ["queued", "duplicate"]
    total = await state.run(lambda conn: store.summary(conn, "meta", time.time() - 60))
    assert total.count == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"context": "not an object", "event": "Order Completed"},
        {"context": {"consent": ["x"], "page": {"url": 5}}, "event": "Order Completed"},
        {
            "context": {"consent": {"categoryPreferences": {"Advertising": "no"}}},
            "event": "Lead Generated",
        },
        {
            "properties": {"order_id": {"a": 1}, "revenue": "NaN", "products": "x"},
            "event": "Order Completed",
        },
        {"event": ["Order Completed"], "userId": {"id": 1}},
        {
            "userId": "u" * 5000,
            "anonymousId": 12,
            "event": "Lead Generated",
            "timestamp": "yesterday",
        },
        {
            "context": {"page": {"url": "https://x/?" + "gclid=a&" * 5000}},
            "event": "Lead Generated",
        },
        {"event": "Order Completed", "properties": {"event_id": "x" * 10_000}},
    ],
)
async def test_hostile_events_never_break_routing(
    ad_type: str, state: StateStore, memory_log: MemoryLog, fields: dict[str, Any]
) -> None:
    router = router_for(world(ad("meta"), plain("hook")), state, memory_log)
    await route(router, memory_log, entry("m1", **fields))
    assert len(await jobs_of(state, "hook")) == 1
    steps = [step for d, step, _ in await steps_of(state, "m1") if d == "meta"]
    assert len(steps) == 1 and steps[0] in {"queued", "filtered"}


@pytest.mark.parametrize(
    ("destination", "message"),
    [
        (
            "{name: meta, type: ad-hook, sources: [web], settings: {url: 'http://x/'},"
            " conversion_events: [purchase, purchse]}",
            "destinations[0].conversion_events[1]: 'purchse' is no canonical event; use add_",
        ),
        (
            "{name: hook, type: webhook, sources: [web], settings: {url: 'http://x/'},"
            " conversion_events: [purchase]}",
            "destinations[0].conversion_events: webhook is no conversions API; remove the key",
        ),
    ],
)
def test_conversion_events_are_checked_when_the_config_is_read(
    ad_type: str, destination: str, message: str
) -> None:
    text = f"sources: [{{name: web, write_key: k}}]\ndestinations:\n  - {destination}\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "eventyard.yaml")
    assert str(caught.value).startswith(f"eventyard.yaml:3: {message}")


async def test_without_state_the_stage_still_builds_conversions(ad_type: str) -> None:
    """Replays route without a state connection: no memory, no dedup, no ledger."""
    plans = compile_plans(world(ad("meta")))
    record = LogRecord(
        0, 1, "web", "u1", "m1", entry("m1", userId="u1", event="Lead Generated").payload, 0.0
    )
    new_jobs: list[NewJob] = []
    steps: list[trace.Step] = []
    for _ in range(2):  # no cross-route dedup either: a replay sends again on purpose
        route_record(record, ["meta"], plans, True, time.time(), new_jobs, steps)
    assert [orjson.loads(job.payload)["data"]["context"]["eventyard"]["conversion"]["name"]
            for job in new_jobs] == ["lead", "lead"]  # fmt: skip
