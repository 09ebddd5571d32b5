"""Any permutation of the same events yields the same profiles: the same partition of
identifiers, the same profile ids, merges, blocks, traits and computed traits."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path
from typing import Any

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventyard.control.profiles_config import ComputedTraitConfig, ProfilesSettings
from profiles.world import World, event

RULES = ProfilesSettings(
    limits={"email": 2},
    computed_traits=[
        ComputedTraitConfig(key="orders", type="counter", if_='event = "Order Completed"'),
        ComputedTraitConfig(key="spend", type="sum", property="properties.revenue"),
        ComputedTraitConfig(key="first_plan", type="first", property="traits.plan"),
    ],
)

_USERS = st.sampled_from(["u1", "u2", "u3", "null"])
_ANONS = st.sampled_from(["a1", "a2", "a3", "a4", "a5"])
_EMAILS = st.sampled_from(["e1@x.com", "E2@x.com", "e3@x.com"])


@st.composite
def _events(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(min_value=1, max_value=14))
    bodies = []
    for i in range(count):
        fields: dict[str, Any] = {}
        if draw(st.booleans()):
            fields["userId"] = draw(_USERS)
        if draw(st.booleans()) or not fields:
            fields["anonymousId"] = draw(_ANONS)
        if draw(st.booleans()):
            fields["type"] = "identify"
            fields["traits"] = {"email": draw(_EMAILS), "plan": draw(st.sampled_from("ab"))}
        else:
            fields["event"] = "Order Completed"
            fields["properties"] = {"revenue": draw(st.integers(0, 50))}
        minute = draw(st.integers(min_value=0, max_value=5))  # equal times happen
        bodies.append(event(f"m{i:02d}", f"2024-01-01T10:0{minute}:00Z", **fields))
    return bodies


def _snapshot(world: World) -> dict[str, Any]:
    def rows(sql_text: str) -> list[tuple[Any, ...]]:
        return sorted(world.read(lambda sql: sql.all(sql_text)), key=repr)

    return {
        "profiles": {p: sorted(ids) for p, ids in world.profiles().items()},
        "merges": rows("SELECT kept, merged, message_id, linked FROM merges"),
        "blocks": rows(
            "SELECT profile_id, holder, message_id, dropped_type, dropped_value, reason FROM blocks"
        ),
        "traits": rows("SELECT profile_id, key, value, message_id FROM traits"),
        "computed": rows("SELECT profile_id, key, value FROM computed"),
        "links": rows("SELECT ids, profile_id, message_id FROM links"),
        "members": rows(
            "SELECT type, value, profile_id, added_by, via_type, via_value FROM identifiers"
        ),
    }


def _run(bodies: list[dict[str, Any]], batch: int, url: str | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        world = World(Path(folder), RULES, url=url)
        for start in range(0, len(bodies), batch):
            world.apply(bodies[start : start + batch], now=1704103200.0)
        snapshot = _snapshot(world)
        world.close()
        return snapshot


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), bodies=_events())
def test_any_order_gives_the_same_profiles(
    data: st.DataObject, bodies: list[dict[str, Any]]
) -> None:
    shuffled = data.draw(st.permutations(bodies))
    batch = data.draw(st.integers(min_value=1, max_value=4))
    in_order = sorted(bodies, key=lambda b: (b["timestamp"], b["messageId"]))
    assert _run(shuffled, batch) == _run(in_order, len(bodies))


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), bodies=_events())
def test_any_order_gives_the_same_profiles_in_postgresql(
    postgres_url: str, data: st.DataObject, bodies: list[dict[str, Any]]
) -> None:
    """The same on PostgreSQL: each run in a schema of its own of the session's database."""
    shuffled = data.draw(st.permutations(bodies))
    in_order = sorted(bodies, key=lambda b: (b["timestamp"], b["messageId"]))
    snapshots = []
    for run in (shuffled, in_order):
        schema = f"convergence_{secrets.token_hex(6)}"
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}".encode())
        try:
            snapshots.append(_run(run, 2, f"{postgres_url}?options=-csearch_path%3D{schema}"))
        finally:
            with psycopg.connect(postgres_url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE".encode())
    assert snapshots[0] == snapshots[1]
