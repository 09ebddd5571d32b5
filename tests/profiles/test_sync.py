"""Profiles Sync: the raw update tables and the current-state views, in DuckDB and PostgreSQL,
loaded exactly once, and equal however the events arrived."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from eventyard.conversions.identity import sha256_hex
from eventyard.profiles.sync import ProfilesSync
from eventyard.storage.warehouse import DuckDBTarget, PostgresTarget, SqlTarget
from profiles.test_journey import FAMILY, JANE, JOHN, JOURNEY, PHONE
from profiles.world import World

Query = Callable[[str], list[tuple[Any, ...]]]


def _duckdb(tmp_path: Path, name: str) -> tuple[SqlTarget, Query]:
    path = tmp_path / f"{name}.duckdb"

    def query(text: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute(text).fetchall()

    return DuckDBTarget(path, name=name), query


def _postgres(url: str, name: str) -> tuple[SqlTarget, Query]:
    def query(text: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(url) as conn:
            return conn.execute(text.encode()).fetchall()

    return PostgresTarget(url, name=name), query


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Callable[[str], tuple[SqlTarget, Query]]:
    def make(name: str) -> tuple[SqlTarget, Query]:
        if request.param == "duckdb":
            return _duckdb(tmp_path, name)
        url = request.getfixturevalue("postgres_url")
        schema = f"profiles_{name}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE".encode())
        return _postgres(url, name)

    return make


def _load(world: World, target: SqlTarget, schema: str) -> ProfilesSync:
    sync = ProfilesSync(world.store, target, schema, batch=7)
    while sync.sync_once():
        pass
    return sync


def _state(query: Query, schema: str) -> dict[str, Any]:
    return {
        "merges": sorted(
            query(f"SELECT segment_id, canonical_segment_id FROM {schema}.profile_merges")
        ),
        "ids": sorted(
            query(f"SELECT canonical_segment_id, type, value FROM {schema}.user_identifiers")
        ),
        "traits": sorted(
            query(f"SELECT canonical_segment_id, name, value FROM {schema}.user_traits")
        ),
    }


def _expected() -> dict[str, Any]:
    jane_ids = [
        ("anonymous_id", "family-pc"),
        ("anonymous_id", "laptop-1"),
        ("anonymous_id", "phone-1"),
        ("email", "jane.doe@example.com"),
        ("email", "jane@newmail.com"),
        ("user_id", "jane-42"),
    ]
    return {
        "ids": sorted(
            [(JANE, kind, value) for kind, value in jane_ids]
            + [(JOHN, "email", "john@example.com"), (JOHN, "user_id", "john-7")]
        ),
        "traits": sorted(
            [
                (JANE, "email", '"jane@newmail.com"'),
                (JANE, "name", '"Jane Doe"'),
                (JANE, "plan", '"free"'),
                (JOHN, "email", '"john@example.com"'),
                (JOHN, "name", '"John"'),
            ]
        ),
    }


async def test_the_journey_in_the_warehouse(
    tmp_path: Path, warehouse: Callable[[str], tuple[SqlTarget, Query]]
) -> None:
    world = World(tmp_path, feed=True)
    world.apply(JOURNEY)
    target, query = warehouse("inorder")
    _load(world, target, "profiles_inorder")
    state = _state(query, "profiles_inorder")
    assert {k: state[k] for k in ("ids", "traits")} == _expected()
    assert (FAMILY, JANE) in state["merges"] and (PHONE, JANE) in state["merges"]
    assert (JANE, JANE) in state["merges"] and (JOHN, JOHN) in state["merges"]
    updates = query(
        "SELECT segment_id, canonical_segment_id, triggering_event_id "
        "FROM profiles_inorder.id_graph_updates ORDER BY seq"
    )
    assert updates[0] == (JANE, JANE, "m01")
    assert (PHONE, JANE, "m05") in updates and (FAMILY, JANE, "m08") in updates
    hashes = query(
        "SELECT external_id_value, external_id_hash "
        "FROM profiles_inorder.external_id_mapping_updates"
    )
    assert hashes and all(digest == sha256_hex(value) for value, digest in hashes)


async def test_out_of_order_events_give_the_same_current_state(
    tmp_path: Path, warehouse: Callable[[str], tuple[SqlTarget, Query]]
) -> None:
    world = World(tmp_path, feed=True)
    for body in reversed(JOURNEY):
        world.apply([body])
    target, query = warehouse("reversed")
    _load(world, target, "profiles_reversed")
    state = _state(query, "profiles_reversed")
    assert {k: state[k] for k in ("ids", "traits")} == _expected()
    assert {canonical for _, canonical in state["merges"]} == {JANE, JOHN}


async def test_rows_load_once(
    tmp_path: Path, warehouse: Callable[[str], tuple[SqlTarget, Query]]
) -> None:
    world = World(tmp_path, feed=True)
    world.apply(JOURNEY)
    target, query = warehouse("once")
    sync = _load(world, target, "profiles_once")
    counts = query("SELECT COUNT(*) FROM profiles_once.external_id_mapping_updates")
    assert sync.sync_once() == 0
    world.store.write(
        lambda sql: sql.run("DELETE FROM sync_cursors")
    )  # a crash before the cursor moved
    _load(world, target, "profiles_once")
    assert query("SELECT COUNT(*) FROM profiles_once.external_id_mapping_updates") == counts
