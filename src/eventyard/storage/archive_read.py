"""Reading the archive back (for replay and queries): each row once, in log order.

Files are chosen with `visible_files`, so a half-finished compaction never shows a row twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from eventyard.storage.archive_files import visible_files
from eventyard.storage.archive_table import SCHEMA
from eventyard.storage.compact import read_files
from eventyard.storage.errors import StorageError
from eventyard.storage.fs import Store, open_store

__all__ = ["archive_files", "read_archive"]


def _hours(start: datetime, end: datetime) -> Iterator[datetime]:
    at = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    while at < end:
        yield at
        at += timedelta(hours=1)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def read_archive(
    root: str,
    source: str,
    start: datetime,
    end: datetime,
    where_sql: str | None = None,
    *,
    storage_options: dict[str, Any] | None = None,
) -> pa.Table:
    """Archived rows of `source` with start <= receivedAt < end (naive times are UTC),
    filtered by an optional SQL condition on the archive's columns (DuckDB dialect), sorted
    by (partition, offset) so that each user's events come in the order they were logged."""
    start, end = _aware(start), _aware(end)
    store = open_store(root, **(storage_options or {}))
    tables = []
    for hour in _hours(start, end):
        directory = f"source={source}/date={hour:%Y-%m-%d}/hour={hour:%H}"
        names, _, _ = visible_files(store, directory)
        table = read_files(store, directory, names)
        if table is not None:
            tables.append(table.cast(SCHEMA))
    if not tables:
        return SCHEMA.empty_table()
    table = pa.concat_tables(tables)
    received = table["receivedAt"]
    mask = pc.and_(
        pc.greater_equal(received, pa.scalar(start, SCHEMA.field("receivedAt").type)),
        pc.less(received, pa.scalar(end, SCHEMA.field("receivedAt").type)),
    )
    table = table.filter(mask)
    order = pc.sort_indices(table, sort_keys=[("partition", "ascending"), ("offset", "ascending")])
    table = table.take(order)
    if where_sql:
        table = _where(table, where_sql)
    return table


def _where(table: pa.Table, where_sql: str) -> pa.Table:
    con = duckdb.connect()
    try:
        con.register("archive", table)
        result: pa.Table | None = con.sql(
            f'SELECT * FROM archive WHERE {where_sql} ORDER BY partition, "offset"'
        ).to_arrow_table()
    except duckdb.Error as error:
        raise StorageError(f"cannot apply the archive filter {where_sql!r}: {error}") from None
    finally:
        con.close()
    assert result is not None
    filtered: pa.Table = result.cast(SCHEMA)
    return filtered


def archive_files(store: Store, source: str) -> list[str]:
    """Every visible file of a source (full paths/URLs), for DuckDB's read_parquet."""
    files: list[str] = []
    base = f"source={source}"
    for day in store.list_dirs(base):
        for hour in store.list_dirs(f"{base}/{day}"):
            directory = f"{base}/{day}/{hour}"
            names, _, _ = visible_files(store, directory)
            files.extend(store.url(f"{directory}/{n}") for n in names)
    return files
