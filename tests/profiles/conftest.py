"""Profile stores to run the same tests on: the embedded SQLite file and PostgreSQL (a fresh
database per test, on the server of the session's `postgres_url`)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from conftest import PG_ADDRESS

__all__ = ["store_url"]


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None: the default SQLite file in the test's folder; else a postgresql:// URL."""
    if request.param == "sqlite":
        yield None
        return
    request.getfixturevalue("postgres_url")  # the server is up
    name = f"eventyard_profiles_{secrets.token_hex(6)}"
    with psycopg.connect(f"{PG_ADDRESS}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{PG_ADDRESS}/{name}"
    finally:
        with psycopg.connect(f"{PG_ADDRESS}/postgres", autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
