"""`/api/v1/conversions/compare`, `/destinations/{name}/match-quality` and `/observed`."""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from control.api_world import World, api_world, assert_error, decoded
from eventyard.control import store as control_store
from eventyard.control.api_conversions import MatchQuality, ObservedPayload, conversion_routes
from eventyard.conversions import ledger, store
from eventyard.conversions.compare import Comparison
from eventyard.conversions.match_quality import Aggregate
from pipeline.conversion_world import ad_type

__all__ = ["ad_type", "api_world"]

BASE = ledger.Entry(
    destination="meta",
    source="web",
    message_id="m1",
    event_id="purchase:1",
    name="purchase",
    value=10.0,
    currency="USD",
    consent="send",
    consent_reason="no needed consent category denied",
    match_score=7.5,
    missing=("fbc",),
    mode="observe",
    at=0.0,
    routed_at=0.0,
)


@pytest.fixture
async def client(api_world: World, ad_type: str) -> AsyncIterator[httpx.AsyncClient]:
    ctx = api_world.ctx

    def seed(conn: sqlite3.Connection) -> None:
        for workspace, name, source in [("default", "meta", "web"), ("other", "far", "shop")]:
            doc = {
                "name": name,
                "type": ad_type,
                "sources": [source],
                "settings": {"url": "http://x/"},
            }
            control_store.put_object(conn, ctx.plane.box, "destination", workspace, doc, "test")

    await ctx.plane.change(seed)
    now = time.time()

    def facts(conn: sqlite3.Connection) -> None:
        entries = [
            dataclasses.replace(BASE, destination=d, at=now - 60, routed_at=now)
            for d in ("meta", "a")
        ]
        ledger.record(conn, entries)
        seen = Aggregate(count=2, score_sum=15.0, meeting_minimum=2, missing=Counter(fbc=2))
        store.add_match_quality(conn, "meta", store.day_of(now), "purchase", seen)
        store.add_match_quality(conn, "meta", store.day_of(now), "lead", Aggregate(count=1))
        store.keep_observed(conn, "a", [("send", "m1", b'{"data": {"event": "E"}}')], now)

    await ctx.state.run(facts)
    app = Starlette(routes=conversion_routes(ctx))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://admin") as http:
        yield http


def auth(world: World, who: str = "viewer") -> dict[str, str]:
    return world.headers(who)


async def test_compare_two_routes(api_world: World, client: httpx.AsyncClient) -> None:
    since = "2020-01-01T00:00:00Z"
    response = await client.get(
        "/api/v1/conversions/compare",
        params={"a": "meta", "b": "a", "since": since},
        headers=auth(api_world),
    )
    report = decoded(response, Comparison)
    assert report.equal and report.a.events == {"purchase": 1}
    response = await client.get(
        "/api/v1/conversions/compare",
        params={"a": "meta", "b": "b", "since": since},
        headers=auth(api_world),
    )
    report = decoded(response, Comparison)
    assert not report.equal
    assert report.differences[0] == "conversions purchase: 1 in meta, 0 in b"


BAD_COMPARES = [
    ({"a": "meta", "since": "2020-01-01T00:00:00Z"}, 400, "invalid_routes"),
    ({"a": "meta", "b": "meta", "since": "2020-01-01T00:00:00Z"}, 400, "invalid_routes"),
    ({"a": "meta", "b": "a"}, 400, "invalid_period"),
    ({"a": "meta", "b": "a", "since": "2030-01-01T00:00:00Z"}, 400, "invalid_period"),
    ({"a": "meta", "b": "far", "since": "2020-01-01T00:00:00Z"}, 404, "unknown_destination"),
    ({"a": "x" * 5000, "b": "a", "since": "2020-01-01T00:00:00Z"}, 404, "unknown_destination"),
]


async def test_compare_refuses_bad_input(api_world: World, client: httpx.AsyncClient) -> None:
    for params, status, code in BAD_COMPARES:
        response = await client.get(
            "/api/v1/conversions/compare", params=params, headers=auth(api_world)
        )
        assert_error(response, status, code)


async def test_match_quality_per_destination(api_world: World, client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/destinations/meta/match-quality", headers=auth(api_world))
    quality = decoded(response, MatchQuality)
    assert (quality.platform, quality.count, quality.mean) == ("meta", 3, 5.0)
    assert quality.share_meeting_minimum == pytest.approx(0.667)
    assert [(m.identifier, m.share) for m in quality.missing] == [("fbc", 0.667)]
    assert quality.events["purchase"].mean == 7.5
    response = await client.get(
        "/api/v1/destinations/meta/match-quality",
        params={"since": "2099-01-01T00:00:00Z"},
        headers=auth(api_world),
    )
    assert decoded(response, MatchQuality).count == 0


BAD_READS = [
    ("/api/v1/destinations/a/match-quality", {}, 400, "no_conversions"),
    ("/api/v1/destinations/meta/match-quality", {"since": "soon"}, 400, "invalid_since"),
    ("/api/v1/destinations/far/match-quality", {}, 404, "unknown_destination"),
    ("/api/v1/destinations/a%2Fb/match-quality", {}, 404, "not_found"),
    ("/api/v1/destinations/a/observed", {"limit": "0"}, 400, "invalid_limit"),
    ("/api/v1/destinations/a/observed", {"limit": "99999"}, 400, "invalid_limit"),
    ("/api/v1/destinations/a/observed", {"limit": "-1"}, 400, "invalid_limit"),
    ("/api/v1/destinations/far/observed", {}, 404, "unknown_destination"),
]


async def test_destination_reads_refuse_bad_input(
    api_world: World, client: httpx.AsyncClient
) -> None:
    for path, params, status, code in BAD_READS:
        response = await client.get(path, params=params, headers=auth(api_world))
        assert_error(response, status, code)


async def test_observed_payloads(api_world: World, client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/destinations/a/observed", headers=auth(api_world))
    (kept,) = decoded(response, list[ObservedPayload])
    assert (kept.action, kept.messageId, kept.payload) == ("send", "m1", {"data": {"event": "E"}})


async def test_every_read_needs_a_token(client: httpx.AsyncClient) -> None:
    bad = {"Authorization": "Bearer ey_not-a-real-token"}
    for path in (
        "/api/v1/conversions/compare",
        "/api/v1/destinations/meta/match-quality",
        "/api/v1/destinations/a/observed",
    ):
        assert_error(await client.get(path), 401, "unauthorized")
        assert_error(await client.get(path, headers=bad), 401, "invalid_token")
