"""Protocols throughput: events/s through the pipeline with an Ecommerce tracking plan
enforced, against the same pipeline with no plan, in the same run.

Both sides route the same pre-generated events from a real SQLite event log through the
real router into a real state.db: dedup, (the plan: validation, violation counts, blocking,
omitted properties), mapping for one webhook destination, delivery jobs and trace steps,
each batch in one state transaction. The aim: plan enforced >= 0.60 x no plan.

    .venv/bin/python bench/protocols.py [--events 20000] [--rounds 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec
import orjson

from eventyard.control.config import Config, DestinationConfig, SourceConfig
from eventyard.control.protocols_config import TrackingPlanConfig
from eventyard.delivery.state import StateStore
from eventyard.log.base import Entry
from eventyard.log.sqlite import SQLiteLog
from eventyard.pipeline.router import Router
from eventyard.testing.ecommerce import ecommerce_plan

AIM = 0.60
PARTITIONS = 4
Event = dict[str, Any]

PLAN: dict[str, Any] = ecommerce_plan(
    sources=["web"],
    settings={"unplanned_events": "block", "unplanned_properties": "omit", "violations": "block"},
)


def _product(rng: random.Random, i: int) -> Event:
    return {
        "product_id": f"p-{rng.randrange(500)}",
        "sku": f"SKU-{i % 97}",
        "name": rng.choice(["Mug", "Tea", "Kettle", "Cup"]),
        "category": "Kitchen",
        "price": round(rng.uniform(2, 80), 2),
        "quantity": rng.randrange(1, 4),
        "url": f"https://shop.example.com/p/{i % 500}",
    }


def _properties(rng: random.Random, name: str, i: int) -> Event:
    if name == "Order Completed":
        products = [_product(rng, i + k) for k in range(rng.randrange(1, 5))]
        return {
            "checkout_id": f"c-{i}", "order_id": f"o-{i}", "total": 64.5, "revenue": 55.0,
            "shipping": 4.5, "tax": 5.0, "currency": "USD", "products": products,
        }  # fmt: skip
    if name == "Checkout Started":
        return {"order_id": f"o-{i}", "revenue": 30.0, "currency": "EUR"}
    if name == "Products Searched":
        return {"query": rng.choice(["mug", "tea", "red kettle"])}
    if name == "Coupon Entered":
        return {"coupon_id": "SPRING"}
    return (
        {**_product(rng, i), "cart_id": f"cart-{i % 50}"}
        if name == "Product Added"
        else _product(rng, i)
    )


def _break(rng: random.Random, properties: Event) -> None:
    """About 8% of events break the plan, 10% carry unplanned properties."""
    roll = rng.random()
    if roll < 0.03 and "revenue" in properties:
        properties["revenue"] = str(properties["revenue"])
    elif roll < 0.05:
        properties.pop("order_id", properties.pop("product_id", None))
    elif roll < 0.08 and "currency" in properties:
        properties["currency"] = "usd"
    if rng.random() < 0.10:
        properties["gift_wrap"] = True


def make_event(rng: random.Random, i: int) -> Event:
    """An event as ingest stores it (~800 bytes): mostly Ecommerce Spec track calls."""
    base: Event = {
        "messageId": f"msg-{i:07d}",
        "userId": f"user-{i % 997}",
        "anonymousId": f"anon-{i % 1999}",
        "receivedAt": "2024-05-01T12:00:00.000Z",
        "timestamp": "2024-05-01T12:00:00.000Z",
        "context": {
            "library": {"name": "analytics.js", "version": "5.2.0"},
            "page": {"url": f"https://shop.example.com/checkout/{i}", "title": "Checkout"},
            "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0",
            "ip": "203.0.113.9",
        },
    }
    roll = rng.random()
    if roll < 0.10:
        return {**base, "type": "identify", "traits": {"email": f"u{i}@example.com", "plan": "pro"}}
    if roll < 0.18:
        return {**base, "type": "page", "name": "Checkout", "properties": {"path": "/checkout"}}
    name = rng.choices(
        ["Order Completed", "Product Viewed", "Product Added", "Checkout Started",
         "Products Searched", "Coupon Entered"],
        weights=[35, 15, 10, 10, 8, 4],
    )[0]  # fmt: skip
    properties = _properties(rng, name, i)
    _break(rng, properties)
    return {**base, "type": "track", "event": name, "properties": properties}


def config(enforced: bool) -> Config:
    hook = DestinationConfig(
        name="hook", type="webhook", sources=["web"], settings={"url": "http://127.0.0.1:9/in"}
    )
    plans = [msgspec.convert(PLAN, TrackingPlanConfig)] if enforced else []
    return Config(
        sources=[SourceConfig(name="web", write_key="wk")],
        destinations=[hook],
        tracking_plans=plans,
    )


async def run_side(events: list[Event], enforced: bool) -> tuple[float, int, int]:
    """Seconds to route every event; then the jobs queued and the events checked."""
    with tempfile.TemporaryDirectory(prefix="eventyard-bench-") as folder:
        log = SQLiteLog(Path(folder) / "log.db", PARTITIONS)
        await log.open()
        state = StateStore(Path(folder) / "state.db")
        await state.open()
        try:
            entries = [Entry("web", e["userId"], e["messageId"], orjson.dumps(e)) for e in events]
            for start in range(0, len(entries), 5000):
                await log.append(entries[start : start + 5000])
            router = Router(config(enforced), log, state, on_enqueued=lambda: None)
            offsets = [0] * PARTITIONS
            gc.collect()
            started = time.perf_counter()
            while True:
                moved = False
                for partition in range(PARTITIONS):
                    records = await log.read(partition, offsets[partition], router.batch_size)
                    if records:
                        await router.process(records)
                        offsets[partition] = records[-1].offset
                        moved = True
                if not moved:
                    break
            seconds = time.perf_counter() - started
            jobs, checked = await state.run(
                lambda conn: (
                    conn.execute("SELECT count(*) FROM jobs").fetchone()[0],
                    conn.execute(
                        "SELECT coalesce(sum(checked), 0) FROM protocol_events"
                    ).fetchone()[0],
                )
            )
            return seconds, int(jobs), int(checked)
        finally:
            await state.close()
            await log.close()


async def main_async(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    events = [make_event(rng, i) for i in range(args.events)]
    size = sum(len(orjson.dumps(e)) for e in events) / len(events)
    print(f"{len(events):,} events, {size:.0f} bytes on average; {PARTITIONS} partitions")
    times: dict[bool, list[float]] = {False: [], True: []}
    results: dict[bool, tuple[int, int]] = {}
    for round_no in range(args.rounds):
        for enforced in (False, True) if round_no % 2 == 0 else (True, False):
            seconds, jobs, checked = await run_side(events, enforced)
            if results.setdefault(enforced, (jobs, checked)) != (jobs, checked):
                sys.exit(
                    f"BENCHMARK FAILED: round {round_no} queued {jobs} jobs, checked {checked}"
                )
            times[enforced].append(seconds)
    plain_jobs, _ = results[False]
    jobs, checked = results[True]
    if plain_jobs != len(events) or checked != len(events):
        sys.exit(f"BENCHMARK FAILED: {plain_jobs} jobs without the plan, {checked} events checked")
    blocked = len(events) - jobs
    print(f"with the plan: {checked:,} events checked, {blocked:,} blocked, {jobs:,} queued")
    print(f"\nbest of {args.rounds} rounds (median in brackets), events/s through the router")
    print(f"{'side':<34} {'events/s':>12} {'median':>12} {'us/event':>9}")
    rates = {}
    for enforced, label in ((False, "no tracking plan"), (True, "Ecommerce plan enforced")):
        best, median = min(times[enforced]), statistics.median(times[enforced])
        rates[enforced] = len(events) / best
        row = f"{label:<34} {rates[enforced]:>12,.0f} {f'({len(events) / median:,.0f})':>12}"
        print(f"{row} {best / len(events) * 1e6:>9.1f}")
    ratio = rates[True] / rates[False]
    print(f"\nplan enforced / no plan: {ratio:.2f}")
    print(f"aim plan enforced >= {AIM:.2f} x no plan: {'met' if ratio >= AIM else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=20_000, help="pre-generated events")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs per side; best shown")
    parser.add_argument("--seed", type=int, default=1, help="event generator seed")
    args = parser.parse_args()
    if args.events < 1 or args.rounds < 1:
        parser.error("--events and --rounds must be >= 1")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
