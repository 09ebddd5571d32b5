"""Shared fixtures: a throwaway PostgreSQL database per test session.

PostgreSQL-backed tests never skip: a missing server is a failure that says how to fix it,
so that a green run always means every backend was tested.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from eventyard.destinations.actions import catalog
from eventyard.ops.node_parts import NodePartsMissing, install, node_parts

__all__ = ["actions_catalog", "node_parts_dir", "postgres_url"]

PG_ADDRESS = "postgresql://postgres@127.0.0.1:5432"


def _connect_error() -> str | None:
    """None if the server answers with trust auth for user postgres, else the reason."""
    try:
        with psycopg.connect(f"{PG_ADDRESS}/postgres", connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        return str(error).strip()
    return None


def _try_to_start() -> None:
    """Start every installed cluster (as services.sh would); errors surface via reachability."""
    config = Path("/etc/postgresql")
    if not config.is_dir():
        return
    for version in sorted(p.name for p in config.iterdir()):
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
            capture_output=True,
            timeout=60,
            check=False,
        )


def _ensure_server() -> None:
    if _connect_error() is None:
        return
    _try_to_start()
    deadline = time.monotonic() + 20
    while (error := _connect_error()) is not None and time.monotonic() < deadline:
        time.sleep(0.5)
    if error is None:
        return
    how = (
        "Run `scripts/services.sh` (installs PostgreSQL if needed, starts it and enables "
        "trust auth for user postgres on 127.0.0.1)."
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and PostgreSQL on 127.0.0.1:5432 is unreachable: {error}. {how}")
    pytest.fail(f"PostgreSQL on 127.0.0.1:5432 is unreachable and would not start: {error}. {how}")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, uniquely named database for this test session, dropped at the end."""
    _ensure_server()
    name = f"eventyard_test_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(f"{PG_ADDRESS}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{PG_ADDRESS}/{name}"
    finally:
        with psycopg.connect(f"{PG_ADDRESS}/postgres", autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def node_parts_dir() -> Path:
    """A data dir whose `node/` holds the pinned Node-based parts (Segment's Actions) and
    the actions catalog: the repository's `.eventyard`, where `make install` and `make
    test` run `eventyard setup`; set up now when missing or stale. Never skipped: without
    Node.js the tests fail naming what to install."""
    shared = REPO / ".eventyard"
    try:
        parts = node_parts(shared)
    except NodePartsMissing:
        parts = install(shared)  # says what is missing when Node.js is
    target = parts.modules.parent / catalog.CATALOG_FILE
    if not target.exists():
        catalog.generate(parts, target)
    return shared


@pytest.fixture
async def actions_catalog(node_parts_dir: Path) -> AsyncIterator[catalog.ActionsCatalog]:
    """The actions catalog activated in this process (types `actions/<slug>` resolve); its
    runner, if the test started it, is stopped afterwards."""
    found = catalog.activate(node_parts_dir)
    assert found is not None
    yield found
    await catalog.close()
    catalog.deactivate()
