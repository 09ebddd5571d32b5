"""A warehouse under test, DuckDB or PostgreSQL, with a way to run SQL against it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import psycopg

from eventyard.storage.warehouse import DuckDBTarget, PostgresTarget, Target


@dataclass
class Warehouse:
    target: Target
    schema: str
    """The schema of the test's source (unique per test on the shared PostgreSQL)."""

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        sql = sql.replace("{s}", f'"{self.schema}"')
        if isinstance(self.target, DuckDBTarget):
            with duckdb.connect(str(self.target.path), read_only=True) as con:
                return con.execute(sql).fetchall()
        assert isinstance(self.target, PostgresTarget)
        with psycopg.connect(self.target.url) as conn:
            return conn.execute(sql.encode()).fetchall()

    def columns(self, table: str) -> dict[str, str]:
        rows = self.rows(
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema = '{self.schema}' AND table_name = '{table}'"
        )
        return {name: kind.lower() for name, kind in rows}

    def tables(self) -> set[str]:
        rows = self.rows(
            f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{self.schema}'"
        )
        return {r[0] for r in rows}
