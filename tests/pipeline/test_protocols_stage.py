"""The Protocols stage in the router: counts, blocks (traced), quarantine forwarding through
the log, violation events, omitted properties, transformations, and crash safety."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import msgspec
import orjson
import pytest

from delivery.conftest import hook, make_config
from eventyard.control.config import Config, SourceConfig
from eventyard.control.protocols_config import TrackingPlanConfig, TransformationConfig
from eventyard.delivery import StateStore, trace
from eventyard.log.base import Entry, LogRecord, Rejection
from eventyard.pipeline import Router
from eventyard.protocols import store
from pipeline.conftest import MemoryLog
from protocols.ecommerce import ecommerce_plan, order_completed, track

URL = "http://127.0.0.1:9/unused"
GOOD = track("Order Completed", order_completed(), messageId="m-good")
BAD = track("Order Completed", order_completed(revenue="55"), messageId="m-bad")
UNPLANNED = track("Coupon Entered", {"coupon_id": "c"}, messageId="m-unplanned")


def config(settings: dict[str, Any] | None = None, **extra: Any) -> Config:
    """Sources web and quarantine; webhook `hook` from web, `quarantined` from quarantine."""
    base = make_config(hook("hook", URL), hook("quarantined", URL))
    base.destinations[1].sources[:] = ["quarantine"]
    base.sources.append(SourceConfig(name="quarantine", write_key="wk-q"))
    plan = ecommerce_plan(sources=["web"], settings=settings or {})
    base.tracking_plans.append(msgspec.convert(plan, TrackingPlanConfig))
    for step in extra.pop("transformations", []):
        base.transformations.append(msgspec.convert(step, TransformationConfig))
    return base


def entry(event: dict[str, Any], source: str = "web") -> Entry:
    return Entry(source, str(event.get("userId", "u1")), event["messageId"], orjson.dumps(event))


async def route(router: Router, log: MemoryLog) -> int:
    """Route everything not yet routed, as `Router.run` does, until nothing is left."""
    total = 0
    while True:
        moved = 0
        for partition, records in enumerate(log.records):
            done = log.offsets.get(("pipeline", partition), 0)
            if records[done:]:
                total += await router.process(records[done:])
                moved += 1
        if not moved:
            return total


def rows(state: StateStore, query: str) -> Any:
    return state.run(lambda conn: conn.execute(query).fetchall())


async def jobs_of(state: StateStore) -> list[tuple[str, str, dict[str, Any]]]:
    found = await rows(state, "SELECT destination, message_id, payload FROM jobs ORDER BY id")
    return [(d, m, orjson.loads(p)["data"]) for d, m, p in found]


async def steps(state: StateStore, message_id: str) -> list[trace.Step]:
    return await state.run(lambda conn: trace.steps_for(conn, message_id))


async def counts(state: StateStore) -> list[tuple[Any, ...]]:
    return await rows(
        state,
        "SELECT source, event, checked, violating, blocked FROM protocol_events ORDER BY event",
    )


async def test_conforming_events_pass_unchanged_and_are_counted(
    state: StateStore, memory_log: MemoryLog
) -> None:
    router = Router(config({"violations": "block"}), memory_log, state, on_enqueued=lambda: None)
    await memory_log.append([entry(GOOD)])
    assert await route(router, memory_log) == 1
    [(destination, message_id, event)] = await jobs_of(state)
    assert (destination, message_id, event) == ("hook", "m-good", GOOD)
    assert await counts(state) == [("web", "Order Completed", 1, 0, 0)]


async def test_violations_allowed_are_delivered_and_recorded_with_an_example(
    state: StateStore, memory_log: MemoryLog
) -> None:
    router = Router(config(), memory_log, state, on_enqueued=lambda: None)
    second = {**BAD, "messageId": "m-bad-2"}
    await memory_log.append([entry(BAD), entry(second)])
    assert await route(router, memory_log) == 2
    found = await state.run(lambda conn: store.violations(conn, ["web"], "2000-01-01"))
    [row] = found
    assert (row.event, row.path, row.rule, row.count) == (
        "Order Completed",
        "properties.revenue",
        "type",
        2,
    )
    assert (row.expected, row.actual, row.plan) == ("number", '"55" (string)', "shop")
    assert row.message_id in ("m-bad", "m-bad-2")
    assert await counts(state) == [("web", "Order Completed", 2, 2, 0)]


async def test_blocked_events_are_traced_per_destination_and_counted(
    state: StateStore, memory_log: MemoryLog
) -> None:
    settings = {"violations": "block", "unplanned_events": "block"}
    router = Router(config(settings), memory_log, state, on_enqueued=lambda: None)
    await memory_log.append([entry(BAD), entry(UNPLANNED), entry(GOOD)])
    assert await route(router, memory_log) == 1
    assert [m for _, m, _ in await jobs_of(state)] == ["m-good"]
    [bad] = await steps(state, "m-bad")
    assert (bad.destination, bad.step) == ("hook", "blocked")
    assert "tracking plan 'shop': properties.revenue: type: expected number" in bad.detail
    [unplanned] = await steps(state, "m-unplanned")
    assert "'Coupon Entered' is not an event of tracking plan 'shop'" in unplanned.detail
    tally = await state.run(trace.counts)
    assert ("hook", "", "blocked", "violation", 1) in tally
    assert ("hook", "", "blocked", "unplanned_event", 1) in tally
    assert await counts(state) == [
        ("web", "Coupon Entered", 1, 1, 1),
        ("web", "Order Completed", 2, 1, 1),
    ]


async def test_forwarded_events_reach_the_quarantine_source_with_the_same_message_id(
    state: StateStore, memory_log: MemoryLog
) -> None:
    settings = {"violations": "forward", "unplanned_events": "forward", "forward_to": "quarantine"}
    router = Router(config(settings), memory_log, state, on_enqueued=lambda: None)
    await memory_log.append([entry(BAD), entry(UNPLANNED)])
    await route(router, memory_log)
    logged = [r for part in memory_log.records for r in part if r.source == "quarantine"]
    assert sorted(r.message_id for r in logged) == ["m-bad", "m-unplanned"]
    forwarded = orjson.loads(next(r.payload for r in logged if r.message_id == "m-bad"))
    assert forwarded["properties"] == BAD["properties"]
    assert forwarded["context"]["eventyard"]["blocked"] == {
        "source": "web", "plan": "shop", "reason": "violation",
    }  # fmt: skip
    delivered = await jobs_of(state)
    assert sorted((d, m) for d, m, _ in delivered) == [
        ("quarantined", "m-bad"), ("quarantined", "m-unplanned"),
    ]  # fmt: skip
    blocked = [s for s in await steps(state, "m-bad") if s.step == "blocked"]
    assert [s.destination for s in blocked] == ["hook"]
    assert "forwarded to source 'quarantine'" in blocked[0].detail
    assert ("hook", "", "blocked", "forwarded:quarantine", 2) in await state.run(trace.counts)
    assert await rows(state, "SELECT count(*) FROM protocol_outbox") == [(0,)]


async def test_violation_events_go_to_the_chosen_source(
    state: StateStore, memory_log: MemoryLog
) -> None:
    settings = {"forward_violations_to": "quarantine"}
    router = Router(config(settings), memory_log, state, on_enqueued=lambda: None)
    bad = track("Order Completed", order_completed(revenue="55", currency=None), messageId="m-2v")
    await memory_log.append([entry(bad), entry(GOOD)])
    await route(router, memory_log)
    made = [
        orjson.loads(r.payload)
        for part in memory_log.records
        for r in part
        if r.source == "quarantine"
    ]
    assert len(made) == 2
    assert {e["event"] for e in made} == {"Violation Generated"}
    assert {e["userId"] for e in made} == {"schema-violations"}
    properties = {e["properties"]["violationField"]: e["properties"] for e in made}
    assert set(properties) == {"properties.currency", "properties.revenue"}
    # Segment's names and wording (Protocols, "Forward Violations")
    currency, revenue = properties["properties.currency"], properties["properties.revenue"]
    assert currency["violationType"] == "Required"
    assert currency["violationDescription"] == "properties.currency is required"
    assert revenue["violationType"] == "Invalid Type"
    assert revenue["violationDescription"] == "Invalid type. Expected: number, given: string"
    assert revenue["eventMessageID"] == "m-2v" and revenue["appVersion"] == ""
    assert (revenue["trackingPlanName"], revenue["trackingPlanID"]) == ("shop", "shop")
    assert (revenue["sourceID"], revenue["sourceName"], revenue["sourceSlug"]) == ("web",) * 3
    assert all(e["forwardedFromProject"] == "web" and e["integrations"] == {} for e in made)
    assert all(e["messageId"].startswith("violation-") for e in made)
    assert [m for d, m, _ in await jobs_of(state) if d == "hook"] == ["m-2v", "m-good"]


async def test_omitted_properties_never_reach_destinations(
    state: StateStore, memory_log: MemoryLog
) -> None:
    router = Router(
        config({"unplanned_properties": "omit"}), memory_log, state, on_enqueued=lambda: None
    )
    extra = track("Order Completed", order_completed(gift_wrap=True, ssn="123-45"), messageId="m-x")
    await memory_log.append([entry(extra)])
    await route(router, memory_log)
    [(_, _, event)] = await jobs_of(state)
    assert event["properties"] == order_completed()
    assert event["context"]["violations"] == [
        {
            "violationField": f"properties.{key}",
            "violationType": "Unplanned Property",
            "violationDescription": f"{key!r} is not planned for this event",
        }
        for key in ("gift_wrap", "ssn")
    ]
    unplanned = await state.run(lambda conn: store.violations(conn, ["web"], "2000-01-01"))
    assert {r.path for r in unplanned} == {"properties.gift_wrap", "properties.ssn"}


async def test_omit_keeps_the_event_without_the_offending_properties(
    state: StateStore, memory_log: MemoryLog
) -> None:
    """Segment's "Omit" for JSON schema violations: the event goes on without them."""
    router = Router(config({"violations": "omit"}), memory_log, state, on_enqueued=lambda: None)
    bad = order_completed(revenue="55")
    bad["products"][0]["price"] = "cheap"
    await memory_log.append([entry(track("Order Completed", bad, messageId="m-omit"))])
    await route(router, memory_log)
    [(_, _, event)] = await jobs_of(state)
    assert "revenue" not in event["properties"] and event["properties"]["order_id"]
    assert "price" not in event["properties"]["products"][0]
    assert event["context"]["violations"] == [
        {
            "violationField": "properties.revenue",
            "violationType": "Invalid Type",
            "violationDescription": "Invalid type. Expected: number, given: string",
        },
        {
            "violationField": "properties.products[0].price",
            "violationType": "Invalid Type",
            "violationDescription": "Invalid type. Expected: number, given: string",
        },
    ]


