"""One customer's journey, asserted exactly: anonymous browsing on two devices, sign-up,
login, an email change, and a family computer that merge protection keeps from joining two
people. The same events in reverse order give the same profiles, merges and explanations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from eventyard.profiles import queries
from eventyard.profiles.explain import Explanation, explain
from eventyard.profiles.graph import profile_id_for
from profiles.world import World, event

JOURNEY: list[dict[str, Any]] = [
    event("m01", "2024-03-01T09:00:00Z", type="page", name="Home", anonymousId="laptop-1"),
    event("m02", "2024-03-01T12:00:00Z", type="page", name="Home", anonymousId="phone-1"),
    event(
        "m03", "2024-03-01T12:01:00Z", event="Product Viewed", anonymousId="phone-1",
        properties={"product_id": "boots"},
    ),
    event(
        "m04", "2024-03-02T10:00:00Z", type="identify", userId="jane-42", anonymousId="laptop-1",
        traits={"email": " Jane.Doe@Example.com ", "name": "Jane Doe", "plan": "free"},
    ),
    event("m05", "2024-03-03T08:00:00Z", type="identify", userId="jane-42", anonymousId="phone-1"),
    event(
        "m06", "2024-03-05T18:30:00Z", type="identify", userId="jane-42",
        traits={"email": "jane@newmail.com"},
    ),
    event("m07", "2024-03-06T20:00:00Z", type="page", name="Home", anonymousId="family-pc"),
    event(
        "m08", "2024-03-06T20:05:00Z", type="identify", userId="jane-42", anonymousId="family-pc",
    ),
    event(
        "m09", "2024-03-07T19:00:00Z", type="identify", userId="john-7", anonymousId="family-pc",
        traits={"email": "john@example.com", "name": "John"},
    ),
    event(
        "m10", "2024-03-07T19:10:00Z", event="Order Completed", userId="john-7",
        anonymousId="family-pc", properties={"order_id": "o-1", "revenue": 120},
    ),
]  # fmt: skip


def _created_by(message_id: str) -> str:
    """The profile id an event of the journey gives the profile it creates."""
    body = next(b for b in JOURNEY if b["messageId"] == message_id)
    return profile_id_for((datetime.fromisoformat(body["timestamp"]).timestamp(), message_id))


JANE = _created_by("m01")
"""Her laptop's first page view started the profile that everything else joins."""
PHONE = _created_by("m02")
FAMILY = _created_by("m07")
JOHN = _created_by("m09")
LIMIT = "user_id limit 1: the profile would have 2"


def _story(world: World) -> tuple[Explanation | None, Explanation | None]:
    return world.read(lambda sql: (explain(sql, JANE), explain(sql, JOHN)))


def _check(world: World, *, in_order: bool = True) -> None:
    assert world.profiles() == {
        JANE: {
            ("anonymous_id", "laptop-1"),
            ("anonymous_id", "phone-1"),
            ("anonymous_id", "family-pc"),
            ("user_id", "jane-42"),
            ("email", "jane.doe@example.com"),
            ("email", "jane@newmail.com"),
        },
        JOHN: {("user_id", "john-7"), ("email", "john@example.com")},
    }
    jane, john = _story(world)
    assert jane is not None and john is not None
    if in_order:
        assert jane.merged_ids == sorted([PHONE, FAMILY])
    else:  # ids that profiles had while events were missing stay resolvable too
        assert {PHONE, FAMILY} <= set(jane.merged_ids)
    for old in jane.merged_ids:
        assert world.read(lambda sql, old=old: queries.resolve(sql, "profile_id", old)) == JANE
    assert jane.sentences() == [
        'anonymous_id:laptop-1 started the profile (page "Home" m01)',
        'anonymous_id:phone-1 started the profile (page "Home" m02)',
        "email:jane.doe@example.com joined via anonymous_id:laptop-1 (identify m04)",
        "user_id:jane-42 joined via anonymous_id:laptop-1 (identify m04)",
        "email:jane@newmail.com joined via user_id:jane-42 (identify m06)",
        'anonymous_id:family-pc started the profile (page "Home" m07)',
        f"{PHONE} merged into {JANE}: identify m05 carried user_id:jane-42 and "
        "anonymous_id:phone-1",
        f"{FAMILY} merged into {JANE}: identify m08 carried user_id:jane-42 and "
        "anonymous_id:family-pc",
        f"anonymous_id:family-pc not linked to {JOHN} by identify m09: {LIMIT}",
        f'anonymous_id:family-pc not linked to {JOHN} by track "Order Completed" m10: {LIMIT}',
    ]
    assert [b.holder for b in jane.blocks] == [JANE, JANE]
    assert john.sentences() == [
        "user_id:john-7 started the profile (identify m09)",
        "email:john@example.com joined via user_id:john-7 (identify m09)",
        f"anonymous_id:family-pc not linked to {JOHN} by identify m09: {LIMIT}",
        f'anonymous_id:family-pc not linked to {JOHN} by track "Order Completed" m10: {LIMIT}',
    ]
    traits = world.read(lambda sql: queries.traits(sql, JANE))
    assert {key: (t.value, t.message_id) for key, t in traits.items()} == {
        "email": ('"jane@newmail.com"', "m06"),
        "name": ('"Jane Doe"', "m04"),
        "plan": ('"free"', "m04"),
    }
    events = world.read(lambda sql: queries.profile_events(sql, JOHN, descending=False))
    assert [e.message_id for e in events] == ["m09", "m10"]
    jane_events = world.read(lambda sql: queries.profile_events(sql, JANE, limit=50))
    assert [e.message_id for e in jane_events] == [f"m0{i}" for i in range(8, 0, -1)]
    assert world.read(lambda sql: queries.resolve(sql, "profile_id", JANE)) == JANE


@pytest.fixture
def world(tmp_path: Path, store_url: str | None) -> Iterator[World]:
    opened = World(tmp_path, url=store_url)
    yield opened
    opened.close()


def test_the_journey_in_order(world: World) -> None:
    for body in JOURNEY:
        assert world.apply([body]) == 1
    _check(world)


@pytest.mark.parametrize("order", ["reversed", "interleaved", "one batch"])
def test_the_same_journey_in_another_order_ends_the_same(world: World, order: str) -> None:
    if order == "one batch":
        world.apply(JOURNEY)
    else:
        shuffled = JOURNEY[::-1] if order == "reversed" else JOURNEY[1::2] + JOURNEY[::2]
        for body in shuffled:
            world.apply([body])
    _check(world, in_order=order == "one batch")


def test_reading_a_batch_again_changes_nothing(world: World) -> None:
    world.apply(JOURNEY)
    before = world.read(lambda sql: sql.all("SELECT * FROM identifiers ORDER BY type, value"))
    assert world.apply(JOURNEY) == 0
    assert world.read(lambda sql: sql.all("SELECT * FROM identifiers ORDER BY type, value")) == (
        before
    )
    _check(world)


def test_nul_characters_never_reach_the_store(world: World) -> None:
    """PostgreSQL refuses NUL in text: such identifiers are dropped, names and ids cleaned."""
    world.apply(
        [
            event("n\x001", "2024-01-01T00:00:00Z", userId="a\x00b", anonymousId="ok",
                  event="Bad\x00Name", type="track"),
            event("n\x001", "2024-01-01T00:00:00Z", anonymousId="ok"),  # the same messageId
        ]
    )  # fmt: skip
    assert world.partition() == {frozenset({("anonymous_id", "ok")})}
    rows = world.read(lambda sql: sql.all("SELECT message_id, event FROM events"))
    assert rows == [("n\ufffd1", "Bad\ufffdName")]
