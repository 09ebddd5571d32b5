"""A warehouse under test with a way to run SQL against it, over every target kind.

The kinds are the built-in DuckDB and PostgreSQL targets and dlt's duckdb and postgres
destinations: one interface (`target`, `rows()`, `columns()`, `tables()`, `all_columns()`)
so one contract suite (test_warehouse.py) runs against all of them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from eventyard.log.sqlite import SQLiteLog
from eventyard.storage.warehouse import (
    CONFLICTS,
    DuckDBTarget,
    PostgresTarget,
    Target,
    WarehouseLoader,
)
from eventyard.storage.warehouse.dlt_target import DltTarget
from storage.conftest import append, sdk_event

SQL_KINDS = ("duckdb", "postgres")
DLT_KINDS = ("dlt-duckdb", "dlt-postgres")
KINDS = SQL_KINDS + DLT_KINDS


@dataclass
class Warehouse:
    target: Target
    schema: str
    """The schema of the test's source (unique per test on the shared PostgreSQL)."""

    @property
    def is_dlt(self) -> bool:
        return isinstance(self.target, DltTarget)

    def _database(self) -> tuple[str, str]:
        """(duckdb or postgres, the file or URL to connect to)."""
        target = self.target
        if isinstance(target, DuckDBTarget):
            return "duckdb", str(target.path)
        if isinstance(target, PostgresTarget):
            return "postgres", target.url
        assert isinstance(target, DltTarget) and target.destination in ("duckdb", "postgres")
        return target.destination, str(target.credentials)

    def reopen(self) -> None:
        """A fresh target over the same database, as a restarted process would build it."""
        target = self.target
        if isinstance(target, DltTarget):
            self.target = DltTarget(
                target.name,
                target.destination,
                pipelines_dir=target.pipelines_dir,
                credentials=target.credentials,
            )
        elif isinstance(target, DuckDBTarget):
            self.target = DuckDBTarget(target.path)
        else:
            assert isinstance(target, PostgresTarget)
            self.target = PostgresTarget(target.url)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        sql = sql.replace("{s}", f'"{self.schema}"')
        kind, database = self._database()
        if kind == "duckdb":
            with duckdb.connect(database, read_only=True) as con:
                return con.execute(sql).fetchall()
        with psycopg.connect(database) as conn:
            return conn.execute(sql.encode()).fetchall()

    def columns(self, table: str) -> dict[str, str]:
        rows = self.rows(
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema = '{self.schema}' AND table_name = '{table}'"
        )
        return {name: kind.lower() for name, kind in rows}

    def all_columns(self) -> list[str]:
        rows = self.rows(
            "SELECT column_name FROM information_schema.columns "
            f"WHERE table_schema = '{self.schema}'"
        )
        return [r[0] for r in rows]

    def tables(self) -> set[str]:
        """The schema's tables, less dlt's own bookkeeping (`_dlt_*`)."""
        rows = self.rows(
            f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{self.schema}'"
        )
        return {r[0] for r in rows if not r[0].startswith("_dlt_")}


def open_warehouse(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    """A warehouse of one of KINDS, its schema unique to the test."""
    schema = f"web_{secrets.token_hex(3)}"
    if kind == "duckdb":
        return Warehouse(DuckDBTarget(tmp_path / "warehouse.duckdb"), schema)
    url: str = request.getfixturevalue("postgres_url")
    if kind == "postgres":
        return Warehouse(PostgresTarget(url), schema)
    pipelines = tmp_path / "dlt" / "dlt"
    if kind == "dlt-duckdb":
        credentials = str(tmp_path / "dlt.duckdb")
    else:
        assert kind == "dlt-postgres", kind
        # dlt insists on a password; the test server trusts any
        credentials = url.replace("postgres@", "postgres:x@", 1)
    destination = kind.removeprefix("dlt-")
    target = DltTarget("dlt", destination, pipelines_dir=pipelines, credentials=credentials)
    return Warehouse(target, schema)


async def evolution_and_a_type_conflict(
    event_log: SQLiteLog,
    warehouse: Warehouse,
    between_loads: Callable[[], None] | None = None,
) -> None:
    """The evolution/conflict scenario; `between_loads` may disturb the target (then reopened)."""
    source = warehouse.schema
    loader = WarehouseLoader(event_log, warehouse.target)
    await append(event_log, [sdk_event(1, properties={"price": 10, "sku": "a"})], source=source)
    await loader.load_once()
    if between_loads is not None:
        between_loads()
        warehouse.reopen()
        loader = WarehouseLoader(event_log, warehouse.target)
    await append(
        event_log,
        [
            sdk_event(2, properties={"price": 2.5, "sku": "b", "color": "red"}),  # new column
            sdk_event(3, properties={"price": "cheap", "sku": 7}),  # conflicts
        ],
        source=source,
    )
    assert await loader.load_once() == 2  # a conflict never fails the load
    assert f"{source}.order_completed.color" in loader.last_stats[source].added_columns
    rows = warehouse.rows("SELECT id, price, sku, color FROM {s}.order_completed ORDER BY id")
    assert rows == [
        ("msg-000001", 10, "a", None),
        ("msg-000002", 2, "b", "red"),  # Segment keeps the first type: integer, cast
        ("msg-000003", None, "7", None),  # cannot be an integer: NULL, recorded
    ]
    assert warehouse.columns("order_completed")["price"] == "bigint"
    conflicts = warehouse.rows(
        "SELECT message_id, table_name, column_name, column_type, value_type, value, resolution "
        f"FROM {{s}}.{CONFLICTS} ORDER BY message_id, column_name"
    )
    assert conflicts == [
        ("msg-000002", "order_completed", "price", "integer", "float", "2.5", "cast"),
        ("msg-000003", "order_completed", "price", "integer", "varchar", "cheap", "null"),
        ("msg-000003", "order_completed", "sku", "varchar", "integer", "7", "cast"),
    ]
    assert not [c for c in warehouse.all_columns() if "__v_" in c]  # no dlt variant columns