@pytest.mark.parametrize(
    ("settings", "delivered"),
    [
        ({"violations": "block"}, False),  # unset: `violations` decides for the common schema
        ({"violations": "block", "common_violations": "allow"}, True),
        ({"violations": "allow", "common_violations": "block"}, False),
        ({"violations": "allow", "common_violations": "omit"}, True),
    ],
)
async def test_the_common_schema_has_its_own_blocking_control(
    state: StateStore, memory_log: MemoryLog, settings: dict[str, Any], delivered: bool
) -> None:
    """A planned event that breaks only the common schema (a bot's user agent)."""
    made = config(settings)
    bots = {"properties": {"context": {"properties": {"userAgent": {"not": {"pattern": "bot"}}}}}}
    made.tracking_plans[0] = msgspec.structs.replace(made.tracking_plans[0], common=bots)
    router = Router(made, memory_log, state, on_enqueued=lambda: None)
    crawler = {**GOOD, "messageId": "m-bot", "context": {"userAgent": "Googlebot/2.1"}}
    await memory_log.append([entry(crawler)])
    await route(router, memory_log)
    sent = await jobs_of(state)
    assert bool(sent) is delivered
    if settings.get("common_violations") == "omit":
        [(_, _, event)] = sent
        assert "userAgent" not in event["context"]
        assert event["context"]["violations"][0]["violationField"] == "context.userAgent"


