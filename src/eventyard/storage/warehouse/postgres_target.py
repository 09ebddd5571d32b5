"""PostgreSQL as a warehouse (psycopg 3): one schema per source, tables keyed by `id`.

Rows are staged with COPY into a temporary table that disappears at commit; the insert
from it is the same SQL as on DuckDB. Tables get a primary key on `id`, so the anti-join
that makes loads idempotent is an index lookup.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from eventyard.storage.warehouse.target import Session, SqlTarget, quote, rows_by_schema
from eventyard.storage.warehouse.types import SegType

__all__ = ["PostgresTarget"]

_NAMES: dict[SegType, str] = {
    "integer": "BIGINT",
    "float": "DOUBLE PRECISION",
    "boolean": "BOOLEAN",
    "varchar": "TEXT",
    "timestamp": "TIMESTAMPTZ",
}


class _PostgresSession(Session):
    primary_key = True

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self._names = itertools.count()

    def execute(self, sql: str) -> None:
        self.conn.execute(sql.encode())

    def fetchall(self, sql: str) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql.encode()).fetchall()

    def type_name(self, kind: SegType) -> str:
        return _NAMES[kind]

    def columns(self, schema: str) -> dict[str, dict[str, SegType]]:
        rows = self.conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s ORDER BY table_name, ordinal_position",
            (schema,),
        ).fetchall()
        return rows_by_schema(iter(rows))

    def stage(self, columns: Sequence[tuple[str, SegType]], rows: Sequence[Sequence[Any]]) -> str:
        name = f"eventyard_stage_{next(self._names)}"
        spec = ", ".join(f"{quote(c)} {_NAMES[k]}" for c, k in columns)
        self.conn.execute(f"CREATE TEMP TABLE {name} ({spec}) ON COMMIT DROP".encode())
        names = ", ".join(quote(c) for c, _ in columns)
        with self.conn.cursor().copy(f"COPY {name} ({names}) FROM STDIN".encode()) as copy:
            for row in rows:
                copy.write_row(row)
        return name


class PostgresTarget(SqlTarget):
    """`url` is a libpq URL, e.g. `postgresql://user@host/db`."""

    def __init__(self, url: str, *, name: str = "postgres") -> None:
        self.url = url
        self.name = name

    @contextmanager
    def session(self) -> Iterator[Session]:
        with psycopg.connect(self.url) as conn:  # commits on success, rolls back on error
            yield _PostgresSession(conn)
