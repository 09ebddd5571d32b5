"""Warehouse loading: Segment's tables and columns, evolution, conflicts, idempotency.

The contract suite every target passes: the built-in DuckDB and PostgreSQL targets and dlt's
duckdb and postgres destinations (rows, names and types are ours; dlt only writes them).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from eventyard.log.sqlite import SQLiteLog
from eventyard.storage.warehouse import WarehouseLoader, snake_case
from storage.conftest import append, sdk_event
from storage.wh_helpers import KINDS, Warehouse, evolution_and_a_type_conflict, open_warehouse


@pytest.fixture(params=KINDS)
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    return open_warehouse(request.param, request, tmp_path)


def test_snake_case_follows_segment() -> None:
    assert snake_case("Order Completed") == "order_completed"
    assert snake_case("productId") == "product_id"
    assert snake_case("userIDValue") == "user_id_value"
    assert snake_case("Signed-Up!") == "signed_up"
    assert snake_case("3rd party") == "_3rd_party"


async def test_sdk_events_land_in_segment_tables(
    event_log: SQLiteLog, warehouse: Warehouse
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
    loader = WarehouseLoader(event_log, warehouse.target, interval=0.01)
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
    assert "revenue" not in tracks  # properties only in the event tables
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
    assert warehouse.rows("SELECT email, first_name FROM {s}.identifies") == [("a@b.c", "Ada")]
    assert warehouse.rows("SELECT id, email FROM {s}.users") == [("user-3", "a@b.c")]
    assert warehouse.rows("SELECT name, title FROM {s}.pages") == [("Home", "Welcome")]
    assert warehouse.rows("SELECT name, tab FROM {s}.screens") == [("Settings", "x")]
    assert warehouse.rows("SELECT group_id, employee_count FROM {s}.groups") == [("g-1", 20)]
    assert warehouse.rows("SELECT id, employee_count FROM {s}.accounts") == [("g-1", 20)]
    assert warehouse.rows("SELECT previous_id, user_id FROM {s}.aliases") == [("anon-7", "user-0")]


async def test_schema_evolution_and_type_conflict(
    event_log: SQLiteLog, warehouse: Warehouse
) -> None:
    await evolution_and_a_type_conflict(event_log, warehouse)


async def test_reload_never_duplicates(event_log: SQLiteLog, warehouse: Warehouse) -> None:
    source = warehouse.schema
    events = [sdk_event(i) for i in range(20)]
    events.append(sdk_event(3))  # the same messageId again (a client retry)
    await append(event_log, events, source=source)
    loader = WarehouseLoader(event_log, warehouse.target, batch_size=7)

    async def load_all() -> int:
        loaded = 0
        while batch := await loader.load_once():
            loaded += batch
        return loaded

    assert await load_all() == 21
    for partition in range(event_log.partitions):  # forget every offset: reload everything
        await event_log.commit(loader.consumer, partition, 0)
    assert await load_all() == 21
    for partition in range(event_log.partitions):  # and once more, all in one load
        await event_log.commit(loader.consumer, partition, 0)
    assert await WarehouseLoader(event_log, warehouse.target).load_once() == 21
    assert warehouse.rows("SELECT count(*), count(DISTINCT id) FROM {s}.tracks") == [(20, 20)]
    assert warehouse.rows("SELECT count(*) FROM {s}.order_completed") == [(20,)]


async def test_users_keep_latest_traits(event_log: SQLiteLog, warehouse: Warehouse) -> None:
    source = warehouse.schema

    def identify(i: int, at: str, traits: dict[str, object]) -> dict[str, object]:
        return sdk_event(i, type="identify", event=None, userId="u1", timestamp=at, traits=traits)

    loader = WarehouseLoader(event_log, warehouse.target)
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


async def test_segment_column_rules(event_log: SQLiteLog, warehouse: Warehouse) -> None:
    """Strings over 512 characters are cut (Segment's column limit), every row has Segment's
    `uuid`, and `original_timestamp` stays empty without a client time or with an invalid one
    (whose text stays in the eventyard-only `context_invalid_timestamp`)."""
    source = warehouse.schema
    stamped = "2026-01-01T12:00:00.100Z"  # what ingest writes when the client sent no time
    long_text = "é" * 600
    events = [
        sdk_event(1, properties={"note": long_text, "tags": ["x" * 600]}),
        sdk_event(2, timestamp=stamped, originalTimestamp=stamped, receivedAt=stamped),
        sdk_event(
            3,
            timestamp=stamped,
            originalTimestamp=stamped,
            receivedAt=stamped,
            context={"invalidTimestamp": "last tuesday"},
        ),
    ]
    await append(event_log, events, source=source)
    assert await WarehouseLoader(event_log, warehouse.target).load_once() == 3
    ((note, tags),) = warehouse.rows(
        "SELECT note, tags FROM {s}.order_completed WHERE id = 'msg-000001'"
    )
    assert note == "é" * 512 and len(tags) == 512
    rows = warehouse.rows(
        "SELECT id, uuid, original_timestamp IS NULL, context_invalid_timestamp "
        "FROM {s}.tracks ORDER BY id"
    )
    assert [(i, empty, kept) for i, _, empty, kept in rows] == [
        ("msg-000001", False, None),
        ("msg-000002", True, None),
        ("msg-000003", True, "last tuesday"),
    ]
    uuids = [uuid for _, uuid, _, _ in rows]
    assert len(set(uuids)) == 3 and all(isinstance(u, int) and 0 < u < 2**63 for u in uuids)
    assert warehouse.rows("SELECT uuid FROM {s}.order_completed WHERE id = 'msg-000001'") == [
        (uuids[0],)
    ]
