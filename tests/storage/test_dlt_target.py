"""The dlt warehouse: Segment's tables through dlt's duckdb and postgres destinations.

The rows, names and column types are ours (flatten.py, types.py); dlt only writes them. So
the same promises as the SQL targets hold: evolution, a type conflict cast and recorded
(never a dlt variant column), reloads idempotent by messageId, `users` with latest traits.
"""

from __future__ import annotations

import secrets
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from eventyard.control.config import parse_config
from eventyard.errors import ConfigError
from eventyard.log.sqlite import SQLiteLog
from eventyard.storage.service import StorageService
from eventyard.storage.warehouse import CONFLICTS, WarehouseLoader
from eventyard.storage.warehouse.dlt_target import DltTarget
from storage.conftest import append, sdk_event


@dataclass
class DltWarehouse:
    destination: str
    credentials: str
    schema: str
    pipelines_dir: Path

    def target(self) -> DltTarget:
        return DltTarget(
            "dlt", self.destination, pipelines_dir=self.pipelines_dir, credentials=self.credentials
        )

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        sql = sql.replace("{s}", f'"{self.schema}"')
        if self.destination == "duckdb":
            with duckdb.connect(self.credentials, read_only=True) as con:
                return con.execute(sql).fetchall()
        with psycopg.connect(self.credentials) as conn:
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
        rows = self.rows(
            f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{self.schema}'"
        )
        return {r[0] for r in rows if not r[0].startswith("_dlt_")}


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DltWarehouse]:
    schema = f"web_{secrets.token_hex(3)}"
    pipelines = tmp_path / "dlt" / "dlt"
    if request.param == "duckdb":
        yield DltWarehouse("duckdb", str(tmp_path / "dlt.duckdb"), schema, pipelines)
    else:
        # dlt insists on a password; the test server trusts any
        url = request.getfixturevalue("postgres_url").replace("postgres@", "postgres:x@", 1)
        yield DltWarehouse("postgres", url, schema, pipelines)


async def test_sdk_events_land_in_segment_tables(
    event_log: SQLiteLog, warehouse: DltWarehouse
) -> None:
    source = warehouse.schema
    events = [
        sdk_event(1, properties={"orderId": "o-1", "revenue": 12.5, "coupon": {"code": "X"}}),
        sdk_event(2, event="Signed Up", properties={"plan": "Pro Annual", "accountType": "fb"}),
        sdk_event(3, type="identify", event=None, traits={"email": "a@b.c", "firstName": "Ada"}),
        sdk_event(4, type="page", event=None, name="Home", properties={"title": "Welcome"}),
        sdk_event(5, type="screen", event=None, name="Settings", properties={"tab": "x"}),
        sdk_event(6, type="group", event=None, groupId="g-1", traits={"employeeCount": 20}),
        sdk_event(7, type="alias", event=None, previousId="anon-7"),
    ]
    await append(event_log, events, source=source)
    loader = WarehouseLoader(event_log, warehouse.target(), interval=0.01)
    assert await loader.load_once() == 7
    assert warehouse.tables() == {
        "tracks", "order_completed", "signed_up", "identifies", "users", "pages", "screens",
        "groups", "accounts", "aliases",
    }  # fmt: skip
    tracks = warehouse.columns("tracks")
    for column in ("id", "received_at", "sent_at", "timestamp", "original_timestamp", "uuid_ts",
                   "user_id", "anonymous_id", "event", "event_text", "context_library_name",
                   "context_page_url", "context_user_agent"):  # fmt: skip
        assert column in tracks, column
    assert "revenue" not in tracks
    assert tracks["received_at"] == "timestamp with time zone"
    order = warehouse.columns("order_completed")
    assert order["order_id"] in ("varchar", "text", "character varying")
    assert order["revenue"] in ("double", "double precision")
    assert "coupon_code" in order
    rows = warehouse.rows("SELECT id, event, event_text, user_id FROM {s}.tracks ORDER BY id")
    assert rows == [
        ("msg-000001", "order_completed", "Order Completed", "user-1"),
        ("msg-000002", "signed_up", "Signed Up", "user-2"),
    ]
    assert warehouse.rows("SELECT plan, account_type FROM {s}.signed_up") == [("Pro Annual", "fb")]
    assert warehouse.rows("SELECT id, email FROM {s}.users") == [("user-3", "a@b.c")]
    assert warehouse.rows("SELECT name, title FROM {s}.pages") == [("Home", "Welcome")]
    assert warehouse.rows("SELECT id, employee_count FROM {s}.accounts") == [("g-1", 20)]
    assert warehouse.rows("SELECT previous_id FROM {s}.aliases") == [("anon-7",)]


async def test_evolution_and_a_conflict_cast_and_recorded_after_a_lost_pipeline_dir(
    event_log: SQLiteLog, warehouse: DltWarehouse
) -> None:
    source = warehouse.schema
    loader = WarehouseLoader(event_log, warehouse.target())
    await append(event_log, [sdk_event(1, properties={"price": 10, "sku": "a"})], source=source)
    await loader.load_once()
    # the types are read back from the destination when dlt's local state is gone
    shutil.rmtree(warehouse.pipelines_dir)
    loader = WarehouseLoader(event_log, warehouse.target())
    await append(
        event_log,
        [
            sdk_event(2, properties={"price": 2.5, "sku": "b", "color": "red"}),  # new column
            sdk_event(3, properties={"price": "cheap", "sku": 7}),  # conflicts
        ],
        source=source,
    )
    assert await loader.load_once() == 2
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


