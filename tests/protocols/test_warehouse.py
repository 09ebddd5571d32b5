"""The warehouse loader honours tracking plans (blocked events are not loaded, unplanned
properties omitted where the plan says so) and transformations marked `warehouse: true`,
read from state.db as the storage process reads them; the archive keeps events as sent."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from eventyard.control import store
from eventyard.control.secrets import KEY_ENV, SecretBox
from eventyard.log.sqlite import SQLiteLog
from eventyard.sqlite_writer import connect
from eventyard.storage.warehouse import DuckDBTarget, WarehouseLoader
from eventyard.storage.warehouse.protocols import StoredProtocols
from protocols.ecommerce import ecommerce_plan, order_completed, track
from storage.conftest import append, event_log

__all__ = ["event_log"]


@pytest.fixture
def state_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[sqlite3.Connection]:
    monkeypatch.delenv(KEY_ENV, raising=False)
    box = SecretBox.load(tmp_path)
    conn = connect(tmp_path / "state.db")
    store.ensure_schema(conn)
    for name in ("web", "app"):
        store.put_object(conn, box, "source", "default", {"name": name}, "t")
    settings = {"violations": "block", "unplanned_properties": "omit"}
    store.put_object(
        conn,
        box,
        "tracking_plan",
        "default",
        ecommerce_plan(sources=["web"], settings=settings),
        "t",
    )
    for name, warehouse in (("to-warehouse", True), ("destinations-only", False)):
        step = {
            "name": name,
            "sources": ["web", "app"],
            "set": {f"properties.{name.replace('-', '_')}": True},
            "warehouse": warehouse,
        }
        store.put_object(conn, box, "transformation", "default", step, "t")
    conn.commit()
    yield conn
    conn.close()


def rows(path: Path, query: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as db:
        return db.execute(query).fetchall()


async def test_blocking_omission_and_warehouse_transformations(
    tmp_path: Path, event_log: SQLiteLog, state_db: sqlite3.Connection
) -> None:
    good = track("Order Completed", order_completed(gift_wrap=True), messageId="m-good")
    bad = track("Order Completed", order_completed(revenue="55"), messageId="m-bad")
    other = track("Order Completed", {"anything": "goes"}, messageId="m-app")
    await append(event_log, [good, bad])
    await append(event_log, [other], source="app")
    path = tmp_path / "warehouse.duckdb"
    protocols = StoredProtocols(tmp_path / "state.db")
    loader = WarehouseLoader(event_log, DuckDBTarget(path), protocols=protocols.current)
    assert await loader.load_once() == 3
    web = rows(path, "SELECT id, to_warehouse FROM web.order_completed ORDER BY id")
    assert web == [("m-good", True)]
    columns = {
        name
        for (name,) in rows(
            path, "SELECT column_name FROM information_schema.columns WHERE table_schema = 'web'"
        )
    }
    assert "gift_wrap" not in columns and "destinations_only" not in columns
    app = rows(path, "SELECT id, anything, to_warehouse FROM app.order_completed")
    assert app == [("m-app", "goes", True)]


async def test_changes_in_state_db_are_picked_up_and_bad_state_is_survived(
    tmp_path: Path, state_db: sqlite3.Connection
) -> None:
    protocols = StoredProtocols(tmp_path / "state.db")
    first = protocols.current()
    assert first is not None and first.sources == {"web", "app"}
    assert protocols.current() is first  # same version: not compiled again
    state_db.execute("DELETE FROM objects WHERE kind IN ('tracking_plan', 'transformation')")
    state_db.execute("UPDATE config_version SET version = version + 1")
    state_db.commit()
    assert protocols.current() is None
    assert StoredProtocols(tmp_path / "missing.db").current() is None
    (tmp_path / "empty.db").write_bytes(b"")
    assert StoredProtocols(tmp_path / "empty.db").current() is None
