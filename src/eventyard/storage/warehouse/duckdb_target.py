"""The embedded warehouse: one DuckDB file, one schema per source (`web.tracks`).

A connection is opened per load and closed after it, because DuckDB lets only one process
hold a file open for writing: between loads `eventyard query` can open it read-only.
Rows are staged as an Arrow table, which DuckDB scans without copying.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from eventyard.storage.warehouse.target import Session, SqlTarget, rows_by_schema
from eventyard.storage.warehouse.types import SegType

__all__ = ["ARROW_TYPES", "DuckDBTarget"]

_NAMES: dict[SegType, str] = {
    "integer": "BIGINT",
    "float": "DOUBLE",
    "boolean": "BOOLEAN",
    "varchar": "VARCHAR",
    "timestamp": "TIMESTAMPTZ",
}
ARROW_TYPES: dict[SegType, pa.DataType] = {
    "integer": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
    "varchar": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}


class _DuckDBSession(Session):
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._names = itertools.count()
        self.staged: list[str] = []

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    def fetchall(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def type_name(self, kind: SegType) -> str:
        return _NAMES[kind]

    def columns(self, schema: str) -> dict[str, dict[str, SegType]]:
        rows = self.con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? ORDER BY table_name, ordinal_position",
            [schema],
        ).fetchall()
        return rows_by_schema(iter(rows))

    def stage(self, columns: Sequence[tuple[str, SegType]], rows: Sequence[Sequence[Any]]) -> str:
        name = f"eventyard_stage_{next(self._names)}"
        arrays = {
            column: pa.array([row[i] for row in rows], ARROW_TYPES[kind])
            for i, (column, kind) in enumerate(columns)
        }
        self.con.register(name, pa.table(arrays))
        self.staged.append(name)
        return name


class DuckDBTarget(SqlTarget):
    """`path` is the database file, e.g. `<data_dir>/warehouse.duckdb`."""

    def __init__(self, path: str | Path, *, name: str = "duckdb") -> None:
        self.path = Path(path)
        self.name = name

    @contextmanager
    def session(self) -> Iterator[Session]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.path))
        session = _DuckDBSession(con)
        try:
            con.begin()
            yield session
            con.commit()
        except BaseException:
            con.rollback()
            raise
        finally:
            for name in session.staged:
                con.unregister(name)
            con.close()
