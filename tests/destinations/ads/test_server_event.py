"""Meta's event scheme as Meta, Snap and Pinterest take it."""

from __future__ import annotations

from destinations.ads.events import BROWSER, CUSTOMER_HASHES, arrays
from eventyard.destinations.ads.identifiers import user_data
from eventyard.destinations.ads.server_event import (
    custom_data,
    customer_information,
    server_event,
)

CONVERSION = {
    "user": {
        "email": " John_Smith@gmail.com ",
        "phone": "(650)555-1212",
        "first_name": "John",
        "last_name": "Smith",
        "gender": "Male",
        "date_of_birth": "1990-05-17",
        "city": "Menlo Park",
        "state": "California",
        "zip": "94025-1234",
        "country": "US",
        "external_id": "user1234",
    },
    "ip": "203.0.113.7",
    "user_agent": BROWSER["client_user_agent"],
    "click_ids": {"fbc": "fb.1.1.abc"},
    "value": 10,
    "currency": "EUR",
    "contents": [{"id": "A", "quantity": 2}],
}


def test_meta_takes_some_keys_as_arrays_snap_and_pinterest_all() -> None:
    meta = customer_information(all_arrays=False, fbc="click_ids.fbc")
    assert user_data(CONVERSION, meta) == {
        **CUSTOMER_HASHES,
        **arrays(CUSTOMER_HASHES, "em", "ph", "external_id"),
        **BROWSER,
        "fbc": "fb.1.1.abc",
    }
    snap = customer_information(all_arrays=True)
    assert user_data(CONVERSION, snap) == {**arrays(CUSTOMER_HASHES), **BROWSER}


def test_custom_data_writes_money_the_platforms_way() -> None:
    assert custom_data(CONVERSION) == {
        "value": 10.0,
        "currency": "EUR",
        "content_ids": ["A"],
        "contents": [{"id": "A", "quantity": 2}],
        "num_items": 2,
    }
    assert custom_data(CONVERSION, value=str, quantity=str)["contents"] == [
        {"id": "A", "quantity": "2"}
    ]
    assert custom_data({}) == {}


def test_the_event_leaves_out_unknown_optional_keys() -> None:
    payload = {"event_id": "purchase:1", "event_source_url": "  "}
    assert server_event(payload, "Purchase", 1767225600.9, "website", {}, {}) == {
        "event_name": "Purchase",
        "event_time": 1767225600,
        "action_source": "website",
        "user_data": {},
        "event_id": "purchase:1",
    }
