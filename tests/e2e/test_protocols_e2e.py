"""Protocols end to end: a real `eventyard serve` with the Ecommerce plan from eventyard.yaml,
the real segment-analytics-python client sending through the module `eventyard typegen`
wrote, real webhooks for the source and its quarantine source, and the CLI."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from segment.analytics.client import Client

from e2e.conftest import delivered_events, wait_until
from e2e.server_process import TOKEN, ServerProcess
from fakes.webhook_receiver import WebhookReceiver
from protocols.ecommerce import ecommerce_plan, order_completed

WRITE_KEY = "wk_protocols"


def config_text(hook: str, quarantine: str) -> str:
    plan = ecommerce_plan(
        sources=["web"],
        settings={
            "unplanned_events": "block",
            "unplanned_properties": "omit",
            "violations": "forward",
            "forward_to": "quarantine",
        },
    )
    tag = {
        "name": "tag-orders",
        "sources": ["web"],
        "if": 'event = "Order Completed"',
        "set": {"context.app.build": "e2e"},
    }
    config = {
        "sources": [
            {"name": "web", "write_key": WRITE_KEY},
            {"name": "quarantine", "write_key": "wk_quarantine"},
        ],
        "destinations": [
            {"name": "hook", "type": "webhook", "sources": ["web"], "settings": {"url": hook}},
            {
                "name": "quarantined",
                "type": "webhook",
                "sources": ["quarantine"],
                "settings": {"url": quarantine},
            },
        ],
        "archive": {"enabled": False},
        "warehouses": [],
        "tracking_plans": [plan],
        "transformations": [tag],
    }
    return json.dumps(config, indent=2)  # YAML reads JSON (and JSON has no aliases)


async def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "eventyard", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=os.environ | {"EVENTYARD_TOKEN": TOKEN},
    )


@pytest.fixture
async def quarantine() -> AsyncIterator[WebhookReceiver]:
    async with WebhookReceiver() as hook:
        yield hook


def violation_counts(data_dir: Path) -> list[tuple[Any, ...]]:
    """What the running server counted, read from its state.db."""
    with sqlite3.connect(f"file:{data_dir / 'state.db'}?mode=ro", uri=True) as conn:
        return conn.execute(
            "SELECT event, checked, violating, blocked FROM protocol_events ORDER BY event"
        ).fetchall()


def load_module(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location("tracking_e2e", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("t-order", "order_completed", {"user_id": "u1", **order_completed()}),
    (
        "t-added",
        "product_added",
        {"user_id": "u1", "product_id": "p", "price": 2.5, "cart_id": "c"},
    ),
    ("t-search", "products_searched", {"anonymous_id": "a1", "query": "mugs"}),
    ("t-checkout", "checkout_started", {"user_id": "u1", "order_id": "o-1", "currency": "EUR"}),
    ("t-refund", "order_refunded", {"user_id": "u1", "order_id": "o-1", "total": 3.0}),
    ("t-identify", "identify", {"user_id": "u1", "email": "ada@example.com", "plan": "pro"}),
]


def send_typed(url: str, tracking: Any) -> list[str]:
    """Every planned call, through the generated module and the real client."""
    client = Client(WRITE_KEY, host=url, sync_mode=True, max_retries=1)
    for message_id, function, arguments in CALLS:
        getattr(tracking, function)(client, message_id=message_id, **arguments)
    return [message_id for message_id, _, _ in CALLS]


async def test_typed_calls_pass_and_violations_are_blocked_forwarded_and_traced(
    receiver: WebhookReceiver,
    quarantine: WebhookReceiver,
    start_server: Callable[[str], ServerProcess],
    tmp_path: Path,
) -> None:
    server = await asyncio.to_thread(start_server, config_text(receiver.url, quarantine.url))
    module = tmp_path / "tracking.py"
    made = await cli(
        "typegen", "--plan", "shop", "--lang", "python",
        "--config", str(server.config), "-o", str(module),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    sent = await asyncio.to_thread(send_typed, server.url, load_module(module))
    requests = await receiver.wait_for(len(sent), timeout=20)
    delivered = {event["messageId"]: event for event in delivered_events(requests)}
    assert set(delivered) == set(sent)
    order = delivered["t-order"]
    assert order["context"]["app"]["build"] == "e2e"  # the transformation ran
    await wait_until(lambda: len(violation_counts(server.data_dir)) == 6, 10, "the counts")
    assert all(violating == 0 for _, _, violating, _ in violation_counts(server.data_dir))

    client = Client(WRITE_KEY, host=server.url, sync_mode=True, max_retries=1)
    bad = order_completed(revenue="55", gift_wrap=True)
    client.track("u1", "Order Completed", bad, message_id="t-bad")
    client.track("u1", "Coupon Entered", {"coupon_id": "c"}, message_id="t-unplanned")
    client.track(
        "u1", "Product Added", {"product_id": "p", "price": 1, "color": "red"}, message_id="t-extra"
    )
    forwarded = delivered_events(await quarantine.wait_for(1, timeout=20))
    [copy] = forwarded
    assert copy["messageId"] == "t-bad" and copy["properties"]["revenue"] == "55"
    assert copy["context"]["eventyard"]["blocked"] == {
        "source": "web",
        "plan": "shop",
        "reason": "violation",
    }
    extra = [
        e
        for e in delivered_events(await receiver.wait_for(len(sent) + 1, timeout=20))
        if e["messageId"] == "t-extra"
    ]
    assert extra and "color" not in extra[0]["properties"]  # omitted
    await asyncio.sleep(0.3)
    assert {e["messageId"] for e in delivered_events(receiver.requests)} == {*sent, "t-extra"}

    for message_id, reason in (
        ("t-bad", "forwarded to source 'quarantine'"),
        ("t-unplanned", "is not an event of tracking plan 'shop'"),
    ):
        traced = await cli("trace", message_id, "--url", server.url, "--json")
        assert traced.returncode == 0, traced.stderr
        steps = json.loads(traced.stdout)["steps"]
        blocked = [s for s in steps if s["destination"] == "hook"]
        assert [s["step"] for s in blocked] == ["blocked"], steps
        assert reason in blocked[0]["detail"]
    counts = {
        event: (checked, violating, blocked)
        for event, checked, violating, blocked in violation_counts(server.data_dir)
    }
    assert counts["Order Completed"] == (2, 1, 1)
    assert counts["Coupon Entered"] == (1, 1, 1)
    assert counts["Product Added"] == (2, 1, 0)


async def test_plans_import_and_export_on_the_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    segment = tmp_path / "segment.json"
    rules = [
        {
            "type": "TRACK",
            "key": "Signed Up",
            "version": 1,
            "jsonSchema": {"properties": {"properties": {"type": "object", "required": ["plan"]}}},
        }
    ]
    segment.write_text(json.dumps({"display_name": "Growth Plan", "rules": rules}))
    imported = await cli("plans", "import", str(segment), "--data-dir", str(data_dir))
    assert imported.returncode == 0, imported.stderr
    assert "saved tracking plan 'growth-plan' (1 events)" in imported.stderr
    schema = tmp_path / "invited.json"
    schema.write_text(json.dumps({"title": "User Invited", "type": "object"}))
    added = await cli(
        "plans",
        "import",
        str(schema),
        "--format",
        "jsonschema",
        "--name",
        "growth-plan",
        "--data-dir",
        str(data_dir),
    )
    assert added.returncode == 0, added.stderr
    exported = await cli("plans", "export", "growth-plan", "--data-dir", str(data_dir))
    assert exported.returncode == 0, exported.stderr
    assert [r["key"] for r in json.loads(exported.stdout)["rules"]] == ["Signed Up", "User Invited"]
    as_entry = await cli(
        "plans", "export", "growth-plan", "--format", "eventyard", "--data-dir", str(data_dir)
    )
    assert json.loads(as_entry.stdout)["events"]["User Invited"] == {
        "title": "User Invited",
        "type": "object",
    }
    typed = await cli(
        "typegen", "--plan", "growth-plan", "--lang", "typescript", "--data-dir", str(data_dir)
    )
    assert "export function signedUp(" in typed.stdout

    segment.write_text("{not json")
    broken = await cli("plans", "import", str(segment), "--data-dir", str(data_dir))
    assert broken.returncode == 2 and "not valid JSON" in broken.stderr
    missing = await cli("plans", "export", "nope", "--data-dir", str(data_dir))
    assert missing.returncode == 2 and "no tracking plan named 'nope'" in missing.stderr
    nowhere = await cli("plans", "export", "x", "--data-dir", str(tmp_path / "empty"))
    assert nowhere.returncode == 2 and "no state.db" in nowhere.stderr


def segment_controls_config(hook: str, quarantine: str) -> str:
    """Segment's Omit for violations, the common schema's own Block (bots), and violation
    forwarding to the quarantine source."""
    document = json.loads(config_text(hook, quarantine))
    document["tracking_plans"][0]["settings"] = {
        "unplanned_properties": "omit",
        "violations": "omit",
        "common_violations": "block",
        "forward_violations_to": "quarantine",
    }
    bots = {"not": {"pattern": "([Bb]ot|crawl|spider)"}}
    document["tracking_plans"][0]["common"] = {
        "properties": {"context": {"properties": {"userAgent": bots}}}
    }
    document["transformations"] = []
    return json.dumps(document, indent=2)


async def test_segment_omit_common_blocking_and_violation_events(
    receiver: WebhookReceiver,
    quarantine: WebhookReceiver,
    start_server: Callable[[str], ServerProcess],
) -> None:
    config = segment_controls_config(receiver.url, quarantine.url)
    server = await asyncio.to_thread(start_server, config)
    client = Client(WRITE_KEY, host=server.url, sync_mode=True, max_retries=1)
    bad = order_completed(revenue="55", gift_wrap=True)
    client.track("u1", "Order Completed", bad, message_id="s-omit")
    crawler = {"userAgent": "Googlebot/2.1"}
    client.track("u1", "Order Completed", order_completed(), context=crawler, message_id="s-bot")
    client.track("u1", "Order Completed", order_completed(), message_id="s-good")

    delivered = {e["messageId"]: e for e in delivered_events(await receiver.wait_for(2, 20))}
    kept = delivered["s-omit"]
    assert "revenue" not in kept["properties"] and "gift_wrap" not in kept["properties"]
    assert kept["context"]["violations"] == [
        {
            "violationField": "properties.gift_wrap",
            "violationType": "Unplanned Property",
            "violationDescription": "'gift_wrap' is not planned for this event",
        },
        {
            "violationField": "properties.revenue",
            "violationType": "Invalid Type",
            "violationDescription": "Invalid type. Expected: number, given: string",
        },
    ]
    violations = delivered_events(await quarantine.wait_for(3, 20))
    by_field = {
        (v["properties"]["eventMessageID"], v["properties"]["violationField"]): v
        for v in violations
    }
    assert set(by_field) == {
        ("s-omit", "properties.revenue"),
        ("s-omit", "properties.gift_wrap"),
        ("s-bot", "context.userAgent"),
    }
    revenue = by_field["s-omit", "properties.revenue"]
    assert revenue["event"] == "Violation Generated" and revenue["userId"] == "schema-violations"
    assert revenue["forwardedFromProject"] == "web"
    assert revenue["context"]["library"]["name"] == "analytics-python"
    assert {
        key: revenue["properties"][key]
        for key in (
            "appVersion",
            "eventName",
            "eventType",
            "sourceID",
            "trackingPlanID",
            "violationType",
        )
    } == {
        "appVersion": "",
        "eventName": "Order Completed",
        "eventType": "track",
        "sourceID": "web",
        "trackingPlanID": "shop",
        "violationType": "Invalid Type",
    }
    traced = await cli("trace", "s-bot", "--url", server.url, "--json")
    steps = json.loads(traced.stdout)["steps"]
    assert [s["step"] for s in steps if s["destination"] == "hook"] == ["blocked"], steps
    assert set(delivered) == {"s-omit", "s-good"}
    assert server.stop() == 0


async def test_a_draft_04_config_api_plan_imports_and_checks_as_draft_04(
    receiver: WebhookReceiver,
    quarantine: WebhookReceiver,
    start_server: Callable[[str], ServerProcess],
) -> None:
    """Imported through the REST API of a running server, then enforced on the Segment
    client's events: draft-04's boolean `exclusiveMinimum` is a rule, not a schema error."""
    document = json.loads(config_text(receiver.url, quarantine.url))
    document["tracking_plans"], document["transformations"] = [], []
    server = await asyncio.to_thread(start_server, json.dumps(document))
    positive = {"type": "number", "minimum": 0, "exclusiveMinimum": True}
    rule = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "properties": {"properties": {"type": "object", "properties": {"amount": positive}}},
    }
    plan = {"display_name": "Legacy", "rules": {"events": [{"name": "Paid", "rules": rule}]}}
    plans = f"{server.url}/api/v1/tracking-plans"
    async with httpx.AsyncClient(headers=server.headers, timeout=10) as api:
        imported = await api.post(f"{plans}/import", params={"name": "legacy"}, json=plan)
        assert imported.status_code == 200, imported.text
        assert imported.json()["plan"]["events"]["Paid"]["$schema"] == rule["$schema"]
        use = {"sources": ["web"], "settings": {"violations": "block"}}
        assert (await api.patch(f"{plans}/legacy", json=use)).status_code == 200
        exported = (await api.get(f"{plans}/legacy/export")).json()
    assert exported["rules"][0]["jsonSchema"]["$schema"] == rule["$schema"]
    client = Client(WRITE_KEY, host=server.url, sync_mode=True, max_retries=1)
    client.track("u1", "Paid", {"amount": 0}, message_id="d4-zero")
    client.track("u1", "Paid", {"amount": 5}, message_id="d4-five")
    await receiver.wait_for(1, timeout=20)  # same user, same partition: d4-zero went first
    assert {e["messageId"] for e in delivered_events(receiver.requests)} == {"d4-five"}
    assert server.stop() == 0
