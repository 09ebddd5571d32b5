"""The audit log lists who changed what, newest first, page by page, per workspace."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from eventyard.control import audit, store
from eventyard.sqlite_writer import connect


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = connect(tmp_path / "state.db")
    store.ensure_schema(conn)
    yield conn
    conn.close()


def test_entries_come_newest_first_with_their_documents(conn: sqlite3.Connection) -> None:
    audit.record(conn, "default", "user:a@b.c", "create", "source", "web", None, {"name": "web"})
    before, after = {"name": "web", "n": 1}, {"name": "web", "n": 2}
    audit.record(conn, "default", "token:ci", "update", "source", "web", before, after)
    newest, oldest = audit.list_entries(conn, "default")
    assert (newest.actor, newest.action, newest.before, newest.after) == (
        "token:ci",
        "update",
        before,
        after,
    )
    assert (oldest.action, oldest.before, oldest.after) == ("create", None, {"name": "web"})
    assert newest.id > oldest.id and newest.at >= oldest.at


def test_pages_follow_before_id_and_limits_are_bounded(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN")
    for i in range(1205):
        audit.record(conn, "default", "t", "update", "source", f"s{i}", None, None)
    conn.execute("COMMIT")
    first = audit.list_entries(conn, "default", limit=10)
    assert [e.name for e in first] == [f"s{i}" for i in range(1204, 1194, -1)]
    second = audit.list_entries(conn, "default", limit=10, before_id=first[-1].id)
    assert second[0].name == "s1194"
    assert len(audit.list_entries(conn, "default", limit=10**9)) == audit.MAX_ENTRIES
    assert len(audit.list_entries(conn, "default", limit=-5)) == 1
    assert audit.list_entries(conn, "default", before_id=-1) == []


def test_workspaces_only_see_their_own_entries(conn: sqlite3.Connection) -> None:
    audit.record(conn, "default", "t", "create", "source", "web", None, None)
    audit.record(conn, "acme", "t", "create", "source", "app", None, None)
    assert [e.name for e in audit.list_entries(conn, "acme")] == ["app"]
    assert audit.list_entries(conn, "nobody") == []