async def test_transformations_apply_before_destinations(
    state: StateStore, memory_log: MemoryLog
) -> None:
    rename = {
        "name": "purchase",
        "sources": ["web"],
        "if": 'event = "Order Completed"',
        "rename_event": "Purchase",
        "rename_properties": {"properties.revenue": "properties.value"},
        "set": {"properties.label": {"@template": "{{properties.order_id}}"}},
    }
    router = Router(config(transformations=[rename]), memory_log, state, on_enqueued=lambda: None)
    await memory_log.append([entry(GOOD)])
    await route(router, memory_log)
    [(_, _, event)] = await jobs_of(state)
    assert event["event"] == "Purchase"
    assert event["properties"]["value"] == 55.0 and "revenue" not in event["properties"]
    assert event["properties"]["label"] == "o-1001"


async def test_a_plan_source_without_destinations_is_still_checked(
    state: StateStore, memory_log: MemoryLog
) -> None:
    lonely = config()
    lonely.destinations[:] = []
    router = Router(lonely, memory_log, state, on_enqueued=lambda: None)
    await memory_log.append([entry(BAD)])
    assert await route(router, memory_log) == 0
    assert await counts(state) == [("web", "Order Completed", 1, 1, 0)]


async def test_a_new_configuration_applies_from_the_next_batch(
    state: StateStore, memory_log: MemoryLog
) -> None:
    router = Router(config(), memory_log, state, on_enqueued=lambda: None)
    await memory_log.append([entry(BAD)])
    await route(router, memory_log)
    router.reconfigure(config({"violations": "block"}))
    await memory_log.append([entry({**BAD, "messageId": "m-bad-later"})])
    await route(router, memory_log)
    assert [m for _, m, _ in await jobs_of(state)] == ["m-bad"]


