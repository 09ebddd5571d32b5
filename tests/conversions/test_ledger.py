"""The conversion ledger in state.db: written in order, read by event time, purged by age."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from eventyard.conversions import ledger
from eventyard.conversions.ledger import Entry

ENTRY = Entry(
    destination="meta",
    source="web",
    message_id="m1",
    event_id="purchase:1",
    name="purchase",
    value=12.5,
    currency="EUR",
    consent="send",
    consent_reason="no needed consent category denied",
    match_score=7.5,
    missing=("phone", "fbc"),
    mode="observe",
    at=1000.0,
    routed_at=5000.0,
)


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(tmp_path / "state.db")
    connection.executescript(ledger.SCHEMA)
    yield connection
    connection.close()


def test_rows_come_back_as_written_within_the_period(conn: sqlite3.Connection) -> None:
    later = dataclasses.replace(ENTRY, message_id="m2", at=2000.0, missing=(), value=None)
    other = dataclasses.replace(ENTRY, destination="tiktok")
    ledger.record(conn, [later, ENTRY, other])
    assert list(ledger.rows(conn, "meta", 0, 3000)) == [ENTRY, later]
    assert list(ledger.rows(conn, "meta", 1000, 2000)) == [ENTRY]  # until is exclusive
    assert list(ledger.rows(conn, "meta", 1000.5, 1999)) == []


def test_purge_forgets_by_routing_time_not_event_time(conn: sqlite3.Connection) -> None:
    old = dataclasses.replace(ENTRY, message_id="old", at=9000.0, routed_at=100.0)
    ledger.record(conn, [old, ENTRY])
    assert ledger.purge(conn, 4000.0) == 1
    assert [e.message_id for e in ledger.rows(conn, "meta", 0, 10_000)] == ["m1"]


def test_hostile_text_is_stored_as_data(conn: sqlite3.Connection) -> None:
    odd = dataclasses.replace(
        ENTRY, destination="x'; DROP TABLE conversion_ledger; --", event_id="\x00" * 3 + "é" * 500
    )
    ledger.record(conn, [odd])
    (found,) = ledger.rows(conn, odd.destination, 0, 2000)
    assert found == odd