async def test_reload_never_duplicates(event_log: SQLiteLog, warehouse: DltWarehouse) -> None:
    source = warehouse.schema
    events = [sdk_event(i) for i in range(20)]
    events.append(sdk_event(3))  # the same messageId again (a client retry)
    await append(event_log, events, source=source)
    loader = WarehouseLoader(event_log, warehouse.target())
    assert await loader.load_once() == 21
    for partition in range(event_log.partitions):  # forget every offset: reload everything
        await event_log.commit(loader.consumer, partition, 0)
    assert await loader.load_once() == 21
    assert warehouse.rows("SELECT count(*), count(DISTINCT id) FROM {s}.tracks") == [(20, 20)]
    assert warehouse.rows("SELECT count(*) FROM {s}.order_completed") == [(20,)]


async def test_users_keep_latest_traits(event_log: SQLiteLog, warehouse: DltWarehouse) -> None:
    source = warehouse.schema

    def identify(i: int, at: str, traits: dict[str, object]) -> dict[str, object]:
        return sdk_event(i, type="identify", event=None, userId="u1", timestamp=at, traits=traits)

    loader = WarehouseLoader(event_log, warehouse.target())
    await append(
        event_log,
        [identify(1, "2026-01-01T10:00:00Z", {"plan": "free", "email": "old@x"})],
        source=source,
    )
    await loader.load_once()
    await append(
        event_log,
        [
            identify(2, "2026-01-01T12:00:00Z", {"plan": "pro"}),
            identify(3, "2026-01-01T11:00:00Z", {"plan": "team", "name": "Ada"}),  # late
        ],
        source=source,
    )
    await loader.load_once()
    assert warehouse.rows("SELECT id, plan, email, name FROM {s}.users") == [
        ("u1", "pro", "old@x", "Ada")
    ]
    assert warehouse.rows("SELECT count(*) FROM {s}.identifies") == [(3,)]


SOURCES = "sources:\n  - {name: web, write_key: k1}\n"


def test_config_and_service_build_a_dlt_target(event_log: SQLiteLog, tmp_path: Path) -> None:
    config = parse_config(
        SOURCES
        + """warehouses:
  - name: lake
    type: dlt
    destination: duckdb
    credentials: {database: /tmp/x.duckdb}
    dataset_prefix: prod_
    interval: 1m
"""
    )
    [warehouse] = config.warehouses
    assert (warehouse.destination, warehouse.credentials, warehouse.dataset_prefix) == (
        "duckdb", {"database": "/tmp/x.duckdb"}, "prod_"
    )  # fmt: skip
    [loader] = StorageService(config, event_log, tmp_path).loaders
    target = loader.target
    assert isinstance(target, DltTarget)
    assert target.pipelines_dir == tmp_path / "dlt" / "lake"  # never the home directory
    assert target.dataset_prefix == "prod_" and loader.interval == 60


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("  - {name: w, type: dlt}\n", 4, "needs destination:"),
        ("  - {name: w, type: dlt, destination: bigqery}\n", 4, "did you mean 'bigquery'?"),
        ("  - name: w\n    type: dlt\n    destination: nope\n", 6, "dlt knows"),
        ("  - {name: w, type: dlt, destination: duckdb, url: /x}\n", 4, "credentials"),
        ("  - {name: w, type: duckdb, destination: duckdb}\n", 4, "only a `type: dlt`"),
        ("  - {name: w, type: dlt, destination: duckdb, dataset_prefix: a-b}\n", 4, "letters"),
        ("  - {name: ../w, type: dlt, destination: duckdb}\n", 4, "letters"),
    ],
)
def test_bad_dlt_warehouses_are_line_numbered(body: str, line: int, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(SOURCES + "warehouses:\n" + body)
    assert f"eventyard.yaml:{line}:" in str(raised.value)
    assert message in str(raised.value)


def test_a_missing_client_library_or_dlt_is_a_config_error(
    event_log: SQLiteLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = SOURCES + "warehouses:\n  - {name: w, type: dlt, destination: clickhouse}\n"
    config = parse_config(text)  # the config may be meant for a host that has the library
    try:
        import clickhouse_connect  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match=r'pip install "dlt\[clickhouse\]"'):
            StorageService(config, event_log, tmp_path)
    monkeypatch.setitem(sys.modules, "dlt", None)
    monkeypatch.delitem(sys.modules, "eventyard.storage.warehouse.dlt_target")
    with pytest.raises(ConfigError, match=r'pip install "eventyard\[dlt\]"') as raised:
        parse_config(text)
    assert "eventyard.yaml:4:" in str(raised.value)
    with pytest.raises(ConfigError, match=r'pip install "eventyard\[dlt\]"'):
        StorageService(config, event_log, tmp_path)
