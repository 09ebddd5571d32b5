"""Two routes side by side: the comparison, and `eventyard compare` with its exit codes."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from eventyard.cli import app
from eventyard.conversions import ledger
from eventyard.conversions.compare import compare, parse_period
from eventyard.conversions.ledger import Entry

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z

BASE = Entry(
    destination="segment-route",
    source="segment",
    message_id="m1",
    event_id="purchase:1",
    name="purchase",
    value=100.0,
    currency="USD",
    consent="send",
    consent_reason="no needed consent category denied",
    match_score=8.0,
    missing=("phone",),
    mode="observe",
    at=T0 + 10,
    routed_at=T0 + 11,
)


def traffic(destination: str, source: str) -> list[Entry]:
    """The same three conversions and one suppression, as one route records them."""
    entries = [
        BASE,
        dataclasses.replace(BASE, message_id="m2", event_id="purchase:2", value=20.5, at=T0 + 20),
        dataclasses.replace(
            BASE, message_id="m3", event_id="m3", name="lead", value=None, currency=None,
            match_score=4.0, missing=("phone", "email"), at=T0 + 30,
        ),
        dataclasses.replace(
            BASE, message_id="m4", event_id="purchase:4", consent="suppress",
            consent_reason="consent denied for Advertising", match_score=None, missing=(),
        ),
    ]  # fmt: skip
    return [dataclasses.replace(e, destination=destination, source=source) for e in entries]


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    conn = sqlite3.connect(tmp_path / "state.db")
    conn.executescript(ledger.SCHEMA)
    ledger.record(conn, traffic("segment-route", "segment") + traffic("direct", "web"))
    conn.commit()
    conn.close()
    yield tmp_path


def connect(data_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(data_dir / "state.db")


def test_the_same_traffic_compares_equal(data_dir: Path) -> None:
    report = compare(connect(data_dir), "segment-route", "direct", T0, T0 + 3600)
    assert report.equal and report.differences == []
    assert (report.since, report.until) == ("2026-01-01T00:00:00.000Z", "2026-01-01T01:00:00.000Z")
    route = report.a
    assert route.conversions == 3
    assert route.events == {"lead": 1, "purchase": 2}
    assert route.values == {"USD": 120.5}
    assert route.suppressed == {"consent denied for Advertising": 1}
    assert route.match_quality == pytest.approx(6.7)
    assert [(m.identifier, m.share) for m in route.missing] == [("phone", 1.0), ("email", 0.333)]
    keys = report.dedup_keys
    assert (keys.both, keys.only_a, keys.only_b) == (3, 0, 0)


def test_a_missing_event_and_other_differences_are_named(data_dir: Path) -> None:
    conn = connect(data_dir)
    conn.execute("DELETE FROM conversion_ledger WHERE destination = 'direct' AND message_id = 'm2'")
    conn.execute(
        "UPDATE conversion_ledger SET consent_reason = 'region US-CA' WHERE destination = 'direct'"
        " AND consent = 'suppress'"
    )
    report = compare(conn, "segment-route", "direct", T0, T0 + 3600)
    assert not report.equal
    assert report.differences == [
        "conversions purchase: 2 in segment-route, 1 in direct",
        "value in USD: 120.5 in segment-route, 100 in direct",
        "1 event_id(s) only in segment-route, e.g. purchase:2",
        "consent suppressions: consent denied for Advertising: 1 in segment-route, 0 in direct",
        "consent suppressions: region US-CA: 0 in segment-route, 1 in direct",
        "mean match quality: 6.7 in segment-route, 6.0 in direct",
    ]
    assert report.dedup_keys.only_a_examples == ["purchase:2"]


def test_the_period_is_by_event_time(data_dir: Path) -> None:
    report = compare(connect(data_dir), "segment-route", "direct", T0 + 15, T0 + 25)
    assert report.a.events == {"purchase": 1} and report.equal


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("yesterday", None, "since must be an ISO-8601 time"),
        ("2026-01-01T00:00:00Z", "soon", "until must be an ISO-8601 time"),
        ("2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z", "since must be before until"),
        ("x" * 10_000, None, "since must be"),
    ],
)
def test_bad_periods_say_what_to_write(since: str, until: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_period(since, until, T0)


def test_until_defaults_to_now() -> None:
    assert parse_period("2026-01-01T00:00:00Z", None, T0 + 5) == (T0, T0 + 5)


runner = CliRunner()
PERIOD = ["--since", "2026-01-01T00:00:00Z", "--until", "2026-01-01T01:00:00Z"]


def run(data_dir: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["compare", *args, "--data-dir", str(data_dir)])
    return result.exit_code, result.output


def test_cli_exits_0_when_the_routes_agree(data_dir: Path) -> None:
    code, output = run(data_dir, "segment-route", "direct", *PERIOD)
    assert code == 0, output
    assert "the routes agree" in output
    assert "mean match quality" in output and "6.7" in output


def test_cli_exits_1_when_they_differ_and_prints_json(data_dir: Path) -> None:
    conn = connect(data_dir)
    conn.execute("DELETE FROM conversion_ledger WHERE destination = 'direct' AND message_id = 'm3'")
    conn.commit()
    code, output = run(data_dir, "segment-route", "direct", *PERIOD, "--json")
    assert code == 1
    report = orjson.loads(output)
    assert report["equal"] is False
    assert report["dedup_keys"]["only_a_examples"] == ["m3"]
    code, output = run(data_dir, "segment-route", "direct", *PERIOD)
    assert code == 1 and "differs: conversions lead: 1 in segment-route, 0 in direct" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["segment-route", "direct", "--since", "last week"], "since must be an ISO-8601 time"),
        (["direct", "direct", *PERIOD], "compare two different destinations"),
        (
            ["segment-route", "dirrect", *PERIOD],
            "no conversions recorded for destination 'dirrect'",
        ),
    ],
)
def test_cli_exits_2_on_bad_input(data_dir: Path, args: list[str], message: str) -> None:
    code, output = run(data_dir, *args)
    assert code == 2
    assert message in output


def test_cli_exits_2_without_a_readable_state_db(tmp_path: Path) -> None:
    code, output = run(tmp_path, "a", "b", *PERIOD)
    assert code == 2 and "no state.db in" in output
    (tmp_path / "state.db").write_bytes(b"not a database" * 100)
    code, output = run(tmp_path, "a", "b", *PERIOD)
    assert code == 2 and "cannot read the conversion ledger" in output
