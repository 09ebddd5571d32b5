"""The Protocols REST API over ASGI with a real control plane: plans and transformations
(CRUD, roles, workspaces), import/export, typed clients, violations; and hostile input."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from control.api_world import World, api_world, assert_error, decoded
from eventyard.control import store
from eventyard.control.api_http import build_routes
from eventyard.control.api_protocols import PlanImported, ViolationReport, protocol_endpoints
from eventyard.control.protocols_config import TrackingPlanConfig, TransformationConfig
from eventyard.protocols import store as protocol_store
from protocols.ecommerce import ecommerce_plan
from protocols.test_segment_format import PUBLIC_API

__all__ = ["api_world"]

PLANS = "/api/v1/tracking-plans"


@pytest.fixture
async def world(api_world: World) -> AsyncIterator[World]:
    """api_world with the Protocols endpoints, and a quarantine source in "default"."""
    ctx = api_world.ctx
    box = ctx.plane.box
    await ctx.plane.change(
        lambda conn: store.put_object(conn, box, "source", "default", {"name": "quarantine"}, "t")
    )
    app = Starlette(routes=build_routes(ctx, protocol_endpoints(ctx)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://admin") as client:
        yield World(client, ctx, api_world.tokens)


def shop(**extra: Any) -> dict[str, Any]:
    return ecommerce_plan(**{"sources": ["web"], **extra})


async def test_plans_crud(world: World) -> None:
    created = await world.call("POST", PLANS, "editor", json=shop())
    plan = decoded(created, TrackingPlanConfig, 201)
    assert plan.name == "shop" and plan.sources == ["web"]
    assert [p["name"] for p in (await world.call("GET", PLANS, "viewer")).json()] == ["shop"]
    one = decoded(await world.call("GET", f"{PLANS}/shop", "viewer"), TrackingPlanConfig)
    assert set(one.events) == set(ecommerce_plan()["events"])
    settings = {"settings": {"violations": "block"}}
    patched = decoded(
        await world.call("PATCH", f"{PLANS}/shop", "editor", json=settings), TrackingPlanConfig
    )
    assert patched.settings.violations == "block" and patched.events == one.events
    replaced = await world.call("PUT", f"{PLANS}/shop", "editor", json={"name": "shop"})
    assert decoded(replaced, TrackingPlanConfig).events == {}
    assert (await world.call("DELETE", f"{PLANS}/shop", "editor")).status_code == 204
    assert_error(await world.call("GET", f"{PLANS}/shop"), 404, "unknown_tracking_plan")


async def test_a_change_is_running_before_the_answer(world: World) -> None:
    await world.call("POST", PLANS, "editor", json=shop(settings={"violations": "block"}))
    [plan] = world.ctx.config.tracking_plans
    assert plan.settings.violations == "block"


async def test_roles_and_workspaces(world: World) -> None:
    assert_error(await world.call("POST", PLANS, "viewer", json=shop()), 403, "forbidden")
    assert_error(await world.call("GET", PLANS, None), 401, "unauthorized")
    await world.call("POST", PLANS, "editor", json=shop())
    assert (await world.call("GET", PLANS, "other")).json() == []
    assert_error(await world.call("GET", f"{PLANS}/shop", "other"), 404, "unknown_tracking_plan")
    assert_error(await world.call("DELETE", f"{PLANS}/shop", "other"), 404, "unknown_tracking_plan")
    taken = await world.call("POST", PLANS, "other", json={"name": "shop"})
    assert_error(taken, 409, "tracking_plan_exists", "unique across workspaces")
    theirs = await world.call("POST", PLANS, "other", json={"name": "mine", "sources": ["web"]})
    assert_error(theirs, 400, "invalid_config", "no source named 'web'")


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        (shop(events={"X": {"type": "numbr"}}), "tracking_plans.shop.events.X.type:"),
        (shop(events={"X": {"pattern": "(?!bot)"}}), "linear time"),
        (shop(events={"X": {"$ref": "https://evil.example/schema.json"}}), "never fetches"),
        (
            shop(events={"X": {"properties": {f"p{i}": {"type": "string"} for i in range(6000)}}}),
            "bytes; at most",
        ),
        (shop(settings={"violations": "forward"}), "name the quarantine source"),
        (shop(settings={"violations": "forward", "forward_to": "web"}), "follows this plan itself"),
        (shop(sources=["ghost"]), "no source named 'ghost'"),
        ({"name": "shop", "events": []}, "Expected `object`, got `array`"),
        ({"name": "shop", "unknown": 1}, "unknown key"),
    ],
)
async def test_bad_plans_are_refused_naming_the_key(
    world: World, doc: dict[str, Any], words: str
) -> None:
    assert_error(await world.call("POST", PLANS, "editor", json=doc), 400, "invalid_config", words)


async def test_hostile_bodies(world: World) -> None:
    big = b'{"name": "x", "description": "' + b"a" * 1_100_000 + b'"}'
    assert (await world.call("POST", PLANS, "editor", content=big)).status_code == 413
    assert_error(await world.call("POST", PLANS, "editor", content=b"[1]"), 400, "invalid_json")
    assert_error(await world.call("POST", PLANS, "editor", content=b"{nope"), 400, "invalid_json")
    assert_error(await world.call("GET", f"{PLANS}/..%2F..%2Fetc"), 404, "not_found")
    deep = b'{"name": "x", "events": {"X": ' + b'{"not": ' * 300 + b"{}" + b"}" * 300 + b"}}"
    assert (await world.call("POST", PLANS, "editor", content=deep)).status_code == 400


async def test_import_a_segment_plan_then_export_it_back(world: World) -> None:
    response = await world.call("POST", f"{PLANS}/import?format=segment", "editor", json=PUBLIC_API)
    imported = decoded(response, PlanImported)
    assert imported.plan.name == "kicks-app"
    assert set(imported.plan.events) == {"Order Completed"} and imported.warnings == []
    exported = (await world.call("GET", f"{PLANS}/kicks-app/export", "viewer")).json()
    assert [rule["type"] for rule in exported["rules"]] == ["TRACK", "IDENTIFY", "GROUP", "COMMON"]
    again = await world.call("POST", f"{PLANS}/import?name=kicks-app", "editor", json=exported)
    assert decoded(again, PlanImported).plan == imported.plan


async def test_import_keeps_sources_and_settings_of_an_existing_plan(world: World) -> None:
    await world.call("POST", PLANS, "editor", json=shop(settings={"violations": "block"}))
    response = await world.call("POST", f"{PLANS}/import?name=shop", "editor", json=PUBLIC_API)
    plan = decoded(response, PlanImported).plan
    assert plan.sources == ["web"] and plan.settings.violations == "block"
    assert set(plan.events) == {"Order Completed"}


async def test_import_a_json_schema_file_as_one_event(world: World) -> None:
    await world.call("POST", PLANS, "editor", json=shop())
    schema = {"title": "Coupon Entered", "type": "object", "required": ["coupon_id"]}
    response = await world.call(
        "POST", f"{PLANS}/import?format=jsonschema&name=shop", "editor", json=schema
    )
    plan = decoded(response, PlanImported).plan
    assert "Coupon Entered" in plan.events and "Order Completed" in plan.events
    named = await world.call(
        "POST",
        f"{PLANS}/import?format=jsonschema&name=new&event=Other",
        "editor",
        json={"type": "object"},
    )
    assert set(decoded(named, PlanImported).plan.events) == {"Other"}


@pytest.mark.parametrize(
    ("query", "body", "words"),
    [
        ("format=yaml", {}, "unknown format 'yaml'"),
        ("format=segment", {"nothing": 1}, "no rules found"),
        ("format=segment", {"rules": []}, "no rules found"),
        ("format=jsonschema", {"title": "X"}, "say which plan"),
        ("format=jsonschema&name=p", {"type": "object"}, "no title"),
        ("format=jsonschema&name=p&event=E", {"type": "strin"}, "tracking_plans.p.events.E.type"),
        (
            "name=..",
            {"rules": [{"type": "COMMON", "jsonSchema": {"required": ["x"]}}]},
            "made only of dots",
        ),
    ],
)
async def test_bad_imports_say_what_is_wrong(
    world: World, query: str, body: Any, words: str
) -> None:
    response = await world.call("POST", f"{PLANS}/import?{query}", "editor", json=body)
    assert_error(response, 400, "invalid_config", words)


async def test_import_needs_an_editor(world: World) -> None:
    assert_error(
        await world.call("POST", f"{PLANS}/import", "viewer", json=PUBLIC_API), 403, "forbidden"
    )


async def test_typed_clients(world: World) -> None:
    await world.call("POST", PLANS, "editor", json=shop())
    python = await world.call("GET", f"{PLANS}/shop/typegen", "viewer")
    assert python.status_code == 200 and python.headers["content-type"].startswith("text/plain")
    assert "def order_completed(" in python.text
    typescript = await world.call("GET", f"{PLANS}/shop/typegen?lang=typescript", "viewer")
    assert "export function orderCompleted(" in typescript.text
    assert_error(await world.call("GET", f"{PLANS}/shop/typegen?lang=go"), 400, "invalid_lang")
    assert_error(await world.call("GET", f"{PLANS}/nope/typegen"), 404, "unknown_tracking_plan")


async def seed_violations(world: World) -> None:
    today = protocol_store.day_of(time.time())

    def row(day: str, source: str, path: str, actual: str, plan: str, mid: str) -> Any:
        at = time.time() if day == today else 0.0
        rule, expected = ("required", "present") if plan == "theirs" else ("type", "number")
        return protocol_store.ViolationRow(
            day, source, "Order Completed", path, rule, plan, expected, actual, "d", mid, at
        )

    def seed(conn: sqlite3.Connection) -> None:
        rows = [
            row(today, "web", "properties.revenue", '"5" (string)', "shop", "m-1"),
            row(today, "web", "properties.revenue", '"6" (string)', "shop", "m-2"),
            row("2024-05-01", "web", "properties.tax", "null", "shop", "m-0"),
            row(today, "shop", "properties.x", "missing", "theirs", "m-3"),
        ]
        protocol_store.record_violations(conn, rows)
        tallies = [protocol_store.EventTally(today, "web", "Order Completed", "shop", 3, 3, 0)]
        protocol_store.record_events(conn, tallies)

    await world.ctx.state.run(seed)


async def test_violations_per_day_with_examples(world: World) -> None:
    await world.call("POST", PLANS, "editor", json=shop())
    await seed_violations(world)
    report = decoded(await world.call("GET", "/api/v1/violations", "viewer"), ViolationReport)
    [row] = report.violations
    assert (row.source, row.path, row.count, row.actual) == (
        "web",
        "properties.revenue",
        2,
        '"6" (string)',
    )
    assert row.example_message_id == "m-2" and row.last_seen_at.endswith("Z")
    [count] = report.events
    assert (count.checked, count.violating, count.blocked) == (3, 3, 0)
    everything = decoded(await world.call("GET", "/api/v1/violations?days=90"), ViolationReport)
    assert len(everything.violations) == 1  # 2024 is older than 90 days
    theirs = decoded(await world.call("GET", "/api/v1/violations", "other"), ViolationReport)
    assert [v.source for v in theirs.violations] == ["shop"]
    by_plan = decoded(await world.call("GET", f"{PLANS}/shop/violations"), ViolationReport)
    assert [v.plan for v in by_plan.violations] == ["shop"]
    assert_error(
        await world.call("GET", f"{PLANS}/theirs/violations"), 404, "unknown_tracking_plan"
    )


@pytest.mark.parametrize("days", ["0", "91", "-1", "1e3", "abc", "", "9999"])
async def test_bad_day_counts_are_refused(world: World, days: str) -> None:
    assert_error(await world.call("GET", f"/api/v1/violations?days={days}"), 400, "invalid_days")


async def test_transformations_crud(world: World) -> None:
    doc = {"name": "rename", "sources": ["web"], "if": 'event = "A"', "rename_event": "B"}
    created = decoded(
        await world.call("POST", "/api/v1/transformations", "editor", json=doc),
        TransformationConfig,
        201,
    )
    assert created.if_ == 'event = "A"'
    assert (await world.call("GET", "/api/v1/transformations")).json() == [doc]
    bad = {**doc, "set": {"userId": "x"}}
    assert_error(
        await world.call("PUT", "/api/v1/transformations/rename", "editor", json=bad),
        400,
        "invalid_config",
        "transformations.rename.set.userId",
    )
    assert [t.name for t in world.ctx.config.transformations] == ["rename"]
    assert (
        await world.call("DELETE", "/api/v1/transformations/rename", "editor")
    ).status_code == 204
    assert world.ctx.config.transformations == []
