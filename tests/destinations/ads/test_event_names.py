"""Each platform's column of the standard event table."""

from __future__ import annotations

from eventyard.conversions.canonical import CANONICAL_NAMES
from eventyard.destinations.ads.event_names import standard_events


def test_meta_and_tiktok_share_their_names() -> None:
    assert standard_events("meta") == standard_events("tiktok")
    assert standard_events("meta")["purchase"] == "Purchase"
    assert standard_events("meta")["sign_up"] == "CompleteRegistration"


def test_each_platform_spells_its_own() -> None:
    assert standard_events("snap")["add_to_cart"] == "ADD_CART"
    assert standard_events("pinterest")["purchase"] == "checkout"
    assert standard_events("pinterest")["page_view"] == "page_visit"


def test_events_without_a_standard_name_are_left_out() -> None:
    for platform in ("meta", "tiktok", "snap", "pinterest"):
        names = standard_events(platform)
        assert "refund" not in names and set(names) <= CANONICAL_NAMES
    assert {"lead", "contact"}.isdisjoint(standard_events("snap"))
