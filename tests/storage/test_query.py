"""`run_query`: read-only SQL over the embedded warehouse and the archive views."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventyard.log.sqlite import SQLiteLog
from eventyard.storage import Archiver, QueryRefused, run_query
from eventyard.storage.warehouse import DuckDBTarget, WarehouseLoader
from storage.conftest import append, sdk_event


@pytest.fixture
async def data_dir(event_log: SQLiteLog, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    await append(event_log, [sdk_event(i) for i in range(12)])
    await WarehouseLoader(event_log, DuckDBTarget(data / "warehouse.duckdb")).load_once()
    await Archiver(event_log, str(data / "archive")).catch_up()
    return data


async def test_select_on_warehouse_and_archive(data_dir: Path) -> None:
    columns, rows = run_query(data_dir, "SELECT count(*) AS n FROM web.tracks")
    assert (columns, rows) == (["n"], [(12,)])
    columns, rows = run_query(
        data_dir,
        "SELECT a.messageId, t.event FROM archive.web a JOIN web.tracks t ON t.id = a.messageId "
        "WHERE a.hour = 12 ORDER BY 1 LIMIT 2",
    )
    assert columns == ["messageId", "event"]
    assert rows == [("msg-000000", "order_completed"), ("msg-000001", "order_completed")]
    _, described = run_query(data_dir, "DESCRIBE web.order_completed")
    assert "revenue" in {row[0] for row in described}


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM web.tracks",
        "DROP TABLE web.tracks",
        "CREATE TABLE x AS SELECT 1",
        "INSERT INTO web.tracks (id) VALUES ('x')",
        "COPY web.tracks TO '/tmp/out.csv'",
        "ATTACH '/tmp/other.duckdb' AS other",
        "SELECT 1; DELETE FROM web.tracks",
    ],
)
async def test_writes_are_refused(data_dir: Path, sql: str) -> None:
    with pytest.raises(QueryRefused, match=r"read-only|exactly one"):
        run_query(data_dir, sql)
    assert run_query(data_dir, "SELECT count(*) FROM web.tracks")[1] == [(12,)]


async def test_archive_only_data_dir(event_log: SQLiteLog, tmp_path: Path) -> None:
    await append(event_log, [sdk_event(i) for i in range(3)])
    await Archiver(event_log, str(tmp_path / "archive")).catch_up()
    _, rows = run_query(tmp_path, "SELECT count(*) FROM archive.web")
    assert rows == [(3,)]