async def test_crash_before_the_log_commit_counts_and_forwards_once(
    state: StateStore, memory_log: MemoryLog
) -> None:
    settings = {"violations": "forward", "forward_to": "quarantine"}
    router = Router(config(settings), memory_log, state, on_enqueued=lambda: None)
    await memory_log.append([entry(BAD)])
    memory_log.fail_commits = 1
    with pytest.raises(ConnectionError):
        await route(router, memory_log)
    await route(router, memory_log)  # read again: BAD is a duplicate now
    assert await counts(state) == [("web", "Order Completed", 1, 1, 1)]
    forwarded = [r for part in memory_log.records for r in part if r.source == "quarantine"]
    assert len(forwarded) == 1
    assert [(d, m) for d, m, _ in await jobs_of(state)] == [("quarantined", "m-bad")]


class FlakyAppendLog(MemoryLog):
    """Appends, then fails once: as if the process died before the outbox was emptied."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_after_append = 0

    async def append(self, entries: Sequence[Entry], rejections: Sequence[Rejection] = ()) -> None:
        await super().append(entries, rejections)
        if self.fail_after_append:
            self.fail_after_append -= 1
            raise ConnectionError("simulated crash after the append")


async def test_an_outbox_appended_twice_reaches_the_quarantine_destination_once(
    state: StateStore,
) -> None:
    log = FlakyAppendLog()
    settings = {"violations": "forward", "forward_to": "quarantine"}
    router = Router(config(settings), log, state, on_enqueued=lambda: None)
    await log.append([entry(BAD)])
    log.fail_after_append = 1
    with pytest.raises(ConnectionError):
        await route(router, log)
    await route(router, log)
    copies: list[LogRecord] = [r for part in log.records for r in part if r.source == "quarantine"]
    assert [r.message_id for r in copies] == ["m-bad", "m-bad"]
    assert [(d, m) for d, m, _ in await jobs_of(state)] == [("quarantined", "m-bad")]
    assert await counts(state) == [("web", "Order Completed", 1, 1, 1)]


async def test_old_counts_are_purged(state: StateStore, memory_log: MemoryLog) -> None:
    def old(conn: sqlite3.Connection) -> None:
        row = store.ViolationRow(
            "2000-01-01", "web", "E", "p", "type", "shop", "a", "b", "c", "m", 0.0
        )
        store.record_violations(conn, [row])

    await state.run(old)
    router = Router(config(), memory_log, state, on_enqueued=lambda: None)
    await memory_log.append([entry(GOOD)])
    await route(router, memory_log)
    assert await rows(state, "SELECT count(*) FROM protocol_violations") == [(0,)]
