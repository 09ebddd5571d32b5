"""Canonical names from Segment event names, the site's aliases and page calls."""

from __future__ import annotations

from typing import Any

import pytest

from eventyard.conversions.canonical import (
    CANONICAL_NAMES,
    DEFAULT_ALIASES,
    LEAD_EVENTS,
    ORDER_EVENTS,
    REVENUE_EVENTS,
    canonical_name,
)
from eventyard.testing import make_event


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ("Order Completed", "purchase"),
        ("Completed Order", "purchase"),
        ("Order Refunded", "refund"),
        ("Product Added", "add_to_cart"),
        ("Checkout Started", "begin_checkout"),
        ("Product Viewed", "view_item"),
        ("Payment Info Entered", "add_payment_info"),
        ("Products Searched", "search"),
        ("Product Added to Wishlist", "add_to_wishlist"),
        ("Signed Up", "sign_up"),
        ("Trial Started", "start_trial"),
        ("Lead Generated", "lead"),
        ("Generate Lead", "lead"),
        ("Form Submitted", "lead"),
        ("order completed", "purchase"),
        ("ORDER REFUNDED", "refund"),
        ("purchase", "purchase"),
        ("Purchase", "purchase"),
        ("contact", "contact"),
        ("Order Updated", None),
        ("Product Removed", None),
        ("Button Clicked", None),
    ],
)
def test_spec_names(event: str, expected: str | None) -> None:
    assert canonical_name(make_event(event=event), {}) == expected


def test_user_aliases_win_exact_then_case_insensitive() -> None:
    aliases = {"Order Completed": "lead", "demo booked": "lead", "Checkout": "purchase"}
    assert canonical_name(make_event(event="Order Completed"), aliases) == "lead"
    assert canonical_name(make_event(event="Demo Booked"), aliases) == "lead"
    assert canonical_name(make_event(event="Checkout"), aliases) == "purchase"
    assert canonical_name(make_event(event="Product Added"), aliases) == "add_to_cart"


def test_alias_to_unknown_name_is_no_conversion() -> None:
    assert canonical_name(make_event(event="Order Completed"), {"Order Completed": "buy"}) is None


def test_page_calls_are_page_views_and_other_calls_are_not_conversions() -> None:
    assert canonical_name(make_event(type="page", event=None, name="Home"), {}) == "page_view"
    for kind in ("identify", "group", "alias", "screen"):
        assert canonical_name(make_event(type=kind, event="Order Completed"), {}) is None


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"type": "track"},
        {"type": "track", "event": ""},
        {"type": "track", "event": 42},
        {"type": "track", "event": ["Order Completed"]},
        {"type": ["track"], "event": "Order Completed"},
        {"type": "track", "event": "x" * 100_000},
    ],
)
def test_hostile_events_are_no_conversions(event: dict[str, Any]) -> None:
    assert canonical_name(event, {}) is None


def test_event_groups_are_canonical_names() -> None:
    assert set(DEFAULT_ALIASES.values()) <= CANONICAL_NAMES
    assert REVENUE_EVENTS | LEAD_EVENTS | ORDER_EVENTS <= CANONICAL_NAMES
    assert "purchase" in REVENUE_EVENTS and "lead" in LEAD_EVENTS
