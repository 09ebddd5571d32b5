"""The conversion object built from realistic Ecommerce Spec events (the pipeline contract)."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventyard.conversions.canonical import canonical_name
from eventyard.conversions.click_ids import capture
from eventyard.conversions.consent import ConsentState
from eventyard.conversions.enrich import build_conversion, event_id_for
from eventyard.conversions.spec import CLICK_ID_KEYS, USER_KEYS
from eventyard.testing import make_event

_KEYS = {
    "name",
    "event_id",
    "order_id",
    "value",
    "currency",
    "linked_event_id",
    "shipping",
    "tax",
    "coupon",
    "affiliation",
    "method",
    "contents",
    "user",
    "click_ids",
    "ip",
    "user_agent",
    "locale",
    "page_url",
    "referrer",
    "action_source",
    "timestamp",
    "consent",
    "limited_data_use",
}
_NOON = 1767268800.0  # 2026-01-01T12:00:00Z

ORDER_COMPLETED = make_event(
    event="Order Completed",
    messageId="ajs-next-1767268800000-abc",
    properties={
        "checkout_id": "fksdjfsdjfisjf9sdfjsd9f",
        "order_id": "50314b8e9bcf000000000000",
        "affiliation": "Google Store",
        "total": 27.50,
        "subtotal": 22.50,
        "revenue": 25.00,
        "shipping": 3,
        "tax": 2,
        "discount": 2.5,
        "coupon": "hasbros",
        "currency": "usd",
        "email": "Order.Email@Example.com",
        "products": [
            {
                "product_id": "507f1f77bcf86cd799439011",
                "sku": "45790-32",
                "name": "Monopoly: 3rd Edition",
                "price": 19,
                "quantity": 1,
                "category": "Games",
                "brand": "Hasbro",
            },
            {
                "sku": "46493-32",
                "name": "Uno Card Game",
                "price": "3",
                "quantity": "2",
                "category": "Games",
            },
        ],
    },
    context={
        "ip": "203.0.113.7",
        "userAgent": "Mozilla/5.0 (iPhone)",
        "library": {"name": "analytics.js", "version": "next-1.84.3"},
        "page": {
            "url": "https://shop.example/thanks?fbclid=IwAR2F4",
            "referrer": "https://shop.example/cart",
        },
        "traits": {
            "email": "trait@example.com",
            "phone": "+1 415 555 0100",
            "firstName": "Valéry",
            "lastName": "O'Brien",
            "address": {
                "city": "Menlo Park",
                "state": "CA",
                "postalCode": "94025",
                "country": "US",
            },
            "gender": "female",
            "birthday": "1990-05-17",
        },
        "consent": {"categoryPreferences": {"Advertising": True}},
    },
)


def _build(event: dict[str, Any], limited: bool = False) -> dict[str, Any]:
    name = canonical_name(event, {})
    assert name is not None
    return build_conversion(event, name, capture(event), ConsentState.from_event(event), limited)


def test_order_completed() -> None:
    conversion = _build(ORDER_COMPLETED)
    assert set(conversion) == _KEYS
    assert conversion["name"] == "purchase"
    assert conversion["event_id"] == "purchase:50314b8e9bcf000000000000"
    assert conversion["order_id"] == "50314b8e9bcf000000000000"
    assert conversion["value"] == 25.0  # revenue: before shipping and tax
    assert conversion["currency"] == "USD"
    assert conversion["linked_event_id"] is None
    assert conversion["contents"] == [
        {
            "id": "507f1f77bcf86cd799439011",
            "name": "Monopoly: 3rd Edition",
            "category": "Games",
            "brand": "Hasbro",
            "quantity": 1,
            "price": 19.0,
        },
        {
            "id": "46493-32",
            "name": "Uno Card Game",
            "category": "Games",
            "brand": None,
            "quantity": 2,
            "price": 3.0,
        },
    ]
    assert conversion["user"] == {
        "email": "Order.Email@Example.com",  # raw: the order's own email wins over traits
        "phone": "+1 415 555 0100",
        "first_name": "Valéry",
        "last_name": "O'Brien",
        "city": "Menlo Park",
        "state": "CA",
        "zip": "94025",
        "country": "US",
        "external_id": "user1234",
        "gender": "female",
        "date_of_birth": "1990-05-17",
    }
    assert set(conversion["user"]) == set(USER_KEYS)
    assert conversion["click_ids"] == {
        key: (f"fb.1.{int(_NOON * 1000)}.IwAR2F4" if key == "fbc" else None)
        for key in CLICK_ID_KEYS
    }
    assert conversion["ip"] == "203.0.113.7"
    assert conversion["user_agent"] == "Mozilla/5.0 (iPhone)"
    assert conversion["page_url"] == "https://shop.example/thanks?fbclid=IwAR2F4"
    assert conversion["referrer"] == "https://shop.example/cart"
    assert conversion["action_source"] == "website"
    assert conversion["timestamp"] == _NOON
    assert conversion["consent"]["categories"] == {"Advertising": True}
    assert conversion["limited_data_use"] is False
    orjson.dumps(conversion)  # JSON-ready: it goes into the event


def test_order_refunded_links_to_its_purchase() -> None:
    event = make_event(
        event="Order Refunded",
        properties={"order_id": "50314b8e9bcf000000000000", "total": 30, "currency": "EUR"},
    )
    conversion = _build(event)
    assert conversion["name"] == "refund"
    assert conversion["event_id"] == "refund:50314b8e9bcf000000000000"
    assert conversion["linked_event_id"] == "purchase:50314b8e9bcf000000000000"
    assert (conversion["value"], conversion["currency"]) == (30.0, "EUR")
    assert conversion["contents"] == []


def test_product_added_is_its_own_single_product() -> None:
    event = make_event(
        event="Product Added",
        messageId="m-1",
        properties={
            "cart_id": "skdjsidjsdkdj29j",
            "product_id": "507f1f77bcf86cd799439011",
            "sku": "G-32",
            "category": "Games",
            "name": "Monopoly: 3rd Edition",
            "brand": "Hasbro",
            "price": 18.99,
            "quantity": 2,
        },
    )
    conversion = _build(event)
    assert conversion["name"] == "add_to_cart"
    assert conversion["event_id"] == "m-1"  # not an order event: the messageId
    assert conversion["contents"] == [
        {
            "id": "507f1f77bcf86cd799439011",
            "name": "Monopoly: 3rd Edition",
            "category": "Games",
            "brand": "Hasbro",
            "quantity": 2,
            "price": 18.99,
        }
    ]
    assert (conversion["value"], conversion["currency"]) == (37.98, "USD")


def test_event_id_rules() -> None:
    base = make_event(event="Order Completed", messageId="msg-1", properties={"order_id": 1001})
    assert event_id_for(base, "purchase") == "purchase:1001"
    assert event_id_for(base, "begin_checkout") == "msg-1"
    explicit = make_event(messageId="msg-1", properties={"event_id": "evt-9", "order_id": "1"})
    assert event_id_for(explicit, "purchase") == "evt-9"
    # Without a messageId (never after ingest), a digest of the event: stable on replays.
    no_id = make_event(messageId=None, properties={"x": 1})
    assert event_id_for(no_id, "lead") == event_id_for(copy.deepcopy(no_id), "lead")
    assert event_id_for(no_id, "lead") != event_id_for(make_event(messageId=None), "lead")
    assert len(event_id_for(no_id, "lead")) == 32


@pytest.mark.parametrize(
    ("properties", "value", "currency"),
    [
        ({"revenue": 10, "total": 12, "value": 1}, 10.0, "USD"),
        ({"subtotal": "9.5", "total": 12}, 9.5, "USD"),
        ({"total": 12, "currency": "gbp"}, 12.0, "GBP"),
        ({"value": 0}, 0.0, "USD"),
        ({"currency": "EUR"}, None, "EUR"),
        ({}, None, None),
        ({"revenue": "ten", "currency": "dollars"}, None, None),
        ({"revenue": float("nan"), "total": 5}, 5.0, "USD"),
        ({"revenue": True}, None, None),
        ({"revenue": 10**400}, None, None),
        ({"revenue": 10, "currency": ["USD"]}, 10.0, None),
    ],
)
def test_value_and_currency(
    properties: dict[str, Any], value: float | None, currency: str | None
) -> None:
    conversion = _build(make_event(event="Order Completed", properties=properties))
    assert (conversion["value"], conversion["currency"]) == (value, currency)


@pytest.mark.parametrize(
    ("context", "source"),
    [
        ({"library": {"name": "analytics.js"}}, "website"),
        ({"page": {"url": "https://x.example/"}}, "website"),
        (
            {"app": {"name": "Shop", "version": "1.0"}, "library": {"name": "analytics-kotlin"}},
            "app",
        ),
        ({"library": {"name": "analytics-ios"}}, "app"),
        ({"library": {"name": "analytics-python"}}, "server"),
        ({}, "server"),
    ],
)
def test_action_source(context: dict[str, Any], source: str) -> None:
    conversion = _build(make_event(event="Signed Up", context=context))
    assert conversion["action_source"] == source


def test_limited_flag_and_click_ids_are_passed_through() -> None:
    event = make_event(event="Lead Generated")
    conversion = build_conversion(
        event, "lead", {"gclid": "G", "bogus": "x"}, ConsentState.from_event(event), True
    )
    assert conversion["limited_data_use"] is True
    assert conversion["click_ids"]["gclid"] == "G"
    assert "bogus" not in conversion["click_ids"]


def test_traits_of_identify_shape_are_read() -> None:
    event = make_event(
        event="Signed Up",
        traits={"email": "a@b.co", "first_name": "Ann", "zip": 94107, "date_of_birth": "19900517"},
    )
    user = _build(event)["user"]
    assert (user["email"], user["first_name"], user["zip"]) == ("a@b.co", "Ann", "94107")
    assert user["date_of_birth"] == "19900517"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "products",
                    "price",
                    "quantity",
                    "revenue",
                    "currency",
                    "order_id",
                    "address",
                    "email",
                    "page",
                    "url",
                    "traits",
                    "consent",
                    "categoryPreferences",
                    "app",
                    "ip",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=150)
@given(properties=_JSON, context=_JSON, traits=_JSON, user_id=_JSON)
def test_garbage_never_raises(properties: Any, context: Any, traits: Any, user_id: Any) -> None:
    event = make_event(
        event="Order Completed", properties=properties, context=context, traits=traits
    )
    event["userId"] = user_id
    for name in ("purchase", "refund", "add_to_cart"):
        conversion = build_conversion(
            event, name, capture(event), ConsentState.from_event(event), False
        )
        assert set(conversion) == _KEYS
        orjson.dumps(conversion)


def test_huge_values_are_dropped_not_forwarded() -> None:
    event = make_event(
        event="Order Completed",
        properties={"order_id": "x" * 10_000, "products": [{"name": "p"}] * 10_000},
    )
    conversion = _build(event)
    assert conversion["order_id"] is None
    assert len(conversion["contents"]) == 200


def test_overflowing_product_sums_and_unencodable_events() -> None:
    huge = {"products": [{"id": "a", "price": 1e308, "quantity": 10}, {"id": "b", "price": 1e308}]}
    assert _build(make_event(event="Order Completed", properties=huge))["value"] is None
    zero = {"products": [{"id": "a", "price": 5, "quantity": 0}]}
    assert _build(make_event(event="Order Completed", properties=zero))["value"] == 0.0
    unusable = make_event(event="Order Completed", userId=10**5000, anonymousId=None)
    assert _build(unusable)["user"]["external_id"] is None
    odd = make_event(messageId=None, properties={"n": 2**70})
    assert event_id_for(odd, "lead") == event_id_for(copy.deepcopy(odd), "lead")
