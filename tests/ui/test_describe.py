"""How pages name an event: the debugger's Event column, the mapping editor's event picker and
the dead letters page, from well-formed, odd and hostile events."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from eventyard.ui.describe import MAX_CELL, Summary, event_name, payload_summary
from eventyard.ui.jsonview import event_row
from eventyard.ui.pages_mappings import event_label


@pytest.mark.parametrize(
    ("event", "name"),
    [
        ({"type": "track", "event": "Button Clicked"}, "Button Clicked"),
        ({"type": "page", "name": "Pricing", "properties": {"path": "/pricing"}}, "Pricing"),
        ({"type": "page", "properties": {"path": "/pricing"}}, "/pricing"),
        ({"type": "page", "context": {"page": {"path": "/shop/checkout"}}}, "/shop/checkout"),
        ({"type": "page", "properties": {"url": "https://a.example/docs?x=1"}}, "/docs"),
        ({"type": "page", "context": {"page": {"url": "http://[bad"}}}, ""),
        ({"type": "screen", "name": "Home"}, "Home"),
        ({"type": "screen", "properties": {"name": "Settings"}}, "Settings"),
        ({"type": "identify", "userId": "4", "traits": {"email": "a@ex.io"}}, "a@ex.io"),
        ({"type": "identify", "context": {"traits": {"email": "b@example.com"}}}, "b@example.com"),
        ({"type": "identify", "userId": 42}, "user 42"),
        ({"type": "identify", "anonymousId": "a-1"}, ""),
        ({"type": "group", "groupId": "acme", "traits": {"name": "Acme"}}, "acme"),
        ({"type": "group", "traits": {"name": "Acme"}}, "Acme"),
        ({"type": "alias", "previousId": "anon-1", "userId": "u-1"}, "anon-1 \u2192 u-1"),
        ({"type": "alias", "userId": "u-1"}, "u-1"),
        ({"type": "track"}, ""),
        ({"type": "custom", "name": "odd"}, "odd"),
    ],
)  # fmt: skip
def test_each_type_is_named_by_what_says_most_about_it(event: dict[str, Any], name: str) -> None:
    assert event_name(event) == name


@pytest.mark.parametrize(
    "event",
    [
        {"type": "page", "name": {"nested": True}, "properties": "not an object"},
        {"type": "identify", "traits": ["email"], "userId": True},
        {"type": "group", "groupId": None, "traits": None},
        {"type": "page", "context": {"page": {"path": 12.5e300}}},
        {"type": ["track"], "event": 7},
    ],
)
def test_odd_shapes_never_raise(event: dict[str, Any]) -> None:
    assert isinstance(event_name(event), str)


def test_names_are_cut_to_a_cell_and_left_for_templates_to_escape() -> None:
    hostile = "<img src=x onerror=alert(1)>" + "x" * 1000
    name = event_name({"type": "page", "name": hostile})
    assert len(name) == MAX_CELL and name.startswith("<img")
    row = event_row("m1", orjson.dumps({"type": "identify", "traits": {"email": hostile}}))
    assert row.name == name


def test_debugger_rows_name_pages_identifies_and_groups() -> None:
    page = {"type": "page", "context": {"page": {"path": "/pricing"}}, "anonymousId": "a1"}
    assert event_row("m1", orjson.dumps(page)).name == "/pricing"
    identify = {"type": "identify", "userId": "u7", "traits": {"email": "ada@example.com"}}
    assert event_row("m2", orjson.dumps(identify)).name == "ada@example.com"
    assert event_row("m3", orjson.dumps({"type": "group", "groupId": "g-1"})).name == "g-1"


def test_the_event_picker_uses_the_same_names() -> None:
    page = {"type": "page", "properties": {"path": "/pricing"}, "anonymousId": "a-7"}
    assert event_label(page) == "page \u00b7 /pricing \u00b7 a-7"
    assert event_label({"userId": "u1"}) == "? \u00b7 u1"


@pytest.mark.parametrize(
    ("payload", "summary"),
    [
        (b'{"type": "track", "event": "Button Clicked"}', "track \u00b7 Button Clicked"),
        (b'{"method": "POST", "data": {"type": "page", "properties": {"path": "/pricing"}}}',
         "page \u00b7 /pricing"),
        (b'{"data": {"type": "identify", "userId": 42}}', "identify \u00b7 user 42"),
        (b'{"data": {"type": "track"}}', "track"),
        (b'{"data": [{"event_name": "Purchase"}], "event_name": "Purchase"}', "Purchase"),
        (b'{"event_type": "Order Completed", "user_id": "u1"}', "Order Completed"),
    ],
)  # fmt: skip
def test_stored_payloads_say_what_event_they_were(payload: bytes, summary: str) -> None:
    found = payload_summary(payload)
    assert found is not None and str(found) == summary


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[1, 2]",
        b'"text"',
        b'{"data": {"order": {"id": 1}}}',
        b'{"data": {"type": "<script>", "event": "x"}}',
        b'{"type": ["track"], "data": {"type": {"a": 1}}}',
        b"",
    ],
)
def test_payloads_that_do_not_say_are_left_unnamed(payload: bytes) -> None:
    assert payload_summary(payload) is None


def test_a_summary_keeps_type_and_name_apart_for_the_page() -> None:
    summary = payload_summary(b'{"data": {"type": "group", "groupId": "acme"}}')
    assert summary == Summary("group", "acme")
    assert payload_summary(b'{"event_name": "Lead"}') == Summary(None, "Lead")
