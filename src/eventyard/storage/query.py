"""`eventyard query`: read-only SQL over the embedded warehouse and the raw archive.

The warehouse file is attached READ_ONLY (so DuckDB itself refuses writes to it) and the
statement types are checked before anything runs, so `DROP`, `INSERT`, `COPY ... TO`,
`ATTACH` and friends get a clear refusal instead of a half-done change. The archive is
attached as an in-memory catalog `archive` with one view per source
(`SELECT * FROM archive.web`) over exactly the files `visible_files` picks, so a
half-finished compaction never shows a row twice.

The loader holds the DuckDB file only during a load; if a load is running, the query waits
for it (up to `wait` seconds).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import duckdb

from eventyard.storage.archive_read import archive_files
from eventyard.storage.errors import QueryRefused, StorageError
from eventyard.storage.fs import open_store

__all__ = ["connect_warehouse", "run_query"]

_ALLOWED = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})


def connect_warehouse(warehouse: Path, wait: float) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the warehouse file attached read-only (as `warehouse`, the
    default schema) once the loader lets go of it; a loader cannot write while it is held."""
    con = duckdb.connect()
    if not warehouse.exists():
        return con
    deadline = time.monotonic() + wait
    while True:
        try:
            con.execute(f"ATTACH '{warehouse.as_posix()}' AS warehouse (READ_ONLY)")
            con.execute("USE warehouse")
            return con
        except duckdb.IOException as error:  # the loader holds the write lock right now
            if time.monotonic() >= deadline:
                con.close()
                raise StorageError(f"the warehouse {warehouse} is busy: {error}") from None
            time.sleep(0.1)


def _attach_archive(
    con: duckdb.DuckDBPyConnection, root: str, storage_options: dict[str, Any] | None = None
) -> None:
    store = open_store(root, **(storage_options or {}))
    if not store.local:
        con.register_filesystem(store.fs)
    con.execute("ATTACH ':memory:' AS archive")
    for entry in store.list_dirs(""):
        if not entry.startswith("source="):
            continue
        source = entry.removeprefix("source=")
        files = archive_files(store, source)
        if files:
            listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            name = '"' + source.replace('"', '""') + '"'
            con.execute(
                f"CREATE VIEW archive.main.{name} AS SELECT * FROM "
                f"read_parquet([{listing}], hive_partitioning = true)"
            )


def run_query(
    data_dir: str | Path,
    sql: str,
    *,
    archive: str | None = None,
    wait: float = 10.0,
    warehouse: str | Path | None = None,
    storage_options: dict[str, Any] | None = None,
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """(column names, rows) of one read-only SQL statement. `archive` defaults to
    `<data_dir>/archive`, `warehouse` to `<data_dir>/warehouse.duckdb`; `storage_options`
    go to fsspec for an archive on S3 and friends."""
    data_dir = Path(data_dir)
    checker = duckdb.connect()
    try:
        statements = checker.extract_statements(sql)
    except duckdb.Error as error:
        raise StorageError(f"invalid SQL: {error}") from None
    finally:
        checker.close()
    if len(statements) != 1:
        raise QueryRefused(f"give exactly one SQL statement (got {len(statements)})")
    if statements[0].type not in _ALLOWED:
        raise QueryRefused(
            f"eventyard query is read-only: {statements[0].type.name} statements are refused; "
            "use SELECT (or EXPLAIN/DESCRIBE/SHOW)"
        )
    con = connect_warehouse(Path(warehouse) if warehouse else data_dir / "warehouse.duckdb", wait)
    try:
        root = archive if archive is not None else str(data_dir / "archive")
        _attach_archive(con, root, storage_options)
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        return columns, cursor.fetchall()
    except duckdb.Error as error:
        raise StorageError(f"query failed: {error}") from None
    finally:
        con.close()
