"""Conversion state in state.db: remembered click IDs, conversions sent, match quality."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from eventyard.conversions import store
from eventyard.conversions.match_quality import Aggregate

DAY = 86400.0


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(tmp_path / "state.db")
    connection.executescript(store.SCHEMA)
    yield connection
    connection.close()


def test_click_ids_captured_anonymously_follow_the_user(conn: sqlite3.Connection) -> None:
    anon, user = ("anonymous", "a1"), ("user", "u1")
    landing = store.recall_click_ids(conn, [anon], {"gclid": "G1", "fbc": "fb.1.5.X"}, 100.0)
    assert landing == {"gclid": "G1", "fbc": "fb.1.5.X"}
    linked = store.recall_click_ids(conn, [user, anon], {}, 200.0)
    assert linked == landing
    server = store.recall_click_ids(conn, [user], {"ttclid": "T"}, 300.0)
    assert server == {"gclid": "G1", "fbc": "fb.1.5.X", "ttclid": "T"}
    remembered = store.remembered_click_ids(conn, [user])[user]
    assert remembered["gclid"] == ("G1", 100.0)  # first seen on the landing page, not at login
    assert remembered["ttclid"] == ("T", 300.0)


def test_the_same_fbclid_keeps_its_first_seen_fbc(conn: sqlite3.Connection) -> None:
    user = ("user", "u1")
    store.recall_click_ids(conn, [user], {"fbc": "fb.1.1000.CLICK"}, 1.0)
    again = store.recall_click_ids(conn, [user], {"fbc": "fb.1.9000.CLICK"}, 9.0)
    assert again["fbc"] == "fb.1.1000.CLICK"
    newer = store.recall_click_ids(conn, [user], {"fbc": "fb.1.9500.OTHER"}, 9.5)
    assert newer["fbc"] == "fb.1.9500.OTHER"


def test_the_most_recent_click_wins_across_identities(conn: sqlite3.Connection) -> None:
    anon, user = ("anonymous", "a1"), ("user", "u1")
    store.recall_click_ids(conn, [user], {"gclid": "OLD"}, 10.0)
    store.recall_click_ids(conn, [anon], {"gclid": "NEW"}, 20.0)
    assert store.recall_click_ids(conn, [user, anon], {}, 30.0) == {"gclid": "NEW"}
    assert store.remembered_click_ids(conn, [user])[user]["gclid"] == ("NEW", 20.0)


def test_sent_conversions_deduplicate_within_the_window(conn: sqlite3.Connection) -> None:
    store.mark_sent(conn, "meta", "purchase:1", "m1", 100.0)
    assert store.sent_within(conn, "meta", "purchase:1", 50.0) == "m1"
    assert store.sent_within(conn, "meta", "purchase:1", 101.0) is None
    assert store.sent_within(conn, "tiktok", "purchase:1", 0.0) is None


def test_match_quality_adds_up_per_day_and_event(conn: sqlite3.Connection) -> None:
    one = Aggregate(count=2, score_sum=12.0, meeting_minimum=1, missing=Counter(phone=2))
    two = Aggregate(count=1, score_sum=9.0, meeting_minimum=1, missing=Counter(fbc=1))
    day = store.day_of(10 * DAY)
    store.add_match_quality(conn, "meta", day, "purchase", one)
    store.add_match_quality(conn, "meta", day, "purchase", two)
    store.add_match_quality(conn, "meta", store.day_of(12 * DAY), "lead", two)
    store.add_match_quality(conn, "meta", store.day_of(2 * DAY), "lead", one)
    store.add_match_quality(conn, "tiktok", day, "lead", one)
    by_event = store.match_quality_by_event(conn, "meta", 10 * DAY + 3600)
    assert by_event["purchase"].count == 3 and by_event["purchase"].score_sum == 21.0
    assert by_event["purchase"].missing == Counter(phone=2, fbc=1)
    assert by_event["lead"].count == 1
    total = store.summary(conn, "meta", 10 * DAY)
    assert (total.count, total.mean, total.meeting_minimum) == (4, 7.5, 3)
    assert store.summary(conn, "nobody", 0).count == 0


def test_purge_keeps_what_can_still_matter(conn: sqlite3.Connection) -> None:
    now = 1000 * DAY
    store.mark_sent(conn, "meta", "old", "m1", now - 3 * DAY)
    store.mark_sent(conn, "meta", "new", "m2", now - DAY)
    store.recall_click_ids(conn, [("user", "u1")], {"gclid": "G"}, now - 91 * DAY)
    store.recall_click_ids(conn, [("user", "u2")], {"gclid": "G"}, now - 89 * DAY)
    store.add_match_quality(conn, "meta", store.day_of(now - 500 * DAY), "lead", Aggregate(count=1))
    store.add_match_quality(conn, "meta", store.day_of(now), "lead", Aggregate(count=1))
    assert store.purge(conn, now, dedup_window=2 * DAY, retention=7 * DAY) == 3
    assert store.sent_within(conn, "meta", "new", 0) == "m2"
    assert store.remembered_click_ids(conn, [("user", "u1")]) == {("user", "u1"): {}}
    assert store.summary(conn, "meta", 0).count == 1
