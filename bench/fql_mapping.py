"""Filter + mapping throughput: events/s of eventyard's engine step against hand-written Python.

Every event that reaches a destination pays for the destination filter, the action's
subscription (both FQL) and the mapping (mapping-kit directives, `remove_empty`,
`check_payload`). This measures that per-event cost through the real engine step
(`compile_fql` + `compile_action(...).subscribed/.build`) for a realistic ecommerce action,
against a plain Python function computing exactly the same decisions and payloads, timed in
the same run on the same pre-generated events. The aim: eventyard >= 0.25 x hand-written.

    .venv/bin/python bench/fql_mapping.py [--events 20000] [--rounds 7] [--budget 25]
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from eventyard.destinations.base import ActionDefinition
from eventyard.fql import compile_fql
from eventyard.mapping import FieldSpec
from eventyard.pipeline.actions import compile_action

Event = dict[str, Any]
Result = tuple[dict[str, Any] | None, tuple[str, ...]] | None
"""Per event: None when filtered out, else (payload or None, problems) as the engine's Outcome."""

AIM = 0.25

DESTINATION_FILTER = (
    'type = "track" and properties.revenue > 0 and !contains(context.page.url, "/test/")'
)
SUBSCRIPTION = 'event = "Order Completed" or event = "Checkout Started"'


def _path(path: str) -> dict[str, Any]:
    return {"@path": path}


FIELDS: dict[str, FieldSpec] = {
    "order_id": FieldSpec(
        "Order ID", "string", required=True, default=_path("$.properties.order_id")
    ),
    "revenue": FieldSpec("Revenue", "number", required=True, default=_path("$.properties.revenue")),
    "currency": FieldSpec("Currency", "string", default=_path("$.properties.currency")),
    "event_name": FieldSpec(
        "Event name", "string", default={"@case": {"operator": "lower", "value": _path("$.event")}}
    ),
    "user": FieldSpec(
        "User", "string", default={"@template": "{{userId}} <{{context.traits.email}}>"}
    ),
    "email": FieldSpec(
        "Email",
        "string",
        format="email",
        default={
            "@if": {
                "exists": _path("$.context.traits.email"),
                "then": _path("$.context.traits.email"),
                "else": _path("$.properties.email"),
            }
        },
    ),
    "products": FieldSpec(
        "Products",
        "object",
        multiple=True,
        default={
            "@arrayPath": [
                "$.properties.products",
                {
                    "sku": _path("$.product_id"),
                    "price": _path("$.price"),
                    "quantity": _path("$.quantity"),
                },
            ]
        },
    ),
    "message_id": FieldSpec("Message ID", "string", required=True, default=_path("$.messageId")),
    "timestamp": FieldSpec("Timestamp", "datetime", default=_path("$.timestamp")),
    "anonymous_id": FieldSpec("Anonymous ID", "string", default=_path("$.anonymousId")),
    "integration": FieldSpec("Integration", "string", default={"@literal": "eventyard"}),
}


async def _perform(client: Any, settings: Any, payload: dict[str, Any]) -> None:
    """Never called: the benchmark stops where the engine would queue the payload."""


ACTION = ActionDefinition(
    title="Track purchase",
    fields=FIELDS,
    default_subscription=SUBSCRIPTION,
    perform=_perform,
)


# --- eventyard -------------------------------------------------------------------------------


def eventyard_step() -> Callable[[Event], Result]:
    """The engine's per-event step: destination filter, subscription, build (map+clean+check)."""
    dest_filter = compile_fql(DESTINATION_FILTER)
    action = compile_action("track_purchase", ACTION, where="bench")
    subscribed, build = action.subscribed, action.build

    def step(event: Event) -> Result:
        if not (dest_filter(event) and subscribed(event)):
            return None
        outcome = build(event)
        return outcome.payload, outcome.problems

    return step


# --- hand-written ----------------------------------------------------------------------------
# The same semantics in plain Python: a missing value and null both end up absent, '' is
# dropped, nested objects are taken by dict lookups only (as @path / FQL paths do for
# non-numeric keys), and the problems carry the engine's wording in field order.

_NUM = (int, float)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_EMPTY: dict[str, Any] = {}


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if type(value) is not dict:
            return None
        value = value.get(key)
    return value


def hand_selected(event: Event) -> bool:
    """DESTINATION_FILTER and SUBSCRIPTION; FQL's `>` holds for numbers only, not bools."""
    if event.get("type") != "track":
        return False
    revenue = _dig(event, "properties", "revenue")
    if type(revenue) not in _NUM or not revenue > 0:
        return False
    url = _dig(event, "context", "page", "url")
    if isinstance(url, str) and "/test/" in url:
        return False
    name = event.get("event")
    return name == "Order Completed" or name == "Checkout Started"


