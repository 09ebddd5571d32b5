"""A router over a real state.db with an ad destination type, for the conversions tests.

`ad-hook` is the webhook destination declared as a conversions API (consent category
"Advertising", a ConversionSpec with Meta-like weights and limited mode): its `send` action's
default payload is `{"data": <event>}`, so a queued job shows exactly the event the
conversions stage handed to the destination's plan.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from eventyard.control.config import Config, ConversionsSettings, DestinationConfig, SourceConfig
from eventyard.conversions.spec import ConversionSpec
from eventyard.delivery import StateStore, trace
from eventyard.destinations import registry
from eventyard.destinations.webhook import definition as webhook
from eventyard.log.base import Entry
from eventyard.pipeline import Router
from pipeline.conftest import MemoryLog

__all__ = [
    "AD",
    "SPEC",
    "ad",
    "ad_type",
    "conversion_of",
    "entry",
    "iso",
    "jobs_of",
    "ledger_of",
    "plain",
    "route",
    "steps_of",
    "world",
]

URL = "http://127.0.0.1:9/unused"

SPEC = ConversionSpec(
    platform="meta",
    default_events=frozenset({"purchase", "lead"}),
    match_weights={"email": 3, "phone": 3, "fbc": 3, "external_id": 2, "ip": 1, "user_agent": 1},
    minimum=(frozenset({"email"}), frozenset({"ip", "user_agent"})),
    limited_mode=True,
    max_age=7 * 86400,
)
AD = dataclasses.replace(
    webhook,
    slug="ad-hook",
    name="Ad hook",
    consent_category="Advertising",
    conversion=SPEC,
)


@pytest.fixture
def ad_type() -> Iterator[str]:
    with registry.registered(AD):
        yield AD.slug


def ad(name: str, sources: tuple[str, ...] = ("web",), **extra: Any) -> DestinationConfig:
    return DestinationConfig(
        name=name, type="ad-hook", sources=list(sources), settings={"url": URL}, **extra
    )


def plain(name: str, **extra: Any) -> DestinationConfig:
    return DestinationConfig(
        name=name, type="webhook", sources=["web"], settings={"url": URL}, **extra
    )


def world(*destinations: DestinationConfig, **conversions: Any) -> Config:
    return Config(
        sources=[
            SourceConfig(name="web", write_key="wk1"),
            SourceConfig(name="server", write_key="wk2"),
        ],
        destinations=list(destinations),
        conversions=ConversionsSettings(**conversions),
        warehouses=[],
    )


def iso(at: float | None = None) -> str:
    moment = datetime.fromtimestamp(time.time() if at is None else at, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def entry(message_id: str, source: str = "web", kind: str = "track", **fields: Any) -> Entry:
    """A stored event of this type (now) with the given top-level fields."""
    event = {"type": kind, "messageId": message_id, "timestamp": iso(), **fields}
    user = str(event.get("userId") or event.get("anonymousId") or "nobody")
    return Entry(source, user, message_id, orjson.dumps(event))


async def route(router: Router, log: MemoryLog, *entries: Entry) -> int:
    """Append and route everything appended so far; the jobs queued."""
    await log.append(list(entries))
    queued = 0
    for partition, records in enumerate(log.records):
        after = await log.committed("pipeline", partition)
        fresh = [r for r in records if r.offset > after]
        if fresh:
            queued += await router.process(fresh)
    return queued


async def jobs_of(state: StateStore, destination: str) -> list[dict[str, Any]]:
    """The events queued for a destination, in order (the webhook's `data`)."""
    rows = await state.run(
        lambda conn: conn.execute(
            "SELECT payload FROM jobs WHERE destination = ? ORDER BY id", (destination,)
        ).fetchall()
    )
    return [orjson.loads(payload)["data"] for (payload,) in rows]


def conversion_of(event: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = event["context"]["eventyard"]["conversion"]
    return found


async def steps_of(state: StateStore, message_id: str) -> list[tuple[str, str, str]]:
    """(destination, step, detail) of a messageId's trace."""
    found = await state.run(lambda conn: trace.steps_for(conn, message_id))
    return [(s.destination, s.step, s.detail) for s in found]


async def ledger_of(state: StateStore, destination: str) -> list[dict[str, Any]]:
    def read(conn: Any) -> list[dict[str, Any]]:
        cursor = conn.execute(
            "SELECT * FROM conversion_ledger WHERE destination = ? ORDER BY id", (destination,)
        )
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    return await state.run(read)
