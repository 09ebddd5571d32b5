"""Event time units and the age window."""

from __future__ import annotations

from typing import Any

import pytest

from eventyard.destinations.ads.timing import (
    check_age,
    checked_time,
    event_time,
    micros,
    millis,
    seconds,
    span,
)
from eventyard.errors import TerminalError

NOW = 1_767_225_600.0


def test_units() -> None:
    assert (seconds(NOW + 0.9), millis(NOW + 0.25), micros(NOW + 0.000001)) == (
        1_767_225_600,
        1_767_225_600_250,
        1_767_225_600_000_001,
    )


@pytest.mark.parametrize("value", [None, "1767225600", True, float("nan"), float("inf"), -5, 0])
def test_a_missing_or_bad_timestamp_is_terminal(value: Any) -> None:
    with pytest.raises(TerminalError, match="no valid timestamp"):
        event_time({"timestamp": value})


def test_the_window_is_inclusive_and_named_like_the_docs() -> None:
    check_age(NOW - 7 * 86400, 7 * 86400, "Meta", now=NOW)
    check_age(NOW - 10**9, None, "TikTok", now=NOW)
    with pytest.raises(TerminalError, match=r"8\.0 days old, older than 7 days; Meta refuses it"):
        check_age(NOW - 8 * 86400, 7 * 86400, "Meta", now=NOW)
    assert (span(72 * 3600), span(86400), span(3600)) == ("3 days", "1 day", "1 hour")
    assert span(90 * 60) == "1 hour"


def test_checked_time_is_the_event_time_within_the_window() -> None:
    assert checked_time({"timestamp": NOW - 60}, 3600.0, "X", now=NOW) == NOW - 60
    assert checked_time({"timestamp": NOW - 10 * 86400}, None, "X", now=NOW) == NOW - 10 * 86400
    with pytest.raises(TerminalError, match="older than 1 hour; X refuses it"):
        checked_time({"timestamp": NOW - 7200}, 3600.0, "X", now=NOW)
