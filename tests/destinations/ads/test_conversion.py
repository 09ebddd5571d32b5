"""Readers of the conversion object shared by the ad destinations."""

from __future__ import annotations

from typing import Any

import pytest

from eventyard.destinations.ads.conversion import (
    action_source,
    contents,
    conversion_fields,
    currency,
    event_name,
    origin,
    present,
    require_one_of,
    text,
    value,
)
from eventyard.errors import TerminalError


def test_fields_read_the_conversion_object() -> None:
    fields = conversion_fields(("WEB", "APP"))
    assert fields["conversion"].required
    assert fields["conversion"].default == {"@path": "$.context.eventyard.conversion"}
    assert fields["event_id"].default == {"@path": "$.context.eventyard.conversion.event_id"}
    assert fields["action_source"].choices == ("WEB", "APP")
    assert "action_source" not in conversion_fields(None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(" usd ", "USD"), ("eur", "EUR"), ("dollars", None), (840, None), ("U$D", None)],
)
def test_currency(raw: Any, expected: str | None) -> None:
    assert currency({"currency": raw}) == expected


@pytest.mark.parametrize(
    ("raw", "expected"), [(12, 12.0), (1.5, 1.5), ("3", None), (True, None), (float("nan"), None)]
)
def test_value(raw: Any, expected: float | None) -> None:
    assert value({"value": raw}) == expected


def test_text() -> None:
    assert (text(" a "), text(1001), text(""), text(True), text(10**30)) == (
        "a",
        "1001",
        None,
        None,
        None,
    )


def test_contents_keep_only_what_is_valid() -> None:
    raw = [
        {"id": "A", "name": "Shoe", "quantity": 2, "price": 9.5, "brand": ""},
        {"id": 7, "quantity": 0, "price": "9"},
        {"name": "no id"},
        "junk",
        {"id": "B", "quantity": 10**12, "category": ["x"]},
    ]
    assert contents({"contents": raw}) == [
        {"id": "A", "name": "Shoe", "quantity": 2, "price": 9.5},
        {"id": "7"},
        {"id": "B"},
    ]
    assert contents({"contents": [{"id": str(i)} for i in range(500)]})[-1] == {"id": "99"}
    assert contents({"contents": {"id": "A"}}) == []


def test_event_name_prefers_the_mapping() -> None:
    names = {"purchase": "Purchase"}
    conversion = {"name": "purchase"}
    assert event_name({"conversion": conversion}, names, "X") == "Purchase"
    assert event_name({"conversion": conversion, "event_name": "Custom"}, names, "X") == "Custom"
    with pytest.raises(TerminalError, match="X has no standard event for the conversion 'refund'"):
        event_name({"conversion": {"name": "refund"}}, names, "X")


@pytest.mark.parametrize(
    ("conversion", "expected"),
    [
        ({"action_source": "website"}, "website"),
        ({"action_source": "server", "page_url": "https://x"}, "website"),
        ({"action_source": "server"}, "other"),
        ({"action_source": "app"}, "app"),
        ({}, "other"),
    ],
)
def test_origin(conversion: dict[str, Any], expected: str) -> None:
    assert origin(conversion) == expected
    values = {"website": "W", "app": "A", "other": "O"}
    assert action_source({"conversion": conversion}, values) == expected[0].upper()
    assert action_source({"conversion": conversion, "action_source": "chat"}, values) == "chat"


def test_require_one_of() -> None:
    minimum = (("em",), ("ip", "ua"))
    require_one_of({"ip": "1", "ua": "2"}, minimum, "Snap")
    with pytest.raises(TerminalError, match="Snap needs at least em or ip \\+ ua"):
        require_one_of({"ip": "1"}, minimum, "Snap")


def test_present_leaves_out_unknown_values() -> None:
    assert present(a=1, b=None, c="", d=0) == {"a": 1, "c": "", "d": 0}