def _text(value: Any) -> str:
    """JS String() as @template applies it, for the JSON scalars events carry."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is float and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if type(value) in _NUM:
        return repr(value)
    return ",".join(map(_text, value)) if type(value) is list else "[object Object]"


def _product(item: Any) -> dict[str, Any]:
    if type(item) is not dict:
        return {}
    out: dict[str, Any] = {}
    for source, target in (("product_id", "sku"), ("price", "price"), ("quantity", "quantity")):
        if source in item:
            out[target] = item[source]
    return out


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != "":
        out[key] = value


def hand_payload(event: Event) -> dict[str, Any]:
    """The mapped payload with empty values already left out."""
    props = event.get("properties")
    if type(props) is not dict:
        props = _EMPTY
    traits_email = _dig(event, "context", "traits", "email")
    name = event.get("event")
    products = props.get("products")
    if type(products) is dict:
        products = [products]
    if type(products) is list:
        products = [_product(item) for item in products]
    out: dict[str, Any] = {}
    _put(out, "order_id", props.get("order_id"))
    _put(out, "revenue", props.get("revenue"))
    _put(out, "currency", props.get("currency"))
    _put(out, "event_name", name.lower() if isinstance(name, str) else name)
    out["user"] = f"{_text(event.get('userId'))} <{_text(traits_email)}>"
    _put(out, "email", traits_email if traits_email is not None else props.get("email"))
    _put(out, "products", products)
    _put(out, "message_id", event.get("messageId"))
    _put(out, "timestamp", event.get("timestamp"))
    _put(out, "anonymous_id", event.get("anonymousId"))
    out["integration"] = "eventyard"
    return out


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value)
    except ValueError:
        return False
    return True


def _string(payload: dict[str, Any], key: str, problems: list[str], required: bool = False) -> None:
    value = payload.get(key)
    if value is None:
        if required:
            problems.append(f"missing the required field '{key}'")
    elif not isinstance(value, str):
        problems.append(f"the field '{key}' must be a string")


def hand_problems(p: dict[str, Any]) -> list[str]:
    """check_payload's verdict for this action's fields, in field order."""
    problems: list[str] = []
    _string(p, "order_id", problems, required=True)
    revenue = p.get("revenue")
    if revenue is None:
        problems.append("missing the required field 'revenue'")
    elif type(revenue) not in _NUM:
        problems.append("the field 'revenue' must be a number")
    _string(p, "currency", problems)
    _string(p, "event_name", problems)
    _string(p, "user", problems)
    _string(p, "email", problems)
    email = p.get("email")
    if isinstance(email, str) and not _EMAIL.match(email):
        problems.append("the field 'email' must be a valid email")
    products = p.get("products")
    if products is not None and type(products) is not list:
        problems.append("the field 'products' must be an array of object")
    elif products and any(type(item) is not dict for item in products):
        problems.append("the field 'products' must be an object")
    _string(p, "message_id", problems, required=True)
    stamp = p.get("timestamp")
    if stamp is not None and not (isinstance(stamp, str) and _is_datetime(stamp)):
        problems.append("the field 'timestamp' must be an ISO-8601 date-time string")
    _string(p, "anonymous_id", problems)
    _string(p, "integration", problems)
    return problems


def hand_step(event: Event) -> Result:
    if not hand_selected(event):
        return None
    payload = hand_payload(event)
    problems = hand_problems(payload)
    return (None, tuple(problems)) if problems else (payload, ())


# --- events ----------------------------------------------------------------------------------


def _base(rng: random.Random, i: int) -> Event:
    """A full Segment track event of an online shop, as analytics.js would send it."""
    n_products = rng.randint(1, 4)
    products: list[dict[str, Any]] = [
        {
            "product_id": f"p-{rng.randint(1, 5000)}",
            "sku": f"SKU-{rng.randint(1, 99999):05d}",
            "name": rng.choice(["Mug", "T-shirt", "Poster", "Sticker pack", "Hoodie"]),
            "price": round(rng.uniform(2, 120), 2),
            "quantity": rng.randint(1, 3),
            "category": "merch",
        }
        for _ in range(n_products)
    ]
    revenue = round(sum(p["price"] * p["quantity"] for p in products), 2)
    return {
        "type": "track",
        "event": rng.choice(["Order Completed"] * 7 + ["Checkout Started"] * 3),
        "messageId": f"msg-{i:08d}-{rng.getrandbits(32):08x}",
        "anonymousId": f"anon-{rng.getrandbits(48):012x}",
        "userId": f"user-{rng.randint(1, 50000)}",
        "timestamp": f"2026-01-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}.123Z",
        "context": {
            "library": {"name": "analytics.js", "version": "5.2.0"},
            "page": {"url": f"https://shop.example.com/checkout/{i}", "path": "/checkout"},
            "traits": {"email": f"buyer{i}@example.com", "plan": "free"},
            "ip": "203.0.113.7",
            "userAgent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        },
        "properties": {
            "order_id": f"o-{i:08d}",
            "revenue": revenue,
            "currency": "USD",
            "coupon": None,
            "products": products,
        },
    }


def _vary_identity(rng: random.Random, e: Event) -> None:
    """Anonymous buyers and emails from traits, properties, empty, invalid or nowhere."""
    props, traits = e["properties"], e["context"]["traits"]
    r = rng.random
    if r() < 0.15:
        del e["userId"]
    if r() < 0.20:
        del traits["email"]
        if r() < 0.5:
            props["email"] = f"alt{rng.randint(1, 999)}@example.org"
    if r() < 0.03:
        traits["email"] = ""
    if r() < 0.02:
        props["email"] = "not-an-email"  # format: email, so the payload is invalid
        traits.pop("email", None)


def _vary_matching(rng: random.Random, e: Event) -> None:
    """Missing and odd fields on selected events: different branches, some invalid payloads."""
    _vary_identity(rng, e)
    props = e["properties"]
    r = rng.random
    if r() < 0.05:
        del props["products"]
    elif r() < 0.03:
        props["products"] = props["products"][0]
    elif r() < 0.02:
        props["products"] = []
    if r() < 0.04:
        del props["order_id"]  # required: the payload is invalid
    if r() < 0.10:
        props["currency"] = None
    if r() < 0.02:
        e["timestamp"] = "yesterday"  # not a date-time: invalid
    if r() < 0.05:
        del e["context"]


def make_event(rng: random.Random, i: int) -> Event:
    """~65% selected by filter + subscription; the rest fail one condition or another."""
    e = _base(rng, i)
    roll = rng.random()
    if roll < 0.65:
        _vary_matching(rng, e)
    elif roll < 0.75:
        e["event"] = rng.choice(["Product Viewed", "Cart Viewed", "Product Added"])
    elif roll < 0.83:
        e["type"] = rng.choice(["page", "identify", "screen"])
        e.pop("event")
    elif roll < 0.90:
        e["properties"]["revenue"] = rng.choice([0, -5.0, "12.50", None, True])
    elif roll < 0.95:
        e["context"]["page"]["url"] = f"https://shop.example.com/test/checkout/{i}"
    else:
        del e["properties"]
    return e


# --- measurement -----------------------------------------------------------------------------


def run_once(step: Callable[[Event], Result], events: list[Event]) -> tuple[float, int]:
    """Seconds for one pass over all events, and how many yielded a valid payload."""
    gc.collect()
    sent = 0
    start = time.perf_counter()
    for event in events:
        result = step(event)
        if result is not None and result[0] is not None:
            sent += 1
    return time.perf_counter() - start, sent


def verify(events: list[Event]) -> tuple[int, int]:
    """Both sides must agree on every event, else the figures compare different work."""
    engine, hand = eventyard_step(), hand_step
    selected = sent = 0
    for i, event in enumerate(events):
        a, b = engine(event), hand(event)
        if a != b:
            sys.exit(
                f"BENCHMARK FAILED: event {i} differs\n  event:        {event}\n"
                f"  eventyard:    {a}\n  hand-written: {b}"
            )
        if a is not None:
            selected += 1
            sent += a[0] is not None
    return selected, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=20_000, help="pre-generated events")
    parser.add_argument("--rounds", type=int, default=7, help="timed passes per side; best shown")
    parser.add_argument("--budget", type=float, default=25.0, help="stop adding rounds after s")
    parser.add_argument("--seed", type=int, default=1, help="event generator seed")
    args = parser.parse_args()
    if args.events < 1 or args.rounds < 1:
        parser.error("--events and --rounds must be >= 1")

    rng = random.Random(args.seed)
    events = [make_event(rng, i) for i in range(args.events)]
    selected, sent = verify(events)
    print(
        f"{len(events):,} events: {selected:,} selected by filter + subscription "
        f"({sent:,} valid payloads, {selected - sent:,} invalid), "
        f"{len(events) - selected:,} dropped; results identical on every event"
    )

    sides: dict[str, Callable[[Event], Result]] = {
        "hand-written Python": hand_step,
        "eventyard (compile_fql + compile_action)": eventyard_step(),
    }
    times: dict[str, list[float]] = {name: [] for name in sides}
    deadline = time.monotonic() + args.budget
    for round_no in range(args.rounds):
        if round_no and time.monotonic() > deadline:
            print(f"(budget of {args.budget:g}s reached after {round_no} rounds)")
            break
        # Alternate the order so that neither side always runs on a warmer/cooler machine.
        order = list(sides.items()) if round_no % 2 == 0 else list(sides.items())[::-1]
        for name, step in order:
            seconds, count = run_once(step, events)
            if count != sent:
                sys.exit(f"BENCHMARK FAILED: {name} sent {count} payloads, expected {sent}")
            times[name].append(seconds)

    rounds = len(next(iter(times.values())))
    print(f"\nbest of {rounds} rounds (median in brackets), events/s over all events")
    print(f"{'side':<42} {'events/s':>12} {'median':>12} {'us/event':>9}")
    rates: dict[str, float] = {}
    for name, ts in times.items():
        rates[name] = len(events) / min(ts)
        median = len(events) / statistics.median(ts)
        us = min(ts) / len(events) * 1e6
        print(f"{name:<42} {rates[name]:>12,.0f} {f'({median:,.0f})':>12} {us:>9.2f}")
    hand_rate, ey_rate = rates.values()
    ratio = ey_rate / hand_rate
    print(f"\neventyard / hand-written: {ratio:.2f}")
    print(f"aim eventyard >= {AIM:.2f} x hand-written: {'met' if ratio >= AIM else 'NOT met'}")


if __name__ == "__main__":
    main()
